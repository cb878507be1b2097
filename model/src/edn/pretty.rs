//! Pretty printers laying EDN out as Jepsen writes `results.edn`.
//!
//! [`pretty`] follows fipp, which Jepsen uses for the top-level `results.edn`: each
//! collection is a group that stays on one line when it ends within the width (counted
//! from the column where it starts; closing brackets and commas after it may overflow),
//! otherwise every element goes on its own line, aligned one column after the opening
//! bracket. Map entries are separated by `,` + newline and a key stays on the line of its
//! value. Tagged records (`#jepsen.history.Op{..}`) align after their `{`. Strings are
//! never broken, so long strings overflow the width.
//!
//! [`pretty_pprint`] follows `clojure.pprint` (width 72), which Jepsen's independent
//! checker uses for `independent/<key>/results.edn`: the same, except that a map entry
//! that does not fit on its line puts its value on the next line, under its key.

use std::fmt::{self, Write};

use super::printer::{tag_needs_space, write_value};
use super::Value;

/// Width used by [`pretty`]; matches the line breaks of real Maelstrom `results.edn` files.
pub const PRETTY_WIDTH: usize = 70;

/// Pretty-prints a value as Maelstrom writes `results.edn`, ending with a newline.
pub fn pretty(v: &Value) -> String {
    pretty_width(v, PRETTY_WIDTH)
}

/// [`pretty`] with another line width.
pub fn pretty_width(v: &Value, width: usize) -> String {
    Pretty::run(v, width, false)
}

/// Width used by [`pretty_pprint`] (`clojure.pprint/*print-right-margin*`).
pub const PPRINT_WIDTH: usize = 72;

/// Pretty-prints a value as `clojure.pprint/pprint` lays it out (Jepsen's
/// `independent/<key>/results.edn`), ending with a newline.
pub fn pretty_pprint(v: &Value) -> String {
    Pretty::run(v, PPRINT_WIDTH, true)
}

struct Pretty {
    out: String,
    width: usize,
    /// clojure.pprint style: a group must fit together with the closing brackets and
    /// comma that follow it, and a map entry that does not fit breaks between key and value.
    pprint: bool,
}

impl Pretty {
    fn run(v: &Value, width: usize, pprint: bool) -> String {
        let mut p = Pretty {
            out: String::new(),
            width,
            pprint,
        };
        p.emit(v, 0, 0);
        p.out.push('\n');
        p.out
    }

    /// Writes `v` starting at column `col` and returns the column where it ends.
    /// `trail` is how many characters follow it on the same line (closing brackets and a
    /// separating comma) before the next possible line break; only pprint style counts them.
    fn emit(&mut self, v: &Value, col: usize, trail: usize) -> usize {
        let (open, close) = match v {
            Value::List(_) => ("(", ")"),
            Value::Vector(_) => ("[", "]"),
            Value::Set(_) => ("#{", "}"),
            Value::Map(_) => ("{", "}"),
            Value::Tagged(tag, inner) => {
                self.out.push('#');
                self.out.push_str(tag);
                let mut c = col + 1 + tag.chars().count();
                if tag_needs_space(inner) {
                    self.out.push(' ');
                    c += 1;
                }
                return self.emit(inner, c, trail);
            }
            _ => return self.flat(v, col),
        };
        if fits(v, self.budget(col, trail)) {
            return self.flat(v, col);
        }
        self.out.push_str(open);
        let inner = col + open.len();
        let close_len = close.len();
        let mut end = inner;
        match v {
            Value::Map(entries) => {
                let n = entries.len();
                for (i, (k, val)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                        self.newline(inner);
                    }
                    let t = if i + 1 == n { trail + close_len } else { 1 };
                    let after_key = self.emit(k, inner, 0);
                    let entry_fits = !self.pprint || fits(val, self.budget(after_key + 1, t));
                    if entry_fits {
                        self.out.push(' ');
                        end = self.emit(val, after_key + 1, t);
                    } else {
                        self.newline(inner);
                        end = self.emit(val, inner, t);
                    }
                }
            }
            Value::List(items) | Value::Vector(items) | Value::Set(items) => {
                let n = items.len();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.newline(inner);
                    }
                    let t = if i + 1 == n { trail + close_len } else { 0 };
                    end = self.emit(item, inner, t);
                }
            }
            _ => unreachable!("only collections reach here"),
        }
        self.out.push_str(close);
        end + close_len
    }

    /// Room left for a group starting at `col` and followed by `trail` characters.
    fn budget(&self, col: usize, trail: usize) -> usize {
        let trail = if self.pprint { trail } else { 0 };
        self.width.saturating_sub(col + trail)
    }

    fn newline(&mut self, indent: usize) {
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    fn flat(&mut self, v: &Value, col: usize) -> usize {
        let start = self.out.len();
        let _ = write_value(&mut self.out, v, true);
        let written = &self.out[start..];
        col + if written.is_ascii() {
            written.len()
        } else {
            written.chars().count()
        }
    }
}

/// Whether `v` printed on one line takes at most `budget` characters. Stops counting
/// as soon as the budget is exceeded, so it costs O(budget) whatever the size of `v`.
fn fits(v: &Value, budget: usize) -> bool {
    struct Counter {
        n: usize,
        budget: usize,
    }
    impl Write for Counter {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.n += if s.is_ascii() {
                s.len()
            } else {
                s.chars().count()
            };
            if self.n > self.budget {
                Err(fmt::Error)
            } else {
                Ok(())
            }
        }
    }
    let mut c = Counter { n: 0, budget };
    write_value(&mut c, v, true).is_ok()
}
