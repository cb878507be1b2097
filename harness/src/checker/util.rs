//! Helpers shared by the checkers: EDN value builders, the `#jepsen.history.Op` rendering of
//! history ops, invoke/completion pairing, Clojure-style value comparison and hashing keys,
//! Jepsen's `:valid?` merge and Clojure's `float` (single precision) numbers.

use std::cmp::Ordering;
use std::collections::HashMap;

use glomers_model::{Op, OpType, Process, Value};

/// The tag Maelstrom prints on history ops that appear inside results.
pub const OP_TAG: &str = "jepsen.history.Op";

/// Result of a checker that may fail the way a Clojure checker throws: the error becomes
/// `{:valid? :unknown, :error "..."}`.
pub type CheckResult = Result<Value, String>;

/// `{:valid? :unknown, :error msg}`.
pub fn unknown_with_error(msg: impl Into<String>) -> Value {
    let mut m = match crate::edn_unknown() {
        Value::Map(m) => m,
        _ => vec![(Value::kw("valid?"), Value::kw("unknown"))],
    };
    m.push((Value::kw("error"), Value::Str(msg.into())));
    Value::Map(m)
}

/// Turns a `CheckResult` into its EDN map.
pub fn settle(r: CheckResult) -> Value {
    r.unwrap_or_else(unknown_with_error)
}

/// `:valid?` value: `true`, `false` or `:unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    True,
    Unknown,
    False,
}

impl Validity {
    /// Reads a result map's `:valid?`; anything other than true/false/:unknown (a missing key
    /// included) counts as `:unknown`.
    pub fn of(result: &Value) -> Validity {
        match result.get("valid?") {
            Some(Value::Bool(true)) => Validity::True,
            Some(Value::Bool(false)) => Validity::False,
            _ => Validity::Unknown,
        }
    }

    pub fn to_value(self) -> Value {
        match self {
            Validity::True => Value::Bool(true),
            Validity::False => Value::Bool(false),
            Validity::Unknown => Value::kw("unknown"),
        }
    }

    fn priority(self) -> u8 {
        match self {
            Validity::True => 0,
            Validity::Unknown => 1,
            Validity::False => 2,
        }
    }
}

/// Jepsen's priority merge: false > :unknown > true; the empty merge is true.
pub fn merge_valid(vs: impl IntoIterator<Item = Validity>) -> Validity {
    vs.into_iter().fold(Validity::True, |acc, v| {
        if v.priority() > acc.priority() {
            v
        } else {
            acc
        }
    })
}

/// An integer value.
pub fn int(i: impl TryInto<i64>) -> Value {
    Value::Int(i.try_into().unwrap_or(i64::MAX))
}

/// A Clojure `(float x)`: rounded to single precision, stored as the f64 whose shortest
/// decimal form is the f32's (so `0.44444445`, not `0.4444444477558136`, gets printed).
pub fn float32(x: f64) -> Value {
    let f = x as f32;
    if !f.is_finite() {
        return Value::Float(f as f64);
    }
    Value::Float(format!("{f}").parse::<f64>().unwrap_or(f as f64))
}

/// `:f` of an op as a keyword value.
pub fn f_kw(f: &str) -> Value {
    Value::kw(f)
}

/// `:process` value of an op.
pub fn process_value(p: Process) -> Value {
    match p {
        Process::Client(n) => int(n),
        Process::Nemesis => Value::kw("nemesis"),
    }
}

/// The op as Maelstrom prints it inside results: `#jepsen.history.Op{:index .. :time .. :type ..
/// :process .. :f .. :value .. <extra keys>}`.
pub fn op_value(op: &Op) -> Value {
    op_value_as(op, &op.f)
}

/// Like [`op_value`], with `:f` replaced (broadcast's checker renames `:broadcast` to `:add`).
pub fn op_value_as(op: &Op, f: &str) -> Value {
    let mut m = vec![
        (Value::kw("index"), int(op.index)),
        (Value::kw("time"), int(op.time)),
        (Value::kw("type"), Value::kw(op.typ.as_str())),
        (Value::kw("process"), process_value(op.process)),
        (Value::kw("f"), f_kw(f)),
        (Value::kw("value"), op.value.clone()),
    ];
    for (k, v) in &op.extra {
        m.push((Value::kw(k), v.clone()));
    }
    Value::Tagged(OP_TAG.to_string(), Box::new(Value::Map(m)))
}

/// Whether an op belongs to a client (not the nemesis).
pub fn is_client(op: &Op) -> bool {
    matches!(op.process, Process::Client(_))
}

