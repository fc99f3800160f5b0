//! The shipped Kong and WMS mappings on Siesa rows shaped like `docs/wire-contract.md`:
//! padded text, ids as numbers or strings, decimal commas, missing barcodes, UPC-A and
//! GTIN-14 codes, bad EANs, EPCs and chip ids.

use super::{kong, record, wms};
use lading_core::mapping::Mapping;
use lading_core::mapping::bench_support::siesa_item_rows;
use serde_json::{Value, json};

/// A complete `API_v2_Items` row as the Siesa extractor hands it over, changed by `edit`.
fn row(edit: impl FnOnce(&mut Value)) -> Value {
    let mut row = json!({
        "f120_id_cia": 1,
        "f120_id": 1042,
        "f120_referencia": "REF-001042          ",
        "f120_descripcion": "BASE CAMA AJUSTABLE QUEEN               ",
        "f120_descripcion_corta": "BASE QUEEN          ",
        "f120_id_unidad_inventario": "UND ",
        "f120_id_unidad_empaque": "CAJ ",
        "f120_id_tipo_inv_serv": "INV01",
        "f120_ind_estado": "1",
        "f120_peso": "1,25",
        "f120_fecha_creacion": "2023-05-01T00:00:00",
        "f120_notas": "      ",
        "f120_color": "NEGRO     ",
        "f120_talla": "M  ",
        "barcode": "7705751519063",
        "epc": "3035D6525C32B08000000025",
        "barcodes": [
            {"f131_id": "7705751519063", "f131_id_unidad_medida": "UND "},
            {"f131_id": "3035D6525C32B08000000025", "f131_id_unidad_medida": "EPC "}
        ],
        "f122_factor": "12,0000"
    });
    edit(&mut row);
    row
}

/// Maps `row` and expects the target fields (compared as JSON text, so order counts too), or
/// the issues as `field code: message`.
fn check(mapping: &Mapping, row: Value, expected: Result<Value, &[&str]>) {
    let actual = mapping
        .apply(&record(row.clone()))
        .map(|target| {
            assert_eq!(Some(&Value::String(target.external_id.clone())), target.fields.get("external_id"));
            serde_json::to_string_pretty(&target.fields).unwrap_or_default()
        })
        .map_err(|issues| issues.iter().map(|i| format!("{} {}: {}", i.field, i.code, i.message)).collect::<Vec<_>>());
    let expected = expected
        .map(|fields| serde_json::to_string_pretty(&fields).unwrap_or_default())
        .map_err(|lines| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>());
    assert_eq!(actual, expected, "row {row}");
}

#[test]
fn kong_maps_a_complete_row() {
    check(
        &kong(),
        row(|_| {}),
        Ok(json!({
            "external_id": "1042",
            "name": "BASE CAMA AJUSTABLE QUEEN",
            "reference": "REF-001042",
            "product_id": "REF-001042",
            "ean": "7705751519063",
            "rfid_tag_id": "3035D6525C32B08000000025",
            "properties": {"COLOR": "NEGRO", "TALLA": "M", "UNIDAD": "UND"}
        })),
    );
}

#[test]
fn kong_accepts_items_without_codes_and_normalises_upca_and_gtin14() {
    let no_codes = row(|r| {
        r["f120_id"] = json!("2001");
        r["f120_referencia"] = json!("ref-2001            ");
        r["barcode"] = Value::Null;
        r["epc"] = Value::Null;
        r["barcodes"] = json!([]);
        r["f120_color"] = json!("          ");
    });
    check(
        &kong(),
        no_codes,
        Ok(json!({
            "external_id": "2001",
            "name": "BASE CAMA AJUSTABLE QUEEN",
            "reference": "REF-2001",
            "product_id": "REF-2001",
            "ean": null,
            "rfid_tag_id": null,
            "properties": {"COLOR": null, "TALLA": "M", "UNIDAD": "UND"}
        })),
    );
    for (barcode, ean) in
        [("036000291452", "0036000291452"), ("07705751519063", "7705751519063"), (" 7705751519063 ", "7705751519063")]
    {
        let target = kong().apply(&record(row(|r| r["barcode"] = json!(barcode)))).unwrap();
        assert_eq!(target.fields["ean"], json!(ean), "barcode {barcode:?}");
    }
}

#[test]
fn kong_quarantines_bad_codes_and_blank_names_with_reasons() {
    check(
        &kong(),
        row(|r| r["barcode"] = json!("1234567890123")),
        Err(&[
            "canonical.ean invalid_ean13: barcode = \"1234567890123\": not a valid EAN-13: EAN-13 check digit is 3, expected 8",
        ]),
    );
    check(
        &kong(),
        row(|r| r["epc"] = json!("E2801160600002054C9A")),
        Err(&[
            "canonical.epc invalid_epc: epc = \"E2801160600002054C9A\": not a valid SGTIN-96 EPC: looks like an RFID chip id (TID: starts with E2, 20 characters), not an EPC; an SGTIN-96 EPC has 24 hex characters starting with 30",
        ]),
    );
    check(
        &kong(),
        row(|r| {
            r["f120_descripcion"] = json!("                                        ");
            r["barcode"] = json!("77057515190");
            r["f120_referencia"] = Value::Null;
        }),
        Err(&[
            "canonical.name missing_required: f120_descripcion is missing or blank, and a value is required",
            "canonical.reference missing_required: f120_referencia is missing or blank, and a value is required",
            "canonical.ean invalid_ean13: barcode = \"77057515190\": not a valid EAN-13: has 11 digits, expected 13 (EAN-13), 12 (UPC-A) or 14 (GTIN-14 starting with 0)",
        ]),
    );
    check(
        &kong(),
        row(|r| drop(r.as_object_mut().map(|o| o.remove("f120_id")))),
        Err(&["canonical.external_id missing_required: f120_id is missing or blank, and a value is required"]),
    );
}

