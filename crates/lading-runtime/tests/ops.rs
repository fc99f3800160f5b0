//! The shipped ops files agree with the code: the Grafana dashboard and the Prometheus rules use
//! only metrics (and labels) Lading exports, the dashboard shows every metric, and every
//! built-in alert rule has a Prometheus counterpart.

use lading_runtime::alerts::Rule;
use lading_runtime::metrics;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn ops_file(path: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ops").join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A metric selector of a PromQL expression: the metric as exported (a histogram's `_bucket`,
/// `_sum`, `_count` series map to the histogram) and the label names it matches on.
#[derive(Debug)]
struct Selector {
    series: String,
    metric: Option<&'static str>,
    labels: Vec<String>,
}

fn selectors(expr: &str) -> Vec<Selector> {
    let bytes = expr.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(start) = expr[i..].find("lading_").map(|s| s + i) {
        let preceded_by_word = start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let end =
            expr[start..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(expr.len(), |e| e + start);
        i = end;
        if preceded_by_word {
            continue;
        }
        let series = expr[start..end].to_string();
        let metric = metrics::ALL.iter().copied().find(|m| *m == series).or_else(|| {
            metrics::HISTOGRAMS
                .iter()
                .copied()
                .find(|h| series.strip_prefix(h).is_some_and(|suffix| ["_bucket", "_sum", "_count"].contains(&suffix)))
        });
        let mut labels = Vec::new();
        if expr[end..].starts_with('{') {
            let close = expr[end..].find('}').expect("a closed selector") + end;
            for matcher in expr[end + 1..close].split(',') {
                let name: String =
                    matcher.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    labels.push(name);
                }
            }
        }
        found.push(Selector { series, metric, labels });
    }
    found
}

/// Checks every selector of `expr` against the exported metrics; returns the metrics used.
fn check_expr(expr: &str, context: &str) -> BTreeSet<&'static str> {
    let found = selectors(expr);
    assert!(!found.is_empty(), "{context}: no lading metric in {expr:?}");
    let mut used = BTreeSet::new();
    for selector in found {
        let metric =
            selector.metric.unwrap_or_else(|| panic!("{context}: {} is not a metric Lading exports", selector.series));
        let known = metrics::LABELS.iter().find(|(name, _)| *name == metric).unwrap().1;
        for label in &selector.labels {
            let is_bucket_le = label == "le" && selector.series.ends_with("_bucket");
            assert!(known.contains(&label.as_str()) || is_bucket_le, "{context}: {metric} has no label {label}");
        }
        used.insert(metric);
    }
    used
}

#[test]
fn the_prometheus_rules_use_exported_metrics_and_mirror_every_built_in_rule() {
    let rules: serde_json::Value = serde_norway::from_str(&ops_file("prometheus/alerts.yml")).unwrap();
    let mut mirrored = BTreeSet::new();
    let mut names = BTreeSet::new();
    for group in rules["groups"].as_array().expect("groups") {
        assert!(group["name"].is_string());
        for rule in group["rules"].as_array().expect("rules") {
            let name = rule["alert"].as_str().expect("every rule is an alerting rule");
            assert!(names.insert(name.to_string()), "{name} is defined twice");
            check_expr(rule["expr"].as_str().expect("expr"), name);
            let severity = rule["labels"]["severity"].as_str().expect("a severity label");
            assert!(["info", "warning", "error", "critical"].contains(&severity), "{name}: severity {severity}");
            let mirrors = rule["labels"]["rule"].as_str().expect("a rule label");
            let built_in = Rule::parse(mirrors).unwrap_or_else(|| panic!("{name}: {mirrors} is not a built-in rule"));
            assert_eq!(severity, built_in.default_severity().as_str(), "{name} has the severity of {mirrors}");
            assert!(rule["annotations"]["summary"].is_string(), "{name} has a summary");
            mirrored.insert(mirrors.to_string());
        }
    }
    for rule in Rule::ALL {
        assert!(mirrored.contains(rule.name()), "the built-in rule {} has no Prometheus counterpart", rule.name());
    }
}

#[test]
fn the_grafana_dashboard_shows_every_metric_filtered_by_tenant() {
    let dashboard: serde_json::Value = serde_json::from_str(&ops_file("grafana/lading-dashboard.json")).unwrap();
    assert_eq!(dashboard["uid"], "lading-overview");
    assert!(dashboard["schemaVersion"].as_u64().unwrap() >= 36);
    let variables: Vec<&str> =
        dashboard["templating"]["list"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(variables, ["datasource", "tenant", "pipeline"]);

    let mut used = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        let title = panel["title"].as_str().unwrap();
        assert!(ids.insert(panel["id"].as_u64().unwrap()), "{title}: panel ids are unique");
        for key in ["x", "y", "w", "h"] {
            assert!(panel["gridPos"][key].is_u64(), "{title}: gridPos.{key}");
        }
        if panel["type"] == "row" {
            continue;
        }
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{title} has a query");
        for target in targets {
            let expr = target["expr"].as_str().unwrap();
            assert!(expr.contains("tenant=~\"$tenant\""), "{title}: filtered by the tenant variable: {expr}");
            used.extend(check_expr(expr, title));
        }
    }
    let missing: Vec<&str> = metrics::ALL.iter().copied().filter(|m| !used.contains(m)).collect();
    assert!(missing.is_empty(), "metrics no panel shows: {missing:?}");
}

#[test]
fn the_metrics_doc_lists_every_metric_and_rule() {
    let doc = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/alerts.md")).unwrap();
    for metric in metrics::ALL {
        assert!(doc.contains(&format!("`{metric}`")), "docs/alerts.md lists {metric}");
    }
    for rule in Rule::ALL {
        assert!(doc.contains(&format!("`{}`", rule.name())), "docs/alerts.md describes {}", rule.name());
    }
}
