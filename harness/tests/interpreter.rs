//! The interpreter against in-process fake nodes on a paused clock: rate, thread → node
//! affinity, process bumps and fresh clients after `:info`, and the final phase.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use glomers_harness::cli::{parse, Command, TestOpts};
use glomers_harness::history::History;
use glomers_harness::interpreter::{run, Shared};
use glomers_harness::latency::Latency;
use glomers_harness::log::Log;
use glomers_harness::nemesis::Nemesis;
use glomers_harness::net::{run_queue, Message, Net, Target};
use glomers_harness::workload::lookup;
use glomers_model::{Op, OpType, Process};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value as Json};
use tokio::time::Instant;

fn opts(args: &[&str]) -> TestOpts {
    match parse(std::iter::once("harness").chain(args.iter().copied())) {
        Ok(Command::Test(o)) => *o,
        Ok(other) => panic!("expected a test command, got {other:?}"),
        Err(e) => panic!("{}", e.message),
    }
}

/// A fake node: answers echo/broadcast/read; `silent` nodes never answer.
struct FakeNode {
    id: String,
    net: Arc<Net>,
    silent: bool,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    messages: Vec<Json>,
}

impl Target for FakeNode {
    async fn deliver(&mut self, msg: Message) {
        let body = msg.body_json();
        self.seen
            .lock()
            .unwrap()
            .push((self.id.clone(), msg.src.to_string()));
        if self.silent {
            return;
        }
        let mut reply = match body["type"].as_str() {
            Some("echo") => json!({"type": "echo_ok", "echo": body["echo"]}),
            Some("topology") => json!({"type": "topology_ok"}),
            Some("broadcast") => {
                self.messages.push(body["message"].clone());
                json!({"type": "broadcast_ok"})
            }
            Some("read") => json!({"type": "read_ok", "messages": self.messages}),
            _ => return,
        };
        reply["in_reply_to"] = body["msg_id"].clone();
        let _ = self.net.send_json(&self.id, &msg.src, &reply);
    }
    async fn idle(&mut self) {}
}

struct Setup {
    net: Arc<Net>,
    history: Arc<History>,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    opts: Arc<TestOpts>,
}

fn setup(o: TestOpts, silent: &[&str]) -> Setup {
    let net = Arc::new(Net::new(
        Latency {
            mean_ms: o.latency,
            dist: o.latency_dist,
        },
        StdRng::seed_from_u64(1),
        Arc::new(Log::sink()),
        false,
        false,
    ));
    let seen = Arc::new(Mutex::new(Vec::new()));
    for id in &o.nodes {
        let node = FakeNode {
            id: id.clone(),
            net: net.clone(),
            silent: silent.contains(&id.as_str()),
            seen: seen.clone(),
            messages: Vec::new(),
        };
        tokio::spawn(run_queue(net.clone(), net.register_queue(id), node));
    }
    let history = Arc::new(History::new(Instant::now(), Arc::new(Log::sink())));
    Setup {
        net,
        history,
        seen,
        opts: Arc::new(o),
    }
}

async fn go(s: &Setup, nemesis: bool) -> Vec<Op> {
    let wl = lookup(&s.opts.workload).unwrap();
    let shared = Arc::new(Shared {
        net: s.net.clone(),
        history: s.history.clone(),
        workload: wl,
        opts: s.opts.clone(),
    });
    let nem = nemesis.then(|| {
        Arc::new(Nemesis::new(
            s.net.clone(),
            s.history.clone(),
            s.opts.nodes.clone(),
            StdRng::seed_from_u64(2),
        ))
    });
    run(shared, nem, s.history.t0(), StdRng::seed_from_u64(3)).await;
    s.history.snapshot()
}

