//! Build script: stamps the node binaries with the code they were built from, so every run
//! can say which version of the code produced it (`glomers_node::build_info`).
//!
//! Sets `GLOMERS_BUILD_VERSION` to `<crate version>+<commit, 12 hex>`, with `.dirty.<8 hex>`
//! appended when the crate's sources (`src/`, `Cargo.toml`, `build.rs`) differ from that commit (the hex is a hash of the difference, so two
//! different uncommitted edits are two versions), or `<crate version>+unknown` outside git.
//! `GLOMERS_VERSION_OVERRIDE` at build time replaces the whole string (packagers, CI images).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the node binaries are built from, relative to the crate: a difference here is "dirty".
const SOURCES: [&str; 3] = ["src", "Cargo.toml", "build.rs"];

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// FNV-1a over the bytes: stable across Rust releases (unlike `DefaultHasher`'s algorithm).
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        }
    }
}

fn main() {
    let crate_version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).to_path_buf();
    println!("cargo:rerun-if-env-changed=GLOMERS_VERSION_OVERRIDE");
    for source in SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }

    let version = match std::env::var("GLOMERS_VERSION_OVERRIDE") {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => from_git(&dir, &crate_version),
    };
    println!("cargo:rustc-env=GLOMERS_BUILD_VERSION={version}");
}

fn from_git(dir: &Path, crate_version: &str) -> String {
    let Some(commit) = git(dir, &["rev-parse", "HEAD"]).map(|s| s.trim().to_string()) else {
        return format!("{crate_version}+unknown");
    };
    // Rebuild when HEAD moves (a commit, a checkout). Not on the index: `git status`
    // rewrites it, and a rebuild on every status would cost minutes. Edits to the sources
    // are caught by the `rerun-if-changed` lines in `main`. HEAD lives in the worktree's git
    // folder, refs in the common one (the same folder outside a linked worktree).
    if let Some(git_dir) = git(dir, &["rev-parse", "--absolute-git-dir"]) {
        let git_dir = PathBuf::from(git_dir.trim());
        let common = git(
            dir,
            &["rev-parse", "--path-format=absolute", "--git-common-dir"],
        )
        .map(|c| PathBuf::from(c.trim()))
        .unwrap_or_else(|| git_dir.clone());
        let mut watched = vec![git_dir.join("HEAD"), common.join("packed-refs")];
        if let Some(head_ref) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
            watched.push(common.join(head_ref.trim()));
        }
        // Only files that exist: cargo counts a missing one as changed, so it would rerun
        // this script and rebuild the crate on every build (a repository without
        // `packed-refs` did, 50 s per release build). A loose ref that `git gc` packs away
        // disappears, which cargo sees as a change too.
        for f in watched.iter().filter(|f| f.is_file()) {
            println!("cargo:rerun-if-changed={}", f.display());
        }
    }
    let short = &commit[..commit.len().min(12)];
    // What differs from HEAD in what the binaries are built from (not tests or benches):
    // tracked changes plus untracked source files.
    let diff = git(
        dir,
        &["diff", "HEAD", "--", SOURCES[0], SOURCES[1], SOURCES[2]],
    )
    .unwrap_or_default();
    let untracked = git(
        dir,
        &["ls-files", "--others", "--exclude-standard", "--", "src"],
    )
    .unwrap_or_default();
    if diff.is_empty() && untracked.is_empty() {
        return format!("{crate_version}+{short}");
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    diff.hash(&mut h);
    for path in untracked.lines() {
        path.hash(&mut h);
        if let Ok(bytes) = std::fs::read(dir.join(path)) {
            bytes.hash(&mut h);
        }
    }
    format!("{crate_version}+{short}.dirty.{:08x}", h.finish() as u32)
}
