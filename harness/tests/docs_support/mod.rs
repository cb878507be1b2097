//! Support for `tests/docs_commands.rs`: finding the commands README.md and docs/*.md show
//! (`extract`) and judging each against the workspace (`check`).

pub mod check;
pub mod extract;
