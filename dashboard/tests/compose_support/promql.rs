//! The series a Grafana panel query selects: Grafana's interval variables are given a value,
//! the query is parsed with a real PromQL parser, and every vector selector's metric name and
//! matched label names are collected.

use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr};

/// One vector selector of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub metric: String,
    /// Every label name a matcher names.
    pub labels: Vec<String>,
    /// The `label="value"` equality matchers.
    pub equals: Vec<(String, String)>,
}

/// Grafana's built-in range variables, replaced by a duration so the query parses.
const RANGE_VARIABLES: &[&str] = &["$__rate_interval", "$__interval", "$__range"];

/// Every selector of a Grafana Prometheus query, or the parser's error.
pub fn selectors(grafana_expr: &str) -> Result<Vec<Selector>, String> {
    let mut q = grafana_expr.to_string();
    for v in RANGE_VARIABLES {
        q = q.replace(v, "5m");
    }
    let expr = parser::parse(&q).map_err(|e| format!("{grafana_expr}: {e}"))?;
    let mut out = Vec::new();
    walk(&expr, &mut out)?;
    Ok(out)
}

fn vector(vs: &parser::VectorSelector, out: &mut Vec<Selector>) -> Result<(), String> {
    let metric = match &vs.name {
        Some(n) => n.clone(),
        None => vs
            .matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__")
            .map(|m| m.value.clone())
            .ok_or("a selector without a metric name")?,
    };
    let labels = vs
        .matchers
        .matchers
        .iter()
        .chain(vs.matchers.or_matchers.iter().flatten())
        .map(|m| m.name.clone())
        .filter(|n| n != "__name__")
        .collect();
    let equals = vs
        .matchers
        .matchers
        .iter()
        .filter(|m| m.name != "__name__" && matches!(m.op, MatchOp::Equal))
        .map(|m| (m.name.clone(), m.value.clone()))
        .collect();
    out.push(Selector {
        metric,
        labels,
        equals,
    });
    Ok(())
}

fn walk(e: &Expr, out: &mut Vec<Selector>) -> Result<(), String> {
    match e {
        Expr::VectorSelector(vs) => vector(vs, out),
        Expr::MatrixSelector(ms) => vector(&ms.vs, out),
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                walk(p, out)?;
            }
            walk(&a.expr, out)
        }
        Expr::Unary(u) => walk(&u.expr, out),
        Expr::Binary(b) => {
            walk(&b.lhs, out)?;
            walk(&b.rhs, out)
        }
        Expr::Paren(p) => walk(&p.expr, out),
        Expr::Subquery(s) => walk(&s.expr, out),
        Expr::Call(c) => c.args.args.iter().try_for_each(|a| walk(a, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => Ok(()),
        Expr::Extension(_) => Err("an extension expression".into()),
    }
}

/// The metric and label of a Grafana variable query `label_values(metric, label)`.
pub fn label_values(query: &str) -> Result<Selector, String> {
    let inner = query
        .trim()
        .strip_prefix("label_values(")
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("not label_values(metric, label): {query}"))?;
    let (metric, label) = inner
        .split_once(',')
        .ok_or_else(|| format!("label_values needs a metric: {query}"))?;
    let mut sel = selectors(metric.trim())?;
    if sel.len() != 1 {
        return Err(format!(
            "label_values over {} selectors: {query}",
            sel.len()
        ));
    }
    let mut s = sel.remove(0);
    s.labels.push(label.trim().to_string());
    Ok(s)
}

#[test]
fn selectors_of_a_grafana_query() {
    let s = selectors(
        r#"histogram_quantile(0.99, sum by (le) (rate(a_bucket{job=~"x|y",peer="node"}[$__rate_interval]))) / b"#,
    )
    .unwrap();
    assert_eq!(
        s,
        vec![
            Selector {
                metric: "a_bucket".into(),
                labels: vec!["job".into(), "peer".into()],
                equals: vec![("peer".into(), "node".into())],
            },
            Selector {
                metric: "b".into(),
                labels: vec![],
                equals: vec![],
            }
        ]
    );
    assert!(selectors("sum(rate(a[5m])").is_err());
    let lv = label_values("label_values(glomers_run_valid, workload)").unwrap();
    assert_eq!(lv.metric, "glomers_run_valid");
    assert_eq!(lv.labels, vec!["workload".to_string()]);
}
