//! Telemetry over the in-memory network: trace context travels node→node inside message
//! bodies (the receiver's `handle` span is a child of the sender's span, across an RPC and
//! a gossip round), is taken out before handlers and RPC callers see a body, and never
//! reaches clients or services. Metrics are labelled by node and peer kind.

use std::sync::OnceLock;
use std::time::Duration;

use glomers_node::sim::{Cluster, FakeKv};
use glomers_node::telemetry::{self, Config, MemorySink, SpanRecord, TRACEPARENT_KEY};
use glomers_node::{Handler, Kv, Message, Node, NodeError};
use serde::Deserialize;
use serde_json::{json, Value};

/// Telemetry is process-wide: every test here shares one in-memory sink.
fn sink() -> &'static MemorySink {
    static SINK: OnceLock<MemorySink> = OnceLock::new();
    SINK.get_or_init(|| {
        let sink = MemorySink::new();
        telemetry::init(Config::memory(sink.clone())).expect("telemetry starts once");
        sink
    })
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Req {
    /// From a client: store `value` on the next node (an RPC), then answer.
    Relay { value: u64 },
    /// From a node: note the value on a third node (a gossip round), answer `store_ok`.
    Store { value: u64 },
    /// From a node: nothing to answer.
    Note {
        #[allow(dead_code)]
        value: u64,
    },
    /// From a client: one CaS loop against lin-kv.
    Bump { key: String },
}

struct Relay;

fn next(node: &Node, step: usize) -> String {
    let ids = node.node_ids();
    ids[(node.index() + step) % ids.len()].clone()
}

impl Handler for Relay {
    type Request = Req;

    fn handle(&self, node: &Node, msg: Message<Req>) -> Result<(), NodeError> {
        let reply_to = msg.reply_to();
        match msg.body {
            Req::Relay { value } => {
                let n = node.clone();
                node.spawn_reply(reply_to, async move {
                    let to = next(&n, 1);
                    let reply: Value = n
                        .rpc(
                            &to,
                            &json!({"type": "store", "value": value}),
                            Duration::from_secs(1),
                        )
                        .await?;
                    assert!(
                        reply.get(TRACEPARENT_KEY).is_none(),
                        "trace context leaked to an RPC caller: {reply}"
                    );
                    Ok(json!({"type": "relay_ok"}))
                });
            }
            Req::Store { value } => {
                let to = next(node, 1);
                {
                    let round = telemetry::gossip_round(node, 1, 1);
                    let _g = round.enter();
                    node.send(&to, &json!({"type": "note", "value": value}));
                }
                node.reply(&reply_to, &json!({"type": "store_ok"}));
            }
            Req::Note { .. } => {}
            Req::Bump { key } => {
                let n = node.clone();
                node.spawn_reply(reply_to, async move {
                    let kv = Kv::lin(&n);
                    let mut lp = telemetry::cas_loop(&n, kv.service());
                    let mut current: i64 = 0;
                    loop {
                        lp.attempt();
                        match kv.cas(&key, &current, &(current + 1), true).await {
                            Ok(()) => break,
                            Err(_) => current = kv.read(&key).await.unwrap_or(0),
                        }
                    }
                    lp.finish("ok");
                    Ok(json!({"type": "bump_ok"}))
                });
            }
        }
        Ok(())
    }
}

/// Spans of one trace, once `want` of them have ended (up to 2 s).
async fn trace_spans(trace_id: &str, want: usize) -> Vec<SpanRecord> {
    for _ in 0..200 {
        let spans: Vec<SpanRecord> = sink()
            .spans()
            .into_iter()
            .filter(|s| s.trace_id == trace_id)
            .collect();
        if spans.len() >= want {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "trace {trace_id} never reached {want} spans: {:?}",
        sink().spans()
    );
}

fn find<'a>(spans: &'a [SpanRecord], name: &str, node: &str) -> &'a SpanRecord {
    spans
        .iter()
        .find(|s| s.name == name && s.attr_str("node") == Some(node))
        .unwrap_or_else(|| panic!("no {name} span on {node} in {spans:#?}"))
}

