//! An in-memory span sink for tests: finished spans are converted to [`SpanRecord`]s and
//! kept in a shared list.

use std::sync::{Arc, Mutex};

use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};

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

    /// Forget every span collected so far.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SpanRecord>> {
        self.spans.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SpanProcessor for MemorySink {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        self.lock().push(SpanRecord::from(&span));
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}
