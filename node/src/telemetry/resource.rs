//! The OTLP resource describing a node process: the `OTEL_RESOURCE_ATTRIBUTES` pairs, then
//! `service.name`, `service.instance.id` (the node id), `service.version` (the build's
//! version, `build_info::VERSION`), `process.pid` and the
//! `telemetry.sdk.*` attributes (ours take precedence over the variable's).

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::span_otlp::kv;

/// `k=v,k2=v2` pairs (keys and values trimmed; malformed or empty-key items skipped).
fn parse_attributes(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|item| {
            let (k, v) = item.split_once('=')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_string(), v.trim().to_string()))
        })
        .collect()
}

/// The resource of this process, with `OTEL_RESOURCE_ATTRIBUTES` read from the environment.
pub(crate) fn build(service_name: &str, node_id: &str) -> Resource {
    let env = std::env::var("OTEL_RESOURCE_ATTRIBUTES").unwrap_or_default();
    build_with(&env, service_name, node_id, std::process::id())
}

fn build_with(env: &str, service_name: &str, node_id: &str, pid: u32) -> Resource {
    let ours: Vec<KeyValue> = vec![
        kv("service.name", Value::StringValue(service_name.into())),
        kv("service.instance.id", Value::StringValue(node_id.into())),
        kv(
            "service.version",
            Value::StringValue(crate::build_info::VERSION.into()),
        ),
        kv("process.pid", Value::IntValue(pid as i64)),
        kv("telemetry.sdk.name", Value::StringValue("glomers".into())),
        kv("telemetry.sdk.language", Value::StringValue("rust".into())),
    ];
    let mut attributes: Vec<KeyValue> = parse_attributes(env)
        .into_iter()
        .filter(|(k, _)| !ours.iter().any(|o| o.key == *k))
        .map(|(k, v)| kv(&k, Value::StringValue(v)))
        .collect();
    attributes.extend(ours);
    Resource {
        attributes,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(r: &'a Resource, key: &str) -> Option<&'a Value> {
        r.attributes
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.value.as_ref()?.value.as_ref())
    }

    #[test]
    fn env_pairs_then_ours() {
        let r = build_with(
            " deployment.environment = test ,service.name=x,bad,=v",
            "broadcast",
            "n3",
            42,
        );
        assert_eq!(
            get(&r, "deployment.environment"),
            Some(&Value::StringValue("test".into()))
        );
        assert_eq!(
            get(&r, "service.name"),
            Some(&Value::StringValue("broadcast".into()))
        );
        assert_eq!(
            get(&r, "service.instance.id"),
            Some(&Value::StringValue("n3".into()))
        );
        assert_eq!(get(&r, "process.pid"), Some(&Value::IntValue(42)));
        assert_eq!(
            get(&r, "service.version"),
            Some(&Value::StringValue(crate::build_info::VERSION.into()))
        );
        assert_eq!(
            r.attributes
                .iter()
                .filter(|a| a.key == "service.name")
                .count(),
            1
        );
        assert!(r
            .attributes
            .iter()
            .all(|a| !a.key.is_empty() && a.key != "bad"));
    }
}
