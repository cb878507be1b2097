//! The OpenTelemetry resource describing a node process: what the SDK reads itself
//! (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `telemetry.sdk.*`), then ours:
//! `service.name` (the variable's, else the binary's name), `service.instance.id` (the
//! node id), `service.version` (`build_info::VERSION`) and `process.pid`.

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;

/// The name the SDK would pick, unless it found none: then `binary`.
pub(crate) fn service_name(binary: &str) -> String {
    let sdk = Resource::builder().build();
    match sdk.get(&opentelemetry::Key::from_static_str("service.name")) {
        Some(v) if !v.as_str().starts_with("unknown_service") => v.to_string(),
        _ => binary.to_string(),
    }
}

/// The resource of this process; `node_id` is `None` until the node knows it.
pub(crate) fn build(service_name: &str, node_id: Option<&str>) -> Resource {
    let mut ours = vec![
        KeyValue::new("service.version", crate::build_info::VERSION),
        KeyValue::new("process.pid", std::process::id() as i64),
    ];
    if let Some(id) = node_id {
        ours.push(KeyValue::new("service.instance.id", id.to_string()));
    }
    Resource::builder()
        .with_service_name(service_name.to_string())
        .with_attributes(ours)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::{Key, Value};

    #[test]
    fn ours_on_top_of_the_sdk_defaults() {
        let r = build("broadcast", Some("n3"));
        let get = |k: &'static str| r.get(&Key::from_static_str(k));
        assert_eq!(get("service.name"), Some(Value::from("broadcast")));
        assert_eq!(get("service.instance.id"), Some(Value::from("n3")));
        assert_eq!(
            get("service.version"),
            Some(Value::from(crate::build_info::VERSION))
        );
        assert_eq!(
            get("process.pid"),
            Some(Value::from(std::process::id() as i64))
        );
        assert!(get("telemetry.sdk.name").is_some());
        assert!(build("x", None)
            .get(&Key::from_static_str("service.instance.id"))
            .is_none());
    }
}
