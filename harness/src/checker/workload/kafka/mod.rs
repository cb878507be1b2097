//! kafka's checker (MAELSTROM.md §6.6; jepsen `jepsen.tests.kafka/checker` as Maelstrom 0.2.5
//! runs it: Jepsen 0.3.7, Elle 0.2.2, `:sub-via #{:assign}`, no `:ww-deps`).
//!
//! The analysis builds per-key version orders ([`version_order`]) from the offsets that sends
//! and polls report, then looks for:
//! * `:inconsistent-offsets`, `:duplicate` ([`version_order`]);
//! * `:lost-write`, `:unseen` ([`lost`]);
//! * `:G1a`, `:precommitted-read` ([`aborted`]);
//! * `:poll-skip`, `:nonmonotonic-poll`, `:nonmonotonic-send` and the `:int-` variants
//!   ([`monotonic`]);
//! * dependency cycles `:G0`, `:G1c`, `:G0-realtime`, `:G1c-realtime` and the
//!   `-cycle-exists` cases ([`cycles`] over [`graph`]);
//!
//! and measures `:worst-realtime-lag` ([`lag`]). [`output`] assembles the result map.
//! Situations where Jepsen's checker throws become `Err` (so `{:valid? :unknown, :error
//! ...}`), as a real Maelstrom run would report them.

pub mod aborted;
pub mod clj;
pub mod cycles;
pub mod graph;
pub mod index;
pub mod lag;
pub mod lost;
pub mod monotonic;
pub mod output;
pub mod parse;
pub mod version_order;

use glomers_model::{OpType, Value};

use crate::checker::util::CheckResult;
use crate::checker::RunFacts;
use index::Index;
use parse::{Fun, Parsed};
use version_order::VersionOrders;

/// Checker options that Maelstrom fixes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Infer ww edges from the version order (jepsen `:ww-deps`); this also allows G1c.
    pub ww_deps: bool,
}

/// The kafka `:workload` checker with Maelstrom's options.
pub fn check(history: &[glomers_model::Op], _facts: &RunFacts) -> CheckResult {
    check_with(history, Options::default())
}

/// The kafka checker with explicit options.
pub fn check_with(history: &[glomers_model::Op], opts: Options) -> CheckResult {
    let p = Parsed::new(history);
    let ix = Index::new(&p);
    let vo = VersionOrders::build(&p, &ix);

    let mut errors: Vec<(String, Vec<Value>)> = Vec::new();
    let mut add = |name: &str, errs: Vec<Value>| {
        if !errs.is_empty() {
            errors.push((name.to_string(), errs));
        }
    };
    let int_polls = monotonic::internal_polls(&p, &vo);
    let int_sends = monotonic::internal_sends(&p, &vo);
    let polls = monotonic::external_polls(&p, &vo);
    add("duplicate", version_order::duplicates(&p, &vo));
    add("int-poll-skip", int_polls.skip);
    add("int-nonmonotonic-poll", int_polls.nonmonotonic);
    add("int-nonmonotonic-send", int_sends.nonmonotonic);
    add("int-send-skip", int_sends.skip);
    add(
        "inconsistent-offsets",
        version_order::inconsistent_offsets(&p, &vo)?,
    );
    add("precommitted-read", aborted::precommitted_reads(&p));
    add("G1a", aborted::g1a(&p, &ix));
    add("lost-write", lost::lost_writes(&p, &ix, &vo)?);
    add("nonmonotonic-poll", polls.nonmonotonic);
    add("nonmonotonic-send", monotonic::nonmonotonic_sends(&p, &vo));
    add("poll-skip", polls.skip);
    for (typ, cases) in cycles::cycles(&p, &ix, &vo, opts.ww_deps)? {
        add(&typ, cases);
    }

    let mut condensed: Vec<(String, Value)> = errors
        .into_iter()
        .map(|(t, errs)| {
            let v = output::condense(&t, errs);
            (t, v)
        })
        .collect();
    if let Some(unseen) = lost::unseen(&p)? {
        condensed.push(("unseen".to_string(), unseen));
    }
    let info_causes = output::distinct(
        p.ops
            .iter()
            .filter(|op| op.typ == OpType::Info && matches!(op.f, Fun::Send | Fun::Poll | Fun::Txn))
            .map(|op| p.op(op).extra("error").cloned().unwrap_or(Value::Nil)),
    );
    Ok(output::result(
        condensed,
        lag::worst_realtime_lag(&p),
        info_causes,
        opts.ww_deps,
    ))
}
