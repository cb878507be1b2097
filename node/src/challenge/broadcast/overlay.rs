//! The overlay: which peers a node keeps a sync session with. Maelstrom's `topology` is
//! ignored (its 5×5 grid has diameter 8, so 8 hops of latency; its messages per value
//! are no better than a star).
//!
//! Every node's *parent* is the first node, in `node_ids` order, that it does not
//! suspect; normally that is `n0` (and `n1` for `n0` itself). So the overlay is a star
//! around `n0`, the hub, and it repairs itself when a partition cuts the hub off: nodes
//! that suspect `n0` move to `n1`, `n1` moves to `n2`, and the lowest reachable node
//! becomes the hub of its side. Suspected candidates ranked before the current parent
//! are probed, so nodes move back once the partition heals. A node's children are the
//! peers whose last sync message named it as their parent (or, before any message, the
//! peers whose default parent it is). When two nodes are each other's parent (`n0` and
//! `n1`), the lower one leads: it batches to the other like to a child.

/// Parent choice and children of one node.
#[derive(Debug, Clone)]
pub struct Overlay {
    me: usize,
    n: usize,
    parent: Option<usize>,
    /// What each peer last told us: `Some(true)` if we are its parent.
    declared: Vec<Option<bool>>,
}

impl Overlay {
    pub fn new(me: usize, n: usize) -> Overlay {
        Overlay {
            me,
            n,
            parent: default_parent(me, n),
            declared: vec![None; n],
        }
    }

    pub fn parent(&self) -> Option<usize> {
        self.parent
    }

    /// Whether `q` currently takes this node as its parent.
    pub fn is_child(&self, q: usize) -> bool {
        q != self.me
            && q < self.n
            && self.declared[q].unwrap_or(default_parent(q, self.n) == Some(self.me))
    }

    /// Whether this node keeps a sync session with `q`.
    pub fn is_sync(&self, q: usize) -> bool {
        self.parent == Some(q) || self.is_child(q)
    }

    /// Whether this node sends to `q` as a hub (batched rounds) rather than as a child.
    pub fn leads(&self, q: usize) -> bool {
        self.is_child(q) && !(self.parent == Some(q) && q < self.me)
    }

    /// Whether this node is a root: it has no parent, or it leads its parent (the lower
    /// of two nodes that are each other's parent).
    pub fn is_root(&self) -> bool {
        match self.parent {
            None => true,
            Some(p) => self.leads(p),
        }
    }

    /// `q` said whether this node is its parent.
    pub fn declare(&mut self, q: usize, is_parent: bool) {
        if q < self.n && q != self.me {
            self.declared[q] = Some(is_parent);
        }
    }

    /// Pick the first unsuspected node as parent (the first node at all if every one is
    /// suspected). Returns the previous parent if it changed.
    pub fn choose(&mut self, suspected: impl Fn(usize) -> bool) -> Option<Option<usize>> {
        let pick = (0..self.n)
            .find(|&q| q != self.me && !suspected(q))
            .or_else(|| default_parent(self.me, self.n));
        if pick != self.parent {
            let old = self.parent;
            self.parent = pick;
            Some(old)
        } else {
            None
        }
    }
}

/// The parent of `q` when nothing is suspected.
pub fn default_parent(q: usize, n: usize) -> Option<usize> {
    (0..n).find(|&i| i != q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_around_n0_with_n0_leading_n1() {
        let hub = Overlay::new(0, 5);
        assert_eq!(hub.parent(), Some(1));
        assert!((1..5).all(|q| hub.is_child(q) && hub.leads(q) && hub.is_sync(q)));
        assert!(hub.is_root());
        let n1 = Overlay::new(1, 5);
        assert_eq!(n1.parent(), Some(0));
        assert!(n1.is_child(0) && !n1.leads(0) && !n1.is_root());
        assert!(!n1.is_sync(2));
        let n3 = Overlay::new(3, 5);
        assert_eq!(n3.parent(), Some(0));
        assert!(!n3.is_child(0) && !n3.is_root());
        assert!(Overlay::new(0, 1).is_root());
        assert_eq!(Overlay::new(0, 1).parent(), None);
    }

    #[test]
    fn fails_over_to_the_next_unsuspected_node_and_back() {
        let mut o = Overlay::new(3, 5);
        assert_eq!(o.choose(|q| q == 0), Some(Some(0)));
        assert_eq!(o.parent(), Some(1));
        assert_eq!(o.choose(|q| q < 3), Some(Some(1)));
        assert_eq!(o.parent(), Some(4));
        assert_eq!(o.choose(|_| true), Some(Some(4)));
        assert_eq!(o.parent(), Some(0));
        assert_eq!(o.choose(|_| false), None);
        // Children follow what peers declare.
        let mut n1 = Overlay::new(1, 5);
        assert!(!n1.is_child(3));
        n1.declare(3, true);
        assert!(n1.is_child(3) && n1.leads(3));
        n1.declare(0, false);
        assert!(!n1.is_child(0));
    }
}
