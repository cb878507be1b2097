//! `Engine`: the broadcast protocol as a state machine free of I/O. It is fed client
//! values, peer messages and timer ticks, each with the current time in µs, and returns
//! the messages to send. Unit tests drive it directly; `Broadcast` wires it to a `Node`.
//!
//! The protocol (see `overlay` for the shape, `peer` for stamps and echoes):
//!
//! * A client's value is stored and acknowledged at once, then
//!   * latency profile: pushed to every peer in one hop;
//!   * message profile: forwarded to the parent (the hub), which sends each child what
//!     it lacks in one batch per round (at most one round per `batch`).
//! * Every message on an overlay edge carries the sender's holdings (a few ranges), its
//!   stamp, and the echo of the receiver's latest stamp. That is the only form of
//!   acknowledgement: there are no per-message acks, and an echo rides on data whenever
//!   there is data to send. A message that needs an echo says so (`a`); the receiver
//!   answers on its next message, or alone when the stream goes quiet (`ack_quiet`) or the
//!   debt grows old (`ack_max`).
//! * Eager edges (message profile) re-send values a peer has not confirmed after
//!   `resend_after`, or at once when an echo shows they were lost.
//! * Repair edges (latency profile) send a peer only what it *certainly* lacks: values
//!   that arrived here `margin` before a message of ours the peer had seen when it wrote
//!   its holdings. If a peer has not confirmed our news for `inform_after` since we last
//!   wrote to it, we send it our holdings and ask for an immediate answer. With no news
//!   there are no messages.
//! * A parent that does not answer for `suspect_after` is suspected; the node moves to
//!   the next candidate and probes better-ranked suspected ones every `probe_every`.

use serde_json::Value;

use super::idset::{Id, IdSet};
use super::metrics::{Kind, Metrics};
use super::overlay::Overlay;
use super::peer::Peer;
use super::profile::{Mode, Params};
use super::store::Store;
use super::wire::{runs, Gossip, ACK_LAZY, ACK_NONE, ACK_NOW};

/// A message to send to the peer with index `to`.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub to: usize,
    pub msg: Gossip,
}

/// Times of `Params`, in µs.
#[derive(Debug, Clone)]
struct Timing {
    batch: u64,
    inform_after: u64,
    parent_extra: u64,
    ack_quiet: u64,
    ack_max: u64,
    resend_after: u64,
    suspect_after: u64,
    probe_every: u64,
    margin: u64,
}

fn us(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Timing {
    fn of(p: &Params) -> Timing {
        Timing {
            batch: us(p.batch),
            inform_after: us(p.inform_after),
            parent_extra: us(p.parent_extra),
            ack_quiet: us(p.ack_quiet),
            ack_max: us(p.ack_max),
            resend_after: us(p.resend_after),
            suspect_after: us(p.suspect_after),
            probe_every: us(p.probe_every),
            margin: us(p.margin),
        }
    }
}

/// How a composed message behaves.
#[derive(Debug, Clone, Copy)]
struct Compose {
    kind: Kind,
    /// Ask for an immediate answer.
    urgent: bool,
    /// Carry the values due to the peer.
    with_data: bool,
    /// The values were pushed to every node (a direct push).
    wide: bool,
    /// Carry every value the peer is not known to hold, certain or not, in flight or not
    /// (an answer to a peer that asked urgently: it has likely been cut off, and what we
    /// sent meanwhile is likely lost).
    eager: bool,
}

impl Compose {
    fn new(kind: Kind) -> Compose {
        Compose {
            kind,
            urgent: false,
            with_data: true,
            wide: false,
            eager: false,
        }
    }

    fn urgent(mut self) -> Compose {
        self.urgent = true;
        self
    }

    fn no_data(mut self) -> Compose {
        self.with_data = false;
        self
    }

    fn wide(mut self) -> Compose {
        self.wide = true;
        self
    }

    fn eager(mut self) -> Compose {
        self.eager = true;
        self
    }
}

/// Sizes of the engine's state, for checks that memory stays bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Distinct values held.
    pub values: usize,
    /// Ranges and in-flight records over all peers.
    pub peer_ranges: usize,
    /// The largest per-peer figure.
    pub max_peer_ranges: usize,
    /// In-flight records over all peers.
    pub inflight_records: usize,
}

