//! The environment `harness test --telemetry` gives node processes: the file sink always,
//! writing into the run's `telemetry/` folder, plus whatever sinks the user switched on
//! (`GLOMERS_TELEMETRY=otlp` keeps exporting to the collector), and a `glomers.run`
//! resource attribute so OTLP data is tied to this run by the dashboard.

use std::path::Path;

/// Variables to set on nodes. `lookup` reads the harness's own environment.
pub fn node_env(
    telemetry_dir: &Path,
    run_id: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    let mut sinks = vec!["file".to_string()];
    for sink in lookup("GLOMERS_TELEMETRY").unwrap_or_default().split(',') {
        let sink = sink.trim();
        if !sink.is_empty() && sink != "off" && !sinks.iter().any(|s| s == sink) {
            sinks.push(sink.to_string());
        }
    }
    let run_attr = format!("glomers.run={run_id}");
    let attrs = match lookup("OTEL_RESOURCE_ATTRIBUTES") {
        Some(a) if !a.trim().is_empty() => format!("{},{run_attr}", a.trim()),
        _ => run_attr,
    };
    vec![
        ("GLOMERS_TELEMETRY".to_string(), sinks.join(",")),
        (
            "GLOMERS_TELEMETRY_DIR".to_string(),
            telemetry_dir.display().to_string(),
        ),
        ("OTEL_RESOURCE_ATTRIBUTES".to_string(), attrs),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        node_env(Path::new("/s/run/telemetry"), "broadcast/20261122T1", |k| {
            vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    fn get<'a>(env: &'a [(String, String)], k: &str) -> &'a str {
        &env.iter().find(|(n, _)| n == k).unwrap().1
    }

    #[test]
    fn file_sink_alone_by_default() {
        let env = env_with(&[]);
        assert_eq!(get(&env, "GLOMERS_TELEMETRY"), "file");
        assert_eq!(get(&env, "GLOMERS_TELEMETRY_DIR"), "/s/run/telemetry");
        assert_eq!(
            get(&env, "OTEL_RESOURCE_ATTRIBUTES"),
            "glomers.run=broadcast/20261122T1"
        );
    }

    #[test]
    fn user_sinks_and_attributes_are_kept() {
        let env = env_with(&[
            ("GLOMERS_TELEMETRY", "otlp"),
            ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=lab"),
        ]);
        assert_eq!(get(&env, "GLOMERS_TELEMETRY"), "file,otlp");
        assert_eq!(
            get(&env, "OTEL_RESOURCE_ATTRIBUTES"),
            "deployment.environment=lab,glomers.run=broadcast/20261122T1"
        );
        let env = env_with(&[("GLOMERS_TELEMETRY", "file,otlp")]);
        assert_eq!(get(&env, "GLOMERS_TELEMETRY"), "file,otlp");
        let env = env_with(&[("GLOMERS_TELEMETRY", "off")]);
        assert_eq!(get(&env, "GLOMERS_TELEMETRY"), "file");
    }
}
