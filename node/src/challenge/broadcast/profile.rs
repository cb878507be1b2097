//! The two efficiency profiles and their timing parameters, and how a node picks one
//! without being rebuilt.
//!
//! `maelstrom test` passes no options to nodes, but it forwards the stray non-option
//! words of its own command line as arguments and keeps the environment. So, in order
//! of precedence:
//!
//! 1. an argument `3d`, `latency` or `profile=latency` (`profile=3d`) selects the
//!    latency profile; `3e`, `messages` or `profile=messages` (`profile=3e`) the message
//!    profile, e.g. `maelstrom test -w broadcast --bin target/release/broadcast ... 3d`;
//! 2. the environment variable `GLOMERS_BROADCAST_PROFILE` with the same words;
//! 3. otherwise the message profile (3e), which also meets fly.io's 3d latency limits.
//!
//! An argument `batch_ms=N` overrides the hub's batching period (for exploring the
//! frontier). Unknown arguments are ignored with a warning: a mistyped Maelstrom option
//! must not stop a node.

use std::time::Duration;

/// Which efficiency target the node aims at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// 3d: one hop to every peer, so latency is the network's; ~24 messages a broadcast.
    Latency,
    /// 3e: everything through a batching hub; ~1 message per op.
    Messages,
}

/// How data moves along an overlay edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Send a peer every value it is not known to hold (the hub profile's data path).
    Eager,
    /// Send a peer only what it certainly lacks: values it should have received
    /// directly but whose absence its own holdings prove (the latency profile's repair).
    Repair,
}

/// Timing and behaviour of one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub profile: Profile,
    /// Push a client's value to every peer at once.
    pub direct_push: bool,
    pub mode: Mode,
    /// Period of the local timer that drives everything below.
    pub tick: Duration,
    /// Eager mode: least time between two rounds of batches to children.
    pub batch: Duration,
    /// Repair mode: a peer that has not confirmed seeing news of ours for this long
    /// (since we last wrote to it) gets a summary.
    pub inform_after: Duration,
    /// Extra wait for a parent's summaries, so children (who have more to say) speak first.
    pub parent_extra: Duration,
    /// Answer a request for an echo once no further request came for this long ...
    pub ack_quiet: Duration,
    /// ... or at the latest this long after the first unanswered one.
    pub ack_max: Duration,
    /// Eager mode: values sent but not confirmed this long are sent again.
    pub resend_after: Duration,
    /// A parent (or candidate parent) that has not answered for this long is suspected.
    pub suspect_after: Duration,
    /// How often a suspected candidate parent is probed.
    pub probe_every: Duration,
    /// Repair mode: allowance for latency differences when judging that a peer lacks a value.
    pub margin: Duration,
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

impl Params {
    pub fn for_profile(profile: Profile) -> Params {
        match profile {
            Profile::Latency => Params {
                profile,
                direct_push: true,
                mode: Mode::Repair,
                tick: ms(20),
                batch: ms(0),
                inform_after: ms(1000),
                parent_extra: ms(300),
                ack_quiet: Duration::MAX,
                ack_max: ms(1000),
                resend_after: ms(1000),
                suspect_after: ms(1600),
                probe_every: ms(500),
                margin: ms(100),
            },
            Profile::Messages => Params {
                profile,
                direct_push: false,
                mode: Mode::Eager,
                tick: ms(10),
                batch: ms(330),
                inform_after: ms(1000),
                parent_extra: ms(300),
                ack_quiet: ms(500),
                ack_max: ms(5000),
                resend_after: ms(1000),
                suspect_after: ms(1500),
                probe_every: ms(500),
                margin: ms(100),
            },
        }
    }
}

/// The name of the environment variable that selects a profile.
pub const PROFILE_ENV: &str = "GLOMERS_BROADCAST_PROFILE";

fn parse_word(word: &str) -> Option<Profile> {
    let w = word.trim().to_ascii_lowercase();
    let w = w.strip_prefix("profile=").unwrap_or(&w);
    match w {
        "3d" | "latency" => Some(Profile::Latency),
        "3e" | "messages" | "msgs" => Some(Profile::Messages),
        _ => None,
    }
}

/// The parameters chosen by the command line (`args`, without the program name) and the
/// value of `GLOMERS_BROADCAST_PROFILE`, plus warnings about what was ignored.
pub fn choose(args: impl IntoIterator<Item = String>, env: Option<&str>) -> (Params, Vec<String>) {
    let mut warnings = Vec::new();
    let mut from_args = None;
    let mut batch = None;
    for arg in args {
        if let Some(p) = parse_word(&arg) {
            from_args = Some(p);
        } else if let Some(n) = arg.strip_prefix("batch_ms=") {
            match n.parse::<u64>() {
                Ok(n) => batch = Some(ms(n)),
                Err(_) => warnings.push(format!("ignoring argument {arg:?}: not a number of ms")),
            }
        } else {
            warnings.push(format!("ignoring argument {arg:?}"));
        }
    }
    let from_env = env.filter(|v| !v.trim().is_empty()).and_then(|v| {
        let p = parse_word(v);
        if p.is_none() {
            warnings.push(format!("ignoring {PROFILE_ENV}={v:?}"));
        }
        p
    });
    let profile = from_args.or(from_env).unwrap_or(Profile::Messages);
    let mut params = Params::for_profile(profile);
    if let Some(b) = batch {
        params.batch = b;
    }
    (params, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_beat_environment_beats_default() {
        assert_eq!(choose(args(&[]), None).0.profile, Profile::Messages);
        assert_eq!(
            choose(args(&[]), Some("latency")).0.profile,
            Profile::Latency
        );
        assert_eq!(
            choose(args(&["3e"]), Some("3d")).0.profile,
            Profile::Messages
        );
        assert_eq!(
            choose(args(&["profile=latency"]), None).0.profile,
            Profile::Latency
        );
        assert_eq!(choose(args(&["3D"]), Some("")).0.profile, Profile::Latency);
    }

    #[test]
    fn stray_words_are_ignored_with_a_warning() {
        let (p, w) = choose(
            args(&["–-nemesis", "partition", "3d", "batch_ms=200"]),
            Some("bogus"),
        );
        assert_eq!(p.profile, Profile::Latency);
        assert_eq!(p.batch, ms(200));
        assert_eq!(w.len(), 3, "{w:?}");
    }
}
