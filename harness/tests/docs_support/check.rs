//! Judges one documented command against the workspace: a script must exist and be
//! executable, a workspace binary must exist and accept every flag it is given (as its
//! `--help` lists them, per subcommand), `maelstrom test` must use flags the harness's
//! `test --help` lists (the harness takes Maelstrom's), `cargo` must name real packages,
//! tests and benches and pass flags cargo accepts, `docker compose` only known subcommands
//! and flags, and a `GLOMERS_*` variable must be one the code reads. Anything else must be on
//! an explicit allowlist.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::extract::Command;

/// Programs a page may show that are not checked further.
pub const ALLOWED: &[&str] = &["cd", "curl", "git", "ls", "cat", "mkdir", "export"];

/// `docker compose` subcommands and the flags each may be given.
const COMPOSE: &[(&str, &[&str])] = &[
    ("up", &["-d", "--detach", "--build"]),
    ("down", &["-v", "--volumes"]),
    ("ps", &[]),
    ("logs", &["-f", "--follow"]),
    ("build", &[]),
    ("pull", &[]),
];

/// A package of the workspace: its binaries, integration tests and benches.
#[derive(Debug, Clone, Default)]
pub struct Package {
    pub bins: Vec<String>,
    pub tests: Vec<String>,
    pub benches: Vec<String>,
}

/// Runs `program args... --help` and returns what it printed (Err: it could not run).
pub type HelpFn = dyn Fn(&str, &[String]) -> Result<String, String> + Send + Sync;

/// `--help` texts already asked for, by (program, subcommand words).
type HelpCache = Mutex<HashMap<(String, Vec<String>), Result<String, String>>>;

/// What commands are judged against.
pub struct Workspace {
    /// The repository root: scripts and paths are resolved against it.
    pub root: PathBuf,
    pub packages: BTreeMap<String, Package>,
    /// Text the code is made of, searched for `GLOMERS_*` names.
    pub sources: String,
    /// `--help` of a workspace binary (by name) or of `cargo`.
    pub help: Box<HelpFn>,
    cache: HelpCache,
}

