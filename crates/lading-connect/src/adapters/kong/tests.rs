//! Fixture tests of the Kong adapter that need no server: bulk items, per-item results, links.

use super::adapter::{apply_answer, bulk_item, describe_errors, follow_link};
use super::client::BulkAnswer;
use crate::adapters::ItemResult;
use lading_core::TargetRecord;
use serde_json::{Value, json};

fn record(external_id: &str, fields: Value) -> TargetRecord {
    TargetRecord { external_id: external_id.into(), fields: fields.as_object().cloned().unwrap_or_default() }
}

fn answer(results: Value) -> BulkAnswer {
    serde_json::from_value(json!({ "results": results })).unwrap()
}

#[test]
fn a_bulk_item_is_the_external_id_then_the_fields() {
    let item =
        bulk_item(&record("42", json!({"name": "Chair", "external_id": "stale", "properties": {"COLOR": "NEGRO"}})));
    assert_eq!(item, json!({"external_id": "42", "name": "Chair", "properties": {"COLOR": "NEGRO"}}));
    assert_eq!(item.as_object().unwrap().keys().next().map(String::as_str), Some("external_id"));
}

#[test]
fn results_map_by_index_into_the_pending_records() {
    let records: Vec<TargetRecord> = ["a", "b", "c", "d"].iter().map(|id| record(id, json!({}))).collect();
    let mut results = vec![None, Some(ItemResult::Created), None, None];
    // The second round sent only records 0, 2 and 3.
    let pending = [0, 2, 3];
    let unavailable = apply_answer(
        &answer(json!([
            {"index": 0, "external_id": "a", "status": "updated"},
            {"index": 1, "external_id": "c", "status": "error", "code": "unavailable", "errors": ["try later"]},
            {"index": 2, "external_id": "d", "status": "error", "code": "invalid", "errors": {"ean": ["bad check digit"]}},
        ])),
        &pending,
        &records,
        &mut results,
    );
    assert_eq!(unavailable, vec![2]);
    assert_eq!(results[0], Some(ItemResult::Updated));
    assert_eq!(results[1], Some(ItemResult::Created), "an item confirmed earlier stays confirmed");
    assert!(matches!(&results[2], Some(ItemResult::Failed { retryable: true, .. })));
    match &results[3] {
        Some(ItemResult::Failed { reason, retryable: false }) => {
            assert!(reason.contains("ean: bad check digit"), "{reason}")
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
}

#[test]
fn a_result_whose_index_disagrees_with_its_external_id_goes_by_external_id() {
    let records: Vec<TargetRecord> = ["a", "b"].iter().map(|id| record(id, json!({}))).collect();
    let mut results = vec![None, None];
    apply_answer(
        &answer(
            json!([{"index": 0, "external_id": "b", "status": "created"}, {"external_id": "a", "status": "unchanged"}]),
        ),
        &[0, 1],
        &records,
        &mut results,
    );
    assert_eq!(results, vec![Some(ItemResult::Unchanged), Some(ItemResult::Created)]);
}

#[test]
fn errors_read_on_one_line() {
    assert_eq!(describe_errors(&json!(["a", "b"])), "a; b");
    assert_eq!(describe_errors(&json!({"name": ["required"], "ean": "bad"})), "name: required; ean: bad");
    assert_eq!(describe_errors(&Value::Null), "no details");
}

#[test]
fn next_links_must_stay_on_kong() {
    let base = reqwest::Url::parse("http://127.0.0.1:8080").unwrap();
    assert_eq!(
        follow_link(&base, "http://127.0.0.1:8080/inventory/skus/?page=2").as_deref(),
        Some("http://127.0.0.1:8080/inventory/skus/?page=2")
    );
    assert_eq!(
        follow_link(&base, "/inventory/skus/?page=3").as_deref(),
        Some("http://127.0.0.1:8080/inventory/skus/?page=3")
    );
    assert_eq!(follow_link(&base, "http://evil.example/inventory/skus/?page=2"), None);
    assert_eq!(follow_link(&base, "http://127.0.0.1:9999/inventory/skus/"), None);
}
