//! Finds the run folders of a store (`<store>/<workload>/<run>/`) and fingerprints the files
//! the ingest reads, so a rescan re-reads a run only when one of them changed. Symlinks
//! (`latest`, `current`) and hidden entries are skipped: they are not runs. A store folder
//! that does not exist yet is resolved to the path it will have ([`resolve_store`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Files whose size and mtime decide whether a run must be read again.
pub const WATCHED_FILES: [&str; 3] = ["results.edn", "history.edn", "jepsen.log"];

/// Files whose presence makes a folder a run.
const RUN_MARKERS: [&str; 5] = [
    "results.edn",
    "history.edn",
    "jepsen.log",
    "test.jepsen",
    "node-logs",
];

/// One run folder found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    pub workload: String,
    pub dir_name: String,
    pub path: PathBuf,
    /// `name:size:mtime_ns;...` of [`WATCHED_FILES`] that exist.
    pub fingerprint: String,
}

impl RunDir {
    pub fn id(&self) -> String {
        format!("{}/{}", self.workload, self.dir_name)
    }
}

/// Whether a directory entry is a plain (non-symlink, non-hidden) directory with a UTF-8 name.
fn plain_dir(entry: &fs::DirEntry) -> Option<String> {
    let ft = entry.file_type().ok()?;
    if !ft.is_dir() || ft.is_symlink() {
        return None;
    }
    let name = entry.file_name().into_string().ok()?;
    (!name.starts_with('.')).then_some(name)
}

/// The fingerprint of a run folder's watched files.
pub fn fingerprint(dir: &Path) -> String {
    let mut parts = Vec::new();
    for name in WATCHED_FILES {
        if let Ok(md) = fs::symlink_metadata(dir.join(name)) {
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

/// The canonical path of a store folder, also when it does not exist yet (a dashboard opened
/// before the first run): the deepest existing ancestor canonicalized, then the missing
/// components. So it equals the canonical path the folder has once created (unless one of
/// the missing components is later made a symlink).
pub fn resolve_store(store: &Path) -> std::io::Result<PathBuf> {
    use std::path::Component;
    let mut resolved = PathBuf::new();
    let mut exists = true;
    for c in std::path::absolute(store)?.components() {
        if exists {
            match resolved.join(c).canonicalize() {
                Ok(p) => {
                    resolved = p;
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => exists = false,
                Err(e) => return Err(e),
            }
        }
        // Below a missing folder nothing can be a symlink yet: resolve lexically.
        match c {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    Ok(resolved)
}

/// Every run folder under `store`, sorted by id. Unreadable folders are skipped.
pub fn scan(store: &Path) -> std::io::Result<Vec<RunDir>> {
    let mut runs = Vec::new();
    for wl in fs::read_dir(store)?.flatten() {
        let Some(workload) = plain_dir(&wl) else {
            continue;
        };
        let Ok(entries) = fs::read_dir(wl.path()) else {
            continue;
        };
        for run in entries.flatten() {
            let Some(dir_name) = plain_dir(&run) else {
                continue;
            };
            let path = run.path();
            if !RUN_MARKERS.iter().any(|m| path.join(m).exists()) {
                continue;
            }
            runs.push(RunDir {
                fingerprint: fingerprint(&path),
                workload: workload.clone(),
                dir_name,
                path,
            });
        }
    }
    runs.sort_by(|a, b| (&a.workload, &a.dir_name).cmp(&(&b.workload, &b.dir_name)));
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_a_store_that_does_not_exist_yet() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().canonicalize().unwrap();
        // Through a symlinked ancestor and a `..`: the result is what canonicalize gives once
        // the folder exists.
        std::os::unix::fs::symlink(&real, real.join("link")).unwrap();
        let asked = real.join("link/x/../runs/store");
        let resolved = resolve_store(&asked).unwrap();
        assert_eq!(resolved, real.join("runs/store"));
        fs::create_dir_all(real.join("runs/store")).unwrap();
        // The kernel resolves `x/..` only when `x` exists.
        fs::create_dir_all(real.join("x")).unwrap();
        assert_eq!(resolved, asked.canonicalize().unwrap());
        assert_eq!(resolve_store(&asked).unwrap(), resolved);
        // A missing store is an error to scan (the watcher waits instead of scanning).
        assert_eq!(
            scan(&real.join("nope")).unwrap_err().kind(),
            std::io::ErrorKind::NotFound
        );
    }

    #[test]
    fn skips_symlinks_files_and_empty_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let run = tmp.path().join("echo/20240101T120000.000Z");
        fs::create_dir_all(&run).unwrap();
        fs::write(run.join("jepsen.log"), "x").unwrap();
        fs::create_dir_all(tmp.path().join("echo/empty")).unwrap();
        fs::write(tmp.path().join("README"), "x").unwrap();
        std::os::unix::fs::symlink(&run, tmp.path().join("echo/latest")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("echo"), tmp.path().join("current")).unwrap();
        let runs = scan(tmp.path()).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].id(), "echo/20240101T120000.000Z");
        assert!(runs[0].fingerprint.starts_with("jepsen.log:1:"));
    }
}
