//! CLI parsing: Maelstrom's flag names and defaults, `Kn` concurrency, bad arguments → 254,
//! stray words forwarded to the node binary.

use glomers_harness::checker::AvailabilityGoal;
use glomers_harness::cli::{parse, Command, LatencyDist, TestOpts, EXIT_BAD_ARGS};
use glomers_harness::topology::TopologyKind;

fn opts(args: &[&str]) -> TestOpts {
    let argv = std::iter::once("harness").chain(args.iter().copied());
    match parse(argv) {
        Ok(Command::Test(o)) => *o,
        Ok(other) => panic!("expected a test command, got {other:?}"),
        Err(e) => panic!("parse failed: {}", e.message),
    }
}

fn err(args: &[&str]) -> (i32, String) {
    let argv = std::iter::once("harness").chain(args.iter().copied());
    match parse(argv) {
        Ok(_) => panic!("expected an error for {args:?}"),
        Err(e) => (e.exit_code, e.message),
    }
}

#[test]
fn defaults_match_maelstrom() {
    let o = opts(&["test", "--bin", "x"]);
    assert_eq!(o.workload, "lin-kv");
    assert_eq!(o.nodes, vec!["n1", "n2", "n3", "n4", "n5"]);
    assert_eq!(o.concurrency, 5);
    assert_eq!(o.time_limit, 60);
    assert_eq!(o.rate, 5.0);
    assert_eq!(o.latency, 0);
    assert_eq!(o.latency_dist, LatencyDist::Constant);
    assert!(!o.partition);
    assert_eq!(o.nemesis_interval, 10.0);
    assert_eq!(o.availability, None);
    assert_eq!(o.consistency_models, vec!["strict-serializable"]);
    assert_eq!(o.topology, TopologyKind::Grid);
    assert_eq!(o.max_txn_length, 4);
    assert_eq!(o.max_writes_per_key, 16);
    assert_eq!(o.key_count, None);
    assert_eq!(o.test_count, 1);
    assert_eq!(o.store, std::path::PathBuf::from("store"));
    assert!(o.bin_args.is_empty());
    assert!(!o.log_stderr && !o.log_net_send && !o.log_net_recv && !o.telemetry);
    assert_eq!(o.recovery_time, 10.0);
}

#[test]
fn node_count_names_from_zero() {
    let o = opts(&["test", "-w", "echo", "--bin", "x", "--node-count", "3"]);
    assert_eq!(o.nodes, vec!["n0", "n1", "n2"]);
    assert_eq!(o.concurrency, 3);
}

#[test]
fn concurrency_kn_multiplies_node_count() {
    let o = opts(&[
        "test",
        "--bin",
        "x",
        "--node-count",
        "2",
        "--concurrency",
        "2n",
    ]);
    assert_eq!(o.concurrency, 4);
    let o = opts(&["test", "--bin", "x", "--concurrency", "7"]);
    assert_eq!(o.concurrency, 7);
    // Kn is taken after node parsing, whatever the flag order.
    let o = opts(&[
        "test",
        "--concurrency",
        "3n",
        "--bin",
        "x",
        "--node-count",
        "4",
    ]);
    assert_eq!(o.concurrency, 12);
}

#[test]
fn explicit_node_lists() {
    let o = opts(&["test", "--bin", "x", "--nodes", "a,b", "--node", "c"]);
    assert_eq!(o.nodes, vec!["a", "b", "c"]);
    // --node-count overrides node lists.
    let o = opts(&["test", "--bin", "x", "--nodes", "a,b", "--node-count", "1"]);
    assert_eq!(o.nodes, vec!["n0"]);
}

