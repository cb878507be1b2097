//! The printers: `Display` (Clojure `pr-str`), `print_str` (Clojure `print-str`),
//! `pretty` (fipp layout) and `pretty_pprint` (clojure.pprint layout), and round trips
//! through the reader for generated values.

use glomers_model::edn::{format_float, parse, pretty, pretty_pprint, pretty_width, Value};
use glomers_model::edn_map;

fn kw(s: &str) -> Value {
    Value::kw(s)
}

fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}

fn ints(xs: &[i64]) -> Vec<Value> {
    xs.iter().map(|&x| Value::Int(x)).collect()
}

#[test]
fn pr_str_of_scalars() {
    let cases: Vec<(Value, &str)> = vec![
        (Value::Nil, "nil"),
        (Value::Bool(true), "true"),
        (Value::Bool(false), "false"),
        (Value::Int(-42), "-42"),
        (
            Value::BigInt("9223372036854775808".into()),
            "9223372036854775808N",
        ),
        (Value::Float(1.0), "1.0"),
        (Value::Float(0.5), "0.5"),
        (Value::Float(1.0e-4), "1.0E-4"),
        (Value::Float(1.23456789e8), "1.23456789E8"),
        (Value::Float(f64::INFINITY), "##Inf"),
        (Value::Float(f64::NEG_INFINITY), "##-Inf"),
        (Value::Float(f64::NAN), "##NaN"),
        (kw("valid?"), ":valid?"),
        (kw("maelstrom.client/timeout"), ":maelstrom.client/timeout"),
        (
            Value::Symbol("clojure.lang.ExceptionInfo".into()),
            "clojure.lang.ExceptionInfo",
        ),
        (Value::Char('a'), r"\a"),
        (Value::Char('\n'), r"\newline"),
        (Value::Char(' '), r"\space"),
        (Value::Char('\t'), r"\tab"),
        (Value::Char('\r'), r"\return"),
        (Value::Char('\u{8}'), r"\backspace"),
        (Value::Char('\u{c}'), r"\formfeed"),
        (Value::Char('é'), r"\é"),
        (s("plain"), r#""plain""#),
        (
            s("q\"b\\n\nt\tr\rf\u{c}b\u{8}"),
            r#""q\"b\\n\nt\tr\rf\fb\b""#,
        ),
        // Other control characters and non-ASCII text are written raw, as Clojure does.
        (s("\u{1}é😀"), "\"\u{1}é😀\""),
    ];
    for (v, want) in cases {
        assert_eq!(v.to_string(), want, "{v:?}");
    }
    assert_eq!(format_float(14.560439), "14.560439");
    assert_eq!(format_float(1234567.0), "1234567.0");
    assert_eq!(format_float(12345678.0), "1.2345678E7");
    assert_eq!(format_float(0.001), "0.001");
    assert_eq!(format_float(0.0001), "1.0E-4");
}

#[test]
fn pr_str_of_collections() {
    let v = edn_map! {
        "a" => Value::Int(1),
        "b" => Value::Vector(ints(&[1, 2, 3])),
    };
    assert_eq!(v.to_string(), "{:a 1, :b [1 2 3]}");
    assert_eq!(Value::List(ints(&[1, 2])).to_string(), "(1 2)");
    assert_eq!(Value::List(vec![]).to_string(), "()");
    assert_eq!(
        Value::Set(vec![s("n1"), s("n4")]).to_string(),
        r#"#{"n1" "n4"}"#
    );
    assert_eq!(Value::Set(vec![]).to_string(), "#{}");
    assert_eq!(Value::Map(vec![]).to_string(), "{}");
    assert_eq!(
        Value::Map(vec![
            (Value::Int(0), Value::Int(0)),
            (Value::Float(0.5), Value::Int(373)),
            (Value::Int(1), Value::Int(505)),
        ])
        .to_string(),
        "{0 0, 0.5 373, 1 505}"
    );
    assert_eq!(
        Value::Tagged(
            "knossos.model.CASRegister".into(),
            Box::new(edn_map! { "value" => Value::Nil })
        )
        .to_string(),
        "#knossos.model.CASRegister{:value nil}"
    );
    assert_eq!(
        Value::Tagged(
            "object".into(),
            Box::new(Value::Vector(vec![Value::Symbol("x".into())]))
        )
        .to_string(),
        "#object[x]"
    );
    assert_eq!(
        Value::Tagged("inst".into(), Box::new(s("2024-01-01T00:00:00.000-00:00"))).to_string(),
        r#"#inst "2024-01-01T00:00:00.000-00:00""#
    );
    assert_eq!(
        Value::Tagged("t".into(), Box::new(Value::Set(vec![]))).to_string(),
        "#t #{}"
    );
}

#[test]
fn print_str_leaves_strings_raw() {
    let err = Value::Vector(vec![kw("not-supported"), s("unsupported operation: txn")]);
    assert_eq!(
        err.print_str(),
        "[:not-supported unsupported operation: txn]"
    );
    assert_eq!(
        err.to_string(),
        r#"[:not-supported "unsupported operation: txn"]"#
    );
    assert_eq!(s("a\"b").print_str(), "a\"b");
    assert_eq!(Value::Char('\n').print_str(), "\n");
    assert_eq!(edn_map! { "k" => s("v") }.print_str(), "{:k v}");
}

#[test]
fn pretty_keeps_short_maps_on_one_line() {
    let v = edn_map! { "valid?" => Value::Bool(true), "ok-fraction" => Value::Float(1.0) };
    assert_eq!(pretty(&v), "{:valid? true, :ok-fraction 1.0}\n");
    assert_eq!(pretty(&Value::Int(3)), "3\n");
}

#[test]
fn pretty_breaks_long_maps_one_entry_per_line() {
    let stats = |n: i64| {
        edn_map! {
            "valid?" => Value::Bool(true),
            "count" => Value::Int(n),
            "ok-count" => Value::Int(n),
            "fail-count" => Value::Int(0),
            "info-count" => Value::Int(0),
        }
    };
    let v = edn_map! {
        "perf" => edn_map! {
            "latency-graph" => edn_map! { "valid?" => Value::Bool(true) },
            "rate-graph" => edn_map! { "valid?" => Value::Bool(true) },
            "valid?" => Value::Bool(true),
        },
        "stats" => edn_map! {
            "by-f" => edn_map! { "read" => stats(98) },
        },
        "workload" => edn_map! {
            "lost" => Value::List(ints(&[0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23])),
            "stable-latencies" => Value::Map(vec![
                (Value::Int(0), Value::Int(0)),
                (Value::Float(0.5), Value::Int(0)),
                (Value::Int(1), Value::Int(0)),
            ]),
            "sets" => Value::Set(vec![s("a-rather-long-string-value"), s("another-rather-long-string-value")]),
        },
        "valid?" => kw("unknown"),
    };
    let want = r#"{:perf {:latency-graph {:valid? true},
        :rate-graph {:valid? true},
        :valid? true},
 :stats {:by-f {:read {:valid? true,
                       :count 98,
                       :ok-count 98,
                       :fail-count 0,
                       :info-count 0}}},
 :workload {:lost (0
                   2
                   4
                   5
                   6
                   7
                   8
                   9
                   10
                   11
                   12
                   13
                   14
                   15
                   16
                   17
                   18
                   19
                   20
                   21
                   22
                   23),
            :stable-latencies {0 0, 0.5 0, 1 0},
            :sets #{"a-rather-long-string-value"
                    "another-rather-long-string-value"}},
 :valid? :unknown}
