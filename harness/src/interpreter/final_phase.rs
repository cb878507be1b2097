//! Running a workload's [`FinalPhase`] (Jepsen's `gen/each-thread` under `gen/time-limit`):
//! each thread asks its own generator for an op once it is free, waits until the op is due
//! (relative to the start of the thread's previous op), and feeds the completion back; no op
//! starts at or after the time limit, counted from the phase's start; in-flight ops finish.

use rand::rngs::StdRng;
use tokio::time::{Duration, Instant};

use super::pool::Pool;
use crate::workload::{FinalPhase, Invocation, ThreadGenerator};

pub async fn run(pool: &mut Pool, phase: FinalPhase, rng: &mut StdRng) {
    let start = Instant::now();
    let cutoff = phase.time_limit.map(|d| start + d);
    let mut gens: Vec<Box<dyn ThreadGenerator>> = phase.threads;
    gens.truncate(pool.size());
    pool.events.clear();
    // Per thread: its next op and when it is due.
    let mut due: Vec<Option<(Instant, Invocation)>> = gens
        .iter_mut()
        .map(|g| g.next(rng).map(|(d, op)| (start + d, op)))
        .collect();
    let mut last_start = vec![start; gens.len()];
    loop {
        let now = Instant::now();
        for t in 0..gens.len() {
            if !pool.free[t] {
                continue;
            }
            let Some((at, _)) = &due[t] else { continue };
            if cutoff.is_some_and(|c| *at >= c) {
                due[t] = None;
                continue;
            }
            if *at <= now {
                let (_, op) = due[t].take().expect("checked above");
                last_start[t] = now;
                pool.dispatch(t, op).await;
            }
        }
        let wake = (0..gens.len())
            .filter(|&t| pool.free[t])
            .filter_map(|t| due[t].as_ref().map(|(at, _)| *at))
            .min();
        if wake.is_none() && pool.n_free == pool.size() {
            break;
        }
        let sleep_to = wake.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            _ = tokio::time::sleep_until(sleep_to) => {}
            Some(d) = pool.done.recv() => {
                pool.mark_done(d);
                for e in std::mem::take(&mut pool.events) {
                    let t = e.thread;
                    if let Some(g) = gens.get_mut(t) {
                        g.update(&e);
                        due[t] = g.next(rng).map(|(d, op)| (last_start[t] + d, op));
                    }
                }
            }
        }
    }
}
