//! Fixture tests of the WMS adapter that need no server: bodies, pages, ids, rejections.

use super::adapter::product_body;
use super::client::{ProductPage, describe_rejection, product_id, read_product_page};
use lading_core::TargetRecord;
use serde_json::{Value, json};

#[test]
fn a_product_body_is_the_external_id_then_the_fields() {
    let record = TargetRecord {
        external_id: "1042".into(),
        fields: json!({"name": "Base", "external_id": "stale", "status": "ACTIVE"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    assert_eq!(product_body(&record), json!({"external_id": "1042", "name": "Base", "status": "ACTIVE"}));
}

#[test]
fn pages_end_when_the_cursor_is_absent() {
    let check = |json: Value, cursor: Option<&str>| {
        let page = read_product_page(&json).unwrap();
        assert_eq!(page.cursor.as_deref(), cursor, "{json}");
    };
    check(json!({"items": [], "last_evaluated_key_id": "p-100"}), Some("p-100"));
    check(json!({"items": [], "last_evaluated_key_id": 100}), Some("100"));
    check(json!({"items": []}), None);
    check(json!({"items": [], "last_evaluated_key_id": null}), None);
    assert_eq!(read_product_page(&json!({"products": []})), None::<ProductPage>);
}

#[test]
fn ids_come_as_text_or_numbers() {
    assert_eq!(product_id(&json!({"id": "p-1"})).as_deref(), Some("p-1"));
    assert_eq!(product_id(&json!({"id": 7})).as_deref(), Some("7"));
    assert_eq!(product_id(&json!({"id": ""})), None);
    assert_eq!(product_id(&json!({})), None);
}

#[test]
fn rejections_quote_the_server() {
    let json = json!({"error": "validation_error", "message": "the product is not valid",
        "details": [{"field": "name", "message": "name is required"}, {"field": "barcode", "message": "bad check digit"}]});
    assert_eq!(
        describe_rejection(&json, "raw"),
        "the product is not valid: validation_error: name: name is required; barcode: bad check digit"
    );
    let json = json!({"error": "conflict", "message": "exists", "details": {"id": 1}});
    assert_eq!(describe_rejection(&json, "raw"), r#"exists: conflict: {"id":1}"#);
    assert_eq!(describe_rejection(&Value::Null, "raw body"), "raw body");
}
