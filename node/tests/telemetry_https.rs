//! OTLP to an https backend that wants an API key, as Grafana Cloud or Honeycomb do: a
//! receiver made here (a test CA and a server certificate it signs) answers 401 unless
//! the `x-api-key` header from `OTEL_EXPORTER_OTLP_HEADERS` is present, and takes gzip
//! bodies. A real echo node, trusting the CA through `OTEL_EXPORTER_OTLP_CERTIFICATE`,
//! must deliver spans and metrics; one without the header is refused, and carries on.

mod telemetry_common;

use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use telemetry_common::*;

/// A CA (its PEM) and a TLS server config whose certificate for 127.0.0.1 it signed.
#[allow(deprecated)] // ring: the provider the node uses too
fn test_pki() -> (String, Arc<rustls::ServerConfig>) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (ca.pem(), Arc::new(config))
}

#[test]
fn https_backend_with_api_key_and_gzip_gets_spans_and_metrics() {
    let dir = std::env::temp_dir().join(format!("glomers-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca_pem, tls) = test_pki();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let receiver = OtlpReceiver::start_with(
        Duration::from_secs(60),
        ReceiverOptions {
            tls: Some(tls),
            required_header: Some(("x-api-key".into(), "s3cret".into())),
        },
    );
    let base = [
        ("GLOMERS_TELEMETRY", "otlp".to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
        (
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
            ca_file.display().to_string(),
        ),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip".to_string()),
    ];

    // Without the key: refused (401), and the node answers exactly as ever.
    let mut refused = spawn_echo(&base, &dir);
    let out = run_client_script(&mut refused);
    assert!(out[0].contains("init_ok"));
    assert!(
        wait_until(Duration::from_secs(5), || receiver
            .got
            .lock()
            .unwrap()
            .unauthorized
            > 0),
        "no request reached the receiver; stderr:\n{}",
        refused.stderr()
    );
    assert!(refused.alive());
    refused.kill();
    assert!(receiver.got.lock().unwrap().spans().is_empty());

    // With it: spans and metrics arrive, gzip-compressed, over TLS.
    let mut with_key = base.to_vec();
    with_key.push(("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s3cret".to_string()));
    let mut node = spawn_echo(&with_key, &dir);
    run_client_script(&mut node);
    let ok = wait_until(Duration::from_secs(5), || {
        let g = receiver.got.lock().unwrap();
        g.spans().len() >= 21
            && g.metrics.iter().any(|m| {
                m.resource_metrics
                    .iter()
                    .flat_map(|rm| &rm.scope_metrics)
                    .flat_map(|sm| &sm.metrics)
                    .any(|m| m.name == "glomers_client_ops_total")
            })
    });
    assert!(ok, "OTLP data missing; stderr:\n{}", node.stderr());
    let g = receiver.got.lock().unwrap();
    assert!(g.gzipped >= 2, "bodies were not gzip-compressed");
    let res = &g.traces[0].resource_spans[0]
        .resource
        .as_ref()
        .unwrap()
        .attributes;
    assert_eq!(attr(res, "service.instance.id"), Some("n0"));
    assert!(g
        .spans()
        .iter()
        .any(|s| s.name == "handle" && attr(&s.attributes, "msg.type") == Some("echo")));
    drop(g);
    assert!(node.alive());
    node.kill();
    let _ = std::fs::remove_dir_all(&dir);
}