"#;
    assert_eq!(pretty(&v), want);
    assert_eq!(parse(&pretty(&v)).unwrap(), v);
    // At a wider width the same value collapses.
    assert_eq!(pretty_width(&v, 1000), format!("{v}\n"));
}

#[test]
fn pretty_aligns_records_after_their_brace() {
    let op = Value::Tagged(
        "jepsen.history.Op".into(),
        Box::new(edn_map! {
            "index" => Value::Int(5),
            "time" => Value::Int(156548357),
            "type" => kw("ok"),
            "process" => Value::Int(2),
            "f" => kw("add"),
            "value" => Value::Int(1),
        }),
    );
    let v = edn_map! { "known" => op };
    let want = "{:known #jepsen.history.Op{:index 5,
                           :time 156548357,
                           :type :ok,
                           :process 2,
                           :f :add,
                           :value 1}}
";
    assert_eq!(pretty(&v), want);
}

#[test]
fn pretty_pprint_breaks_between_key_and_value() {
    let op = edn_map! {
        "process" => Value::Int(0),
        "type" => kw("ok"),
        "f" => kw("read"),
        "value" => Value::Int(0),
        "index" => Value::Int(2),
        "time" => Value::Int(26627255),
    };
    let v = edn_map! {
        "linearizable" => edn_map! {
            "valid?" => Value::Bool(false),
            "op" => op,
        },
        "valid?" => Value::Bool(false),
    };
    let want = "{:linearizable
 {:valid? false,
  :op
  {:process 0,
   :type :ok,
   :f :read,
   :value 0,
   :index 2,
   :time 26627255}},
 :valid? false}
