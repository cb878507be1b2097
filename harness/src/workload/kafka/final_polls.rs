//! kafka's final phase (jepsen `final-polls`, clipped to 10 s by maelstrom): each thread runs
//! `:crash`, then `{:f :assign, :value [every key with a known offset], :seek-to-beginning?
//! true}`, then `{:f :poll, :value [[:poll]], :poll-ms 1000}` repeatedly, the first at once and
//! the rest `U[0, 0.4)` s apart, until its own `:ok` polls have reached, for every key, the
//! highest offset any `:ok` send or poll saw by the end of the main phase. With no known
//! offsets at all, threads do nothing.

use std::time::Duration;

use glomers_model::{OpType, Value};
use rand::rngs::StdRng;
use rand::Rng;

use super::offsets::{event_max_offsets, key_str, Offsets};
use crate::workload::{Event, Invocation, ThreadGenerator};

/// The whole final phase stops issuing ops after this long.
pub const FINAL_TIME_LIMIT: Duration = Duration::from_secs(10);
/// Polls are staggered by `U[0, 2 × 0.2)` s.
pub const POLL_STAGGER: Duration = Duration::from_millis(400);

#[derive(Debug, Clone, Copy)]
enum Step {
    Crash,
    Assign,
    FirstPoll,
    Poll,
}

/// One thread's final polls.
pub struct FinalPolls {
    /// Keys still to catch up on → the offset to reach.
    targets: Offsets,
    /// Every key known at the start, ascending.
    keys: Vec<i64>,
    step: Step,
}

impl FinalPolls {
    pub fn new(targets: Offsets) -> FinalPolls {
        FinalPolls {
            keys: targets.keys().copied().collect(),
            targets,
            step: Step::Crash,
        }
    }
}

fn poll() -> Invocation {
    let mut op = Invocation::new(
        "poll",
        Value::Vector(vec![Value::Vector(vec![Value::kw("poll")])]),
    );
    op.extra.push(("poll-ms".into(), Value::Int(1000)));
    op
}

impl ThreadGenerator for FinalPolls {
    fn next(&mut self, rng: &mut StdRng) -> Option<(Duration, Invocation)> {
        if self.targets.is_empty() {
            return None;
        }
        Some(match self.step {
            Step::Crash => {
                self.step = Step::Assign;
                (Duration::ZERO, Invocation::new("crash", Value::Nil))
            }
            Step::Assign => {
                self.step = Step::FirstPoll;
                let mut op = Invocation::new(
                    "assign",
                    Value::Vector(self.keys.iter().map(|&k| key_str(k)).collect()),
                );
                op.extra
                    .push(("seek-to-beginning?".into(), Value::Bool(true)));
                (Duration::ZERO, op)
            }
            Step::FirstPoll => {
                self.step = Step::Poll;
                (Duration::ZERO, poll())
            }
            Step::Poll => (POLL_STAGGER.mul_f64(rng.random::<f64>()), poll()),
        })
    }

    fn update(&mut self, event: &Event) {
        if event.typ != OpType::Ok || event.f != "poll" {
            return;
        }
        for (k, seen) in event_max_offsets(event) {
            if self.targets.get(&k).is_some_and(|&t| t <= seen) {
                self.targets.remove(&k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_model::edn;
    use rand::SeedableRng;

    fn ok_poll(v: &str) -> Event {
        Event {
            thread: 0,
            process: 2,
            typ: OpType::Ok,
            f: "poll",
            value: edn::parse(v).unwrap(),
        }
    }

    #[test]
    fn crash_assign_then_polls_until_caught_up() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut g = FinalPolls::new(Offsets::from([(3, 1), (9, 4)]));
        let (d, op) = g.next(&mut rng).unwrap();
        assert_eq!((d, op.f), (Duration::ZERO, "crash"));
        let (_, op) = g.next(&mut rng).unwrap();
        assert_eq!(op.f, "assign");
        assert_eq!(op.value.to_string(), r#"["3" "9"]"#);
        let (d, op) = g.next(&mut rng).unwrap();
        assert_eq!((d, op.f), (Duration::ZERO, "poll"));
        g.update(&ok_poll(r#"[[:poll {"3" [[0 1] [1 2]], "9" [[0 1]]}]]"#));
        let (d, _) = g.next(&mut rng).unwrap();
        assert!(d < POLL_STAGGER);
        g.update(&ok_poll(r#"[[:poll {"9" [[4 5]]}]]"#));
        assert!(g.next(&mut rng).is_none());
        assert!(FinalPolls::new(Offsets::new()).next(&mut rng).is_none());
    }
}