/// One node's broadcast state.
#[derive(Debug)]
pub struct Engine {
    me: usize,
    n: usize,
    params: Params,
    timing: Timing,
    store: Store,
    peers: Vec<Peer>,
    overlay: Overlay,
    last_stamp: u64,
    last_round: Option<u64>,
    metrics: Metrics,
    /// Rounds (fan-out, values) since the last `take_rounds`, for telemetry.
    rounds: Vec<(usize, usize)>,
}

impl Engine {
    /// Node `me` of `n` (indices into `node_ids`).
    pub fn new(me: usize, n: usize, params: Params) -> Engine {
        Engine {
            me,
            n,
            timing: Timing::of(&params),
            params,
            store: Store::new(),
            peers: vec![Peer::default(); n],
            overlay: Overlay::new(me, n),
            last_stamp: 0,
            last_round: None,
            metrics: Metrics::default(),
            rounds: Vec::new(),
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Distinct values held: the body of `read_ok`.
    pub fn messages(&self) -> &[Value] {
        self.store.messages()
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The rounds (fan-out, values carried) of the last call(s) that produced messages, as
    /// recorded in [`Metrics::round`]; the caller reports them to telemetry.
    pub fn take_rounds(&mut self) -> Vec<(usize, usize)> {
        std::mem::take(&mut self.rounds)
    }

    /// One round: counted in the metrics and kept for `take_rounds`.
    fn round(&mut self, fanout: usize, values: usize) {
        self.metrics.round(fanout, values);
        if fanout > 0 {
            self.rounds.push((fanout, values));
        }
    }

    pub fn parent(&self) -> Option<usize> {
        self.overlay.parent()
    }

    pub fn footprint(&self) -> Footprint {
        let per_peer: Vec<usize> = self.peers.iter().map(Peer::footprint).collect();
        Footprint {
            values: self.store.messages().len(),
            peer_ranges: per_peer.iter().sum(),
            max_peer_ranges: per_peer.iter().copied().max().unwrap_or(0),
            inflight_records: self.peers.iter().map(|p| p.inflight.len()).sum(),
        }
    }

    fn stamp(&mut self, now: u64) -> u64 {
        self.last_stamp = (self.last_stamp + 1).max(now);
        self.last_stamp
    }

    fn peer_indices(&self) -> impl Iterator<Item = usize> {
        let me = self.me;
        (0..self.n).filter(move |&q| q != me)
    }

    /// A client broadcast `value`. The caller acknowledges it right away: it is stored.
    pub fn broadcast(&mut self, value: Value, now: u64) -> Vec<Outgoing> {
        let arrival = self.stamp(now);
        let wide = self.params.direct_push;
        let Some(id) = self.store.add_local(self.me as u32, value, arrival, wide) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if self.params.direct_push {
            let mut largest = 0;
            let single: IdSet = std::iter::once(id).collect();
            for q in self.peer_indices().collect::<Vec<_>>() {
                let msg = if self.overlay.is_sync(q) {
                    self.compose(
                        q,
                        now,
                        Compose::new(Kind::Direct).no_data().wide(),
                        Some(id),
                    )
                } else {
                    // A bare push: no session, no echo, nothing to answer.
                    self.metrics.message(Kind::Direct, 1);
                    Gossip {
                        d: runs(&single, |i| self.store.value(i)),
                        ..Gossip::default()
                    }
                };
                largest = largest.max(msg.value_count());
                out.push(Outgoing { to: q, msg });
            }
            self.round(out.len(), largest);
        } else if let Some(p) = self.overlay.parent() {
            if !self.overlay.is_root() {
                let msg = self.compose(p, now, Compose::new(Kind::Forward), Some(id));
                self.round(1, msg.value_count());
                out.push(Outgoing { to: p, msg });
            }
        }
        out
    }

    /// A `gossip` message from peer `from`.
    pub fn receive(&mut self, from: usize, msg: Gossip, now: u64) -> Vec<Outgoing> {
        let mut out = Vec::new();
        if from >= self.n || from == self.me {
            return out;
        }
        self.metrics.received += 1;
        let arrival = self.stamp(now);
        let wide = msg.w || !msg.is_sync();
        let mut fresh = 0;
        for (id, v) in msg.values() {
            if id.origin as usize >= self.n {
                continue;
            }
            self.peers[from].known.insert(id);
            if self.store.insert(id, v.clone(), arrival, wide) {
                fresh += 1;
            } else {
                self.metrics.duplicates += 1;
            }
        }
        if fresh > 0 {
            self.metrics.received_useful += 1;
        }
        if !msg.is_sync() {
            return out;
        }
        let was_suspected = self.peers[from].suspected;
        let theirs = msg.h.as_ref().map(|h| IdSet::from_wire(h, self.n));
        let peer = &mut self.peers[from];
        peer.heard = peer.heard.max(msg.t);
        if let Some(h) = &theirs {
            peer.known.union_with(h);
        }
        let lost = if msg.e > 0 {
            peer.on_echo(msg.e)
        } else {
            IdSet::new()
        };
        if msg.a != ACK_NONE {
            peer.owe_ack.get_or_insert(now);
            peer.last_request = now;
        }
        self.overlay.declare(from, msg.p);
        if was_suspected && !self.peers[from].suspected {
            self.reparent(now, &mut out);
        }
        if out.iter().any(|o| o.to == from) {
            return out;
        }
        // Answer now when asked, when the peer turned out to lack something we hold (eager:
        // values it lost; repair: values it certainly lacks), or when its holdings show we
        // lost something it sent us.
        let sync = self.overlay.is_sync(from);
        // Separate branches per reason, even where two reasons compose the same reply.
        #[allow(clippy::if_same_then_else)]
        let reply = if msg.a == ACK_NOW {
            Some(Compose::new(Kind::Ack).eager())
        } else if sync && self.params.mode == Mode::Eager && !lost.is_empty() {
            Some(Compose::new(Kind::Repair))
        } else if sync && self.params.mode == Mode::Repair && !self.due(from).is_empty() {
            Some(Compose::new(Kind::Repair))
        } else if sync
            && self.params.mode == Mode::Eager
            && self.overlay.parent() == Some(from)
            && !self.overlay.leads(from)
            && !msg.d.is_empty()
            && theirs.is_some_and(|h| !h.difference(self.store.have()).is_empty())
        {
            Some(Compose::new(Kind::Ack))
        } else {
            None
        };
        if let Some(how) = reply {
            let msg = self.compose(from, now, how, None);
            self.round(1, msg.value_count());
            out.push(Outgoing { to: from, msg });
        }
        out
    }

    /// The periodic timer.
    pub fn tick(&mut self, now: u64) -> Vec<Outgoing> {
        let mut out = Vec::new();
        let t = self.timing.clone();
        for q in self.peer_indices().collect::<Vec<_>>() {
            let peer = &mut self.peers[q];
            peer.expire(now, t.resend_after);
            peer.check_suspect(now, t.suspect_after);
        }
        self.reparent(now, &mut out);
        let round_open = self.params.mode == Mode::Eager
            && self
                .last_round
                .is_none_or(|at| now >= at.saturating_add(t.batch));
        let probe = self.probe_target();
        let (mut round_fanout, mut round_largest) = (0, 0);
        let mut others = (0, 0);
        for q in self.peer_indices().collect::<Vec<_>>() {
            if out.iter().any(|o| o.to == q) {
                continue;
            }
            let Some(how) = self.decide(q, now, round_open, probe) else {
                continue;
            };
            let msg = self.compose(q, now, how, None);
            if how.kind == Kind::Batch {
                round_fanout += 1;
                round_largest = round_largest.max(msg.value_count());
            } else if !msg.d.is_empty() {
                others.0 += 1;
                others.1 = others.1.max(msg.value_count());
            }
            out.push(Outgoing { to: q, msg });
        }
        if round_fanout > 0 {
            self.last_round = Some(now);
            self.round(round_fanout, round_largest);
        }
        self.round(others.0, others.1);
        out
    }

    /// What, if anything, to send `q` on this tick.
    fn decide(
        &self,
        q: usize,
        now: u64,
        round_open: bool,
        probe: Option<usize>,
    ) -> Option<Compose> {
        let t = &self.timing;
        let peer = &self.peers[q];
        let sync = self.overlay.is_sync(q);
        let mut how = None;
        if sync {
            match self.params.mode {
                Mode::Eager => {
                    let leads = self.overlay.leads(q);
                    if (!leads || round_open) && !self.due(q).is_empty() {
                        how = Some(Compose::new(if leads {
                            Kind::Batch
                        } else {
                            Kind::Forward
                        }));
                    }
                }
                Mode::Repair => {
                    if !self.due(q).is_empty() {
                        how = Some(Compose::new(Kind::Repair));
                    } else if self.inform_due(q, now) {
                        how = Some(Compose::new(Kind::Inform).urgent());
                    }
                }
            }
        }
        if how.is_none() && peer.ack_due(now, t.ack_quiet, t.ack_max) {
            how = Some(Compose::new(Kind::Ack));
        }
        let probe_ready = peer
            .last_sent
            .is_none_or(|at| now >= at.saturating_add(t.probe_every));
        if peer.suspected && !self.overlay.is_child(q) {
            // Suspected non-children hear from us at most once per `probe_every`.
            if !probe_ready {
                return None;
            }
            if how.is_none() && probe == Some(q) {
                how = Some(Compose::new(Kind::Probe).urgent());
            }
            if !sync {
                how = how.map(Compose::no_data);
            }
        }
        how
    }

    /// Re-choose the parent; on a change, tell the old one and greet the new one.
    fn reparent(&mut self, now: u64, out: &mut Vec<Outgoing>) {
        let peers = &self.peers;
        let Some(old) = self.overlay.choose(|q| peers[q].suspected) else {
            return;
        };
        let failover = old.is_some_and(|o| self.peers[o].suspected);
        self.metrics.parent_changes += 1;
        tracing::info!(
            node = self.me,
            from = ?old,
            to = ?self.overlay.parent(),
            "broadcast parent changed"
        );
        if let Some(old) = old {
            if !self.overlay.is_sync(old) {
                let msg = self.compose(old, now, Compose::new(Kind::Leave).no_data(), None);
                out.push(Outgoing { to: old, msg });
            }
        }
        let parent = self.overlay.parent();
        if let Some(p) = parent {
            let msg = self.compose(p, now, Compose::new(Kind::Forward).urgent(), None);
            out.push(Outgoing { to: p, msg });
        }
        if failover {
            // Probe every other candidate once, so the ones a partition cuts off are all
            // suspected together and the next choice is a reachable node.
            for q in self.peer_indices().collect::<Vec<_>>() {
                let peer = &self.peers[q];
                if Some(q) != parent && !peer.suspected && peer.awaiting.is_none() {
                    let msg =
                        self.compose(q, now, Compose::new(Kind::Probe).urgent().no_data(), None);
                    out.push(Outgoing { to: q, msg });
                }
            }
        }
    }

    /// The suspected node worth probing: the first one that ranks before the parent, or
    /// the parent itself when every node is suspected.
    fn probe_target(&self) -> Option<usize> {
        let parent = self.overlay.parent()?;
        self.peer_indices()
            .take_while(|&q| q <= parent)
            .find(|&q| self.peers[q].suspected)
    }

    /// Values to send `q`: those it is not known to hold and that are not in flight to it,
    /// restricted on repair edges to those it certainly lacks or that were relayed (their
    /// origin did not push them to everyone, so nobody else may have them).
    fn due(&self, q: usize) -> IdSet {
        self.due_as(q, self.params.mode)
    }

    fn due_as(&self, q: usize, mode: Mode) -> IdSet {
        let peer = &self.peers[q];
        let mut cand = self.store.have().difference(&peer.known);
        if cand.is_empty() {
            return cand;
        }
        if !peer.inflight.is_empty() {
            cand = cand.difference(&peer.inflight_ids());
        }
        match mode {
            Mode::Eager => cand,
            Mode::Repair => {
                let horizon = peer.covered;
                let margin = self.timing.margin;
                cand.iter()
                    .filter(|&id| {
                        !self.store.is_wide(id)
                            || self
                                .store
                                .arrival(id)
                                .is_some_and(|a| a.saturating_add(margin) <= horizon)
                    })
                    .collect()
            }
        }
    }

    /// Repair edges: `q` has not confirmed seeing news of ours for long enough.
    fn inform_due(&self, q: usize, now: u64) -> bool {
        let t = &self.timing;
        let peer = &self.peers[q];
        let wait = t.inform_after
            + if self.overlay.leads(q) {
                t.parent_extra
            } else {
                0
            };
        if now < peer.last_sent.unwrap_or(0).saturating_add(wait) {
            return false;
        }
        self.uninformed_since(q)
            .is_some_and(|since| now >= since.saturating_add(wait))
    }

    /// Arrival of the oldest value `q` is not known to hold and cannot yet be judged
    /// lacking: it arrived less than `margin` before the newest message of ours that `q`
    /// echoed (or after it).
    fn uninformed_since(&self, q: usize) -> Option<u64> {
        let peer = &self.peers[q];
        let margin = self.timing.margin;
        self.store
            .have()
            .difference(&peer.known)
            .iter()
            .filter_map(|id| self.store.arrival(id))
            .filter(|&a| a.saturating_add(margin) > peer.covered)
            .min()
    }

    /// Build a sync message to `q` and record it in the session.
    fn compose(&mut self, q: usize, now: u64, how: Compose, extra: Option<Id>) -> Gossip {
        // Data goes only along overlay edges, except in an urgent answer.
        let with_data = how.with_data && (how.eager || self.overlay.is_sync(q));
        let mut data = match (with_data, how.eager) {
            (false, _) => IdSet::new(),
            (true, false) => self.due(q),
            (true, true) => self.store.have().difference(&self.peers[q].known),
        };
        if let Some(id) = extra {
            data.insert(id);
        }
        let informing = self.params.mode == Mode::Repair
            && self.overlay.is_sync(q)
            && self.uninformed_since(q).is_some();
        let a = if how.urgent {
            ACK_NOW
        } else if !data.is_empty() || informing {
            ACK_LAZY
        } else {
            ACK_NONE
        };
        let stamp = self.stamp(now);
        let is_parent = self.overlay.parent() == Some(q);
        // Only answers from a real parent (or a probed candidate) are awaited: a root does
        // not fail over from the node it leads.
        let track = (is_parent && !self.overlay.leads(q)) || how.kind == Kind::Probe;
        let msg = Gossip {
            t: stamp,
            e: self.peers[q].heard,
            h: Some(self.store.have().to_wire()),
            d: runs(&data, |id| self.store.value(id)),
            a,
            p: is_parent,
            w: how.wide,
        };
        self.metrics.message(how.kind, msg.value_count());
        self.peers[q].sent(stamp, now, data, a != ACK_NONE, track);
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::super::profile::Profile;
    use super::*;
    use serde_json::json;

    const MS: u64 = 1_000;

    fn engines(n: usize, profile: Profile) -> Vec<Engine> {
        (0..n)
            .map(|i| Engine::new(i, n, Params::for_profile(profile)))
            .collect()
    }

    /// Deliver `out` from `from` instantly; returns every message produced, recursively.
    fn deliver(es: &mut [Engine], from: usize, out: Vec<Outgoing>, now: u64) -> usize {
        let mut count = 0;
        let mut queue: Vec<(usize, Outgoing)> = out.into_iter().map(|o| (from, o)).collect();
        while let Some((src, o)) = queue.pop() {
            count += 1;
            let more = es[o.to].receive(src, o.msg, now);
            queue.extend(more.into_iter().map(|m| (o.to, m)));
        }
        count
    }

    fn run_ticks(es: &mut [Engine], from_ms: u64, to_ms: u64) -> usize {
        let mut count = 0;
        let mut t = from_ms;
        while t <= to_ms {
            for i in 0..es.len() {
                let out = es[i].tick(t * MS);
                count += deliver(es, i, out, t * MS);
            }
            t += 20;
        }
        count
    }

    #[test]
    fn message_profile_forwards_to_hub_which_batches() {
        let mut es = engines(4, Profile::Messages);
        let out = es[2].broadcast(json!(1), MS);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].to, 0, "forwarded to the hub only");
        assert_eq!(out[0].msg.a, ACK_LAZY);
        deliver(&mut es, 2, out, MS);
        assert_eq!(es[0].messages(), &[json!(1)]);
        let sent = run_ticks(&mut es, 20, 2_000);
        for e in &es {
            assert_eq!(e.messages(), &[json!(1)]);
        }
        // n0 batches to n1 and n3 (n2 already has it) and the batches get echoed once.
        assert!(sent <= 5, "sent {sent}");
        assert_eq!(
            run_ticks(&mut es, 2_020, 6_000),
            0,
            "quiet when nothing is new"
        );
    }

    #[test]
    fn latency_profile_pushes_directly_then_goes_quiet() {
        let mut es = engines(4, Profile::Latency);
        let out = es[3].broadcast(json!("v"), MS);
        assert_eq!(out.len(), 3);
        let bare = out.iter().filter(|o| !o.msg.is_sync()).count();
        assert_eq!(bare, 2, "only the parent edge is a sync session");
        deliver(&mut es, 3, out, MS);
        assert!(es.iter().all(|e| e.messages() == [json!("v")]));
        let sent = run_ticks(&mut es, 20, 10_000);
        assert!(sent <= 8, "confirmation costs a few messages, sent {sent}");
        assert_eq!(run_ticks(&mut es, 10_020, 20_000), 0);
    }

    #[test]
    fn duplicate_client_values_are_not_resent() {
        let mut es = engines(3, Profile::Latency);
        let first = es[1].broadcast(json!(5), MS);
        assert!(!first.is_empty());
        assert!(es[1].broadcast(json!(5), 2 * MS).is_empty());
    }

    #[test]
    fn repair_sends_what_a_peer_certainly_lacks() {
        let mut es = engines(3, Profile::Latency);
        // n2's value reaches n0 but its push to n1 is lost.
        let out = es[2].broadcast(json!(9), MS);
        let to_n0: Vec<Outgoing> = out.into_iter().filter(|o| o.to == 0).collect();
        deliver(&mut es, 2, to_n0, MS);
        assert!(es[1].messages().is_empty());
        run_ticks(&mut es, 20, 5_000);
        assert_eq!(es[1].messages(), &[json!(9)]);
    }

    #[test]
    fn single_node_needs_no_messages() {
        let mut e = Engine::new(0, 1, Params::for_profile(Profile::Messages));
        assert!(e.broadcast(json!(1), MS).is_empty());
        assert!(e.tick(10 * MS).is_empty());
        assert_eq!(e.messages(), &[json!(1)]);
    }
}
