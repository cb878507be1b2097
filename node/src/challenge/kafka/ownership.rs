//! Which node owns a key: the single node that allocates the key's offsets and
//! writes its log to lin-kv. Static (no membership changes under Maelstrom), so every
//! node computes the same owner without talking to anyone.

/// The index in `nodes` of the owner of `key`.
///
/// Keys that are decimal integers (all of Maelstrom's kafka keys are) map to
/// `key mod n`, so the ever-growing sequence of fresh keys alternates evenly between
/// nodes; anything else falls back to an FNV-1a hash.
pub fn owner_index(key: &str, nodes: usize) -> usize {
    let n = nodes.max(1) as u64;
    let h = match key.parse::<u64>() {
        Ok(k) => k,
        Err(_) => fnv1a(key.as_bytes()),
    };
    (h % n) as usize
}

/// The id of the owner of `key` among `nodes` (which must not be empty).
pub fn owner_of<'a>(key: &str, nodes: &'a [String]) -> &'a str {
    &nodes[owner_index(key, nodes.len())]
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_alternate_and_others_are_stable() {
        let nodes: Vec<String> = vec!["n0".into(), "n1".into()];
        assert_eq!(owner_of("0", &nodes), "n0");
        assert_eq!(owner_of("1", &nodes), "n1");
        assert_eq!(owner_of("17", &nodes), "n1");
        let k = owner_index("topic-a", 3);
        assert_eq!(k, owner_index("topic-a", 3));
        assert!(k < 3);
        assert_eq!(owner_index("anything", 1), 0);
    }
}