#[tokio::test(start_paused = true)]
async fn rate_affinity_and_process_bumps() {
    let s = setup(
        opts(&[
            "test",
            "-w",
            "echo",
            "--bin",
            "x",
            "--node-count",
            "2",
            "--time-limit",
            "20",
            "--rate",
            "10",
        ]),
        &["n1"],
    );
    let ops = go(&s, false).await;
    let invokes: Vec<&Op> = ops.iter().filter(|o| o.typ == OpType::Invoke).collect();
    // Threads stay busy 5 s on the silent node, so only thread 0 keeps the rate up.
    assert!(invokes.len() > 50, "{} invokes", invokes.len());

    // Thread 0 → n0 always succeeds with process 0; thread 1 → n1 always times out, so its
    // process goes 1, 3, 5, ... and each op comes from a fresh client.
    let mut procs_t1 = Vec::new();
    for op in &ops {
        if let Process::Client(p) = op.process {
            if p % 2 == 0 {
                assert_eq!(p, 0);
                if op.typ != OpType::Invoke {
                    assert_eq!(op.typ, OpType::Ok);
                }
            } else if op.typ == OpType::Invoke {
                procs_t1.push(p);
            } else {
                assert_eq!(
                    op.typ,
                    OpType::Info,
                    "echo is not idempotent: a timeout is :info"
                );
            }
        }
    }
    assert_eq!(
        procs_t1,
        (0..procs_t1.len() as u64)
            .map(|i| 1 + 2 * i)
            .collect::<Vec<_>>()
    );
    let seen = s.seen.lock().unwrap();
    let n1_clients: HashSet<&String> = seen
        .iter()
        .filter(|(n, _)| n == "n1")
        .map(|(_, c)| c)
        .collect();
    assert_eq!(
        n1_clients.len(),
        procs_t1.len(),
        "a new client per process on a non-reusable workload"
    );
    let n0_clients: HashSet<&String> = seen
        .iter()
        .filter(|(n, _)| n == "n0")
        .map(|(_, c)| c)
        .collect();
    assert_eq!(n0_clients.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn stagger_hits_the_target_rate() {
    let s = setup(
        opts(&[
            "test",
            "-w",
            "echo",
            "--bin",
            "x",
            "--node-count",
            "3",
            "--time-limit",
            "30",
            "--rate",
            "20",
        ]),
        &[],
    );
    let ops = go(&s, false).await;
    let n = ops.iter().filter(|o| o.typ == OpType::Invoke).count() as f64;
    assert!(
        (480.0..720.0).contains(&n),
        "about 600 ops expected, got {n}"
    );
    // Round-robin over free threads: all three threads (processes 0, 1, 2) get work.
    let procs: HashSet<_> = ops.iter().map(|o| o.process).collect();
    assert_eq!(procs.len(), 3);
    // No op is invoked after the time limit.
    assert!(ops
        .iter()
        .filter(|o| o.typ == OpType::Invoke)
        .all(|o| o.time < 30_000_000_000));
}

#[tokio::test(start_paused = true)]
async fn final_phase_heals_waits_and_reads_once_per_thread() {
    let o = opts(&[
        "test",
        "-w",
        "broadcast",
        "--bin",
        "x",
        "--node-count",
        "3",
        "--concurrency",
        "2n",
        "--time-limit",
        "10",
        "--rate",
        "10",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "2",
    ]);
    let s = setup(o, &[]);
    let ops = go(&s, true).await;
    let nem: Vec<&Op> = ops
        .iter()
        .filter(|o| o.process == Process::Nemesis)
        .collect();
    assert_eq!(nem[0].f, "start-partition");
    assert!(nem[0].time < 1_000_000, "the first partition starts at t≈0");
    let last_main = ops
        .iter()
        .rev()
        .find(|o| o.typ == OpType::Invoke && !o.is_final() && o.process != Process::Nemesis)
        .unwrap();
    let heal = nem.last().unwrap();
    assert_eq!(heal.f, "stop-partition");
    // The main phase ends once no op is scheduled before the limit (possibly a little before
    // it, as Jepsen's time-limit generator does); the heal follows every main-phase op.
    assert!(
        heal.index > last_main.index && heal.time >= last_main.time,
        "final heal after the main phase"
    );
    let finals: Vec<&Op> = ops.iter().filter(|o| o.is_final()).collect();
    assert_eq!(
        finals.len(),
        12,
        "6 threads: one final read invoke + ok each"
    );
    let first_final = finals.iter().map(|o| o.time).min().unwrap();
    assert!(
        first_final >= heal.time + 10_000_000_000,
        "10 s recovery sleep before final reads"
    );
    assert!(first_final > last_main.time);
    let procs: HashSet<_> = finals.iter().map(|o| o.process).collect();
    assert_eq!(procs.len(), 6);
    // Main-phase nemesis ops alternate start/stop (the final heal comes regardless); both
    // halves of each are :info.
    let kinds: Vec<&str> = nem[..nem.len() - 2]
        .chunks(2)
        .map(|c| c[0].f.as_str())
        .collect();
    for w in kinds.windows(2) {
        assert_ne!(w[0], w[1]);
    }
    assert!(nem.iter().all(|o| o.typ == OpType::Info));
}
