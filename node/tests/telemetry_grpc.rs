//! OTLP over gRPC from a real node process: a tonic collector inside the test receives the
//! echo node's spans and metrics, with the same names and attributes as over HTTP.

mod telemetry_common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::metrics::v1::metric;
use telemetry_common::*;
use tonic::{Request, Response, Status};

/// Both OTLP services, recording every request.
#[derive(Clone, Default)]
struct Collector {
    got: Arc<Mutex<Received>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.got.lock().unwrap().traces.push(request.into_inner());
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.got.lock().unwrap().metrics.push(request.into_inner());
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// Serve both services on 127.0.0.1 from a thread of its own; returns the address.
fn start_collector(collector: Collector) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let incoming =
                tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap())
                    .unwrap();
            tx.send(incoming.local_addr().unwrap()).unwrap();
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(collector.clone()))
                .add_service(MetricsServiceServer::new(collector))
                .serve_with_incoming(incoming)
                .await
                .unwrap();
        });
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
}

#[test]
fn grpc_collector_gets_spans_and_metrics() {
    let collector = Collector::default();
    let addr = start_collector(collector.clone());
    let cwd = std::env::temp_dir().join(format!("glomers-grpc-{}", std::process::id()));
    std::fs::create_dir_all(&cwd).unwrap();
    let mut node = spawn_echo(
        &[
            ("GLOMERS_TELEMETRY", "otlp".to_string()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_string()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{addr}")),
        ],
        &cwd,
    );
    let out = run_client_script(&mut node);
    assert_eq!(out.len(), client_script().len());

    // A `handle` span per request after init (20 echoes and the rejected one), and a
    // snapshot that counts every echo reply.
    let echo_replies = |r: &Received| -> Option<f64> {
        let last = r.metrics.last()?;
        last.resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
            .flat_map(|sm| &sm.metrics)
            .filter(|m| m.name == "glomers_messages_sent_total")
            .find_map(|m| match &m.data {
                Some(metric::Data::Sum(sum)) => sum.data_points.iter().find_map(|p| {
                    (attr(&p.attributes, "type") == Some("echo_ok")).then(|| match p.value {
                        Some(
                            opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(
                                v,
                            ),
                        ) => v as f64,
                        Some(
                            opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsDouble(
                                v,
                            ),
                        ) => v,
                        None => -1.0,
                    })
                }),
                _ => None,
            })
    };
    let ok = wait_until(Duration::from_secs(10), || {
        let g = collector.got.lock().unwrap();
        g.spans().len() >= client_script().len() - 1 && echo_replies(&g) == Some(20.0)
    });
    let g = collector.got.lock().unwrap();
    assert!(
        ok,
        "gRPC exports incomplete: {} spans, echo replies {:?}; stderr:\n{}",
        g.spans().len(),
        echo_replies(&g),
        node.stderr()
    );
    let rs = &g.traces[0].resource_spans[0];
    let res = &rs.resource.as_ref().unwrap().attributes;
    assert_eq!(attr(res, "service.name"), Some("echo"));
    assert_eq!(attr(res, "service.instance.id"), Some("n0"));
    let all = g.spans();
    let echo = all
        .iter()
        .find(|s| s.name == "handle" && attr(&s.attributes, "msg.type") == Some("echo"))
        .expect("a handle span for an echo request");
    assert_eq!(attr(&echo.attributes, "node"), Some("n0"));
    assert_eq!(echo.trace_id.len(), 16);
    assert_eq!(echo.span_id.len(), 8);
    assert!(echo.end_time_unix_nano >= echo.start_time_unix_nano);
    drop(g);
    assert!(node.alive());
    assert!(
        !node.stderr().contains("telemetry sink failing"),
        "{}",
        node.stderr()
    );
    node.kill();
    let _ = std::fs::remove_dir_all(&cwd);
}
