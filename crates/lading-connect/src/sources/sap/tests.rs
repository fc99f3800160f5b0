//! Fixture tests of the SAP source that need no server: answers, `ET_RETURN`, tables, paging.

use super::client::{Answer, AnswerProblem, SapMessage, is_last_page, read_answer};
use serde_json::{Value, json};

fn check(body: Value, tables: &[&str], expected: Result<Answer, AnswerProblem>) {
    assert_eq!(read_answer(&body, tables), expected, "{body}");
}

fn rows(value: Value) -> Vec<serde_json::Map<String, Value>> {
    match value {
        Value::Array(items) => items.into_iter().filter_map(|v| v.as_object().cloned()).collect(),
        _ => Vec::new(),
    }
}

fn message(kind: &str, text: &str) -> SapMessage {
    SapMessage { kind: kind.into(), id: "ZIOR".into(), number: "001".into(), message: text.into() }
}

#[test]
fn rows_and_total_are_read() {
    check(
        json!({"E_TOTAL": "2", "ET_WEIGHTS": [{"MATNR": "000000000000001001"}, {"MATNR": "1002"}], "ET_RETURN": []}),
        &["ET_WEIGHTS"],
        Ok(Answer {
            total: Some(2),
            tables: vec![("ET_WEIGHTS".into(), rows(json!([{"MATNR": "000000000000001001"}, {"MATNR": "1002"}])))],
            messages: vec![],
        }),
    );
}

#[test]
fn a_one_row_table_sent_as_an_object_is_an_array_of_one() {
    check(
        json!({"E_TOTAL": 1, "ET_HTS": {"HTSNO": "9403.20.00.35"}, "ET_RETURN": {}}),
        &["ET_HTS"],
        Ok(Answer {
            total: Some(1),
            tables: vec![("ET_HTS".into(), rows(json!([{"HTSNO": "9403.20.00.35"}])))],
            messages: vec![],
        }),
    );
}

#[test]
fn missing_null_and_empty_tables_are_empty() {
    for table in [Value::Null, json!([]), json!({}), json!("")] {
        check(
            json!({"E_TOTAL": "0", "ET_UOM": table}),
            &["ET_UOM"],
            Ok(Answer { total: Some(0), tables: vec![("ET_UOM".into(), vec![])], messages: vec![] }),
        );
    }
    check(
        json!({}),
        &["ET_UOM"],
        Ok(Answer { total: None, tables: vec![("ET_UOM".into(), vec![])], messages: vec![] }),
    );
}

#[test]
fn e_and_a_returns_fail_and_the_others_are_kept() {
    let failed = |kind: &str| {
        json!({"E_TOTAL": "0", "ET_RETURN": [
            {"TYPE": "W", "ID": "ZIOR", "NUMBER": "001", "MESSAGE": "old data"},
            {"TYPE": kind, "ID": "ZIOR", "NUMBER": "001", "MESSAGE": "date range invalid"}
        ]})
    };
    check(failed("E"), &["ET_BILLING"], Err(AnswerProblem::Failed(message("E", "date range invalid"))));
    check(failed("A"), &["ET_BILLING"], Err(AnswerProblem::Failed(message("A", "date range invalid"))));
    check(
        json!({"E_TOTAL": "0", "ET_RETURN": {"TYPE": "S", "ID": "ZIOR", "NUMBER": "001", "MESSAGE": "ok"}}),
        &["ET_BILLING"],
        Ok(Answer { total: Some(0), tables: vec![("ET_BILLING".into(), vec![])], messages: vec![message("S", "ok")] }),
    );
}

#[test]
fn shapes_that_are_not_answers_are_problems() {
    check(json!([1]), &["ET_HTS"], Err(AnswerProblem::Shape("expected a json object, got an array".into())));
    check(json!({"ET_HTS": 5}), &["ET_HTS"], Err(AnswerProblem::Shape("ET_HTS is a number, not a table".into())));
    check(
        json!({"ET_HTS": [1]}),
        &["ET_HTS"],
        Err(AnswerProblem::Shape("row 0 of ET_HTS is a number, not an object".into())),
    );
    check(
        json!({"E_TOTAL": "many", "ET_HTS": []}),
        &["ET_HTS"],
        Err(AnswerProblem::Shape("E_TOTAL \"many\" is not a row count".into())),
    );
}

#[test]
fn paging_ends_when_the_total_is_read_or_a_page_is_short() {
    // (E_TOTAL, main rows read so far, main rows in this page, page size, last?)
    let cases: [(Option<u64>, usize, usize, usize, bool); 7] = [
        (Some(1200), 500, 500, 500, false),
        (Some(1200), 1200, 200, 500, true),
        (Some(1000), 1000, 500, 500, true), // exactly the total on a full page
        (Some(1200), 600, 100, 500, false), // the server caps I_MAXROWS at 100: read on
        (Some(10), 3, 0, 500, true),        // an empty page always ends the read
        (None, 500, 500, 500, false),
        (None, 520, 20, 500, true),
    ];
    for (total, main_read, main_rows, page_size, last) in cases {
        assert_eq!(is_last_page(total, main_read, main_rows, page_size), last, "{total:?} {main_read} {main_rows}");
    }
}
