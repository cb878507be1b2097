//! `jepsen.log`: log4j-style lines as real Maelstrom writes them
//! (`2023-05-11 01:48:18,737{GMT}\tINFO\t[jepsen worker 1] jepsen.util: ...`, local time with a
//! literal `{GMT}`, see FORMAT.md §4). Buffered; flushed periodically and at the end of a run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

/// Log level column.
#[derive(Debug, Clone, Copy)]
pub enum Level {
    Info,
    Warn,
}

/// The run's jepsen.log (or a sink that drops everything, for tests).
pub struct Log {
    out: Mutex<Option<BufWriter<File>>>,
}

impl Log {
    /// Create (truncate) the log file.
    pub fn create(path: &Path) -> std::io::Result<Log> {
        let f = File::create(path)?;
        Ok(Log {
            out: Mutex::new(Some(BufWriter::with_capacity(64 * 1024, f))),
        })
    }

    /// A log that writes nowhere.
    pub fn sink() -> Log {
        Log {
            out: Mutex::new(None),
        }
    }

    /// One log line from `thread` (shown in brackets) and `logger`.
    pub fn line(&self, level: Level, thread: &str, logger: &str, msg: &str) {
        let mut g = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = g.as_mut() {
            let ts = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
            let lvl = match level {
                Level::Info => "INFO",
                Level::Warn => "WARN",
            };
            let _ = writeln!(w, "{ts}{{GMT}}\t{lvl}\t[{thread}] {logger}: {msg}");
        }
    }

    /// An INFO line.
    pub fn info(&self, thread: &str, logger: &str, msg: &str) {
        self.line(Level::Info, thread, logger, msg);
    }

    /// A WARN line.
    pub fn warn(&self, thread: &str, logger: &str, msg: &str) {
        self.line(Level::Warn, thread, logger, msg);
    }

    /// Text written as is (the verdict lines after the results).
    pub fn raw(&self, text: &str) {
        let mut g = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = g.as_mut() {
            let _ = w.write_all(text.as_bytes());
        }
    }

    /// Push buffered lines to the file.
    pub fn flush(&self) {
        let mut g = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = g.as_mut() {
            let _ = w.flush();
        }
    }
}
