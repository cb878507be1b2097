//! Challenge 4: grow-only counter on seq-kv (being written).
