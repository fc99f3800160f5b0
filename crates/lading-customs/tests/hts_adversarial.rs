//! Hostile and broken exports: whole-file errors where the file is unusable, problems on rows
//! otherwise, and never a panic.

use lading_customs::hts::{FootnoteIssue, HtsError, HtsProblemKind, HtsReference, UnitIssue};
use lading_customs::model::{Rate, Unit};

/// A 10-digit row whose rate line is given first, so the document has one usable entry.
const GOOD: &str = r#"{"htsno":"9403.20.00","indent":"1","description":"Other metal furniture","superior":null,"units":[],"general":"Free","special":"","other":"45%","footnotes":[{"columns":["general"],"value":"See 9903.88.03. ","type":"endnote"}],"quotaQuantity":null,"additionalDuties":null,"addiitionalDuties":null},
{"htsno":"9403.20.00.35","indent":"4","description":"Mechanically adjustable bed base","superior":null,"units":["No."],"general":"","special":"","other":"","footnotes":[],"quotaQuantity":null,"additionalDuties":null,"addiitionalDuties":null}"#;

fn parse(rows: &str) -> Result<HtsReference, HtsError> {
    HtsReference::parse_usitc_json(format!("[{rows}]").as_bytes())
}

fn parse_ok(rows: &str) -> HtsReference {
    parse(rows).unwrap_or_else(|e| panic!("should parse: {e}\n{rows}"))
}

fn kinds(reference: &HtsReference) -> Vec<(usize, Option<&str>, &HtsProblemKind)> {
    reference.problems().iter().map(|p| (p.row, p.code.as_deref(), &p.kind)).collect()
}

#[test]
fn a_well_formed_document_parses_clean() {
    let r = parse_ok(GOOD);
    assert_eq!((r.rows(), r.len()), (2, 1));
    assert!(r.problems().is_empty(), "{:?}", r.problems());
    let e = r.get("9403.20.00.35").map(|e| (&e.general, e.chapter99.clone()));
    assert_eq!(e, Some((&Rate::Free, vec!["9903.88.03".to_owned()])));
}

