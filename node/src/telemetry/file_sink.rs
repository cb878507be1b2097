//! The file sink: per node process, one folder of plain files that survive SIGKILL
//! (`$GLOMERS_TELEMETRY_DIR/<node-id>/<start-unix-ms>-<pid>/`, layout and formats in
//! docs/telemetry.md). Spans reach `spans.jsonl` through the SDK: [`FileSpans`] is a
//! `SpanExporter` behind the tracer provider's batch processor. `metrics.prom` and
//! `meta.json` are rewritten by a thread of their own (`telemetry-file`, see the parent
//! module), whole: a [`Replacer`] writes the new text into a hidden sibling
//! (`.metrics.prom.next`) and swaps the two names in one step (Linux
//! `renameat2(RENAME_EXCHANGE)`; elsewhere a rename over the old file). Both files stay
//! open, so a snapshot costs a `pwrite` and a `renameat2` and frees or allocates no inode
//! (on ext4 with `discard`, a rename per second was the costliest thing telemetry did).
//! `meta.json` is rewritten at most every 5 s, and only along with `metrics.prom`.

#[cfg(target_os = "linux")]
use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use serde_json::json;

use super::deferred::Identity;
use super::record::SpanLine;

pub(crate) const META_FILE: &str = "meta.json";
pub(crate) const SPANS_FILE: &str = "spans.jsonl";
pub(crate) const METRICS_FILE: &str = "metrics.prom";
/// `meta.json` is rewritten at most this often.
const META_EVERY: Duration = Duration::from_secs(5);

/// This process's folder under `base` (made absolute against the cwd).
pub(crate) fn folder(base: &Path, id: &Identity) -> PathBuf {
    let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
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
        let w = match guard.as_mut() {
            Some(w) => w,
            None => {
                fs::create_dir_all(&self.folder)?;
                let path = self.folder.join(SPANS_FILE);
                let f = OpenOptions::new().create(true).append(true).open(path)?;
                guard.insert(BufWriter::with_capacity(64 * 1024, f))
            }
        };
        let result = (|| {
            for span in batch {
                serde_json::to_writer(&mut *w, &SpanLine(span))?;
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
    /// The text last written to `metrics.prom`.
    last: String,
    metrics_file: Replacer,
    meta_file: Replacer,
}

impl Snapshots {
    pub fn new(folder: PathBuf, id: &Identity) -> Snapshots {
        tracing::info!(dir = %folder.display(), "telemetry files");
        let metrics_file = Replacer::new(&folder, METRICS_FILE);
        let meta_file = Replacer::new(&folder, META_FILE);
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
            last: String::new(),
            metrics_file,
            meta_file,
        }
    }

    /// Replace `metrics.prom` with `text` (and `meta.json`, when due); an unchanged text
    /// writes nothing, so an idle node touches no file.
    pub fn write(&mut self, text: String) -> Result<(), String> {
        if self.meta_written.is_some() && text == self.last {
            return Ok(());
        }
        let folder = &self.folder;
        if self.meta_written.is_none() || self.metrics_file.write(text.as_bytes()).is_err() {
            // First time, or the folder was removed: (re)create it and try once more.
            fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
            self.metrics_file.write(text.as_bytes())?;
            self.meta_written = None;
        }
        if self
            .meta_written
            .is_none_or(|at| at.elapsed() >= META_EVERY)
        {
            self.meta["last_flush_unix_ms"] = json!(unix_ms(SystemTime::now()));
            let text = serde_json::to_string_pretty(&self.meta).map_err(|e| e.to_string())?;
            self.meta_file.write(text.as_bytes())?;
            self.meta_written = Some(Instant::now());
        }
        self.last = text;
        Ok(())
    }
}

/// Replaces one file of a folder whole, in one step (see the module doc).
struct Replacer {
    visible: PathBuf,
    hidden: PathBuf,
    /// Linux: the files now named `visible` and `hidden`, with their lengths; they trade
    /// names at every swap.
    #[cfg(target_os = "linux")]
    open: Option<[(File, u64); 2]>,
}

impl Replacer {
    fn new(dir: &Path, name: &str) -> Replacer {
        Replacer {
            visible: dir.join(name),
            hidden: dir.join(format!(".{name}.next")),
            #[cfg(target_os = "linux")]
            open: None,
        }
    }

    /// Replace the file with `bytes`.
    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        #[cfg(target_os = "linux")]
        {
            if self.open.is_none() && self.visible.exists() {
                let open = |p: &Path, create: bool| -> std::io::Result<(File, u64)> {
                    let mut o = OpenOptions::new();
                    let f = o.write(true).create(create).truncate(false).open(p)?;
                    let len = f.metadata()?.len();
                    Ok((f, len))
                };
                let (v, h) = (open(&self.visible, false), open(&self.hidden, true));
                self.open = v.and_then(|v| Ok([v, h?])).ok();
            }
            if let Some(files) = self.open.as_mut() {
                if swap_in(files, &self.hidden, &self.visible, bytes).is_ok() {
                    return Ok(());
                }
                // Renamed or removed behind our back: start over from the paths.
                self.open = None;
            }
        }
        let write = || {
            fs::write(&self.hidden, bytes).and_then(|()| fs::rename(&self.hidden, &self.visible))
        };
        write().map_err(|e| format!("{}: {e}", self.visible.display()))
    }
}

/// Write `bytes` into the hidden file (overwritten in place, trimmed only when the text got
/// shorter: no blocks freed or allocated), then swap the two names.
#[cfg(target_os = "linux")]
fn swap_in(
    files: &mut [(File, u64); 2],
    hidden: &Path,
    visible: &Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    use std::os::unix::{ffi::OsStrExt, fs::FileExt};
    let (file, len) = &mut files[1];
    file.write_all_at(bytes, 0)?;
    let new_len = bytes.len() as u64;
    if *len > new_len {
        file.set_len(new_len)?;
    }
    *len = new_len;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (from, to) = (c(hidden)?, c(visible)?);
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call;
    // renameat2 only reads them.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    files.swap(0, 1);
    Ok(())
}

/// A node id as a folder name (ids are `n0`-like; anything odd is made safe).
fn sanitize(id: &str) -> String {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let s: String = id.chars().map(|c| if ok(c) { c } else { '_' }).collect();
    if s.is_empty() {
        "unknown".into()
    } else {
        s
    }
}

pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    super::record::unix_nanos(t) / 1_000_000
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
        let mut file = Replacer::new(&dir, METRICS_FILE);
        let texts = [
            "first, a long text\n",
            "short\n",
            "third: longer than short\n",
            "4th\n",
            "fifth, longer than the rest\n",
        ];
        for (i, text) in texts.iter().enumerate() {
            file.write(text.as_bytes()).unwrap();
            assert_eq!(fs::read_to_string(dir.join(METRICS_FILE)).unwrap(), *text);
            if cfg!(target_os = "linux") && i > 0 {
                // The previous text waits in the hidden sibling, at its own length.
                let next = fs::read_to_string(dir.join(format!(".{METRICS_FILE}.next")));
                assert_eq!(next.unwrap(), texts[i - 1]);
            }
        }
        // Files removed behind the writer's back are written afresh.
        fs::remove_file(dir.join(METRICS_FILE)).unwrap();
        file.write(b"after removal\n").unwrap();
        assert_eq!(
            fs::read_to_string(dir.join(METRICS_FILE)).unwrap(),
            "after removal\n"
        );
        file.write(b"and again\n").unwrap();
        assert_eq!(
            fs::read_to_string(dir.join(METRICS_FILE)).unwrap(),
            "and again\n"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
