//! stats, availability, exceptions and net checkers on hand-made histories (MAELSTROM.md
//! §8.1, §5.4).

mod checker_support;

use checker_support::*;
use glomers_harness::checker::{
    availability, exceptions, net, stats, AvailabilityGoal, ClassCounts, NetCounts,
};
use glomers_model::{edn_map, Value};

fn counts(valid: bool, n: i64, ok: i64, fail: i64, info: i64) -> Vec<(String, Value)> {
    vec![
        ("valid?".into(), Value::Bool(valid)),
        ("count".into(), Value::Int(n)),
        ("ok-count".into(), Value::Int(ok)),
        ("fail-count".into(), Value::Int(fail)),
        ("info-count".into(), Value::Int(info)),
    ]
}

fn map(entries: Vec<(String, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(k, v)| (kw(&k), v)).collect())
}

#[test]
fn stats_by_f_sorted_and_zero_ok_f_invalid() {
    let mut h = H::new();
    h.nemesis(0, "start-partition", kw("one"));
    h.nemesis(1, "start-partition", Value::Nil);
    h.call(0, 1, 0, "read", Value::Nil);
    h.invoke(2, 0, "broadcast", Value::Int(1));
    h.info(3, 0, "broadcast", Value::Int(1));
    h.invoke(4, 1, "broadcast", Value::Int(2));
    h.fail(5, 1, "broadcast", Value::Int(2));
    h.invoke(6, 2, "read", Value::Nil); // pending: not counted
    let r = stats::check(&h.ops, &facts("broadcast"));
    let mut want = counts(false, 3, 1, 1, 1);
    want.push((
        "by-f".into(),
        Value::Map(vec![
            (kw("broadcast"), map(counts(false, 2, 0, 1, 1))),
            (kw("read"), map(counts(true, 1, 1, 0, 0))),
        ]),
    ));
    assert_eq!(r, map(want));
}

#[test]
fn stats_ignores_kafka_crash_and_empty_history_is_valid() {
    let mut h = H::new();
    h.call(0, 1, 0, "send", Value::Nil);
    h.invoke(2, 1, "crash", Value::Nil);
    h.info(3, 1, "crash", Value::Nil);
    let r = stats::check(&h.ops, &facts("kafka"));
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    assert_eq!(
        r.get_in(&["by-f", "crash", "valid?"]),
        Some(&Value::Bool(false))
    );
    let r = stats::check(&[], &facts("echo"));
    assert_eq!(
        r,
        map({
            let mut c = counts(true, 0, 0, 0, 0);
            c.push(("by-f".into(), Value::Map(vec![])));
            c
        })
    );
}

#[test]
fn availability_total_and_fraction() {
    let mut h = H::new();
    for p in 0..8 {
        h.call(p * 10, p * 10 + 1, p, "generate", Value::Nil);
    }
    h.invoke(100, 8, "generate", Value::Nil);
    h.info(101, 8, "generate", Value::Nil);
    let mut f = facts("unique-ids");
    let r = availability::check(&h.ops, &f);
    assert_eq!(
        r,
        edn_map! { "valid?" => Value::Bool(true), "ok-fraction" => Value::Float(0.8888889) }
    );
    f.availability = Some(AvailabilityGoal::Total);
    assert_eq!(
        availability::check(&h.ops, &f).get("valid?"),
        Some(&Value::Bool(false))
    );
    f.availability = Some(AvailabilityGoal::Fraction(0.88));
    assert_eq!(
        availability::check(&h.ops, &f).get("valid?"),
        Some(&Value::Bool(true))
    );
    f.availability = Some(AvailabilityGoal::Fraction(0.89));
    assert_eq!(
        availability::check(&h.ops, &f).get("valid?"),
        Some(&Value::Bool(false))
    );

    // All ok: exactly 1.0 passes total.
    let mut h = H::new();
    h.call(0, 1, 0, "echo", Value::Nil);
    f.availability = Some(AvailabilityGoal::Total);
    let r = availability::check(&h.ops, &f);
    assert_eq!(
        r,
        edn_map! { "valid?" => Value::Bool(true), "ok-fraction" => Value::Float(1.0) }
    );

    // No invokes: the integer 1.
    let r = availability::check(&[], &f);
    assert_eq!(
        r,
        edn_map! { "valid?" => Value::Bool(true), "ok-fraction" => Value::Int(1) }
    );
}

