//! Which g-counter the binary runs: the exact one, or (tests only) the naive one.
//!
//! The naive variant is chosen by a positional argument `naive` (Maelstrom and the
//! harness forward stray command-line words to the binary) or by the environment
//! variable `GLOMERS_GCOUNTER_NAIVE=1`. It is wrong on purpose, so that checkers can be
//! shown to catch it; never use it to pass the challenge.

/// The variant to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Exact,
    Naive,
}

/// The environment variable that selects the naive variant when set to `1`.
pub const NAIVE_ENV: &str = "GLOMERS_GCOUNTER_NAIVE";

impl Mode {
    /// Decide from the command-line arguments (program name excluded) and the value of
    /// [`NAIVE_ENV`].
    pub fn select<I, S>(args: I, env: Option<&str>) -> Mode
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let by_arg = args.into_iter().any(|a| a.as_ref() == "naive");
        let by_env = matches!(env.map(str::trim), Some("1"));
        if by_arg || by_env {
            Mode::Naive
        } else {
            Mode::Exact
        }
    }

    /// Decide from this process's arguments and environment.
    pub fn from_process() -> Mode {
        let env = std::env::var(NAIVE_ENV).ok();
        Mode::select(std::env::args().skip(1), env.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection() {
        assert_eq!(Mode::select(Vec::<String>::new(), None), Mode::Exact);
        assert_eq!(Mode::select(["naive"], None), Mode::Naive);
        assert_eq!(Mode::select(["–-nemesis", "partition"], None), Mode::Exact);
        assert_eq!(Mode::select(Vec::<String>::new(), Some("1")), Mode::Naive);
        assert_eq!(Mode::select(Vec::<String>::new(), Some("0")), Mode::Exact);
    }
}
