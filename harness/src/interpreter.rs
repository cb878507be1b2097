//! The generator interpreter (MAELSTROM.md §4): worker threads `0..concurrency`, thread `t`
//! bound to node `t mod n`, one global stagger schedule (gaps `U[0, 2/rate)`), ops handed to
//! free threads round-robin, process ids bumped by `concurrency` after an `:info` (with a new
//! client for non-reusable workloads), the time limit, and the final phase (wait for in-flight
//! ops, heal, "Waiting for recovery...", 10 s sleep, one final op per thread).

use std::sync::Arc;

use glomers_model::{OpType, Process};
use rand::rngs::StdRng;
use rand::Rng;
use tokio::sync::mpsc::{
    channel, unbounded_channel, Receiver, Sender, UnboundedReceiver, UnboundedSender,
};
use tokio::time::{Duration, Instant};

use crate::cli::TestOpts;
use crate::history::History;
use crate::nemesis::Nemesis;
use crate::net::Net;
use crate::outcome;
use crate::workload::{GenCtx, Invocation, Session, Workload};

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
    done: UnboundedSender<(usize, u64)>,
) {
    let concurrency = sh.opts.concurrency as u64;
    let node = sh.opts.nodes[thread % sh.opts.nodes.len()].clone();
    let timeout = sh.workload.rpc_timeout(&sh.opts);
    let mut process = thread as u64;
    let mut session: Option<Session> = None;
    while let Some(inv) = ops.recv().await {
        let s = session.get_or_insert_with(|| Session::open(&sh.net));
        sh.history.record(
            Some(thread),
            OpType::Invoke,
            Process::Client(process),
            inv.f,
            inv.value.clone(),
            inv.extra.clone(),
        );
        let res = sh.workload.invoke(s, &node, &inv, timeout).await;
        let c = outcome::complete(&*sh.workload, &inv, res);
        let typ = c.typ;
        sh.history.record(
            Some(thread),
            typ,
            Process::Client(process),
            inv.f,
            c.value,
            c.extra,
        );
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
        let _ = done.send((thread, process));
    }
}

/// The pool of worker threads and which of them are free.
struct Pool {
    senders: Vec<Sender<Invocation>>,
    free: Vec<bool>,
    processes: Vec<u64>,
    n_free: usize,
    cursor: usize,
    done: UnboundedReceiver<(usize, u64)>,
}

impl Pool {
    fn start(sh: &Arc<Shared>) -> Pool {
        let c = sh.opts.concurrency;
        let (done_tx, done) = unbounded_channel();
        let senders = (0..c)
            .map(|t| {
                let (tx, rx) = channel(1);
                tokio::spawn(worker(t, sh.clone(), rx, done_tx.clone()));
                tx
            })
            .collect();
        Pool {
            senders,
            free: vec![true; c],
            processes: (0..c as u64).collect(),
            n_free: c,
            cursor: 0,
            done,
        }
    }

    fn mark_done(&mut self, (t, p): (usize, u64)) {
        if !self.free[t] {
            self.free[t] = true;
            self.n_free += 1;
        }
        self.processes[t] = p;
    }

    /// Absorb completions that have already arrived.
    fn poll_done(&mut self) {
        while let Ok(d) = self.done.try_recv() {
            self.mark_done(d);
        }
    }

    /// Wait for one completion (false if no worker is busy).
    async fn wait_one(&mut self) -> bool {
        if self.n_free == self.free.len() {
            return false;
        }
        match self.done.recv().await {
            Some(d) => {
                self.mark_done(d);
                true
            }
            None => false,
        }
    }

    /// The next free thread, round-robin from the cursor.
    fn pick(&mut self) -> Option<usize> {
        let c = self.free.len();
        (0..c)
            .map(|k| (self.cursor + k) % c)
            .find(|&t| self.free[t])
    }

    async fn dispatch(&mut self, t: usize, inv: Invocation) {
        self.free[t] = false;
        self.n_free -= 1;
        self.cursor = (t + 1) % self.free.len();
        if self.senders[t].send(inv).await.is_err() {
            self.free[t] = true;
            self.n_free += 1;
        }
    }

    async fn wait_all(&mut self) {
        while self.wait_one().await {}
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

    if let Some(final_op) = sh.workload.final_op() {
        pool.wait_all().await;
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
        for t in 0..c {
            pool.dispatch(t, final_op.clone()).await;
        }
        pool.wait_all().await;
    } else {
        pool.wait_all().await;
        if let Some(t) = nemesis_task {
            let _ = t.await;
        }
    }
}
