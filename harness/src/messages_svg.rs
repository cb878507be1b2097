//! `messages.svg` (MAELSTROM.md §5.4): a Lamport diagram of the run's first network events, as
//! Maelstrom draws it. One evenly spaced column per endpoint (clients, then nodes, in numeric
//! order, then services), one 20 px row per journal event (the first [`DRAWN`], `init` traffic
//! left out), and one arrow per delivered message from its send row to its receive row: light
//! blue when a client is an end, pink for `error` bodies, black otherwise. Each arrow's
//! `<title>` reads `src → dest {body}` (the body as Maelstrom prints it), which is what the
//! dashboard counts message types from; its label is the type and the body's other fields,
//! cut to 48 characters. A message sent but never delivered (dropped by a partition, or in
//! flight at the end) has no arrow. When the run had more events, a notice closes the diagram.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use glomers_model::Value;

// Text is escaped without its quotes, as in Maelstrom's titles, which the dashboard reads;
// every attribute value here is a number or a colour.
use crate::checker::timeline::escape_text as esc;
use crate::journal::{is_client, Event, DRAWN};

const WIDTH: f64 = 1200.0;
const ROW: f64 = 20.0;
/// Node names are repeated every this many rows.
const LABEL_EVERY: usize = 50;
/// Characters of an arrow's label, at most.
const LABEL_CHARS: usize = 48;

const STYLE: &str = "
svg {
  font-family: Helvetica, Arial, sans-serif;
  font-size: 11px;
}
rect {
  stroke-linecap: butt;
  stroke-width: 3;
  stroke: #fff;
}
rect:hover {
  stroke: #fff;
}
polygon { fill: #000; }";

/// The arrowhead and the white glow behind labels.
const DEFS: &str = concat!(
    r##"<defs ><polygon id="ahead" points="0 0, -12 4, -12 -4" />"##,
    r##"<filter id="glow" x="0" y="0" ><feGaussianBlur in="SourceAlpha" stdDeviation="2" result="blurred" />"##,
    r##"<feFlood flood-color="#fff" /><feComposite operator="in" in2="blurred" />"##,
    r##"<feComponentTransfer ><feFuncA type="linear" slope="10" intercept="0" /></feComponentTransfer>"##,
    r##"<feMerge ><feMergeNode /><feMergeNode in="SourceGraphic" /></feMerge></filter></defs>"##,
);

/// Column order: ids of the form `<letters><digits>` by letters then number (`c1 c2 n1
/// n2 n10`), others (services) after them by name.
fn column_key(id: &str) -> (u8, String, u64) {
    let digits_at = id.find(|c: char| c.is_ascii_digit());
    if let Some(i) = digits_at.filter(|&i| i > 0) {
        let num: String = id[i..].chars().take_while(char::is_ascii_digit).collect();
        if id[..i].chars().all(|c| c.is_alphanumeric() || c == '_') {
            if let Ok(n) = num.parse() {
                return (0, id[..i].to_string(), n);
            }
        }
    }
    (1, id.to_string(), 0)
}

/// A number as the diagram writes coordinates (`300.0`, `596.3332407921454`).
fn num(v: f64) -> String {
    format!("{v:?}")
}

/// The body as Maelstrom prints it (first-level keys as keywords).
fn body_edn(e: &Event) -> Value {
    crate::edn_util::body_to_edn(&e.msg.body_json())
}

fn str_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::Str(s)) => s.clone(),
        Some(v) => v.print_str(),
        None => String::new(),
    }
}

