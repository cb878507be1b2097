//! EDN printer on one line: `Display` for [`Value`] gives Clojure's `pr-str`, and
//! [`Value::print_str`] gives Clojure's `print-str` (strings and characters raw).

use std::fmt::{self, Write};

use super::Value;

impl fmt::Display for Value {
    /// Clojure `pr-str`: `{:a 1, :b [1 2 3]}`, `#{"n1"}`, `"a\nb"`, `1.0E-4`, `9223372036854775808N`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(f, self, true)
    }
}

impl Value {
    /// Clojure `print-str`: like `pr-str` but strings and characters are written raw,
    /// at every level (`[:not-supported unsupported operation: txn]`).
    pub fn print_str(&self) -> String {
        let mut s = String::new();
        let _ = write_value(&mut s, self, false);
        s
    }
}

/// Wrapper whose `Display` is Clojure's `print` (`readably == false`) or `pr` (`true`).
pub struct Printed<'a> {
    pub value: &'a Value,
    pub readably: bool,
}

impl fmt::Display for Printed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(f, self.value, self.readably)
    }
}

/// Writes a value on one line; `readably` selects `pr` (true) or `print` (false).
pub(crate) fn write_value<W: Write + ?Sized>(
    out: &mut W,
    v: &Value,
    readably: bool,
) -> fmt::Result {
    match v {
        Value::Nil => out.write_str("nil"),
        Value::Bool(true) => out.write_str("true"),
        Value::Bool(false) => out.write_str("false"),
        Value::Int(i) => write!(out, "{i}"),
        Value::BigInt(digits) => {
            out.write_str(digits)?;
            out.write_char('N')
        }
        Value::Float(x) => write_float(out, *x),
        Value::Str(s) => {
            if readably {
                write_string(out, s)
            } else {
                out.write_str(s)
            }
        }
        Value::Char(c) => {
            if readably {
                write_char(out, *c)
            } else {
                out.write_char(*c)
            }
        }
        Value::Keyword(k) => {
            out.write_char(':')?;
            out.write_str(k)
        }
        Value::Symbol(s) => out.write_str(s),
        Value::List(items) => write_seq(out, "(", ")", items, readably),
        Value::Vector(items) => write_seq(out, "[", "]", items, readably),
        Value::Set(items) => write_seq(out, "#{", "}", items, readably),
        Value::Map(entries) => {
            out.write_char('{')?;
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_value(out, k, readably)?;
                out.write_char(' ')?;
                write_value(out, v, readably)?;
            }
            out.write_char('}')
        }
        Value::Tagged(tag, inner) => {
            out.write_char('#')?;
            out.write_str(tag)?;
            if tag_needs_space(inner) {
                out.write_char(' ')?;
            }
            write_value(out, inner, readably)
        }
    }
}

/// Records print as `#tag{..}` / `#object[..]`; anything else gets a space (`#inst "..."`).
pub(crate) fn tag_needs_space(inner: &Value) -> bool {
    !matches!(inner, Value::Map(_) | Value::Vector(_) | Value::List(_))
}

fn write_seq<W: Write + ?Sized>(
    out: &mut W,
    open: &str,
    close: &str,
    items: &[Value],
    readably: bool,
) -> fmt::Result {
    out.write_str(open)?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.write_char(' ')?;
        }
        write_value(out, item, readably)?;
    }
    out.write_str(close)
}

/// A string as Clojure's `pr` writes it: only `" \ newline tab return formfeed backspace`
/// are escaped; everything else (other control characters, non-ASCII) is written raw.
fn write_string<W: Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    out.write_char('"')?;
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\t' => "\\t",
            b'\r' => "\\r",
            0x0c => "\\f",
            0x08 => "\\b",
            _ => continue,
        };
        out.write_str(&s[run..i])?;
        out.write_str(esc)?;
        run = i + 1;
    }
    out.write_str(&s[run..])?;
    out.write_char('"')
}

fn write_char<W: Write + ?Sized>(out: &mut W, c: char) -> fmt::Result {
    let name = match c {
        '\n' => "newline",
        ' ' => "space",
        '\t' => "tab",
        '\u{8}' => "backspace",
        '\u{c}' => "formfeed",
        '\r' => "return",
        _ => {
            out.write_char('\\')?;
            return out.write_char(c);
        }
    };
    out.write_char('\\')?;
    out.write_str(name)
}

/// A double as Java's `Double.toString` (and so Clojure) writes it: `1.0`, `0.5`,
/// `1234567.0`, `1.0E7`, `1.0E-4`, `##Inf`, `##-Inf`, `##NaN`.
pub fn format_float(x: f64) -> String {
    let mut s = String::new();
    let _ = write_float(&mut s, x);
    s
}

fn write_float<W: Write + ?Sized>(out: &mut W, x: f64) -> fmt::Result {
    if x.is_nan() {
        return out.write_str("##NaN");
    }
    if x.is_infinite() {
        return out.write_str(if x > 0.0 { "##Inf" } else { "##-Inf" });
    }
    let a = x.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        // Rust's Display is the shortest round-trip form without an exponent.
        let s = format!("{x}");
        out.write_str(&s)?;
        if !s.contains('.') {
            out.write_str(".0")?;
        }
        Ok(())
    } else {
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        out.write_str(mantissa)?;
        if !mantissa.contains('.') {
            out.write_str(".0")?;
        }
        out.write_char('E')?;
        out.write_str(exp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_java() {
        let cases = [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0e-4, "1.0E-4"),
            (1.23456789e8, "1.23456789E8"),
            (1234567.0, "1234567.0"),
            (1.0e7, "1.0E7"),
            (0.001, "0.001"),
            (14.560439, "14.560439"),
            (-2.5e-5, "-2.5E-5"),
            (f64::INFINITY, "##Inf"),
            (f64::NEG_INFINITY, "##-Inf"),
            (f64::NAN, "##NaN"),
        ];
        for (x, want) in cases {
            assert_eq!(format_float(x), want);
        }
    }
}
