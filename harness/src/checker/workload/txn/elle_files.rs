//! The text files Elle writes into a txn run's `elle/` folder (Elle 0.2.2 `elle.txn/cycles!`
//! and `elle.core/write-cycles!`): one `<type>.txt` per reportable cycle anomaly type that has
//! cases, e.g. `elle/G1c.txt`, each case explained step by step:
//!
//! ```text
//! G1c #0
//! Let:
//!   T1 = {:index 26, :time 141655261, :type :ok, :process 0, :f :txn, :value [...]}
//!   T2 = {...}
//!
//! Then:
//!   - T1 < T2, because T1 wrote 8 = 5, which was read by T2.
//!   - However, T2 < T1, because T2 wrote 9 = 11, which was read by T1: a contradiction!
//! ```
//!
//! Cases are joined by two blank lines and the file has no final newline. The wording of each
//! step is the explainer's (rw-register or list-append data dependencies, realtime, process).
//! Elle also plots SCCs and cycles with Graphviz (`elle/sccs/*.svg`, `elle/<type>/*.svg`);
//! those are not written.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use glomers_model::Value;

use super::anomalies::cycle_types;
use super::report::{Anomalies, Opts};

/// Whose data explainer words the ww/wr/rw steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    RwRegister,
    ListAppend,
}

/// Writes `dir/elle/<type>.txt` for every reportable cycle anomaly type with cases.
pub(crate) fn write(
    dir: &Path,
    opts: &Opts,
    anomalies: &Anomalies,
    flavor: Flavor,
) -> io::Result<()> {
    let elle = dir.join("elle");
    for ty in cycle_types() {
        if !opts.reportable.contains(&ty.name) {
            continue;
        }
        let Some(cases) = anomalies.get(&ty.name).and_then(Value::as_seq) else {
            continue;
        };
        if cases.is_empty() {
            continue;
        }
        std::fs::create_dir_all(&elle)?;
        std::fs::write(elle.join(format!("{}.txt", ty.name)), render(cases, flavor))?;
    }
    Ok(())
}

/// Whether an anomaly name is one of Elle's cycle types (the ones that get a text file).
pub fn is_cycle_type(name: &str) -> bool {
    cycle_types().iter().any(|t| t.name == name)
}

/// The text of one `<type>.txt`: every case (`{:cycle [...] :steps (...) :type t}`) in order.
pub fn render(cases: &[Value], flavor: Flavor) -> String {
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let ty = case
                .get("type")
                .and_then(Value::as_keyword)
                .unwrap_or("Cycle");
            format!("{ty} #{i}\n{}", render_case(case, flavor))
        })
        .collect::<Vec<_>>()
        .join("\n\n\n")
}

fn render_case(case: &Value, flavor: Flavor) -> String {
    let cycle = case
        .get("cycle")
        .and_then(Value::as_seq)
        .unwrap_or_default();
    let steps = case
        .get("steps")
        .and_then(Value::as_seq)
        .unwrap_or_default();
    // The cycle repeats its first op at the end; the binding names the others T1..Tn.
    let ops = &cycle[..cycle.len().saturating_sub(1)];
    let names: Vec<String> = (1..=ops.len()).map(|i| format!("T{i}")).collect();
    let mut out = String::from("Let:\n");
    let binding: Vec<String> = names
        .iter()
        .zip(ops)
        .map(|(n, op)| format!("  {n} = {}", untagged(op)))
        .collect();
    out.push_str(&binding.join("\n"));
    out.push_str("\n\nThen:\n");
    let n = steps.len();
    for (i, step) in steps.iter().enumerate() {
        let a = names
            .get(i % names.len().max(1))
            .map_or("?", String::as_str);
        let b = names
            .get((i + 1) % names.len().max(1))
            .map_or("?", String::as_str);
        let why = explain(step, a, b, flavor);
        if i + 1 == n {
            let _ = write!(
                out,
                "  - However, {a} < {b}, because {why}: a contradiction!"
            );
        } else {
            let _ = writeln!(out, "  - {a} < {b}, because {why}.");
        }
    }
    out
}

/// An op as Clojure prints a history op: the plain map.
fn untagged(v: &Value) -> String {
    match v {
        Value::Tagged(_, inner) => inner.to_string(),
        other => other.to_string(),
    }
}

fn field(step: &Value, key: &str) -> String {
    step.get(key)
        .map_or_else(|| "nil".to_string(), Value::to_string)
}

/// One step's reason, worded as the explainer that produced it.
fn explain(step: &Value, a: &str, b: &str, flavor: Flavor) -> String {
    let key = field(step, "key");
    let value = field(step, "value");
    let value2 = field(step, "value'");
    match (step.get("type").and_then(Value::as_keyword), flavor) {
        (Some("realtime"), _) => realtime(step, a, b),
        (Some("process"), _) => format!("process {} executed {a} before {b}", field(step, "process")),
        (Some("wr"), Flavor::RwRegister) => {
            format!("{a} wrote {key} = {value}, which was read by {b}")
        }
        (Some("ww"), Flavor::RwRegister) => format!(
            "{a} set key {key} to {value}, and {b} set it to {value2}, which came later in the version order"
        ),
        (Some("rw"), Flavor::RwRegister) => format!(
            "{a} read key {key} = {value}, and {b} set it to {value2}, which came later in the version order"
        ),
        (Some("ww"), Flavor::ListAppend) => {
            format!("{b} appended {value2} after {a} appended {value} to {key}")
        }
        (Some("wr"), Flavor::ListAppend) => {
            format!("{b} observed {a}'s append of {value} to key {key}")
        }
        (Some("rw"), Flavor::ListAppend) => {
            if step.get("value").and_then(Value::as_keyword) == Some("elle.list-append/init") {
                format!(
                    "{a} observed the initial (nil) state of {key}, which {b} created by appending {value2}"
                )
            } else {
                format!("{a} did not observe {b}'s append of {value2} to {key}")
            }
        }
        _ => format!("{a} precedes {b} ({step})"),
    }
}

