//! The kafka final phase on a paused clock, against an in-process fake node that acknowledges
//! sends but never returns anything from a poll: every thread crashes, assigns from the
//! beginning, then polls `U[0, 0.4)` s apart until the 10 s cap stops it.

use std::sync::Arc;

use glomers_harness::cli::{parse, Command, TestOpts};
use glomers_harness::history::History;
use glomers_harness::interpreter::{run, Shared};
use glomers_harness::latency::Latency;
use glomers_harness::log::Log;
use glomers_harness::net::{run_queue, Message, Net, Target};
use glomers_harness::workload::lookup;
use glomers_model::{OpType, Process, Value};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use tokio::time::Instant;

/// Acknowledges sends with increasing offsets; polls always come back empty.
struct BlackHole {
    id: String,
    net: Arc<Net>,
    next: i64,
}

impl Target for BlackHole {
    async fn deliver(&mut self, msg: Message) {
        let body = msg.body_json();
        let mut reply = match body["type"].as_str() {
            Some("send") => {
                self.next += 1;
                json!({"type": "send_ok", "offset": self.next - 1})
            }
            Some("poll") => json!({"type": "poll_ok", "msgs": {}}),
            Some("commit_offsets") => json!({"type": "commit_offsets_ok"}),
            Some("list_committed_offsets") => {
                json!({"type": "list_committed_offsets_ok", "offsets": {}})
            }
            _ => return,
        };
        reply["in_reply_to"] = body["msg_id"].clone();
        let _ = self.net.send_json(&self.id, &msg.src, &reply);
    }
    async fn idle(&mut self) {}
}

fn opts(args: &[&str]) -> TestOpts {
    match parse(std::iter::once("harness").chain(args.iter().copied())) {
        Ok(Command::Test(o)) => *o,
        _ => panic!("bad test args"),
    }
}

#[tokio::test(start_paused = true)]
async fn final_polls_stop_at_the_10_s_cap() {
    let o = opts(&[
        "test",
        "-w",
        "kafka",
        "--bin",
        "x",
        "--node-count",
        "1",
        "--concurrency",
        "2n",
        "--time-limit",
        "5",
        "--rate",
        "50",
    ]);
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
    let node = BlackHole {
        id: "n0".into(),
        net: net.clone(),
        next: 0,
    };
    tokio::spawn(run_queue(net.clone(), net.register_queue("n0"), node));
    let history = Arc::new(History::new(Instant::now(), Arc::new(Log::sink())));
    let shared = Arc::new(Shared {
        net,
        history: history.clone(),
        workload: lookup("kafka").unwrap(),
        opts: Arc::new(o),
    });
    run(shared, None, history.t0(), StdRng::seed_from_u64(3)).await;
    let ops = history.snapshot();

    let secs = |ns: u64| ns as f64 / 1e9;
    // Main phase ends at 5 s, recovery takes 10 s, the final phase starts at about 15 s.
    let first = ops
        .iter()
        .position(|op| op.time > 10_000_000_000)
        .expect("final phase");
    let fin = &ops[first..];
    let start = secs(fin[0].time);
    assert_eq!(fin[0].f, "crash");
    assert!(fin
        .iter()
        .any(|op| op.extra("seek-to-beginning?") == Some(&Value::Bool(true))));
    assert!((14.9..15.1).contains(&start), "final phase at {start}");
    assert_eq!(
        fin.iter()
            .filter(|op| op.f == "crash" && op.typ == OpType::Invoke)
            .count(),
        2
    );
    let polls: Vec<_> = fin
        .iter()
        .filter(|op| op.f == "poll" && op.typ == OpType::Invoke)
        .collect();
    assert!(polls
        .iter()
        .all(|op| op.extra("poll-ms") == Some(&Value::Int(1000))));
    let last = secs(polls.last().unwrap().time);
    assert!(
        last < start + 10.0 && last > start + 9.0,
        "polls until the cap: last at {last}"
    );
    // Two threads, polls U[0, 0.4) s apart: about 2 × 10 / 0.2 of them.
    assert!((70..140).contains(&polls.len()), "{} polls", polls.len());
    let procs: std::collections::BTreeSet<u64> = polls
        .iter()
        .filter_map(|op| match op.process {
            Process::Client(p) => Some(p),
            Process::Nemesis => None,
        })
        .collect();
    assert_eq!(procs.len(), 2);
    for p in procs {
        let times: Vec<f64> = polls
            .iter()
            .filter(|op| op.process == Process::Client(p))
            .map(|op| secs(op.time))
            .collect();
        assert!(times.windows(2).all(|w| w[1] - w[0] < 0.4 + 1e-6));
    }
}