#[test]
fn unusable_files_are_errors() {
    let not_json: &[&[u8]] = &[
        b"",
        b"   ",
        b"not json",
        b"[",
        b"[{\"htsno\": \"9403.20.00.35\"",
        b"[] []",
        b"[1,]",
        b"{\"htsno\" 1}",
        b"[\"\xff\xfe\"]",
        b"\xEF\xBB\xBF\xEF\xBB\xBF[]",
    ];
    for bytes in not_json {
        let result = HtsReference::parse_usitc_json(bytes);
        assert!(matches!(result, Err(HtsError::NotJson(_))), "{bytes:?}: {result:?}");
    }
    let not_a_list: &[(&[u8], &str)] = &[
        (b"{}", "an object"),
        (b"{\"rows\": [1, 2]}", "an object"),
        (b"\"9403.20.00.35\"", "a string"),
        (b"42", "a number"),
        (b"-4.2e3", "a number"),
        (b"true", "a boolean"),
        (b"null", "null"),
    ];
    for (bytes, found) in not_a_list {
        let message = HtsReference::parse_usitc_json(bytes).map(|r| r.len()).map_err(|e| e.to_string());
        assert_eq!(message, Err(format!("the hts export is not a list of rows but {found}")));
    }
    let message = parse("").map(|r| r.len()).map_err(|e| e.to_string());
    assert_eq!(message, Err("the hts export has no 10-digit lines (0 rows read, 0 with problems)".into()));
    let message = parse(r#"1, "x", null, [], {}, {"htsno": "9403"}"#).map(|r| r.len()).map_err(|e| e.to_string());
    assert_eq!(message, Err("the hts export has no 10-digit lines (6 rows read, 4 with problems)".into()));
}

#[test]
fn a_byte_order_mark_is_allowed() {
    let bytes = [b"\xEF\xBB\xBF[".as_slice(), GOOD.as_bytes(), b"]"].concat();
    assert_eq!(HtsReference::parse_usitc_json(&bytes).map(|r| r.len()).ok(), Some(1));
}

#[test]
fn rows_that_are_not_objects_are_skipped() {
    let r = parse_ok(&format!(r#"1, "row", true, null, [1, [2]], {GOOD}, 2.5"#));
    assert_eq!((r.rows(), r.len()), (8, 1));
    let found: Vec<_> = kinds(&r).into_iter().map(|(row, _, kind)| (row, kind.clone())).collect();
    let not_object = |found| HtsProblemKind::NotAnObject { found };
    assert_eq!(
        found,
        [
            (0, not_object("a number")),
            (1, not_object("a string")),
            (2, not_object("a boolean")),
            (3, not_object("null")),
            (4, not_object("a list")),
            (7, not_object("a number")),
        ]
    );
}

#[test]
fn wrong_types_in_every_field_become_problems() {
    let hostile = r#"{"htsno":"9403.20.00.90","indent":7,"description":1,"superior":[],"units":"kg",
        "general":[],"special":{"a":1},"other":true,"footnotes":"See 9903.88.03.",
        "quotaQuantity":{},"additionalDuties":[1],"addiitionalDuties":false}"#;
    let r = parse_ok(&format!(
        "{GOOD}, {hostile}, {{\"htsno\": 9403}}, {{\"htsno\": \"\", \"units\": 5, \"footnotes\": 6, \"general\": 7}}"
    ));
    assert_eq!((r.rows(), r.len()), (5, 2));
    // The row is kept: wrong fields read as empty, so it inherits its rate line's rate.
    let e = r.get("9403.20.00.90");
    assert_eq!(e.map(|e| (&e.general, e.description.as_str(), e.units.len())), Some((&Rate::Free, "", 0)));
    assert_eq!(e.map(|e| e.chapter99.clone()), Some(vec!["9903.88.03".to_owned()]));
    let wrong = |field, expected, found| HtsProblemKind::WrongType { field, expected, found };
    let code = Some("9403.20.00.90");
    assert_eq!(
        kinds(&r),
        [
            (2, code, &wrong("units", "a list", "a string")),
            (2, code, &HtsProblemKind::NoUnits),
            (2, code, &wrong("footnotes", "a list", "a string")),
            (2, code, &wrong("description", "a string", "a number")),
            (2, code, &wrong("general", "a string", "a list")),
            (2, code, &wrong("special", "a string", "an object")),
            (2, code, &wrong("other", "a string", "a boolean")),
            (3, None, &wrong("htsno", "a string", "a number")),
            (4, None, &wrong("general", "a string", "a number")),
            (4, None, &wrong("units", "a list", "a number")),
            (4, None, &wrong("footnotes", "a list", "a number")),
        ]
    );
    let message = r.problems().first().map(ToString::to_string);
    assert_eq!(
        message.as_deref(),
        Some("row 2 (9403.20.00.90): field `units` is a string, expected a list; read as empty")
    );
}

#[test]
fn odd_units_are_read_where_possible_and_reported() {
    let row =
        r#"{"htsno":"9403.20.00.90","units":[1, null, {}, [], "kg", " ", "No. and kg", "m²", "m2", " doz.", "KG"]}"#;
    let r = parse_ok(&format!("{GOOD}, {row}"));
    let units = r.get("9403.20.00.90").map(|e| e.units.clone());
    let expected = vec![Unit::Kilograms, Unit::Number, Unit::Other("m2".into()), Unit::Dozens];
    assert_eq!(units, Some(expected));
    let issues: Vec<_> = r
        .problems()
        .iter()
        .filter_map(|p| match &p.kind {
            HtsProblemKind::MalformedUnit { raw, issue } => Some((raw.as_str(), issue.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        issues,
        [
            ("", UnitIssue::NotAString { found: "a number" }),
            ("", UnitIssue::NotAString { found: "null" }),
            ("", UnitIssue::NotAString { found: "an object" }),
            ("", UnitIssue::NotAString { found: "a list" }),
            (" ", UnitIssue::Empty),
            ("No. and kg", UnitIssue::Compound { read_as: "No., kg".into() }),
            (" doz.", UnitIssue::StrayWhitespace { read_as: "doz.".into() }),
        ]
    );
}

#[test]
fn odd_footnotes_are_skipped_and_reported() {
    let row = r#"{"htsno":"9403.20.00.90","units":["No."],"footnotes":[1, "See 9903.01.01", {"value": 5},
        {"columns": ["general"]}, {"value": "See 9903.92."}, {"value": "See 9903.88.69.", "value2": {}},
        {"value": "See 9903.88.03 and 9903.01.25."}]}"#;
    let r = parse_ok(&format!("{GOOD}, {row}"));
    let refs = r.get("9403.20.00.90").map(|e| e.chapter99.clone());
    let expected = ["9903.88.03", "9903.88.69", "9903.01.25"].map(String::from).to_vec();
    assert_eq!(refs, Some(expected));
    let issues: Vec<_> = r
        .problems()
        .iter()
        .filter_map(|p| match &p.kind {
            HtsProblemKind::UnparseableFootnote { issue } => Some(issue.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        issues,
        [
            FootnoteIssue::NotAnObject { found: "a number" },
            FootnoteIssue::NotAnObject { found: "a string" },
            FootnoteIssue::ValueNotAString { found: "a number" },
            FootnoteIssue::ValueNotAString { found: "missing" },
            FootnoteIssue::IncompleteChapter99 { text: "See 9903.92.".into(), fragment: "9903.92".into() },
        ]
    );
}

#[test]
fn malformed_and_duplicate_codes_are_skipped() {
    let rows = format!(
        r#"{GOOD}, {{"htsno":"94O3.20.00.36","units":["No."]}}, {{"htsno":"9403.20.00.355"}},
        {{"htsno":"940"}}, {{"htsno":"9403.20.00.35.12"}}, {{"htsno":"9403.20.00.3"}},
        {{"htsno":"9403.20.00.35","general":"99%","units":["kg"]}}, {{"htsno":"  9403\u002e20\u002e00\u002e40 ","units":["No."]}}"#
    );
    let r = parse_ok(&rows);
    assert_eq!(r.len(), 2);
    let first = r.get("9403.20.00.35").map(|e| (&e.general, e.units.clone()));
    assert_eq!(first, Some((&Rate::Free, vec![Unit::Number])), "the first row wins");
    assert!(r.get("9403.20.00.40").is_some(), "escaped dots and spaces around are read");
    let found: Vec<_> =
        kinds(&r).into_iter().map(|(row, code, kind)| (row, code.map(String::from), kind.clone())).collect();
    let malformed = |row: usize, code: &str| (row, Some(code.to_owned()), HtsProblemKind::MalformedCode);
    assert_eq!(
        found,
        [
            malformed(2, "94O3.20.00.36"),
            malformed(3, "9403.20.00.355"),
            malformed(4, "940"),
            malformed(5, "9403.20.00.35.12"),
            malformed(6, "9403.20.00.3"),
            (7, Some("9403.20.00.35".to_owned()), HtsProblemKind::DuplicateCode { first_row: 1 }),
        ]
    );
}

#[test]
fn ten_digit_lines_only_inherit_from_their_own_rate_line() {
    let rows = r#"{"htsno":"0101.30.00.00","units":["No."],"general":"6.8%"},
        {"htsno":"0101.21.00","general":"Free","other":"Free","footnotes":[{"value":"See 9903.88.15."}]},
        {"htsno":"0101.29.00.10","units":["No."]},
        {"htsno":"0101.21.00.10","units":["No."]},
        {"htsno":"0101","description":"Live horses"},
        {"htsno":"0101.21.00.20","units":["No."]}"#;
    let r = parse_ok(rows);
    let general = |code: &str| r.get(code).map(|e| (e.general.clone(), e.chapter99.len()));
    assert_eq!(general("0101.30.00.00").map(|g| g.1), Some(0));
    assert!(matches!(general("0101.30.00.00"), Some((Rate::AdValorem { .. }, 0))));
    // 0101.29.00.10 follows 0101.21.00 but is not its child: no rate, flagged.
    assert_eq!(general("0101.29.00.10"), Some((Rate::Unparsed { text: String::new() }, 0)));
    assert_eq!(general("0101.21.00.10"), Some((Rate::Free, 1)));
    // A heading row between does not break the parentage of a matching rate line.
    assert_eq!(general("0101.21.00.20"), Some((Rate::Free, 1)));
    let rateless: Vec<_> =
        kinds(&r).into_iter().filter(|(_, _, k)| **k == HtsProblemKind::RatelessLeaf).map(|(_, c, _)| c).collect();
    assert_eq!(rateless, [Some("0101.29.00.10")]);
}

#[test]
fn deep_nesting_and_huge_values_do_not_panic() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    // One row that is a list, skipped without recursion: no 10-digit line.
    let result = HtsReference::parse_usitc_json(deep.as_bytes()).map(|r| r.len());
    assert!(matches!(result, Err(HtsError::NoEntries { rows: 1, problems: 1 })), "{result:?}");
    let deep_field =
        format!(r#"{GOOD}, {{"htsno":"9403.20.00.90","superior":{}{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
    // A deep value in a field the parser skips is skipped too.
    assert_eq!(parse(&deep_field).map(|r| r.len()).ok(), Some(2));
    let deep_unit =
        format!(r#"{GOOD}, {{"htsno":"9403.20.00.90","units":[{}{}]}}"#, "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(parse(&deep_unit).map(|r| r.len()).ok(), Some(2));
    let huge = format!(
        r#"{GOOD}, {{"htsno":"9403.20.00.90","units":["No."],"indent":1e999999,"description":"{}"}}"#,
        "x".repeat(1_000_000)
    );
    // serde_json may refuse the number; either way there is no panic.
    if let Ok(r) = parse(&huge) {
        assert_eq!(r.get("9403.20.00.90").map(|e| e.description.len()), Some(1_000_000));
    }
}

#[test]
fn every_truncation_and_byte_flip_of_a_document_is_handled() {
    let document = format!("[{GOOD}]");
    let bytes = document.as_bytes();
    for end in 0..bytes.len() {
        let _ = HtsReference::parse_usitc_json(&bytes[..end]);
    }
    // A deterministic walk of single-byte substitutions with bytes that matter to JSON.
    let replacements = [b'"', b'[', b']', b'{', b'}', b',', b':', b'1', b'\\', b'\n', 0xff, b'n'];
    for (at, replacement) in (0..bytes.len()).flat_map(|at| replacements.iter().map(move |r| (at, *r))) {
        let mut mutated = bytes.to_vec();
        mutated[at] = replacement;
        if let Ok(r) = HtsReference::parse_usitc_json(&mutated) {
            assert!(r.len() <= 1);
            let _ = r.problems().iter().map(ToString::to_string).count();
        }
    }
}
