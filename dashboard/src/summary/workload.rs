//! Reads the workload checker's map (`results.edn` `:workload`, FORMAT.md §2) into a key
//! figure and the evidence behind the verdict: lost and never-read values for broadcast,
//! duplicates for unique-ids, final reads for the counters, error and anomaly types for
//! kafka and the transactional workloads, failing keys for lin-kv.

use glomers_model::Value;

use super::{Evidence, Quantiles, RunSummary, EVIDENCE_ITEMS};

/// Longest EDN text kept for one evidence item.
const ITEM_CHARS: usize = 400;

/// Fills the workload-specific parts of `summary` from the `:workload` map.
pub fn apply(summary: &mut RunSummary, w: &Value) {
    if let Some(err) = w.get("error").and_then(Value::as_str) {
        summary.evidence.push(Evidence {
            label: "checker error".into(),
            total: None,
            items: vec![clip(err.lines().next().unwrap_or(err))],
            bad: true,
        });
        summary.key_figure = Some("checker crashed".into());
    }
    match summary.workload.as_str() {
        "broadcast" | "g-set" => broadcast(summary, w),
        "unique-ids" => unique_ids(summary, w),
        "g-counter" | "pn-counter" => counter(summary, w),
        "kafka" => kafka(summary, w),
        "txn-rw-register" | "txn-list-append" => txn(summary, w),
        "lin-kv" => lin_kv(summary, w),
        "echo" => echo(summary, w),
        _ => {}
    }
}

/// Text of an EDN value, cut to a readable length.
pub fn clip(s: &str) -> String {
    if s.chars().count() <= ITEM_CHARS {
        s.to_string()
    } else {
        let cut: String = s.chars().take(ITEM_CHARS).collect();
        format!("{cut}…")
    }
}

fn items_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Map(entries)) => entries
            .iter()
            .take(EVIDENCE_ITEMS)
            .map(|(k, v)| clip(&format!("{k} {v}")))
            .collect(),
        Some(other) => other
            .as_seq()
            .unwrap_or_default()
            .iter()
            .take(EVIDENCE_ITEMS)
            .map(|x| clip(&x.to_string()))
            .collect(),
        None => Vec::new(),
    }
}

fn len_of(v: Option<&Value>) -> Option<i64> {
    match v {
        Some(Value::Map(m)) => Some(m.len() as i64),
        Some(other) => other.as_seq().map(|s| s.len() as i64),
        None => None,
    }
}

/// Pushes evidence when the list is non-empty (or its count is non-zero).
fn push_list(s: &mut RunSummary, label: &str, list: Option<&Value>, count: Option<i64>, bad: bool) {
    let total = count.or_else(|| len_of(list));
    let items = items_of(list);
    if total.unwrap_or(items.len() as i64) > 0 || !items.is_empty() {
        s.evidence.push(Evidence {
            label: label.into(),
            total,
            items,
            bad,
        });
    }
}

/// Reads a `{0 n, 0.5 n, 0.95 n, 0.99 n, 1 n}` latency map (integer and float keys mixed).
pub fn quantiles(v: Option<&Value>) -> Option<Quantiles> {
    let entries = v?.as_map()?;
    let mut q = Quantiles::default();
    for (k, val) in entries {
        let (Some(k), Some(val)) = (k.as_f64(), val.as_f64()) else {
            continue;
        };
        let slot = if k == 0.0 {
            &mut q.p0
        } else if k == 0.5 {
            &mut q.p50
        } else if k == 0.95 {
            &mut q.p95
        } else if k == 0.99 {
            &mut q.p99
        } else if k == 1.0 {
            &mut q.max
        } else {
            continue;
        };
        *slot = Some(val);
    }
    Some(q)
}

fn int(w: &Value, key: &str) -> Option<i64> {
    w.get(key).and_then(Value::as_i64)
}

