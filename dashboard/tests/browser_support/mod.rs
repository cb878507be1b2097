//! Support for the headless-Chromium browser tests: finding chromium and chromedriver,
//! starting chromedriver and the `dashboard` binary on free loopback ports (both killed on
//! drop), and a small blocking HTTP client for the requests fantoccini does not cover.

#![allow(dead_code)]

pub mod charts;
pub mod session;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether this is a CI run (`CI=true`), where a missing browser is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The browser tools for test `what`. Missing ones fail the test under `CI=true`; elsewhere
/// they print a NOTICE and give `None` (the test then passes without running).
pub fn tools_or_skip(what: &str) -> Option<Tools> {
    match find_tools() {
        Ok(t) => Some(t),
        Err(e) if in_ci() => panic!("CI=true, so the {what} cannot be skipped: {e}"),
        Err(e) => {
            // Straight to stderr: the test harness hides `eprintln!` of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "NOTICE: {what} skipped (it fails instead under CI=true): {e}"
            );
            None
        }
    }
}

/// The first executable called `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The chromium and chromedriver executables the tests use.
#[derive(Debug, Clone)]
pub struct Tools {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// Finds chromium and chromedriver: `$CHROMIUM` / `$CHROMEDRIVER` if set, else `PATH`.
pub fn find_tools() -> Result<Tools, String> {
    let find = |var: &str, names: &[&str]| -> Option<PathBuf> {
        if let Some(p) = std::env::var_os(var) {
            return Some(PathBuf::from(p)).filter(|p| p.is_file());
        }
        names.iter().find_map(|n| on_path(n))
    };
    let chromium = find("CHROMIUM", &["chromium", "chromium-browser"]);
    let chromedriver = find("CHROMEDRIVER", &["chromedriver"]);
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Ok(Tools {
            chromium,
            chromedriver,
        }),
        (c, d) => Err(format!(
            "browser tests need chromium and chromedriver (missing:{}{}); install them with \
             `apt-get install -y --no-install-recommends chromium chromium-driver` or point \
             $CHROMIUM / $CHROMEDRIVER at them",
            if c.is_none() { " chromium" } else { "" },
            if d.is_none() { " chromedriver" } else { "" },
        )),
    }
}

pub use crate::common::free_port;

/// A blocking HTTP/1.1 request to 127.0.0.1:`port`; returns status and body. The body is
/// read by its Content-Length (chromedriver keeps the connection open after answering).
pub fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let status = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut length = None;
    loop {
        line.clear();
        if r.read_line(&mut line).ok()? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse::<usize>().ok();
            }
        }
    }
    let mut buf = Vec::new();
    match length {
        Some(n) => {
            buf.resize(n, 0);
            r.read_exact(&mut buf).ok()?;
        }
        None => {
            r.read_to_end(&mut buf).ok()?;
        }
    }
    Some((status, String::from_utf8_lossy(&buf).into_owned()))
}

/// A child process killed (and reaped) on drop.
pub struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    /// Fails if the process has already exited.
    fn check_alive(&mut self, what: &str, log: &Path) -> Result<(), String> {
        match self.0.try_wait() {
            Ok(Some(status)) => Err(format!(
                "{what} exited early ({status}); see {}",
                log.display()
            )),
            _ => Ok(()),
        }
    }
}

fn log_file(path: &Path) -> File {
    File::create(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()))
}

/// Polls `ready` every 50 ms until it holds, the child dies or `limit` passes.
fn wait_until(
    proc: &mut Proc,
    what: &str,
    log: &Path,
    limit: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        proc.check_alive(what, log)?;
        if started.elapsed() > limit {
            return Err(format!(
                "{what} not ready after {limit:?}; see {}",
                log.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running `dashboard` binary serving a store on a loopback port.
pub struct Dashboard {
    _proc: Proc,
    pub port: u16,
}

impl Dashboard {
    /// Starts the binary on `store` (index at `db`, stderr to `log`) and waits until
    /// `/api/runs` lists `runs` runs.
    pub fn start(store: &Path, db: &Path, log: &Path, runs: usize) -> Result<Dashboard, String> {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_dashboard"))
            .arg("--store")
            .arg(store)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(db)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file(log))
            .spawn()
            .map_err(|e| format!("start dashboard: {e}"))?;
        let mut proc = Proc(child);
        wait_until(&mut proc, "dashboard", log, Duration::from_secs(60), || {
            http(port, "GET", "/api/runs", None)
                .filter(|(status, _)| *status == 200)
                .and_then(|(_, body)| serde_json::from_str::<serde_json::Value>(&body).ok())
                .is_some_and(|j| j["count"].as_u64() == Some(runs as u64))
        })?;
        Ok(Dashboard { _proc: proc, port })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// GETs a JSON API path; panics unless it answers 200 with JSON.
    pub fn json(&self, path: &str) -> serde_json::Value {
        let (status, body) =
            http(self.port, "GET", path, None).unwrap_or_else(|| panic!("GET {path} failed"));
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }
}

/// A running chromedriver on a loopback port. On drop it ends the browser session it was
/// told about (so Chromium quits even when a test panics), then is killed.
pub struct Chromedriver {
    proc: Proc,
    pub port: u16,
    session: Option<String>,
}

impl Chromedriver {
    /// Starts chromedriver (its log to `log`) and waits until `/status` says ready.
    pub fn start(tools: &Tools, log: &Path) -> Result<Chromedriver, String> {
        let port = free_port();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("start {}: {e}", tools.chromedriver.display()))?;
        let mut proc = Proc(child);
        wait_until(
            &mut proc,
            "chromedriver",
            log,
            Duration::from_secs(20),
            || {
                http(port, "GET", "/status", None)
                    .is_some_and(|(s, body)| s == 200 && body.contains("\"ready\":true"))
            },
        )?;
        Ok(Chromedriver {
            proc,
            port,
            session: None,
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Remembers the session to end on drop.
    pub fn own_session(&mut self, id: String) {
        self.session = Some(id);
    }

    /// Calls a chromedriver endpoint of the session directly and returns its `value`.
    pub fn session_cmd(
        &self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let id = self.session.as_deref().ok_or("no session")?;
        let (status, text) = http(
            self.port,
            method,
            &format!("/session/{id}{path}"),
            Some(&body.to_string()),
        )
        .ok_or_else(|| format!("chromedriver did not answer {method} {path}"))?;
        let j: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{method} {path}: not JSON ({e}): {text}"))?;
        if status != 200 {
            return Err(format!("{method} {path}: {status} {}", j["value"]));
        }
        Ok(j["value"].clone())
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            let _ = http(self.port, "DELETE", &format!("/session/{id}"), None);
        }
        // `proc` is dropped (killed) after this.
    }
}
