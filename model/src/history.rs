//! Jepsen history ops, as Maelstrom writes them one per line in `history.edn` (and as
//! tab-separated lines in `history.txt`): the op type, its EDN form and the history parser.

use crate::edn::{self, EdnError, Value};

/// `:type` of a history op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpType {
    Invoke,
    Ok,
    Fail,
    Info,
}

impl OpType {
    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Invoke => "invoke",
            OpType::Ok => "ok",
            OpType::Fail => "fail",
            OpType::Info => "info",
        }
    }

    /// The type named by a keyword name (`"invoke"`, `"ok"`, `"fail"`, `"info"`).
    pub fn from_name(name: &str) -> Option<OpType> {
        match name {
            "invoke" => Some(OpType::Invoke),
            "ok" => Some(OpType::Ok),
            "fail" => Some(OpType::Fail),
            "info" => Some(OpType::Info),
            _ => None,
        }
    }
}

/// `:process` of a history op: a client process number or the nemesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Process {
    Client(u64),
    Nemesis,
}

/// One history entry: `{:index :time :type :process :f :value <extra keys>}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub index: u64,
    /// Nanoseconds since the test started.
    pub time: u64,
    pub typ: OpType,
    pub process: Process,
    /// `:f` without the colon (`read`, `broadcast`, `start-partition`).
    pub f: String,
    pub value: Value,
    /// Further keys in order, without the colon: `error`, `exception`, `final?`...
    pub extra: Vec<(String, Value)>,
}

impl Op {
    /// An extra key's value (`error`, `final?`, ...).
    pub fn extra(&self, key: &str) -> Option<&Value> {
        self.extra.iter().find_map(|(k, v)| (k == key).then_some(v))
    }

    /// Whether this op carries `:final? true`.
    pub fn is_final(&self) -> bool {
        matches!(self.extra("final?"), Some(Value::Bool(true)))
    }
}

impl Process {
    /// `:process` as EDN: an integer, or `:nemesis`.
    pub fn to_edn(self) -> Value {
        match self {
            Process::Client(p) => uint(p),
            Process::Nemesis => Value::kw("nemesis"),
        }
    }
}

/// Why a history or an op could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    /// The text is not EDN; the error's line and column are in the whole history text.
    #[error(transparent)]
    Edn(#[from] EdnError),
    /// Valid EDN that is not a history op. `line` is set by [`parse_history`].
    #[error("{}{message}", line.map(|l| format!("history line {l}: ")).unwrap_or_default())]
    Op {
        line: Option<usize>,
        message: String,
    },
}

impl HistoryError {
    fn op(message: impl Into<String>) -> HistoryError {
        HistoryError::Op {
            line: None,
            message: message.into(),
        }
    }
}

/// An unsigned count as EDN (an `Int`, or a `BigInt` past i64::MAX).
fn uint(n: u64) -> Value {
    i64::try_from(n).map_or_else(|_| Value::BigInt(n.to_string()), Value::Int)
}

fn as_uint(v: &Value, key: &str) -> Result<u64, HistoryError> {
    match v {
        Value::Int(i) if *i >= 0 => Ok(*i as u64),
        Value::BigInt(d) => d
            .parse()
            .map_err(|_| HistoryError::op(format!(":{key} {v} is out of range"))),
        _ => Err(HistoryError::op(format!(
            ":{key} must be a non-negative integer, got {v}"
        ))),
    }
}

