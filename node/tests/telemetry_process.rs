//! Telemetry from real node processes (the `echo` binary): the file sink's output parses
//! back, an OTLP receiver gets spans and metrics with the expected names and attributes,
//! stdout is byte-for-byte the same with telemetry off, file or OTLP, and failing sinks
//! (unwritable directory, refused endpoint) change nothing the node does.

mod telemetry_common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use glomers_node::telemetry::SpanRecord;
use opentelemetry_proto::tonic::metrics::v1::metric;
use serde_json::Value;
use telemetry_common::*;

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "glomers-telemetry-test-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn env(pairs: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    pairs
        .iter()
        .map(|(k, v)| (&*k.to_string().leak(), v.to_string()))
        .collect()
}

/// stdout for the client script under the given environment.
fn client_output(vars: &[(&'static str, String)], cwd: &Path) -> Vec<String> {
    let mut node = spawn_echo(vars, cwd);
    let out = run_client_script(&mut node);
    assert!(node.alive());
    node.kill();
    out
}

/// The one node folder under a file-sink root: `<root>/n0/<start>-<pid>/`.
fn node_folder(root: &Path) -> Option<PathBuf> {
    let n0 = root.join("n0");
    let entry = std::fs::read_dir(n0).ok()?.next()?.ok()?;
    Some(entry.path())
}

#[test]
fn stdout_is_identical_with_telemetry_off_file_and_otlp() {
    let cwd = temp_dir("stdout");
    let off = client_output(&[], &cwd);
    assert_eq!(off.len(), client_script().len());
    assert!(off[0].contains("init_ok"));
    let explicit_off = client_output(&env(&[("GLOMERS_TELEMETRY", "off")]), &cwd);
    assert_eq!(explicit_off, off);

    let dir = cwd.join("files");
    let file = client_output(
        &env(&[
            ("GLOMERS_TELEMETRY", "file"),
            ("GLOMERS_TELEMETRY_DIR", dir.to_str().unwrap()),
        ]),
        &cwd,
    );
    assert_eq!(file, off, "file sink changed stdout");

    let receiver = OtlpReceiver::start();
    let otlp = client_output(
        &env(&[
            ("GLOMERS_TELEMETRY", "otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ]),
        &cwd,
    );
    assert_eq!(otlp, off, "OTLP sink changed stdout");

    let both = client_output(
        &env(&[
            ("GLOMERS_TELEMETRY", "file,otlp"),
            ("GLOMERS_TELEMETRY_DIR", dir.to_str().unwrap()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
        ]),
        &cwd,
    );
    assert_eq!(both, off, "file+OTLP changed stdout");
    let _ = std::fs::remove_dir_all(&cwd);
}

const REMOTE_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const REMOTE_SPAN: &str = "00f067aa0ba902b7";

/// Client traffic, then one request from a peer node carrying trace context.
fn run_with_peer_message(node: &mut NodeProc) -> String {
    run_client_script(node);
    node.send(&format!(
        r#"{{"src":"n1","dest":"n0","body":{{"type":"echo","msg_id":5,"echo":"x","traceparent":"00-{REMOTE_TRACE}-{REMOTE_SPAN}-01"}}}}"#
    ));
    node.recv()
}

#[test]
fn file_sink_writes_spans_metrics_and_meta() {
    let cwd = temp_dir("file");
    let root = cwd.join("telemetry");
    let mut node = spawn_echo(
        &env(&[
            ("GLOMERS_TELEMETRY", "file"),
            ("GLOMERS_TELEMETRY_DIR", root.to_str().unwrap()),
        ]),
        &cwd,
    );
    // The reply to a peer carries this node's context, in the same trace.
    let reply: Value = serde_json::from_str(&run_with_peer_message(&mut node)).unwrap();
    let tp = reply["body"]["traceparent"].as_str().expect("traceparent");
    assert!(tp.starts_with(&format!("00-{REMOTE_TRACE}-")), "{tp}");

    // Spans are flushed every 0.5 s, metrics every 1 s: wait for both.
    let complete = wait_until(Duration::from_secs(5), || {
        let Some(folder) = node_folder(&root) else {
            return false;
        };
        let spans = std::fs::read_to_string(folder.join("spans.jsonl")).unwrap_or_default();
        let metrics = std::fs::read_to_string(folder.join("metrics.prom")).unwrap_or_default();
        spans.lines().count() >= 22
            && metrics
                .contains(r#"glomers_messages_sent_total{node="n0",peer="node",type="echo_ok"} 1"#)
    });
    assert!(
        complete,
        "telemetry files incomplete; stderr:\n{}",
        node.stderr()
    );
    assert!(node.alive());
    let folder = node_folder(&root).unwrap();
    let name = folder.file_name().unwrap().to_str().unwrap().to_string();
    let pid = node.child.id();
    assert!(name.ends_with(&format!("-{pid}")), "{name}");

    // meta.json
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["node_id"], "n0");
    assert_eq!(meta["node_ids"], serde_json::json!(["n0", "n1"]));
    assert_eq!(meta["binary"], "echo");
    assert_eq!(meta["pid"], pid);
    assert!(meta["last_flush_unix_ms"].as_u64() >= meta["start_unix_ms"].as_u64());

    // spans.jsonl: every line is a span record.
    let text = std::fs::read_to_string(folder.join("spans.jsonl")).unwrap();
    let spans: Vec<SpanRecord> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let handles: Vec<&SpanRecord> = spans.iter().filter(|s| s.name == "handle").collect();
    assert!(handles.len() >= 22, "{handles:#?}");
    for s in &handles {
        assert_eq!(s.trace_id.len(), 32);
        assert_eq!(s.span_id.len(), 16);
        assert!(s.end_unix_nano >= s.start_unix_nano);
        assert_eq!(s.attr_str("node"), Some("n0"));
        assert!(s.attr_str("msg.type").is_some());
        assert!(s.attr_str("msg.src").is_some());
    }
    let echo = handles
        .iter()
        .find(|s| s.attr_str("msg.src") == Some("c2"))
        .unwrap();
    assert_eq!(echo.attr_str("msg.type"), Some("echo"));
    assert!(echo.attributes["msg.id"].is_i64());
    assert_eq!(echo.parent_span_id, None);
    let from_peer = handles
        .iter()
        .find(|s| s.attr_str("msg.src") == Some("n1"))
        .unwrap();
    assert_eq!(from_peer.trace_id, REMOTE_TRACE);
    assert_eq!(from_peer.parent_span_id.as_deref(), Some(REMOTE_SPAN));
    assert!(from_peer.parent_is_remote);
    assert!(tp.contains(&from_peer.span_id));

    // metrics.prom parses back, with the documented names and labels.
    let prom = std::fs::read_to_string(folder.join("metrics.prom")).unwrap();
    let (samples, types) = parse_prometheus(&prom);
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .find(|s| {
                s.name == name
                    && s.labels.len() == labels.len()
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
            })
            .unwrap_or_else(|| panic!("no {name} {labels:?} in\n{prom}"))
            .value
    };
    assert_eq!(
        value(
            "glomers_messages_received_total",
            &[("node", "n0"), ("type", "echo"), ("peer", "client")]
        ),
        20.0
    );
    assert_eq!(
        value(
            "glomers_messages_sent_total",
            &[("node", "n0"), ("type", "echo_ok"), ("peer", "client")]
        ),
        20.0
    );
    assert_eq!(
        value(
            "glomers_messages_sent_total",
            &[("node", "n0"), ("type", "error"), ("peer", "client")]
        ),
        1.0
    );
    assert_eq!(
        value(
            "glomers_messages_sent_total",
            &[("node", "n0"), ("type", "echo_ok"), ("peer", "node")]
        ),
        1.0
    );
    assert_eq!(
        value(
            "glomers_client_ops_total",
            &[("node", "n0"), ("type", "echo")]
        ),
        20.0
    );
    assert_eq!(
        types.get("glomers_messages_sent_total").map(String::as_str),
        Some("counter")
    );
    for s in &samples {
        assert!(s.name.starts_with("glomers_"), "{s:?}");
        assert!(s.labels.contains_key("node"), "{s:?}");
    }
    promtool_check(&folder.join("metrics.prom"));

    node.kill();
    let _ = std::fs::remove_dir_all(&cwd);
}

/// `promtool check metrics` on a snapshot, when promtool is installed (Debian: `prometheus`).
fn promtool_check(path: &Path) {
    let Ok(input) = std::fs::File::open(path) else {
        panic!("no snapshot at {}", path.display())
    };
    match std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(input)
        .output()
    {
        Err(_) => println!("NOTICE: promtool not installed; `promtool check metrics` skipped (apt-get install prometheus)"),
        Ok(out) => assert!(
            out.status.success(),
            "promtool check metrics failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

#[test]
fn otlp_receiver_gets_spans_and_metrics() {
    let cwd = temp_dir("otlp");
    let receiver = OtlpReceiver::start();
    let mut node = spawn_echo(
        &env(&[
            ("GLOMERS_TELEMETRY", "otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
            ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test"),
        ]),
        &cwd,
    );
    run_with_peer_message(&mut node);
    let span_count = |r: &Received| r.spans().len();
    // An export can fall between a counted request and its counted reply, so wait for
    // one whose latest metrics already hold the reply to the client.
    let ok = wait_until(Duration::from_secs(5), || {
        let g = receiver.got.lock().unwrap();
        span_count(&g) >= 22
            && g.metrics.last().is_some_and(|m| {
                let names: Vec<&str> = m
                    .resource_metrics
                    .iter()
                    .flat_map(|rm| &rm.scope_metrics)
                    .flat_map(|sm| &sm.metrics)
                    .map(|m| m.name.as_str())
                    .collect();
                names.contains(&"glomers_client_ops_total") && has_echo_ok_to_client(m)
            })
    });
    assert!(ok, "OTLP data missing; stderr:\n{}", node.stderr());
    assert!(node.alive());
    let g = receiver.got.lock().unwrap();
    assert!(g.other_paths.is_empty(), "{:?}", g.other_paths);

    // Traces: resource and span attributes.
    let rs = &g.traces[0].resource_spans[0];
    let res = &rs.resource.as_ref().unwrap().attributes;
    assert_eq!(attr(res, "service.name"), Some("echo"));
    assert_eq!(attr(res, "service.instance.id"), Some("n0"));
    assert_eq!(attr(res, "deployment.environment"), Some("test"));
    let spans = g.spans();
    let echo = spans
        .iter()
        .find(|s| s.name == "handle" && attr(&s.attributes, "msg.src") == Some("c1"))
        .expect("handle span from c1");
    assert_eq!(attr(&echo.attributes, "msg.type"), Some("echo"));
    assert_eq!(attr(&echo.attributes, "node"), Some("n0"));
    let remote = spans
        .iter()
        .find(|s| attr(&s.attributes, "msg.src") == Some("n1"))
        .expect("handle span from n1");
    assert_eq!(hex(&remote.trace_id), REMOTE_TRACE);
    assert_eq!(hex(&remote.parent_span_id), REMOTE_SPAN);

    // Metrics: same names and labels as the Prometheus side.
    let last = g.metrics.last().unwrap();
    let rm = &last.resource_metrics[0];
    assert_eq!(
        attr(
            &rm.resource.as_ref().unwrap().attributes,
            "service.instance.id"
        ),
        Some("n0")
    );
    let metrics: Vec<_> = rm.scope_metrics.iter().flat_map(|sm| &sm.metrics).collect();
    let sent = metrics
        .iter()
        .find(|m| m.name == "glomers_messages_sent_total")
        .unwrap();
    let Some(metric::Data::Sum(sum)) = &sent.data else {
        panic!("sum expected: {sent:?}")
    };
    assert!(sum.is_monotonic);
    let point = sum
        .data_points
        .iter()
        .find(|p| {
            attr(&p.attributes, "type") == Some("echo_ok")
                && attr(&p.attributes, "peer") == Some("client")
        })
        .expect("echo_ok to clients");
    assert_eq!(attr(&point.attributes, "node"), Some("n0"));
    drop(g);
    node.kill();
    let _ = std::fs::remove_dir_all(&cwd);
}

/// Whether a metrics export holds `glomers_messages_sent_total{type="echo_ok",peer="client"}`.
fn has_echo_ok_to_client(
    export: &opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest,
) -> bool {
    export
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .filter(|m| m.name == "glomers_messages_sent_total")
        .any(|m| match &m.data {
            Some(metric::Data::Sum(sum)) => sum.data_points.iter().any(|p| {
                attr(&p.attributes, "type") == Some("echo_ok")
                    && attr(&p.attributes, "peer") == Some("client")
            }),
            _ => false,
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn failing_sinks_change_nothing() {
    let cwd = temp_dir("failing");
    let off = client_output(&[], &cwd);
    // A directory that cannot be created, even by root: its parent is a regular file.
    let blocker = cwd.join("blocker");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let bad_dir = blocker.join("telemetry");
    let mut node = spawn_echo(
        &env(&[
            ("GLOMERS_TELEMETRY", "file,otlp"),
            ("GLOMERS_TELEMETRY_DIR", bad_dir.to_str().unwrap()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &refused_endpoint()),
        ]),
        &cwd,
    );
    let out = run_client_script(&mut node);
    assert_eq!(out, off, "a failing sink changed stdout");
    // Let both sinks fail a few flushes, then check the node still serves.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(node.alive());
    node.send(r#"{"src":"c9","dest":"n0","body":{"type":"echo","msg_id":1,"echo":"still here"}}"#);
    assert_eq!(
        node.recv(),
        r#"{"src":"n0","dest":"c9","body":{"echo":"still here","in_reply_to":1,"type":"echo_ok"}}"#
    );
    let stderr = node.stderr();
    for sink in ["file", "otlp"] {
        let notices = stderr
            .lines()
            .filter(|l| {
                l.contains("telemetry sink failing") && l.contains(&format!("sink=\"{sink}\""))
            })
            .count();
        assert_eq!(
            notices, 1,
            "{sink} failure should be logged once:\n{stderr}"
        );
    }
    assert!(!bad_dir.exists());
    node.kill();
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn grpc_protocol_never_disturbs_the_node() {
    // The refused endpoint makes every export fail: logged once, stdout unchanged.
    let cwd = temp_dir("grpc");
    let off = client_output(&[], &cwd);
    let mut node = spawn_echo(
        &env(&[
            ("GLOMERS_TELEMETRY", "otlp"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &refused_endpoint()),
        ]),
        &cwd,
    );
    assert_eq!(run_client_script(&mut node), off);
    let logged = wait_until(Duration::from_secs(5), || {
        node.stderr().contains("telemetry sink failing")
    });
    assert!(logged, "{}", node.stderr());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(node.alive());
    let notices = node.stderr().matches("telemetry sink failing").count();
    assert_eq!(notices, 1, "{}", node.stderr());
    node.kill();
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn sampling_off_keeps_metrics_and_follows_sampled_parents() {
    let cwd = temp_dir("sampling");
    let root = cwd.join("telemetry");
    let mut node = spawn_echo(
        &env(&[
            ("GLOMERS_TELEMETRY", "file"),
            ("GLOMERS_TELEMETRY_DIR", root.to_str().unwrap()),
            ("OTEL_TRACES_SAMPLER", "parentbased_always_off"),
        ]),
        &cwd,
    );
    // Client requests start no trace; the peer's sampled context is still followed.
    let reply: Value = serde_json::from_str(&run_with_peer_message(&mut node)).unwrap();
    assert!(reply["body"]["traceparent"].is_string());
    let done = wait_until(Duration::from_secs(5), || {
        node_folder(&root).is_some_and(|f| {
            std::fs::read_to_string(f.join("metrics.prom")).is_ok_and(|m| {
                m.contains(r#"glomers_messages_sent_total{node="n0",peer="node",type="echo_ok"} 1"#)
            }) && std::fs::read_to_string(f.join("spans.jsonl"))
                .is_ok_and(|s| s.lines().count() == 1)
        })
    });
    assert!(done, "{}", node.stderr());
    let folder = node_folder(&root).unwrap();
    let prom = std::fs::read_to_string(folder.join("metrics.prom")).unwrap();
    assert!(prom.contains(r#"glomers_client_ops_total{node="n0",type="echo"} 20"#));
    let spans = std::fs::read_to_string(folder.join("spans.jsonl")).unwrap();
    let only: SpanRecord = serde_json::from_str(spans.lines().next().unwrap()).unwrap();
    assert_eq!(only.trace_id, REMOTE_TRACE);
    assert_eq!(only.attr_str("msg.src"), Some("n1"));
    node.kill();
    let _ = std::fs::remove_dir_all(&cwd);
}
