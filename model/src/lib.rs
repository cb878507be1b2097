//! Shared data model of glomers: the EDN value type with its reader and printer
//! (as Maelstrom/Jepsen write `results.edn` and `history.edn`), and the Jepsen
//! history op. Used by the harness (which writes these files) and the dashboard
//! (which reads real Maelstrom's and the harness's).

pub mod edn;
pub mod history;

pub use edn::{parse, parse_many, pretty, EdnError, Reader, Value};
pub use history::{parse_history, HistoryError, Op, OpType, Process};
