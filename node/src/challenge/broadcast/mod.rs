//! Challenge 3: broadcast (being written).