";
    assert_eq!(pretty_pprint(&v), want);
    assert_eq!(parse(&pretty_pprint(&v)).unwrap(), v);
}

#[test]
fn long_strings_overflow_instead_of_breaking() {
    let long = "x".repeat(200);
    let v = edn_map! { "error" => s(&long), "valid?" => kw("unknown") };
    assert_eq!(
        pretty(&v),
        format!("{{:error \"{long}\",\n :valid? :unknown}}\n")
    );
}

/// A tiny deterministic generator of arbitrary printable values.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn name(&mut self) -> String {
        const FIRST: &[u8] = b"abcxyzABC*!_?<>=.";
        const REST: &[u8] = b"abcxyz0129*!_?-+.<>=$%&'#:";
        let mut s = String::new();
        s.push(FIRST[self.below(FIRST.len() as u64) as usize] as char);
        for _ in 0..self.below(8) {
            s.push(REST[self.below(REST.len() as u64) as usize] as char);
        }
        if matches!(s.as_str(), "nil" | "true" | "false") || s.ends_with(':') {
            s.push('x');
        }
        s
    }

    fn string(&mut self) -> String {
        const CHARS: &[char] = &[
            'a', 'Z', ' ', '"', '\\', '\n', '\t', '\r', '\u{c}', '\u{8}', '\u{1}', 'é', '😀', '#',
            '{', ']', ';', ',',
        ];
        (0..self.below(12))
            .map(|_| CHARS[self.below(CHARS.len() as u64) as usize])
            .collect()
    }

    fn value(&mut self, depth: u32) -> Value {
        let leaf = depth == 0 || self.below(3) == 0;
        if leaf {
            match self.below(11) {
                0 => Value::Nil,
                1 => Value::Bool(self.below(2) == 0),
                2 => Value::Int(self.next() as i64 >> self.below(64)),
                3 => Value::BigInt(format!(
                    "{}{}",
                    if self.below(2) == 0 { "-" } else { "" },
                    u128::from(u64::MAX) + 1 + u128::from(self.next())
                )),
                4 => {
                    let x = f64::from_bits(self.next());
                    Value::Float(if x.is_nan() { 0.25 } else { x })
                }
                5 => Value::Float((self.next() % 100_000) as f64 / 64.0),
                6 => Value::Str(self.string()),
                7 => {
                    let c = char::from_u32(self.below(0x3000) as u32).unwrap_or('x');
                    Value::Char(c)
                }
                8 => {
                    let mut n = self.name();
                    if self.below(3) == 0 {
                        n = format!("{}/{}", n, self.name());
                    }
                    Value::Keyword(n)
                }
                9 => Value::Symbol(self.name()),
                _ => Value::Str(String::new()),
            }
        } else {
            let n = self.below(5) as usize;
            match self.below(6) {
                0 => Value::List((0..n).map(|_| self.value(depth - 1)).collect()),
                1 => Value::Vector((0..n).map(|_| self.value(depth - 1)).collect()),
                2 => Value::Set((0..n).map(|_| self.value(depth - 1)).collect()),
                3 | 4 => Value::Map(
                    (0..n)
                        .map(|_| (self.value(depth - 1), self.value(depth - 1)))
                        .collect(),
                ),
                _ => {
                    let tag = format!("my.ns.{}", self.name().replace(['#', ':', '\''], "t"));
                    Value::Tagged(tag, Box::new(self.value(depth - 1)))
                }
            }
        }
    }
}

#[test]
fn generated_values_round_trip() {
    let mut g = Gen(0x2545_f491_4f6c_dd1d);
    for i in 0..3000 {
        let v = g.value(5);
        let flat = v.to_string();
        assert_eq!(
            parse(&flat).unwrap_or_else(|e| panic!("#{i} {flat:?}: {e}")),
            v,
            "#{i} {flat}"
        );
        for text in [pretty(&v), pretty_width(&v, 20), pretty_pprint(&v)] {
            assert_eq!(
                parse(&text).unwrap_or_else(|e| panic!("#{i} {text:?}: {e}")),
                v,
                "#{i}\n{text}"
            );
        }
    }
}
