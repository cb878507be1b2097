//! Shared by the telemetry tests: real node binaries from node/ (built on demand), run
//! folders named with the current time, a dashboard served on 127.0.0.1, and a minimal
//! HTTP/1.1 client for POSTing OTLP bodies.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use glomers_dashboard::App;

#[path = "../../../test-support/workspace_bins.rs"]
mod workspace_bins;

/// A node binary of the workspace (`echo`, `broadcast`), fresh for this test run (see
/// `test-support/workspace_bins.rs`).
pub fn node_bin(name: &str) -> PathBuf {
    workspace_bins::workspace_bin(name)
}

/// A running node process fed on stdin.
pub struct NodeProc {
    pub id: String,
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl NodeProc {
    /// Starts `bin` with only the given telemetry variables (others removed) and sends
    /// `init` for `id` in a cluster of `ids`.
    pub fn start(bin: &Path, id: &str, ids: &[&str], env: &[(&str, String)]) -> NodeProc {
        let mut cmd = Command::new(bin);
        cmd.current_dir(std::env::temp_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, _) in std::env::vars() {
            if k.starts_with("GLOMERS_") || k.starts_with("OTEL_") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn node");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut n = NodeProc {
            id: id.to_string(),
            child,
            stdin,
            lines,
        };
        let ids_json = serde_json::to_string(ids).unwrap();
        let reply = n.request(&format!(
            r#"{{"src":"c0","dest":"{id}","body":{{"type":"init","msg_id":1,"node_id":"{id}","node_ids":{ids_json}}}}}"#
        ));
        assert_eq!(reply["body"]["type"], "init_ok");
        n
    }

    /// Sends one message line and returns the reply.
    pub fn request(&mut self, line: &str) -> serde_json::Value {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let out = self
            .lines
            .recv_timeout(Duration::from_secs(5))
            .expect("node answered in time");
        serde_json::from_str(&out).unwrap()
    }

    /// A client echo request.
    pub fn client_echo(&mut self, client: &str, msg_id: u64) -> serde_json::Value {
        let id = self.id.clone();
        self.request(&format!(
            r#"{{"src":"{client}","dest":"{id}","body":{{"type":"echo","msg_id":{msg_id},"echo":"v{msg_id}"}}}}"#
        ))
    }

    /// An echo request from a peer node carrying `traceparent`; returns the reply's
    /// traceparent (this node's span context).
    pub fn peer_echo(&mut self, from: &str, msg_id: u64, traceparent: &str) -> String {
        let id = self.id.clone();
        let r = self.request(&format!(
            r#"{{"src":"{from}","dest":"{id}","body":{{"type":"echo","msg_id":{msg_id},"echo":"p","traceparent":"{traceparent}"}}}}"#
        ));
        r["body"]["traceparent"]
            .as_str()
            .expect("reply to a peer carries trace context")
            .to_string()
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds one trace over two nodes: a (fake) remote parent → `a` handles → `b` handles as
/// `a`'s child. Returns the trace id.
pub fn chain(a: &mut NodeProc, b: &mut NodeProc) -> String {
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let tp = a.peer_echo(
        &b.id.clone(),
        50,
        &format!("00-{trace}-00f067aa0ba902b7-01"),
    );
    assert!(tp.starts_with(&format!("00-{trace}-")), "{tp}");
    let from = a.id.clone();
    b.peer_echo(&from, 51, &tp);
    trace.to_string()
}

/// Waits until `ready` holds, at most `limit`.
pub fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    ready()
}

/// A run folder name for `t` (`20240101T120000.000+0000`).
pub fn run_name(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.format("%Y%m%dT%H%M%S%.3f+0000").to_string()
}

/// Makes `store/<workload>/<name>` with a jepsen.log naming the node count and a valid
/// results.edn; its files get `mtime` (the run's end). Returns the run id.
pub fn make_run(
    store: &Path,
    workload: &str,
    start: SystemTime,
    nodes: usize,
    mtime: SystemTime,
) -> String {
    let name = run_name(start);
    let dir = store.join(workload).join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    let log = format!(
        "2026-01-01 00:00:00,000{{GMT}}\tINFO\t[jepsen test runner] jepsen.core: Command line:\n\
         lein run test -w {workload} --bin x --node-count {nodes}\n"
    );
    for (file, text) in [
        ("jepsen.log", log.as_str()),
        ("results.edn", "{:valid? true}\n"),
    ] {
        let p = dir.join(file);
        std::fs::write(&p, text).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
    }
    format!("{workload}/{name}")
}

/// Serves the app's router on 127.0.0.1 (port chosen by the OS).
pub async fn serve(app: &App) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// A response to [`http`]: status and body.
pub struct HttpResp {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

/// One HTTP/1.1 request over a fresh connection (blocking).
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before reading a large body.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    HttpResp {
        status,
        headers: head.to_string(),
        body: body.to_string(),
    }
}

/// GET a page over HTTP (blocking); panics unless 200.
pub fn get_page(addr: SocketAddr, path: &str) -> String {
    let r = http(addr, "GET", path, &[], b"");
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.body
}

/// The value of `attr="..."` on the first element that has `marker` in its opening tag.
pub fn attr_of(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let key = format!("{attr}=\"");
    let v = &tag[tag.find(&key)? + key.len()..];
    Some(v[..v.find('"')?].to_string())
}
