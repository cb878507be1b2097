//! Build script: stamps the node binaries with the code they were built from, so every run
//! can say which version of the code produced it (`glomers_node::build_info`).
//!
//! Sets `GLOMERS_BUILD_VERSION` to `<crate version>+<commit, 12 hex>`, with `.dirty.<8 hex>`
//! appended when `node/` differs from that commit (the hex is a hash of the difference, so two
//! different uncommitted edits are two versions), or `<crate version>+unknown` outside git.
//! `GLOMERS_VERSION_OVERRIDE` at build time replaces the whole string (packagers, CI images).

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::Command;

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
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=build.rs");

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
    // Rebuild when HEAD moves or the index changes (a commit, a checkout, `git add`).
    if let Some(git_dir) = git(dir, &["rev-parse", "--absolute-git-dir"]) {
        let git_dir = Path::new(git_dir.trim());
        for f in ["HEAD", "index", "packed-refs"] {
            println!("cargo:rerun-if-changed={}", git_dir.join(f).display());
        }
        if let Some(head_ref) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
            println!(
                "cargo:rerun-if-changed={}",
                git_dir.join(head_ref.trim()).display()
            );
        }
    }
    let short = &commit[..commit.len().min(12)];
    // What differs from HEAD in this crate: tracked changes plus untracked files.
    let diff = git(dir, &["diff", "HEAD", "--", "."]).unwrap_or_default();
    let untracked = git(
        dir,
        &["ls-files", "--others", "--exclude-standard", "--", "."],
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
