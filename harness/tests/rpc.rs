//! Client RPC rules (MAELSTROM.md §2.3–2.5): closed response schemas, reply matching, error
//! decoding before schema checks, timeouts, and the mapping to `:ok`/`:fail`/`:info`.

use std::sync::Arc;
use std::time::Duration;

use glomers_harness::cli::LatencyDist;
use glomers_harness::client::{Client, RpcError};
use glomers_harness::latency::Latency;
use glomers_harness::log::Log;
use glomers_harness::net::{run_queue, Message, Net, Target};
use glomers_harness::outcome::complete;
use glomers_harness::schema::{req, BodySchema, Ty};
use glomers_harness::workload::{lookup, Invocation};
use glomers_model::{OpType, Value};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;

const READ_OK: BodySchema = BodySchema {
    typ: "read_ok",
    fields: &[req("value", Ty::Int)],
};

#[test]
fn closed_response_schema() {
    assert!(READ_OK
        .check(&json!({"type": "read_ok", "value": 3, "in_reply_to": 1}))
        .is_ok());
    assert!(READ_OK
        .check(&json!({"type": "read_ok", "value": 3, "in_reply_to": 1, "msg_id": 9}))
        .is_ok());
    for bad in [
        json!({"type": "read_ok", "value": 3}), // no in_reply_to
        json!({"type": "read_ok", "value": 3, "in_reply_to": "1"}), // not an int
        json!({"type": "read_ok", "value": 3.0, "in_reply_to": 1}), // 3.0 is not Int
        json!({"type": "read_ok", "value": 3, "in_reply_to": 1, "extra": 0}), // closed map
        json!({"type": "reed_ok", "value": 3, "in_reply_to": 1}), // wrong type
        json!({"type": "read_ok", "in_reply_to": 1}), // missing field
        json!({"type": "read_ok", "value": 3, "in_reply_to": 1, "msg_id": 1.5}),
    ] {
        assert!(READ_OK.check(&bad).is_err(), "{bad}");
    }
    const SEQ: BodySchema = BodySchema {
        typ: "read_ok",
        fields: &[req("messages", Ty::Seq(&Ty::Any))],
    };
    let seq = SEQ;
    assert!(seq
        .check(&json!({"type": "read_ok", "messages": [1, "a", null], "in_reply_to": 1}))
        .is_ok());
    assert!(seq
        .check(&json!({"type": "read_ok", "messages": {}, "in_reply_to": 1}))
        .is_err());
}

/// Replies to each request with a scripted sequence of bodies.
struct Scripted {
    net: Arc<Net>,
    replies: Vec<serde_json::Value>,
}

impl Target for Scripted {
    async fn deliver(&mut self, msg: Message) {
        let req = msg.body_json();
        for mut r in std::mem::take(&mut self.replies) {
            if r.get("in_reply_to") == Some(&json!("MSG_ID")) {
                r["in_reply_to"] = req["msg_id"].clone();
            }
            let _ = self.net.send_json("n0", &msg.src, &r);
        }
    }
    async fn idle(&mut self) {}
}

fn net_with(replies: Vec<serde_json::Value>) -> Arc<Net> {
    let net = Arc::new(Net::new(
        Latency {
            mean_ms: 0,
            dist: LatencyDist::Constant,
        },
        StdRng::seed_from_u64(0),
        Arc::new(Log::sink()),
        false,
        false,
    ));
    tokio::spawn(run_queue(
        net.clone(),
        net.register_queue("n0"),
        Scripted {
            net: net.clone(),
            replies,
        },
    ));
    net
}