#[test]
fn all_flags_parse() {
    let o = opts(&[
        "test",
        "-w",
        "broadcast",
        "--bin",
        "./node",
        "--node-count",
        "25",
        "--time-limit",
        "20",
        "--rate",
        "100",
        "--latency",
        "100",
        "--latency-dist",
        "exponential",
        "--nemesis",
        "partition",
        "--nemesis-interval",
        "2.5",
        "--availability",
        "0.9",
        "--topology",
        "tree3",
        "--log-stderr",
        "--log-net-send",
        "--log-net-recv",
        "--key-count",
        "3",
        "--max-txn-length",
        "2",
        "--max-writes-per-key",
        "8",
        "--seed",
        "42",
        "--store",
        "/tmp/s",
        "--telemetry",
        "--consistency-models",
        "read-committed",
    ]);
    assert_eq!(o.workload, "broadcast");
    assert_eq!(o.nodes.len(), 25);
    assert_eq!(o.concurrency, 25);
    assert_eq!((o.time_limit, o.rate, o.latency), (20, 100.0, 100));
    assert_eq!(o.latency_dist, LatencyDist::Exponential);
    assert!(o.partition);
    assert_eq!(o.nemesis_interval, 2.5);
    assert_eq!(o.availability, Some(AvailabilityGoal::Fraction(0.9)));
    assert_eq!(o.topology, TopologyKind::Tree(3));
    assert!(o.log_stderr && o.log_net_send && o.log_net_recv && o.telemetry);
    assert_eq!(o.key_count, Some(3));
    assert_eq!((o.max_txn_length, o.max_writes_per_key), (2, 8));
    assert_eq!(o.seed, Some(42));
    assert_eq!(o.consistency_models, vec!["read-committed"]);
    let o = opts(&[
        "test",
        "--bin",
        "x",
        "--availability",
        "total",
        "--topology",
        "tree",
    ]);
    assert_eq!(o.availability, Some(AvailabilityGoal::Total));
    assert_eq!(o.topology, TopologyKind::Tree(2));
}

#[test]
fn consistency_models_split_only_on_spaced_commas() {
    let o = opts(&["test", "--bin", "x", "--consistency-models", "a,b"]);
    assert_eq!(o.consistency_models, vec!["a,b"]);
    let o = opts(&["test", "--bin", "x", "--consistency-models", "a , b"]);
    assert_eq!(o.consistency_models, vec!["a", "b"]);
}

#[test]
fn stray_words_go_to_the_binary() {
    let o = opts(&[
        "test",
        "-w",
        "echo",
        "--bin",
        "x",
        "foo",
        "--node-count",
        "1",
        "bar",
    ]);
    assert_eq!(o.bin_args, vec!["foo", "bar"]);
}

#[test]
fn en_dash_nemesis_is_a_positional_argument() {
    // Fly.io's 6c command line: `–-nemesis partition` (en-dash) is not an option.
    let o = opts(&[
        "test",
        "-w",
        "txn-rw-register",
        "--bin",
        "x",
        "--node-count",
        "2",
        "--concurrency",
        "2n",
        "--availability",
        "total",
        "\u{2013}-nemesis",
        "partition",
    ]);
    assert_eq!(o.bin_args, vec!["\u{2013}-nemesis", "partition"]);
    assert!(!o.partition);
    assert_eq!(o.concurrency, 4);
}

#[test]
fn missing_bin_is_maelstroms_error() {
    let (code, msg) = err(&["test", "-w", "echo"]);
    assert_eq!(code, EXIT_BAD_ARGS);
    assert!(
        msg.contains("Expected a --bin PATH_TO_BINARY to test"),
        "{msg}"
    );
}

#[test]
fn bad_arguments_exit_254() {
    let cases: &[&[&str]] = &[
        &["test", "--bin", "x", "--nemesis", "kill"],
        &["test", "--bin", "x", "--nemesis", "partition,pause"],
        &["test", "--bin", "x", "--concurrency", "n"],
        &["test", "--bin", "x", "--concurrency", "2x"],
        &["test", "--bin", "x", "--time-limit", "0"],
        &["test", "--bin", "x", "--time-limit", "1.5"],
        &["test", "--bin", "x", "--rate", "-1"],
        &["test", "--bin", "x", "--latency", "-3"],
        &["test", "--bin", "x", "--latency-dist", "normal"],
        &["test", "--bin", "x", "--availability", "1.5"],
        &["test", "--bin", "x", "--topology", "ring"],
        &["test", "--bin", "x", "-w", "paxos"],
        &["test", "--bin", "x", "--no-such-flag"],
        &["test", "--bin", "x", "--node-count", "0"],
        &["frobnicate"],
    ];
    for args in cases {
        let (code, _) = err(args);
        assert_eq!(code, EXIT_BAD_ARGS, "{args:?}");
    }
    let (_, msg) = err(&["test", "--bin", "x", "--nemesis", "kill"]);
    assert!(msg.contains("Must be one of partition"), "{msg}");
}

#[test]
fn help_exits_zero() {
    let (code, msg) = err(&["test", "--help"]);
    assert_eq!(code, 0);
    assert!(msg.contains("--node-count"));
    assert!(msg.contains("--telemetry"));
}
