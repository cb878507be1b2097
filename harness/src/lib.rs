//! The harness library: a Maelstrom-compatible runner. `main.rs` is its CLI.

pub mod checker;

/// Placeholder result used until a checker lands.
pub(crate) fn edn_unknown() -> glomers_model::Value {
    glomers_model::edn_map! { "valid?" => glomers_model::Value::kw("unknown") }
}
