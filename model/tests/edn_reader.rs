//! The EDN reader on each construct FORMAT.md §5 lists, and on broken or hostile input.

use glomers_model::edn::{parse, parse_many, EdnError, Reader, Value, MAX_DEPTH};

fn kw(s: &str) -> Value {
    Value::kw(s)
}

fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}

fn sym(x: &str) -> Value {
    Value::Symbol(x.to_string())
}

fn err(input: &str) -> EdnError {
    match parse(input) {
        Ok(v) => panic!("expected an error for {input:?}, got {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn collections() {
    assert_eq!(
        parse("{:a 1, :b [1 2 3]}").unwrap(),
        Value::Map(vec![
            (kw("a"), Value::Int(1)),
            (
                kw("b"),
                Value::Vector(vec![Value::Int(1), Value::Int(2), Value::Int(3)])
            ),
        ])
    );
    assert_eq!(parse("()").unwrap(), Value::List(vec![]));
    assert_eq!(
        parse("(1 (2))").unwrap(),
        Value::List(vec![Value::Int(1), Value::List(vec![Value::Int(2)])])
    );
    assert_eq!(parse("#{}").unwrap(), Value::Set(vec![]));
    assert_eq!(parse("[]").unwrap(), Value::Vector(vec![]));
    assert_eq!(parse("{}").unwrap(), Value::Map(vec![]));
    // Sets inside values, as in nemesis partitions; order is kept.
    let v = parse(r#"[:isolated {"n1" #{"n2" "n0"}, "n2" #{"n1"}}]"#).unwrap();
    assert_eq!(
        v,
        Value::Vector(vec![
            kw("isolated"),
            Value::Map(vec![
                (s("n1"), Value::Set(vec![s("n2"), s("n0")])),
                (s("n2"), Value::Set(vec![s("n1")])),
            ]),
        ])
    );
}

#[test]
fn keywords_and_symbols() {
    assert_eq!(parse(":valid?").unwrap(), kw("valid?"));
    assert_eq!(
        parse(":seek-to-beginning?").unwrap(),
        kw("seek-to-beginning?")
    );
    assert_eq!(
        parse(":maelstrom.client/timeout").unwrap(),
        kw("maelstrom.client/timeout")
    );
    assert_eq!(parse(":unknown").unwrap(), kw("unknown"));
    assert_eq!(
        parse(":G-single-item-realtime").unwrap(),
        kw("G-single-item-realtime")
    );
    assert_eq!(
        parse("clojure.lang.ExceptionInfo").unwrap(),
        sym("clojure.lang.ExceptionInfo")
    );
    assert_eq!(
        parse("slingshot.support$stack_trace").unwrap(),
        sym("slingshot.support$stack_trace")
    );
    assert_eq!(
        parse("jepsen.generator.interpreter$spawn_worker$fn__12908$fn__12909").unwrap(),
        sym("jepsen.generator.interpreter$spawn_worker$fn__12908$fn__12909")
    );
    assert_eq!(parse("invoke_BANG_").unwrap(), sym("invoke_BANG_"));
    assert_eq!(parse("clojure.core/seq").unwrap(), sym("clojure.core/seq"));
    assert_eq!(parse("-").unwrap(), sym("-"));
    assert_eq!(parse("->x").unwrap(), sym("->x"));
    assert_eq!(parse("+").unwrap(), sym("+"));
    assert_eq!(parse("nil").unwrap(), Value::Nil);
    assert_eq!(parse("true").unwrap(), Value::Bool(true));
    assert_eq!(parse("false").unwrap(), Value::Bool(false));
    assert_eq!(parse("nil?").unwrap(), sym("nil?"));
}

#[test]
fn tagged_values() {
    let op = parse(
        "#jepsen.history.Op{:index 1, :time 5, :type :info, :process 0, :f :read, :value nil}",
    )
    .unwrap();
    match &op {
        Value::Tagged(tag, inner) => {
            assert_eq!(tag, "jepsen.history.Op");
            assert_eq!(inner.get("time"), Some(&Value::Int(5)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(op.get("f"), Some(&kw("read")));
    assert_eq!(
        parse("#knossos.model.CASRegister{:value nil}").unwrap(),
        Value::Tagged(
            "knossos.model.CASRegister".into(),
            Box::new(Value::Map(vec![(kw("value"), Value::Nil)]))
        )
    );
    assert_eq!(
        parse("#jepsen.generator.context.AllBut{}").unwrap(),
        Value::Tagged(
            "jepsen.generator.context.AllBut".into(),
            Box::new(Value::Map(vec![]))
        )
    );
    assert_eq!(
        parse(r#"#object[clojure.lang.Atom 0x5b5a {:status :ready, :val "x"}]"#).unwrap(),
        Value::Tagged(
            "object".into(),
            Box::new(Value::Vector(vec![
                sym("clojure.lang.Atom"),
                Value::Int(0x5b5a),
                Value::Map(vec![(kw("status"), kw("ready")), (kw("val"), s("x"))]),
            ]))
        )
    );
    assert_eq!(
        parse(r#"#inst "2024-09-19T14:23:14.276-00:00""#).unwrap(),
        Value::Tagged("inst".into(), Box::new(s("2024-09-19T14:23:14.276-00:00")))
    );
    assert_eq!(
        parse(r#"#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6""#).unwrap(),
        Value::Tagged(
            "uuid".into(),
            Box::new(s("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"))
        )
    );
    // A tag may be separated from its form by whitespace, and tags nest.
    assert_eq!(
        parse("#a ,\n #b 1").unwrap(),
        Value::Tagged(
            "a".into(),
            Box::new(Value::Tagged("b".into(), Box::new(Value::Int(1))))
        )
    );
}

#[test]
fn non_keyword_map_keys() {
    assert_eq!(
        parse(r#"{"958958" 3}"#).unwrap(),
        Value::Map(vec![(s("958958"), Value::Int(3))])
    );
    let v = parse("{0 0, 0.5 373, 0.95 480, 1 505}").unwrap();
    assert_eq!(v.get_value(&Value::Int(0)), Some(&Value::Int(0)));
    assert_eq!(v.get_value(&Value::Float(0.5)), Some(&Value::Int(373)));
    assert_eq!(v.get_value(&Value::Float(0.95)), Some(&Value::Int(480)));
    assert_eq!(v.get_value(&Value::Int(1)), Some(&Value::Int(505)));
    assert_eq!(
        parse("{[0 \"12\"] 1}").unwrap(),
        Value::Map(vec![(
            Value::Vector(vec![Value::Int(0), s("12")]),
            Value::Int(1)
        )])
    );
}

#[test]
fn numbers() {
    assert_eq!(
        parse("9223372036854775808N").unwrap(),
        Value::BigInt("9223372036854775808".into())
    );
    assert_eq!(
        parse("9223372036854775808").unwrap(),
        Value::BigInt("9223372036854775808".into())
    );
    assert_eq!(
        parse("-123456789012345678901234567890N").unwrap(),
        Value::BigInt("-123456789012345678901234567890".into())
    );
    assert_eq!(parse("12N").unwrap(), Value::Int(12));
    assert_eq!(parse("-0").unwrap(), Value::Int(0));
    assert_eq!(parse("0.074950273").unwrap(), Value::Float(0.074950273));
    assert_eq!(parse("14.560439").unwrap(), Value::Float(14.560439));
    assert_eq!(parse("1.0E-4").unwrap(), Value::Float(1.0e-4));
    assert_eq!(parse("1.23456789E8").unwrap(), Value::Float(1.23456789e8));
    assert_eq!(parse("6.02e23").unwrap(), Value::Float(6.02e23));
    assert_eq!(parse("2.5M").unwrap(), Value::Float(2.5));
    assert_eq!(parse("10M").unwrap(), Value::Float(10.0));
    assert_eq!(parse("3/4").unwrap(), Value::Float(0.75));
    assert_eq!(parse("1.").unwrap(), Value::Float(1.0));
    assert_eq!(parse("##Inf").unwrap(), Value::Float(f64::INFINITY));
    assert_eq!(parse("##-Inf").unwrap(), Value::Float(f64::NEG_INFINITY));
    assert!(matches!(parse("##NaN").unwrap(), Value::Float(x) if x.is_nan()));
    assert_eq!(
        parse("[-1 +2 -3.5]").unwrap(),
        Value::Vector(vec![Value::Int(-1), Value::Int(2), Value::Float(-3.5)])
    );
}

#[test]
fn strings() {
    assert_eq!(parse(r#""a\nb\t\"c\"\\d""#).unwrap(), s("a\nb\t\"c\"\\d"));
    assert_eq!(parse(r#""\r\f\b""#).unwrap(), s("\r\u{c}\u{8}"));
    assert_eq!(parse(r#""\u00e9\u0041""#).unwrap(), s("éA"));
    assert_eq!(parse(r#""\uD83D\uDE00""#).unwrap(), s("😀"));
    assert_eq!(parse(r#""\101\0""#).unwrap(), s("A\0"));
    assert_eq!(parse("\"ヽ(‘ー`)ノ\"").unwrap(), s("ヽ(‘ー`)ノ"));
    // Raw newlines are allowed inside strings.
    assert_eq!(parse("\"two\nlines\"").unwrap(), s("two\nlines"));
    // Java stack traces as in results.edn.
    let trace = r#""java.lang.NullPointerException\n at jepsen.tests.kafka$analysis.invoke (kafka.clj:1879)\n""#;
    assert_eq!(
        parse(trace).unwrap(),
        s("java.lang.NullPointerException\n at jepsen.tests.kafka$analysis.invoke (kafka.clj:1879)\n")
    );
}

#[test]
fn characters() {
    assert_eq!(parse(r"\a").unwrap(), Value::Char('a'));
    assert_eq!(parse(r"\newline").unwrap(), Value::Char('\n'));
    assert_eq!(parse(r"\space").unwrap(), Value::Char(' '));
    assert_eq!(parse(r"\tab").unwrap(), Value::Char('\t'));
    assert_eq!(parse(r"\return").unwrap(), Value::Char('\r'));
    assert_eq!(parse(r"\backspace").unwrap(), Value::Char('\u{8}'));
    assert_eq!(parse(r"\formfeed").unwrap(), Value::Char('\u{c}'));
    assert_eq!(parse(r"\u0041").unwrap(), Value::Char('A'));
    assert_eq!(parse(r"\o101").unwrap(), Value::Char('A'));
    assert_eq!(parse(r"\é").unwrap(), Value::Char('é'));
    assert_eq!(parse(r"\(").unwrap(), Value::Char('('));
    assert_eq!(
        parse(r"[\a \b \c]").unwrap(),
        Value::Vector(vec![Value::Char('a'), Value::Char('b'), Value::Char('c')])
    );
    assert_eq!(parse(r"(\))").unwrap(), Value::List(vec![Value::Char(')')]));
}

#[test]
fn discard_comments_whitespace() {
    assert_eq!(
        parse("[1 #_2 3]").unwrap(),
        Value::Vector(vec![Value::Int(1), Value::Int(3)])
    );
    assert_eq!(
        parse("[1 #_ #_ 2 3 4]").unwrap(),
        Value::Vector(vec![Value::Int(1), Value::Int(4)])
    );
    assert_eq!(
        parse("[1 #_[2 [3]]]").unwrap(),
        Value::Vector(vec![Value::Int(1)])
    );
    assert_eq!(parse("#_:gone :kept").unwrap(), kw("kept"));
    assert_eq!(
        parse("{:a 1 #_:b #_2}").unwrap(),
        Value::Map(vec![(kw("a"), Value::Int(1))])
    );
    assert_eq!(
        parse("; a comment\n[1 ; another\n 2] ; trailing").unwrap(),
        Value::Vector(vec![Value::Int(1), Value::Int(2)])
    );
    assert_eq!(
        parse(" ,,\t\r\n{:a,1,,:b 2},, \n").unwrap(),
        Value::Map(vec![(kw("a"), Value::Int(1)), (kw("b"), Value::Int(2))])
    );
    assert_eq!(parse("\u{feff}1").unwrap(), Value::Int(1));
}

#[test]
fn many_forms_and_streaming() {
    let text = "{:index 0}\n{:index 1}\n\n; done\n";
    let all = parse_many(text).unwrap();
    assert_eq!(all.len(), 2);
    let mut r = Reader::new(text);
    assert_eq!(
        r.next().unwrap().unwrap().get("index"),
        Some(&Value::Int(0))
    );
    assert_eq!(r.position(), (1, 11));
    assert_eq!(
        r.next().unwrap().unwrap().get("index"),
        Some(&Value::Int(1))
    );
    assert!(r.next().is_none());
    assert!(r.next().is_none());
    assert_eq!(parse_many("").unwrap(), vec![]);
    assert_eq!(parse_many(" ; only a comment").unwrap(), vec![]);

    // After an error the reader stops.
    let mut r = Reader::new("1 ) 2");
    assert_eq!(r.next().unwrap().unwrap(), Value::Int(1));
    let e = r.next().unwrap().unwrap_err();
    assert_eq!((e.line, e.column), (1, 3));
    assert!(r.next().is_none());
    assert!(parse_many("1 ) 2").is_err());
}

#[test]
fn parse_wants_exactly_one_form() {
    assert!(err("").message.contains("end of input"));
    assert!(err("  , ; nothing").message.contains("end of input"));
    let e = err("1 2");
    assert_eq!((e.line, e.column), (1, 3));
    assert!(e.message.contains("single form"), "{e}");
    assert_eq!(parse(" ,1, ").unwrap(), Value::Int(1));
}

#[test]
fn truncated_input() {
    for input in [
        "{:a 1",
        "[1 2",
        "(",
        "#{1",
        "\"abc",
        "\"abc\\",
        "#jepsen.history.Op",
        "#_",
        "\\",
        "#",
        "{:a [1 {:b \"x",
        "\"\\u00",
    ] {
        let e = err(input);
        assert!(e.line >= 1 && e.column >= 1, "{input:?}: {e}");
    }
    let e = err("{:a\n [1 2");
    assert!(e.message.contains("unterminated vector"), "{e}");
    assert!(e.message.contains("line 2, column 2"), "{e}");
    assert_eq!((e.line, e.column), (2, 6));
}

#[test]
fn unbalanced_brackets() {
    let e = err("[1 2)");
    assert!(e.message.contains("mismatched"), "{e}");
    assert_eq!((e.line, e.column), (1, 5));
    assert!(err(")").message.contains("unmatched"));
    assert!(err("{:a 1}}").message.contains("single form"));
    assert!(err("(]").message.contains("mismatched"));
    assert!(err("#{1)").message.contains("mismatched"));
    let e = err("{:a 1 :b}");
    assert!(e.message.contains("key without a value"), "{e}");
    assert!(err("[#_]").message.contains("after #_"));
    assert!(err("[#tag]").message.contains("after tag #tag"));
}

#[test]
fn invalid_tokens() {
    for (input, needle) in [
        (r#""\q""#, "invalid escape"),
        (r#""\u12G4""#, "unicode escape"),
        (r#""\uD800""#, "surrogate"),
        (r#""\uDC00x""#, "surrogate"),
        (r#""\400""#, "octal"),
        (r"\newlines", "unsupported character"),
        (r"\u12", "unsupported character"),
        (r"\o400", "unsupported character"),
        (":", "keyword"),
        ("::foo", "auto-resolved"),
        (":a/", "invalid keyword"),
        ("##Foo", "symbolic"),
        ("#:a{:b 1}", "namespaced map"),
        ("#\"regex\"", "dispatch"),
        ("#(inc %)", "dispatch"),
        ("@x", "unexpected character"),
        ("'x", "unsupported"),
        ("1.2.3", "invalid number"),
        ("08", "invalid number"),
        ("1/0", "invalid number"),
        ("0x", "invalid number"),
        ("37r1", "invalid number"),
        ("12abc", "invalid number"),
    ] {
        let e = err(input);
        assert!(e.message.contains(needle), "{input:?}: {e}");
    }
}

#[test]
fn error_display_has_position() {
    let e = err("[1\n 2\n  \"\\x\"]");
    assert_eq!((e.line, e.column), (3, 4));
    assert_eq!(
        e.to_string(),
        format!("EDN error at line 3, column 4: {}", e.message)
    );
    // Columns count characters, not bytes.
    let e = err("\"é\" \"ö\" )");
    assert_eq!((e.line, e.column), (1, 5));
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    let mut s = open.repeat(depth);
    s.push_str(&close.repeat(depth));
    s
}

#[test]
fn nesting_is_capped() {
    // Exactly MAX_DEPTH levels is fine...
    let ok = nested("[", "]", MAX_DEPTH);
    let mut v = &parse(&ok).unwrap();
    let mut depth = 1;
    while let Value::Vector(items) = v {
        match items.first() {
            Some(inner) => {
                v = inner;
                depth += 1;
            }
            None => break,
        }
    }
    assert_eq!(depth, MAX_DEPTH);
    // ...one more is an error.
    let e = err(&nested("[", "]", MAX_DEPTH + 1));
    assert!(e.message.contains("nesting deeper"), "{e}");
    assert_eq!(e.column, MAX_DEPTH + 1);
}

#[test]
fn hundred_thousand_levels_is_an_error_not_a_crash() {
    const N: usize = 100_000;
    for (open, close) in [("[", "]"), ("(", ")"), ("{:a ", "}"), ("#{", "}")] {
        assert!(parse(&nested(open, close, N)).is_err(), "{open}");
        // Unclosed as well.
        assert!(parse(&open.repeat(N)).is_err(), "{open}");
    }
    assert!(parse(&format!("{}1", "#tag ".repeat(N))).is_err());
    assert!(parse(&format!("{}1 2", "#_".repeat(N))).is_err());
    assert!(parse(&format!("{}1", "[#_ ".repeat(N))).is_err());
    assert!(parse_many(&nested("[", "]", N)).is_err());
}

#[test]
fn garbage_never_panics() {
    // A small deterministic fuzz: mutate real-looking EDN and make sure the reader
    // returns (Ok or Err) without panicking.
    let seed_text = r#"{:index 1, :time 5012793956, :type :info, :process :nemesis, :f :read, :value [[:w 1 2] #{"n1"} 1.5e3 9223372036854775808N \a "x\n\u00e9"], :error #jepsen.history.Op{:a (1 2)}} ; c"#;
    let alphabet: Vec<char> = "{}[]()#_\\\":;, \n0123456789.eENM/+-abc?é"
        .chars()
        .collect();
    let base: Vec<char> = seed_text.chars().collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5000 {
        let mut chars = base.clone();
        for _ in 0..(next() % 4 + 1) {
            let pos = (next() as usize) % chars.len();
            match next() % 3 {
                0 => {
                    chars.remove(pos);
                }
                1 => chars.insert(pos, alphabet[(next() as usize) % alphabet.len()]),
                _ => chars[pos] = alphabet[(next() as usize) % alphabet.len()],
            }
        }
        let text: String = chars.into_iter().collect();
        let _ = parse(&text);
        let cut = (next() as usize) % text.len().max(1);
        if text.is_char_boundary(cut) {
            let _ = parse_many(&text[..cut]);
        }
    }
}