/// Invoke/completion pairing by process: a process has at most one outstanding op, so each
/// completion (ok, fail or info) pairs with its process's pending invoke. Positions are
/// indices into the history slice. Nemesis ops are never paired (both halves are `:info`).
#[derive(Debug, Clone)]
pub struct Pairs {
    partner: Vec<Option<usize>>,
}

impl Pairs {
    pub fn new(history: &[Op]) -> Pairs {
        let mut partner = vec![None; history.len()];
        let mut pending: HashMap<u64, usize> = HashMap::new();
        for (i, op) in history.iter().enumerate() {
            let Process::Client(p) = op.process else {
                continue;
            };
            if op.typ == OpType::Invoke {
                pending.insert(p, i);
            } else if let Some(inv) = pending.remove(&p) {
                partner[i] = Some(inv);
                partner[inv] = Some(i);
            }
        }
        Pairs { partner }
    }

    /// The completion of the invoke at `i`, or the invoke of the completion at `i`.
    pub fn partner(&self, i: usize) -> Option<usize> {
        self.partner.get(i).copied().flatten()
    }
}

/// A hashable stand-in for a value under Clojure equality (`1` ≠ `1.0` ≠ `"1"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ValueKey {
    Int(i64),
    Str(String),
    Other(String),
}

impl ValueKey {
    pub fn of(v: &Value) -> ValueKey {
        match v {
            Value::Int(i) => ValueKey::Int(*i),
            Value::Str(s) => ValueKey::Str(s.clone()),
            // -0.0 and 0.0 are equal under Clojure `=` on doubles.
            Value::Float(f) if *f == 0.0 => ValueKey::Other("Float(0.0)".into()),
            other => ValueKey::Other(format!("{other:?}")),
        }
    }
}

/// Clojure's `compare`, for the values the checkers need to sort: numbers of any kind compare
/// numerically, strings by UTF-16 code units, keywords and symbols by name, booleans
/// (false < true), `nil` below everything, vectors by length and then element-wise.
/// Anything else (maps, a number against a string, ...) is an error, as in Clojure.
pub fn compare_values(a: &Value, b: &Value) -> Result<Ordering, String> {
    use Value::*;
    match (a, b) {
        (Nil, Nil) => Ok(Ordering::Equal),
        (Nil, _) => Ok(Ordering::Less),
        (_, Nil) => Ok(Ordering::Greater),
        (Int(_) | BigInt(_) | Float(_), Int(_) | BigInt(_) | Float(_)) => compare_numbers(a, b),
        (Str(x), Str(y)) => Ok(x.encode_utf16().cmp(y.encode_utf16())),
        (Keyword(x), Keyword(y)) | (Symbol(x), Symbol(y)) => Ok(compare_named(x, y)),
        (Bool(x), Bool(y)) => Ok(x.cmp(y)),
        (Char(x), Char(y)) => Ok(x.cmp(y)),
        (Vector(x), Vector(y)) => {
            if x.len() != y.len() {
                return Ok(x.len().cmp(&y.len()));
            }
            for (p, q) in x.iter().zip(y) {
                let o = compare_values(p, q)?;
                if o != Ordering::Equal {
                    return Ok(o);
                }
            }
            Ok(Ordering::Equal)
        }
        _ => Err(format!(
            "java.lang.ClassCastException: cannot compare {} with {}",
            type_name(a),
            type_name(b)
        )),
    }
}

fn compare_named(x: &str, y: &str) -> Ordering {
    // Clojure compares the namespace first (absent namespace sorts first), then the name.
    fn split(s: &str) -> (Option<&str>, &str) {
        match s.find('/') {
            Some(i) if i > 0 && i + 1 < s.len() => (Some(&s[..i]), &s[i + 1..]),
            _ => (None, s),
        }
    }
    let (nx, x) = split(x);
    let (ny, y) = split(y);
    nx.cmp(&ny).then_with(|| x.cmp(y))
}

/// A short Java-ish type name for error messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Int(_) => "java.lang.Long",
        Value::BigInt(_) => "clojure.lang.BigInt",
        Value::Float(_) => "java.lang.Double",
        Value::Str(_) => "java.lang.String",
        Value::Char(_) => "java.lang.Character",
        Value::Keyword(_) => "clojure.lang.Keyword",
        Value::Symbol(_) => "clojure.lang.Symbol",
        Value::List(_) => "clojure.lang.PersistentList",
        Value::Vector(_) => "clojure.lang.PersistentVector",
        Value::Map(_) => "clojure.lang.PersistentArrayMap",
        Value::Set(_) => "clojure.lang.PersistentHashSet",
        Value::Tagged(_, _) => "clojure.lang.IRecord",
    }
}

