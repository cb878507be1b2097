//! The kafka main-phase generator (jepsen `tests/kafka.clj` `workload`, maelstrom
//! `gen-string-keys`): Elle list-append txns of length 1 ([`WrTxns`]) become
//! `{:f :send, :value [[:send "k" v]]}` or `{:f :poll, :value [[:poll]]}`; with probability
//! 1/64 an `{:f :assign, :value ["k"]}` for the pending op's key comes first (the op itself
//! follows later); a third of those assigns are widened (when some key has sent-but-unpolled
//! offsets) with every such key and carry `:unseen {k {:polled p, :sent s}}`. Alongside, a
//! `:crash` stream (`stagger(30/concurrency)`): once a crash is due, each dispatch is a crash
//! with probability 1/2 (Jepsen's `gen/any` tie-break), and the next one is due
//! `U[0, 60/concurrency)` s after it. Every `:ok` completion raises the run's highest-offset
//! map, which the final phase polls up to.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use glomers_model::{OpType, Value};
use rand::rngs::StdRng;
use rand::Rng;

use super::offsets::{
    event_max_offsets, key_str, max_poll_offsets, max_send_offsets, merge_max, Offsets,
};
use crate::workload::elle_txns::{Mop, WrTxns};
use crate::workload::{Event, GenCtx, Generator, Invocation};

/// Probability that an assign is emitted ahead of an op (`:sub-p`).
pub const ASSIGN_P: f64 = 1.0 / 64.0;
/// Probability that an assign is widened with unseen keys.
pub const WIDEN_P: f64 = 1.0 / 3.0;
/// Mean seconds between crashes summed over all threads (`:crash-client-interval`).
pub const CRASH_INTERVAL_S: f64 = 30.0;

/// Sent and polled high-water marks of keys with sent-but-unpolled offsets (`PollUnseen`).
#[derive(Debug, Default)]
struct Unseen {
    sent: Offsets,
    polled: Offsets,
}

impl Unseen {
    fn update(&mut self, e: &Event) {
        if e.typ != OpType::Ok {
            return;
        }
        if matches!(e.f, "send" | "txn") {
            merge_max(&mut self.sent, &max_send_offsets(&e.value));
        }
        if matches!(e.f, "poll" | "txn") {
            merge_max(&mut self.polled, &max_poll_offsets(&e.value));
        }
        let keys: Vec<i64> = self
            .sent
            .keys()
            .chain(self.polled.keys())
            .copied()
            .collect();
        for k in keys {
            let polled = self.polled.get(&k).copied().unwrap_or(-1);
            let sent = self.sent.get(&k).copied().unwrap_or(-1);
            if polled >= sent {
                self.sent.remove(&k);
                self.polled.remove(&k);
            }
        }
    }

    /// `:unseen {k {:polled p, :sent s}}` for the widened assign.
    fn describe(&self) -> Value {
        Value::Map(
            self.sent
                .iter()
                .map(|(&k, &s)| {
                    let p = self.polled.get(&k).copied().unwrap_or(-1);
                    (
                        Value::Int(k),
                        glomers_model::edn_map! {
                            "polled" => Value::Int(p),
                            "sent" => Value::Int(s),
                        },
                    )
                })
                .collect(),
        )
    }
}

pub struct KafkaGen {
    txns: WrTxns,
    /// The op drawn but not yet emitted (an assign went out ahead of it).
    pending: Option<Mop>,
    /// When the next crash is due, since the start of the history.
    crash_due: Duration,
    /// Gaps between crashes are `U[0, crash_span)`.
    crash_span: Duration,
    unseen: Unseen,
    /// Highest offset per key over every `:ok` send and poll (shared with the final phase).
    max_offsets: Arc<Mutex<Offsets>>,
}

impl KafkaGen {
    pub fn new(txns: WrTxns, concurrency: usize, max_offsets: Arc<Mutex<Offsets>>) -> KafkaGen {
        KafkaGen {
            txns,
            pending: None,
            crash_due: Duration::ZERO,
            crash_span: Duration::from_secs_f64(2.0 * CRASH_INTERVAL_S / concurrency.max(1) as f64),
            unseen: Unseen::default(),
            max_offsets,
        }
    }

    fn assign(&self, key: i64, rng: &mut StdRng) -> Invocation {
        if self.unseen.sent.is_empty() || !rng.random_bool(WIDEN_P) {
            return Invocation::new("assign", Value::Vector(vec![key_str(key)]));
        }
        let mut keys: Vec<i64> = self.unseen.sent.keys().copied().collect();
        if !keys.contains(&key) {
            keys.push(key);
        }
        let mut op = Invocation::new(
            "assign",
            Value::Vector(keys.into_iter().map(key_str).collect()),
        );
        op.extra.push(("unseen".into(), self.unseen.describe()));
        op
    }
}

/// A length-1 txn's micro-op as a kafka op.
fn mop_op(m: Mop) -> Invocation {
    match m {
        Mop::Write(k, v) => Invocation::new(
            "send",
            Value::Vector(vec![Value::Vector(vec![
                Value::kw("send"),
                key_str(k as i64),
                Value::Int(v as i64),
            ])]),
        ),
        Mop::Read(_) => Invocation::new(
            "poll",
            Value::Vector(vec![Value::Vector(vec![Value::kw("poll")])]),
        ),
    }
}

