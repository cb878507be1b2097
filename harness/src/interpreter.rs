//! The generator interpreter (MAELSTROM.md §4): worker threads `0..concurrency`, thread `t`
//! bound to node `t mod n`, one global stagger schedule (gaps `U[0, 2/rate)`), ops handed to
//! free threads round-robin, completions fed back to the generator, process ids bumped by
//! `concurrency` after an `:info` (with a new client for non-reusable workloads), the time
//! limit, and the final phase (wait for in-flight ops, heal, "Waiting for recovery...", 10 s
//! sleep, then the workload's per-thread final generators, see [`final_phase`]).

mod final_phase;
mod pool;

use std::sync::Arc;

use glomers_model::{OpType, Process};
use rand::rngs::StdRng;
use rand::Rng;
use tokio::sync::mpsc::{Receiver, UnboundedSender};
use tokio::time::{Duration, Instant};

use crate::cli::TestOpts;
use crate::history::History;
use crate::nemesis::Nemesis;
use crate::net::Net;
use crate::outcome;
use crate::workload::{Event, GenCtx, Invocation, Session, Workload};
use pool::{Done, Pool};

/// Everything the workers share.
pub struct Shared {
    pub net: Arc<Net>,
    pub history: Arc<History>,
    pub workload: Arc<dyn Workload>,
    pub opts: Arc<TestOpts>,
}

/// A worker thread: runs the ops it is handed, one at a time.
async fn worker(
    thread: usize,
    sh: Arc<Shared>,
    mut ops: Receiver<Invocation>,
    done: UnboundedSender<Done>,
) {
    let concurrency = sh.opts.concurrency as u64;
    let node = sh.opts.nodes[thread % sh.opts.nodes.len()].clone();
    let timeout = sh.workload.rpc_timeout(&sh.opts);
    let mut process = thread as u64;
    let mut session: Option<Session> = None;
    while let Some(inv) = ops.recv().await {
        sh.history.record(
            Some(thread),
            OpType::Invoke,
            Process::Client(process),
            inv.f,
            inv.value.clone(),
            inv.extra.clone(),
        );
        let c = if sh.workload.crashes_client(inv.f) {
            outcome::crashed(&inv)
        } else {
            let s = session.get_or_insert_with(|| Session::open(&sh.net));
            let res = sh.workload.invoke(s, &node, &inv, timeout).await;
            outcome::complete(&*sh.workload, &inv, res)
        };
        let typ = c.typ;
        sh.history.record(
            Some(thread),
            typ,
            Process::Client(process),
            inv.f,
            c.value.clone(),
            c.extra,
        );
        let event = Event {
            thread,
            process,
            typ,
            f: inv.f,
            value: c.value,
        };
        if let Some(msg) = c.crash {
            sh.net.log.warn(
                &format!("jepsen worker {thread}"),
                "jepsen.generator.interpreter",
                &format!("Process {process} crashed\nclojure.lang.ExceptionInfo: {msg}"),
            );
        }
        if typ == OpType::Info {
            process += concurrency;
            if !sh.workload.reusable_client() {
                session = None;
            }
        }
        let _ = done.send(Done {
            event,
            next_process: process,
        });
    }
}

/// Run the main phase (and the final phase if the workload has one). `t0` is time 0.
pub async fn run(sh: Arc<Shared>, nemesis: Option<Arc<Nemesis>>, t0: Instant, mut rng: StdRng) {
    let opts = sh.opts.clone();
    let limit = t0 + Duration::from_secs(opts.time_limit);
    let nemesis_task = nemesis
        .clone()
        .map(|n| tokio::spawn(n.run(t0, limit, opts.nemesis_interval)));
    let mut pool = Pool::start(&sh);
    let mut gen = sh.workload.generator(&opts);
    let c = opts.concurrency;

    if opts.rate > 0.0 && c > 0 {
        let mean_gap = 1.0 / opts.rate;
        let mut next = t0;
        'main: loop {
            if next >= limit {
                break;
            }
            // Sleep until the op's scheduled time, absorbing completions meanwhile.
            while Instant::now() < next {
                tokio::select! {
                    _ = tokio::time::sleep_until(next) => {}
                    Some(d) = pool.done.recv() => pool.mark_done(d),
                }
            }
            pool.poll_done();
            while pool.n_free == 0 {
                tokio::select! {
                    _ = tokio::time::sleep_until(limit) => break 'main,
                    Some(d) = pool.done.recv() => pool.mark_done(d),
                }
            }
            if Instant::now() >= limit {
                break;
            }
            for e in std::mem::take(&mut pool.events) {
                gen.update(&e);
            }
            let Some(t) = pool.pick() else { break };
            let ctx = GenCtx {
                thread: t,
                process: pool.processes[t],
                concurrency: c,
                nodes: &opts.nodes,
                elapsed: Instant::now().saturating_duration_since(t0),
            };
            let Some(inv) = gen.next(&ctx, &mut rng) else {
                break;
            };
            pool.dispatch(t, inv).await;
            next += Duration::from_secs_f64(rng.random::<f64>() * 2.0 * mean_gap);
        }
    }

    pool.wait_all().await;
    for e in std::mem::take(&mut pool.events) {
        gen.update(&e);
    }
    let Some(phase) = sh.workload.final_phase(&opts) else {
        if let Some(t) = nemesis_task {
            let _ = t.await;
        }
        return;
    };
    if let Some(t) = nemesis_task {
        let _ = t.await;
    }
    if let Some(n) = &nemesis {
        n.stop_partition();
    }
    sh.net.log.info(
        "jepsen worker 0",
        "jepsen.generator.interpreter",
        "Waiting for recovery...",
    );
    crate::console::phase("Waiting for recovery...");
    tokio::time::sleep(Duration::from_secs_f64(opts.recovery_time)).await;
    final_phase::run(&mut pool, phase, &mut rng).await;
}
