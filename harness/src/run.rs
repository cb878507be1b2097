//! One test run from start to finish (MAELSTROM.md §1, §4.1, §8): store folder and log,
//! network and services, parallel node setup and `init`, workload client setup, the main and
//! final phases, history files, teardown (a node that has exited aborts the run), analysis,
//! results.edn and the console summary.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use glomers_model::{edn_map, Value};
use serde_json::json;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::checker::{self, RunFacts};
use crate::cli::{LatencyDist, TestOpts};
use crate::client::Client;
use crate::history::History;
use crate::interpreter::{self, Shared};
use crate::latency::Latency;
use crate::log::Log;
use crate::nemesis::Nemesis;
use crate::net::Net;
use crate::process::{self, NodeProcess, SpawnConfig};
use crate::rng::{Seeds, Stream};
use crate::store::RunDir;
use crate::workload::{self, Workload};
use crate::{console, services};

/// Timeout of the `init` RPC.
pub const INIT_TIMEOUT: Duration = Duration::from_millis(10_000);

/// Our exit statuses: 0 valid, 1 invalid, 2 unknown or aborted.
pub const EXIT_VALID: i32 = 0;
pub const EXIT_INVALID: i32 = 1;
pub const EXIT_UNKNOWN: i32 = 2;

/// How a run ended.
#[derive(Debug)]
pub struct RunOutcome {
    pub exit_code: i32,
    /// The run folder, if one was created.
    pub dir: Option<PathBuf>,
    /// results.edn's map, if analysis ran.
    pub results: Option<Value>,
    /// Why the run was aborted, if it was.
    pub crash: Option<String>,
}

/// The exit status for a results map's `:valid?`.
pub fn exit_code(results: &Value) -> i32 {
    match results.get("valid?") {
        Some(Value::Bool(true)) => EXIT_VALID,
        Some(Value::Bool(false)) => EXIT_INVALID,
        _ => EXIT_UNKNOWN,
    }
}

fn dist_name(d: LatencyDist) -> &'static str {
    match d {
        LatencyDist::Constant => "constant",
        LatencyDist::Uniform => "uniform",
        LatencyDist::Exponential => "exponential",
    }
}

/// The `Running test:` map logged at the start.
fn test_map(o: &TestOpts, seed: u64, bin: &str) -> Value {
    let strs = |v: &[String]| Value::Vector(v.iter().cloned().map(Value::Str).collect());
    let availability = match o.availability {
        None => Value::Nil,
        Some(checker::AvailabilityGoal::Total) => Value::kw("total"),
        Some(checker::AvailabilityGoal::Fraction(x)) => Value::Float(x),
    };
    edn_map! {
        "name" => Value::Str(o.workload.clone()),
        "nodes" => strs(&o.nodes),
        "node-count" => Value::Int(o.nodes.len() as i64),
        "concurrency" => Value::Int(o.concurrency as i64),
        "rate" => Value::Float(o.rate),
        "time-limit" => Value::Int(o.time_limit as i64),
        "latency" => edn_map! {
            "mean" => Value::Int(o.latency as i64),
            "dist" => Value::kw(dist_name(o.latency_dist)),
        },
        "nemesis" => if o.partition { Value::Set(vec![Value::kw("partition")]) } else { Value::Set(Vec::new()) },
        "nemesis-interval" => Value::Float(o.nemesis_interval),
        "availability" => availability,
        "consistency-models" => Value::Vector(o.consistency_models.iter().map(|m| Value::kw(m)).collect()),
        "topology" => Value::kw(&o.topology.name()),
        "log-stderr" => Value::Bool(o.log_stderr),
        "log-net-send" => Value::Bool(o.log_net_send),
        "log-net-recv" => Value::Bool(o.log_net_recv),
        "key-count" => o.key_count.map_or(Value::Nil, |k| Value::Int(k as i64)),
        "max-txn-length" => Value::Int(o.max_txn_length as i64),
        "max-writes-per-key" => Value::Int(o.max_writes_per_key as i64),
        "bin" => Value::Str(bin.to_string()),
        "args" => strs(&o.bin_args),
        "seed" => Value::Int(seed as i64),
        "telemetry" => Value::Bool(o.telemetry),
        "recovery-time" => Value::Float(o.recovery_time),
        "argv" => Value::List(o.argv.iter().cloned().map(Value::Str).collect()),
    }
}

