//! Telemetry of the txn node over the in-memory network: one `txn` span per transaction
//! (a child of its `handle` span, with its ops and outcome), `glomers_txn_total`, and
//! `glomers_txn_conflicts_total` counting replicated writes that lost to a concurrent
//! writer.

use std::time::Duration;

use glomers_node::challenge::txn::{Config, Txn};
use glomers_node::sim::Cluster;
use glomers_node::telemetry::{self, MemorySink};
use glomers_node::Node;
use serde_json::json;

/// Sum of every series of counter `name` in a text exposition.
fn counter_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn transactions_are_spans_and_lost_writes_are_conflicts() {
    let sink = MemorySink::new();
    telemetry::init(telemetry::Config::memory(sink.clone())).expect("telemetry starts");
    let cluster = Cluster::start(2, Duration::from_millis(20), |node: &Node| {
        Txn::with_config(
            node,
            Config {
                log_every: None,
                ..Config::default()
            },
        )
    })
    .await;
    let (mut c0, mut c1) = (cluster.client(), cluster.client());
    // Both nodes write key 1 before either hears of the other's write: one write loses.
    let w0 = c0.rpc("n0", json!({"type": "txn", "txn": [["w", 1, 10]]}));
    let w1 = c1.rpc(
        "n1",
        json!({"type": "txn", "txn": [["w", 1, 11], ["r", 1, null]]}),
    );
    let (r0, r1) = tokio::join!(w0, w1);
    assert_eq!(r0.unwrap()["type"], "txn_ok");
    assert_eq!(r1.unwrap()["type"], "txn_ok");

    let mut text = String::new();
    for _ in 0..100 {
        text = telemetry::metrics_text().unwrap();
        if counter_sum(&text, "glomers_txn_conflicts_total") >= 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(counter_sum(&text, "glomers_txn_total"), 2.0, "{text}");
    assert!(
        text.contains(r#"glomers_txn_total{node="n1",outcome="committed"} 1"#),
        "{text}"
    );
    let conflicts = counter_sum(&text, "glomers_txn_conflicts_total");
    assert!(
        (1.0..=2.0).contains(&conflicts),
        "one of two concurrent writes lost, counted where the older one arrived: {text}"
    );
    assert!(text.contains(r#"outcome="committed"} "#), "{text}");

    let spans = sink.spans();
    let txns: Vec<_> = spans.iter().filter(|s| s.name == "txn").collect();
    assert_eq!(txns.len(), 2, "{spans:#?}");
    for t in &txns {
        assert_eq!(t.attr_str("outcome"), Some("committed"));
        assert_eq!(t.attributes["conflicts"], json!(0));
        let parent = spans
            .iter()
            .find(|s| Some(&s.span_id) == t.parent_span_id.as_ref())
            .expect("the txn span's parent");
        assert_eq!(parent.name, "handle");
        assert_eq!(parent.trace_id, t.trace_id);
    }
    let ops: Vec<_> = txns.iter().map(|t| t.attributes["ops"].clone()).collect();
    assert!(
        ops.contains(&json!(1)) && ops.contains(&json!(2)),
        "{ops:?}"
    );
}
