//! `RangeSet`: a set of `u64` kept as sorted, disjoint, non-adjacent half-open ranges.
//!
//! Broadcast ids are dense (each origin numbers its values 0, 1, 2, ...), so what a node
//! holds, or believes a peer holds, is almost always one range per origin. This keeps
//! per-peer bookkeeping tiny however long a partition lasts.

/// A set of integers as half-open ranges `[lo, hi)`, sorted, disjoint and never
/// touching (adjacent ranges are merged).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet {
    ranges: Vec<(u64, u64)>,
}

impl RangeSet {
    pub fn new() -> RangeSet {
        RangeSet::default()
    }

    /// Build from arbitrary (possibly overlapping, unsorted, empty) ranges.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u64, u64)>) -> RangeSet {
        let mut raw: Vec<(u64, u64)> = ranges.into_iter().filter(|(lo, hi)| lo < hi).collect();
        raw.sort_unstable();
        let mut set = RangeSet {
            ranges: Vec::with_capacity(raw.len()),
        };
        for (lo, hi) in raw {
            match set.ranges.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => set.ranges.push((lo, hi)),
            }
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Number of elements.
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|(lo, hi)| hi - lo).sum()
    }

    /// Number of ranges (the memory this set takes).
    pub fn range_count(&self) -> usize {
        self.ranges.len()
    }

    pub fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    /// One past the largest element (0 when empty).
    pub fn end(&self) -> u64 {
        self.ranges.last().map_or(0, |r| r.1)
    }

    pub fn contains(&self, x: u64) -> bool {
        let i = self.ranges.partition_point(|r| r.1 <= x);
        self.ranges.get(i).is_some_and(|r| r.0 <= x)
    }

    /// Insert one element; true if it was absent.
    pub fn insert(&mut self, x: u64) -> bool {
        if self.contains(x) {
            return false;
        }
        self.insert_range(x, x + 1);
        true
    }

    /// Insert `[lo, hi)`.
    pub fn insert_range(&mut self, lo: u64, hi: u64) {
        if lo >= hi {
            return;
        }
        // Fast path: appending at the end, the common case for dense ids.
        if let Some(last) = self.ranges.last_mut() {
            if lo >= last.0 && lo <= last.1 {
                last.1 = last.1.max(hi);
                return;
            }
            if lo > last.1 {
                self.ranges.push((lo, hi));
                return;
            }
        }
        // Ranges i..j touch or overlap [lo, hi).
        let i = self.ranges.partition_point(|r| r.1 < lo);
        let j = self.ranges.partition_point(|r| r.0 <= hi);
        let (mut new_lo, mut new_hi) = (lo, hi);
        if i < j {
            new_lo = new_lo.min(self.ranges[i].0);
            new_hi = new_hi.max(self.ranges[j - 1].1);
        }
        self.ranges.splice(i..j, std::iter::once((new_lo, new_hi)));
    }

    /// `self := self ∪ other`.
    pub fn union_with(&mut self, other: &RangeSet) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            self.ranges = other.ranges.clone();
            return;
        }
        if other.ranges.len() <= 2 {
            for &(lo, hi) in &other.ranges {
                self.insert_range(lo, hi);
            }
            return;
        }
        let mut merged: Vec<(u64, u64)> =
            Vec::with_capacity(self.ranges.len() + other.ranges.len());
        let (mut a, mut b) = (
            self.ranges.iter().peekable(),
            other.ranges.iter().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => {
                    if x.0 <= y.0 {
                        a.next()
                    } else {
                        b.next()
                    }
                }
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            let &(lo, hi) = next.expect("peeked");
            match merged.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        self.ranges = merged;
    }

    /// `self ∖ other`.
    pub fn difference(&self, other: &RangeSet) -> RangeSet {
        if other.is_empty() {
            return self.clone();
        }
        let mut out = Vec::new();
        let mut j = 0;
        for &(lo, hi) in &self.ranges {
            let mut cur = lo;
            while j < other.ranges.len() && other.ranges[j].1 <= cur {
                j += 1;
            }
            let mut k = j;
            while cur < hi && k < other.ranges.len() && other.ranges[k].0 < hi {
                let (olo, ohi) = other.ranges[k];
                if olo > cur {
                    out.push((cur, olo));
                }
                cur = cur.max(ohi);
                k += 1;
            }
            if cur < hi {
                out.push((cur, hi));
            }
        }
        RangeSet { ranges: out }
    }

    /// True if every element of `self` is in `other`.
    pub fn is_subset(&self, other: &RangeSet) -> bool {
        self.difference(other).is_empty()
    }

    /// The elements, in order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.ranges.iter().flat_map(|&(lo, hi)| lo..hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn set(xs: &[u64]) -> RangeSet {
        let mut s = RangeSet::new();
        for &x in xs {
            s.insert(x);
        }
        s
    }

    #[test]
    fn inserts_merge_adjacent_ranges() {
        let mut s = RangeSet::new();
        assert!(s.insert(3));
        assert!(s.insert(5));
        assert!(!s.insert(5));
        assert_eq!(s.ranges(), &[(3, 4), (5, 6)]);
        assert!(s.insert(4));
        assert_eq!(s.ranges(), &[(3, 6)]);
        s.insert_range(0, 2);
        s.insert_range(10, 12);
        assert_eq!(s.ranges(), &[(0, 2), (3, 6), (10, 12)]);
        s.insert_range(1, 11);
        assert_eq!(s.ranges(), &[(0, 12)]);
        assert_eq!(s.len(), 12);
        assert_eq!(s.end(), 12);
        assert!(s.contains(0) && s.contains(11) && !s.contains(12));
    }

    #[test]
    fn from_ranges_normalises() {
        let s = RangeSet::from_ranges([(5, 7), (0, 2), (2, 3), (6, 9), (4, 4)]);
        assert_eq!(s.ranges(), &[(0, 3), (5, 9)]);
    }

    #[test]
    fn set_algebra_matches_a_btreeset() {
        // A deterministic pseudo-random sweep against the obvious model.
        let mut seed = 0x1234_5678_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let a: Vec<u64> = (0..(next() % 40)).map(|_| next() % 64).collect();
            let b: Vec<u64> = (0..(next() % 40)).map(|_| next() % 64).collect();
            let (sa, sb) = (set(&a), set(&b));
            let (ma, mb): (BTreeSet<u64>, BTreeSet<u64>) =
                (a.iter().copied().collect(), b.iter().copied().collect());
            let diff: Vec<u64> = sa.difference(&sb).iter().collect();
            assert_eq!(diff, ma.difference(&mb).copied().collect::<Vec<_>>());
            let mut u = sa.clone();
            u.union_with(&sb);
            assert_eq!(
                u.iter().collect::<Vec<_>>(),
                ma.union(&mb).copied().collect::<Vec<_>>()
            );
            assert_eq!(u, RangeSet::from_ranges(u.ranges().iter().copied()));
            assert_eq!(sa.is_subset(&sb), ma.is_subset(&mb));
            for x in 0..64 {
                assert_eq!(sa.contains(x), ma.contains(&x));
            }
        }
    }
}
