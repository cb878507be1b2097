//! An in-memory span sink for tests: finished spans are converted to [`SpanRecord`]s and
//! kept in a shared list.

use std::sync::{Arc, Mutex};

use super::finished::Finished;
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

    pub(crate) fn push(&self, span: &Finished) {
        self.lock().push(SpanRecord::from(span));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SpanRecord>> {
        self.spans.lock().unwrap_or_else(|p| p.into_inner())
    }
}
