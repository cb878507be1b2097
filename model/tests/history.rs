//! History ops: reading from EDN, writing `history.edn` and `history.txt` lines, parsing
//! whole histories, and the JSON bridge the harness uses for message bodies.

use glomers_model::edn::{parse, Value};
use glomers_model::{edn_map, parse_history, HistoryError, Op, OpType, Process};
use serde_json::json;

fn kw(s: &str) -> Value {
    Value::kw(s)
}

#[test]
fn op_from_a_modern_line() {
    let line = "{:index 0, :time 12345, :type :invoke, :process 0, :f :read, :value nil}";
    let op = Op::from_edn(&parse(line).unwrap()).unwrap();
    assert_eq!(
        op,
        Op {
            index: 0,
            time: 12345,
            typ: OpType::Invoke,
            process: Process::Client(0),
            f: "read".into(),
            value: Value::Nil,
            extra: vec![],
        }
    );
    assert_eq!(op.to_edn_line(), line);
    assert_eq!(op.to_txt_line(), "0\t:invoke\t:read\tnil");
}

#[test]
fn op_keys_in_any_order_and_extras_kept_in_order() {
    let line = r#"{:index 9, :value nil, :time 35018811860, :process 4, :type :info, :final? true, :f :read, :error "indeterminate: Client read timeout", :exception {:cause "x"}}"#;
    let op = Op::from_edn(&parse(line).unwrap()).unwrap();
    assert_eq!(op.index, 9);
    assert_eq!(op.typ, OpType::Info);
    assert_eq!(op.process, Process::Client(4));
    assert!(op.is_final());
    let keys: Vec<&str> = op.extra.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["final?", "error", "exception"]);
    assert_eq!(
        op.to_edn_line(),
        r#"{:index 9, :time 35018811860, :type :info, :process 4, :f :read, :value nil, :final? true, :error "indeterminate: Client read timeout", :exception {:cause "x"}}"#
    );
    assert_eq!(
        op.to_txt_line(),
        "4\t:info\t:read\tnil\tindeterminate: Client read timeout"
    );
}

#[test]
fn nemesis_ops() {
    let line = r#"{:index 2, :time 10292208, :type :info, :process :nemesis, :f :start-partition, :value [:isolated {"n1" #{"n2" "n0"}, "n2" #{"n1"}, "n0" #{"n1"}}]}"#;
    let op = Op::from_edn(&parse(line).unwrap()).unwrap();
    assert_eq!(op.process, Process::Nemesis);
    assert_eq!(op.f, "start-partition");
    assert_eq!(op.to_edn_line(), line);
    assert_eq!(
        op.to_txt_line(),
        ":nemesis\t:info\t:start-partition\t[:isolated {\"n1\" #{\"n2\" \"n0\"}, \"n2\" #{\"n1\"}, \"n0\" #{\"n1\"}}]"
    );
}