fn broadcast(s: &mut RunSummary, w: &Value) {
    s.stable_latency = quantiles(w.get("stable-latencies"));
    s.lost_latency = quantiles(w.get("lost-latencies"));
    let lost = int(w, "lost-count");
    let attempts = int(w, "attempt-count");
    if s.key_figure.is_none() {
        s.key_figure = match (lost, attempts) {
            (Some(l), Some(a)) => Some(format!("{l} lost of {a}")),
            _ => None,
        };
    }
    push_list(s, "lost values", w.get("lost"), lost, true);
    push_list(
        s,
        "never read",
        w.get("never-read"),
        int(w, "never-read-count"),
        true,
    );
    push_list(
        s,
        "duplicated",
        w.get("duplicated"),
        int(w, "duplicated-count"),
        true,
    );
    push_list(
        s,
        "stale values",
        w.get("stale"),
        int(w, "stale-count"),
        false,
    );
    if let Some(worst) = w.get("worst-stale").and_then(Value::as_seq) {
        let items: Vec<String> = worst
            .iter()
            .take(EVIDENCE_ITEMS)
            .map(|x| {
                let el = x.get("element").map(|e| e.to_string()).unwrap_or_default();
                let lat = x
                    .get("stable-latency")
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                let outcome = x.get("outcome").map(|e| e.to_string()).unwrap_or_default();
                format!("element {el}: {outcome}, stable after {lat} ms")
            })
            .collect();
        if !items.is_empty() {
            s.evidence.push(Evidence {
                label: "worst stale (slowest to become visible)".into(),
                total: Some(worst.len() as i64),
                items,
                bad: false,
            });
        }
    }
}

fn unique_ids(s: &mut RunSummary, w: &Value) {
    let dup = int(w, "duplicated-count");
    let acked = int(w, "acknowledged-count");
    if s.key_figure.is_none() {
        s.key_figure = match (dup, acked) {
            (Some(d), Some(a)) => Some(format!("{d} duplicates of {a} acknowledged")),
            (Some(d), None) => Some(format!("{d} duplicates")),
            _ => None,
        };
    }
    push_list(
        s,
        "duplicated ids (id count)",
        w.get("duplicated"),
        dup,
        true,
    );
    if let Some(range) = w.get("range").and_then(Value::as_seq) {
        s.evidence.push(Evidence {
            label: "id range".into(),
            total: None,
            items: range.iter().map(|v| clip(&v.to_string())).collect(),
            bad: false,
        });
    }
}

fn counter(s: &mut RunSummary, w: &Value) {
    let reads = w.get("final-reads");
    let acceptable = w.get("acceptable");
    if s.key_figure.is_none() {
        let r = reads.map(|r| r.to_string()).unwrap_or_else(|| "?".into());
        let a = acceptable
            .map(|a| a.to_string())
            .unwrap_or_else(|| "?".into());
        s.key_figure = Some(clip(&format!("final reads {r}, acceptable {a}")));
    }
    push_list(s, "bad final reads", w.get("errors"), None, true);
    push_list(s, "final reads", reads, None, false);
    push_list(s, "acceptable ranges", acceptable, None, false);
}

/// The key figure of a run whose checker lists anomaly names (kafka's `:error-types`, Elle's
/// `:anomaly-types`): "no anomalies" or "anomalies: G0 G1c", unless already set.
fn anomalies_key_figure(s: &mut RunSummary, list: Option<&Value>) {
    if s.key_figure.is_some() {
        return;
    }
    let names: Vec<String> = list
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|v| v.to_string())
        .collect();
    s.key_figure = Some(if names.is_empty() {
        "no anomalies".into()
    } else {
        format!("anomalies: {}", names.join(" "))
    });
}

fn kafka(s: &mut RunSummary, w: &Value) {
    anomalies_key_figure(s, w.get("error-types"));
    push_list(s, "bad error types", w.get("bad-error-types"), None, true);
    push_list(s, "error types", w.get("error-types"), None, true);
    // An invalid analysed run has one key per error type, each `{:count n :errs [...]}`.
    if let Some(entries) = w.as_map() {
        for (k, v) in entries {
            if let (Value::Keyword(name), Some(count)) = (k, v.get("count").and_then(Value::as_i64))
            {
                push_list(s, name, v.get("errs"), Some(count), true);
            }
        }
    }
    if let Some(lag) = w.get("worst-realtime-lag") {
        s.evidence.push(Evidence {
            label: "worst realtime lag".into(),
            total: None,
            items: vec![clip(&lag.to_string())],
            bad: false,
        });
    }
    push_list(s, "info txn causes", w.get("info-txn-causes"), None, false);
}