impl Op {
    /// Reads an op from its EDN map (keys in any order), or from a tagged
    /// `#jepsen.history.Op{..}` record. `:index :time :type :process :f` are required,
    /// `:value` defaults to nil; other keyword keys go to `extra` in the order they appear.
    pub fn from_edn(v: &Value) -> Result<Op, HistoryError> {
        let entries = match v {
            Value::Map(entries) => entries,
            Value::Tagged(_, inner) => match &**inner {
                Value::Map(entries) => entries,
                _ => return Err(HistoryError::op(format!("expected an op map, got {v}"))),
            },
            _ => return Err(HistoryError::op(format!("expected an op map, got {v}"))),
        };
        let (mut index, mut time, mut typ, mut process, mut f, mut value) =
            (None, None, None, None, None, None);
        let mut extra = Vec::new();
        for (k, val) in entries {
            let Value::Keyword(key) = k else {
                return Err(HistoryError::op(format!("op key {k} is not a keyword")));
            };
            let dup = match key.as_str() {
                "index" => index.replace(as_uint(val, key)?).is_some(),
                "time" => time.replace(as_uint(val, key)?).is_some(),
                "type" => {
                    let t = val
                        .as_keyword()
                        .and_then(OpType::from_name)
                        .ok_or_else(|| {
                            HistoryError::op(format!(
                                ":type must be :invoke, :ok, :fail or :info, got {val}"
                            ))
                        })?;
                    typ.replace(t).is_some()
                }
                "process" => {
                    let p = match val {
                        Value::Keyword(n) if n == "nemesis" => Process::Nemesis,
                        Value::Int(_) | Value::BigInt(_) => Process::Client(as_uint(val, key)?),
                        _ => {
                            return Err(HistoryError::op(format!(
                                ":process must be an integer or :nemesis, got {val}"
                            )))
                        }
                    };
                    process.replace(p).is_some()
                }
                "f" => {
                    let name = val.as_keyword().ok_or_else(|| {
                        HistoryError::op(format!(":f must be a keyword, got {val}"))
                    })?;
                    f.replace(name.to_string()).is_some()
                }
                "value" => value.replace(val.clone()).is_some(),
                _ => {
                    if extra.iter().any(|(e, _): &(String, Value)| e == key) {
                        true
                    } else {
                        extra.push((key.clone(), val.clone()));
                        false
                    }
                }
            };
            if dup {
                return Err(HistoryError::op(format!("duplicate key :{key}")));
            }
        }
        let missing = |name: &str| HistoryError::op(format!("op has no :{name}"));
        Ok(Op {
            index: index.ok_or_else(|| missing("index"))?,
            time: time.ok_or_else(|| missing("time"))?,
            typ: typ.ok_or_else(|| missing("type"))?,
            process: process.ok_or_else(|| missing("process"))?,
            f: f.ok_or_else(|| missing("f"))?,
            value: value.unwrap_or(Value::Nil),
            extra,
        })
    }

    /// The op as an EDN map: `:index :time :type :process :f :value`, then the extras.
    pub fn to_edn(&self) -> Value {
        let mut entries = Vec::with_capacity(6 + self.extra.len());
        entries.push((Value::kw("index"), uint(self.index)));
        entries.push((Value::kw("time"), uint(self.time)));
        entries.push((Value::kw("type"), Value::kw(self.typ.as_str())));
        entries.push((Value::kw("process"), self.process.to_edn()));
        entries.push((Value::kw("f"), Value::Keyword(self.f.clone())));
        entries.push((Value::kw("value"), self.value.clone()));
        for (k, v) in &self.extra {
            entries.push((Value::Keyword(k.clone()), v.clone()));
        }
        Value::Map(entries)
    }

    /// One `history.edn` line (without the newline), as modern Maelstrom writes it:
    /// `{:index 0, :time 12345, :type :invoke, :process 0, :f :read, :value nil}`.
    pub fn to_edn_line(&self) -> String {
        self.to_edn().to_string()
    }

    /// One `history.txt` line (without the newline): process, `:type`, `:f` and the value
    /// (`pr-str`) separated by tabs, then a tab and the `:error` (Clojure `print`, so
    /// strings are unquoted) when the op has a non-nil error.
    pub fn to_txt_line(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = match self.process {
            Process::Client(p) => write!(s, "{p}"),
            Process::Nemesis => write!(s, ":nemesis"),
        };
        let _ = write!(s, "\t:{}\t:{}\t{}", self.typ.as_str(), self.f, self.value);
        if let Some(err) = self.extra("error").filter(|e| **e != Value::Nil) {
            let _ = write!(
                s,
                "\t{}",
                edn::Printed {
                    value: err,
                    readably: false
                }
            );
        }
        s
    }
}

/// Parses a whole `history.edn` (one op map per line; blank lines are skipped).
/// Errors give the 1-based line number in the history text.
pub fn parse_history(s: &str) -> Result<Vec<Op>, HistoryError> {
    let mut ops = Vec::new();
    let mut start = 0;
    for (i, raw) in s.split_inclusive('\n').enumerate() {
        let line_start = start;
        start += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        // Parse the line alone, but with positions counted in the whole text.
        let value = edn::parse_prefix_from(&s[..line_start + line.len()], line_start)?;
        let op = Op::from_edn(&value).map_err(|e| match e {
            HistoryError::Op { message, .. } => HistoryError::Op {
                line: Some(i + 1),
                message,
            },
            other => other,
        })?;
        ops.push(op);
    }
    Ok(ops)
}
