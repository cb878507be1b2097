//! Helpers of `compose_stack.rs`: the repository's files, YAML access, compose-style variable
//! interpolation, and the submodules that read Grafana's PromQL and gather real metric
//! snapshots.

#![allow(dead_code)]

pub mod metrics;
pub mod promql;

use std::path::{Path, PathBuf};

use serde_yaml::Value;

/// The repository root (the workspace folder holding docker-compose.yml).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("dashboard/ has a parent")
        .to_path_buf()
}

/// A repository file's text; panics with the path when it is missing.
pub fn read(rel: &str) -> String {
    let p = repo().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A repository YAML file, parsed.
pub fn yaml(rel: &str) -> Value {
    serde_yaml::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `v[key]` for a chain of mapping keys; panics naming the missing key.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    let mut cur = v;
    for k in path {
        cur = cur
            .get(*k)
            .unwrap_or_else(|| panic!("missing key {k:?} (path {path:?})"));
    }
    cur
}

/// The string at `path`.
pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    at(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string"))
}

/// The keys of the mapping at `path` (empty when absent).
pub fn keys(v: &Value, path: &[&str]) -> Vec<String> {
    let mut cur = v;
    for k in path {
        match cur.get(*k) {
            Some(x) => cur = x,
            None => return Vec::new(),
        }
    }
    cur.as_mapping()
        .map(|m| {
            m.keys()
                .map(|k| k.as_str().expect("string key").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A sequence of strings at `path`.
pub fn strings(v: &Value, path: &[&str]) -> Vec<String> {
    at(v, path)
        .as_sequence()
        .unwrap_or_else(|| panic!("{path:?} is not a list"))
        .iter()
        .map(|x| {
            x.as_str()
                .unwrap_or_else(|| panic!("{path:?}: {x:?} is not a string"))
                .to_string()
        })
        .collect()
}

/// Compose's variable interpolation with an empty environment: `${NAME:-default}` and
/// `${NAME-default}` become their default, `$$` a literal `$`. A variable with no default is an
/// error (compose would substitute an empty string, which is never what this stack wants).
pub fn interpolate_defaults(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {rest:?}"))?;
            let expr = &body[..end];
            let default = expr
                .split_once(":-")
                .or_else(|| expr.split_once('-'))
                .map(|(_, d)| d)
                .ok_or_else(|| format!("${{{expr}}} has no default"))?;
            out.push_str(default);
            rest = &body[end + 1..];
        } else {
            return Err(format!("bare $ in {:?}", &rest[..rest.len().min(40)]));
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `host:port` split; panics on another form.
pub fn host_port(s: &str) -> (&str, u16) {
    let s = s
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/');
    let (h, p) = s
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("{s:?} is not host:port"));
    (h, p.parse().unwrap_or_else(|_| panic!("bad port in {s:?}")))
}
