//! An in-memory span exporter for tests: finished spans are converted to [`SpanRecord`]s
//! and kept in a shared list (behind a `SimpleSpanProcessor`, so a span is listed as soon
//! as it ends).

use std::sync::{Arc, Mutex};

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};

use super::record::SpanRecord;

/// A shared list of finished spans. Clones share the list.
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    spans: Arc<Mutex<Vec<SpanRecord>>>,
}

impl MemorySink {
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// Every span finished so far.
    pub fn spans(&self) -> Vec<SpanRecord> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SpanRecord>> {
        self.spans.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SpanExporter for MemorySink {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.lock().extend(batch.iter().map(SpanRecord::from));
        Ok(())
    }
}
