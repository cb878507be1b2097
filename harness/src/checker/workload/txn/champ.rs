//! The iteration order of Elle's graphs. Elle keeps ops in Bifurcan hash maps keyed by
//! `Murmur3.hashLong(op.index)` (Clojure's Murmur3), which Bifurcan mixes further; its CHAMP
//! trie iterates a node's inline entries (ascending 5-bit hash chunk, lowest bits first)
//! before its child nodes (ascending chunk, each recursively). Sets built by insertion have
//! a canonical trie, so the order of any set of ops follows from their indices alone.
//!
//! Elle's cycle search visits start vertices and neighbours in this order and keeps the first
//! cycle it finds, so reproducing it reproduces which cycles Elle reports.

/// Clojure's `Murmur3.hashLong`.
pub(crate) fn murmur3_hash_long(input: i64) -> i32 {
    if input == 0 {
        return 0;
    }
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix_k1 = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mix_h1 = |h: u32, k: u32| {
        (h ^ k)
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64)
    };
    let low = input as u32;
    let high = ((input as u64) >> 32) as u32;
    let mut h = mix_h1(0, mix_k1(low));
    h = mix_h1(h, mix_k1(high));
    h ^= 8;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h as i32
}

/// Bifurcan's `Map.keyHash` of a 64-bit hash.
pub(crate) fn bifurcan_key_hash(hash64: i64) -> u32 {
    let mut h = ((hash64 >> 32) ^ hash64) as i32 as u32;
    h ^= (h >> 20) ^ (h >> 12);
    h ^= (h >> 7) ^ (h >> 4);
    h
}

/// The trie hash of an op with this `:index`.
pub(crate) fn op_hash(index: u64) -> u32 {
    bifurcan_key_hash(murmur3_hash_long(index as i64) as i64)
}

/// Sorts `items` (hash, value) into CHAMP iteration order.
pub(crate) fn champ_order<T: Copy>(items: &mut [(u32, T)]) {
    order_level(items, 0);
}

fn order_level<T: Copy>(items: &mut [(u32, T)], shift: u32) {
    if items.len() <= 1 || shift >= 32 {
        return;
    }
    let chunk = |h: u32| (h >> shift) & 31;
    let mut counts = [0usize; 32];
    for (h, _) in items.iter() {
        counts[chunk(*h) as usize] += 1;
    }
    // Inline entries (alone in their chunk) first, then child nodes; both by chunk.
    items.sort_by_key(|(h, _)| {
        let c = chunk(*h);
        (counts[c as usize] > 1, c)
    });
    let inline = items
        .iter()
        .take_while(|(h, _)| counts[chunk(*h) as usize] == 1)
        .count();
    let mut start = inline;
    while start < items.len() {
        let c = chunk(items[start].0);
        let end = start + counts[c as usize];
        order_level(&mut items[start..end], shift + 5);
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur_matches_clojure() {
        // (clojure.lang.Murmur3/hashLong 1) and (hash 42) in Clojure.
        assert_eq!(murmur3_hash_long(1), 1_392_991_556);
        assert_eq!(murmur3_hash_long(42), 1_871_679_806);
        assert_eq!(murmur3_hash_long(0), 0);
    }

    #[test]
    fn inline_entries_come_before_children() {
        // Chunks: a=3, b=3 (collide), c=5.
        let mut items = [(3u32, 'a'), (3 | (1 << 5), 'b'), (5, 'c')];
        champ_order(&mut items);
        let order: Vec<char> = items.iter().map(|x| x.1).collect();
        assert_eq!(order, ['c', 'a', 'b']);
        let mut two = [(5u32, 'c'), (3, 'a')];
        champ_order(&mut two);
        assert_eq!(two.map(|x| x.1), ['a', 'c']);
    }
}
