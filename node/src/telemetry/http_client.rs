//! A minimal blocking HTTP/1.1 client for OTLP/HTTP: one POST per connection over
//! `std::net`, with connect and I/O timeouts. It only runs on a sink's own thread, so
//! blocking is fine; it spares the node reqwest/hyper and their compile time. Plain `http://`
//! only (a collector on the same host or network); `https://` endpoints are refused.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use opentelemetry_http::{HttpClient, HttpError};

/// Responses larger than this are cut (OTLP responses are a few bytes).
const MAX_RESPONSE: usize = 1 << 20;

#[derive(Debug, Clone)]
pub(crate) struct MiniHttp {
    pub timeout: Duration,
}

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
    /// POST `body` to `url`; returns the status and the response body.
    pub fn post(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let t = parse_url(url)?;
        let addrs: Vec<_> = (t.host.as_str(), t.port)
            .to_socket_addrs()
            .map_err(|e| format!("{url}: {e}"))?
            .collect();
        let mut last = format!("{url}: no address");
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = format!("{url}: {e}"),
            }
        }
        let mut s = stream.ok_or(last)?;
        let io = |e: std::io::Error| format!("{url}: {e}");
        s.set_read_timeout(Some(self.timeout)).map_err(io)?;
        s.set_write_timeout(Some(self.timeout)).map_err(io)?;
        let _ = s.set_nodelay(true);
        let host = if t.host.contains(':') {
            format!("[{}]:{}", t.host, t.port)
        } else {
            format!("{}:{}", t.host, t.port)
        };
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: glomers-node\r\n\r\n",
            t.path,
            body.len()
        );
        s.write_all(head.as_bytes()).map_err(io)?;
        s.write_all(body).map_err(io)?;
        s.flush().map_err(io)?;
        let mut raw = Vec::new();
        s.take(MAX_RESPONSE as u64)
            .read_to_end(&mut raw)
            .map_err(io)?;
        parse_response(&raw).map_err(|e| format!("{url}: {e}"))
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

#[async_trait::async_trait]
impl HttpClient for MiniHttp {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let url = request.uri().to_string();
        let content_type = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/x-protobuf")
            .to_string();
        let (status, body) = self
            .post(&url, &content_type, request.body())
            .map_err(HttpError::from)?;
        Response::builder()
            .status(status)
            .body(Bytes::from(body))
            .map_err(|e| HttpError::from(e.to_string()))
    }
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
    }
}
