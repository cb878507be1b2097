//! Real metric snapshots to hold the Grafana queries against: the node binaries run under the
//! harness with the file telemetry sink (their `metrics.prom`), and the dashboard binary's
//! `/metrics` over the shared fixture store. Both are parsed into sample name -> label names.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Sample names (`x_bucket`, `x_sum`, ... for histograms) and the label names seen on each.
pub type Exported = BTreeMap<String, BTreeSet<String>>;

/// Parses the Prometheus text exposition format's sample lines.
pub fn parse_text(text: &str, into: &mut Exported) {
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name_end = line
            .find(|c: char| c == '{' || c.is_whitespace())
            .unwrap_or(line.len());
        let labels = into.entry(line[..name_end].to_string()).or_default();
        if line[name_end..].starts_with('{') {
            let body = &line[name_end + 1..line.rfind('}').expect("closing brace")];
            // Label values are quoted and may hold commas: take each name before `="`.
            let mut rest = body;
            while let Some(eq) = rest.find("=\"") {
                labels.insert(rest[..eq].trim_start_matches(',').trim().to_string());
                let mut i = eq + 2;
                let bytes = rest.as_bytes();
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                rest = &rest[(i + 1).min(rest.len())..];
            }
        }
    }
}

#[path = "../../../test-support/workspace_bins.rs"]
mod workspace_bins;
use workspace_bins::workspace_bin;

/// One harness run: workload, node binary and the extra flags.
pub struct Run {
    pub workload: &'static str,
    pub bin: &'static str,
    pub args: &'static [&'static str],
}

/// Short harness runs with `--telemetry`, all at once; returns every node's `metrics.prom`
/// merged, and per workload the sample names its nodes exported.
pub fn node_snapshot(runs: &[Run], store: &Path) -> (Exported, BTreeMap<String, Exported>) {
    let harness = workspace_bin("harness");
    let children: Vec<(&Run, Child)> = runs
        .iter()
        .map(|r| {
            let child = Command::new(&harness)
                .args(["test", "-w", r.workload, "--bin"])
                .arg(workspace_bin(r.bin))
                .args(r.args)
                .args(["--telemetry", "--seed", "1", "--recovery-time", "0"])
                .arg("--store")
                .arg(store)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("harness starts");
            (r, child)
        })
        .collect();
    for (r, child) in children {
        let out = child.wait_with_output().expect("harness ran");
        // 0 valid, 1 invalid: either way the run completed and its nodes wrote telemetry.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "harness {} ended with {:?}:\n{}\n{}",
            r.workload,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut all = Exported::new();
    let mut per_workload = BTreeMap::new();
    for r in runs {
        let mut mine = Exported::new();
        let files = metric_files(&store.join(r.workload));
        assert!(
            !files.is_empty(),
            "no metrics.prom under {}",
            store.join(r.workload).display()
        );
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            parse_text(&text, &mut mine);
            parse_text(&text, &mut all);
        }
        per_workload.insert(r.workload.to_string(), mine);
    }
    (all, per_workload)
}

/// Every `metrics.prom` below `dir`.
fn metric_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            out.extend(metric_files(&p));
        } else if ft.is_file() && p.file_name().is_some_and(|n| n == "metrics.prom") {
            out.push(p);
        }
    }
    out
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

/// The dashboard binary's `/metrics` over `store`, once its first scan has indexed runs.
pub fn dashboard_metrics(store: &Path, db: &Path) -> Exported {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_dashboard"))
            .arg("--store")
            .arg(store)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dashboard starts"),
    );
    let started = Instant::now();
    loop {
        if let Some((200, body)) = http_get(port, "/metrics") {
            if body.contains("glomers_run_msgs_per_op{") {
                let mut out = Exported::new();
                parse_text(&body, &mut out);
                return out;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the dashboard's /metrics never listed runs"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn parses_names_and_labels() {
    let mut e = Exported::new();
    parse_text(
        "# HELP a x\n# TYPE a counter\na{node=\"n0\",type=\"a,b=\\\"c\\\"\"} 1\nb 2\n",
        &mut e,
    );
    assert_eq!(
        e["a"].iter().cloned().collect::<Vec<_>>(),
        vec!["node", "type"]
    );
    assert!(e["b"].is_empty());
}
