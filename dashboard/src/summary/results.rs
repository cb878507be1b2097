//! Reads the checker-independent parts of `results.edn` (FORMAT.md §2): the top-level
//! verdict, per-checker validity, `:stats`, `:availability`, `:net` and `:exceptions`, then
//! hands `:workload` to [`super::workload`].

use glomers_model::Value;

use super::{workload, CheckerValidity, ExceptionSummary, FStats, NetGroup, RunSummary, Verdict};

/// A `:valid?` value as text: `true`, `false`, `unknown` or the EDN printed.
pub fn validity_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Keyword(k)) => k.clone(),
        Some(other) => other.to_string(),
        None => "missing".to_string(),
    }
}

/// The verdict a top-level `:valid?` stands for.
pub fn verdict_of(v: Option<&Value>) -> Verdict {
    match v {
        Some(Value::Bool(true)) => Verdict::Valid,
        Some(Value::Bool(false)) => Verdict::Invalid,
        _ => Verdict::Unknown,
    }
}

/// Fills `summary` from a parsed `results.edn`.
pub fn apply(summary: &mut RunSummary, results: &Value) {
    if results.as_map().is_none() {
        summary.verdict = Verdict::Unknown;
        summary
            .problems
            .push("results.edn is not an EDN map; no figures could be read".into());
        return;
    }
    let top = results.get("valid?");
    summary.verdict = verdict_of(top);
    if top.is_none() {
        summary
            .problems
            .push("results.edn has no top-level :valid?".into());
    }
    if let Some(entries) = results.as_map() {
        for (k, v) in entries {
            if let (Value::Keyword(name), Some(_)) = (k, v.as_map()) {
                summary.checkers.push(CheckerValidity {
                    checker: name.clone(),
                    valid: validity_text(v.get("valid?")),
                });
            }
        }
    }
    read_stats(summary, results.get("stats"));
    summary.availability = results
        .get_in(&["availability", "ok-fraction"])
        .and_then(Value::as_f64);
    read_net(summary, results.get("net"));
    read_exceptions(summary, results.get_in(&["exceptions", "exceptions"]));
    if let Some(w) = results.get("workload") {
        workload::apply(summary, w);
    }
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

fn read_stats(summary: &mut RunSummary, stats: Option<&Value>) {
    let Some(stats) = stats else { return };
    summary.op_count = int(stats, "count");
    summary.ok_count = int(stats, "ok-count");
    summary.fail_count = int(stats, "fail-count");
    summary.info_count = int(stats, "info-count");
    if let Some(by_f) = stats.get("by-f").and_then(Value::as_map) {
        for (k, v) in by_f {
            let f = match k {
                Value::Keyword(s) | Value::Str(s) | Value::Symbol(s) => s.clone(),
                other => other.to_string(),
            };
            summary.by_f.push(FStats {
                f,
                count: int(v, "count").unwrap_or(0),
                ok: int(v, "ok-count").unwrap_or(0),
                fail: int(v, "fail-count").unwrap_or(0),
                info: int(v, "info-count").unwrap_or(0),
                valid: v.get("valid?").and_then(Value::as_bool),
            });
        }
    }
}

fn read_net(summary: &mut RunSummary, net: Option<&Value>) {
    let Some(net) = net else { return };
    for group in ["servers", "all", "clients"] {
        let Some(g) = net.get(group) else { continue };
        let entry = NetGroup {
            group: group.to_string(),
            send_count: int(g, "send-count"),
            recv_count: int(g, "recv-count"),
            msg_count: int(g, "msg-count"),
            msgs_per_op: g.get("msgs-per-op").and_then(Value::as_f64),
        };
        match group {
            "servers" => summary.msgs_per_op_servers = entry.msgs_per_op,
            "all" => summary.msgs_per_op_all = entry.msgs_per_op,
            _ => {}
        }
        summary.net.push(entry);
    }
}

fn read_exceptions(summary: &mut RunSummary, list: Option<&Value>) {
    let Some(items) = list.and_then(Value::as_seq) else {
        return;
    };
    for e in items {
        let example = e.get("example");
        let exception = example.and_then(|x| x.get("exception"));
        let message = exception
            .and_then(|x| x.get("cause").and_then(Value::as_str).map(str::to_string))
            .or_else(|| {
                exception
                    .and_then(|x| x.get("via"))
                    .and_then(Value::as_seq)
                    .and_then(|via| via.first())
                    .and_then(|v| v.get("message"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        summary.exceptions.push(ExceptionSummary {
            count: int(e, "count").unwrap_or(0),
            class: e
                .get("class")
                .map(|c| match c {
                    Value::Symbol(s) | Value::Str(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default(),
            message,
            f: example
                .and_then(|x| x.get("f"))
                .and_then(Value::as_keyword)
                .map(str::to_string),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_generic_figures() {
        let v = glomers_model::parse(
            "{:stats {:valid? true :count 3 :ok-count 2 :fail-count 1 :info-count 0 \
             :by-f {:read {:valid? true :count 3 :ok-count 2 :fail-count 1 :info-count 0}}} \
             :availability {:valid? true :ok-fraction 0.5} \
             :net {:all {:msgs-per-op 4.5} :servers {:msgs-per-op 2.5}} :valid? :unknown}",
        )
        .unwrap();
        let mut s = RunSummary::new("echo", "x");
        apply(&mut s, &v);
        assert_eq!(s.verdict, Verdict::Unknown);
        assert_eq!(s.op_count, Some(3));
        assert_eq!(s.by_f[0].fail, 1);
        assert_eq!(s.availability, Some(0.5));
        assert_eq!(s.msgs_per_op_servers, Some(2.5));
        assert_eq!(s.msgs_per_op_all, Some(4.5));
    }

    #[test]
    fn non_map_results_explained() {
        let mut s = RunSummary::new("echo", "x");
        apply(&mut s, &Value::Int(3));
        assert_eq!(s.verdict, Verdict::Unknown);
        assert_eq!(s.problems.len(), 1);
    }
}