/// An arrow's label: the type, then the error text or the other fields, cut with `…`.
fn label(body: &Value) -> String {
    let typ = str_of(body.get("type"));
    let rest = if typ == "error" {
        str_of(body.get("text"))
    } else {
        match body {
            Value::Map(pairs) => {
                let hidden = ["type", "msg_id", "in_reply_to"].map(Value::kw);
                Value::Map(
                    pairs
                        .iter()
                        .filter(|(k, _)| !hidden.contains(k))
                        .cloned()
                        .collect(),
                )
                .to_string()
            }
            other => other.to_string(),
        }
    };
    let desc = format!("{typ} {rest}");
    if desc.chars().count() <= LABEL_CHARS {
        desc
    } else {
        let mut cut: String = desc.chars().take(LABEL_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

struct Layout {
    columns: HashMap<String, usize>,
    count: usize,
}

impl Layout {
    fn x(&self, id: &str) -> f64 {
        let i = self.columns.get(id).copied().unwrap_or(0);
        (i as f64 + 0.5) / self.count.max(1) as f64 * WIDTH
    }
}

fn y(step: f64) -> f64 {
    ROW * (1.5 + step)
}

/// Renders the diagram of `events` (journal order, `init` traffic already left out; events
/// past [`DRAWN`] only mark the diagram as cut short).
pub fn render(events: &[Event]) -> String {
    let truncated = events.len() > DRAWN;
    let events = &events[..events.len().min(DRAWN)];
    let steps = events.len();
    let mut ids: Vec<&str> = Vec::new();
    for e in events {
        for id in [&*e.msg.src, &*e.msg.dest] {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids.sort_by_key(|id| column_key(id));
    let layout = Layout {
        columns: ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.to_string(), i))
            .collect(),
        count: ids.len(),
    };
    let height = ROW * (7 + steps) as f64;

    let mut out = String::with_capacity(512 + steps * 400);
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?><svg xmlns:svg="http://www.w3.org/2000/svg" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="2.0" width="{}" height="{}" >"#,
        WIDTH as u32, height as u64
    );
    let _ = write!(out, "<style >{STYLE}</style>{DEFS}");

    // Column names, repeated down the diagram.
    out.push_str("<g >");
    for id in &ids {
        for step in (0..steps).step_by(LABEL_EVERY) {
            let fill = if step == 0 { "#000" } else { "#aaa" };
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle" alignment-baseline="middle" fill="{fill}" >{}</text>"#,
                num(layout.x(id)),
                num(y(step as f64 - 0.5)),
                esc(id)
            );
        }
    }
    out.push_str("</g>");

    // One grey line per column.
    out.push_str("<g >");
    for id in &ids {
        let x = num(layout.x(id));
        let _ = write!(
            out,
            r##"<line stroke="#ccc" x1="{x}" y1="{}" x2="{x}" y2="{}" />"##,
            num(y(0.0)),
            num(y((steps + 1) as f64))
        );
    }
    out.push_str("</g>");

    // One arrow per delivered message, from its send row to its receive row.
    out.push_str("<g >");
    let mut sent: HashMap<u64, usize> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        let step = i + 1;
        if !e.recv {
            sent.insert(e.msg.id, step);
            continue;
        }
        let Some(&from) = sent.get(&e.msg.id) else {
            continue;
        };
        arrow(&mut out, &layout, e, from, step);
    }
    out.push_str("</g>");

    if truncated {
        let step = (steps + 2) as f64;
        let color = "#D96918";
        let _ = write!(
            out,
            r#"<g ><line x1="30" y1="{y0}" x2="{x2}" y2="{y0}" stroke-width="1" stroke="{color}" /><text x="{mid}" y="{y1}" fill="{color}" text-anchor="middle" >Additional network events not shown</text></g>"#,
            y0 = num(y(step)),
            x2 = WIDTH as u32 - 30,
            mid = WIDTH as u32 / 2,
            y1 = num(y(step + 1.0)),
        );
    }
    out.push_str("</svg>");
    out
}

fn arrow(out: &mut String, layout: &Layout, e: &Event, from: usize, to: usize) {
    let m = &e.msg;
    let (x0, y0) = (layout.x(&m.src), y(from as f64));
    let (x1, y1) = (layout.x(&m.dest), y(to as f64));
    let length = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
    let angle = (y1 - y0).atan2(x1 - x0).to_degrees();
    let leftward = !(-90.0 < angle && angle < 90.0);
    let body = body_edn(e);
    let typ = str_of(body.get("type"));
    let color = if typ == "error" {
        "#FF1E90"
    } else if is_client(&m.src) || is_client(&m.dest) {
        "#81BFFC"
    } else {
        "#000"
    };
    let half = num(length / 2.0);
    let flip = if leftward {
        format!("rotate(180 {half} 0)")
    } else {
        String::new()
    };
    let desc = esc(&label(&body));
    let _ = write!(
        out,
        r##"<g transform="translate({} {}) rotate({}) " ><rect x="0" y="-2.5" height="5" width="{}" fill="{color}" ><title >{} → {} {}</title></rect><use xlink:href="#ahead" x="{}" y="0" /><text text-anchor="middle" x="{half}" y="-4" transform="{flip}" filter="url(#glow)" style="fill: #fff" >{desc}</text><text text-anchor="middle" x="{half}" y="-4" transform="{flip}" >{desc}</text></g>"##,
        num(x0),
        num(y0),
        num(angle),
        num(length - 4.0),
        esc(&m.src),
        esc(&m.dest),
        esc(&body.to_string()),
        num(length),
    );
}

