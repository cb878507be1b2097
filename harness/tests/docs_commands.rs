//! Every command README.md and docs/*.md show works as written: each script exists and is
//! executable, each workspace binary exists and accepts the flags it is given (by its own
//! `--help`), `maelstrom test` uses flags the harness accepts, `cargo` names real packages,
//! tests and benches, and `GLOMERS_*` variables are ones the code reads. The extractor and the
//! checker are also tested here on inputs they must reject.

mod docs_support;
#[path = "../../test-support/workspace_bins.rs"]
mod workspace_bins;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use docs_support::check::{flags, subcommands, Package, Workspace};
use docs_support::extract::{commands, shell_blocks, Command};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// README.md and every docs/*.md, as (name relative to the root, text).
fn pages() -> Vec<(String, String)> {
    let root = repo_root();
    let mut names = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|e| {
            e.expect("docs entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(root.join(&n)).expect("page is readable");
            (n, text)
        })
        .collect()
}

/// The workspace's packages from `cargo metadata`.
fn packages() -> BTreeMap<String, Package> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Process::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(repo_root())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata failed");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let mut packages = BTreeMap::new();
    for p in meta["packages"].as_array().expect("packages") {
        let mut pkg = Package::default();
        for t in p["targets"].as_array().expect("targets") {
            let name = t["name"].as_str().expect("target name").to_string();
            for kind in t["kind"].as_array().expect("kind") {
                match kind.as_str() {
                    Some("bin") => pkg.bins.push(name.clone()),
                    Some("test") => pkg.tests.push(name.clone()),
                    Some("bench") => pkg.benches.push(name.clone()),
                    _ => {}
                }
            }
        }
        packages.insert(p["name"].as_str().expect("name").to_string(), pkg);
    }
    packages
}

/// The text of the code that reads environment variables: the crates' sources, the scripts
/// and the compose file.
fn sources(root: &Path) -> String {
    fn walk(dir: &Path, out: &mut String) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                out.push_str(&text);
            }
        }
    }
    let mut out = String::new();
    for dir in [
        "node/src",
        "harness/src",
        "dashboard/src",
        "model/src",
        "scripts",
    ] {
        walk(&root.join(dir), &mut out);
    }
    out.push_str(&std::fs::read_to_string(root.join("docker-compose.yml")).unwrap_or_default());
    out
}