impl Generator for KafkaGen {
    fn next(&mut self, ctx: &GenCtx<'_>, rng: &mut StdRng) -> Option<Invocation> {
        if ctx.elapsed >= self.crash_due && rng.random_bool(0.5) {
            self.crash_due = ctx.elapsed + self.crash_span.mul_f64(rng.random::<f64>());
            return Some(Invocation::new("crash", Value::Nil));
        }
        let m = match self.pending.take() {
            Some(m) => m,
            None => self.txns.next_txn(rng)[0],
        };
        if rng.random_bool(ASSIGN_P) {
            self.pending = Some(m);
            return Some(self.assign(m.key() as i64, rng));
        }
        Some(mop_op(m))
    }

    fn update(&mut self, event: &Event) {
        let offsets = event_max_offsets(event);
        if !offsets.is_empty() {
            let mut max = self.max_offsets.lock().unwrap_or_else(|p| p.into_inner());
            merge_max(&mut max, &offsets);
        }
        self.unseen.update(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_model::edn;
    use rand::SeedableRng;

    fn ctx(elapsed: Duration, nodes: &[String]) -> GenCtx<'_> {
        GenCtx {
            thread: 0,
            process: 0,
            concurrency: 4,
            nodes,
            elapsed,
        }
    }

    fn gen(key_count: u64) -> KafkaGen {
        KafkaGen::new(
            WrTxns::new(key_count, 1, 16),
            4,
            Arc::new(Mutex::new(Offsets::new())),
        )
    }

    #[test]
    fn sends_polls_and_one_assign_in_64() {
        let nodes = vec!["n0".to_string()];
        let mut rng = StdRng::seed_from_u64(3);
        let mut g = gen(10);
        // Keep crashes out of the way: the next one is due far in the future.
        g.crash_due = Duration::from_secs(1 << 30);
        let (mut sends, mut polls, mut assigns) = (0, 0, 0);
        let mut last: Option<Invocation> = None;
        for _ in 0..64_000 {
            let op = g.next(&ctx(Duration::ZERO, &nodes), &mut rng).unwrap();
            match op.f {
                "send" => sends += 1,
                "poll" => polls += 1,
                "assign" => {
                    assigns += 1;
                    assert!(op.extra.is_empty(), "nothing unseen: never widened");
                }
                f => panic!("unexpected {f}"),
            }
            if let Some(prev) = &last {
                if prev.f == "assign" && op.f == "send" {
                    // The op the assign went ahead of keeps the assigned key.
                    let k = &op.value.as_seq().unwrap()[0].as_seq().unwrap()[1];
                    assert!(prev.value.as_seq().unwrap().contains(k));
                }
            }
            last = Some(op);
        }
        let n = (sends + polls + assigns) as f64;
        assert!((assigns as f64 / n - 1.0 / 64.0).abs() < 0.002, "{assigns}");
        // Half the draws are reads; each retirement is a rejected write draw.
        let retired = g.txns.retired() as f64;
        assert!(
            ((sends as f64 + retired) / polls as f64 - 1.0).abs() < 0.03,
            "{sends} {polls} {retired}"
        );
        assert!(
            sends > 10 * 16,
            "keys retire and fresh ones take their slots"
        );
    }

    #[test]
    fn a_third_of_assigns_are_widened_with_unseen_keys() {
        let nodes = vec!["n0".to_string()];
        let mut rng = StdRng::seed_from_u64(4);
        let mut g = gen(10);
        g.crash_due = Duration::from_secs(1 << 30);
        g.update(&Event {
            thread: 0,
            process: 0,
            typ: OpType::Ok,
            f: "send",
            value: edn::parse(r#"[[:send "42" [3 4]]]"#).unwrap(),
        });
        let (mut assigns, mut widened) = (0, 0);
        for _ in 0..64_000 {
            let op = g.next(&ctx(Duration::ZERO, &nodes), &mut rng).unwrap();
            if op.f == "assign" {
                assigns += 1;
                if let Some((_, unseen)) = op.extra.iter().find(|(k, _)| k == "unseen") {
                    widened += 1;
                    assert_eq!(op.value.as_seq().unwrap()[0], Value::Str("42".into()));
                    assert_eq!(unseen.to_string(), "{42 {:polled -1, :sent 3}}");
                }
            }
        }
        let frac = widened as f64 / assigns as f64;
        assert!((frac - 1.0 / 3.0).abs() < 0.05, "{widened}/{assigns}");
        // Once polled up to the sent offset, the key is no longer unseen.
        g.update(&Event {
            thread: 0,
            process: 0,
            typ: OpType::Ok,
            f: "poll",
            value: edn::parse(r#"[[:poll {"42" [[3 4]]}]]"#).unwrap(),
        });
        assert!(g.unseen.sent.is_empty());
        assert_eq!(*g.max_offsets.lock().unwrap(), Offsets::from([(42, 3)]));
    }

    #[test]
    fn crashes_arrive_every_30_over_concurrency_seconds() {
        let nodes = vec!["n0".to_string()];
        let mut rng = StdRng::seed_from_u64(5);
        let mut g = gen(10);
        // 1000 ops/s for 600 s with 4 threads: a crash every 7.5 s on average.
        let mut crashes = Vec::new();
        for i in 0..600_000u64 {
            let now = Duration::from_millis(i);
            if g.next(&ctx(now, &nodes), &mut rng).unwrap().f == "crash" {
                crashes.push(now);
            }
        }
        assert!(
            crashes[0] < Duration::from_millis(20),
            "the first is due at once"
        );
        assert!((65..100).contains(&crashes.len()), "{}", crashes.len());
    }
}
