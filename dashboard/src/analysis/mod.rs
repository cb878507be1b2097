//! Figures computed from a run's `history.edn` and `messages.svg` rather than read from
//! `results.edn`, and the regression rule that judges runs of one test version against version.

pub mod changes;
pub mod compare_figures;
pub mod history;
pub mod messages;
pub mod quantile;
pub mod regression;
