//! `Id` and `IdSet`: how broadcast values are named and how sets of them are kept.
//!
//! A value is named by the node that first accepted it from a client (its *origin*, an
//! index into `node_ids`) and that node's counter. Ids are therefore dense per origin
//! whatever the values are (integers, strings, objects), and a node's holdings, or its
//! knowledge of a peer's holdings, is one `RangeSet` per origin: usually a single range.
//! On the wire an `IdSet` is `[[origin, lo, hi, lo, hi, ...], ...]` (half-open ranges).

use super::ranges::RangeSet;

/// A value's name: (origin node index, sequence number at that origin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id {
    pub origin: u32,
    pub seq: u64,
}

impl Id {
    pub fn new(origin: u32, seq: u64) -> Id {
        Id { origin, seq }
    }
}

/// A set of ids: one `RangeSet` per origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdSet {
    origins: Vec<RangeSet>,
}

impl IdSet {
    pub fn new() -> IdSet {
        IdSet::default()
    }

    fn slot(&mut self, origin: u32) -> &mut RangeSet {
        let i = origin as usize;
        if self.origins.len() <= i {
            self.origins.resize_with(i + 1, RangeSet::new);
        }
        &mut self.origins[i]
    }

    /// The seqs held for one origin.
    pub fn origin(&self, origin: u32) -> Option<&RangeSet> {
        self.origins.get(origin as usize)
    }

    pub fn contains(&self, id: Id) -> bool {
        self.origin(id.origin).is_some_and(|r| r.contains(id.seq))
    }

    /// Insert one id; true if it was absent.
    pub fn insert(&mut self, id: Id) -> bool {
        self.slot(id.origin).insert(id.seq)
    }

    pub fn insert_range(&mut self, origin: u32, lo: u64, hi: u64) {
        if lo < hi {
            self.slot(origin).insert_range(lo, hi);
        }
    }

    pub fn union_with(&mut self, other: &IdSet) {
        for (o, r) in other.origins.iter().enumerate() {
            if !r.is_empty() {
                self.slot(o as u32).union_with(r);
            }
        }
    }

    /// `self ∖ other`.
    pub fn difference(&self, other: &IdSet) -> IdSet {
        let empty = RangeSet::new();
        let mut origins: Vec<RangeSet> = self
            .origins
            .iter()
            .enumerate()
            .map(|(o, r)| r.difference(other.origins.get(o).unwrap_or(&empty)))
            .collect();
        while origins.last().is_some_and(RangeSet::is_empty) {
            origins.pop();
        }
        IdSet { origins }
    }

    pub fn is_empty(&self) -> bool {
        self.origins.iter().all(RangeSet::is_empty)
    }

    /// Number of ids.
    pub fn len(&self) -> u64 {
        self.origins.iter().map(RangeSet::len).sum()
    }

    /// Number of ranges over all origins: the memory this set takes.
    pub fn range_count(&self) -> usize {
        self.origins.iter().map(RangeSet::range_count).sum()
    }

    /// Every id, origin by origin, in seq order.
    pub fn iter(&self) -> impl Iterator<Item = Id> + '_ {
        self.origins
            .iter()
            .enumerate()
            .flat_map(|(o, r)| r.iter().map(move |seq| Id::new(o as u32, seq)))
    }

    /// Runs `(origin, lo, hi)` in order.
    pub fn runs(&self) -> impl Iterator<Item = (u32, u64, u64)> + '_ {
        self.origins
            .iter()
            .enumerate()
            .flat_map(|(o, r)| r.ranges().iter().map(move |&(lo, hi)| (o as u32, lo, hi)))
    }

    /// The wire form: `[[origin, lo, hi, lo, hi, ...], ...]`, empty origins left out.
    pub fn to_wire(&self) -> Vec<Vec<u64>> {
        self.origins
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.is_empty())
            .map(|(o, r)| {
                let mut row = Vec::with_capacity(1 + 2 * r.range_count());
                row.push(o as u64);
                for &(lo, hi) in r.ranges() {
                    row.push(lo);
                    row.push(hi);
                }
                row
            })
            .collect()
    }

    /// Parse the wire form, keeping only origins below `origins` (the cluster size) and
    /// normalising whatever ranges arrive.
    pub fn from_wire(rows: &[Vec<u64>], origins: usize) -> IdSet {
        let mut set = IdSet::new();
        for row in rows {
            let Some((&o, pairs)) = row.split_first() else {
                continue;
            };
            if o >= origins as u64 {
                continue;
            }
            for pair in pairs.chunks_exact(2) {
                set.insert_range(o as u32, pair[0], pair[1]);
            }
        }
        set
    }
}

impl FromIterator<Id> for IdSet {
    fn from_iter<T: IntoIterator<Item = Id>>(iter: T) -> IdSet {
        let mut set = IdSet::new();
        for id in iter {
            set.insert(id);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip_and_bounds() {
        let set: IdSet = [Id::new(0, 0), Id::new(0, 1), Id::new(2, 5), Id::new(2, 7)]
            .into_iter()
            .collect();
        let wire = set.to_wire();
        assert_eq!(wire, vec![vec![0, 0, 2], vec![2, 5, 6, 7, 8]]);
        assert_eq!(IdSet::from_wire(&wire, 3), set);
        // Origins outside the cluster and malformed rows are dropped.
        let parsed = IdSet::from_wire(&[vec![9, 0, 4], vec![], vec![1, 3], vec![1, 4, 2]], 3);
        assert!(parsed.is_empty());
    }

    #[test]
    fn difference_and_union() {
        let a: IdSet = (0..10).map(|s| Id::new(1, s)).collect();
        let b: IdSet = (0..5)
            .map(|s| Id::new(1, s))
            .chain([Id::new(0, 0)])
            .collect();
        let d = a.difference(&b);
        assert_eq!(
            d.iter().collect::<Vec<_>>(),
            (5..10).map(|s| Id::new(1, s)).collect::<Vec<_>>()
        );
        assert!(b.difference(&a).contains(Id::new(0, 0)));
        let mut u = b.clone();
        u.union_with(&a);
        assert_eq!(u.len(), 11);
        assert_eq!(u.range_count(), 2);
        assert!(IdSet::new().difference(&a).is_empty());
    }
}
