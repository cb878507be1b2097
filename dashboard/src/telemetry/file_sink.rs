//! Reads what the nodes' file sink writes (node/src/telemetry/file_sink.rs):
//! `<root>/<node-id>/<start-unix-ms>-<pid>/{meta.json, spans.jsonl, metrics.prom}`.
//! `spans.jsonl` grows while a run goes on, so it is read from a byte offset up to its last
//! complete line (a killed node may leave a torn last line; lines that do not parse are
//! skipped and counted).

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::records::{is_client_id, SpanIn};

pub const META_FILE: &str = "meta.json";
pub const SPANS_FILE: &str = "spans.jsonl";
pub const METRICS_FILE: &str = "metrics.prom";

/// Most bytes of `spans.jsonl` parsed in one go (the rest follows in further chunks).
pub const CHUNK_BYTES: u64 = 8 * 1024 * 1024;
/// Largest `meta.json` / `metrics.prom` read.
pub const SMALL_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// `meta.json`: who wrote a node folder and when.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Meta {
    #[serde(default)]
    pub node_id: Option<String>,
    #[serde(default)]
    pub node_ids: Vec<String>,
    #[serde(default)]
    pub binary: Option<String>,
    #[serde(default)]
    pub service_name: Option<String>,
    #[serde(default)]
    pub pid: Option<i64>,
    #[serde(default)]
    pub start_unix_ms: Option<i64>,
    #[serde(default)]
    pub last_flush_unix_ms: Option<i64>,
}

/// The node process folders under a file-sink root (`<root>/<node>/<start>-<pid>/`), sorted.
/// Symlinks and hidden entries are skipped.
pub fn node_folders(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(nodes) = fs::read_dir(root) else {
        return out;
    };
    for node in nodes.flatten() {
        if !plain_dir(&node) {
            continue;
        }
        let Ok(procs) = fs::read_dir(node.path()) else {
            continue;
        };
        for p in procs.flatten() {
            let path = p.path();
            if plain_dir(&p) && (path.join(META_FILE).is_file() || path.join(SPANS_FILE).is_file())
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn plain_dir(e: &fs::DirEntry) -> bool {
    let hidden = e.file_name().to_string_lossy().starts_with('.');
    !hidden
        && e.file_type()
            .map(|t| t.is_dir() && !t.is_symlink())
            .unwrap_or(false)
}

/// `meta.json` of a folder; when missing or unreadable, what the folder names say
/// (`<node>/<start-ms>-<pid>`).
pub fn read_meta(folder: &Path) -> (Meta, Option<String>) {
    let from_names = || {
        let node_id = folder
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned());
        let name = folder.file_name().map(|n| n.to_string_lossy().into_owned());
        let (start, pid) = name
            .as_deref()
            .and_then(|n| n.split_once('-'))
            .map(|(a, b)| (a.parse().ok(), b.parse().ok()))
            .unwrap_or((None, None));
        Meta {
            node_id,
            start_unix_ms: start,
            pid,
            ..Meta::default()
        }
    };
    let path = folder.join(META_FILE);
    match fs::symlink_metadata(&path) {
        Ok(md) if md.is_file() && md.len() <= SMALL_FILE_BYTES => {}
        Ok(_) => {
            return (
                from_names(),
                Some("meta.json is not a small regular file".into()),
            )
        }
        Err(_) => return (from_names(), Some("no meta.json".into())),
    }
    match fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Meta>(&t).map_err(|e| e.to_string()))
    {
        Ok(mut m) => {
            let names = from_names();
            m.node_id = m.node_id.or(names.node_id);
            m.start_unix_ms = m.start_unix_ms.or(names.start_unix_ms);
            m.pid = m.pid.or(names.pid);
            (m, None)
        }
        Err(e) => (from_names(), Some(format!("meta.json unreadable: {e}"))),
    }
}

/// Sizes and mtimes of the folder's files: unchanged means nothing new to read.
pub fn fingerprint(folder: &Path) -> String {
    let mut parts = Vec::new();
    for name in [META_FILE, SPANS_FILE, METRICS_FILE] {
        if let Ok(md) = fs::symlink_metadata(folder.join(name)) {
            let mtime = md
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            parts.push(format!("{name}:{}:{mtime}", md.len()));
        }
    }
    parts.join(";")
}

/// Size of `spans.jsonl` (0 when absent or not a regular file).
pub fn spans_len(folder: &Path) -> u64 {
    match fs::symlink_metadata(folder.join(SPANS_FILE)) {
        Ok(md) if md.is_file() => md.len(),
        _ => 0,
    }
}

/// One chunk of `spans.jsonl` from `offset`: the spans of its complete lines, the offset
/// after the last complete line, and how many lines did not parse. `None` when the file
/// cannot be read.
pub struct Chunk {
    pub spans: Vec<SpanIn>,
    pub next_offset: u64,
    pub skipped: usize,
}

pub fn read_spans_chunk(folder: &Path, offset: u64) -> Option<Chunk> {
    let path = folder.join(SPANS_FILE);
    if !fs::symlink_metadata(&path).ok()?.is_file() {
        return None;
    }
    let mut f = File::open(&path).ok()?;
    f.seek(SeekFrom::Start(offset)).ok()?;
    let mut buf = Vec::new();
    f.take(CHUNK_BYTES).read_to_end(&mut buf).ok()?;
    let complete = match buf.iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        // One line longer than a chunk cannot be stored; skip it whole once it is complete.
        None if buf.len() as u64 >= CHUNK_BYTES => {
            return Some(Chunk {
                spans: Vec::new(),
                next_offset: offset + buf.len() as u64,
                skipped: 1,
            })
        }
        None => 0,
    };
    let mut spans = Vec::new();
    let mut skipped = 0;
    for line in buf[..complete].split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_span_line(line) {
            Some(s) => spans.push(s),
            None => skipped += 1,
        }
    }
    Some(Chunk {
        spans,
        next_offset: offset + complete as u64,
        skipped,
    })
}

