//! The file sink: per node process, one folder of plain files that survive SIGKILL.
//!
//! ```text
//! $GLOMERS_TELEMETRY_DIR/                 (default ./glomers-telemetry, relative to the cwd)
//!   <node-id>/                            e.g. n0
//!     <start-unix-ms>-<pid>/              one node process (Maelstrom reuses node ids across runs)
//!       meta.json                         who wrote this folder and when (see below)
//!       spans.jsonl                       one finished span per line (appended every ≤ 1 s)
//!       metrics.prom                      latest Prometheus text snapshot (replaced every 1 s)
//! ```
//!
//! `meta.json`: `{"schema":1,"node_id":"n0","node_ids":["n0","n1"],"binary":"broadcast",
//! "service_name":"broadcast","service_version":"0.1.0+…","pid":4242,"start_unix_ms":…,"last_flush_unix_ms":…}`.
//! It is written at start and rewritten along with `metrics.prom`, at most every 5 s, so
//! `last_flush_unix_ms` trails the node's last activity by at most ~6 s (an idle node writes
//! nothing: on ext4 every replace-by-rename costs an inode, a writeback and a discard).
//! A run's nodes are the folders whose `[start_unix_ms, last_flush_unix_ms]` falls inside the
//! run's time window; under the harness the directory is the run's own `telemetry/` folder.
//!
//! `spans.jsonl` lines: `{"trace_id":"<32 hex>","span_id":"<16 hex>","parent_span_id":"<16 hex>"
//! (absent for roots),"parent_is_remote":true (only when the parent is on another node),
//! "name":"handle","start_unix_nano":…,"end_unix_nano":…,"attributes":{"msg.type":"broadcast",…},
//! "status":"error" (only on failure),"links":[{"trace_id":…,"span_id":…}] (only when present)}`.
//! A killed node may leave a torn last line: readers skip lines that do not parse.
//!
//! `metrics.prom` and `meta.json` are replaced whole, so a reader never sees half a file: the
//! new text is written to a hidden sibling (`.metrics.prom.next`) which is then swapped with
//! the visible file in one step (Linux `renameat2(RENAME_EXCHANGE)`; elsewhere, or where the
//! filesystem lacks it, a rename over the old file). Swapping keeps both inodes and their
//! blocks in use, where a rename over the old file would free one inode and allocate another
//! each second (on ext4 with `discard`, the costliest thing a busy node's telemetry did).
//! Both files stay open between snapshots, so a snapshot costs a `pwrite`, a `renameat2`
//! and, only when the text got shorter, an `ftruncate`.
//!
//! Spans reach the file through the SDK: [`FileSpans`] is a `SpanExporter` behind the
//! tracer provider's batch processor. `metrics.prom` and `meta.json` are written by a
//! thread of their own (`telemetry-file`), from the Prometheus registry every metric feeds.

#[cfg(target_os = "linux")]
use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use serde_json::json;

use super::deferred::Identity;
use super::record::SpanRecord;

pub(crate) const META_FILE: &str = "meta.json";
pub(crate) const SPANS_FILE: &str = "spans.jsonl";
pub(crate) const METRICS_FILE: &str = "metrics.prom";
/// `meta.json` is rewritten at most this often.
const META_EVERY: Duration = Duration::from_secs(5);

/// This process's folder under `base` (made absolute against the cwd).
pub(crate) fn folder(base: &Path, id: &Identity) -> PathBuf {
    let base = if base.is_absolute() {
        base.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(base))
            .unwrap_or_else(|_| base.to_path_buf())
    };
    base.join(sanitize(&id.node_id))
        .join(format!("{}-{}", id.start_unix_ms, id.pid))
}

/// The span exporter: appends each batch to `spans.jsonl`, reopening the file (and
/// recreating the folder) after a failure, since a directory removed or unwritable at
/// start may become usable later.
#[derive(Debug)]
pub(crate) struct FileSpans {
    folder: PathBuf,
    file: Mutex<Option<BufWriter<File>>>,
}

