//! The real `g-counter` binary: the exact mode answers from memory with closed reply
//! schemas; `naive` (argument or environment) switches to the test-only variant, which
//! goes to seq-kv on every request.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_g-counter");

struct Proc {
    child: Child,
    lines: mpsc::Receiver<Value>,
}

impl Proc {
    fn spawn(args: &[&str], naive_env: bool) -> Proc {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_remove("GLOMERS_GCOUNTER_NAIVE");
        if naive_env {
            cmd.env("GLOMERS_GCOUNTER_NAIVE", "1");
        }
        let mut child = cmd.spawn().expect("spawn g-counter");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line).expect("stdout is JSON lines");
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let mut p = Proc { child, lines: rx };
        p.send(json!({"src": "c0", "dest": "n0",
            "body": {"type": "init", "msg_id": 1, "node_id": "n0", "node_ids": ["n0", "n1", "n2"]}}));
        assert_eq!(p.recv()["body"]["type"], "init_ok");
        p
    }

    fn send(&mut self, v: Value) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{v}").unwrap();
        stdin.flush().unwrap();
    }

    fn recv(&self) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(5))
            .expect("a line from the node")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn exact_mode_answers_from_memory_with_closed_schemas() {
    let mut p = Proc::spawn(&[], false);
    p.send(json!({"src": "c1", "dest": "n0", "body": {"type": "add", "delta": 4, "msg_id": 1}}));
    assert_eq!(
        p.recv(),
        json!({"src": "n0", "dest": "c1", "body": {"type": "add_ok", "in_reply_to": 1}})
    );
    p.send(json!({"src": "c1", "dest": "n0", "body": {"type": "read", "msg_id": 2}}));
    assert_eq!(
        p.recv(),
        json!({"src": "n0", "dest": "c1", "body": {"type": "read_ok", "value": 4, "in_reply_to": 2}})
    );
    // Then the sync loop publishes the count to seq-kv with a CaS.
    let cas = p.recv();
    assert_eq!(cas["dest"], "seq-kv");
    assert_eq!(cas["body"]["type"], "cas");
    assert_eq!(cas["body"]["key"], "g-counter/n0");
    assert_eq!(cas["body"]["to"]["count"], 4);
    // A negative delta is refused (12, malformed-request), not counted.
    p.send(json!({"src": "c1", "dest": "n0", "body": {"type": "add", "delta": -1, "msg_id": 3}}));
    let r = loop {
        let r = p.recv();
        if r["dest"] == "c1" {
            break r;
        }
    };
    assert_eq!(r["body"]["code"], 12);
}

#[test]
fn naive_mode_by_argument_or_environment_goes_to_seq_kv() {
    for (args, env) in [(&["naive"][..], false), (&[][..], true)] {
        let mut p = Proc::spawn(args, env);
        p.send(json!({"src": "c1", "dest": "n0", "body": {"type": "read", "msg_id": 1}}));
        let r = p.recv();
        assert_eq!(
            r["dest"], "seq-kv",
            "naive reads ask seq-kv ({args:?}, env {env})"
        );
        assert_eq!(r["body"]["type"], "read");
        assert_eq!(r["body"]["key"], "g-counter/naive");
        let msg_id = r["body"]["msg_id"].clone();
        p.send(json!({"src": "seq-kv", "dest": "n0",
            "body": {"type": "read_ok", "value": 17, "in_reply_to": msg_id}}));
        assert_eq!(
            p.recv(),
            json!({"src": "n0", "dest": "c1", "body": {"type": "read_ok", "value": 17, "in_reply_to": 1}})
        );
    }
}
