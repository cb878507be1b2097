//! Checkers: pure functions from a history (and run facts) to the EDN result maps
//! Maelstrom writes into results.edn.
