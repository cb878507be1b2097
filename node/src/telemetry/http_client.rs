//! A minimal blocking HTTP/1.1 client for OTLP/HTTP over `std::net`, with connect and I/O
//! timeouts. It keeps its connection open between exports (a collector that answers
//! `Connection: close`, or drops an idle connection, gets a fresh one), and it can send a
//! request without waiting for the answer, which it reads before the next request on that
//! connection: a sink that exports once a second then never sleeps on a collector's
//! answer (each sleep and wake-up of a thread costs more CPU here than the export itself).
//! It only runs on a sink's own thread, so blocking is fine; it spares the node
//! reqwest/hyper and their compile time. Plain `http://` only (a collector on the same host
//! or network); `https://` endpoints are refused.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Responses larger than this are cut (OTLP responses are a few bytes).
const MAX_RESPONSE: usize = 1 << 20;

#[derive(Debug)]
pub(crate) struct MiniHttp {
    timeout: Duration,
    /// The open connection.
    conn: Option<Conn>,
}

/// A kept-alive connection.
#[derive(Debug)]
struct Conn {
    /// The `host:port` it goes to.
    to: String,
    stream: TcpStream,
    /// Whether it has answered a request already (then a missing answer means the server
    /// closed it meanwhile, and the request is worth a second try on a new connection).
    answered: bool,
    /// A request written on it and not answered yet.
    pending: Option<Pending>,
}

/// A request sent and not answered yet, kept for one more try.
#[derive(Debug)]
struct Pending {
    url: String,
    request: Vec<u8>,
}

/// A status and a response body, or why there is none.
pub(crate) type Answer = Result<(u16, Vec<u8>), String>;

/// Where a URL points.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Parse `http://host[:port][/path]`.
pub(crate) fn parse_url(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// OTLP endpoints are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        // [v6]:port
        let end = stripped
            .find(']')
            .ok_or_else(|| format!("{url}: bad host"))?;
        let host = &stripped[..end];
        let port = stripped[end + 1..].strip_prefix(':').unwrap_or("80");
        (host.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p),
            None => (authority.to_string(), "80"),
        }
    };
    let port = port
        .parse()
        .map_err(|_| format!("{url}: bad port {port:?}"))?;
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    Ok(Target {
        host,
        port,
        path: path.to_string(),
    })
}

impl MiniHttp {
    pub fn new(timeout: Duration) -> MiniHttp {
        MiniHttp {
            timeout,
            conn: None,
        }
    }

    /// POST `body` to `url` and wait for the answer.
    #[cfg(test)]
    pub fn post(&mut self, url: &str, content_type: &str, body: &[u8]) -> Answer {
        let (_, sent) = self.send(url, content_type, body);
        sent?;
        self.settle()
            .unwrap_or_else(|| Err(format!("{url}: no request in flight")))
    }

    /// Send a POST without waiting for its answer, which [`MiniHttp::settle`] (or the next
    /// `send`) reads: a collector's answer then costs no wait of its own. Returns the
    /// answer to the request sent before, if one was in flight, and whether this one went
    /// out.
    pub fn send(
        &mut self,
        url: &str,
        content_type: &str,
        body: &[u8],
    ) -> (Option<Answer>, Result<(), String>) {
        let earlier = self.settle();
        (earlier, self.write_request(url, content_type, body))
    }

    /// Wait for the answer to the request in flight, if there is one.
    pub fn settle(&mut self) -> Option<Answer> {
        let mut conn = self.conn.take()?;
        let Some(pending) = conn.pending.take() else {
            self.conn = Some(conn);
            return None;
        };
        let answer = match read_response(&mut conn.stream) {
            Ok(Some((status, body, keep))) => {
                if keep {
                    conn.answered = true;
                    self.conn = Some(conn);
                }
                Ok((status, body))
            }
            // A kept connection the server closed meanwhile: once more on a new one. (Not
            // after a timeout: the server may have taken the request, only slowly.)
            Ok(None) if conn.answered => self.retry(&pending),
            Err(e) if conn.answered && closed(&e) => self.retry(&pending),
            Ok(None) => Err(format!(
                "{}: connection closed without a response",
                pending.url
            )),
            Err(e) => Err(format!("{}: {e}", pending.url)),
        };
        Some(answer)
    }

