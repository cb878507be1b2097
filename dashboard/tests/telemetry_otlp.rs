//! The OTLP/HTTP receiver of a running dashboard: protobuf and JSON bodies (plain and gzip)
//! land on the right run (by the `glomers.run` resource attribute, else by time window and
//! node id, also when the run folder appears after the data); oversize bodies get 413,
//! malformed ones 400, other content types 415, and other runs stay untouched. The strongest
//! check: real `echo` node processes exporting OTLP straight to the dashboard.

mod telemetry_support;

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use glomers_dashboard::ingest::Limits;
use glomers_dashboard::{App, Options};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use telemetry_support::*;

const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const PROTO: (&str, &str) = ("Content-Type", "application/x-protobuf");
const JSON: (&str, &str) = ("Content-Type", "application/json");

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
        ..Default::default()
    }
}

fn resource(node: &str, pid: &str, run: Option<&str>) -> Resource {
    let mut attributes = vec![
        kv("service.name", "echo"),
        kv("service.instance.id", node),
        kv("process.pid", pid),
    ];
    if let Some(r) = run {
        attributes.push(kv("glomers.run", r));
    }
    Resource {
        attributes,
        ..Default::default()
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

fn hexb(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A protobuf trace export of one root span on `node` (a client's echo).
fn proto_traces(node: &str, pid: &str, run: Option<&str>, t: u64) -> Vec<u8> {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource(node, pid, run)),
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: hexb(TRACE),
                    span_id: hexb("b7ad6b7169203331"),
                    name: "handle".into(),
                    start_time_unix_nano: t,
                    end_time_unix_nano: t + 2_000_000,
                    attributes: vec![kv("msg.type", "echo"), kv("msg.src", "c4")],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// A JSON trace export: `node`'s span, child of the protobuf one, starting 1 ms later.
fn json_traces(node: &str, pid: &str, t: u64) -> String {
    serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "echo"}},
            {"key": "service.instance.id", "value": {"stringValue": node}},
            {"key": "process.pid", "value": {"intValue": pid}}]},
        "scopeSpans": [{"spans": [{
            "traceId": TRACE, "spanId": "00f067aa0ba902b7", "parentSpanId": "b7ad6b7169203331",
            "name": "handle", "startTimeUnixNano": (t + 1_000_000).to_string(),
            "endTimeUnixNano": (t + 1_500_000).to_string(),
            "attributes": [{"key": "msg.type", "value": {"stringValue": "echo"}},
                           {"key": "msg.src", "value": {"stringValue": "n0"}}]}]}]}]})
    .to_string()
}

