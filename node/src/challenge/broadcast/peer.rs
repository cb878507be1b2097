//! `Peer`: what one node knows about its session with one peer.
//!
//! All of it is constant-size or range-compressed, so a peer that is cut off for a long
//! time costs no more memory than one that is not: what the peer holds is an `IdSet`;
//! what was sent and not yet confirmed is a short list of `IdSet`s that expire after the
//! resend delay; echoes and obligations are a few stamps.
//!
//! Stamps: every sync message carries the sender's stamp `t` (µs on the sender's own
//! clock, strictly increasing) and echoes `e`, the highest stamp it has received from the
//! receiver. A node only ever compares its own stamps, so clocks need not agree. Arrival
//! times of values are stamps of the same clock, hence "the peer had seen my summary of
//! stamp `covered`" means it had seen every value that arrived here before `covered`.

use std::collections::VecDeque;

use super::idset::IdSet;

/// In-flight records kept per peer before the oldest are merged.
pub const MAX_INFLIGHT: usize = 8;

/// Values sent to a peer in one message, not yet confirmed.
#[derive(Debug, Clone)]
pub struct Inflight {
    /// Stamp of the message that carried them.
    pub stamp: u64,
    /// When it was sent (µs).
    pub at: u64,
    pub ids: IdSet,
}

/// One node's session state with one peer.
#[derive(Debug, Clone, Default)]
pub struct Peer {
    /// Ids the peer is known to hold (its summaries, and what it sent us).
    pub known: IdSet,
    /// Highest stamp received from the peer: echoed back on our next message.
    pub heard: u64,
    /// Highest of our stamps the peer has echoed.
    pub covered: u64,
    /// When we last wrote to the peer (µs).
    pub last_sent: Option<u64>,
    /// When the first of the peer's still unanswered requests for an echo arrived.
    pub owe_ack: Option<u64>,
    /// When the latest request for an echo arrived.
    pub last_request: u64,
    /// Our earliest message to this peer that asked for an answer and got none:
    /// (stamp, time sent). Tracked for parents and probed candidates only.
    pub awaiting: Option<(u64, u64)>,
    /// The peer did not answer in time (see `Params::suspect_after`).
    pub suspected: bool,
    /// Sent values awaiting confirmation, oldest first.
    pub inflight: VecDeque<Inflight>,
}

impl Peer {
    /// Everything in flight to the peer.
    pub fn inflight_ids(&self) -> IdSet {
        let mut all = IdSet::new();
        for f in &self.inflight {
            all.union_with(&f.ids);
        }
        all
    }

    /// The peer echoed our stamp `e`: messages up to `e` have been seen or lost, so their
    /// values stop being "in flight" (whatever is still not `known` was lost and is
    /// returned); an awaited answer has come. Call after merging the peer's summary.
    pub fn on_echo(&mut self, e: u64) -> IdSet {
        self.covered = self.covered.max(e);
        let mut lost = IdSet::new();
        while self.inflight.front().is_some_and(|f| f.stamp <= e) {
            let f = self.inflight.pop_front().expect("checked");
            lost.union_with(&f.ids.difference(&self.known));
        }
        if self.awaiting.is_some_and(|(stamp, _)| stamp <= e) {
            self.awaiting = None;
            self.suspected = false;
        }
        lost
    }

    /// The peer has said nothing about our messages for `after` µs since we last wrote to
    /// it: forget what is in flight, so it can be sent again. (While we keep writing, the
    /// peer's eventual echo sorts delivered from lost; see `on_echo`.)
    pub fn expire(&mut self, now: u64, after: u64) {
        if self
            .last_sent
            .is_some_and(|at| now.saturating_sub(at) >= after)
        {
            self.inflight.clear();
        }
    }

    /// Whether the awaited answer is overdue; marks the peer suspected if so.
    pub fn check_suspect(&mut self, now: u64, after: u64) -> bool {
        if self
            .awaiting
            .is_some_and(|(_, at)| now.saturating_sub(at) >= after)
        {
            self.suspected = true;
        }
        self.suspected
    }