impl FileSpans {
    pub fn new(folder: PathBuf) -> FileSpans {
        FileSpans {
            folder,
            file: Mutex::new(None),
        }
    }

    fn write(&self, batch: &[SpanData]) -> std::io::Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            fs::create_dir_all(&self.folder)?;
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.folder.join(SPANS_FILE))?;
            *guard = Some(BufWriter::with_capacity(64 * 1024, f));
        }
        let w = guard.as_mut().expect("opened above");
        let result = (|| {
            for span in batch {
                serde_json::to_writer(&mut *w, &SpanRecord::from(span))?;
                w.write_all(b"\n")?;
            }
            w.flush()
        })();
        if result.is_err() {
            *guard = None; // reopen next time (the folder may be gone or the disk full)
        }
        result
    }
}

impl SpanExporter for FileSpans {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.write(&batch)
            .map_err(|e| OTelSdkError::InternalFailure(format!("{}: {e}", self.folder.display())))
    }
}

/// `metrics.prom` and `meta.json` of one node process.
pub(crate) struct Snapshots {
    folder: PathBuf,
    meta: serde_json::Value,
    meta_written: Option<Instant>,
    metrics_file: Replacer,
    meta_file: Replacer,
}

impl Snapshots {
    pub fn new(folder: PathBuf, id: &Identity) -> Snapshots {
        tracing::info!(dir = %folder.display(), "telemetry files");
        Snapshots {
            folder,
            meta: json!({
                "schema": 1,
                "node_id": id.node_id,
                "node_ids": id.node_ids,
                "binary": id.binary,
                "service_name": id.service_name,
                "service_version": crate::build_info::VERSION,
                "pid": id.pid,
                "start_unix_ms": id.start_unix_ms,
                "last_flush_unix_ms": id.start_unix_ms,
                "spans": SPANS_FILE,
                "metrics": METRICS_FILE,
            }),
            meta_written: None,
            metrics_file: Replacer::new(METRICS_FILE),
            meta_file: Replacer::new(META_FILE),
        }
    }

    /// Replace `metrics.prom` with `text` (and `meta.json`, when due).
    pub fn write(&mut self, text: &str) -> Result<(), String> {
        let folder = &self.folder;
        if self.meta_written.is_none() || self.metrics_file.write(folder, text.as_bytes()).is_err()
        {
            // First time, or the folder was removed: (re)create it and try once more.
            fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
            self.metrics_file.write(folder, text.as_bytes())?;
            self.meta_written = None;
        }
        if self
            .meta_written
            .is_none_or(|at| at.elapsed() >= META_EVERY)
        {
            self.meta["last_flush_unix_ms"] = json!(unix_ms(SystemTime::now()));
            let text = serde_json::to_string_pretty(&self.meta).map_err(|e| e.to_string())?;
            self.meta_file.write(folder, text.as_bytes())?;
            self.meta_written = Some(Instant::now());
        }
        Ok(())
    }
}

/// Replaces one file of the folder whole, in one step (see the module doc), keeping the
/// visible file and its hidden sibling open from one snapshot to the next.
struct Replacer {
    name: &'static str,
    #[cfg(target_os = "linux")]
    pair: Option<Pair>,
}

/// The two open files of a [`Replacer`]; they trade names at every swap.
#[cfg(target_os = "linux")]
struct Pair {
    dir: PathBuf,
    visible_path: CString,
    hidden_path: CString,
    /// The file now named `name`, and its length.
    visible: (File, u64),
    /// The file now named `.name.next`, and its length.
    hidden: (File, u64),
}

impl Replacer {
    fn new(name: &'static str) -> Replacer {
        Replacer {
            name,
            #[cfg(target_os = "linux")]
            pair: None,
        }
    }

