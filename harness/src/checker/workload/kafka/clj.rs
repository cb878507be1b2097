//! Clojure iteration orders, so that maps and sets come out in the order Maelstrom prints
//! them.
//!
//! A Clojure map built by `assoc`/`into`/`merge` keeps insertion order while it has at most
//! 8 entries (a `PersistentArrayMap`); past that it becomes a `PersistentHashMap`, whose
//! iteration order is fixed by each key's `hasheq`: the hash trie is walked 5 bits at a time
//! from the low bits, so keys come out in lexicographic order of those 5-bit chunks. Hash
//! sets (`#{...}`, `(set xs)`) always use that order. This matters for the result map's
//! key order once there are 4 or more error types, for ties in `:worst-realtime-lag`, and
//! for which value a multi-valued log offset shows in the version order.
//!
//! `hasheq` follows Clojure 1.12: longs hash with `Murmur3.hashLong`, strings with
//! `Murmur3.hashInt(String.hashCode())`, keywords with the symbol hash (`hashUnencodedChars`
//! of the name combined with the namespace's `String.hashCode`) plus `0x9e3779b9`. Other
//! values have no modelled hash and keep their insertion order, after the hashed ones.

use glomers_model::Value;

/// A Clojure array map holds at most this many entries.
pub const ARRAY_MAP_MAX: usize = 8;

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;
const GOLDEN: u32 = 0x9e37_79b9;

fn mix_k1(k: u32) -> u32 {
    k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2)
}

fn mix_h1(h: u32, k: u32) -> u32 {
    (h ^ k)
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

fn fmix(mut h: u32, len: u32) -> u32 {
    h ^= len;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// `Murmur3.hashInt`.
pub fn hash_int(i: i32) -> u32 {
    if i == 0 {
        return 0;
    }
    fmix(mix_h1(0, mix_k1(i as u32)), 4)
}

/// `Murmur3.hashLong`.
pub fn hash_long(l: i64) -> u32 {
    if l == 0 {
        return 0;
    }
    let low = l as u64 as u32;
    let high = ((l as u64) >> 32) as u32;
    let h = mix_h1(mix_h1(0, mix_k1(low)), mix_k1(high));
    fmix(h, 8)
}

/// `Murmur3.hashUnencodedChars` over the UTF-16 code units.
pub fn hash_unencoded_chars(s: &str) -> u32 {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut h = 0u32;
    for pair in units.chunks_exact(2) {
        h = mix_h1(h, mix_k1(u32::from(pair[0]) | (u32::from(pair[1]) << 16)));
    }
    if units.len() % 2 == 1 {
        h ^= mix_k1(u32::from(units[units.len() - 1]));
    }
    fmix(h, (2 * units.len()) as u32)
}

/// Java's `String.hashCode`.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
}

/// `Util.hashCombine`.
fn hash_combine(seed: i32, hash: i32) -> i32 {
    seed ^ hash
        .wrapping_add(GOLDEN as i32)
        .wrapping_add(seed << 6)
        .wrapping_add(seed >> 2)
}

/// Clojure's `hasheq` for the value kinds the kafka checker puts in maps and sets.
pub fn hasheq(v: &Value) -> Option<u32> {
    match v {
        Value::Int(i) => Some(hash_long(*i)),
        Value::Str(s) => Some(hash_int(java_string_hash(s))),
        Value::Keyword(k) => {
            let (ns, name) = match k.find('/') {
                Some(i) if i > 0 && i + 1 < k.len() => (Some(&k[..i]), &k[i + 1..]),
                _ => (None, k.as_str()),
            };
            let ns_hash = ns.map_or(0, java_string_hash);
            let sym = hash_combine(hash_unencoded_chars(name) as i32, ns_hash);
            Some((sym as u32).wrapping_add(GOLDEN))
        }
        Value::Nil => Some(0),
        Value::Bool(b) => Some(if *b { 1231 } else { 1237 }),
        _ => None,
    }
}

/// Sort key of a hash in a hash trie walk: its 5-bit chunks, lowest first.
pub fn trie_order(h: u32) -> u64 {
    (0..7).fold(0u64, |acc, i| (acc << 5) | u64::from((h >> (5 * i)) & 31))
}

/// The order in which a hash set (or hash map) iterates `items`, given in insertion order;
/// `key` gives each item's key value.
pub fn hash_order<T>(items: &mut [T], key: impl Fn(&T) -> Value) {
    items.sort_by_cached_key(|x| hasheq(&key(x)).map_or(u64::MAX, trie_order));
}

/// The order in which a Clojure map built by successive `assoc`s iterates `items` (given in
/// first-insertion order, without duplicates).
pub fn map_order<T>(items: &mut [T], key: impl Fn(&T) -> Value) {
    if items.len() > ARRAY_MAP_MAX {
        hash_order(items, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur_matches_clojure() {
        // (hash 1) = 1392991556, (hash "a") = 1455541201 in Clojure 1.12.
        assert_eq!(hash_long(1) as i32, 1392991556);
        assert_eq!(hash_int(java_string_hash("a")) as i32, 1455541201);
        assert_eq!(hash_long(0), 0);
        // (hash :a) = -2123407586
        assert_eq!(hasheq(&Value::kw("a")).unwrap() as i32, -2123407586);
    }

    #[test]
    fn keyword_order_matches_a_map_printed_by_maelstrom() {
        // The first keys of the test map in a Maelstrom 0.2.5 jepsen.log ("Running test:").
        let printed = [
            "args",
            "remote",
            "log-net-send",
            "node-count",
            "availability",
            "max-txn-length",
            "concurrency",
            "db",
            "max-writes-per-key",
            "leave-db-running?",
            "sub-via",
            "name",
        ];
        let mut v: Vec<Value> = printed.iter().rev().map(|k| Value::kw(k)).collect();
        hash_order(&mut v, |x| x.clone());
        let names: Vec<&str> = v.iter().map(|k| k.as_keyword().unwrap()).collect();
        assert_eq!(names, printed);
    }

    #[test]
    fn string_order_matches_a_poll_printed_by_maelstrom() {
        let printed = [
            "9", "3", "4", "8", "14", "20", "19", "17", "15", "7", "5", "18",
        ];
        let mut v: Vec<Value> = printed.iter().map(|k| Value::Str(k.to_string())).collect();
        v.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        map_order(&mut v, |x| x.clone());
        let names: Vec<&str> = v.iter().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(names, printed);
    }

    #[test]
    fn small_maps_keep_insertion_order() {
        let mut v: Vec<Value> = (0..8).rev().map(Value::Int).collect();
        let before = v.clone();
        map_order(&mut v, |x| x.clone());
        assert_eq!(v, before);
    }
}
