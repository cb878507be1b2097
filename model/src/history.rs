//! Jepsen history ops, as Maelstrom writes them one per line in `history.edn`.

use crate::edn::Value;

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