/// Writes `messages.svg` into the run folder `dir`.
pub fn write(dir: &Path, events: &[Event]) -> std::io::Result<()> {
    std::fs::write(dir.join("messages.svg"), render(events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Message;
    use serde_json::value::to_raw_value;
    use std::sync::Arc;

    fn msg(id: u64, src: &str, dest: &str, body: serde_json::Value) -> Message {
        Message {
            id,
            src: Arc::from(src),
            dest: Arc::from(dest),
            body: to_raw_value(&body).unwrap(),
        }
    }

    fn ev(recv: bool, m: &Message) -> Event {
        Event {
            recv,
            msg: m.clone(),
        }
    }

    fn titles(svg: &str) -> Vec<String> {
        svg.split("<title >")
            .skip(1)
            .map(|s| s[..s.find("</title>").unwrap()].to_string())
            .collect()
    }

    #[test]
    fn columns_are_clients_then_nodes_in_numeric_order_then_services() {
        let mut ids = vec!["seq-kv", "n10", "c2", "n2", "lin-kv", "n1", "c10"];
        ids.sort_by_key(|id| column_key(id));
        assert_eq!(ids, ["c2", "c10", "n1", "n2", "n10", "lin-kv", "seq-kv"]);
    }

    #[test]
    fn draws_delivered_messages_with_maelstrom_titles_colours_and_labels() {
        let req = msg(
            0,
            "c1",
            "n1",
            serde_json::json!({"type": "echo", "echo": "hi", "msg_id": 1}),
        );
        let gossip = msg(
            1,
            "n1",
            "n2",
            serde_json::json!({"type": "gossip", "values": [1, 2]}),
        );
        let lost = msg(
            2,
            "n2",
            "n1",
            serde_json::json!({"type": "gossip", "values": [3]}),
        );
        let err = msg(
            3,
            "n1",
            "c1",
            serde_json::json!({"type": "error", "code": 11, "text": "temporarily unavailable", "in_reply_to": 1}),
        );
        let long = msg(
            4,
            "n2",
            "seq-kv",
            serde_json::json!({"type": "cas", "key": "counter", "from": 123456789, "to": 987654321, "msg_id": 7}),
        );
        let events = [
            ev(false, &req),
            ev(false, &gossip),
            ev(true, &req),
            ev(false, &lost), // never delivered: no arrow
            ev(true, &gossip),
            ev(false, &err),
            ev(true, &err),
            ev(false, &long),
            ev(true, &long),
        ];
        let svg = render(&events);
        assert_eq!(
            titles(&svg),
            [
                r#"c1 → n1 {:echo "hi", :msg_id 1, :type "echo"}"#,
                r#"n1 → n2 {:type "gossip", :values [1 2]}"#,
                r#"n1 → c1 {:code 11, :in_reply_to 1, :text "temporarily unavailable", :type "error"}"#,
                r#"n2 → seq-kv {:from 123456789, :key "counter", :msg_id 7, :to 987654321, :type "cas"}"#,
            ]
        );
        // Colours: client traffic light blue, errors pink, the rest black.
        let fills: Vec<&str> = svg
            .split("<rect ")
            .skip(1)
            .map(|s| {
                let i = s.find("fill=\"").unwrap() + 6;
                &s[i..i + s[i..].find('"').unwrap()]
            })
            .collect();
        assert_eq!(fills, ["#81BFFC", "#000", "#FF1E90", "#000"]);
        // Labels: type + the other fields, errors their text, cut at 48 characters.
        assert!(svg.contains(r#">echo {:echo "hi"}</text>"#));
        assert!(svg.contains(">error temporarily unavailable</text>"));
        let cut = r#">cas {:from 123456789, :key "counter", :to 98765…</text>"#;
        assert!(svg.contains(cut), "{svg}");
        assert_eq!(cut.chars().count() - ">".len() - "</text>".len(), 48);
        // Columns c1, n1, n2, seq-kv over 1200 px; 9 rows; no truncation notice.
        assert!(svg.contains(r#"height="320""#));
        for x in ["150.0", "450.0", "750.0", "1050.0"] {
            assert!(
                svg.contains(&format!(r##"<line stroke="#ccc" x1="{x}""##)),
                "{x}"
            );
        }
        assert!(!svg.contains("Additional network events"));
        // The request goes right (no flip), the error reply left (label turned upright).
        assert!(svg.contains(r#"<g transform="translate(150.0 50.0) rotate("#));
        let arrows: Vec<&str> = svg.split("<g transform=").skip(1).collect();
        let err_arrow = arrows
            .iter()
            .find(|a| a.contains(">error temporarily"))
            .unwrap();
        assert!(err_arrow.contains("transform=\"rotate(180 "));
        assert!(!arrows[0].contains("rotate(180 "));
    }

    #[test]
    fn a_longer_journal_is_cut_with_a_notice() {
        let mut events = Vec::new();
        for i in 0..(DRAWN as u64 / 2 + 1) {
            let m = msg(i, "n1", "n2", serde_json::json!({"type": "ping"}));
            events.push(ev(false, &m));
            events.push(ev(true, &m));
        }
        let svg = render(&events);
        assert_eq!(titles(&svg).len(), DRAWN / 2);
        assert!(svg.contains("Additional network events not shown"));
        assert!(svg.contains(&format!(r#"height="{}""#, 20 * (DRAWN + 7))));
        // Column names every 50 rows: 200 per column.
        assert_eq!(svg.matches(">n1</text>").count(), DRAWN / LABEL_EVERY);
    }

    #[test]
    fn text_is_escaped() {
        let m = msg(
            0,
            "c1",
            "n1",
            serde_json::json!({"type": "echo", "echo": "<a & b>"}),
        );
        let svg = render(&[ev(false, &m), ev(true, &m)]);
        assert!(svg.contains(r#"{:echo "&lt;a &amp; b&gt;", :type "echo"}</title>"#));
        assert!(!svg.contains("<a & b>"));
    }
}
