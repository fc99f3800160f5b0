//! Fixture tests of the Siesa source that need no server: pages, end of data, the join.

use super::client::{EndOfData, Page, PageProblem, Row, is_short_page, read_page};
use super::join::{join, record_key};
use serde_json::{Value, json};

fn row(value: Value) -> Row {
    match value {
        Value::Object(map) => map,
        other => panic!("fixture row must be an object: {other}"),
    }
}

fn check_page(status: u16, body: &str, expected: Result<Page, PageProblem>) {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    assert_eq!(read_page(status, &json, body), expected, "{status} {body}");
}

#[test]
fn rows_are_read_from_detalle_table() {
    check_page(
        200,
        r#"{"codigo":0,"mensaje":"ok","detalle":{"Table":[{"f120_id":1},{"f120_id":"2"}]}}"#,
        Ok(Page::Rows(vec![row(json!({"f120_id": 1})), row(json!({"f120_id": "2"}))])),
    );
}

#[test]
fn the_three_end_of_data_signals() {
    check_page(200, r#"{"codigo":0,"mensaje":"ok","detalle":{"Table":[]}}"#, Ok(Page::End(EndOfData::EmptyTable)));
    check_page(200, r#"{"codigo":1,"mensaje":"Consulta existente sin datos."}"#, Ok(Page::End(EndOfData::Codigo1)));
    check_page(200, r#"{"codigo":"1","mensaje":"Consulta existente sin datos."}"#, Ok(Page::End(EndOfData::Codigo1)));
    check_page(400, r#"{"codigo":2,"mensaje":"No se encontraron registros"}"#, Ok(Page::End(EndOfData::NoRecords400)));
    check_page(400, "No se encontraron registros.", Ok(Page::End(EndOfData::NoRecords400)));
}

#[test]
fn alerta_and_codigo_are_failures_not_the_end() {
    check_page(
        200,
        r#"{"codigo":0,"mensaje":"ok","detalle":{"Table":[{"alerta":"El parametro idCompania no es valido  "}]}}"#,
        Err(PageProblem::Alerta("El parametro idCompania no es valido".into())),
    );
    check_page(
        200,
        r#"{"codigo":3,"mensaje":"Error interno"}"#,
        Err(PageProblem::Codigo { code: 3, mensaje: "Error interno".into() }),
    );
    check_page(200, r#"{"codigo":-1,"mensaje":""}"#, Err(PageProblem::Codigo { code: -1, mensaje: String::new() }));
}

#[test]
fn other_statuses_and_shapes_are_problems() {
    check_page(401, r#"{"message":"Unauthorized"}"#, Err(PageProblem::Unauthorized));
    check_page(403, "", Err(PageProblem::Unauthorized));
    check_page(400, r#"{"codigo":2,"mensaje":"Parametro invalido"}"#, Err(PageProblem::Rejected));
    check_page(404, "not found", Err(PageProblem::Rejected));
    check_page(200, r#"{"codigo":0,"mensaje":"ok"}"#, Err(PageProblem::Shape("no detalle.Table in the answer".into())));
    check_page(200, r#"[1,2]"#, Err(PageProblem::Shape("expected a json object, got an array".into())));
    check_page(
        200,
        r#"{"codigo":0,"detalle":{"Table":[1]}}"#,
        Err(PageProblem::Shape("row 0 of detalle.Table is a number, not an object".into())),
    );
}

#[test]
fn end_of_data_by_page_length() {
    // (rows in this page, largest page before it, is it the last page?)
    let cases = [
        (100, 0, false), // a full first page: more may follow
        (50, 0, false),  // a short first page: a cap or the end, cannot tell yet
        (50, 50, false), // as long as the first: the server caps at 50, read on
        (20, 50, true),  // shorter than the server's effective size: the end
        (99, 100, true), // one short of full
        (100, 100, false),
    ];
    for (rows, largest_before, last) in cases {
        assert_eq!(is_short_page(rows, largest_before), last, "rows {rows} after a largest page of {largest_before}");
    }
}

#[test]
fn keys_are_normalised() {
    let key = |value: Value| record_key(&row(json!({ "f120_id": value })));
    assert_eq!(key(json!(1042)), Some("1042".into()));
    assert_eq!(key(json!("1042")), Some("1042".into()));
    assert_eq!(key(json!(" 1042  ")), Some("1042".into()));
    assert_eq!(key(json!(1042.0)), Some("1042".into()));
    assert_eq!(key(json!("   ")), None);
    assert_eq!(key(Value::Null), None);
    assert_eq!(record_key(&row(json!({"f120_referencia": "X"}))), None);
}

fn items() -> Vec<Row> {
    vec![
        row(json!({"f120_id": 1, "f120_referencia": "REF-NEW-1           ", "f120_id_unidad_empaque": "CAJ "})),
        row(json!({"f120_id": "2", "f120_referencia": "REF-2               ", "f120_id_unidad_empaque": "UND "})),
        row(json!({"f120_id": "1", "f120_referencia": "REF-DUPLICATE       ", "f120_id_unidad_empaque": "CAJ "})),
        row(json!({"f120_referencia": "NO-ID"})),
        row(json!({"f120_id": 3, "f120_referencia": "REF-3"})),
    ]
}

fn barcodes() -> Vec<Row> {
    vec![
        // Item 1 was renamed: its barcode rows still carry the old reference.
        row(
            json!({"f120_id": 1, "f120_referencia": "REF-OLD-1           ", "f131_id": "7705751519063 ", "f131_id_unidad_medida": "UND "}),
        ),
        row(
            json!({"f120_id": 1, "f120_referencia": "REF-OLD-1", "f131_id": "3035D6525C32B08000000025", "f131_id_unidad_medida": "EPC "}),
        ),
        row(
            json!({"f120_id": "1", "f120_referencia": "REF-OLD-1", "f131_id": "7705751519063", "f131_id_unidad_medida": "UND"}),
        ),
        row(
            json!({"f120_id": 1, "f120_referencia": "REF-OLD-1", "f131_id": "17705751519060", "f131_id_unidad_medida": "CAJ "}),
        ),
        row(json!({"f120_id": 2, "f120_referencia": "REF-2", "f131_id": "   ", "f131_id_unidad_medida": "UND "})),
        row(
            json!({"f120_id": 2, "f120_referencia": "REF-2", "f131_id": "E2801160600002", "f131_id_unidad_medida": "EPC "}),
        ),
        row(json!({"f120_id": 99, "f120_referencia": "GONE", "f131_id": "123", "f131_id_unidad_medida": "UND "})),
        row(json!({"f120_referencia": "REF-3", "f131_id": "456", "f131_id_unidad_medida": "UND "})),
    ]
}

fn units() -> Vec<Row> {
    vec![
        row(json!({"f120_id": 1, "f122_id_unidad": "UND ", "f122_factor": 1})),
        row(json!({"f120_id": 1, "f122_id_unidad": "CAJ ", "f122_factor": "12,0000"})),
        row(json!({"f120_id": 2, "f122_id_unidad": "CAJ ", "f122_factor": 6})),
        row(json!({"f120_id": 77, "f122_id_unidad": "CAJ ", "f122_factor": 6})),
    ]
}

#[test]
fn join_by_f120_id_keeps_the_first_row_and_renamed_items_keep_their_barcodes() {
    let joined = join(items(), &barcodes(), &units());
    let keys: Vec<&str> = joined.records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["1", "2", "3"]);
    assert_eq!(joined.duplicate_item_rows, 1);
    assert_eq!(joined.item_rows_without_id, 1);
    assert_eq!(joined.orphan_barcode_rows, 2, "item 99 does not exist, one row has no f120_id");
    assert_eq!(joined.orphan_unit_rows, 1);

    let first = &joined.records[0].fields;
    assert_eq!(first["f120_referencia"], json!("REF-NEW-1           "), "the Items row as received, first wins");
    assert_eq!(first["barcode"], json!("7705751519063"));
    assert_eq!(first["epc"], json!("3035D6525C32B08000000025"));
    assert_eq!(
        first["barcodes"],
        json!([
            {"f131_id": "7705751519063 ", "f131_id_unidad_medida": "UND "},
            {"f131_id": "3035D6525C32B08000000025", "f131_id_unidad_medida": "EPC "},
            {"f131_id": "17705751519060", "f131_id_unidad_medida": "CAJ "},
        ]),
        "a repeated barcode row is kept once"
    );
    assert_eq!(first["f122_factor"], json!("12,0000"), "the factor of the packaging unit, as received");

    let second = &joined.records[1].fields;
    assert_eq!(second["barcode"], Value::Null, "a blank code is no barcode");
    assert_eq!(second["epc"], json!("E2801160600002"));
    assert_eq!(second["f122_factor"], Value::Null, "no unit row for UND");

    let third = &joined.records[2].fields;
    assert_eq!(third["barcodes"], json!([]));
    assert_eq!(third["f122_factor"], Value::Null, "no packaging unit");
}

#[test]
fn record_fields_keep_items_order_then_the_joined_fields() {
    let joined = join(items(), &barcodes(), &units());
    let names: Vec<&str> = joined.records[0].fields.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["f120_id", "f120_referencia", "f120_id_unidad_empaque", "barcode", "epc", "barcodes", "f122_factor"]
    );
}
