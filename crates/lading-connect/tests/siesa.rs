//! The Siesa source against the Connekta simulator on loopback: joins, end of data, failures.

mod common;

use common::{fast_settings, siesa_sim, siesa_source, siesa_source_with_keys};
use lading_connect::ErrorKind;
use lading_sim::faults::{EndOfData, Faults};
use lading_sim::siesa::Defect;
use serde_json::Value;
use std::collections::HashMap;

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.trim().to_string(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn a_full_extract_of_10000_items_joins_by_f120_id() {
    let sim = siesa_sim(10_000, Faults::default()).await;
    let source = siesa_source(&sim, "acme", 500, fast_settings());
    let extract = source.extract().await.expect("extract succeeds");
    let catalogue = sim.catalogue("1");
    assert_eq!(catalogue.len(), 10_000);
    assert_eq!(extract.records.len(), catalogue.len(), "one record per item, repeated rows merged");
    assert!(extract.stats.duplicate_item_rows > 0, "the simulator repeats some rows: {:?}", extract.stats);
    assert_eq!(extract.stats.item_rows_without_id, 0);

    let by_key: HashMap<&str, &lading_core::SourceRecord> =
        extract.records.iter().map(|r| (r.key.as_str(), r)).collect();
    let mut renamed_with_barcode = 0;
    for item in &catalogue {
        let key = item.f120_id.to_string();
        let record = by_key.get(key.as_str()).unwrap_or_else(|| panic!("item {key} missing"));
        let fields = &record.fields;
        assert_eq!(text(&fields["f120_referencia"]), item.referencia, "item {key}: first row wins");
        assert_eq!(fields["barcode"].as_str(), item.barcode.as_deref(), "item {key}: barcode");
        assert_eq!(fields["epc"].as_str(), item.epc.as_deref(), "item {key}: epc");
        assert_eq!(
            text(&fields["f122_factor"]).split([',', '.']).next().map(str::to_string),
            Some(item.pack_factor.to_string()),
            "item {key}: factor"
        );
        assert!(fields["barcodes"].is_array());
        if item.has(Defect::Renamed) && item.barcode.is_some() {
            renamed_with_barcode += 1;
        }
        if item.has(Defect::NoBarcode) {
            assert_eq!(fields["barcode"], Value::Null, "item {key} has no barcode");
        }
    }
    assert!(renamed_with_barcode > 0, "the simulator renames some items that keep their barcodes");

    let pages: u32 = extract.stats.queries.iter().map(|q| q.pages).sum();
    assert_eq!(extract.raw_pages.len() as u32, pages);
    assert!(extract.raw_pages.iter().all(|page| page.body.starts_with('{')));
    assert_eq!(extract.stats.queries[0].query, "API_v2_Items");
    assert!(sim.credentials_seen().iter().all(|seen| seen == common::SIESA_KEY));
    sim.shutdown().await;
}

#[tokio::test]
async fn every_end_of_data_variant_ends_the_query() {
    let cases = [
        (EndOfData::EmptyTable, "empty table"),
        (EndOfData::Codigo1, "codigo 1"),
        (EndOfData::Http400, "http 400 no records"),
    ];
    for (end_of_data, name) in cases {
        // A catalogue that fits in one short page: the page after it is past the end.
        let sim = siesa_sim(3, Faults { end_of_data, ..Faults::default() }).await;
        let extract = siesa_source(&sim, "acme", 100, fast_settings()).extract().await.expect("extract succeeds");
        assert_eq!(extract.records.len(), 3, "{end_of_data:?}");
        for query in &extract.stats.queries {
            assert_eq!(query.end, name, "{end_of_data:?}: {query:?}");
            assert_eq!(query.requests, 2, "one page of rows, one past the end: {query:?}");
        }
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_page_size_cap_loses_no_rows() {
    let sim = siesa_sim(1_000, Faults { page_size_cap: Some(30), ..Faults::default() }).await;
    let extract = siesa_source(&sim, "acme", 100, fast_settings()).extract().await.expect("extract succeeds");
    assert_eq!(extract.records.len(), 1_000);
    let items = &extract.stats.queries[0];
    assert_eq!(items.largest_page, 30, "{items:?}");
    assert!(items.pages > 30, "{items:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn data_ending_on_a_full_page_needs_the_end_signal() {
    // Page size 1: every page is "full", only the end signal stops the loop.
    let sim = siesa_sim(4, Faults { end_of_data: EndOfData::Codigo1, ..Faults::default() }).await;
    let extract = siesa_source(&sim, "acme", 1, fast_settings()).extract().await.expect("extract succeeds");
    assert_eq!(extract.records.len(), 4);
    assert!(extract.stats.queries.iter().all(|q| q.end == "codigo 1"), "{:?}", extract.stats.queries);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_alerta_row_is_a_failure_not_the_end() {
    let alerta = "La consulta API_v2_Items requiere el parametro f120_id_cia";
    let sim = siesa_sim(10, Faults { alerta: Some(alerta.into()), ..Faults::default() }).await;
    let error = siesa_source(&sim, "acme", 100, fast_settings()).extract().await.expect_err("alerta fails the extract");
    assert_eq!(error.kind(), &ErrorKind::QueryFailed { code: None });
    assert!(!error.is_retryable());
    let message = error.to_string();
    assert!(message.starts_with("tenant acme: siesa rejected query API_v2_"), "{message}");
    assert!(message.contains(alerta), "{message}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_codigo_other_than_0_and_1_is_a_failure() {
    let sim = siesa_sim(10, Faults { codigo_error: Some(5), ..Faults::default() }).await;
    let error =
        siesa_source(&sim, "acme", 100, fast_settings()).extract().await.expect_err("codigo 5 fails the extract");
    assert_eq!(error.kind(), &ErrorKind::QueryFailed { code: Some(5) });
    assert!(error.to_string().contains("codigo 5"), "{error}");
    sim.shutdown().await;
}

#[tokio::test]
async fn wrong_keys_give_a_clear_unauthorized_error_without_secrets() {
    let sim = siesa_sim(10, Faults::default()).await;
    let source = siesa_source_with_keys(&sim, "acme", 100, fast_settings(), "wrong-key-123", "wrong-token-456");
    let error = source.extract().await.expect_err("bad keys fail");
    assert_eq!(error.kind(), &ErrorKind::Unauthorized);
    assert_eq!(
        error.to_string(),
        "tenant acme: siesa rejected the credentials (401): check ConniKey/ConniToken in secret siesa-integration/acme/kong"
    );
    let debug = format!("{error:?}");
    for secret in ["wrong-key-123", "wrong-token-456"] {
        assert!(!debug.contains(secret) && !error.to_string().contains(secret), "{debug}");
    }
    sim.shutdown().await;
}
