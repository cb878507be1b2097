//! Span contexts (trace id, span id) and where they come from: fresh ids from a per-thread
//! xorshift generator, and this thread's stack of entered telemetry spans, whose top is the
//! "current" context that outgoing messages carry and new spans take as their parent.

use std::cell::{Cell, RefCell};
use std::time::{SystemTime, UNIX_EPOCH};

/// A span's position in a trace. Only recorded (sampled) spans have one, so a context
/// always means "sampled".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpanCx {
    /// Never 0.
    pub trace_id: u128,
    /// Never 0.
    pub span_id: u64,
    /// W3C trace flags (bit 0: sampled).
    pub flags: u8,
    /// The context came from another process (a message body).
    pub remote: bool,
}

impl SpanCx {
    pub fn is_sampled(&self) -> bool {
        self.flags & 1 == 1
    }
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed());
    /// (tracing span id, context) of every telemetry span entered on this thread.
    static STACK: RefCell<Vec<(u64, SpanCx)>> = const { RefCell::new(Vec::new()) };
}

fn seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    // Threads of one process seeded in the same nanosecond still differ by address.
    let local = 0u8;
    let addr = &local as *const u8 as u64;
    splitmix(nanos ^ (std::process::id() as u64).rotate_left(32) ^ addr.rotate_left(17)) | 1
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A random non-zero u64 (xorshift64*; ids only need to be unique, not secret).
pub(crate) fn random_u64() -> u64 {
    RNG.with(|r| {
        let mut x = r.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

/// A random float in [0, 1).
pub(crate) fn random_unit() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) fn new_span_id() -> u64 {
    loop {
        let id = random_u64();
        if id != 0 {
            return id;
        }
    }
}

pub(crate) fn new_trace_id() -> u128 {
    loop {
        let id = ((random_u64() as u128) << 64) | random_u64() as u128;
        if id != 0 {
            return id;
        }
    }
}

/// The innermost telemetry span entered on this thread.
pub(crate) fn current() -> Option<SpanCx> {
    STACK.with(|s| s.try_borrow().ok().and_then(|s| s.last().map(|e| e.1)))
}

/// The `tracing` id of the innermost telemetry span entered on this thread.
pub(crate) fn current_id() -> Option<u64> {
    STACK.with(|s| s.try_borrow().ok().and_then(|s| s.last().map(|e| e.0)))
}

/// A span was entered (called by the recorder).
pub(crate) fn push(id: u64, cx: SpanCx) {
    STACK.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            s.push((id, cx));
        }
    });
}

/// A span was exited: remove its innermost entry (exits may come out of order).
pub(crate) fn pop(id: u64) {
    STACK.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if let Some(i) = s.iter().rposition(|e| e.0 == id) {
                s.remove(i);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_non_zero_and_differ() {
        let a = new_span_id();
        let b = new_span_id();
        assert_ne!(a, 0);
        assert_ne!(a, b);
        assert_ne!(new_trace_id(), new_trace_id());
        let u = random_unit();
        assert!((0.0..1.0).contains(&u));
    }

    #[test]
    fn stack_tracks_innermost_entered_span() {
        let cx = |n| SpanCx {
            trace_id: 1,
            span_id: n,
            flags: 1,
            remote: false,
        };
        assert_eq!(current(), None);
        push(10, cx(1));
        push(11, cx(2));
        assert_eq!(current().map(|c| c.span_id), Some(2));
        pop(10); // out of order
        assert_eq!(current().map(|c| c.span_id), Some(2));
        pop(11);
        assert_eq!(current(), None);
    }
}
