//! Which code a node binary was built from, stamped at build time by `build.rs`: the crate
//! version, the git commit and whether `node/` differed from it. Every node binary writes it
//! as its first stderr line (so `node-logs/nN.log` names the version under real Maelstrom as
//! under the harness), and telemetry puts it on the resource as `service.version`. The
//! dashboard reads that line to tell runs of different code apart.

/// `<crate version>+<commit, 12 hex>[.dirty.<8 hex of the diff>]`, or `<crate version>+unknown`
/// when built outside a git checkout.
pub const VERSION: &str = env!("GLOMERS_BUILD_VERSION");

/// The words that open the version line; the dashboard looks for them.
pub const LINE_PREFIX: &str = "glomers-node";

/// The version line for a binary: `glomers-node <binary> version <VERSION>`.
pub fn version_line(binary: &str) -> String {
    format!("{LINE_PREFIX} {binary} version {VERSION}")
}

/// This process's binary name (the file name it was started as), `node` if unknown.
pub fn binary_name() -> String {
    std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "node".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_the_crate_version_and_a_commit() {
        let (crate_version, rest) = VERSION.split_once('+').expect("a '+' separator");
        assert_eq!(crate_version, env!("CARGO_PKG_VERSION"));
        let commit = rest.split('.').next().unwrap();
        assert!(
            commit == "unknown"
                || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
            "{VERSION}"
        );
        if let Some(dirty) = rest.strip_prefix(&format!("{commit}.dirty.")) {
            assert_eq!(dirty.len(), 8, "{VERSION}");
        } else {
            assert_eq!(rest, commit, "{VERSION}");
        }
    }

    #[test]
    fn line_is_prefix_binary_version() {
        assert_eq!(
            version_line("broadcast"),
            format!("glomers-node broadcast version {VERSION}")
        );
    }
}