fn txn(s: &mut RunSummary, w: &Value) {
    anomalies_key_figure(s, w.get("anomaly-types"));
    push_list(s, "anomaly types", w.get("anomaly-types"), None, true);
    if let Some(Value::Map(anomalies)) = w.get("anomalies") {
        for (k, v) in anomalies {
            let n = v.as_seq().map(|x| x.len() as i64);
            let items = items_of(Some(v));
            s.evidence.push(Evidence {
                label: format!("anomaly {k}"),
                total: n,
                items: if items.is_empty() {
                    vec![clip(&v.to_string())]
                } else {
                    items
                },
                bad: true,
            });
        }
    }
    push_list(s, "ruled out (:not)", w.get("not"), None, false);
    push_list(
        s,
        "also ruled out (:also-not)",
        w.get("also-not"),
        None,
        false,
    );
}

fn lin_kv(s: &mut RunSummary, w: &Value) {
    let failures = w.get("failures");
    let n = len_of(failures).unwrap_or(0);
    if s.key_figure.is_none() {
        s.key_figure = Some(format!("{n} non-linearizable keys"));
    }
    push_list(s, "non-linearizable keys", failures, None, true);
    let mut msgs = Vec::new();
    if let Some(Value::Map(results)) = w.get("results") {
        for (key, r) in results {
            let paths = r
                .get_in(&["linearizable", "final-paths"])
                .and_then(Value::as_seq);
            for path in paths.unwrap_or_default() {
                for step in path.as_seq().unwrap_or_default() {
                    if let Some(msg) = step
                        .get("model")
                        .and_then(|m| m.get("msg"))
                        .and_then(Value::as_str)
                    {
                        let line = format!("key {key}: {msg}");
                        if !msgs.contains(&line) && msgs.len() < EVIDENCE_ITEMS {
                            msgs.push(line);
                        }
                    }
                }
            }
        }
    }
    if !msgs.is_empty() {
        s.evidence.push(Evidence {
            label: "inconsistent reads (Knossos)".into(),
            total: None,
            items: msgs,
            bad: true,
        });
    }
}

fn echo(s: &mut RunSummary, w: &Value) {
    let n = len_of(w.get("errors")).unwrap_or(0);
    if s.key_figure.is_none() {
        s.key_figure = Some(format!("{n} echo errors"));
    }
    push_list(s, "echo errors", w.get("errors"), None, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(workload: &str, edn: &str) -> RunSummary {
        let mut s = RunSummary::new(workload, "x");
        apply(&mut s, &glomers_model::parse(edn).unwrap());
        s
    }

    #[test]
    fn broadcast_mixed_keys() {
        let s = run(
            "broadcast",
            "{:lost-count 2 :lost (3 4) :attempt-count 9 \
             :stable-latencies {0 0, 0.5 12, 0.95 30, 0.99 40, 1 50}}",
        );
        let q = s.stable_latency.unwrap();
        assert_eq!(
            (q.p0, q.p50, q.p99, q.max),
            (Some(0.0), Some(12.0), Some(40.0), Some(50.0))
        );
        assert_eq!(s.key_figure.as_deref(), Some("2 lost of 9"));
        assert_eq!(s.evidence[0].items, vec!["3", "4"]);
    }

    #[test]
    fn unique_ids_duplicates() {
        let s = run(
            "unique-ids",
            "{:duplicated-count 1 :acknowledged-count 5 :duplicated {\"a\" 2}}",
        );
        assert_eq!(
            s.key_figure.as_deref(),
            Some("1 duplicates of 5 acknowledged")
        );
        assert_eq!(s.evidence[0].total, Some(1));
    }

    #[test]
    fn txn_anomalies() {
        let s = run(
            "txn-rw-register",
            "{:valid? false :anomaly-types (:G2-item) :anomalies {:G2-item [{:cycle []}]}}",
        );
        assert_eq!(s.key_figure.as_deref(), Some("anomalies: :G2-item"));
        assert!(s.evidence.iter().any(|e| e.label == "anomaly :G2-item"));
    }

    #[test]
    fn crashed_checker() {
        let s = run(
            "kafka",
            "{:valid? :unknown :error \"java.lang.NPE\\n at x\"}",
        );
        assert_eq!(s.key_figure.as_deref(), Some("checker crashed"));
        assert_eq!(s.evidence[0].items, vec!["java.lang.NPE"]);
    }
}
