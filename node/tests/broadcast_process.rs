//! The real `broadcast` binary: it picks its profile from a stray argument or the
//! environment, ignores unknown words (Maelstrom forwards them), and answers with the
//! closed reply schemas on stdout.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_broadcast");

/// Run one node through init, broadcast, read, topology; return its stdout bodies and stderr.
fn session(args: &[&str], env: Option<&str>) -> (Vec<Value>, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.env_remove("GLOMERS_BROADCAST_PROFILE")
        .env_remove("RUST_LOG");
    if let Some(v) = env {
        cmd.env("GLOMERS_BROADCAST_PROFILE", v);
    }
    let mut child = cmd.spawn().expect("spawn broadcast");
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut bodies = Vec::new();
    for body in [
        json!({"type": "init", "msg_id": 1, "node_id": "n0", "node_ids": ["n0"]}),
        json!({"type": "topology", "msg_id": 2, "topology": {"n0": []}}),
        json!({"type": "broadcast", "msg_id": 3, "message": 7}),
        json!({"type": "read", "msg_id": 4}),
    ] {
        let line = json!({"id": 1, "src": "c1", "dest": "n0", "body": body}).to_string();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        let mut reply = String::new();
        out.read_line(&mut reply).unwrap();
        let v: Value = serde_json::from_str(&reply).expect("stdout is JSON");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 3, "closed envelope: {reply}");
        bodies.push(v["body"].clone());
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (bodies, err)
}

#[test]
fn answers_with_closed_schemas_and_picks_profiles() {
    let (bodies, err) = session(&["–-nemesis", "partition", "3d"], Some("messages"));
    assert_eq!(bodies[0], json!({"type": "init_ok", "in_reply_to": 1}));
    assert_eq!(bodies[1], json!({"type": "topology_ok", "in_reply_to": 2}));
    assert_eq!(bodies[2], json!({"type": "broadcast_ok", "in_reply_to": 3}));
    assert_eq!(
        bodies[3],
        json!({"type": "read_ok", "messages": [7], "in_reply_to": 4})
    );
    assert!(err.contains("profile=Latency"), "the argument wins: {err}");
    assert!(err.contains("ignoring argument"), "{err}");
    let (_, err) = session(&[], Some("3d"));
    assert!(err.contains("profile=Latency"), "{err}");
    let (_, err) = session(&[], None);
    assert!(err.contains("profile=Messages"), "default: {err}");
}
