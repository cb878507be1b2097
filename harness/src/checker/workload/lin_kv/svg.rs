//! `linear.svg` for a key that is not linearizable: a plain rendering of the moment the
//! search failed (Knossos draws a richer one). One lane per process; every op of the key
//! that was open between the earliest pending invocation of the last configurations and the
//! op that could not be linearized is drawn as a bar from invocation to completion (`:info`
//! bars run to the right edge), labelled `f value`; that op is red, others by outcome (ok
//! blue, info orange). Below, each final path is listed as text: the ops in order and the
//! model each leads to, ending in the inconsistent state.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use glomers_model::{Op, OpType, Process, Value};

use crate::checker::timeline::escape;
use crate::checker::util::Pairs;

const LANE: usize = 26;
const WIDTH: usize = 1000;
const LEFT: usize = 80;

fn index_of(v: Option<&Value>) -> Option<u64> {
    v.and_then(|op| op.get("index"))
        .and_then(Value::as_i64)
        .map(|i| i as u64)
}

/// The SVG page for one key's subhistory and its `:linearizable` result.
pub fn render(sub: &[Op], analysis: &Value) -> String {
    let failing = index_of(analysis.get("op"));
    let mut start = failing.unwrap_or(0);
    for c in analysis
        .get("configs")
        .and_then(Value::as_seq)
        .unwrap_or_default()
    {
        for p in c.get("pending").and_then(Value::as_seq).unwrap_or_default() {
            if let Some(i) = index_of(Some(p)) {
                start = start.min(i);
            }
        }
        if let Some(i) = index_of(c.get("last-op")) {
            start = start.min(i);
        }
    }
    let end = failing.unwrap_or(u64::MAX);
    let pairs = Pairs::new(sub);
    // (invoke op, completion op) for ops overlapping [start, end].
    let mut bars: Vec<(&Op, Option<&Op>)> = Vec::new();
    for (i, op) in sub.iter().enumerate() {
        if op.typ != OpType::Invoke || !matches!(op.process, Process::Client(_)) {
            continue;
        }
        let done = pairs.partner(i).map(|j| &sub[j]);
        let done_index = done.map_or(u64::MAX, |d| d.index);
        if op.index <= end && done_index >= start && done.is_none_or(|d| d.typ != OpType::Fail) {
            bars.push((op, done));
        }
    }
    let lanes: BTreeMap<u64, usize> = {
        let mut ps: Vec<u64> = bars
            .iter()
            .filter_map(|(o, _)| match o.process {
                Process::Client(p) => Some(p),
                Process::Nemesis => None,
            })
            .collect();
        ps.sort_unstable();
        ps.dedup();
        ps.into_iter().enumerate().map(|(i, p)| (p, i)).collect()
    };
    let t0 = bars.iter().map(|(o, _)| o.time).min().unwrap_or(0);
    let t1 = bars
        .iter()
        .map(|(o, d)| d.map_or(o.time, |d| d.time))
        .max()
        .unwrap_or(t0)
        .max(t0 + 1);
    let x =
        |t: u64| LEFT + ((t - t0) as f64 / (t1 - t0) as f64 * (WIDTH - LEFT - 20) as f64) as usize;
    let paths = analysis
        .get("final-paths")
        .and_then(Value::as_seq)
        .unwrap_or_default();
    let height = 40 + lanes.len() * LANE + 30 + paths.len() * 18 + 20;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="13">Not linearizable: no order of these ops explains the red one</text>"#
    );
    for (p, lane) in &lanes {
        let _ = writeln!(
            s,
            r#"<text x="10" y="{}">process {p}</text>"#,
            40 + lane * LANE + 15
        );
    }
    for (inv, done) in &bars {
        let Process::Client(p) = inv.process else {
            continue;
        };
        let y = 40 + lanes[&p] * LANE;
        let x0 = x(inv.time);
        let x1 = done.map_or(WIDTH - 10, |d| x(d.time)).max(x0 + 4);
        let is_failing = done.is_some_and(|d| Some(d.index) == failing);
        let fill = match (is_failing, done.map(|d| d.typ)) {
            (true, _) => "#FF6B6B",
            (_, Some(OpType::Ok)) => "#6DB6FE",
            _ => "#FFAA26",
        };
        let value = done
            .filter(|d| d.typ == OpType::Ok)
            .map_or(&inv.value, |d| &d.value);
        let label = escape(&format!("{} {}", inv.f, value));
        let _ = writeln!(
            s,
            r#"<rect x="{x0}" y="{y}" width="{}" height="{}" fill="{fill}" rx="2"><title>{label} (index {}..{})</title></rect><text x="{}" y="{}">{label}</text>"#,
            x1 - x0,
            LANE - 6,
            inv.index,
            done.map_or("∞".to_string(), |d| d.index.to_string()),
            x0 + 3,
            y + 14
        );
    }
    let mut y = 40 + lanes.len() * LANE + 30;
    for path in paths {
        let steps: Vec<String> = path
            .as_seq()
            .unwrap_or_default()
            .iter()
            .map(|t| {
                let op = t.get("op").filter(|o| **o != Value::Nil);
                let model = t.get("model").cloned().unwrap_or(Value::Nil);
                let model = match model {
                    Value::Tagged(_, inner) => *inner,
                    m => m,
                };
                match op {
                    Some(o) => format!(
                        "{} {} → {}",
                        o.get("f").map_or(String::new(), |f| f.to_string()),
                        o.get("value").map_or(String::new(), |v| v.to_string()),
                        model
                    ),
                    None => format!("{model}"),
                }
            })
            .collect();
        let _ = writeln!(
            s,
            r#"<text x="10" y="{y}">{}</text>"#,
            escape(&steps.join("  ⇒  "))
        );
        y += 18;
    }
    s.push_str("</svg>\n");
    s
}