/// Sign and magnitude digits of an integer given as a decimal string (`-123`, `+5`, `42`).
fn big_parts(s: &str) -> (bool, &str) {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = digits.trim_end_matches('N').trim_start_matches('0');
    (neg && !digits.is_empty(), digits)
}

fn compare_big(a: &str, b: &str) -> Ordering {
    let (na, da) = big_parts(a);
    let (nb, db) = big_parts(b);
    match (na, nb) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => {
            let mag = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
            if na {
                mag.reverse()
            } else {
                mag
            }
        }
    }
}

fn compare_numbers(a: &Value, b: &Value) -> Result<Ordering, String> {
    use Value::*;
    let nan = || "cannot compare NaN".to_string();
    Ok(match (a, b) {
        (Int(x), Int(y)) => x.cmp(y),
        (BigInt(x), BigInt(y)) => compare_big(x, y),
        (Int(x), BigInt(y)) => compare_big(&x.to_string(), y),
        (BigInt(x), Int(y)) => compare_big(x, &y.to_string()),
        _ => {
            let x = a.as_f64().ok_or_else(nan)?;
            let y = b.as_f64().ok_or_else(nan)?;
            x.partial_cmp(&y).ok_or_else(nan)?
        }
    })
}

/// Sorts values with [`compare_values`], failing like Clojure's `sort` when two are
/// incomparable.
pub fn sort_values(vs: &mut [Value]) -> Result<(), String> {
    let mut err = None;
    vs.sort_by(|a, b| match compare_values(a, b) {
        Ok(o) => o,
        Err(e) => {
            err.get_or_insert(e);
            Ordering::Equal
        }
    });
    err.map_or(Ok(()), Err)
}

/// Integer division of nanoseconds to whole milliseconds, truncating toward zero
/// (`(long (nanos->ms x))`).
pub fn nanos_to_ms(nanos: i128) -> i64 {
    (nanos / 1_000_000) as i64
}

/// A string from a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Runs `f`, turning a panic into `{:valid? :unknown, :error "..."}`.
pub fn check_safe(name: &str, f: impl FnOnce() -> Value) -> Value {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => unknown_with_error(format!(
            "checker {name} panicked: {}",
            panic_message(payload.as_ref())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_valid_priorities() {
        use Validity::*;
        assert_eq!(merge_valid([]), True);
        assert_eq!(merge_valid([True, Unknown, True]), Unknown);
        assert_eq!(merge_valid([Unknown, False, True]), False);
        assert_eq!(merge_valid([True, True]), True);
    }

    #[test]
    fn float32_prints_like_clojure_float() {
        assert_eq!(float32(4.0 / 9.0), Value::Float(0.44444445));
        assert_eq!(float32(814.0 / 191.0), Value::Float(4.2617803));
        assert_eq!(float32(1.0), Value::Float(1.0));
    }

    #[test]
    fn compare_mixed_numbers_and_strings() {
        assert_eq!(
            compare_values(&Value::Int(3), &Value::Float(2.5)),
            Ok(Ordering::Greater)
        );
        assert_eq!(
            compare_values(
                &Value::Int(i64::MAX),
                &Value::BigInt("9223372036854775808".into())
            ),
            Ok(Ordering::Less)
        );
        assert_eq!(
            compare_values(
                &Value::BigInt("-99999999999999999999".into()),
                &Value::Int(-5)
            ),
            Ok(Ordering::Less)
        );
        assert!(compare_values(&Value::Int(1), &Value::Str("1".into())).is_err());
        assert_eq!(
            compare_values(&Value::Str("b".into()), &Value::Str("ab".into())),
            Ok(Ordering::Greater)
        );
        assert_eq!(
            compare_values(&Value::Nil, &Value::Int(0)),
            Ok(Ordering::Less)
        );
    }

    #[test]
    fn value_keys_follow_clojure_equality() {
        assert_ne!(
            ValueKey::of(&Value::Int(1)),
            ValueKey::of(&Value::Float(1.0))
        );
        assert_ne!(
            ValueKey::of(&Value::Int(1)),
            ValueKey::of(&Value::Str("1".into()))
        );
        assert_eq!(ValueKey::of(&Value::Int(7)), ValueKey::of(&Value::Int(7)));
    }

    #[test]
    fn check_safe_turns_panics_into_unknown() {
        let v = check_safe("boom", || panic!("kaboom"));
        assert_eq!(v.get("valid?"), Some(&Value::kw("unknown")));
        assert!(v.get("error").unwrap().as_str().unwrap().contains("kaboom"));
    }
}
