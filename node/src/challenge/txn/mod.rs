//! Challenge 6 (6a–6c): totally-available transactions (work in progress).