impl Workspace {
    pub fn new(
        root: PathBuf,
        packages: BTreeMap<String, Package>,
        sources: String,
        help: Box<HelpFn>,
    ) -> Self {
        Workspace {
            root,
            packages,
            sources,
            help,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn is_bin(&self, name: &str) -> bool {
        self.packages
            .values()
            .any(|p| p.bins.iter().any(|b| b == name))
    }

    fn help_of(&self, program: &str, sub: &[String]) -> Result<String, String> {
        let key = (program.to_string(), sub.to_vec());
        let mut cache = self.cache.lock().unwrap();
        cache
            .entry(key)
            .or_insert_with(|| (self.help)(program, sub))
            .clone()
    }

    /// Every problem with `cmd`, as sentences naming where it is; empty when it is fine.
    pub fn check(&self, cmd: &Command) -> Vec<String> {
        let mut problems = Vec::new();
        for (name, _) in &cmd.env {
            if name.starts_with("GLOMERS_") && !self.sources.contains(name.as_str()) {
                problems.push(format!("{cmd}: no code reads the variable {name}"));
            }
        }
        let Some(program) = cmd.words.first() else {
            return problems;
        };
        let args = &cmd.words[1..];
        let result = if let Some(bin) = self.workspace_bin(program) {
            self.check_bin(&bin, args)
        } else if program == "maelstrom" {
            self.check_maelstrom(args)
        } else if program == "cargo" {
            self.check_cargo(args)
        } else if program == "docker" {
            check_docker(args)
        } else if program.contains('/') {
            self.check_script(program)
        } else if ALLOWED.contains(&program.as_str()) {
            Ok(())
        } else {
            Err(format!(
                "`{program}` is neither a script, a workspace binary, maelstrom, cargo, docker \
                 compose, nor on the allowlist"
            ))
        };
        if let Err(e) = result {
            problems.push(format!("{cmd}: {e}"));
        }
        problems
    }

    /// `target/<profile>/<bin>` or the bare `harness`/`dashboard`: the binary's name.
    fn workspace_bin(&self, program: &str) -> Option<String> {
        if program == "harness" || program == "dashboard" {
            return Some(program.to_string());
        }
        let rest = program
            .strip_prefix("target/release/")
            .or_else(|| program.strip_prefix("target/debug/"))?;
        Some(rest.to_string())
    }

    fn check_script(&self, path: &str) -> Result<(), String> {
        let full = self.root.join(path);
        if !full.is_file() {
            return Err(format!("{path} does not exist"));
        }
        if !is_executable(&full) {
            return Err(format!("{path} is not executable"));
        }
        Ok(())
    }

    /// A workspace binary with `args`: a subcommand when its help lists commands, then flags.
    fn check_bin(&self, bin: &str, args: &[String]) -> Result<(), String> {
        if !self.is_bin(bin) {
            return Err(format!("the workspace has no binary `{bin}`"));
        }
        let top = self.help_of(bin, &[])?;
        let commands = subcommands(&top);
        if commands.is_empty() {
            return self.check_flags(bin, &top, args);
        }
        let Some(sub) = args.iter().find(|a| !a.starts_with('-')) else {
            return Err(format!(
                "`{bin}` needs a subcommand ({})",
                commands.join(", ")
            ));
        };
        if !commands.contains(sub) {
            return Err(format!(
                "`{bin}` has no subcommand `{sub}` (it has {})",
                commands.join(", ")
            ));
        }
        let help = self.help_of(bin, std::slice::from_ref(sub))?;
        let pos = args.iter().position(|a| a == sub).unwrap();
        self.check_flags(&format!("{bin} {sub}"), &top, &args[..pos])?;
        self.check_flags(&format!("{bin} {sub}"), &help, &args[pos + 1..])
    }

    /// Real Maelstrom's `test`: the harness takes the same flags.
    fn check_maelstrom(&self, args: &[String]) -> Result<(), String> {
        match args.first().map(String::as_str) {
            Some("test") => {
                let help = self.help_of("harness", &["test".to_string()])?;
                self.check_flags("maelstrom test (as harness test)", &help, &args[1..])
            }
            other => Err(format!(
                "only `maelstrom test` is checked, not `maelstrom {}`",
                other.unwrap_or("")
            )),
        }
    }

    /// Flags of `what` against `help`; words after `--` are not flags. `--bin` values that
    /// name a workspace binary or a repository file must exist.
    fn check_flags(&self, what: &str, help: &str, args: &[String]) -> Result<(), String> {
        let known = flags(help);
        let mut iter = args.iter().peekable();
        while let Some(arg) = iter.next() {
            if arg == "--" {
                break;
            }
            if !is_flag(arg) {
                continue;
            }
            let name = arg.split('=').next().unwrap();
            if !known.contains(name) {
                return Err(format!("`{what}` has no flag {name}"));
            }
            if name == "--bin" {
                if let Some(value) = iter.peek() {
                    self.check_bin_value(value)?;
                }
            }
        }
        Ok(())
    }

    fn check_bin_value(&self, value: &str) -> Result<(), String> {
        if let Some(bin) = self.workspace_bin(value) {
            return if self.is_bin(&bin) {
                Ok(())
            } else {
                Err(format!(
                    "--bin {value}: the workspace has no binary `{bin}`"
                ))
            };
        }
        let outside = [".", "/", "~", "$"].iter().any(|p| value.starts_with(p));
        if outside || !value.contains('/') {
            return Ok(());
        }
        self.check_script(value).map_err(|e| format!("--bin {e}"))
    }

    /// `cargo <sub> ...`: cargo's own flags from `cargo <sub> --help`, package, test and
    /// bench names from the workspace, and `cargo run`'s program arguments against the binary.
    fn check_cargo(&self, args: &[String]) -> Result<(), String> {
        let Some(sub) = args.first() else {
            return Err("`cargo` without a subcommand".into());
        };
        let split = args.iter().position(|a| a == "--").unwrap_or(args.len());
        let (own, after) = (&args[1..split], args.get(split + 1..).unwrap_or(&[]));
        let help = self.help_of("cargo", std::slice::from_ref(sub))?;
        self.check_flags(&format!("cargo {sub}"), &help, own)?;

        let packages: Vec<&Package> = match values_of(own, &["-p", "--package"]) {
            names if names.is_empty() => self.packages.values().collect(),
            names => names
                .iter()
                .map(|n| {
                    self.packages
                        .get(*n)
                        .ok_or_else(|| format!("the workspace has no package `{n}`"))
                })
                .collect::<Result<_, _>>()?,
        };
        for test in values_of(own, &["--test"]) {
            if !packages.iter().any(|p| p.tests.iter().any(|t| t == test)) {
                return Err(format!(
                    "no integration test `{test}` in the named packages"
                ));
            }
        }
        for bench in values_of(own, &["--bench"]) {
            if !packages
                .iter()
                .any(|p| p.benches.iter().any(|b| b == bench))
            {
                return Err(format!("no bench `{bench}` in the named packages"));
            }
        }
        if sub == "run" {
            let bins = values_of(own, &["--bin"]);
            let bin = match bins.first() {
                Some(b) => b.to_string(),
                None => match packages.as_slice() {
                    [p] if p.bins.len() == 1 => p.bins[0].clone(),
                    _ => return Err("`cargo run` names no single binary (-p or --bin)".into()),
                },
            };
            self.check_bin(&bin, after)?;
        }
        Ok(())
    }
}

fn check_docker(args: &[String]) -> Result<(), String> {
    if args.first().map(String::as_str) != Some("compose") {
        return Err("only `docker compose` is checked".into());
    }
    let Some(sub) = args.get(1) else {
        return Err("`docker compose` without a subcommand".into());
    };
    let Some((_, allowed)) = COMPOSE.iter().find(|(s, _)| s == sub) else {
        return Err(format!("`docker compose {sub}` is not a known subcommand"));
    };
    for arg in &args[2..] {
        if is_flag(arg) && !allowed.contains(&arg.as_str()) {
            return Err(format!("`docker compose {sub}` is not known to take {arg}"));
        }
    }
    Ok(())
}

/// `-x` or `--name[=value]`; not `-`, not a negative number, not an en-dash word.
fn is_flag(word: &str) -> bool {
    let rest = match word.strip_prefix('-') {
        Some(r) => r,
        None => return false,
    };
    !rest.is_empty() && !rest.starts_with(|c: char| c.is_ascii_digit())
}

/// Values given to any of `names` (`-p x`, `--package x`, `--package=x`).
fn values_of<'a>(args: &'a [String], names: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        if names.contains(&arg.as_str()) {
            if let Some(v) = args.get(i + 1) {
                out.push(v.as_str());
            }
        } else if let Some((name, v)) = arg.split_once('=') {
            if names.contains(&name) {
                out.push(v);
            }
        }
    }
    out
}

/// Every flag a `--help` text mentions: `-x` and `--long-name` words (clap and cargo style).
pub fn flags(help: &str) -> BTreeSet<&str> {
    help.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '[' | ']' | '=' | '<' | '(' | ')' | '`' | '.' | ':')
    })
    .filter(|w| {
        let long = w.strip_prefix("--").is_some_and(|r| {
            !r.is_empty()
                && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && r.starts_with(|c: char| c.is_ascii_alphabetic())
        });
        let short =
            w.len() == 2 && w.starts_with('-') && w[1..].chars().all(|c| c.is_ascii_alphabetic());
        long || short
    })
    .collect()
}

/// The subcommands a clap `--help` lists under `Commands:` (without `help`).
pub fn subcommands(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line.trim_end() == "Commands:" {
            inside = true;
            continue;
        }
        if inside {
            if !line.starts_with(' ') {
                break;
            }
            if let Some(name) = line.split_whitespace().next() {
                if name != "help" {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
