//! Finds the shell commands a Markdown page shows: the fenced `sh` (or `bash`, `shell`) blocks,
//! split into one command per logical line (`\` continuations joined, `#` comments dropped,
//! `&&`, `||`, `;` and `|` separating commands), each with its leading `NAME=value` words kept
//! apart as the environment it is given.

use std::fmt;

/// One command as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Where it is: `README.md:12` (the line the command starts on).
    pub at: String,
    /// `NAME=value` words before the program, or the names an `export` line sets.
    pub env: Vec<(String, String)>,
    /// The program and its arguments; empty for a line that only sets variables.
    pub words: Vec<String>,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: `", self.at)?;
        for (i, (k, v)) in self.env.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{k}={v}")?;
        }
        if !self.env.is_empty() && !self.words.is_empty() {
            f.write_str(" ")?;
        }
        write!(f, "{}`", self.words.join(" "))
    }
}

/// The fenced shell blocks of `markdown`: (line number of the block's first content line,
/// the block's text). Fences may be indented (a block inside a list item).
pub fn shell_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String, bool)> = None; // (first line, text, is shell)
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let lang = info.split_whitespace().next().unwrap_or("");
                    let shell = matches!(lang, "sh" | "bash" | "shell");
                    open = Some((i + 2, String::new(), shell));
                }
            }
            Some((first, text, shell)) => {
                if trimmed.trim_end() == "```" {
                    if *shell {
                        blocks.push((*first, std::mem::take(text)));
                    }
                    open = None;
                } else {
                    text.push_str(trimmed);
                    text.push('\n');
                }
            }
        }
    }
    blocks
}

/// The commands of every shell block of `markdown`, `file` naming the page in `at`. An
/// unbalanced quote is an error.
pub fn commands(file: &str, markdown: &str) -> Result<Vec<Command>, String> {
    let mut out = Vec::new();
    for (first, text) in shell_blocks(markdown) {
        for (offset, line) in logical_lines(&text) {
            let at = format!("{file}:{}", first + offset);
            let words = shlex::split(&line).ok_or_else(|| {
                format!("{at}: cannot split `{line}` into words (a quote left open?)")
            })?;
            let words = detach_semicolons(words);
            for part in words.split(|w| matches!(w.as_str(), "&&" | "||" | ";" | "|")) {
                if let Some(cmd) = command(&at, part) {
                    out.push(cmd);
                }
            }
        }
    }
    Ok(out)
}

/// `a; b` splits into `a;` and `b`: makes the `;` a word of its own.
fn detach_semicolons(words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    for word in words {
        match word.strip_suffix(';') {
            Some(head) if !head.is_empty() => {
                out.push(head.to_string());
                out.push(";".to_string());
            }
            _ => out.push(word),
        }
    }
    out
}

/// Joins lines ending in `\` with the next; returns (offset of the first line, joined text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let (start, mut acc) = current.take().unwrap_or((i, String::new()));
        match line.trim_end().strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                acc.push(' ');
                current = Some((start, acc));
            }
            None => {
                acc.push_str(line);
                out.push((start, acc));
            }
        }
    }
    out.extend(current);
    out
}

/// Splits leading `NAME=value` words (or an `export` line's words) from the program.
fn command(at: &str, words: &[String]) -> Option<Command> {
    if words.is_empty() {
        return None;
    }
    let export = words[0] == "export";
    let rest = if export { &words[1..] } else { words };
    let mut env = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        match assignment(&rest[i]) {
            Some(kv) => env.push(kv),
            None if export => {}
            None => break,
        }
        i += 1;
    }
    let words = if export {
        Vec::new()
    } else {
        rest[i..].to_vec()
    };
    Some(Command {
        at: at.to_string(),
        env,
        words,
    })
}

/// `NAME=value` with a shell variable name.
fn assignment(word: &str) -> Option<(String, String)> {
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    let ok = (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| (name.to_string(), value.to_string()))
}