/// `--help` of `cargo <sub>` or of a workspace binary (built like the other e2e tests').
fn run_help(program: &str, sub: &[String]) -> Result<String, String> {
    let mut cmd = if program == "cargo" {
        Process::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
    } else {
        Process::new(workspace_bins::workspace_bin(program))
    };
    let out = cmd
        .args(sub)
        .arg("--help")
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{program} {} --help` failed: {}",
            sub.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn real_workspace() -> Workspace {
    let root = repo_root();
    let sources = sources(&root);
    Workspace::new(root, packages(), sources, Box::new(run_help))
}

#[test]
fn every_documented_command_works_as_written() {
    let ws = real_workspace();
    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, text) in pages() {
        let cmds = commands(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        for cmd in &cmds {
            problems.extend(ws.check(cmd));
        }
        checked += cmds.len();
    }
    assert!(
        problems.is_empty(),
        "{} documented command(s) do not work as written:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // README alone shows more than a dozen; a broken extractor would find none.
    assert!(
        checked >= 30,
        "only {checked} commands found in README.md and docs/"
    );
}

#[test]
fn readme_opens_with_the_main_job_and_the_tests() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let (_, first) = shell_blocks(&readme)
        .into_iter()
        .next()
        .expect("README has a shell block");
    let cmds = commands("README.md", &format!("```sh\n{first}```\n")).expect("splits");
    let words: Vec<String> = cmds.iter().map(|c| c.words.join(" ")).collect();
    assert_eq!(words, ["scripts/challenges", "cargo test --workspace"]);
}

#[test]
fn the_real_binaries_reject_made_up_flags() {
    let ws = real_workspace();
    for line in [
        "target/release/harness test -w echo --bin target/release/echo --no-such-flag 3",
        "maelstrom test -w echo --bin target/release/echo --node-count 1 --nemesys partition",
        "target/release/dashboard --store ./store --no-such-flag",
        "target/release/harness frobnicate",
        "cargo test -p glomers-harness --test no_such_test",
        "cargo bench -p glomers-node --bench no_such_bench",
        "cargo test --no-such-cargo-flag",
        "cargo run --release -p glomers-dashboard -- --stor ./store",
        "target/release/harness test -w echo --bin target/release/no-such-node",
    ] {
        let cmd = one(line);
        assert!(!ws.check(&cmd).is_empty(), "not flagged: {line}");
    }
    for line in [
        "target/release/harness test -w echo --bin target/release/echo --node-count 1 --time-limit 10",
        "target/release/harness report --json store/latest",
        "cargo run --release -p glomers-dashboard -- --store ./store --listen 127.0.0.1:8080",
        "cargo test -p glomers-harness --test e2e_real",
    ] {
        let cmd = one(line);
        assert_eq!(ws.check(&cmd), Vec::<String>::new(), "{line}");
    }
}

// ---- the extractor ----

/// The single command of a one-line shell block.
fn one(line: &str) -> Command {
    let mut cmds = commands("t.md", &format!("```sh\n{line}\n```\n")).expect("splits");
    assert_eq!(cmds.len(), 1, "{line}");
    cmds.remove(0)
}

#[test]
fn extractor_reads_only_shell_blocks() {
    let md = "text\n```sh\nscripts/a x\n```\n```text\nnot/a command\n```\n```\nplain\n```\n  ```bash\n  scripts/b\n  ```\n";
    let cmds = commands("p.md", md).unwrap();
    let words: Vec<_> = cmds.iter().map(|c| c.words.join(" ")).collect();
    assert_eq!(words, ["scripts/a x", "scripts/b"]);
    assert_eq!(cmds[0].at, "p.md:3");
    assert_eq!(cmds[1].at, "p.md:12");
}

#[test]
fn extractor_joins_continuations_and_drops_comments() {
    let md = "```sh\n# a comment line\nFOO=1 BAR=\"a b\" \\\n  target/release/harness test \\\n    --rate 10   # trailing comment\n\ncd x && scripts/y; scripts/z | cat\nexport A=1 B=$PWD/x\n```\n";
    let cmds = commands("p.md", md).unwrap();
    assert_eq!(cmds[0].at, "p.md:3");
    assert_eq!(
        cmds[0].env,
        [("FOO".into(), "1".into()), ("BAR".into(), "a b".into())]
    );
    assert_eq!(
        cmds[0].words,
        ["target/release/harness", "test", "--rate", "10"]
    );
    let rest: Vec<_> = cmds[1..].iter().map(|c| c.words.join(" ")).collect();
    assert_eq!(rest, ["cd x", "scripts/y", "scripts/z", "cat", ""]);
    let export = cmds.last().unwrap();
    assert_eq!(
        export.env,
        [("A".into(), "1".into()), ("B".into(), "$PWD/x".into())]
    );
}

#[test]
fn extractor_rejects_an_open_quote() {
    let err = commands("p.md", "```sh\necho \"open\n```\n").unwrap_err();
    assert!(err.contains("p.md:2"), "{err}");
}

// ---- the checker, on a made-up workspace ----

const FAKE_TOP: &str = "Usage: tool <COMMAND>\n\nCommands:\n  test    Run a test\n  report  Print a table\n  help    Print this message\n\nOptions:\n  -h, --help  Print help\n";
const FAKE_TEST: &str = "Usage: tool test [OPTIONS] --bin <FILE> [ARGS]...\n\nOptions:\n  -w, --workload <WORKLOAD>  [default: lin-kv]\n      --bin <FILE>\n      --node-count <N>\n      --nemesis <FAULTS>\n  -h, --help\n";
const FAKE_CARGO_TEST: &str = "Options:\n  -p, --package [<SPEC>]  Package\n      --test [<NAME>]  Test only the specified test target\n      --bench [<NAME>]\n  -r, --release\n      --workspace\n";