    /// Write a request: on the kept connection if it goes to the same place and takes it,
    /// else on a new one.
    fn write_request(&mut self, url: &str, content_type: &str, body: &[u8]) -> Result<(), String> {
        let t = parse_url(url)?;
        let to = authority(&t);
        let mut request = format!(
            "POST {} HTTP/1.1\r\nHost: {to}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nUser-Agent: glomers-node\r\n\r\n",
            t.path,
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        let pending = Pending {
            url: url.to_string(),
            request,
        };
        if let Some(mut conn) = self.conn.take() {
            if conn.to == to && conn.stream.write_all(&pending.request).is_ok() {
                conn.pending = Some(pending);
                self.conn = Some(conn);
                return Ok(());
            }
        }
        let mut stream = self.connect(url, &t)?;
        stream
            .write_all(&pending.request)
            .map_err(|e| format!("{url}: {e}"))?;
        self.conn = Some(Conn {
            to,
            stream,
            answered: false,
            pending: Some(pending),
        });
        Ok(())
    }

    /// Send `pending` again on a new connection and wait for its answer.
    fn retry(&mut self, pending: &Pending) -> Answer {
        let url = &pending.url;
        let t = parse_url(url)?;
        let mut stream = self.connect(url, &t)?;
        let io = |e: std::io::Error| format!("{url}: {e}");
        stream.write_all(&pending.request).map_err(io)?;
        match read_response(&mut stream).map_err(io)? {
            Some((status, body, keep)) => {
                if keep {
                    self.conn = Some(Conn {
                        to: authority(&t),
                        stream,
                        answered: true,
                        pending: None,
                    });
                }
                Ok((status, body))
            }
            None => Err(format!("{url}: connection closed without a response")),
        }
    }

    fn connect(&self, url: &str, t: &Target) -> Result<TcpStream, String> {
        let addrs: Vec<_> = (t.host.as_str(), t.port)
            .to_socket_addrs()
            .map_err(|e| format!("{url}: {e}"))?
            .collect();
        let mut last = format!("{url}: no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(s) => {
                    let io = |e: std::io::Error| format!("{url}: {e}");
                    s.set_read_timeout(Some(self.timeout)).map_err(io)?;
                    s.set_write_timeout(Some(self.timeout)).map_err(io)?;
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Err(e) => last = format!("{url}: {e}"),
            }
        }
        Err(last)
    }
}

/// Whether `e` says the peer closed the connection.
fn closed(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
    )
}

/// `host:port` of a target (`[v6]:port` for an IPv6 address), as in a `Host` header.
fn authority(t: &Target) -> String {
    if t.host.contains(':') {
        format!("[{}]:{}", t.host, t.port)
    } else {
        format!("{}:{}", t.host, t.port)
    }
}

/// Read one response: `None` when the peer closed the connection before answering
/// anything; otherwise status, body and whether the connection may be used again.
fn read_response(s: &mut TcpStream) -> std::io::Result<Option<(u16, Vec<u8>, bool)>> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            if raw.is_empty() {
                return Ok(None);
            }
            // Closed after (part of) a response: take what came, never reuse.
            let (status, body) = parse_response(&raw).map_err(std::io::Error::other)?;
            return Ok(Some((status, body, false)));
        }
        raw.extend_from_slice(&chunk[..n]);
        if let Some(done) = complete(&raw) {
            let (status, body) = parse_response(&raw).map_err(std::io::Error::other)?;
            return Ok(Some((status, body, done)));
        }
        if raw.len() > MAX_RESPONSE {
            let (status, body) = parse_response(&raw).map_err(std::io::Error::other)?;
            return Ok(Some((status, body, false)));
        }
    }
}

