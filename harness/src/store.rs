//! The store layout (MAELSTROM.md §8.2): `store/<workload>/<Joda basic timestamp>/` with
//! `node-logs/`, `history.edn`, `history.txt`, `results.edn`, and the symlinks
//! `store/latest`, `store/current` and `store/<workload>/latest`.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, Offset, TimeZone};
use glomers_model::{Op, Value};

/// Joda basic date-time in local time: `20240101T120000.000+0100`, or `...Z` at UTC.
pub fn timestamp<Tz: TimeZone>(t: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let base = t.format("%Y%m%dT%H%M%S%.3f").to_string();
    let offset = t.offset().fix().local_minus_utc();
    if offset == 0 {
        format!("{base}Z")
    } else {
        format!("{base}{}", t.format("%z"))
    }
}

/// One run's folder.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub root: PathBuf,
    pub workload: String,
    pub name: String,
    pub path: PathBuf,
}

impl RunDir {
    /// Create `root/<workload>/<timestamp>/node-logs/` (bumping the timestamp by a millisecond
    /// if a folder with that name exists) and point the symlinks at it.
    pub fn create(root: &Path, workload: &str, start: DateTime<Local>) -> std::io::Result<RunDir> {
        let mut t = start;
        fs::create_dir_all(root.join(workload))?;
        loop {
            let name = timestamp(&t);
            let path = root.join(workload).join(&name);
            // `create_dir` is atomic: of two harnesses starting in the same millisecond on
            // one store, one gets the name and the other moves on to the next millisecond.
            match fs::create_dir(&path) {
                Ok(()) => {
                    fs::create_dir_all(path.join("node-logs"))?;
                    let dir = RunDir {
                        root: root.to_path_buf(),
                        workload: workload.to_string(),
                        name,
                        path,
                    };
                    dir.link()?;
                    return Ok(dir);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    t += chrono::Duration::milliseconds(1);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// (Re)point `latest`, `current` and `<workload>/latest` at this run.
    pub fn link(&self) -> std::io::Result<()> {
        let rel = Path::new(&self.workload).join(&self.name);
        replace_symlink(&rel, &self.root.join("latest"))?;
        replace_symlink(&rel, &self.root.join("current"))?;
        replace_symlink(
            Path::new(&self.name),
            &self.root.join(&self.workload).join("latest"),
        )
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// `history.edn` and `history.txt`, one op per line.
    pub fn write_history(&self, ops: &[Op]) -> std::io::Result<()> {
        let mut edn = BufWriter::new(fs::File::create(self.file("history.edn"))?);
        let mut txt = BufWriter::new(fs::File::create(self.file("history.txt"))?);
        for op in ops {
            edn.write_all(op.to_edn_line().as_bytes())?;
            edn.write_all(b"\n")?;
            txt.write_all(op.to_txt_line().as_bytes())?;
            txt.write_all(b"\n")?;
        }
        edn.flush()?;
        txt.flush()
    }

    /// `results.edn`, pretty-printed.
    pub fn write_results(&self, results: &Value) -> std::io::Result<()> {
        fs::write(
            self.file("results.edn"),
            glomers_model::edn::pretty(results),
        )
    }
}

#[cfg(unix)]
fn replace_symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(link) {
        Ok(m) if !m.file_type().is_symlink() => return Ok(()), // a real file or folder: leave it
        _ => {}
    }
    // A fresh link under a name of this process, renamed over the old one: atomic, so runs
    // started at the same moment on one store never see a missing or half-made link.
    let name = link.file_name().unwrap_or_default().to_string_lossy();
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = link.with_file_name(format!(".{name}.{}-{seq}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    fs::rename(&tmp, link).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

#[cfg(not(unix))]
fn replace_symlink(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Ok(())
}