#[test]
fn wms_maps_a_complete_row() {
    check(
        &wms(),
        row(|_| {}),
        Ok(json!({
            "name": "BASE CAMA AJUSTABLE QUEEN",
            "display_name": "BASE QUEEN",
            "external_id": "1042",
            "reference_id": "REF-001042",
            "barcode_type": "EAN13",
            "barcode": "7705751519063",
            "status": "ACTIVE",
            "inventory_unit": "UND",
            "presentation": "CAJ x 12",
            "groups": ["INV01"],
            "properties": {"weigth": "1.25", "COLOR": "NEGRO", "TALLA": "M"}
        })),
    );
}

#[test]
fn wms_falls_back_and_reads_every_flag_style() {
    let plain = row(|r| {
        r["f120_id"] = json!("  2001 ");
        r["f120_descripcion_corta"] = json!("                    ");
        r["f120_id_unidad_empaque"] = json!("UND ");
        r["f122_factor"] = Value::Null;
        r["f120_ind_estado"] = json!("N");
        r["f120_peso"] = json!(0.5);
        r["barcode"] = Value::Null;
        r["f120_id_tipo_inv_serv"] = Value::Null;
    });
    check(
        &wms(),
        plain,
        Ok(json!({
            "name": "BASE CAMA AJUSTABLE QUEEN",
            "display_name": "BASE CAMA AJUSTABLE QUEEN",
            "external_id": "2001",
            "reference_id": "REF-001042",
            "barcode_type": null,
            "barcode": null,
            "status": "INACTIVE",
            "inventory_unit": "UND",
            "presentation": "UND",
            "groups": [],
            "properties": {"weigth": "0.5", "COLOR": "NEGRO", "TALLA": "M"}
        })),
    );
    for (flag, status) in [
        (json!("1"), "ACTIVE"),
        (json!(1), "ACTIVE"),
        (json!("S"), "ACTIVE"),
        (json!("0"), "INACTIVE"),
        (json!(0), "INACTIVE"),
    ] {
        let target = wms().apply(&record(row(|r| r["f120_ind_estado"] = flag.clone()))).unwrap();
        assert_eq!(target.fields["status"], json!(status), "flag {flag}");
    }
    let pack = wms().apply(&record(row(|r| r["f122_factor"] = json!(6)))).unwrap();
    assert_eq!(pack.fields["presentation"], json!("CAJ x 6"));
    let heavy = wms().apply(&record(row(|r| r["f120_peso"] = json!("1.234,5")))).unwrap();
    assert_eq!(heavy.fields["properties"]["weigth"], json!("1234.5"));
}

#[test]
fn wms_quarantines_unknown_flags_and_bad_weights() {
    check(
        &wms(),
        row(|r| {
            r["f120_ind_estado"] = json!("7");
            r["f120_peso"] = json!("1,2,5");
            r["f122_factor"] = json!("doce");
        }),
        Err(&[
            "canonical.pack_factor invalid_decimal: f122_factor = \"doce\": not a decimal number: 'd' is not a digit or separator; expected a number such as 1.25, 1,25, 1.234,50 or 1.234,50-",
            "canonical.active invalid_boolean: f120_ind_estado = \"7\": not a boolean; expected X or blank, S or N, 1 or 0, true or false",
            "canonical.weight_kg invalid_decimal: f120_peso = \"1,2,5\": not a decimal number: thousands groups must have 3 digits; expected a number such as 1.25, 1,25, 1.234,50 or 1.234,50-",
        ]),
    );
    check(
        &wms(),
        row(|r| drop(r.as_object_mut().map(|o| o.remove("f120_ind_estado")))),
        Err(&["canonical.active missing_required: f120_ind_estado is missing or blank, and a value is required"]),
    );
}

#[test]
fn the_benchmark_rows_map_as_the_generator_intends() {
    let rows = siesa_item_rows(2_000);
    let (kong, wms) = (kong(), wms());
    let mut quarantined = 0;
    for source in &rows {
        match kong.apply(source) {
            Ok(target) => {
                assert_eq!(target.external_id, source.key);
                let ean = &target.fields["ean"];
                assert!(ean.is_null() || ean.as_str().is_some_and(|e| e.len() == 13), "{ean}");
                assert!(wms.apply(source).is_ok(), "{source:?}");
            }
            Err(issues) => {
                quarantined += 1;
                assert!(!issues.is_empty());
            }
        }
    }
    assert!((20..=120).contains(&quarantined), "{quarantined} of 2000 quarantined");
    assert_eq!(siesa_item_rows(50), siesa_item_rows(50)[..].to_vec(), "rows are deterministic");
}