#[tokio::test(start_paused = true)]
async fn non_matching_replies_are_dropped() {
    let net = net_with(vec![
        json!({"type": "read_ok", "value": 0, "in_reply_to": 7}),
        json!({"type": "read_ok", "value": 0, "in_reply_to": "1"}),
        json!({"type": "read_ok", "value": 0, "in_reply_to": 1.0}),
        json!({"type": "read_ok", "value": 0}),
        json!({"type": "read_ok", "value": 42, "in_reply_to": "MSG_ID"}),
    ]);
    let mut c = Client::open(&net);
    let r = c
        .rpc(
            "n0",
            json!({"type": "read"}),
            &READ_OK,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(r["value"], 42);
    assert_eq!(r["in_reply_to"], 1, "client msg_ids start at 1");
}

#[tokio::test(start_paused = true)]
async fn errors_are_decoded_before_the_schema_check() {
    let net = net_with(vec![
        json!({"type": "error", "code": 20, "text": "nope", "whatever": 1, "in_reply_to": "MSG_ID"}),
    ]);
    let mut c = Client::open(&net);
    match c
        .rpc(
            "n0",
            json!({"type": "read"}),
            &READ_OK,
            Duration::from_secs(5),
        )
        .await
    {
        Err(RpcError::Error {
            code: Some(20),
            text: Some(t),
            ..
        }) => assert_eq!(t, "nope"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn timeouts_and_malformed_replies() {
    let net = net_with(vec![]);
    let mut c = Client::open(&net);
    let start = tokio::time::Instant::now();
    assert!(matches!(
        c.rpc(
            "n0",
            json!({"type": "read"}),
            &READ_OK,
            Duration::from_millis(5000)
        )
        .await,
        Err(RpcError::Timeout)
    ));
    assert_eq!(start.elapsed(), Duration::from_millis(5000));

    let net = net_with(vec![
        json!({"type": "read_ok", "value": 1, "bonus": true, "in_reply_to": "MSG_ID"}),
    ]);
    let mut c = Client::open(&net);
    let e = c
        .rpc(
            "n0",
            json!({"type": "read"}),
            &READ_OK,
            Duration::from_secs(1),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, RpcError::Malformed { .. }));
    assert!(e.message().starts_with("Malformed RPC response"));
    assert!(e.message().contains(":bonus disallowed-key"));
}

#[test]
fn outcomes_follow_with_errors_rules() {
    let broadcast = lookup("broadcast").unwrap();
    let read = Invocation::new("read", Value::Nil);
    let bcast = Invocation::new("broadcast", Value::Int(3));

    let c = complete(&*broadcast, &read, Err(RpcError::Timeout));
    assert_eq!(c.typ, OpType::Fail, "read is idempotent");
    assert_eq!(
        c.extra,
        vec![("error".to_string(), Value::kw("net-timeout"))]
    );
    let c = complete(&*broadcast, &bcast, Err(RpcError::Timeout));
    assert_eq!(c.typ, OpType::Info);
    assert_eq!(c.value, Value::Int(3));

    let err = |code| RpcError::Error {
        code: Some(code),
        text: Some("t".into()),
        body: json!({}),
    };
    let c = complete(&*broadcast, &bcast, Err(err(11)));
    assert_eq!(c.typ, OpType::Fail, "temporarily-unavailable is definite");
    assert_eq!(
        c.extra[0].1,
        Value::Vector(vec![
            Value::kw("temporarily-unavailable"),
            Value::Str("t".into())
        ])
    );
    let c = complete(&*broadcast, &bcast, Err(err(13)));
    assert_eq!(c.typ, OpType::Info, "crash is indefinite");
    let c = complete(&*broadcast, &bcast, Err(err(1234)));
    assert_eq!(c.typ, OpType::Info);
    assert_eq!(
        c.extra[0].1,
        Value::Vector(vec![Value::kw("unknown"), Value::Str("t".into())])
    );

    // g-counter does not use with-errors: any failure is an :info with an exception.
    let counter = lookup("g-counter").unwrap();
    let add = Invocation::new("add", Value::Int(2));
    let c = complete(&*counter, &add, Err(RpcError::Timeout));
    assert_eq!(c.typ, OpType::Info);
    assert_eq!(c.extra[0].0, "exception");
    assert_eq!(
        c.extra[1],
        (
            "error".to_string(),
            Value::Str("indeterminate: Client read timeout".into())
        )
    );
    let via = c.extra[0].1.get("via").and_then(Value::as_seq).unwrap();
    assert_eq!(
        via[0].get("type"),
        Some(&Value::Symbol("clojure.lang.ExceptionInfo".into()))
    );
    assert_eq!(
        via[0].get_in(&["data", "type"]),
        Some(&Value::kw("maelstrom.client/timeout"))
    );
    let c = complete(&*counter, &add, Err(err(22)));
    assert_eq!(c.typ, OpType::Info);

    // Final reads keep their :final? flag on the completion.
    let fin = broadcast.final_op().unwrap();
    let c = complete(&*broadcast, &fin, Ok(Value::Vector(vec![])));
    assert_eq!(c.typ, OpType::Ok);
    assert_eq!(c.extra, vec![("final?".to_string(), Value::Bool(true))]);
}
