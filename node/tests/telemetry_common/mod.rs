//! Shared by the telemetry process tests: run the real `echo` binary with telemetry
//! variables, a tiny OTLP/HTTP receiver on 127.0.0.1 that decodes what nodes send, and a
//! Prometheus text parser.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// A running node process.
pub struct NodeProc {
    pub child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

/// The telemetry variables a test sets; every other GLOMERS_/OTEL_ variable is removed.
pub fn spawn_echo(env: &[(&str, String)], cwd: &Path) -> NodeProc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_echo"));
    cmd.current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("GLOMERS_") || k.starts_with("OTEL_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn echo");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = Arc::new(Mutex::new(String::new()));
    let sink = stderr.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr_pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    NodeProc {
        child,
        stdin,
        lines,
        stderr,
    }
}

impl NodeProc {
    pub fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next stdout line (panics after 5 s).
    pub fn recv(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(5))
            .expect("node answered in time")
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The client traffic every comparison uses: init and a few echo requests from clients.
pub fn client_script() -> Vec<String> {
    let mut lines = vec![
        r#"{"id":0,"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}}"#.to_string(),
    ];
    for i in 1..=20 {
        lines.push(format!(
            r#"{{"id":{i},"src":"c{}","dest":"n0","body":{{"type":"echo","msg_id":{i},"echo":"Please echo {i} ü \\ud83d\\ude00 \\\"q\\\""}}}}"#,
            1 + i % 3
        ));
    }
    // A request the node rejects (unknown type): the error reply is client traffic too.
    lines.push(r#"{"id":99,"src":"c1","dest":"n0","body":{"type":"bogus","msg_id":99}}"#.into());
    lines
}

/// Run the client script; returns everything the node wrote on stdout for it, in order.
pub fn run_client_script(node: &mut NodeProc) -> Vec<String> {
    let script = client_script();
    let mut out = Vec::new();
    for line in &script {
        node.send(line);
        out.push(node.recv());
    }
    out
}

/// Wait until `ready` holds (polling every 20 ms), at most `limit`.
pub fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    ready()
}

/// What the OTLP receiver got.
#[derive(Default)]
pub struct Received {
    pub traces: Vec<ExportTraceServiceRequest>,
    pub metrics: Vec<ExportMetricsServiceRequest>,
    pub other_paths: Vec<String>,
    /// Requests refused for a missing or wrong required header.
    pub unauthorized: usize,
    /// Requests whose body came gzip-compressed.
    pub gzipped: usize,
}

impl Received {
    /// Every span of every trace export, in arrival order.
    pub fn spans(&self) -> Vec<&Span> {
        self.traces
            .iter()
            .flat_map(|t| &t.resource_spans)
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .collect()
    }
}

/// A tiny OTLP/HTTP (protobuf) receiver: answers 200 to POST /v1/traces and /v1/metrics.
pub struct OtlpReceiver {
    pub addr: SocketAddr,
    pub got: Arc<Mutex<Received>>,
    stop: Arc<AtomicBool>,
    https: bool,
}

/// How a receiver answers: plain HTTP or TLS, and a header every request must carry
/// (others get 401 and are counted in `Received::unauthorized`).
#[derive(Clone, Default)]
pub struct ReceiverOptions {
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub required_header: Option<(String, String)>,
}

impl OtlpReceiver {
    pub fn start() -> OtlpReceiver {
        Self::start_for(Duration::from_secs(60))
    }

    pub fn start_for(limit: Duration) -> OtlpReceiver {
        Self::start_with(limit, ReceiverOptions::default())
    }

    pub fn start_with(limit: Duration, opts: ReceiverOptions) -> OtlpReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let got = Arc::new(Mutex::new(Received::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (g, s) = (got.clone(), stop.clone());
        let https = opts.tls.is_some();
        std::thread::spawn(move || {
            let end = Instant::now() + limit;
            while !s.load(Ordering::Relaxed) && Instant::now() < end {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let _ = conn.set_nonblocking(false);
                        let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                        let _ = match &opts.tls {
                            None => serve_one(conn, &g, &opts),
                            Some(cfg) => match rustls::ServerConnection::new(cfg.clone()) {
                                Ok(tls) => {
                                    serve_one(rustls::StreamOwned::new(tls, conn), &g, &opts)
                                }
                                Err(_) => Ok(()),
                            },
                        };
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        OtlpReceiver {
            addr,
            got,
            stop,
            https,
        }
    }

    pub fn endpoint(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn serve_one(
    mut conn: impl Read + Write,
    got: &Mutex<Received>,
    opts: &ReceiverOptions,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let path = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("")
        .to_string();
    let len: usize = header(&head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    if let Some((k, v)) = &opts.required_header {
        if header(&head, k) != Some(v.as_str()) {
            got.lock().unwrap().unauthorized += 1;
            conn.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return conn.flush();
        }
    }
    if header(&head, "content-encoding") == Some("gzip") {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(body.as_slice()).read_to_end(&mut plain)?;
        body = plain;
        got.lock().unwrap().gzipped += 1;
    }
    {
        let mut g = got.lock().unwrap();
        match path.as_str() {
            "/v1/traces" => g
                .traces
                .push(ExportTraceServiceRequest::decode(body.as_slice()).expect("trace request")),
            "/v1/metrics" => g.metrics.push(
                ExportMetricsServiceRequest::decode(body.as_slice()).expect("metrics request"),
            ),
            other => g.other_paths.push(other.to_string()),
        }
    }
    conn.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )?;
    conn.flush()
}

/// A string attribute from an OTLP attribute list.
pub fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.as_str()),
            _ => None,
        }
    })
}

/// An address nothing listens on (bound, then released).
pub fn refused_endpoint() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// One sample of a Prometheus text exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parse Prometheus text format back: samples, plus `# TYPE` lines by family.
pub fn parse_prometheus(text: &str) -> (Vec<Sample>, BTreeMap<String, String>) {
    let mut samples = Vec::new();
    let mut types = BTreeMap::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').expect("TYPE line");
            types.insert(name.to_string(), ty.to_string());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample line");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("closing brace");
                let mut labels = BTreeMap::new();
                for pair in split_labels(body) {
                    let (k, v) = pair.split_once('=').expect("label pair");
                    let v = v
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .expect("quoted");
                    labels.insert(k.to_string(), v.replace("\\\"", "\"").replace("\\\\", "\\"));
                }
                (name.to_string(), labels)
            }
        };
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    (samples, types)
}

fn split_labels(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in body.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                cur.push(c);
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