    /// Replace the file in `dir` with `bytes`.
    fn write(&mut self, dir: &Path, bytes: &[u8]) -> Result<(), String> {
        #[cfg(target_os = "linux")]
        {
            if self.pair.as_ref().is_some_and(|p| p.dir != dir) {
                self.pair = None;
            }
            if self.pair.is_none() && dir.join(self.name).exists() {
                self.pair = Pair::open(dir, self.name).ok();
            }
            if let Some(pair) = self.pair.as_mut() {
                if pair.swap_in(bytes).is_ok() {
                    return Ok(());
                }
                // Renamed or removed behind our back: start over from the paths.
                self.pair = None;
            }
        }
        replace_by_rename(dir, self.name, bytes)
    }
}

#[cfg(target_os = "linux")]
impl Pair {
    fn open(dir: &Path, name: &str) -> std::io::Result<Pair> {
        use std::os::unix::ffi::OsStrExt;
        let visible_path = dir.join(name);
        let hidden_path = dir.join(format!(".{name}.next"));
        let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
        let visible = OpenOptions::new().write(true).open(&visible_path)?;
        let hidden = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&hidden_path)?;
        let (vlen, hlen) = (visible.metadata()?.len(), hidden.metadata()?.len());
        Ok(Pair {
            dir: dir.to_path_buf(),
            visible_path: c(&visible_path)?,
            hidden_path: c(&hidden_path)?,
            visible: (visible, vlen),
            hidden: (hidden, hlen),
        })
    }

    /// Write `bytes` into the hidden file, then swap the two names.
    fn swap_in(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let (file, len) = &mut self.hidden;
        // Overwrite in place and trim only a longer tail: no blocks freed or allocated
        // when the text keeps about its size.
        file.write_all_at(bytes, 0)?;
        let new_len = bytes.len() as u64;
        if *len > new_len {
            file.set_len(new_len)?;
        }
        *len = new_len;
        // SAFETY: both paths are valid NUL-terminated strings that outlive the call;
        // renameat2 only reads them.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                self.hidden_path.as_ptr(),
                libc::AT_FDCWD,
                self.visible_path.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        std::mem::swap(&mut self.visible, &mut self.hidden);
        Ok(())
    }
}

/// Write `name` in `dir` through a temporary file and a rename.
fn replace_by_rename(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let dest = dir.join(name);
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        fs::rename(&tmp, &dest)
    };
    write().map_err(|e| format!("{}: {e}", dest.display()))
}

/// A node id as a folder name (ids are `n0`-like; anything odd is made safe).
fn sanitize(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "unknown".into()
    } else {
        s
    }
}

pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_keeps_whole_texts_of_any_length() {
        let dir = std::env::temp_dir().join(format!(
            "glomers-file-sink-{}-{}",
            std::process::id(),
            unix_ms(SystemTime::now())
        ));
        fs::create_dir_all(&dir).unwrap();
        let mut file = Replacer::new(METRICS_FILE);
        let texts = [
            "first, a long text\n",
            "short\n",
            "third: longer than short\n",
            "4th\n",
            "fifth, longer than the rest\n",
        ];
        for (i, text) in texts.iter().enumerate() {
            file.write(&dir, text.as_bytes()).unwrap();
            assert_eq!(fs::read_to_string(dir.join(METRICS_FILE)).unwrap(), *text);
            if cfg!(target_os = "linux") && i > 0 {
                // The previous text waits in the hidden sibling, at its own length.
                let next = fs::read_to_string(dir.join(format!(".{METRICS_FILE}.next")));
                assert_eq!(next.unwrap(), texts[i - 1]);
            }
        }
        // Files removed behind the writer's back are written afresh.
        fs::remove_file(dir.join(METRICS_FILE)).unwrap();
        file.write(&dir, b"after removal\n").unwrap();
        assert_eq!(
            fs::read_to_string(dir.join(METRICS_FILE)).unwrap(),
            "after removal\n"
        );
        file.write(&dir, b"and again\n").unwrap();
        assert_eq!(
            fs::read_to_string(dir.join(METRICS_FILE)).unwrap(),
            "and again\n"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