fn fake_workspace(test: &str) -> (Workspace, PathBuf) {
    let root = std::env::temp_dir().join(format!("glomers-docs-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    for (name, mode) in [("ok", 0o755), ("noexec", 0o644)] {
        let path = root.join("scripts").join(name);
        std::fs::write(&path, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    let mut packages = BTreeMap::new();
    packages.insert(
        "glomers-harness".to_string(),
        Package {
            bins: vec!["harness".into()],
            tests: vec!["e2e".into()],
            benches: vec![],
        },
    );
    packages.insert(
        "glomers-node".to_string(),
        Package {
            bins: vec!["echo".into()],
            tests: vec![],
            benches: vec!["speed".into()],
        },
    );
    let help = |program: &str, sub: &[String]| -> Result<String, String> {
        match (program, sub.first().map(String::as_str)) {
            ("harness", None) => Ok(FAKE_TOP.into()),
            ("harness", Some("test")) => Ok(FAKE_TEST.into()),
            ("harness", Some("report")) => Ok("Options:\n      --json\n".into()),
            ("echo", None) => Ok("Usage: echo\n".into()),
            ("cargo", Some("test" | "bench" | "build")) => Ok(FAKE_CARGO_TEST.into()),
            (p, s) => Err(format!("no help for {p} {s:?}")),
        }
    };
    let sources = "std::env::var(\"GLOMERS_SEED\")".to_string();
    (
        Workspace::new(root.clone(), packages, sources, Box::new(help)),
        root,
    )
}

#[test]
fn checker_passes_commands_that_work() {
    let (ws, root) = fake_workspace("pass");
    for line in [
        "scripts/ok 3d",
        "GLOMERS_SEED=1 OTEL_EXPORTER_OTLP_ENDPOINT=http://x scripts/ok",
        "target/release/harness test -w echo --bin target/release/echo --node-count=1 –-nemesis partition",
        "harness report --json store/latest",
        "target/debug/harness test --bin /path/to/your-node -w broadcast",
        "maelstrom test -w echo --bin target/release/echo --nemesis partition extra words",
        "cargo test -p glomers-harness --test e2e -- --ignored --nocapture",
        "cargo bench -p glomers-node --bench speed",
        "cargo test --workspace",
        "docker compose up -d",
        "docker compose down -v",
        "git status",
        "export GLOMERS_SEED=2",
    ] {
        assert_eq!(ws.check(&one(line)), Vec::<String>::new(), "{line}");
    }
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn checker_flags_commands_that_do_not_work() {
    let (ws, root) = fake_workspace("flag");
    for (line, why) in [
        ("scripts/missing", "does not exist"),
        ("scripts/noexec", "not executable"),
        (
            "target/release/harness test --bin x --made-up",
            "no flag --made-up",
        ),
        ("harness test --bin x -z", "no flag -z"),
        (
            "target/release/harness tset --bin x",
            "no subcommand `tset`",
        ),
        ("target/release/harness", "needs a subcommand"),
        ("target/release/nope --help", "no binary `nope`"),
        (
            "maelstrom test -w echo --nemesys partition",
            "no flag --nemesys",
        ),
        ("maelstrom serve", "only `maelstrom test`"),
        (
            "maelstrom test --bin target/release/nope",
            "no binary `nope`",
        ),
        ("maelstrom test --bin scripts/missing", "does not exist"),
        ("cargo test -p glomers-nope", "no package `glomers-nope`"),
        (
            "cargo test -p glomers-harness --test nope",
            "no integration test `nope`",
        ),
        ("cargo bench --bench nope", "no bench `nope`"),
        ("cargo test --made-up", "no flag --made-up"),
        ("cargo frob", "no help"),
        ("docker compose up --made-up", "not known to take --made-up"),
        ("docker compose frob", "not a known subcommand"),
        ("docker run x", "only `docker compose`"),
        ("frobnicate --now", "allowlist"),
        (
            "GLOMERS_NOPE=1 scripts/ok",
            "no code reads the variable GLOMERS_NOPE",
        ),
        ("export GLOMERS_NOPE=1", "GLOMERS_NOPE"),
    ] {
        let problems = ws.check(&one(line));
        assert!(
            problems.iter().any(|p| p.contains(why)),
            "`{line}` should be flagged with \"{why}\", got {problems:?}"
        );
    }
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn help_parsing_finds_flags_and_subcommands() {
    let f = flags(FAKE_TEST);
    for flag in [
        "-w",
        "--workload",
        "--bin",
        "--node-count",
        "--nemesis",
        "-h",
        "--help",
    ] {
        assert!(f.contains(flag), "{flag} in {f:?}");
    }
    assert!(!f.contains("--made-up"));
    assert_eq!(subcommands(FAKE_TOP), ["test", "report"]);
    assert!(subcommands(FAKE_TEST).is_empty());
}
