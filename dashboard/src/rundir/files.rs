//! Reaching a run's files: size-capped reads, head/tail reads, the file listing shown on the
//! run page, and the safe resolution of a relative path from a URL (no `..`, no absolute
//! paths, no symlink escaping the run folder).

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

/// Most entries listed for one run (kafka runs have hundreds of plots).
pub const MAX_LISTED: usize = 2000;

/// Reads a whole file as text (invalid UTF-8 replaced) if it is at most `limit` bytes.
pub enum Capped {
    Text(String),
    Missing,
    TooBig(u64),
    Error(String),
}

pub fn read_capped(path: &Path, limit: u64) -> Capped {
    let md = match fs::symlink_metadata(path) {
        Ok(md) => md,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Capped::Missing,
        Err(e) => return Capped::Error(e.to_string()),
    };
    if !md.is_file() {
        return Capped::Error(
            "not a regular file (symlinks, pipes and devices are not read)".into(),
        );
    }
    if md.len() > limit {
        return Capped::TooBig(md.len());
    }
    match fs::read(path) {
        Ok(bytes) => Capped::Text(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }),
        Err(e) => Capped::Error(e.to_string()),
    }
}

/// Whether `path` is a regular file itself (not a symlink, pipe or device): reading
/// anything else could block or leave the store.
pub fn is_regular(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

/// The first `n` bytes of a regular file as text (lossy), or None when it can't be read.
pub fn read_head(path: &Path, n: u64) -> Option<String> {
    if !is_regular(path) {
        return None;
    }
    let mut buf = Vec::new();
    File::open(path).ok()?.take(n).read_to_end(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The last `n` bytes of a regular file as text (lossy; a cut first line is dropped).
pub fn read_tail(path: &Path, n: u64) -> Option<String> {
    if !is_regular(path) {
        return None;
    }
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let start = len.saturating_sub(n);
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    Some(if start > 0 {
        text.split_once('\n')
            .map(|(_, r)| r.to_string())
            .unwrap_or(text)
    } else {
        text
    })
}

/// One file of a run, relative to the run folder.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// Relative path with `/` separators.
    pub path: String,
    pub size: u64,
}

/// Regular files under `dir` (recursively, symlinks not followed), sorted, at most
/// [`MAX_LISTED`].
pub fn list_files(dir: &Path) -> Vec<FileEntry> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = fs::read_dir(dir.join(&rel)) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            let child = rel.join(&name);
            if ft.is_dir() {
                stack.push(child);
            } else if ft.is_file() && out.len() < MAX_LISTED {
                let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                let path = child
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(FileEntry { path, size });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Resolves `rel` (from a URL) inside `run_dir`: only normal components, and the canonical
/// result must be a regular file under the canonical run folder.
pub fn resolve_inside(run_dir: &Path, rel: &str) -> Option<PathBuf> {
    if rel.is_empty() || rel.contains('\0') || rel.contains('\\') {
        return None;
    }
    let rel_path = Path::new(rel);
    if !rel_path
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let root = run_dir.canonicalize().ok()?;
    let full = root.join(rel_path).canonicalize().ok()?;
    (full.starts_with(&root) && full.is_file()).then_some(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_rejects_escapes() {
        let tmp = tempfile::tempdir().unwrap();
        let run = tmp.path().join("run");
        fs::create_dir_all(run.join("node-logs")).unwrap();
        fs::write(run.join("node-logs/n0.log"), "hi").unwrap();
        fs::write(tmp.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret"), run.join("link")).unwrap();
        assert!(resolve_inside(&run, "node-logs/n0.log").is_some());
        assert!(resolve_inside(&run, "../secret").is_none());
        assert!(resolve_inside(&run, "/etc/passwd").is_none());
        assert!(resolve_inside(&run, "link").is_none());
        assert!(resolve_inside(&run, "node-logs").is_none());
        assert!(resolve_inside(&run, "./node-logs/n0.log").is_none());
    }

    #[test]
    fn special_files_are_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("real"), "x").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("real"), tmp.path().join("link")).unwrap();
        let fifo = tmp.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        assert!(matches!(
            read_capped(&tmp.path().join("link"), 10),
            Capped::Error(_)
        ));
        assert!(matches!(read_capped(&fifo, 10), Capped::Error(_)));
        assert!(read_head(&fifo, 10).is_none());
        assert!(read_tail(&fifo, 10).is_none());
        assert!(matches!(
            read_capped(&tmp.path().join("real"), 10),
            Capped::Text(_)
        ));
        assert!(matches!(
            read_capped(&tmp.path().join("real"), 0),
            Capped::TooBig(1)
        ));
    }

    #[test]
    fn head_tail_and_listing() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("a.log"), "one\ntwo\nthree\n").unwrap();
        assert_eq!(read_head(&tmp.path().join("a.log"), 3).unwrap(), "one");
        assert_eq!(read_tail(&tmp.path().join("a.log"), 8).unwrap(), "three\n");
        let files = list_files(tmp.path());
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].size, 14);
    }
}
