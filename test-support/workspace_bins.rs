//! Binaries of other workspace packages for integration tests (the harness's tests run the
//! node binaries; the dashboard's run nodes and the harness). Shared by `harness/tests` and
//! `dashboard/tests` through `#[path]`.
//!
//! The binaries are built with `cargo build --workspace --tests`: the same package selection
//! and the same dev-dependency feature set as `cargo test --workspace`, so after that command
//! the build is a no-op that reuses its artifacts. A narrower build (`-p glomers-node`)
//! resolves features differently, and would compile a second copy of every dependency and
//! relink the binaries the outer run already made.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The path of workspace binary `name` (`echo`, `broadcast`, `harness`...), built once per
/// test process in the running test's profile and target folder. A failed build, or a name
/// the workspace has no binary for, fails the test.
pub fn workspace_bin(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(build_workspace);
    let path = dir.join(name);
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// `<target>/<profile>` of the running test (where cargo puts the binaries), and the
/// profile's name (`debug`, `release`, ...).
#[allow(dead_code)]
pub fn profile_dir() -> (PathBuf, String) {
    // A test executable lives in `<target>/<profile>/deps/`.
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>/deps/<test>")
        .to_path_buf();
    let profile = dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("profile folder")
        .to_string();
    (dir, profile)
}

/// Runs the build; returns `<target>/<profile>`, where cargo puts the binaries.
fn build_workspace() -> PathBuf {
    let (dir, profile) = profile_dir();
    let target = dir.parent().expect("target folder");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    without_test_env(&mut cmd);
    cmd.args(["build", "--quiet", "--workspace", "--tests"])
        .arg("--target-dir")
        .arg(target)
        .current_dir(workspace);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "building the workspace binaries failed");
    dir
}

/// Removes from `cmd` the variables cargo sets for the running test (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_*`, `CARGO_BIN_EXE_*`, ...), so that a cargo started by a test sees the
/// environment `cargo test` itself had. Some build scripts (ring's) rerun when
/// `CARGO_MANIFEST_DIR` changes, and a nested build that inherited it rebuilt ring and
/// everything above it, differently for each package's tests: minutes per test run.
#[allow(dead_code)]
pub fn without_test_env(cmd: &mut Command) {
    const SET_FOR_TESTS: [&str; 8] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    for (k, _) in std::env::vars_os() {
        let Some(name) = k.to_str() else { continue };
        if SET_FOR_TESTS.contains(&name)
            || name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_EXE_")
        {
            cmd.env_remove(name);
        }
    }
}

/// Runs `cmd` to its end; fails the test with its stdout and stderr unless it succeeded.
#[allow(dead_code)]
pub fn run_ok(cmd: &mut Command, what: &str) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
