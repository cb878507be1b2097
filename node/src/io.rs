//! The stdio transport: one thread reads stdin lines, one writes stdout lines.
//!
//! Dedicated threads keep both directions off the async runtime; the writer drains
//! everything queued before flushing, so a burst costs one write system call.

use std::io::{BufRead, BufWriter, Write};

use tokio::sync::mpsc;

use crate::message::Envelope;

/// Both ends of a node's connection to the outside world.
pub struct Transport {
    /// Raw input lines, in arrival order; closed at end of input.
    pub inbound: mpsc::UnboundedReceiver<String>,
    /// Envelopes to emit, one JSON line each.
    pub outbound: mpsc::UnboundedSender<Envelope>,
}

/// Connect a node to this process's stdin and stdout.
pub fn stdio() -> Transport {
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Envelope>();
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut lines = stdin.lock();
            let mut buf = String::new();
            loop {
                buf.clear();
                match lines.read_line(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => {
                        let line = buf.trim_end_matches(['\n', '\r']);
                        if in_tx.send(line.to_string()).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        // Invalid UTF-8 and the like: report it and keep reading.
                        tracing::warn!(error = %e, "unreadable stdin line skipped");
                        let _ = in_tx.send(String::new());
                    }
                }
            }
            tracing::info!("stdin closed");
        })
        .expect("spawn stdin thread");
    std::thread::Builder::new()
        .name("stdout".into())
        .spawn(move || {
            let stdout = std::io::stdout();
            let mut w = BufWriter::with_capacity(64 * 1024, stdout.lock());
            while let Some(env) = out_rx.blocking_recv() {
                if write_line(&mut w, &env).is_err() {
                    return;
                }
                while let Ok(env) = out_rx.try_recv() {
                    if write_line(&mut w, &env).is_err() {
                        return;
                    }
                }
                if w.flush().is_err() {
                    return;
                }
            }
        })
        .expect("spawn stdout thread");
    Transport {
        inbound: in_rx,
        outbound: out_tx,
    }
}

fn write_line(w: &mut impl Write, env: &Envelope) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, env)?;
    w.write_all(b"\n")
}
