//! Span exporters that wait for the node's identity. The tracer provider exists from the
//! process's start (the `tracing` layer needs it), but the file sink's folder and the OTLP
//! resource's `service.instance.id` need the node id, which only `init` brings. So each
//! exporter is built by [`Deferred`] at its first export after the id is known; spans
//! ended before that wait (at most [`PENDING_CAP`]). A failing export is counted in
//! `glomers_telemetry_dropped_total{sink}` and logged once; it never reaches the node.

use std::fmt;
use std::sync::{Mutex, OnceLock};

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

/// Who this node process is.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub node_id: String,
    pub node_ids: Vec<String>,
    pub binary: String,
    pub service_name: String,
    pub pid: u32,
    pub start_unix_ms: u64,
}

/// Spans kept while the node id is unknown.
const PENDING_CAP: usize = 4096;

type Make<E> = Box<dyn FnOnce(&Identity) -> Result<E, String> + Send>;

/// An exporter built once the identity is known; see the module doc.
pub(crate) struct Deferred<E> {
    sink: &'static str,
    make: Mutex<Option<Make<E>>>,
    inner: OnceLock<Option<E>>,
    pending: Mutex<Vec<SpanData>>,
}

impl<E> fmt::Debug for Deferred<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Deferred({})", self.sink)
    }
}

impl<E: SpanExporter> Deferred<E> {
    /// `make` builds the exporter; it is then given the node's resource.
    pub fn new(
        sink: &'static str,
        make: impl FnOnce(&Identity) -> Result<E, String> + Send + 'static,
    ) -> Deferred<E> {
        Deferred {
            sink,
            make: Mutex::new(Some(Box::new(make))),
            inner: OnceLock::new(),
            pending: Mutex::new(Vec::new()),
        }
    }

    fn lost(&self, n: usize, error: &str) {
        super::sink_failed(self.sink, n as u64, error);
    }

    /// The exporter, built now if the identity has come (`None` while it has not).
    fn ready(&self, id: &Identity, resource: &Resource) -> &Option<E> {
        self.inner.get_or_init(|| {
            let make = self.make.lock().unwrap_or_else(|p| p.into_inner()).take()?;
            match make(id) {
                Ok(mut e) => {
                    e.set_resource(resource);
                    Some(e)
                }
                Err(error) => {
                    super::sink_failed(self.sink, 0, &error);
                    None
                }
            }
        })
    }
}

impl<E: SpanExporter> SpanExporter for Deferred<E> {
    fn export(
        &self,
        mut batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        let exporter = match super::identity() {
            None => {
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                let room = PENDING_CAP.saturating_sub(pending.len());
                if batch.len() > room {
                    self.lost(batch.len() - room, "node id not known yet");
                    batch.truncate(room);
                }
                pending.append(&mut batch);
                None
            }
            Some((id, resource)) => {
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                if !pending.is_empty() {
                    pending.append(&mut batch);
                    batch = std::mem::take(&mut *pending);
                }
                Some(self.ready(id, resource))
            }
        };
        async move {
            match exporter {
                None => {}
                Some(None) => self.lost(batch.len(), "exporter not built"),
                Some(Some(e)) => {
                    let n = batch.len();
                    if let Err(error) = e.export(batch).await {
                        self.lost(n, &error.to_string());
                    }
                }
            }
            Ok(())
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self.inner.get() {
            Some(Some(e)) => e.force_flush(),
            _ => Ok(()),
        }
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        match self.inner.get() {
            Some(Some(e)) => e.shutdown_with_timeout(timeout),
            _ => Ok(()),
        }
    }
}
