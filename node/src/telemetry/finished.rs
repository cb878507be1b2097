//! `Finished`: one ended span in the compact form the node hands its sinks (ids as
//! integers, attribute keys as the `'static` field names of the `tracing` callsite), and the
//! field visitor that fills its attributes.

use std::fmt::Write as _;

use super::context::SpanCx;

/// One attribute value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Attr {
    I64(i64),
    F64(f64),
    Bool(bool),
    Str(Text),
}

/// Bytes of text kept inline in a [`Text`].
const INLINE: usize = 22;

/// A string attribute value: short ones (node ids, message types: nearly all) kept inline,
/// so recording them allocates nothing.
#[derive(Clone)]
pub(crate) enum Text {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Text {
    pub fn new(s: &str) -> Text {
        if s.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Text::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            Text::Heap(s.into())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Always a whole UTF-8 string copied in `new`.
            Text::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).unwrap_or_default()
            }
            Text::Heap(s) => s,
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Attributes kept inline in a [`Finished`] span.
pub(crate) const INLINE_ATTRS: usize = 6;

/// A span's attributes.
pub(crate) type Attrs = smallvec::SmallVec<[(&'static str, Attr); INLINE_ATTRS]>;

/// One finished span.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finished {
    pub trace_id: u128,
    pub span_id: u64,
    /// 0 for a root span.
    pub parent_span_id: u64,
    pub parent_remote: bool,
    pub name: &'static str,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    /// In the order the fields were first recorded; keys are unique. Inline up to
    /// [`INLINE_ATTRS`] (every span the node opens fits), so a span allocates nothing
    /// on the node's thread and frees nothing on the sink's.
    pub attrs: Attrs,
    /// An `otel.status_code = "error"` field was recorded.
    pub error: bool,
    pub links: Vec<SpanCx>,
}

impl Finished {
    fn set(&mut self, key: &'static str, value: Attr) {
        if key == "otel.status_code" {
            if let Attr::Str(s) = &value {
                self.error = s.as_str().eq_ignore_ascii_case("error");
            }
            return;
        }
        match self.attrs.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((key, value)),
        }
    }
}

/// Records `tracing` field values into a span's attributes.
pub(crate) struct AttrVisitor<'a>(pub &'a mut Finished);

impl tracing::field::Visit for AttrVisitor<'_> {
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.set(field.name(), Attr::I64(value));
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        let v = match i64::try_from(value) {
            Ok(v) => Attr::I64(v),
            Err(_) => Attr::Str(Text::new(&value.to_string())),
        };
        self.0.set(field.name(), v);
    }

    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.0.set(field.name(), Attr::F64(value));
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.0.set(field.name(), Attr::Bool(value));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.set(field.name(), Attr::Str(Text::new(value)));
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{value:?}");
        self.0.set(field.name(), Attr::Str(Text::new(&s)));
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `v` as `N` lowercase hex digits (N = 16 or 32), most significant first.
pub(crate) fn hex<const N: usize>(v: u128) -> [u8; N] {
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        let shift = 4 * (N - 1 - i);
        *b = HEX[((v >> shift) & 0xf) as usize];
    }
    out
}

/// A trace id as 32 hex digits.
pub(crate) fn trace_hex(id: u128) -> String {
    String::from_utf8_lossy(&hex::<32>(id)).into_owned()
}

/// A span id as 16 hex digits.
pub(crate) fn span_hex(id: u64) -> String {
    String::from_utf8_lossy(&hex::<16>(id as u128)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_short_and_long() {
        let long = "x".repeat(INLINE + 1);
        for s in ["", "n1", "gossip", "ü-ok", long.as_str()] {
            assert_eq!(Text::new(s).as_str(), s);
        }
        assert!(matches!(Text::new("broadcast"), Text::Inline { .. }));
        assert!(matches!(Text::new(&long), Text::Heap(_)));
    }

    #[test]
    fn hex_digits() {
        assert_eq!(span_hex(0x00f0_67aa_0ba9_02b7), "00f067aa0ba902b7");
        assert_eq!(
            trace_hex(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
    }
}
