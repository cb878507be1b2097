//! The pool of worker threads: which are free, their current process ids, round-robin
//! dispatch, and the completions ([`Done`]) they report, kept for the generators' updates.

use std::sync::Arc;

use tokio::sync::mpsc::{channel, unbounded_channel, Sender, UnboundedReceiver};

use super::{worker, Shared};
use crate::workload::{Event, Invocation};

/// A worker's report after an op: the completion and the thread's process from now on.
pub struct Done {
    pub event: Event,
    pub next_process: u64,
}

pub struct Pool {
    senders: Vec<Sender<Invocation>>,
    pub free: Vec<bool>,
    pub processes: Vec<u64>,
    pub n_free: usize,
    cursor: usize,
    pub done: UnboundedReceiver<Done>,
    /// Completions not yet handed to a generator.
    pub events: Vec<Event>,
}

impl Pool {
    pub fn start(sh: &Arc<Shared>) -> Pool {
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
            events: Vec::new(),
        }
    }

    pub fn size(&self) -> usize {
        self.free.len()
    }

    /// Free the thread that reported `d` and keep its event.
    pub fn mark_done(&mut self, d: Done) {
        let t = d.event.thread;
        if !self.free[t] {
            self.free[t] = true;
            self.n_free += 1;
        }
        self.processes[t] = d.next_process;
        self.events.push(d.event);
    }

    /// Absorb completions that have already arrived.
    pub fn poll_done(&mut self) {
        while let Ok(d) = self.done.try_recv() {
            self.mark_done(d);
        }
    }

    /// Wait for one completion (false if no worker is busy).
    pub async fn wait_one(&mut self) -> bool {
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
    pub fn pick(&mut self) -> Option<usize> {
        let c = self.free.len();
        (0..c)
            .map(|k| (self.cursor + k) % c)
            .find(|&t| self.free[t])
    }

    pub async fn dispatch(&mut self, t: usize, inv: Invocation) {
        self.free[t] = false;
        self.n_free -= 1;
        self.cursor = (t + 1) % self.free.len();
        if self.senders[t].send(inv).await.is_err() {
            self.free[t] = true;
            self.n_free += 1;
        }
    }

    pub async fn wait_all(&mut self) {
        while self.wait_one().await {}
    }
}
