//! Span exporters that wait for the node's identity. The tracer provider exists from the
//! process's start (the `tracing` layer needs it), but the file sink's folder and the OTLP
//! resource's `service.instance.id` need the node id, which only `init` brings (before it
//! the node opens no span). So [`Deferred`] builds its exporter at its first export. A
//! failing export is counted in `glomers_telemetry_dropped_total{sink}` and logged once; it
//! never reaches the node.

use std::fmt;
use std::sync::{Mutex, OnceLock};

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

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

type Make<E> = Box<dyn FnOnce(&Identity) -> Result<E, String> + Send>;

/// An exporter built once the identity is known; see the module doc.
pub(crate) struct Deferred<E> {
    sink: &'static str,
    make: Mutex<Option<Make<E>>>,
    inner: OnceLock<Option<E>>,
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
        let make = Mutex::new(Some(Box::new(make) as Make<E>));
        Deferred {
            sink,
            make,
            inner: OnceLock::new(),
        }
    }

    /// The exporter, built now if the identity has come (`None` while it has not, or when
    /// it could not be built).
    fn exporter(&self) -> Option<&E> {
        let (id, resource) = super::STATE.get()?.identity.get()?;
        let built = self.inner.get_or_init(|| {
            let make = self.make.lock().unwrap_or_else(|p| p.into_inner()).take()?;
            let mut e = make(id)
                .map_err(|e| super::sink_failed(self.sink, 0, &e))
                .ok()?;
            e.set_resource(resource);
            Some(e)
        });
        built.as_ref()
    }
}

impl<E: SpanExporter> SpanExporter for Deferred<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len() as u64;
        match self.exporter() {
            None => super::sink_failed(
                self.sink,
                n,
                "no exporter (node id unknown or build failed)",
            ),
            Some(e) => {
                if let Err(error) = e.export(batch).await {
                    super::sink_failed(self.sink, n, &error.to_string());
                }
            }
        }
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner
            .get()
            .and_then(Option::as_ref)
            .map_or(Ok(()), E::force_flush)
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        let e = self.inner.get().and_then(Option::as_ref);
        e.map_or(Ok(()), |e| e.shutdown_with_timeout(timeout))
    }
}
