//! Reading offsets out of kafka op values (jepsen `op->max-poll-offsets`,
//! `op->max-send-offsets`, `op->max-offsets`) and the conversions between the generator's
//! integer keys and the clients' string keys. Only `:ok` ops carry offsets.

use std::collections::BTreeMap;

use glomers_model::{OpType, Value};

use crate::workload::Event;

/// Integer key → highest offset, ordered by key (Jepsen's sorted map).
pub type Offsets = BTreeMap<i64, i64>;

/// A generator key as the clients see it: `7` → `"7"`.
pub fn key_str(k: i64) -> Value {
    Value::Str(k.to_string())
}

/// A client key back to the generator's integer (`parse-long`); `None` if it is not one.
pub fn key_int(k: &Value) -> Option<i64> {
    k.as_str().and_then(|s| s.parse().ok())
}

/// The micro-ops of a kafka op value: `[[:send k [o m]]]`, `[[:poll {k [[o m]...]}]]`.
fn mops(value: &Value) -> &[Value] {
    value.as_seq().unwrap_or_default()
}

/// Per key, the highest offset polled in an op's `:poll` micro-ops; a key returned with no
/// pairs maps to -1.
pub fn max_poll_offsets(value: &Value) -> Offsets {
    let mut out = Offsets::new();
    for mop in mops(value) {
        let parts = mop.as_seq().unwrap_or_default();
        if parts.first().and_then(Value::as_keyword) != Some("poll") {
            continue;
        }
        let Some(msgs) = parts.get(1).and_then(Value::as_map) else {
            continue;
        };
        for (k, pairs) in msgs {
            let Some(k) = key_int(k) else { continue };
            let max = pairs
                .as_seq()
                .unwrap_or_default()
                .iter()
                .filter_map(|p| p.as_seq().and_then(|p| p.first()).and_then(Value::as_i64))
                .fold(-1, i64::max);
            let e = out.entry(k).or_insert(max);
            *e = (*e).max(max);
        }
    }
    out
}

/// Per key, the highest offset an op's `:send` micro-ops got back.
pub fn max_send_offsets(value: &Value) -> Offsets {
    let mut out = Offsets::new();
    for mop in mops(value) {
        let parts = mop.as_seq().unwrap_or_default();
        if parts.first().and_then(Value::as_keyword) != Some("send") {
            continue;
        }
        let (Some(k), Some(offset)) = (
            parts.get(1).and_then(key_int),
            parts
                .get(2)
                .and_then(Value::as_seq)
                .and_then(|p| p.first())
                .and_then(Value::as_i64),
        ) else {
            continue;
        };
        let e = out.entry(k).or_insert(offset);
        *e = (*e).max(offset);
    }
    out
}

/// `a := merge-with max a b`.
pub fn merge_max(a: &mut Offsets, b: &Offsets) {
    for (&k, &v) in b {
        let e = a.entry(k).or_insert(v);
        *e = (*e).max(v);
    }
}

/// The offsets an `:ok` event interacted with: its sends' and polls' highest offsets
/// (`op->max-offsets`); empty for any other event.
pub fn event_max_offsets(e: &Event) -> Offsets {
    if e.typ != OpType::Ok {
        return Offsets::new();
    }
    let mut out = match e.f {
        "poll" | "txn" => max_poll_offsets(&e.value),
        _ => Offsets::new(),
    };
    if matches!(e.f, "send" | "txn") {
        merge_max(&mut out, &max_send_offsets(&e.value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_model::edn;

    #[test]
    fn offsets_from_values() {
        let poll = edn::parse(r#"[[:poll {"9" [[0 1] [3 2]], "4" []}]]"#).unwrap();
        assert_eq!(max_poll_offsets(&poll), Offsets::from([(4, -1), (9, 3)]));
        let send = edn::parse(r#"[[:send "12" [5 3]]]"#).unwrap();
        assert_eq!(max_send_offsets(&send), Offsets::from([(12, 5)]));
        assert!(max_send_offsets(&edn::parse(r#"[[:send "12" 3]]"#).unwrap()).is_empty());
    }
}
