//! Who a run is: its *test* ([`test_id`], named by fly.io's challenge id where it is one,
//! [`challenge`]) and the *version* of the code its nodes ran ([`version`]).

pub mod challenge;
pub mod test_id;
pub mod version;