#[test]
fn txt_error_column_uses_print_not_pr() {
    let op = Op::from_edn(&parse(r#"{:index 1, :time 2, :type :fail, :process 0, :f :txn, :value [[:append 2 1] [:r 1 nil]], :error [:not-supported "unsupported operation: txn"]}"#).unwrap()).unwrap();
    assert_eq!(
        op.to_txt_line(),
        "0\t:fail\t:txn\t[[:append 2 1] [:r 1 nil]]\t[:not-supported unsupported operation: txn]"
    );
    let timeout = Op {
        extra: vec![("error".into(), kw("net-timeout"))],
        ..op.clone()
    };
    assert!(timeout.to_txt_line().ends_with("\t:net-timeout"));
    let nil_error = Op {
        extra: vec![("error".into(), Value::Nil)],
        ..op
    };
    assert!(nil_error.to_txt_line().ends_with("nil]]"));
}

#[test]
fn tagged_records_are_ops_too() {
    let v = parse("#jepsen.history.Op{:index 381, :time 29977388396, :type :invoke, :process 3, :f :read, :value nil, :final? true}").unwrap();
    let op = Op::from_edn(&v).unwrap();
    assert_eq!(op.index, 381);
    assert!(op.is_final());
    assert_eq!(
        op.to_edn(),
        edn_map! {
            "index" => Value::Int(381),
            "time" => Value::Int(29977388396),
            "type" => kw("invoke"),
            "process" => Value::Int(3),
            "f" => kw("read"),
            "value" => Value::Nil,
            "final?" => Value::Bool(true),
        }
    );
    // Knossos prints ops with another key order; that reads fine as well.
    let knossos =
        parse("{:process 0, :type :ok, :f :read, :value 0, :index 2, :time 26627255}").unwrap();
    assert_eq!(Op::from_edn(&knossos).unwrap().time, 26627255);
}

#[test]
fn bad_ops_are_errors() {
    for (text, needle) in [
        ("[1 2]", "expected an op map"),
        ("#x 1", "expected an op map"),
        (
            "{:time 1, :type :ok, :process 0, :f :read, :value 1}",
            "no :index",
        ),
        ("{:index 0, :type :ok, :process 0, :f :read}", "no :time"),
        ("{:index 0, :time 1, :process 0, :f :read}", "no :type"),
        ("{:index 0, :time 1, :type :ok, :f :read}", "no :process"),
        ("{:index 0, :time 1, :type :ok, :process 0}", "no :f"),
        (
            "{:index -1, :time 1, :type :ok, :process 0, :f :r}",
            ":index",
        ),
        (
            "{:index 0, :time 1.5, :type :ok, :process 0, :f :r}",
            ":time",
        ),
        (
            "{:index 0, :time 1, :type :done, :process 0, :f :r}",
            ":type",
        ),
        (
            "{:index 0, :time 1, :type :ok, :process \"c1\", :f :r}",
            ":process",
        ),
        (
            "{:index 0, :time 1, :type :ok, :process :other, :f :r}",
            ":process",
        ),
        ("{:index 0, :time 1, :type :ok, :process 0, :f \"r\"}", ":f"),
        (
            "{:index 0, :index 1, :time 1, :type :ok, :process 0, :f :r}",
            "duplicate",
        ),
        (
            "{:index 0, :time 1, :type :ok, :process 0, :f :r, :e 1, :e 2}",
            "duplicate",
        ),
        (
            "{:index 0, :time 1, :type :ok, :process 0, :f :r, \"k\" 1}",
            "not a keyword",
        ),
        (
            "{:index 99999999999999999999, :time 1, :type :ok, :process 0, :f :r}",
            "out of range",
        ),
    ] {
        let e = Op::from_edn(&parse(text).unwrap()).unwrap_err();
        assert!(e.to_string().contains(needle), "{text}: {e}");
    }
    // A missing :value reads as nil.
    let op =
        Op::from_edn(&parse("{:index 0, :time 1, :type :ok, :process 0, :f :r}").unwrap()).unwrap();
    assert_eq!(op.value, Value::Nil);
}

#[test]
fn parse_history_reports_line_numbers() {
    let good = "{:index 0, :time 1, :type :invoke, :process 0, :f :read, :value nil}\n\
                {:index 1, :time 2, :type :ok, :process 0, :f :read, :value [1 2]}\n";
    let ops = parse_history(good).unwrap();
    assert_eq!(ops.len(), 2);
    assert_eq!(
        ops[1].value,
        Value::Vector(vec![Value::Int(1), Value::Int(2)])
    );
    // Blank lines (and a missing final newline) are fine.
    assert_eq!(
        parse_history(&format!("\n{}\n\n", good.trim_end())).unwrap(),
        ops
    );
    assert_eq!(parse_history("").unwrap(), vec![]);

    let broken_edn =
        format!("{good}{{:index 2, :time 3, :type :ok, :process 0, :f :read, :value [1 2}}\n");
    match parse_history(&broken_edn).unwrap_err() {
        HistoryError::Edn(e) => {
            assert_eq!(e.line, 3, "{e}");
            assert_eq!(e.column, 65, "{e}");
            assert!(e.message.contains("opened at line 3, column 61"), "{e}");
            assert!(
                e.to_string().starts_with("EDN error at line 3, column 65"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
    let not_an_op = format!("{good}\n{{:index 2, :time 3, :type :maybe, :process 0, :f :read}}\n");
    match parse_history(&not_an_op).unwrap_err() {
        e @ HistoryError::Op { line, .. } => {
            assert_eq!(line, Some(4));
            assert!(e.to_string().starts_with("history line 4: :type"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // Two forms on one line are not one op.
    assert!(parse_history("{:index 0} {:index 1}").is_err());
}

#[test]
fn big_numbers_survive() {
    let line =
        "{:index 0, :time 1, :type :ok, :process 0, :f :generate, :value 9223372036854775808N}";
    let op = Op::from_edn(&parse(line).unwrap()).unwrap();
    assert_eq!(op.value, Value::BigInt("9223372036854775808".into()));
    assert_eq!(op.to_edn_line(), line);
    let huge = Op {
        index: u64::MAX,
        time: u64::MAX,
        ..op
    };
    assert_eq!(Op::from_edn(&huge.to_edn()).unwrap(), huge);
    assert!(huge.to_edn_line().contains(":index 18446744073709551615N"));
}

#[test]
fn json_to_edn_and_back() {
    let body = json!({
        "type": "echo_ok",
        "echo": "Please echo 32",
        "in_reply_to": 1,
        "msg_id": 1,
        "n": -3,
        "big": 18446744073709551615u64,
        "ratio": 0.5,
        "nothing": null,
        "flag": true,
        "nested": {"k": [1, "two", {"x": null}]}
    });
    let v = Value::from_json(&body);
    // String keys stay strings...
    assert_eq!(
        v.get_value(&Value::Str("type".into())),
        Some(&Value::Str("echo_ok".into()))
    );
    assert_eq!(v.get("type"), None);
    assert_eq!(
        v.get_value(&Value::Str("big".into())),
        Some(&Value::BigInt("18446744073709551615".into()))
    );
    assert_eq!(
        v.get_value(&Value::Str("ratio".into())),
        Some(&Value::Float(0.5))
    );
    assert_eq!(v.get_value(&Value::Str("n".into())), Some(&Value::Int(-3)));
    assert_eq!(v.to_json(), body);

    // ...until the caller keywordizes the first level, as Maelstrom does for bodies.
    let k = v.keywordize_keys();
    assert_eq!(k.get("in_reply_to"), Some(&Value::Int(1)));
    assert_eq!(k.get("msg_id"), Some(&Value::Int(1)));
    let nested = k.get("nested").unwrap();
    assert_eq!(nested.get("k"), None, "nested maps keep string keys");
    assert!(nested.get_value(&Value::Str("k".into())).is_some());
    // Keywords go back to JSON as their names.
    assert_eq!(k.to_json(), body);
    assert_eq!(Value::Int(1).keywordize_keys(), Value::Int(1));
}

#[test]
fn edn_to_json_conventions() {
    let v = edn_map! {
        "kw" => kw("maelstrom.client/timeout"),
        "set" => Value::Set(vec![Value::Str("n1".into())]),
        "list" => Value::List(vec![Value::Char('c'), Value::Symbol("s".into())]),
        "rec" => Value::Tagged("knossos.model.CASRegister".into(), Box::new(edn_map! { "value" => Value::Int(2) })),
        "inf" => Value::Float(f64::INFINITY),
        "huge" => Value::BigInt("-123456789012345678901234567890".into()),
    };
    let mut m = v.as_map().unwrap().to_vec();
    m.push((Value::Int(0), Value::Int(1)));
    let j = Value::Map(m).to_json();
    assert_eq!(j["kw"], json!("maelstrom.client/timeout"));
    assert_eq!(j["set"], json!(["n1"]));
    assert_eq!(j["list"], json!(["c", "s"]));
    assert_eq!(j["rec"], json!({"value": 2}));
    assert_eq!(j["inf"], json!(null));
    assert_eq!(j["huge"], json!(-1.2345678901234568e29));
    assert_eq!(j["0"], json!(1));
}
