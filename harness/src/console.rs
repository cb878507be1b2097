//! Console output: one progress line while a run is going (refreshed in place on a TTY,
//! a plain line every few seconds otherwise), phase notes, echoed node stderr, and the final
//! summary (verdict words, key figures, store path).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use glomers_model::Value;
use tokio::time::{Duration, Instant};

use crate::history::History;
use crate::nemesis::Nemesis;

/// Whether a progress line is on screen (TTY only) and must be cleared before other output.
static LINE_SHOWN: AtomicBool = AtomicBool::new(false);

fn tty() -> bool {
    std::io::stderr().is_terminal()
}

fn clear_line() {
    if LINE_SHOWN.swap(false, Ordering::Relaxed) {
        eprint!("\r\x1b[2K");
    }
}

/// Print a line to the console without garbling the progress line (an empty text only
/// clears the progress line).
pub fn note(text: &str) {
    clear_line();
    if !text.is_empty() {
        eprintln!("{text}");
    }
}

/// A phase marker ("Waiting for recovery...").
pub fn phase(text: &str) {
    note(text);
}

/// A node's stderr line (`--log-stderr`).
pub fn stderr_line(thread: &str, line: &str) {
    note(&format!("[{thread}] {line}"));
}

/// Render the progress line.
pub fn progress_line(
    h: &History,
    elapsed: Duration,
    limit: u64,
    partition: Option<&str>,
) -> String {
    let c = &h.counters;
    let inv = c.invoke.load(Ordering::Relaxed);
    let ok = c.ok.load(Ordering::Relaxed);
    let fail = c.fail.load(Ordering::Relaxed);
    let info = c.info.load(Ordering::Relaxed);
    let secs = elapsed.as_secs();
    let phase = if secs > limit { " (final phase)" } else { "" };
    let part = match partition {
        Some(p) => format!("partition: {p}"),
        None => "network: healed".to_string(),
    };
    format!("[{secs:>3}s/{limit}s{phase}] ops {inv} (ok {ok}, fail {fail}, info {info}) | {part}")
}

/// Show progress until `stop` is set (or the task is aborted).
pub async fn progress(
    h: Arc<History>,
    nemesis: Option<Arc<Nemesis>>,
    limit: u64,
    stop: Arc<AtomicBool>,
) {
    let is_tty = tty();
    let every = if is_tty {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(5)
    };
    let mut tick = tokio::time::interval_at(Instant::now() + every, every);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let part = nemesis
            .as_ref()
            .and_then(|n| n.state.lock().unwrap_or_else(|p| p.into_inner()).clone());
        let line = progress_line(
            &h,
            Instant::now().saturating_duration_since(h.t0()),
            limit,
            part.as_deref(),
        );
        if is_tty {
            eprint!("\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
            LINE_SHOWN.store(true, Ordering::Relaxed);
        } else {
            eprintln!("{line}");
        }
    }
    clear_line();
}

/// Maelstrom's closing words for a `:valid?` value.
pub fn verdict_words(valid: Option<&Value>) -> &'static str {
    match valid {
        Some(Value::Bool(true)) => "Everything looks good! ヽ(‘ー`)ノ",
        Some(Value::Bool(false)) => "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻",
        _ => "Errors occurred during analysis, but no anomalies found. ಠ~ಠ",
    }
}

fn fmt_num(v: Option<&Value>) -> String {
    match v {
        Some(Value::Float(x)) => format!("{x:.3}"),
        Some(v) => v.to_string(),
        None => "-".into(),
    }
}

/// The end-of-run summary.
pub fn summary(results: &Value, store_dir: &std::path::Path) -> String {
    let mut out = String::new();
    out.push_str(verdict_words(results.get("valid?")));
    out.push('\n');
    let stats = results.get("stats");
    let g = |k: &str| fmt_num(stats.and_then(|s| s.get(k)));
    out.push_str(&format!(
        "  ops: {} (ok {}, fail {}, info {})   availability: {}\n",
        g("count"),
        g("ok-count"),
        g("fail-count"),
        g("info-count"),
        fmt_num(results.get_in(&["availability", "ok-fraction"])),
    ));
    out.push_str(&format!(
        "  msgs-per-op: servers {}, all {}\n",
        fmt_num(results.get_in(&["net", "servers", "msgs-per-op"])),
        fmt_num(results.get_in(&["net", "all", "msgs-per-op"])),
    ));
    if let Some(w) = results.get("workload") {
        let keys = [
            "stable-latencies",
            "lost-count",
            "stale-count",
            "never-read-count",
            "duplicated-count",
            "acknowledged-count",
            "range",
            "final-reads",
            "acceptable",
            "errors",
            "anomaly-types",
            "bad-error-types",
        ];
        let mut parts = vec![format!("valid? {}", fmt_num(w.get("valid?")))];
        for k in keys {
            if let Some(v) = w.get(k) {
                let s = v.to_string();
                let s = if s.chars().count() > 120 {
                    format!("{}…", s.chars().take(120).collect::<String>())
                } else {
                    s
                };
                parts.push(format!("{k} {s}"));
            }
        }
        out.push_str(&format!("  workload: {}\n", parts.join(", ")));
    }
    let invalid: Vec<String> = results
        .as_map()
        .unwrap_or_default()
        .iter()
        .filter(|(k, v)| {
            k.as_keyword() != Some("valid?") && v.get("valid?") != Some(&Value::Bool(true))
        })
        .map(|(k, v)| format!("{} {}", k, fmt_num(v.get("valid?"))))
        .collect();
    if !invalid.is_empty() {
        out.push_str(&format!("  not valid: {}\n", invalid.join(", ")));
    }
    out.push_str(&format!("  store: {}\n", store_dir.display()));
    out
}