#[derive(Deserialize)]
struct FileSpan<'a> {
    trace_id: &'a str,
    span_id: &'a str,
    #[serde(default)]
    parent_span_id: Option<&'a str>,
    name: String,
    start_unix_nano: u64,
    end_unix_nano: u64,
    #[serde(default, borrow)]
    attributes: Option<&'a RawValue>,
    #[serde(default)]
    status: Option<&'a str>,
}

fn hex_id(s: &str, len: usize) -> Option<String> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// One `spans.jsonl` line, or None when it is not a span.
pub fn parse_span_line(line: &[u8]) -> Option<SpanIn> {
    let s: FileSpan = serde_json::from_slice(line).ok()?;
    let attrs = s.attributes.map(RawValue::get).unwrap_or("{}");
    let client_root = s.parent_span_id.is_none() && msg_src_is_client(attrs);
    Some(SpanIn {
        trace_id: hex_id(s.trace_id, 32)?,
        span_id: hex_id(s.span_id, 16)?,
        parent_span_id: match s.parent_span_id {
            Some(p) => Some(hex_id(p, 16)?),
            None => None,
        },
        name: s.name,
        start_ns: s.start_unix_nano.min(i64::MAX as u64) as i64,
        end_ns: s.end_unix_nano.min(i64::MAX as u64) as i64,
        attrs_json: attrs.to_string(),
        error: s.status == Some("error"),
        client_root,
    })
}

fn msg_src_is_client(attrs_json: &str) -> bool {
    #[derive(Deserialize)]
    struct Src<'a> {
        #[serde(rename = "msg.src", default, borrow)]
        src: Option<&'a str>,
    }
    serde_json::from_str::<Src>(attrs_json)
        .ok()
        .and_then(|s| s.src)
        .is_some_and(is_client_id)
}

/// `metrics.prom`, when it is a small regular file.
pub fn read_metrics(folder: &Path) -> Option<String> {
    let path = folder.join(METRICS_FILE);
    let md = fs::symlink_metadata(&path).ok()?;
    if !md.is_file() || md.len() > SMALL_FILE_BYTES {
        return None;
    }
    fs::read_to_string(path).ok()
}

/// The mtime of `metrics.prom` (unix ms): when its values were taken.
pub fn metrics_time_ms(folder: &Path) -> Option<i64> {
    let md = fs::metadata(folder.join(METRICS_FILE)).ok()?;
    let t = md.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(t.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00f067aa0ba902b7","name":"handle","start_unix_nano":10,"end_unix_nano":30,"attributes":{"msg.type":"echo","msg.src":"c1"}}"#;

    #[test]
    fn span_lines() {
        let s = parse_span_line(LINE.as_bytes()).unwrap();
        assert_eq!(s.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(s.client_root);
        assert_eq!(s.attrs_json, r#"{"msg.type":"echo","msg.src":"c1"}"#);
        assert!(parse_span_line(b"{\"trace_id\":\"zz\"}").is_none());
        let child = LINE.replace(
            r#""name""#,
            r#""parent_span_id":"00f067aa0ba902b8","status":"error","name""#,
        );
        let c = parse_span_line(child.as_bytes()).unwrap();
        assert!(!c.client_root && c.error);
    }

    #[test]
    fn chunk_stops_at_torn_line_and_folder_names_stand_in_for_meta() {
        let tmp = tempfile::tempdir().unwrap();
        let folder = tmp.path().join("n3/1700000000000-42");
        fs::create_dir_all(&folder).unwrap();
        fs::write(
            folder.join(SPANS_FILE),
            format!("{LINE}\nnot json\n{}", &LINE[..20]),
        )
        .unwrap();
        let c = read_spans_chunk(&folder, 0).unwrap();
        assert_eq!((c.spans.len(), c.skipped), (1, 1));
        assert_eq!(c.next_offset as usize, LINE.len() + 10);
        let again = read_spans_chunk(&folder, c.next_offset).unwrap();
        assert_eq!((again.spans.len(), again.next_offset), (0, c.next_offset));
        let (meta, problem) = read_meta(&folder);
        assert!(problem.is_some());
        assert_eq!(meta.node_id.as_deref(), Some("n3"));
        assert_eq!(
            (meta.start_unix_ms, meta.pid),
            (Some(1700000000000), Some(42))
        );
        assert_eq!(node_folders(tmp.path()), vec![folder]);
    }
}
