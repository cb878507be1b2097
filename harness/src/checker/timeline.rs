//! `:timeline` (MAELSTROM.md §8.1): writes `timeline.html`, a self-contained page (inline CSS,
//! no scripts or external assets) showing the history as one column per process (the nemesis
//! first, then clients in ascending order) and one 16 px row per history entry. Each op is a
//! box from its invocation's row to its completion's row, coloured by outcome (ok blue, info
//! orange, fail pink, still pending grey); an `:info` completion's box runs to the bottom, as
//! the process never hears back. Hovering shows the op's details; each box is an anchor
//! (`#i<index>`). At most [`OP_LIMIT`] history entries are drawn. Result: `{:valid? true}`, or
//! `:unknown` with the error when the file cannot be written.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use glomers_model::{Op, OpType, Process, Value};

use super::util::{unknown_with_error, Pairs};
use super::RunFacts;

/// Maximum number of history entries rendered.
pub const OP_LIMIT: usize = 10_000;
const COL_WIDTH: usize = 100;
const GUTTER: usize = 106;
const ROW: usize = 16;

const STYLE: &str = "\
body { font-family: sans-serif; font-size: 11px; margin: 0; }
header { padding: 8px 12px; font-size: 13px; border-bottom: 1px solid #ddd; }
header span { display: inline-block; padding: 1px 6px; margin-right: 6px; border-radius: 2px; }
.heads { position: sticky; top: 0; height: 20px; background: #fff; z-index: 2; border-bottom: 1px solid #ddd; }
.head { position: absolute; width: 100px; font-weight: bold; text-align: center; line-height: 20px; }
.ops { position: relative; margin: 4px 12px; }
.op { position: absolute; box-sizing: border-box; padding: 2px; border-radius: 2px; overflow: hidden;
      box-shadow: 0 1px 3px rgba(0,0,0,0.12), 0 1px 2px rgba(0,0,0,0.24); color: #000; text-decoration: none; }
.op:hover, .op:target { box-shadow: 0 8px 16px rgba(0,0,0,0.3); z-index: 1; overflow: visible; }
.invoke { background: #eeeeee; }
.ok { background: #6DB6FE; }
.info { background: #FFAA26; }
.fail { background: #FEB5DA; }
";

/// EDN text of a value (the model's printer).
pub fn show(v: &Value) -> String {
    v.to_string()
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    escape_with(s, true)
}

/// Escapes text for HTML or XML content only: quotes stay as they are.
pub fn escape_text(s: &str) -> String {
    escape_with(s, false)
}

fn escape_with(s: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn process_label(p: Process) -> String {
    match p {
        Process::Client(n) => n.to_string(),
        Process::Nemesis => "nemesis".to_string(),
    }
}

fn op_details(op: &Op) -> String {
    let mut s = format!(
        "{{:process {}\n :type :{}\n :f :{}\n :index {}\n :time {}",
        process_label(op.process),
        op.typ.as_str(),
        op.f,
        op.index,
        op.time
    );
    for (k, v) in &op.extra {
        let mut text = show(v);
        if text.len() > 2000 {
            let mut cut = 2000;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str("...");
        }
        let _ = write!(s, "\n :{k} {text}");
    }
    let _ = write!(s, "\n :value {}}}", show(&op.value));
    s
}

/// The timeline page for a history.
pub fn render(history: &[Op], title: &str) -> String {
    let shown = &history[..history.len().min(OP_LIMIT)];
    let pairs = Pairs::new(shown);
    let processes: BTreeSet<(u8, u64)> = shown
        .iter()
        .map(|op| match op.process {
            Process::Nemesis => (0, 0),
            Process::Client(n) => (1, n),
        })
        .collect();
    let column = |p: Process| -> usize {
        let key = match p {
            Process::Nemesis => (0, 0),
            Process::Client(n) => (1, n),
        };
        processes.iter().position(|k| *k == key).unwrap_or(0)
    };
    let rows = shown.len();
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t} timeline</title>\
         <style>{STYLE}</style></head><body>\n<header><b>{t}</b> timeline: {n} ops{more} \
         &nbsp; <span class=\"ok\">ok</span><span class=\"info\">info</span>\
         <span class=\"fail\">fail</span><span class=\"invoke\">pending</span></header>\n",
        t = escape(title),
        n = rows,
        more = if history.len() > rows {
            format!(" (of {}, truncated)", history.len())
        } else {
            String::new()
        },
    );
    let width = processes.len() * GUTTER + COL_WIDTH;
    let _ = write!(
        html,
        "<div class=\"ops\" style=\"width:{width}px;height:{}px\">\n<div class=\"heads\">",
        rows * ROW + 24
    );
    for (i, (kind, n)) in processes.iter().enumerate() {
        let label = if *kind == 0 {
            "nemesis".to_string()
        } else {
            n.to_string()
        };
        let _ = write!(
            html,
            "<div class=\"head\" style=\"left:{}px\">{label}</div>",
            i * GUTTER
        );
    }
    html.push_str("</div>\n");
    for (i, op) in shown.iter().enumerate() {
        // One box per invoke (with its completion) and per unpaired entry.
        let partner = pairs.partner(i);
        if op.typ != OpType::Invoke && partner.is_some() {
            continue;
        }
        let stop = partner.map(|c| &shown[c]);
        let shown_op = stop.unwrap_or(op);
        let class = shown_op.typ.as_str();
        let height = match stop {
            Some(s) if s.typ == OpType::Info => (rows - i) * ROW,
            Some(_) => (partner.unwrap_or(i) - i).max(1) * ROW,
            None if op.typ == OpType::Invoke => (rows - i) * ROW,
            None => ROW,
        };
        let mut body = format!("{} {}", process_label(op.process), op.f);
        if op.process != Process::Nemesis {
            let _ = write!(body, " {}", show(&op.value));
        }
        if let Some(s) = stop {
            if s.value != op.value {
                let _ = write!(body, "\n{}", show(&s.value));
            }
        }
        let mut title = String::new();
        if let Some(s) = stop {
            let _ = writeln!(
                title,
                "Dur: {} ms",
                s.time.saturating_sub(op.time) / 1_000_000
            );
        }
        if let Some(e) = shown_op.extra("error") {
            let _ = writeln!(title, "Err: {}", show(e));
        }
        title.push_str(&op_details(shown_op));
        let body = escape(&body).replace('\n', "<br/>");
        let _ = writeln!(
            html,
            "<a class=\"op {class}\" id=\"i{idx}\" href=\"#i{idx}\" title=\"{title}\" \
             style=\"left:{left}px;top:{top}px;width:{COL_WIDTH}px;height:{height}px\">{body}</a>",
            idx = shown_op.index,
            title = escape(&title),
            left = column(op.process) * GUTTER,
            top = 20 + i * ROW,
        );
    }
    html.push_str("</div>\n</body></html>\n");
    html
}

/// The `:timeline` result; writes `timeline.html` into `facts.dir` when set.
pub fn check(history: &[Op], facts: &RunFacts) -> Value {
    if let Some(dir) = &facts.dir {
        let page = render(history, &facts.workload);
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(dir.join("timeline.html"), page));
        if let Err(e) = written {
            return unknown_with_error(format!("writing timeline.html: {e}"));
        }
    }
    glomers_model::edn_map! { "valid?" => Value::Bool(true) }
}
