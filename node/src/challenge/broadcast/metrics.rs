//! Gossip telemetry kept by the engine: messages sent by purpose, and per *round* (one
//! decision that writes to one or more peers: a hub's batch round, a direct push, a
//! forward, a repair) the fan-out and the number of values carried.
//!
//! These are plain counters and small histograms, cheap enough to always keep. The
//! methods `Metrics::round` and `Metrics::message` are the single place every send passes
//! through, so exporting to Prometheus/OTLP (`glomers_gossip_fanout`,
//! `glomers_gossip_batch_values`) is a hook there.

/// Why a gossip message was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Latency profile: a new client value straight to a peer.
    Direct,
    /// A child passing values up to its parent.
    Forward,
    /// A hub's batch to a child.
    Batch,
    /// Values a peer was found to lack.
    Repair,
    /// A summary for a peer that has not confirmed our news.
    Inform,
    /// An answer that only echoes (acknowledges) a peer's message.
    Ack,
    /// A check on a suspected candidate parent.
    Probe,
    /// Telling a former parent we left it.
    Leave,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Direct,
        Kind::Forward,
        Kind::Batch,
        Kind::Repair,
        Kind::Inform,
        Kind::Ack,
        Kind::Probe,
        Kind::Leave,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Direct => "direct",
            Kind::Forward => "forward",
            Kind::Batch => "batch",
            Kind::Repair => "repair",
            Kind::Inform => "inform",
            Kind::Ack => "ack",
            Kind::Probe => "probe",
            Kind::Leave => "leave",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A histogram with power-of-two buckets: bucket 0 holds 0, bucket k holds [2^(k-1), 2^k).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    pub buckets: [u64; 16],
    pub count: u64,
    pub sum: u64,
    pub max: u64,
}

impl Histogram {
    pub fn record(&mut self, v: u64) {
        let b = (64 - v.leading_zeros() as usize).min(self.buckets.len() - 1);
        self.buckets[b] += 1;
        self.count += 1;
        self.sum += v;
        self.max = self.max.max(v);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }
}

/// The engine's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    sent: [u64; 8],
    /// Values sent, over all messages.
    pub values_sent: u64,
    /// Messages received from peers, and how many carried at least one new value.
    pub received: u64,
    pub received_useful: u64,
    /// Values received that were already held.
    pub duplicates: u64,
    /// Peers written to per round.
    pub fanout: Histogram,
    /// Values carried per round (the largest message of the round).
    pub batch_values: Histogram,
    /// Parent changes (failovers and returns).
    pub parent_changes: u64,
}

impl Metrics {
    /// One message sent for `kind` carrying `values` values.
    pub fn message(&mut self, kind: Kind, values: usize) {
        self.sent[kind.index()] += 1;
        self.values_sent += values as u64;
    }

    /// One round: `fanout` peers written, the largest message carrying `values` values.
    pub fn round(&mut self, fanout: usize, values: usize) {
        if fanout > 0 {
            self.fanout.record(fanout as u64);
            self.batch_values.record(values as u64);
        }
    }

    /// Add another node's counters (for cluster-wide totals).
    pub fn merge(&mut self, other: &Metrics) {
        for (a, b) in self.sent.iter_mut().zip(other.sent) {
            *a += b;
        }
        self.values_sent += other.values_sent;
        self.received += other.received;
        self.received_useful += other.received_useful;
        self.duplicates += other.duplicates;
        self.fanout.merge(&other.fanout);
        self.batch_values.merge(&other.batch_values);
        self.parent_changes += other.parent_changes;
    }

    pub fn sent(&self, kind: Kind) -> u64 {
        self.sent[kind.index()]
    }

    pub fn sent_total(&self) -> u64 {
        self.sent.iter().sum()
    }

    /// One line for logs: counts by kind and round statistics.
    pub fn summary(&self) -> String {
        let kinds: Vec<String> = Kind::ALL
            .iter()
            .filter(|k| self.sent(**k) > 0)
            .map(|k| format!("{}={}", k.name(), self.sent(*k)))
            .collect();
        format!(
            "sent {} [{}] values={} rounds={} fanout_mean={:.1} batch_mean={:.1} batch_max={} recv={} dup={} failovers={}",
            self.sent_total(),
            kinds.join(" "),
            self.values_sent,
            self.fanout.count,
            self.fanout.mean(),
            self.batch_values.mean(),
            self.batch_values.max,
            self.received,
            self.duplicates,
            self.parent_changes
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_by_powers_of_two() {
        let mut h = Histogram::default();
        for v in [0, 1, 2, 3, 4, 24, 1 << 40] {
            h.record(v);
        }
        assert_eq!(h.buckets[0], 1);
        assert_eq!(h.buckets[1], 1);
        assert_eq!(h.buckets[2], 2);
        assert_eq!(h.buckets[3], 1);
        assert_eq!(h.buckets[5], 1);
        assert_eq!(h.buckets[15], 1);
        assert_eq!(h.count, 7);
        assert_eq!(h.max, 1 << 40);
    }

    #[test]
    fn counts_by_kind() {
        let mut m = Metrics::default();
        m.message(Kind::Batch, 3);
        m.message(Kind::Batch, 2);
        m.message(Kind::Ack, 0);
        m.round(2, 3);
        m.round(0, 0);
        assert_eq!(m.sent(Kind::Batch), 2);
        assert_eq!(m.sent_total(), 3);
        assert_eq!(m.values_sent, 5);
        assert_eq!(m.fanout.count, 1);
        assert!(m.summary().contains("batch=2"));
    }
}
