//! CPU per echo round trip through a real `echo` process with telemetry off, file, OTLP
//! and both: `cargo bench -p glomers-node --bench telemetry_overhead`.
//!
//! Each run sends `MESSAGES` echo requests (up to `WINDOW` in flight), waits for every reply,
//! lets the sinks flush, and reads the process's CPU time from /proc (every thread, so the
//! exporter threads are counted). Prints the median CPU µs per op per mode, the overhead
//! against `off`, and how many spans each sink delivered (a sink that falls behind drops
//! spans rather than slow the node; those are counted too).

mod echo_driver;
#[path = "../tests/telemetry_common/mod.rs"]
mod telemetry_common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use echo_driver::Echo;

use telemetry_common::OtlpReceiver;

const MESSAGES: u64 = 200_000;
const WINDOW: u64 = 1_000;
const RUNS: usize = 5;

/// CPU time of every thread of a process, in seconds (from /proc/<pid>/task/*/schedstat,
/// nanosecond resolution; the node's threads live as long as the process).
fn cpu_seconds(pid: u32) -> f64 {
    let mut ns = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("proc tasks")
        .flatten()
    {
        if let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) {
            ns += stat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    ns as f64 / 1e9
}

struct RunResult {
    cpu_us_per_op: f64,
    ops_per_sec: f64,
}

fn one_run(env: &[(&str, String)], cwd: &Path) -> RunResult {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_echo"));
    cmd.current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("GLOMERS_") || k.starts_with("OTEL_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut echo = Echo::start(cmd);
    let pid = echo.pid();
    // Let startup (runtime, sink threads, first snapshot) settle before measuring.
    std::thread::sleep(Duration::from_millis(300));
    let cpu_before = cpu_seconds(pid);
    let elapsed = echo.pipeline(MESSAGES, WINDOW);
    // Sinks flush spans every 0.5 s and metrics every 1 s: let them finish this run's work.
    std::thread::sleep(Duration::from_millis(1200));
    let cpu = cpu_seconds(pid) - cpu_before;
    RunResult {
        cpu_us_per_op: cpu * 1e6 / MESSAGES as f64,
        ops_per_sec: MESSAGES as f64 / elapsed,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Spans in every spans.jsonl under `root`.
fn file_spans(root: &Path) -> usize {
    let mut n = 0;
    let Ok(nodes) = std::fs::read_dir(root) else {
        return 0;
    };
    for node in nodes.flatten() {
        for proc_dir in std::fs::read_dir(node.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            n += std::fs::read_to_string(proc_dir.path().join("spans.jsonl"))
                .map(|t| t.lines().count())
                .unwrap_or(0);
        }
    }
    n
}

fn main() {
    let cwd = std::env::temp_dir().join(format!("glomers-telemetry-bench-{}", std::process::id()));
    std::fs::create_dir_all(&cwd).unwrap();
    let receiver = OtlpReceiver::start_for(Duration::from_secs(900));
    let dir = cwd.join("telemetry");
    let sampled_dir = cwd.join("telemetry-sampled");
    let modes: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("off", vec![]),
        (
            "file",
            vec![
                ("GLOMERS_TELEMETRY", "file".into()),
                ("GLOMERS_TELEMETRY_DIR", dir.display().to_string()),
            ],
        ),
        (
            "otlp",
            vec![
                ("GLOMERS_TELEMETRY", "otlp".into()),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
            ],
        ),
        (
            "file,otlp",
            vec![
                ("GLOMERS_TELEMETRY", "file,otlp".into()),
                ("GLOMERS_TELEMETRY_DIR", dir.display().to_string()),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
            ],
        ),
        (
            "file 10%",
            vec![
                ("GLOMERS_TELEMETRY", "file".into()),
                ("GLOMERS_TELEMETRY_DIR", sampled_dir.display().to_string()),
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio".into()),
                ("OTEL_TRACES_SAMPLER_ARG", "0.1".into()),
            ],
        ),
        (
            "otlp 10%",
            vec![
                ("GLOMERS_TELEMETRY", "otlp".into()),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio".into()),
                ("OTEL_TRACES_SAMPLER_ARG", "0.1".into()),
            ],
        ),
        (
            "file 0%",
            vec![
                ("GLOMERS_TELEMETRY", "file".into()),
                ("GLOMERS_TELEMETRY_DIR", sampled_dir.display().to_string()),
                ("OTEL_TRACES_SAMPLER", "always_off".into()),
            ],
        ),
    ];
    let mut medians = Vec::new();
    // Interleave modes run by run, so drift on a shared machine hits them alike.
    let mut results: Vec<Vec<RunResult>> = modes.iter().map(|_| Vec::new()).collect();
    for _ in 0..RUNS {
        for (i, (_, env)) in modes.iter().enumerate() {
            results[i].push(one_run(env, &cwd));
        }
    }
    for ((name, _), runs) in modes.iter().zip(results) {
        let cpu = median(runs.iter().map(|r| r.cpu_us_per_op).collect());
        let rate = median(runs.iter().map(|r| r.ops_per_sec).collect());
        medians.push((name.to_string(), cpu, rate));
    }
    let base = medians[0].1;
    println!("echo, {MESSAGES} round trips per run, median of {RUNS} runs:");
    for (name, cpu, rate) in &medians {
        println!(
            "  {name:<10} {cpu:6.2} µs CPU/op  ({:+5.1}% vs off)  {rate:8.0} round trips/s",
            (cpu / base - 1.0) * 100.0
        );
    }
    let sent = (MESSAGES as usize + 1) * RUNS * 2; // full runs of each sink: 2 per sink
    let otlp_spans = receiver.got.lock().unwrap().spans().len();
    println!(
        "  spans delivered by unsampled runs: file {} of ~{sent}; otlp (incl. 10% runs) {otlp_spans} of ~{} (the rest dropped, counted in glomers_telemetry_dropped_total); file 10% runs: {}",
        file_spans(&dir),
        sent + sent / 20,
        file_spans(&sampled_dir)
    );
    let _ = std::fs::remove_dir_all(&cwd);
}
