//! The `dashboard` binary end to end: it serves the fixture store over loopback HTTP, and a
//! restart with the same index lists the runs at once.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A plain HTTP/1.1 GET; returns status and body.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(port: u16, db: &std::path::Path) -> Server {
    Server(
        Command::new(env!("CARGO_BIN_EXE_dashboard"))
            .args(["--store"])
            .arg(fixtures())
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(db)
            .args(["--rescan-ms", "500"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Polls `/api/runs` until it lists `n` runs; returns the time it took.
fn wait_for_runs(port: u16, n: usize) -> Duration {
    let started = Instant::now();
    loop {
        if let Some((200, body)) = http_get(port, "/api/runs") {
            let j: serde_json::Value = serde_json::from_str(&body).unwrap();
            if j["count"].as_u64() == Some(n as u64) {
                return started.elapsed();
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "runs never listed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn binary_serves_and_restarts_instantly() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("index.sqlite");
    let n = fixture_runs(&fixtures()).len();
    let port = free_port();
    {
        let _server = start(port, &db);
        let first = wait_for_runs(port, n);
        eprintln!(
            "first start: {n} runs listed after {:.0} ms",
            first.as_secs_f64() * 1e3
        );
        let (status, body) = http_get(port, "/").unwrap();
        assert_eq!(status, 200);
        assert!(body.contains("id=\"runs\""));
        let (status, _) = http_get(port, "/run/echo/..%2F..%2F..%2Fetc/file/passwd").unwrap();
        assert!(status == 400 || status == 404);
        let (status, body) = http_get(port, "/metrics").unwrap();
        assert_eq!(status, 200);
        assert!(body.contains("glomers_run_msgs_per_op"));
    }
    let port = free_port();
    let _server = start(port, &db);
    let again = wait_for_runs(port, n);
    eprintln!(
        "restart: {n} runs listed after {:.0} ms",
        again.as_secs_f64() * 1e3
    );
    assert!(again < Duration::from_secs(5));
}
