//! Elle's `wr-txns` transaction source (MAELSTROM.md §6.6, §6.8, §6.9), shared by the txn
//! workloads and kafka: txn length uniform in `[1, max_len]`; each micro-op a read or a write
//! with probability 1/2; the key drawn from an active pool of `key_count` integer keys with
//! Elle's exponential distribution (slot `i` has weight `2^(i+1)`, so the last slot is the
//! most likely); writes to a key are 1, 2, ..., `max_writes_per_key`, and the write after that
//! retires the key: it is replaced in its slot by `max(active) + 1` and the micro-op is drawn
//! again.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::Rng;

/// One micro-op: a read of `key`, or a write of `value` to `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mop {
    Read(u64),
    Write(u64, u64),
}

impl Mop {
    pub fn key(&self) -> u64 {
        match *self {
            Mop::Read(k) | Mop::Write(k, _) => k,
        }
    }
}

/// The generator's state: the active key pool and each key's next write value.
#[derive(Debug, Clone)]
pub struct WrTxns {
    active: Vec<u64>,
    next_value: HashMap<u64, u64>,
    max_len: u64,
    max_writes_per_key: u64,
    retired: u64,
}

/// Elle's default pool size for the exponential distribution.
pub const DEFAULT_KEY_COUNT: u64 = 10;

impl WrTxns {
    /// Keys `0..key_count` to start with.
    pub fn new(key_count: u64, max_len: u64, max_writes_per_key: u64) -> WrTxns {
        WrTxns {
            active: (0..key_count.max(1)).collect(),
            next_value: HashMap::new(),
            max_len: max_len.max(1),
            max_writes_per_key,
            retired: 0,
        }
    }

    /// The active pool, by slot.
    pub fn active(&self) -> &[u64] {
        &self.active
    }

    /// How many keys have been retired so far.
    pub fn retired(&self) -> u64 {
        self.retired
    }

    /// The next transaction.
    pub fn next_txn(&mut self, rng: &mut StdRng) -> Vec<Mop> {
        let len = rng.random_range(1..=self.max_len);
        let mut txn = Vec::with_capacity(len as usize);
        while (txn.len() as u64) < len {
            let write = rng.random_bool(0.5);
            let slot = exponential_slot(self.active.len(), rng);
            let k = self.active[slot];
            if !write {
                txn.push(Mop::Read(k));
                continue;
            }
            let v = self.next_value.get(&k).copied().unwrap_or(1);
            if v > self.max_writes_per_key {
                let fresh = self.active.iter().max().copied().unwrap_or(0) + 1;
                self.active[slot] = fresh;
                self.retired += 1;
                continue;
            }
            self.next_value.insert(k, v + 1);
            txn.push(Mop::Write(k, v));
        }
        txn
    }
}

/// A slot in `[0, n)` with weight `2^(slot+1)`: Elle's `rand-key` with base 2, computed in log
/// space for pools too large for `2^n` to be a finite double.
pub fn exponential_slot(n: usize, rng: &mut StdRng) -> usize {
    if n <= 1 {
        return 0;
    }
    let u: f64 = rng.random();
    let x = if n <= 52 {
        // floor(log2(U[0, scale) + 2) - 1), scale = 2 (2^n - 1).
        let scale = 2.0 * ((1u64 << n) as f64 - 1.0);
        (u * scale + 2.0).log2() - 1.0
    } else {
        n as f64 + u.log2()
    };
    (x.floor().max(0.0) as usize).min(n - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn slots_are_weighted_towards_the_end() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[exponential_slot(10, &mut rng)] += 1;
        }
        // P(last) = 2^10 / (2^11 - 2) ≈ 0.5; each slot about half the next.
        assert!((45_000..55_000).contains(&counts[9]), "{counts:?}");
        assert!((22_000..28_000).contains(&counts[8]), "{counts:?}");
        assert!(counts[0] < 200, "{counts:?}");
        let mut rng = StdRng::seed_from_u64(2);
        assert!((0..1000).all(|_| exponential_slot(200, &mut rng) < 200));
    }

    #[test]
    fn writes_are_unique_per_key_and_keys_retire() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut g = WrTxns::new(10, 4, 16);
        let mut seen: HashMap<u64, Vec<u64>> = HashMap::new();
        for _ in 0..2000 {
            let txn = g.next_txn(&mut rng);
            assert!((1..=4).contains(&txn.len()));
            for m in txn {
                if let Mop::Write(k, v) = m {
                    seen.entry(k).or_default().push(v);
                }
            }
        }
        for vs in seen.values() {
            let expect: Vec<u64> = (1..=vs.len() as u64).collect();
            assert_eq!(vs, &expect);
            assert!(vs.len() <= 16);
        }
        assert!(g.retired() > 50);
        assert_eq!(g.active().len(), 10);
    }
}