    /// An echo is owed and due: no further request for `quiet` µs, or `max` µs since the first.
    pub fn ack_due(&self, now: u64, quiet: u64, max: u64) -> bool {
        self.owe_ack.is_some_and(|first| {
            now >= first.saturating_add(max) || now >= self.last_request.saturating_add(quiet)
        })
    }

    /// Record a message we just sent.
    pub fn sent(&mut self, stamp: u64, now: u64, data: IdSet, wants_answer: bool, track: bool) {
        self.last_sent = Some(now);
        self.owe_ack = None;
        if !data.is_empty() {
            self.inflight.push_back(Inflight {
                stamp,
                at: now,
                ids: data,
            });
            if self.inflight.len() > MAX_INFLIGHT {
                // Merge the two oldest records: bounded memory, at the price of resolving
                // the older one only with the newer one's echo.
                let a = self.inflight.pop_front().expect("non-empty");
                let b = self.inflight.front_mut().expect("non-empty");
                b.ids.union_with(&a.ids);
            }
        }
        if wants_answer && track && self.awaiting.is_none() {
            self.awaiting = Some((stamp, now));
        }
    }

    /// Memory held for this peer, in ranges (for bounded-state checks).
    pub fn footprint(&self) -> usize {
        self.known.range_count()
            + self
                .inflight
                .iter()
                .map(|f| 1 + f.ids.range_count())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::super::idset::Id;
    use super::*;

    fn ids(xs: &[u64]) -> IdSet {
        xs.iter().map(|&s| Id::new(0, s)).collect()
    }

    #[test]
    fn echo_resolves_inflight_and_reports_losses() {
        let mut p = Peer::default();
        p.sent(10, 100, ids(&[0, 1]), true, true);
        p.sent(20, 200, ids(&[2]), true, true);
        p.sent(30, 300, ids(&[3]), true, true);
        assert_eq!(p.awaiting, Some((10, 100)));
        assert_eq!(p.inflight_ids(), ids(&[0, 1, 2, 3]));
        // The peer has seen our stamp 20 and holds 0 and 2: 1 was lost, 3 is still in flight.
        p.known = ids(&[0, 2]);
        let lost = p.on_echo(20);
        assert_eq!(lost, ids(&[1]));
        assert_eq!(p.inflight_ids(), ids(&[3]));
        assert_eq!(p.awaiting, None);
        assert_eq!(p.covered, 20);
        // Expiry counts from our last message to the peer.
        p.expire(1_200, 1_000);
        assert!(!p.inflight.is_empty());
        p.expire(1_300, 1_000);
        assert!(p.inflight.is_empty());
    }

    #[test]
    fn inflight_records_stay_bounded() {
        let mut p = Peer::default();
        for k in 0..100 {
            p.sent(k + 1, k, ids(&[k]), true, false);
        }
        assert_eq!(p.inflight.len(), MAX_INFLIGHT);
        assert_eq!(p.inflight_ids().len(), 100);
        assert_eq!(p.inflight_ids().range_count(), 1);
        // The oldest record now holds ids 0..=92 under the stamp of id 92's message.
        assert_eq!(p.on_echo(92).len(), 0);
        assert_eq!(p.on_echo(93).len(), 93);
        assert_eq!(p.inflight_ids(), ids(&[93, 94, 95, 96, 97, 98, 99]));
    }

    #[test]
    fn suspicion_and_ack_deadlines() {
        let mut p = Peer::default();
        p.sent(5, 0, IdSet::new(), true, true);
        assert!(!p.check_suspect(999, 1_000));
        assert!(p.check_suspect(1_000, 1_000));
        p.on_echo(5);
        assert!(!p.suspected);
        p.owe_ack = Some(100);
        p.last_request = 400;
        assert!(!p.ack_due(800, 500, 5_000));
        assert!(p.ack_due(900, 500, 5_000));
        assert!(p.ack_due(600, u64::MAX, 500));
        p.sent(6, 950, IdSet::new(), false, true);
        assert!(p.owe_ack.is_none());
    }
}
