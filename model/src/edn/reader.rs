//! EDN reader: text to [`Value`], as Clojure's reader reads what Jepsen and Maelstrom write.
//!
//! The reader is iterative (an explicit stack instead of recursion), so hostile input can
//! neither overflow the stack nor build values too deep to drop or print safely: nesting
//! beyond [`MAX_DEPTH`] is an error. Every error carries the line and column (both 1-based,
//! columns counted in characters) where it was found.
//!
//! Beyond the EDN spec it accepts the Clojure forms that show up in Jepsen output:
//! `N` bigints and `M` decimals, ratios (read as floats), hex, octal and radix integers,
//! `##Inf`/`##-Inf`/`##NaN`, and any `#tag form` (records such as `#jepsen.history.Op{..}`,
//! `#object[..]`, `#inst`, `#uuid`), which becomes [`Value::Tagged`].

use super::Value;

/// Deepest nesting of collections, tags and discards the reader accepts.
pub const MAX_DEPTH: usize = 512;

/// A syntax error, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("EDN error at line {line}, column {column}: {message}")]
pub struct EdnError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset into the input.
    pub offset: usize,
    pub message: String,
}

impl EdnError {
    fn at(src: &str, offset: usize, message: impl Into<String>) -> EdnError {
        let (line, column) = line_col(src, offset);
        EdnError {
            line,
            column,
            offset,
            message: message.into(),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = src[line_start..offset].chars().count() + 1;
    (line, column)
}

/// Reads exactly one form; whitespace, commas and comments around it are allowed.
pub fn parse(s: &str) -> Result<Value, EdnError> {
    parse_prefix_from(s, 0)
}

/// Reads exactly one form from `s[start..]`, reporting positions within the whole of `s`
/// (so a line of a larger text can be parsed with file-wide line numbers).
pub(crate) fn parse_prefix_from(s: &str, start: usize) -> Result<Value, EdnError> {
    let mut p = Parser::new(s);
    p.pos = p.pos.max(start);
    let value = match p.next_form()? {
        Some(v) => v,
        None => {
            return Err(EdnError::at(
                s,
                s.len(),
                "expected a form, found end of input",
            ))
        }
    };
    p.skip_ws();
    if p.pos < s.len() {
        return Err(EdnError::at(
            s,
            p.pos,
            "unexpected content after the form (expected a single form)",
        ));
    }
    Ok(value)
}

/// Reads every top-level form.
pub fn parse_many(s: &str) -> Result<Vec<Value>, EdnError> {
    Reader::new(s).collect()
}

/// Streaming reader over the top-level forms of a text. Yields `Err` at most once, then stops.
///
/// ```
/// use glomers_model::edn::{Reader, Value};
/// let forms: Vec<Value> = Reader::new("1 :a [2]").collect::<Result<_, _>>().unwrap();
/// assert_eq!(forms.len(), 3);
/// ```
pub struct Reader<'a> {
    parser: Parser<'a>,
    done: bool,
}

impl<'a> Reader<'a> {
    pub fn new(s: &'a str) -> Reader<'a> {
        Reader {
            parser: Parser::new(s),
            done: false,
        }
    }

    /// Byte offset just past the last form read.
    pub fn offset(&self) -> usize {
        self.parser.pos
    }

    /// 1-based line and column of [`Reader::offset`].
    pub fn position(&self) -> (usize, usize) {
        line_col(self.parser.src, self.parser.pos)
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Value, EdnError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.parser.next_form() {
            Ok(Some(v)) => Some(Ok(v)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// What a byte means to the tokenizer.
const DELIM: u8 = 1;
const WS: u8 = 2;

/// Bytes that end a token: whitespace, commas and Clojure's terminating macro characters.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let ws = b" \t\n\r,\x0b\x0c";
    let mut i = 0;
    while i < ws.len() {
        t[ws[i] as usize] = DELIM | WS;
        i += 1;
    }
    let delims = b"\";()[]{}\\@^`~";
    let mut i = 0;
    while i < delims.len() {
        t[delims[i] as usize] = DELIM;
        i += 1;
    }
    t
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Coll {
    List,
    Vector,
    Map,
    Set,
}

impl Coll {
    fn close(self) -> u8 {
        match self {
            Coll::List => b')',
            Coll::Vector => b']',
            Coll::Map | Coll::Set => b'}',
        }
    }

    fn name(self) -> &'static str {
        match self {
            Coll::List => "list",
            Coll::Vector => "vector",
            Coll::Map => "map",
            Coll::Set => "set",
        }
    }
}

/// One open construct on the reader's stack.
enum Frame {
    Coll {
        kind: Coll,
        items: Vec<Value>,
        start: usize,
    },
    /// `#tag` waiting for its form.
    Tag { tag: String, start: usize },
    /// `#_` waiting for the form to drop.
    Discard { start: usize },
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    stack: Vec<Frame>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Parser<'a> {
        let mut pos = 0;
        if src.starts_with('\u{feff}') {
            pos = 3;
        }
        Parser {
            src,
            bytes: src.as_bytes(),
            pos,
            stack: Vec::new(),
        }
    }

    fn err(&self, offset: usize, message: impl Into<String>) -> EdnError {
        EdnError::at(self.src, offset, message)
    }

    fn skip_ws(&mut self) {
        let b = self.bytes;
        while self.pos < b.len() {
            let c = b[self.pos];
            if CLASS[c as usize] & WS != 0 {
                self.pos += 1;
            } else if c == b';' {
                while self.pos < b.len() && b[self.pos] != b'\n' {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// End of the token starting at `start` (which is included even if it is a delimiter).
    fn token_end(&self, start: usize) -> usize {
        let b = self.bytes;
        let mut i = start;
        while i < b.len() && CLASS[b[i] as usize] & DELIM == 0 {
            i += 1;
        }
        i
    }

    fn push(&mut self, frame: Frame, at: usize) -> Result<(), EdnError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(at, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Reads the next top-level form, or `None` at the end of input.
    fn next_form(&mut self) -> Result<Option<Value>, EdnError> {
        self.stack.clear();
        loop {
            self.skip_ws();
            let start = self.pos;
            let Some(&c) = self.bytes.get(start) else {
                return match self.stack.last() {
                    None => Ok(None),
                    Some(frame) => Err(self.unterminated(frame)),
                };
            };
            let value = match c {
                b'(' | b'[' | b'{' => {
                    let kind = match c {
                        b'(' => Coll::List,
                        b'[' => Coll::Vector,
                        _ => Coll::Map,
                    };
                    self.push(
                        Frame::Coll {
                            kind,
                            items: Vec::new(),
                            start,
                        },
                        start,
                    )?;
                    self.pos += 1;
                    continue;
                }
                b')' | b']' | b'}' => {
                    self.pos += 1;
                    self.close(c, start)?
                }
                b'"' => self.read_string()?,
                b'\\' => self.read_char()?,
                b':' => self.read_keyword()?,
                b'#' => match self.bytes.get(start + 1) {
                    Some(b'{') => {
                        self.push(
                            Frame::Coll {
                                kind: Coll::Set,
                                items: Vec::new(),
                                start,
                            },
                            start,
                        )?;
                        self.pos += 2;
                        continue;
                    }
                    Some(b'_') => {
                        self.push(Frame::Discard { start }, start)?;
                        self.pos += 2;
                        continue;
                    }
                    Some(b'#') => self.read_symbolic()?,
                    Some(&n) if n.is_ascii_alphabetic() => {
                        let end = self.token_end(start + 1);
                        let tag = self.src[start + 1..end].to_string();
                        self.push(Frame::Tag { tag, start }, start)?;
                        self.pos = end;
                        continue;
                    }
                    Some(b':') => {
                        return Err(
                            self.err(start, "namespaced map literals (#:ns{}) are not supported")
                        )
                    }
                    Some(_) => {
                        let shown = self.src[start..].chars().take(2).collect::<String>();
                        return Err(
                            self.err(start, format!("unsupported dispatch macro `{shown}`"))
                        );
                    }
                    None => return Err(self.err(start, "end of input after `#`")),
                },
                b'0'..=b'9' => self.read_number()?,
                b'+' | b'-' if self.bytes.get(start + 1).is_some_and(u8::is_ascii_digit) => {
                    self.read_number()?
                }
                _ => self.read_symbol()?,
            };
            // Hand the finished value to whatever is waiting for it.
            let mut value = value;
            loop {
                match self.stack.last_mut() {
                    None => return Ok(Some(value)),
                    Some(Frame::Coll { items, .. }) => {
                        items.push(value);
                        break;
                    }
                    Some(Frame::Tag { .. }) => {
                        let Some(Frame::Tag { tag, .. }) = self.stack.pop() else {
                            unreachable!()
                        };
                        value = Value::Tagged(tag, Box::new(value));
                    }
                    Some(Frame::Discard { .. }) => {
                        self.stack.pop();
                        break;
                    }
                }
            }
        }
    }

    fn unterminated(&self, frame: &Frame) -> EdnError {
        let (what, start) = match frame {
            Frame::Coll { kind, start, .. } => (format!("unterminated {}", kind.name()), *start),
            Frame::Tag { tag, start } => (format!("end of input after tag #{tag}"), *start),
            Frame::Discard { start } => ("end of input after #_".to_string(), *start),
        };
        let (line, column) = line_col(self.src, start);
        self.err(
            self.src.len(),
            format!("{what} (opened at line {line}, column {column})"),
        )
    }

    /// A closing delimiter at `at`: finish the innermost collection.
    fn close(&mut self, c: u8, at: usize) -> Result<Value, EdnError> {
        let found = c as char;
        match self.stack.pop() {
            None => Err(self.err(at, format!("unmatched delimiter `{found}`"))),
            Some(Frame::Tag { tag, .. }) => Err(self.err(
                at,
                format!("expected a form after tag #{tag}, found `{found}`"),
            )),
            Some(Frame::Discard { .. }) => {
                Err(self.err(at, format!("expected a form after #_, found `{found}`")))
            }
            Some(Frame::Coll { kind, items, start }) => {
                if kind.close() != c {
                    let (line, column) = line_col(self.src, start);
                    return Err(self.err(
                        at,
                        format!(
                            "mismatched delimiter: `{found}` cannot close the {} opened at line {line}, column {column}",
                            kind.name()
                        ),
                    ));
                }
                Ok(match kind {
                    Coll::List => Value::List(items),
                    Coll::Vector => Value::Vector(items),
                    Coll::Set => Value::Set(items),
                    Coll::Map => {
                        if items.len() % 2 != 0 {
                            let (line, column) = line_col(self.src, start);
                            return Err(self.err(
                                at,
                                format!("map opened at line {line}, column {column} has a key without a value"),
                            ));
                        }
                        let mut entries = Vec::with_capacity(items.len() / 2);
                        let mut it = items.into_iter();
                        while let (Some(k), Some(v)) = (it.next(), it.next()) {
                            entries.push((k, v));
                        }
                        Value::Map(entries)
                    }
                })
            }
        }
    }

    fn read_string(&mut self) -> Result<Value, EdnError> {
        let start = self.pos;
        let b = self.bytes;
        let mut i = start + 1;
        let mut out = String::new();
        let mut run = i;
        loop {
            // Fast scan to the next quote or backslash.
            while i < b.len() && b[i] != b'"' && b[i] != b'\\' {
                i += 1;
            }
            if i >= b.len() {
                return Err(self.err(start, "unterminated string"));
            }
            out.push_str(&self.src[run..i]);
            if b[i] == b'"' {
                self.pos = i + 1;
                return Ok(Value::Str(out));
            }
            // Escape sequence.
            let esc_at = i;
            let Some(&e) = b.get(i + 1) else {
                return Err(self.err(start, "unterminated string"));
            };
            i += 2;
            match e {
                b'n' => out.push('\n'),
                b't' => out.push('\t'),
                b'r' => out.push('\r'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'u' => {
                    let unit = self.hex4(i).ok_or_else(|| {
                        self.err(
                            esc_at,
                            "invalid unicode escape: expected \\u and 4 hex digits",
                        )
                    })?;
                    i += 4;
                    let ch = if (0xD800..0xDC00).contains(&unit) {
                        // A UTF-16 surrogate pair, as Clojure strings may hold.
                        let low = (b.get(i) == Some(&b'\\') && b.get(i + 1) == Some(&b'u'))
                            .then(|| self.hex4(i + 2))
                            .flatten()
                            .filter(|lo| (0xDC00..0xE000).contains(lo));
                        let Some(low) = low else {
                            return Err(self.err(esc_at, "unpaired surrogate in unicode escape"));
                        };
                        i += 6;
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    } else {
                        char::from_u32(unit)
                    };
                    match ch {
                        Some(ch) => out.push(ch),
                        None => {
                            return Err(self.err(esc_at, "unpaired surrogate in unicode escape"))
                        }
                    }
                }
                b'0'..=b'7' => {
                    let mut n = 0u32;
                    let mut j = i - 1;
                    while j < b.len() && j < i + 2 && (b'0'..=b'7').contains(&b[j]) {
                        n = n * 8 + u32::from(b[j] - b'0');
                        j += 1;
                    }
                    if n > 0o377 {
                        return Err(self.err(esc_at, "octal escape out of range (max \\377)"));
                    }
                    i = j;
                    out.push(char::from_u32(n).unwrap_or('\u{fffd}'));
                }
                _ => {
                    let shown = self.src[esc_at + 1..].chars().next().unwrap_or(' ');
                    return Err(self.err(esc_at, format!("invalid escape `\\{shown}` in string")));
                }
            }
            run = i;
        }
    }

    /// Four hex digits at `at`, as a number.
    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.bytes.get(at..at + 4)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    }

    fn read_char(&mut self) -> Result<Value, EdnError> {
        let start = self.pos;
        let Some(first) = self.src[start + 1..].chars().next() else {
            return Err(self.err(start, "end of input after `\\`"));
        };
        let first_end = start + 1 + first.len_utf8();
        let end = self.token_end(first_end);
        let token = &self.src[start + 1..end];
        self.pos = end;
        if token.len() == first.len_utf8() {
            return Ok(Value::Char(first));
        }
        let named = match token {
            "newline" => Some('\n'),
            "space" => Some(' '),
            "tab" => Some('\t'),
            "backspace" => Some('\u{8}'),
            "formfeed" => Some('\u{c}'),
            "return" => Some('\r'),
            _ => None,
        };
        if let Some(c) = named {
            return Ok(Value::Char(c));
        }
        let code = if let Some(hex) = token.strip_prefix('u') {
            (hex.len() == 4 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(hex, 16).ok())
                .flatten()
        } else if let Some(oct) = token.strip_prefix('o') {
            (!oct.is_empty() && oct.len() <= 3 && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)))
                .then(|| u32::from_str_radix(oct, 8).ok())
                .flatten()
                .filter(|&n| n <= 0o377)
        } else {
            None
        };
        match code.and_then(char::from_u32) {
            Some(c) => Ok(Value::Char(c)),
            None => Err(self.err(start, format!("unsupported character `\\{token}`"))),
        }
    }

    fn read_keyword(&mut self) -> Result<Value, EdnError> {
        let start = self.pos;
        let end = self.token_end(start + 1);
        let name = &self.src[start + 1..end];
        if name.is_empty() {
            return Err(self.err(start, "invalid keyword: `:` without a name"));
        }
        if name.starts_with(':') {
            return Err(self.err(
                start,
                format!("auto-resolved keyword `:{name}` is not supported"),
            ));
        }
        if name.ends_with('/') && name != "/" {
            return Err(self.err(start, format!("invalid keyword `:{name}`")));
        }
        self.pos = end;
        Ok(Value::Keyword(name.to_string()))
    }

    /// `##Inf`, `##-Inf`, `##NaN`.
    fn read_symbolic(&mut self) -> Result<Value, EdnError> {
        let start = self.pos;
        let end = self.token_end(start + 2);
        let v = match &self.src[start + 2..end] {
            "Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            other => {
                return Err(self.err(start, format!("unknown symbolic value `##{other}`")));
            }
        };
        self.pos = end;
        Ok(Value::Float(v))
    }

    fn read_symbol(&mut self) -> Result<Value, EdnError> {
        let start = self.pos;
        let end = self.token_end(start);
        let token = &self.src[start..end];
        if token.is_empty() {
            let c = self.src[start..].chars().next().unwrap_or(' ');
            return Err(self.err(start, format!("unexpected character `{c}`")));
        }
        let first = token.as_bytes()[0];
        if first == b'\'' || first == b'#' {
            return Err(self.err(start, format!("unsupported syntax `{token}`")));
        }
        self.pos = end;
        Ok(match token {
            "nil" => Value::Nil,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Symbol(token.to_string()),
        })
    }

    fn read_number(&mut self) -> Result<Value, EdnError> {
        let start = self.pos;
        let end = self.token_end(start);
        let token = &self.src[start..end];
        match parse_number(token) {
            Some(v) => {
                self.pos = end;
                Ok(v)
            }
            None => Err(self.err(start, format!("invalid number `{token}`"))),
        }
    }
}

/// Parses a numeric token the way Clojure's reader does (ratios and `M` decimals become floats).
fn parse_number(token: &str) -> Option<Value> {
    let (negative, body) = match token.as_bytes()[0] {
        b'-' => (true, &token[1..]),
        b'+' => (false, &token[1..]),
        _ => (false, token),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());

    // Plain decimal integer, optionally with N.
    let int_body = body.strip_suffix('N').unwrap_or(body);
    if all_digits(int_body) {
        if int_body.len() > 1 && int_body.starts_with('0') && !body.ends_with('N') {
            // Clojure reads a leading zero as octal.
            return radix_int(negative, &int_body[1..], 8);
        }
        return Some(decimal_int(negative, int_body));
    }
    // Hex: 0x1F, 0x1FN.
    if let Some(hex) = int_body
        .strip_prefix("0x")
        .or_else(|| int_body.strip_prefix("0X"))
    {
        return radix_int(negative, hex, 16);
    }
    // Radix: 2r1010, 36rZZ.
    if let Some((radix, digits)) = body.split_once(['r', 'R']) {
        let radix: u32 = radix.parse().ok().filter(|r| (2..=36).contains(r))?;
        return radix_int(negative, digits, radix);
    }
    // Ratio: 1/3 becomes a float.
    if let Some((num, den)) = body.split_once('/') {
        if !all_digits(num) || !all_digits(den) {
            return None;
        }
        let (n, d): (f64, f64) = (num.parse().ok()?, den.parse().ok()?);
        if d == 0.0 {
            return None;
        }
        let q = n / d;
        return Some(Value::Float(if negative { -q } else { q }));
    }
    // Float: digits [. digits*] [e [+-] digits] [M]
    let float_body = body.strip_suffix('M').unwrap_or(body);
    let b = float_body.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let mut is_float = body.ends_with('M');
    if i < b.len() && b[i] == b'.' {
        is_float = true;
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        is_float = true;
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let digits_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start {
            return None;
        }
    }
    if i != b.len() || !is_float {
        return None;
    }
    let v: f64 = float_body.parse().ok()?;
    Some(Value::Float(if negative { -v } else { v }))
}

/// A decimal integer: `Int` when it fits in i64, else `BigInt` (normalized digits).
fn decimal_int(negative: bool, digits: &str) -> Value {
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Value::Int(0);
    }
    if digits.len() <= 19 {
        if let Ok(u) = digits.parse::<u64>() {
            if negative {
                if u <= i64::MAX as u64 + 1 {
                    return Value::Int((u as i64).wrapping_neg());
                }
            } else if u <= i64::MAX as u64 {
                return Value::Int(u as i64);
            }
        }
    }
    let mut s = String::with_capacity(digits.len() + 1);
    if negative {
        s.push('-');
    }
    s.push_str(digits);
    Value::BigInt(s)
}

/// An integer in another radix. Values beyond i64 become `BigInt` via decimal conversion.
fn radix_int(negative: bool, digits: &str, radix: u32) -> Option<Value> {
    if digits.is_empty() {
        return Some(Value::Int(0)).filter(|_| radix == 8);
    }
    // Little-endian base-1e9 limbs, so any length converts.
    let mut limbs: Vec<u64> = vec![0];
    for c in digits.chars() {
        let d = u64::from(c.to_digit(radix)?);
        let mut carry = d;
        for limb in limbs.iter_mut() {
            let x = *limb * u64::from(radix) + carry;
            *limb = x % 1_000_000_000;
            carry = x / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push(carry % 1_000_000_000);
            carry /= 1_000_000_000;
        }
    }
    let mut s = limbs.last().copied().unwrap_or(0).to_string();
    for limb in limbs.iter().rev().skip(1) {
        s.push_str(&format!("{limb:09}"));
    }
    Some(decimal_int(negative, &s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse("42").unwrap(), Value::Int(42));
        assert_eq!(parse("-42").unwrap(), Value::Int(-42));
        assert_eq!(parse("+7").unwrap(), Value::Int(7));
        assert_eq!(parse("5N").unwrap(), Value::Int(5));
        assert_eq!(
            parse("9223372036854775808N").unwrap(),
            Value::BigInt("9223372036854775808".into())
        );
        assert_eq!(parse("-9223372036854775808").unwrap(), Value::Int(i64::MIN));
        assert_eq!(
            parse("-9223372036854775809").unwrap(),
            Value::BigInt("-9223372036854775809".into())
        );
        assert_eq!(parse("0x1F").unwrap(), Value::Int(31));
        assert_eq!(parse("017").unwrap(), Value::Int(15));
        assert_eq!(parse("2r1010").unwrap(), Value::Int(10));
        assert_eq!(
            parse("0xFFFFFFFFFFFFFFFFFF").unwrap(),
            Value::BigInt("4722366482869645213695".into())
        );
        assert_eq!(parse("1.5").unwrap(), Value::Float(1.5));
        assert_eq!(parse("1.5M").unwrap(), Value::Float(1.5));
        assert_eq!(parse("3M").unwrap(), Value::Float(3.0));
        assert_eq!(parse("1e3").unwrap(), Value::Float(1000.0));
        assert_eq!(parse("1.0E-4").unwrap(), Value::Float(1.0e-4));
        assert_eq!(parse("-2.5e+2").unwrap(), Value::Float(-250.0));
        assert_eq!(parse("1/4").unwrap(), Value::Float(0.25));
        assert_eq!(parse("-1/2").unwrap(), Value::Float(-0.5));
        assert!(parse("1/0").is_err());
        assert!(parse("08").is_err());
        assert!(parse("1.2.3").is_err());
        assert!(parse("1e").is_err());
        assert!(parse("12abc").is_err());
    }

    #[test]
    fn error_position() {
        let e = parse("{:a 1,\n :b \"x\\q\"}").unwrap_err();
        assert_eq!((e.line, e.column), (2, 7), "{e}");
        assert!(e.message.contains("invalid escape"), "{e}");
    }
}