fn exception(class: &str, message: &str) -> Value {
    edn_map! {
        "via" => Value::Vector(vec![edn_map! {
            "type" => Value::Symbol(class.into()),
            "message" => s(message),
        }]),
        "cause" => s(message),
    }
}

#[test]
fn exceptions_grouped_by_class_most_frequent_first() {
    let mut h = H::new();
    h.invoke(0, 0, "read", Value::Nil);
    h.info(1, 0, "read", Value::Nil);
    h.with("exception", exception("java.lang.RuntimeException", "a"))
        .with("error", s("indeterminate: a"));
    for p in 1..4 {
        h.invoke(2, p, "add", Value::Int(1));
        h.info(3, p, "add", Value::Int(1));
        h.with(
            "exception",
            exception("clojure.lang.ExceptionInfo", "Client read timeout"),
        );
    }
    h.invoke(4, 9, "add", Value::Int(1));
    h.info(5, 9, "add", Value::Int(1)); // no exception: not listed
    let r = exceptions::check(&h.ops, &facts("g-counter"));
    assert_eq!(keys(&r), ["valid?", "exceptions"]);
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    let list = r.get("exceptions").unwrap().as_seq().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(keys(&list[0]), ["count", "class", "example"]);
    assert_eq!(list[0].get("count"), Some(&Value::Int(3)));
    assert_eq!(
        list[0].get("class"),
        Some(&Value::Symbol("clojure.lang.ExceptionInfo".into()))
    );
    let example = op_map(list[0].get("example").unwrap());
    assert_eq!(example.get("index"), Some(&Value::Int(3)));
    assert_eq!(list[1].get("count"), Some(&Value::Int(1)));
    let first = op_map(list[1].get("example").unwrap());
    assert_eq!(
        keys(first),
        [
            "index",
            "time",
            "type",
            "process",
            "f",
            "value",
            "exception",
            "error"
        ]
    );

    assert_eq!(
        exceptions::check(&[], &facts("echo")),
        edn_map! { "valid?" => Value::Bool(true) }
    );
}

fn class(send: u64, recv: u64) -> ClassCounts {
    ClassCounts {
        send_count: send,
        recv_count: recv,
        msg_count: send,
    }
}

#[test]
fn net_msgs_per_op_rounding_and_omission() {
    // The numbers of the real run broadcast/Emmanuel32...014817: 191 client invokes.
    let mut h = H::new();
    h.nemesis(0, "start-partition", kw("majority"));
    for p in 0..191 {
        h.call(p, p + 1, p, "read", Value::Nil);
    }
    let mut f = facts("broadcast");
    f.net = NetCounts {
        all: class(814, 732),
        clients: class(402, 402),
        servers: class(412, 330),
    };
    let r = net::check(&h.ops, &f);
    assert_eq!(keys(&r), ["all", "clients", "servers", "valid?"]);
    assert_eq!(
        r.get_in(&["all", "msgs-per-op"]),
        Some(&Value::Float(4.2617803))
    );
    assert_eq!(
        r.get_in(&["servers", "msgs-per-op"]),
        Some(&Value::Float(2.157068))
    );
    assert_eq!(
        keys(r.get("clients").unwrap()),
        ["send-count", "recv-count", "msg-count"]
    );
    assert_eq!(
        keys(r.get("all").unwrap()),
        ["send-count", "recv-count", "msg-count", "msgs-per-op"]
    );
    assert_eq!(r.get_in(&["all", "recv-count"]), Some(&Value::Int(732)));
    assert_eq!(net::op_count(&h.ops), 191);

    // Servers with no traffic: 0.0, as in single-node runs.
    f.net.servers = ClassCounts::default();
    let r = net::check(&h.ops, &f);
    assert_eq!(
        r.get_in(&["servers", "msgs-per-op"]),
        Some(&Value::Float(0.0))
    );

    // No client invokes: no :msgs-per-op anywhere.
    let mut only_nemesis = H::new();
    only_nemesis.nemesis(0, "start-partition", kw("majority"));
    let r = net::check(&only_nemesis.ops, &f);
    assert!(r.get_in(&["all", "msgs-per-op"]).is_none());
    assert!(r.get_in(&["servers", "msgs-per-op"]).is_none());
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
}
