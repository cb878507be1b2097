//! Process tests: spawn the real node binaries and speak Maelstrom's JSON lines to them.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Proc {
    fn spawn(bin: &str) -> Proc {
        let mut child = Command::new(bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn node binary");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Proc {
            child,
            stdin,
            lines: rx,
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    fn send_json(&mut self, v: Value) {
        self.send(&v.to_string());
    }

    /// The next stdout line, which must be a valid Maelstrom envelope.
    fn recv(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(5))
            .expect("a reply line");
        assert_envelope(&line);
        serde_json::from_str(&line).unwrap()
    }

    fn assert_silent(&self, wait: Duration) {
        if let Ok(line) = self.lines.recv_timeout(wait) {
            panic!("unexpected output: {line}");
        }
    }

    fn init(&mut self, id: &str, ids: &[&str]) {
        self.send_json(json!({"id": 0, "src": "c0", "dest": id,
            "body": {"type": "init", "msg_id": 1, "node_id": id, "node_ids": ids}}));
        let r = self.recv();
        assert_eq!(r["body"], json!({"type": "init_ok", "in_reply_to": 1}));
        assert_eq!(r["src"], id);
        assert_eq!(r["dest"], "c0");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every stdout line must be exactly `{src, dest, body}` with a string `body.type`.
fn assert_envelope(line: &str) {
    let v: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
    let obj = v.as_object().expect("object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["body", "dest", "src"], "closed envelope: {line}");
    assert!(obj["src"].is_string() && obj["dest"].is_string());
    assert!(obj["body"]["type"].is_string(), "body.type: {line}");
}

const ECHO: &str = env!("CARGO_BIN_EXE_echo");
const UNIQUE_IDS: &str = env!("CARGO_BIN_EXE_unique-ids");

#[test]
fn echo_round_trips_with_closed_reply_schema() {
    let mut p = Proc::spawn(ECHO);
    p.init("n0", &["n0"]);
    for (i, payload) in [
        json!("Please echo 7"),
        json!({"nested": [1, 2]}),
        json!(null),
    ]
    .into_iter()
    .enumerate()
    {
        let msg_id = i as u64 + 10;
        p.send_json(json!({"id": 5, "src": "c3", "dest": "n0",
            "body": {"type": "echo", "msg_id": msg_id, "echo": payload}}));
        let r = p.recv();
        assert_eq!(r["src"], "n0");
        assert_eq!(r["dest"], "c3");
        assert_eq!(
            r["body"],
            json!({"type": "echo_ok", "in_reply_to": msg_id, "echo": payload}),
            "reply carries exactly type, echo and in_reply_to"
        );
    }
}

#[test]
fn malformed_and_unknown_input_get_errors_not_crashes() {
    let mut p = Proc::spawn(ECHO);
    p.init("n0", &["n0"]);
    // Not JSON, and no envelope: nothing to answer, only a log line.
    p.send("this is not json");
    p.send("[1,2,3]");
    p.send("{\"src\":\"c1\"}");
    p.assert_silent(Duration::from_millis(200));
    // Unknown type → 10 not-supported.
    p.send_json(json!({"src": "c1", "dest": "n0", "body": {"type": "frobnicate", "msg_id": 2}}));
    let r = p.recv();
    assert_eq!(r["body"]["type"], "error");
    assert_eq!(r["body"]["code"], 10);
    assert_eq!(r["body"]["in_reply_to"], 2);
    // No type → 12 malformed-request.
    p.send_json(json!({"src": "c1", "dest": "n0", "body": {"msg_id": 3}}));
    let r = p.recv();
    assert_eq!(r["body"]["code"], 12);
    assert_eq!(r["body"]["in_reply_to"], 3);
    // Known type with a missing field → 12.
    p.send_json(json!({"src": "c1", "dest": "n0", "body": {"type": "echo", "msg_id": 4}}));
    assert_eq!(p.recv()["body"]["code"], 12);
    // A stray reply or error from a peer is never answered (no error ping-pong).
    p.send_json(json!({"src": "n1", "dest": "n0", "body": {"type": "error", "in_reply_to": 99, "code": 13}}));
    p.send_json(
        json!({"src": "n1", "dest": "n0", "body": {"type": "whatever_ok", "in_reply_to": 98}}),
    );
    p.assert_silent(Duration::from_millis(200));
    // Still healthy afterwards.
    p.send_json(
        json!({"src": "c1", "dest": "n0", "body": {"type": "echo", "msg_id": 5, "echo": 1}}),
    );
    assert_eq!(p.recv()["body"]["echo"], 1);
    assert!(p.child.try_wait().unwrap().is_none(), "node still running");
}

#[test]
fn message_before_init_is_refused_politely() {
    let mut p = Proc::spawn(ECHO);
    p.send_json(
        json!({"src": "c1", "dest": "n0", "body": {"type": "echo", "msg_id": 1, "echo": 1}}),
    );
    let r = p.recv();
    assert_eq!(r["body"]["code"], 11);
    p.init("n0", &["n0"]);
}

#[test]
fn node_stays_alive_after_stdin_eof() {
    for bin in [ECHO, UNIQUE_IDS] {
        let mut p = Proc::spawn(bin);
        p.init("n0", &["n0"]);
        drop(p.stdin.take()); // EOF
        std::thread::sleep(Duration::from_secs(1));
        assert!(
            p.child.try_wait().unwrap().is_none(),
            "{bin} exited after stdin closed; Maelstrom would count a crash"
        );
    }
}

#[test]
fn unique_ids_process_answers_generate() {
    let mut p = Proc::spawn(UNIQUE_IDS);
    p.init("n1", &["n0", "n1", "n2"]);
    let mut seen = std::collections::HashSet::new();
    for i in 0..100u64 {
        p.send_json(
            json!({"src": "c1", "dest": "n1", "body": {"type": "generate", "msg_id": i + 1}}),
        );
        let r = p.recv();
        let body = r["body"].as_object().unwrap();
        let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["id", "in_reply_to", "type"]);
        let id = body["id"].as_u64().expect("integer id");
        assert_eq!(id % 3, 1, "node n1 of 3 owns ids ≡ 1 (mod 3)");
        assert!(seen.insert(id));
    }
}