const RUNNER: &str = "jepsen test runner";

/// Run one test. Never panics on node misbehaviour; returns the exit status to use.
pub async fn run_test(opts: TestOpts) -> RunOutcome {
    let Some(wl) = workload::lookup(&opts.workload) else {
        return RunOutcome {
            exit_code: crate::cli::EXIT_BAD_ARGS,
            dir: None,
            results: None,
            crash: Some(format!("workload {} is not implemented", opts.workload)),
        };
    };
    let dir = match RunDir::create(&opts.store, &opts.workload, chrono::Local::now()) {
        Ok(d) => d,
        Err(e) => {
            let msg = format!(
                "Can't create a run folder under {}: {e}",
                opts.store.display()
            );
            console::note(&msg);
            return RunOutcome {
                exit_code: EXIT_UNKNOWN,
                dir: None,
                results: None,
                crash: Some(msg),
            };
        }
    };
    let log = match Log::create(&dir.file("jepsen.log")) {
        Ok(l) => Arc::new(l),
        Err(e) => {
            let msg = format!("Can't create {}: {e}", dir.file("jepsen.log").display());
            console::note(&msg);
            return RunOutcome {
                exit_code: EXIT_UNKNOWN,
                dir: Some(dir.path),
                results: None,
                crash: Some(msg),
            };
        }
    };
    let mut run = Run {
        opts: Arc::new(opts),
        wl,
        dir,
        log,
        nodes: Vec::new(),
        setup_clients: Vec::new(),
        started: Instant::now(),
    };
    let outcome = run.go().await;
    run.log.flush();
    outcome
}

struct Run {
    opts: Arc<TestOpts>,
    wl: Arc<dyn Workload>,
    dir: RunDir,
    log: Arc<Log>,
    nodes: Vec<NodeProcess>,
    setup_clients: Vec<Client>,
    started: Instant,
}

impl Run {
    fn crashed(&self, msg: String) -> RunOutcome {
        self.log
            .warn(RUNNER, "jepsen.core", &format!("Test crashed!\n{msg}"));
        self.log.flush();
        console::note(&format!(
            "Test crashed!\n{msg}\n  store: {}",
            self.dir.path.display()
        ));
        RunOutcome {
            exit_code: EXIT_UNKNOWN,
            dir: Some(self.dir.path.clone()),
            results: None,
            crash: Some(msg),
        }
    }

    async fn kill_all(&mut self) {
        for n in &self.nodes {
            self.log.info(
                &format!("jepsen node {}", n.id),
                "maelstrom.db",
                &format!("Tearing down {}", n.id),
            );
        }
        for n in &mut self.nodes {
            n.kill().await;
        }
    }

    async fn go(&mut self) -> RunOutcome {
        let opts = self.opts.clone();
        let seeds = Seeds::new(opts.seed);
        let bin_display = opts.bin.display().to_string();
        self.log.info(
            RUNNER,
            "jepsen.core",
            &format!("Command line:\nharness {}", shell_words(&opts.argv)),
        );
        self.log.info(
            RUNNER,
            "jepsen.core",
            &format!(
                "Running test:\n{}",
                glomers_model::edn::pretty(&test_map(&opts, seeds.master, &bin_display))
            ),
        );
        let first = opts.nodes[0].clone();
        let latency = Latency {
            mean_ms: opts.latency,
            dist: opts.latency_dist,
        };
        let net = Arc::new(Net::new(
            latency,
            seeds.stream(Stream::Latency),
            self.log.clone(),
            opts.log_net_send,
            opts.log_net_recv,
        ));
        self.log.info(
            &format!("jepsen node {first}"),
            "maelstrom.net",
            "Starting Maelstrom network",
        );
        self.log.info(RUNNER, "jepsen.db", "Setting up DB");
        self.log.info(
            &format!("jepsen node {first}"),
            "maelstrom.service",
            &format!("Starting services: ({})", services::SERVICE_IDS.join(" ")),
        );
        let service_tasks = services::start(&net, &seeds);

        let outcome = self.phases(&net, &seeds).await;

        self.kill_all().await;
        net.shutdown();
        for t in service_tasks {
            t.abort();
        }
        self.setup_clients.clear();
        self.log.info(
            &format!("jepsen node {first}"),
            "maelstrom.net",
            "Shutting down Maelstrom network",
        );
        match outcome {
            Err(msg) => self.crashed(msg),
            Ok((history, dead)) => {
                if let Some(msg) = dead {
                    return self.crashed(msg);
                }
                self.analyze(&net, &history)
            }
        }
    }