/// When `raw` holds a whole response: `Some(reusable)`. A response without a length is
/// complete only at the close.
fn complete(raw: &[u8]) -> Option<bool> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?.to_ascii_lowercase();
    let rest = &raw[end + 4..];
    let mut length = None;
    let mut chunked = false;
    let mut close = head.starts_with("http/1.0");
    for line in head.split("\r\n").skip(1) {
        if let Some((k, v)) = line.split_once(':') {
            match (k.trim(), v.trim()) {
                ("content-length", v) => length = v.parse::<usize>().ok(),
                ("transfer-encoding", v) if v.contains("chunked") => chunked = true,
                ("connection", v) if v.contains("close") => close = true,
                ("connection", v) if v.contains("keep-alive") => close = false,
                _ => {}
            }
        }
    }
    if chunked {
        (rest.ends_with(b"0\r\n\r\n")).then_some(!close)
    } else {
        let n = length?;
        (rest.len() >= n).then_some(!close)
    }
}

/// Status and body of a complete HTTP/1.1 response (Content-Length, chunked or until close).
pub(crate) fn parse_response(raw: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("incomplete HTTP response")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "non-UTF-8 HTTP head")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "content-length" {
                length = v.parse::<usize>().ok();
            } else if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
        }
    }
    let rest = &raw[end + 4..];
    let body = if chunked {
        dechunk(rest)
    } else if let Some(n) = length {
        rest[..n.min(rest.len())].to_vec()
    } else {
        rest.to_vec()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..i])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok());
        let Some(size) = size else { break };
        rest = &rest[i + 2..];
        if size == 0 || rest.len() < size {
            out.extend_from_slice(&rest[..size.min(rest.len())]);
            break;
        }
        out.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://127.0.0.1:4318/v1/traces").unwrap(),
            Target {
                host: "127.0.0.1".into(),
                port: 4318,
                path: "/v1/traces".into()
            }
        );
        assert_eq!(parse_url("http://collector").unwrap().port, 80);
        assert_eq!(parse_url("http://[::1]:9/x").unwrap().host, "::1");
        assert!(parse_url("https://x").is_err());
    }

    #[test]
    fn responses() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";
        assert_eq!(parse_response(r).unwrap(), (200, b"ok".to_vec()));
        let r = b"HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        assert_eq!(parse_response(r).unwrap(), (503, b"abc".to_vec()));
        assert!(parse_response(b"HTTP/1.1 200").is_err());
        assert_eq!(
            complete(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no"),
            None
        );
        assert_eq!(
            complete(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            Some(true)
        );
        assert_eq!(
            complete(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
            Some(false)
        );
        assert_eq!(complete(b"HTTP/1.1 200 OK\r\n\r\nuntil close"), None);
    }

    #[test]
    fn keeps_the_connection_between_posts() {
        // One connection serves two requests, then the server closes it; a third request
        // must arrive on a new connection.
        let (addr, server) = serve(move |listener| {
            let mut accepted = 0;
            for conn in listener.incoming().take(2) {
                let mut conn = conn.unwrap();
                accepted += 1;
                let answers = if accepted == 1 { 2 } else { 1 };
                for _ in 0..answers {
                    let mut buf = Vec::new();
                    let mut b = [0u8; 1024];
                    while !buf.ends_with(b"body") {
                        let n = conn.read(&mut b).unwrap();
                        assert!(n > 0);
                        buf.extend_from_slice(&b[..n]);
                    }
                    conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                        .unwrap();
                }
            }
            accepted
        });
        let mut http = MiniHttp::new(Duration::from_secs(2));
        let url = format!("http://{addr}/v1/traces");
        for _ in 0..3 {
            assert_eq!(http.post(&url, "text/plain", b"body").unwrap().0, 200);
        }
        assert_eq!(server.join().unwrap(), 2);
    }

    /// A test server: `run` gets a listener on a free local port, on its own thread.
    fn serve<T: Send + 'static>(
        run: impl FnOnce(std::net::TcpListener) -> T + Send + 'static,
    ) -> (std::net::SocketAddr, std::thread::JoinHandle<T>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        (addr, std::thread::spawn(move || run(listener)))
    }

    /// Read one request ending in `body` from `conn`; false at the end of the stream.
    fn read_request(conn: &mut TcpStream, body: &[u8]) -> bool {
        let mut buf = Vec::new();
        let mut b = [0u8; 1024];
        while !buf.ends_with(body) {
            match conn.read(&mut b) {
                Ok(0) | Err(_) => return false,
                Ok(n) => buf.extend_from_slice(&b[..n]),
            }
        }
        true
    }

    #[test]
    fn send_does_not_wait_for_the_answer() {
        use std::time::Instant;
        // Answers each request 300 ms late, with statuses 200, 503, 200.
        let (addr, server) = serve(move |listener| {
            let (mut conn, _) = listener.accept().unwrap();
            for status in ["200 OK", "503 Busy", "200 OK"] {
                assert!(read_request(&mut conn, b"body"));
                std::thread::sleep(Duration::from_millis(300));
                let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
                conn.write_all(answer.as_bytes()).unwrap();
            }
        });
        let mut http = MiniHttp::new(Duration::from_secs(5));
        let url = format!("http://{addr}/v1/metrics");
        let t = Instant::now();
        let (earlier, sent) = http.send(&url, "text/plain", b"body");
        assert!(earlier.is_none());
        sent.unwrap();
        assert!(t.elapsed() < Duration::from_millis(250), "send waited");
        // The next send reads the first answer, then sends.
        let (earlier, sent) = http.send(&url, "text/plain", b"body");
        assert_eq!(earlier.unwrap().unwrap().0, 200);
        sent.unwrap();
        let (earlier, sent) = http.send(&url, "text/plain", b"body");
        assert_eq!(earlier.unwrap().unwrap().0, 503);
        sent.unwrap();
        assert_eq!(http.settle().unwrap().unwrap().0, 200);
        assert!(
            http.settle().is_none(),
            "nothing in flight after the last answer"
        );
        server.join().unwrap();
    }

    #[test]
    fn a_request_sent_on_a_connection_the_server_closed_is_sent_again() {
        // The first connection answers one request (saying nothing of closing) and closes;
        // the second request must arrive again, on a second connection.
        let (addr, server) = serve(move |listener| {
            let mut requests = Vec::new();
            for (i, conn) in listener.incoming().take(2).enumerate() {
                let mut conn = conn.unwrap();
                let mut n = 0;
                while read_request(&mut conn, b"body") {
                    n += 1;
                    conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                        .unwrap();
                    if i == 0 {
                        break;
                    }
                }
                requests.push(n);
            }
            requests
        });
        let mut http = MiniHttp::new(Duration::from_secs(5));
        let url = format!("http://{addr}/v1/traces");
        assert_eq!(http.post(&url, "text/plain", b"body").unwrap().0, 200);
        // Let the server's close arrive before the next request goes out on that connection.
        std::thread::sleep(Duration::from_millis(100));
        let (_, sent) = http.send(&url, "text/plain", b"body");
        sent.unwrap();
        assert_eq!(http.settle().unwrap().unwrap().0, 200);
        drop(http);
        assert_eq!(server.join().unwrap(), vec![1, 1]);
    }

    #[test]
    fn a_slow_answer_is_not_taken_for_a_closed_connection() {
        // Answers the first request, takes the second and never answers it; counts the
        // connections made to it until the client is gone.
        let (addr, server) = serve(move |listener| {
            let (mut conn, _) = listener.accept().unwrap();
            assert!(read_request(&mut conn, b"body"));
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            assert!(read_request(&mut conn, b"body"));
            listener.set_nonblocking(true).unwrap();
            let mut more = 0;
            // Until the client drops the connection.
            while read_request(&mut conn, b"body") {}
            while listener.accept().is_ok() {
                more += 1;
            }
            more
        });
        let mut http = MiniHttp::new(Duration::from_millis(300));
        let url = format!("http://{addr}/v1/traces");
        assert_eq!(http.post(&url, "text/plain", b"body").unwrap().0, 200);
        let (_, sent) = http.send(&url, "text/plain", b"body");
        sent.unwrap();
        let err = http.settle().unwrap().unwrap_err();
        assert!(!err.contains("closed"), "{err}");
        drop(http);
        assert_eq!(server.join().unwrap(), 0, "the slow request was sent again");
    }
}
