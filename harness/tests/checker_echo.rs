//! echo checker on hand-made histories (MAELSTROM.md §6.1, corrected by the real run
//! echo/pankajads__maelstrom_test__20240106T144812.144+0530: timeouts are not errors).

mod checker_support;

use checker_support::*;
use glomers_harness::checker::workload::echo;
use glomers_model::{edn_map, Value};

fn reply(text: &str, id: i64) -> Value {
    edn_map! {
        "echo" => s(text),
        "in_reply_to" => Value::Int(id),
        "msg_id" => Value::Int(id),
        "type" => s("echo_ok"),
    }
}

#[test]
fn matching_echoes_are_valid() {
    let mut h = H::new();
    h.invoke(0, 0, "echo", s("Please echo 1"));
    h.ok(MS, 0, "echo", reply("Please echo 1", 1));
    let r = echo::check(&h.ops, &facts("echo")).unwrap();
    assert_eq!(
        r,
        edn_map! { "valid?" => Value::Bool(true), "errors" => Value::List(vec![]) }
    );
}

#[test]
fn wrong_echo_and_failed_echo_are_errors() {
    let mut h = H::new();
    h.invoke(0, 0, "echo", s("Please echo 1"));
    h.ok(MS, 0, "echo", reply("Please echo 2", 1));
    h.invoke(2 * MS, 0, "echo", s("Please echo 3"));
    h.fail(3 * MS, 0, "echo", s("Please echo 3"));
    h.with(
        "error",
        Value::Vector(vec![kw("temporarily-unavailable"), s("busy")]),
    );
    let r = echo::check(&h.ops, &facts("echo")).unwrap();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
    let errors = r.get("errors").unwrap().as_seq().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(
        errors[0],
        Value::Vector(vec![
            s("Expected a message with :echo"),
            s("Please echo 1"),
            s("But received"),
            reply("Please echo 2", 1),
        ])
    );
    assert_eq!(errors[1].as_seq().unwrap()[3], s("Please echo 3"));
}

#[test]
fn timed_out_echo_is_not_an_error() {
    // Real Maelstrom pairs with Knossos' `pairs`, where an :info completion stands alone, so
    // the 18 timeouts of the pankajads run give {:valid? true, :errors ()}.
    let mut h = H::new();
    h.nemesis(0, "start-partition", kw("majorities-ring"));
    h.invoke(MS, 0, "echo", s("Please echo 33"));
    h.info(5000 * MS, 0, "echo", s("Please echo 33"));
    h.with("error", kw("net-timeout"));
    let r = echo::check(&h.ops, &facts("echo")).unwrap();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    assert_eq!(r.get("errors"), Some(&Value::List(vec![])));
}

#[test]
fn pending_invoke_is_not_an_error() {
    let mut h = H::new();
    h.invoke(0, 0, "echo", s("Please echo 1"));
    let r = echo::check(&h.ops, &facts("echo")).unwrap();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
}