/// `T1 completed at index 5, 0.004 seconds before the invocation of T2, at index 7`.
fn realtime(step: &Value, a: &str, b: &str) -> String {
    let done = step.get("a'");
    let invoke = step.get("b");
    let index = |op: Option<&Value>| {
        op.and_then(|o| o.get("index"))
            .map_or_else(|| "nil".into(), Value::to_string)
    };
    let time = |op: Option<&Value>| op.and_then(|o| o.get("time")).and_then(Value::as_i64);
    let gap = match (time(done), time(invoke)) {
        (Some(t0), Some(t1)) if t1 > t0 => format!(" {:.3} seconds", (t1 - t0) as f64 / 1e9),
        (Some(_), Some(_)) => " just".to_string(),
        _ => String::new(),
    };
    format!(
        "{a} completed at index {},{gap} before the invocation of {b}, at index {}",
        index(done),
        index(invoke)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_model::edn;

    fn case(text: &str) -> Value {
        edn::parse(text).unwrap()
    }

    #[test]
    fn renders_a_two_step_cycle_like_elle() {
        let c = case(
            "{:cycle [{:index 1, :time 10, :type :ok, :process 0, :f :txn, :value [[:r 9 2] [:w 8 5]]} \
              {:index 3, :time 30, :type :ok, :process 1, :f :txn, :value [[:r 8 5] [:w 9 2]]} \
              {:index 1, :time 10, :type :ok, :process 0, :f :txn, :value [[:r 9 2] [:w 8 5]]}] \
              :steps ({:type :wr, :key 8, :value 5} {:type :wr, :key 9, :value 2}) :type :G1c}",
        );
        assert_eq!(
            render(&[c.clone(), c], Flavor::RwRegister),
            "G1c #0\nLet:\n  T1 = {:index 1, :time 10, :type :ok, :process 0, :f :txn, :value [[:r 9 2] [:w 8 5]]}\n  \
             T2 = {:index 3, :time 30, :type :ok, :process 1, :f :txn, :value [[:r 8 5] [:w 9 2]]}\n\nThen:\n  \
             - T1 < T2, because T1 wrote 8 = 5, which was read by T2.\n  \
             - However, T2 < T1, because T2 wrote 9 = 2, which was read by T1: a contradiction!\n\n\n\
             G1c #1\nLet:\n  T1 = {:index 1, :time 10, :type :ok, :process 0, :f :txn, :value [[:r 9 2] [:w 8 5]]}\n  \
             T2 = {:index 3, :time 30, :type :ok, :process 1, :f :txn, :value [[:r 8 5] [:w 9 2]]}\n\nThen:\n  \
             - T1 < T2, because T1 wrote 8 = 5, which was read by T2.\n  \
             - However, T2 < T1, because T2 wrote 9 = 2, which was read by T1: a contradiction!"
        );
    }

    #[test]
    fn words_each_step_kind() {
        let s = |t: &str| case(t);
        assert_eq!(
            explain(
                &s("{:type :realtime, :a' {:index 4 :time 1000000} :b {:index 6 :time 5000000}}"),
                "T1",
                "T2",
                Flavor::RwRegister
            ),
            "T1 completed at index 4, 0.004 seconds before the invocation of T2, at index 6"
        );
        assert_eq!(
            explain(
                &s("{:type :realtime, :a' {:index 4 :time 9} :b {:index 6 :time 9}}"),
                "T1",
                "T2",
                Flavor::RwRegister
            ),
            "T1 completed at index 4, just before the invocation of T2, at index 6"
        );
        assert_eq!(
            explain(
                &s("{:type :process, :process 3}"),
                "T2",
                "T3",
                Flavor::ListAppend
            ),
            "process 3 executed T2 before T3"
        );
        assert_eq!(
            explain(
                &s("{:type :rw, :key 15, :value nil, :value' 1}"),
                "T3",
                "T1",
                Flavor::RwRegister
            ),
            "T3 read key 15 = nil, and T1 set it to 1, which came later in the version order"
        );
        assert_eq!(
            explain(
                &s("{:type :ww, :key 12, :value 3, :value' 4}"),
                "T1",
                "T2",
                Flavor::ListAppend
            ),
            "T2 appended 4 after T1 appended 3 to 12"
        );
        assert_eq!(
            explain(
                &s("{:type :rw, :key 2, :value :elle.list-append/init, :value' 7}"),
                "T1",
                "T2",
                Flavor::ListAppend
            ),
            "T1 observed the initial (nil) state of 2, which T2 created by appending 7"
        );
        assert_eq!(
            explain(
                &s("{:type :rw, :key 2, :value 3, :value' 7}"),
                "T1",
                "T2",
                Flavor::ListAppend
            ),
            "T1 did not observe T2's append of 7 to 2"
        );
    }
}