/// A protobuf metrics export: `glomers_messages_sent_total{node,peer=node,type=gossip} = v`.
fn proto_metrics(node: &str, pid: &str, run: Option<&str>, t: u64, v: i64) -> Vec<u8> {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource(node, pid, run)),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "glomers_messages_sent_total".into(),
                    data: Some(metric::Data::Sum(Sum {
                        data_points: vec![NumberDataPoint {
                            attributes: vec![
                                kv("node", node),
                                kv("peer", "node"),
                                kv("type", "gossip"),
                            ],
                            start_time_unix_nano: t,
                            time_unix_nano: t + 1_000_000,
                            value: Some(number_data_point::Value::AsInt(v)),
                            ..Default::default()
                        }],
                        aggregation_temporality: 2,
                        is_monotonic: true,
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn spans_of(page: &str) -> Option<String> {
    attr_of(page, "id=\"telemetry-summary\"", "data-spans")
}

#[tokio::test(flavor = "multi_thread")]
async fn protobuf_and_json_bodies_reach_the_right_run_and_bad_ones_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    let current = make_run(&store, "echo", now - Duration::from_secs(5), 2, now);
    let old = make_run(
        &store,
        "broadcast",
        now - hour,
        3,
        now - hour + Duration::from_secs(20),
    );
    let app = App::with_options(
        &store,
        Some(&tmp.path().join("db.sqlite")),
        Limits::default(),
        Options {
            otlp_max_bytes: 64 * 1024,
            ..Options::default()
        },
    )
    .unwrap();
    app.rescan();
    let addr = serve(&app).await;
    let t = now_ns();
    let (cur_href, old_href) = (format!("/run/{current}"), format!("/run/{old}"));
    let (old2, cur2) = (old.clone(), current.clone());
    tokio::task::spawn_blocking(move || {
        // By time and node id: n0 (protobuf) and n1 (JSON, gzip) go to the current run.
        let r = http(addr, "POST", "/v1/traces", &[PROTO], &proto_traces("n0", "11", None, t));
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.headers.contains("application/x-protobuf"));
        let body = gzip(json_traces("n1", "12", t).as_bytes());
        let r = http(addr, "POST", "/v1/traces", &[JSON, ("Content-Encoding", "gzip")], &body);
        assert_eq!((r.status, r.body.as_str()), (200, "{}"));
        // By resource attribute: metrics named for the old run go there despite the time.
        let m = proto_metrics("n2", "13", Some(&old2), t, 42);
        assert_eq!(http(addr, "POST", "/v1/metrics", &[PROTO], &m).status, 200);
        // JSON metrics for n1 (current run, by time).
        let json_m = serde_json::json!({"resourceMetrics": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "echo"}},
                                         {"key": "service.instance.id", "value": {"stringValue": "n1"}},
                                         {"key": "process.pid", "value": {"intValue": "12"}}]},
            "scopeMetrics": [{"metrics": [{"name": "glomers_messages_sent_total", "sum": {
                "dataPoints": [{"attributes": [{"key": "node", "value": {"stringValue": "n1"}},
                                               {"key": "peer", "value": {"stringValue": "client"}},
                                               {"key": "type", "value": {"stringValue": "echo_ok"}}],
                                "startTimeUnixNano": t.to_string(), "timeUnixNano": t.to_string(),
                                "asInt": "7"}],
                "aggregationTemporality": 2, "isMonotonic": true}}]}]}]});
        let r = http(addr, "POST", "/v1/metrics", &[JSON], json_m.to_string().as_bytes());
        assert_eq!(r.status, 200, "{}", r.body);

        let before_cur = spans_of(&get_page(addr, &cur_href));
        assert_eq!(before_cur.as_deref(), Some("2"));
        // Refused: too big (declared and actual), malformed protobuf and JSON, bad ids,
        // unknown content type or encoding.
        let big = vec![0u8; 100 * 1024];
        assert_eq!(http(addr, "POST", "/v1/traces", &[PROTO], &big).status, 413);
        let bomb = gzip(&vec![b' '; 1024 * 1024]);
        assert!(bomb.len() < 64 * 1024);
        let r = http(addr, "POST", "/v1/traces", &[JSON, ("Content-Encoding", "gzip")], &bomb);
        assert_eq!(r.status, 413);
        let r = http(addr, "POST", "/v1/traces", &[PROTO], b"\x0a\xff\xff\xff\xff");
        assert_eq!(r.status, 400);
        assert!(r.body.contains("protobuf"), "{}", r.body);
        let r = http(addr, "POST", "/v1/metrics", &[JSON], b"{\"resourceMetrics\": 5}");
        assert_eq!(r.status, 400);
        let msg: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert!(msg["message"].as_str().unwrap().contains("JSON"), "{}", r.body);
        let bad_id = json_traces("n1", "12", t).replace(TRACE, "abcd");
        let r = http(addr, "POST", "/v1/traces", &[JSON], bad_id.as_bytes());
        assert_eq!(r.status, 400);
        assert!(r.body.contains("trace id"), "{}", r.body);
        let r = http(addr, "POST", "/v1/traces", &[("Content-Type", "text/plain")], b"x");
        assert_eq!(r.status, 415);
        let r = http(addr, "POST", "/v1/traces", &[PROTO, ("Content-Encoding", "br")], b"x");
        assert_eq!(r.status, 415);
        assert_eq!(http(addr, "GET", "/v1/traces", &[], b"").status, 405);

        // Nothing refused was stored; each run shows only its own telemetry.
        let cur = get_page(addr, &cur_href);
        assert_eq!(spans_of(&cur), before_cur);
        assert_eq!(attr_of(&cur, "id=\"telemetry-summary\"", "data-processes").as_deref(), Some("2"));
        assert_eq!(attr_of(&cur, "data-node=\"n1\" data-sent=", "data-sent").as_deref(), Some("7"));
        assert!(!cur.contains("data-node=\"n2\" data-sent="));
        let oldp = get_page(addr, &old_href);
        assert_eq!(spans_of(&oldp).as_deref(), Some("0"));
        assert_eq!(attr_of(&oldp, "data-node=\"n2\" data-sent=", "data-sent").as_deref(), Some("42"));
        // The waterfall of the trace: n0's span, then n1's as its child.
        let wf = get_page(addr, &format!("{cur_href}?trace={TRACE}"));
        assert_eq!(attr_of(&wf, "id=\"waterfall\"", "data-spans").as_deref(), Some("2"));
        let p0 = wf.find("class=\"wf-row\" data-node=\"n0\"").expect("n0 row");
        let p1 = wf.find("class=\"wf-row\" data-node=\"n1\"").expect("n1 row");
        assert!(p0 < p1);
        // The slowest client operations list has the trace (its root is a client's echo).
        assert!(wf.contains(&format!("data-trace=\"{TRACE}\"")));
        let metrics = get_page(addr, "/metrics");
        assert!(metrics.contains("glomers_dashboard_otlp_requests_total{signal=\"traces\",status=\"413\"} 2"));
        let _ = (cur2,);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn data_before_its_run_folder_waits_and_is_tied_on_the_next_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let app = App::new(
        &store,
        Some(&tmp.path().join("db.sqlite")),
        Limits::default(),
    )
    .unwrap();
    app.rescan();
    let addr = serve(&app).await;
    let t = now_ns();
    tokio::task::spawn_blocking(move || {
        let r = http(
            addr,
            "POST",
            "/v1/traces",
            &[PROTO],
            &proto_traces("n1", "21", None, t),
        );
        assert_eq!(r.status, 200);
    })
    .await
    .unwrap();
    let now = SystemTime::now();
    let run = make_run(&store, "echo", now - Duration::from_secs(2), 2, now);
    app.rescan();
    let page = tokio::task::spawn_blocking(move || get_page(addr, &format!("/run/{run}")))
        .await
        .unwrap();
    assert_eq!(spans_of(&page).as_deref(), Some("1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn real_nodes_export_otlp_to_the_dashboard() {
    // Built first: the nodes' data is tied to the run by its time window, which a long
    // build (`cargo test -p glomers-dashboard` after a change to the nodes) would outlast.
    let bin = node_bin("echo");
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let now = SystemTime::now();
    let run = make_run(&store, "echo", now - Duration::from_secs(1), 2, now);
    let app = App::new(
        &store,
        Some(&tmp.path().join("db.sqlite")),
        Limits::default(),
    )
    .unwrap();
    app.rescan();
    let addr = serve(&app).await;
    let index = app.state.index.clone();
    let run2 = run.clone();
    tokio::task::spawn_blocking(move || {
        let env = vec![
            ("GLOMERS_TELEMETRY", "otlp".to_string()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{addr}")),
        ];
        let mut n0 = NodeProc::start(&bin, "n0", &["n0", "n1"], &env);
        let mut n1 = NodeProc::start(&bin, "n1", &["n0", "n1"], &env);
        for i in 0..4 {
            n0.client_echo("c1", 10 + i);
        }
        n1.client_echo("c2", 30);
        let trace = chain(&mut n0, &mut n1);
        // Spans are exported within about a second; metrics every second.
        let arrived = wait_until(Duration::from_secs(15), || {
            let spans = index.tel_trace(&run2, &trace, 10).unwrap_or_default();
            let metrics = index.tel_metrics_of_run(&run2).unwrap_or_default();
            spans.len() == 2
                && metrics.iter().any(|m| {
                    m.name == "glomers_messages_sent_total"
                        && m.labels_json.contains("\"node\":\"n1\"")
                        && m.labels_json.contains("\"peer\":\"node\"")
                })
        });
        n0.kill();
        n1.kill();
        assert!(arrived, "the nodes' OTLP exports did not reach the run");
        let page = get_page(addr, &format!("/run/{run2}?trace={trace}"));
        assert_eq!(
            attr_of(&page, "id=\"telemetry-summary\"", "data-processes").as_deref(),
            Some("2")
        );
        let p0 = page
            .find("class=\"wf-row\" data-node=\"n0\"")
            .expect("n0 row");
        let p1 = page
            .find("class=\"wf-row\" data-node=\"n1\"")
            .expect("n1 row");
        assert!(p0 < p1);
        let sent = attr_of(&page, "data-node=\"n0\" data-sent=", "data-sent").unwrap();
        assert!(sent.parse::<f64>().unwrap() >= 5.0, "n0 sent {sent}");
    })
    .await
    .unwrap();
}
