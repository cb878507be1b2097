//! `broadcast`: the node binary for Gossip Glomers challenges 3a–3e.
//!
//! Profile selection (see `challenge::broadcast::profile`): an argument `3d`/`latency`
//! or `3e`/`messages` (Maelstrom forwards stray words of its command line to the binary),
//! else `GLOMERS_BROADCAST_PROFILE`, else the message profile (3e).

use glomers_node::challenge::broadcast::{choose_params, profile::PROFILE_ENV, Broadcast};

fn main() {
    let env = std::env::var(PROFILE_ENV).ok();
    let (params, warnings) = choose_params(std::env::args().skip(1), env.as_deref());
    glomers_node::run(move |node| {
        for w in &warnings {
            tracing::warn!("{w}");
        }
        Broadcast::new(node, params)
    })
}
