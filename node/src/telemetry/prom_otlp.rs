//! Prometheus snapshot → OTLP metrics: the same registry that feeds `metrics.prom` is
//! converted on each push, so OTLP metric names and labels are exactly the Prometheus ones.
//! Counters become cumulative monotonic sums, histograms cumulative explicit-bucket
//! histograms, gauges gauges.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, AggregationTemporality, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prometheus::proto::{MetricFamily, MetricType};

fn attributes(m: &prometheus::proto::Metric) -> Vec<KeyValue> {
    m.get_label()
        .iter()
        .map(|l| KeyValue {
            key: l.name().to_string(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(l.value().to_string())),
            }),
            ..Default::default()
        })
        .collect()
}

fn convert(f: &MetricFamily, start_ns: u64, now_ns: u64) -> Option<Metric> {
    let cumulative = AggregationTemporality::Cumulative as i32;
    let number = |m: &prometheus::proto::Metric, v: f64| NumberDataPoint {
        attributes: attributes(m),
        start_time_unix_nano: start_ns,
        time_unix_nano: now_ns,
        value: Some(if v.fract() == 0.0 && v.abs() < 9.0e15 {
            number_data_point::Value::AsInt(v as i64)
        } else {
            number_data_point::Value::AsDouble(v)
        }),
        ..Default::default()
    };
    let data = match f.get_field_type() {
        MetricType::COUNTER => metric::Data::Sum(Sum {
            data_points: f
                .get_metric()
                .iter()
                .map(|m| number(m, m.get_counter().get_value()))
                .collect(),
            aggregation_temporality: cumulative,
            is_monotonic: true,
        }),
        MetricType::GAUGE => metric::Data::Gauge(Gauge {
            data_points: f
                .get_metric()
                .iter()
                .map(|m| number(m, m.get_gauge().get_value()))
                .collect(),
        }),
        MetricType::HISTOGRAM => metric::Data::Histogram(Histogram {
            data_points: f
                .get_metric()
                .iter()
                .map(|m| {
                    let h = m.get_histogram();
                    let mut bounds = Vec::new();
                    let mut counts = Vec::new();
                    let mut below = 0u64;
                    for b in h.get_bucket() {
                        if b.upper_bound().is_infinite() {
                            continue;
                        }
                        bounds.push(b.upper_bound());
                        counts.push(b.cumulative_count().saturating_sub(below));
                        below = b.cumulative_count();
                    }
                    // The +Inf bucket: everything above the last bound.
                    counts.push(h.get_sample_count().saturating_sub(below));
                    HistogramDataPoint {
                        attributes: attributes(m),
                        start_time_unix_nano: start_ns,
                        time_unix_nano: now_ns,
                        count: h.get_sample_count(),
                        sum: Some(h.get_sample_sum()),
                        bucket_counts: counts,
                        explicit_bounds: bounds,
                        ..Default::default()
                    }
                })
                .collect(),
            aggregation_temporality: cumulative,
        }),
        _ => return None,
    };
    Some(Metric {
        name: f.name().to_string(),
        description: f.help().to_string(),
        unit: if f.name().ends_with("_seconds") {
            "s".into()
        } else {
            String::new()
        },
        data: Some(data),
        ..Default::default()
    })
}

/// One OTLP export request holding every family of a snapshot.
pub(crate) fn to_request(
    families: &[MetricFamily],
    resource: Resource,
    start_ns: u64,
    now_ns: u64,
) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "glomers".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ..Default::default()
                }),
                metrics: families
                    .iter()
                    .filter_map(|f| convert(f, start_ns, now_ns))
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::metrics::Metrics;

    #[test]
    fn counters_and_histograms() {
        let m = Metrics::new();
        m.sent
            .with_label_values(&["n0", "echo_ok", "client"])
            .inc_by(3);
        let h = m
            .rpc_duration
            .with_label_values(&["n0", "read", "service", "ok"]);
        h.observe(0.0001);
        h.observe(100.0);
        let req = to_request(&m.registry.gather(), Resource::default(), 1, 2);
        let metrics = &req.resource_metrics[0].scope_metrics[0].metrics;
        let sent = metrics
            .iter()
            .find(|m| m.name == "glomers_messages_sent_total")
            .unwrap();
        let Some(metric::Data::Sum(sum)) = &sent.data else {
            panic!("sum expected")
        };
        assert!(sum.is_monotonic);
        assert_eq!(
            sum.data_points[0].value,
            Some(number_data_point::Value::AsInt(3))
        );
        let rpc = metrics
            .iter()
            .find(|m| m.name == "glomers_rpc_duration_seconds")
            .unwrap();
        let Some(metric::Data::Histogram(hist)) = &rpc.data else {
            panic!("histogram expected")
        };
        let p = &hist.data_points[0];
        assert_eq!(p.count, 2);
        assert_eq!(p.bucket_counts.len(), p.explicit_bounds.len() + 1);
        assert_eq!(p.bucket_counts[0], 1);
        assert_eq!(*p.bucket_counts.last().unwrap(), 1);
    }
}
