//! fly.io's Gossip Glomers commands (the table in `scripts/challenge`), so a run of one of
//! them is named by its challenge id (`3d`, `5b/5c`, ...). A challenge is matched on its
//! flags and the words passed to the node, never on the binary: fly.io's commands name
//! `~/go/bin/maelstrom-broadcast`, this project's name `target/release/broadcast`.
//!
//! 3d and 3e (and their partition runs) are the same Maelstrom command: `scripts/challenge`
//! tells them apart by a word for the node (`3d`, `3e`). A run of those flags without the
//! word is named `3d/3e`.

use std::sync::OnceLock;

use super::test_id::flags_of;

/// `(id, arguments after "test")`, as `scripts/challenge` runs them (`B` stands for the binary).
const COMMANDS: &[(&str, &str)] = &[
    ("1", "-w echo --bin B --node-count 1 --time-limit 10"),
    ("2", "-w unique-ids --bin B --time-limit 30 --rate 1000 --node-count 3 --availability total --nemesis partition"),
    ("3a", "-w broadcast --bin B --node-count 1 --time-limit 20 --rate 10"),
    ("3b", "-w broadcast --bin B --node-count 5 --time-limit 20 --rate 10"),
    ("3c", "-w broadcast --bin B --node-count 5 --time-limit 20 --rate 10 --nemesis partition"),
    ("3d", "-w broadcast --bin B --node-count 25 --time-limit 20 --rate 100 --latency 100 3d"),
    ("3e", "-w broadcast --bin B --node-count 25 --time-limit 20 --rate 100 --latency 100 3e"),
    ("3d-partition", "-w broadcast --bin B --node-count 25 --time-limit 20 --rate 100 --latency 100 --nemesis partition 3d"),
    ("3e-partition", "-w broadcast --bin B --node-count 25 --time-limit 20 --rate 100 --latency 100 --nemesis partition 3e"),
    ("4", "-w g-counter --bin B --node-count 3 --rate 100 --time-limit 20 --nemesis partition"),
    ("5a", "-w kafka --bin B --node-count 1 --concurrency 2n --time-limit 20 --rate 1000"),
    ("5b/5c", "-w kafka --bin B --node-count 2 --concurrency 2n --time-limit 20 --rate 1000"),
    ("6a", "-w txn-rw-register --bin B --node-count 1 --time-limit 20 --rate 1000 --concurrency 2n --consistency-models read-uncommitted --availability total"),
    ("6b", "-w txn-rw-register --bin B --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted"),
    ("6b-partition", "-w txn-rw-register --bin B --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-uncommitted --availability total --nemesis partition"),
    ("6c", "-w txn-rw-register --bin B --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-committed --availability total –-nemesis partition"),
    ("6c-partition", "-w txn-rw-register --bin B --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-committed --availability total --nemesis partition"),
    ("6c-list-append", "-w txn-list-append --bin B --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-committed --availability total --nemesis partition"),
];

/// Every challenge id, in the table's order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|(id, _)| *id)
}

struct Known {
    id: &'static str,
    /// Flags only (no binary, no words).
    flags: String,
    args: Vec<String>,
}

fn known() -> &'static [Known] {
    static KNOWN: OnceLock<Vec<Known>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        COMMANDS
            .iter()
            .map(|&(id, cmd)| {
                let (flags, args) = flags_of(cmd);
                Known { id, flags, args }
            })
            .collect()
    })
}

/// The challenge id of a test given by its flags (`flags`, no binary) and the words passed
/// to its node. Without words, the flags of several challenges that differ only by their
/// word name them together (`3d/3e`).
pub fn find(flags: &str, args: &[String]) -> Option<String> {
    let k = known();
    if let Some(c) = k.iter().find(|c| c.flags == flags && c.args == args) {
        return Some(c.id.to_string());
    }
    if !args.is_empty() {
        return None;
    }
    let same: Vec<&str> = k
        .iter()
        .filter(|c| c.flags == flags && !c.args.is_empty())
        .map(|c| c.id)
        .collect();
    match same.as_slice() {
        [] => None,
        [one] => Some(one.to_string()),
        [first, rest @ ..] => {
            // `3d-partition` and `3e-partition` → `3d/3e-partition`.
            let tail = first.find('-').map(|i| &first[i..]).unwrap_or("");
            let heads: Vec<&str> = std::iter::once(*first)
                .chain(rest.iter().copied())
                .map(|id| id.strip_suffix(tail).unwrap_or(id))
                .collect();
            Some(format!("{}{tail}", heads.join("/")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::test_id::parse;

    #[test]
    fn every_command_names_itself() {
        for (id, cmd) in COMMANDS {
            let t = parse(&format!(
                "maelstrom test {}",
                cmd.replace(" B ", " /root/target/release/node ")
            ));
            assert_eq!(t.challenge.as_deref(), Some(*id), "{cmd}");
            assert_eq!(t.name, *id);
        }
        let keys: std::collections::HashSet<String> = COMMANDS
            .iter()
            .map(|(_, c)| parse(&format!("test {c}")).key)
            .collect();
        assert_eq!(
            keys.len(),
            COMMANDS.len(),
            "every challenge is its own test"
        );
    }

    #[test]
    fn fly_commands_without_words() {
        let t = parse("./maelstrom test -w broadcast --bin ~/go/bin/maelstrom-broadcast --node-count 25 --time-limit 20 --rate 100 --latency 100");
        assert_eq!(t.name, "3d/3e");
        let t = parse("./maelstrom test -w broadcast --bin x --node-count 25 --time-limit 20 --rate 100 --latency 100 --nemesis partition");
        assert_eq!(t.name, "3d/3e-partition");
        let t = parse("./maelstrom test -w broadcast --bin x --node-count 25 --time-limit 20 --rate 100 --latency 100 3f");
        assert_eq!(t.challenge, None);
        assert_eq!(t.name, "broadcast 25n 100/s lat 100 ms 20s [3f]");
    }
}