    /// Setup, main and final phases, history files and the crash check. Returns the history
    /// and a crash report if a node had exited by teardown; `Err` if setup failed.
    async fn phases(
        &mut self,
        net: &Arc<Net>,
        seeds: &Seeds,
    ) -> Result<(Vec<glomers_model::Op>, Option<String>), String> {
        let opts = self.opts.clone();
        let bin = std::fs::canonicalize(&opts.bin).map_err(|e| {
            format!(
                "Cannot run program {:?} (in directory {:?}): {e}",
                opts.bin.display().to_string(),
                std::env::temp_dir().display().to_string()
            )
        })?;
        let env = if opts.telemetry {
            // Absolute: nodes run with the temp dir as their working directory.
            let tdir = self.dir.file("telemetry");
            let _ = std::fs::create_dir_all(&tdir);
            let tdir = std::fs::canonicalize(&tdir).unwrap_or(tdir);
            crate::telemetry_env::node_env(
                &tdir,
                &format!("{}/{}", self.dir.workload, self.dir.name),
                |k| std::env::var(k).ok(),
            )
        } else {
            Vec::new()
        };
        let cfg = SpawnConfig {
            bin: bin.clone(),
            args: opts.bin_args.clone(),
            cwd: std::env::temp_dir(),
            env,
            log_dir: self.dir.file("node-logs"),
            log_stderr: opts.log_stderr,
        };

        // Node setup, in parallel: inbox, process, init.
        console::note(&format!(
            "Starting {} node(s) of {} ...",
            opts.nodes.len(),
            bin.display()
        ));
        let mut setups = JoinSet::new();
        for id in opts.nodes.clone() {
            let net = net.clone();
            let cfg = cfg.clone();
            let log = self.log.clone();
            let all = opts.nodes.clone();
            setups.spawn(async move {
                let thread = format!("jepsen node {id}");
                log.info(&thread, "maelstrom.db", &format!("Setting up {id}"));
                let args = format!("[{}]", cfg.args.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(" "));
                log.info(&thread, "maelstrom.process", &format!("launching {} {args}", cfg.bin.display()));
                let node = process::spawn(&net, &id, &cfg)?;
                let init = async {
                    let mut client = Client::open(&net);
                    let body = json!({"type": "init", "node_id": id, "node_ids": all});
                    let reply = client.call(&id, body, INIT_TIMEOUT).await.map_err(|e| match e {
                        crate::client::RpcError::Timeout => format!("Timed out waiting for {id} to respond to init (10000 ms)"),
                        other => format!("Node {id} answered init with an error: {}", other.message()),
                    })?;
                    match reply.get("type").and_then(|t| t.as_str()) {
                        Some("init_ok") => Ok(()),
                        _ => Err(format!("Expected node {id} to respond to an init message with an init_ok, but it sent {reply}")),
                    }
                };
                // A node that exits during init fails setup at once instead of at the timeout.
                let res: Result<(), String> = tokio::select! {
                    r = init => r,
                    st = node.wait_exit() => Err(node.crash_report(st)),
                };
                Ok::<_, String>((node, res))
            });
        }
        let mut first_err = None;
        while let Some(r) = setups.join_next().await {
            match r {
                Ok(Ok((node, res))) => {
                    self.nodes.push(node);
                    if let Err(e) = res {
                        first_err.get_or_insert(e);
                    }
                }
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(e) => {
                    first_err.get_or_insert(format!("node setup failed: {e}"));
                }
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }

        // Client setup: one client per node, kept open to the end.
        let mut client_setups = JoinSet::new();
        for id in opts.nodes.clone() {
            let mut client = Client::open(net);
            let wl = self.wl.clone();
            let opts = opts.clone();
            client_setups.spawn(async move {
                let r = wl.setup(&mut client, &id, &opts).await;
                (client, r)
            });
        }
        let mut setup_err = None;
        while let Some(r) = client_setups.join_next().await {
            match r {
                Ok((client, res)) => {
                    self.setup_clients.push(client);
                    if let Err(e) = res {
                        setup_err.get_or_insert(e);
                    }
                }
                Err(e) => {
                    setup_err.get_or_insert(format!("client setup failed: {e}"));
                }
            }
        }
        if let Some(e) = setup_err {
            return Err(e);
        }

        // Main and final phases.
        let t0 = Instant::now();
        self.log
            .info(RUNNER, "jepsen.core", "Relative time begins now");
        console::note(&format!(
            "Running {} for {} s (rate {}, concurrency {}, seed {})",
            opts.workload, opts.time_limit, opts.rate, opts.concurrency, seeds.master
        ));
        let history = Arc::new(History::new(t0, self.log.clone()));
        let nemesis = opts.partition.then(|| {
            Arc::new(Nemesis::new(
                net.clone(),
                history.clone(),
                opts.nodes.clone(),
                seeds.stream(Stream::Nemesis),
            ))
        });
        let stop = Arc::new(AtomicBool::new(false));
        let progress = tokio::spawn(console::progress(
            history.clone(),
            nemesis.clone(),
            opts.time_limit,
            stop.clone(),
        ));
        let flusher = {
            let log = self.log.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    log.flush();
                }
            })
        };
        let shared = Arc::new(Shared {
            net: net.clone(),
            history: history.clone(),
            workload: self.wl.clone(),
            opts: opts.clone(),
        });
        // Ctrl-C aborts the run cleanly: history files are written and the nodes killed.
        let interrupted = tokio::select! {
            _ = interpreter::run(shared, nemesis, t0, seeds.stream(Stream::Generator)) => false,
            _ = tokio::signal::ctrl_c() => true,
        };
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        progress.abort();
        console::note("");
        flusher.abort();

        self.log
            .info(RUNNER, "jepsen.core", "Run complete, writing");
        let ops = history.snapshot();
        if let Err(e) = self.dir.write_history(&ops) {
            console::note(&format!("Could not write the history files: {e}"));
        }
        let mut dead = self
            .nodes
            .iter()
            .find_map(|n| n.exited().map(|st| n.crash_report(st)));
        if interrupted {
            dead = Some("Interrupted (Ctrl-C) before the run completed".to_string());
        }
        Ok((ops, dead))
    }

    fn analyze(&mut self, net: &Arc<Net>, history: &[glomers_model::Op]) -> RunOutcome {
        self.log.info(RUNNER, "jepsen.core", "Analyzing...");
        let facts = RunFacts {
            workload: self.opts.workload.clone(),
            nodes: self.opts.nodes.clone(),
            availability: self.opts.availability,
            consistency_models: self.opts.consistency_models.clone(),
            net: net.journal.counts(),
            dir: Some(self.dir.path.clone()),
        };
        let results = checker::check_all(history, &facts);
        if let Err(e) = crate::messages_svg::write(&self.dir.path, &net.journal.events()) {
            console::note(&format!("Could not write messages.svg: {e}"));
        }
        self.log.info(RUNNER, "jepsen.core", "Analysis complete");
        match self.dir.write_results(&results) {
            Ok(()) => self.log.info(
                "jepsen results",
                "jepsen.store",
                &format!("Wrote {}", self.dir.file("results.edn").display()),
            ),
            Err(e) => console::note(&format!("Could not write results.edn: {e}")),
        }
        let _ = self.dir.link();
        let pretty = glomers_model::edn::pretty(&results);
        self.log.info(RUNNER, "jepsen.core", pretty.trim_end());
        let cpu = crate::cpu::self_cpu_seconds()
            .map(|c| crate::cpu::describe(c, self.started.elapsed().as_secs_f64()));
        if let Some(c) = &cpu {
            self.log
                .info(RUNNER, "glomers.harness", &format!("Harness used {c}"));
        }
        let words = console::verdict_words(results.get("valid?"));
        self.log.raw(&format!("\n\n{words}\n"));
        let mut summary = console::summary(&results, &self.dir.path);
        if let Some(c) = cpu {
            summary.push_str(&format!("  harness: {c}\n"));
        }
        let _ = write!(std::io::stdout(), "{summary}");
        RunOutcome {
            exit_code: exit_code(&results),
            dir: Some(self.dir.path.clone()),
            results: Some(results),
            crash: None,
        }
    }
}

/// argv as one shell-like line (words with spaces quoted).
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty()
                || a.chars()
                    .any(|c| c.is_whitespace() || c == '\'' || c == '"')
            {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