#[tokio::test]
async fn one_request_is_one_trace_across_nodes() {
    sink();
    let cluster = Cluster::start(3, Duration::from_millis(5), |_: &Node| Relay).await;
    let mut tap = cluster.tap();
    let mut client = cluster.client();
    let reply = client
        .rpc("n0", json!({"type": "relay", "value": 7}))
        .await
        .unwrap();
    // Exactly the declared reply: nothing added for telemetry.
    assert_eq!(reply, json!({"type": "relay_ok", "in_reply_to": 1}));

    // What went over the wire: trace context on node→node bodies only.
    let mut node_to_node = 0;
    tokio::time::sleep(Duration::from_millis(50)).await;
    while let Ok(env) = tap.try_recv() {
        let has_tp = env.body.get(TRACEPARENT_KEY).is_some();
        if env.src.starts_with('n') && env.dest.starts_with('n') {
            node_to_node += 1;
            assert!(has_tp, "node→node body without trace context: {env:?}");
        } else {
            assert!(!has_tp, "trace context outside node→node traffic: {env:?}");
        }
    }
    assert_eq!(node_to_node, 3, "store, store_ok and note");

    // The client's request started a trace on n0; find it and follow it.
    let root = sink()
        .spans()
        .into_iter()
        .find(|s| {
            s.name == "handle"
                && s.attr_str("msg.type") == Some("relay")
                && s.attr_str("msg.src") == Some(client.id())
        })
        .expect("handle span for the relay");
    assert_eq!(root.parent_span_id, None);
    let spans = trace_spans(&root.trace_id, 5).await;

    let rpc = find(&spans, "rpc", "n0");
    assert_eq!(rpc.parent_span_id.as_deref(), Some(root.span_id.as_str()));
    assert_eq!(rpc.attr_str("msg.type"), Some("store"));
    assert_eq!(rpc.attr_str("peer"), Some("node"));
    assert_eq!(rpc.attr_str("outcome"), Some("ok"));

    let store = find(&spans, "handle", "n1");
    assert_eq!(store.attr_str("msg.type"), Some("store"));
    assert_eq!(store.parent_span_id.as_deref(), Some(rpc.span_id.as_str()));
    assert!(store.parent_is_remote);

    let round = find(&spans, "gossip_round", "n1");
    assert_eq!(
        round.parent_span_id.as_deref(),
        Some(store.span_id.as_str())
    );
    assert_eq!(round.attributes["fanout"], json!(1));

    let note = find(&spans, "handle", "n2");
    assert_eq!(note.attr_str("msg.type"), Some("note"));
    assert_eq!(note.parent_span_id.as_deref(), Some(round.span_id.as_str()));
    assert!(note.parent_is_remote);

    let text = telemetry::metrics_text().unwrap();
    for line in [
        r#"glomers_messages_sent_total{node="n0",peer="node",type="store"} "#,
        r#"glomers_messages_received_total{node="n1",peer="node",type="store"} "#,
        r#"glomers_messages_sent_total{node="n0",peer="client",type="relay_ok"} "#,
        r#"glomers_client_ops_total{node="n0",type="relay"} "#,
        r#"glomers_rpc_duration_seconds_count{node="n0",outcome="ok",peer="node",type="store"} "#,
        r#"glomers_gossip_fanout_count{node="n1"} "#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
}

#[tokio::test]
async fn services_get_no_trace_context_and_cas_is_counted() {
    sink();
    let cluster = Cluster::start_with_services(
        1,
        Duration::from_millis(1),
        vec![("lin-kv", Box::new(FakeKv::lin()))],
        |_: &Node| Relay,
    )
    .await;
    let mut tap = cluster.tap();
    let mut client = cluster.client();
    let reply = client
        .rpc("n0", json!({"type": "bump", "key": "k"}))
        .await
        .unwrap();
    assert_eq!(reply["type"], "bump_ok");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut to_service = 0;
    while let Ok(env) = tap.try_recv() {
        if env.dest == "lin-kv" {
            to_service += 1;
        }
        assert!(env.body.get(TRACEPARENT_KEY).is_none(), "{env:?}");
    }
    assert!(to_service >= 1);
    let text = telemetry::metrics_text().unwrap();
    assert!(
        text.contains(r#"glomers_kv_cas_total{node="n0",outcome="ok",service="lin-kv"} "#),
        "{text}"
    );
    assert!(text.contains(r#"glomers_kv_cas_retries_count{node="n0",service="lin-kv"} "#));
    assert!(text.contains(r#"peer="service",type="cas"} "#), "{text}");
    let spans = sink().spans();
    let lp = spans
        .iter()
        .find(|s| s.name == "cas_loop")
        .expect("cas_loop span");
    assert_eq!(lp.attributes["attempts"], json!(1));
    assert_eq!(lp.attr_str("outcome"), Some("ok"));
    promtool_check(&telemetry::metrics_text().unwrap());
}

/// `promtool check metrics` on the exposition (histograms included), when promtool is
/// installed (Debian package `prometheus`); skipped with a notice otherwise.
fn promtool_check(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        println!("NOTICE: promtool not installed; `promtool check metrics` skipped (apt-get install prometheus)");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
