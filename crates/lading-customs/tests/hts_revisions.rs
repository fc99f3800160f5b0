//! The HTS reference read from the two real USITC revisions shipped in `data/hts/`: counts,
//! the importer's own codes, what changed between the revisions, and `check_code`'s answers.

use std::io::Read;
use std::str::FromStr;
use std::sync::OnceLock;

use lading_customs::hts::{CodeLevel, CodeProblem, HtsProblemKind, HtsReference, UnitIssue};
use lading_customs::model::{HtsEntry, Rate, Unit};
use rust_decimal::Decimal;

fn load(name: &str) -> HtsReference {
    let path = format!("{}/../../data/hts/{name}.json.gz", env!("CARGO_MANIFEST_DIR"));
    let gzip = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(gzip.as_slice())
        .read_to_end(&mut json)
        .unwrap_or_else(|e| panic!("decompressing {path}: {e}"));
    HtsReference::parse_usitc_json(&json).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

fn rev2025() -> &'static HtsReference {
    static REFERENCE: OnceLock<HtsReference> = OnceLock::new();
    REFERENCE.get_or_init(|| load("hts_2025_rev_32"))
}

fn rev2026() -> &'static HtsReference {
    static REFERENCE: OnceLock<HtsReference> = OnceLock::new();
    REFERENCE.get_or_init(|| load("hts_2026_rev_10"))
}

fn both() -> [(&'static str, &'static HtsReference); 2] {
    [("2025 rev 32", rev2025()), ("2026 rev 10", rev2026())]
}

fn entry<'r>(reference: &'r HtsReference, hts10: &str) -> &'r HtsEntry {
    reference.get(hts10).unwrap_or_else(|| panic!("{hts10} should be in the revision"))
}

fn percent(text: &str) -> Rate {
    Rate::AdValorem { percent: Decimal::from_str(text).unwrap_or_default() }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[test]
fn counts_match_the_export() {
    // Figures from counting the rows by digit count with python3 over the same files.
    let r = rev2025();
    assert_eq!(
        (r.rows(), r.len(), r.rate_lines().count(), r.chapter99_lines().count()),
        (36_148, 19_768, 7_293, 3_604)
    );
    let r = rev2026();
    assert_eq!(
        (r.rows(), r.len(), r.rate_lines().count(), r.chapter99_lines().count()),
        (35_509, 19_856, 6_687, 2_975)
    );
    assert_eq!(rev2026().entries().count(), rev2026().len());
}

#[test]
fn adjustable_bed_base_inherits_free_and_9903_88_03_from_its_rate_line() {
    for (name, r) in both() {
        let e = entry(r, "9403.20.00.35");
        assert_eq!(e.hts10, "9403.20.00.35", "{name}");
        assert_eq!(e.hts8, "9403.20.00", "{name}");
        assert!(e.description.starts_with("Mechanically adjustable bed or mattress base"));
        assert_eq!(e.general, Rate::Free, "{name}");
        assert_eq!(e.general_text, "Free", "{name}");
        assert_eq!(e.other_text, "45%", "{name}");
        assert_eq!(e.units, vec![Unit::Number], "{name}");
        // The 10-digit line has no footnote: 9903.88.03 comes from 9403.20.00's.
        assert_eq!(e.chapter99, strings(&["9903.88.03"]), "{name}");
        assert_eq!(r.get("9403200035"), Some(e), "{name}: undotted lookup");
        assert_eq!(r.get(" 9403.20.0035 "), Some(e), "{name}: statistical-number spelling");
    }
    // 2025's parent footnote also names U.S. notes 16 and 19; only the number is taken.
    let parent = rev2025().rate_line("9403.20.00").map(|l| l.chapter99.clone());
    assert_eq!(parent, Some(strings(&["9903.88.03"])));
}

#[test]
fn mattresses_carry_their_rate_lines_rates() {
    for (name, r) in both() {
        let e = entry(r, "9404.21.00.13");
        assert_eq!((&e.general, e.general_text.as_str()), (&percent("3"), "3%"), "{name}");
        assert!(e.special_text.starts_with("Free (A*,AU,BH"), "{name}");
        assert_eq!(e.units, vec![Unit::Number]);
        assert_eq!(e.chapter99, strings(&["9903.88.03"]));
        for code in ["9404.29.90.13", "9404.29.90.87"] {
            let e = entry(r, code);
            assert_eq!(e.hts8, "9404.29.90");
            assert_eq!(e.general, percent("6"), "{name} {code}");
            assert_eq!(e.other_text, "40%");
            assert_eq!(e.units, vec![Unit::Number]);
            assert_eq!(e.chapter99, strings(&["9903.88.03"]));
        }
    }
}

#[test]
fn upholstered_wooden_seats_and_metal_furniture_parts() {
    for (name, r) in both() {
        let seats: Vec<&str> = r.entries().filter(|e| e.hts8 == "9401.61.40").map(|e| e.hts10.as_str()).collect();
        assert_eq!(seats, ["9401.61.40.01", "9401.61.40.11", "9401.61.40.31"], "{name}");
        for code in seats {
            let e = entry(r, code);
            assert_eq!(e.general, Rate::Free);
            assert_eq!(e.units, vec![Unit::Number]);
            // From "See 9903.88.04 and its associated definitional note (U.S. note 20(g) …)".
            assert_eq!(e.chapter99, strings(&["9903.88.04"]), "{name} {code}");
        }
        let parts = entry(r, "9403.99.90.45");
        assert_eq!(parts.units, vec![Unit::Kilograms], "{name}");
        assert_eq!(parts.general, Rate::Free);
        assert_eq!(parts.chapter99, strings(&["9903.88.03"]));
        // The rate line's reference first, then the 10-digit line's own.
        let household = entry(r, "9401.61.60.11");
        assert_eq!(household.chapter99, strings(&["9903.88.03", "9903.88.69"]));
    }
}

#[test]
fn ten_digit_lines_with_their_own_rates_keep_them() {
    for (name, r) in both() {
        // `00` lines stand alone, with no 8-digit line above them.
        let asses = entry(r, "0101.30.00.00");
        assert_eq!(asses.general, percent("6.8"), "{name}");
        assert_eq!(asses.other_text, "15%");
        assert_eq!(asses.chapter99, strings(&["9903.88.15"]));
        assert_eq!(asses.hts8, "0101.30.00");
        assert!(r.rate_line("0101.30.00").is_none());
        // Whitespace-only own rates are no rates: the parent's 3.7% applies.
        assert_eq!(entry(r, "2825.60.00.10").general, percent("3.7"), "{name}");
        assert_eq!(entry(r, "8607.30.10.50").general, percent("3.6"), "{name}");
        // Only its `other` column is its own; `general` still comes from 9006.59.15.
        let flash = entry(r, "9006.59.15.20");
        assert_eq!((&flash.general, flash.other_text.as_str()), (&Rate::Free, "20%"));
    }
}

#[test]
fn chapter99_rows_are_kept_with_descriptions_and_rates() {
    for (name, r) in both() {
        let line = r.chapter99("9903.88.03").unwrap_or_else(|| panic!("{name}: 9903.88.03"));
        assert!(line.is_chapter99());
        assert!(line.description.starts_with("Except as provided in headings 9903.88.13"));
        assert_eq!(line.general_text, "The duty provided in the applicable subheading + 25%");
        assert!(matches!(line.general, Rate::Unparsed { .. }));
        assert!(r.chapter99("9903.01.24").is_some(), "{name}");
        assert!(r.chapter99("9403.20.00").is_none(), "{name}: not chapter 99");
        assert!(r.get("9903.88.03").is_none(), "{name}: not a 10-digit line");
    }
}

#[test]
fn what_changed_between_the_revisions() {
    let (old, new) = (rev2025(), rev2026());
    // Units: 9403.99.90.61 (other furniture parts) is reported in kg and, from 2026, No. too.
    assert_eq!(entry(old, "9403.99.90.61").units, vec![Unit::Kilograms]);
    assert_eq!(entry(new, "9403.99.90.61").units, vec![Unit::Kilograms, Unit::Number]);
    // Chapter 99 references: medical gloves moved from 9903.91.05 to 9903.91.08.
    assert_eq!(entry(old, "4015.12.10.10").chapter99, strings(&["9903.91.05"]));
    assert_eq!(entry(new, "4015.12.10.10").chapter99, strings(&["9903.91.08"]));
    // Crystalline graphite flake gained a reference.
    assert!(entry(old, "2504.10.10.00").chapter99.is_empty());
    assert_eq!(entry(new, "2504.10.10.00").chapter99, strings(&["9903.91.06"]));
    // Lines split: beef 0201.30.50.85 became .91 and .97.
    assert!(old.get("0201.30.50.85").is_some() && new.get("0201.30.50.85").is_none());
    assert!(old.get("0201.30.50.91").is_none() && new.get("0201.30.50.91").is_some());
    assert!(matches!(
        new.check_code("0201.30.50.85"),
        Err(CodeProblem::Unknown { rate_line: Some(line), known, .. })
            if line == "0201.30.50" && known.contains(&"0201.30.50.91".to_owned())
    ));
    // Chapter 99 subchapter XII (9912) is gone in 2026.
    assert!(old.chapter99("9912.02.05").is_some());
    assert!(new.chapter99("9912.02.05").is_none());
}

#[test]
fn odd_rows_are_kept_as_problems() {
    assert_eq!(rev2025().problems().len(), 91);
    assert_eq!(rev2026().problems().len(), 92);
    let r = rev2026();
    let on = |code: &str| -> Vec<&HtsProblemKind> {
        r.problems().iter().filter(|p| p.code.as_deref() == Some(code)).map(|p| &p.kind).collect()
    };
    assert_eq!(
        on("3922.10.00.00"),
        [&HtsProblemKind::MalformedUnit {
            raw: "No. and kg".into(),
            issue: UnitIssue::Compound { read_as: "No., kg".into() }
        }]
    );
    assert_eq!(entry(r, "3922.10.00.00").units, vec![Unit::Number, Unit::Kilograms]);
    assert_eq!(entry(r, "7113.19.50.21").units, vec![Unit::Other("pcs".into())]);
    assert!(matches!(
        on("7113.19.50.21")[..],
        [HtsProblemKind::MalformedUnit { issue: UnitIssue::StrayWhitespace { .. }, .. }]
    ));
    // 9802.00.91.00: no rate anywhere, and its only unit is a newline.
    let rateless = on("9802.00.91.00");
    assert!(rateless.contains(&&HtsProblemKind::RatelessLeaf), "{rateless:?}");
    assert!(rateless.contains(&&HtsProblemKind::NoUnits), "{rateless:?}");
    assert_eq!(entry(r, "9802.00.91.00").general, Rate::Unparsed { text: String::new() });
    // `See 9903.92.` names no full number.
    let footnote = r.problems().iter().find(|p| p.code.as_deref() == Some("8426.19.00.00")).map(ToString::to_string);
    assert_eq!(
        footnote.as_deref(),
        Some(
            "row 25261 (8426.19.00.00): footnote \"See 9903.92.\" mentions 9903.92, which is \
             not a full chapter 99 number; ignored"
        )
    );
}

#[test]
fn check_code_accepts_leaves_in_any_spelling() {
    let r = rev2026();
    for spelling in ["9403.20.00.35", "9403200035", " 9403.20.0035 "] {
        let found = r.check_code(spelling).map(|e| e.hts10.as_str());
        assert_eq!(found, Ok("9403.20.00.35"), "{spelling:?}");
    }
}

#[test]
fn check_code_names_the_code_and_what_is_wrong() {
    let r = rev2026();
    let check = |code: &str, expected: &str| {
        let message = match r.check_code(code) {
            Ok(e) => format!("ok {}", e.hts10),
            Err(problem) => problem.to_string(),
        };
        assert_eq!(message, expected, "check_code({code:?})");
    };
    let bad = |raw: &str| format!("hts number {raw:?} is not a 10-digit number (write it 9403.20.00.35 or 9403200035)");
    for raw in ["", "9403.20.00.3", "94032000355", "9403-20-00-35", "9403 20 00 35", "HTS9403200035"] {
        check(raw, &bad(raw));
    }
    check(
        "9403.20.00.99",
        "hts number 9403.20.00.99 does not exist in this revision (its rate line 9403.20.00 has \
         9403.20.00.11, 9403.20.00.16, 9403.20.00.17, 9403.20.00.35, 9403.20.00.40 and 8 more)",
    );
    check("0000000001", "hts number 0000.00.00.01 does not exist in this revision");
    check(
        "9403.20.00",
        "hts number 9403.20.00 is not a 10-digit leaf: it is an 8-digit rate line; report one of \
         9403.20.00.11, 9403.20.00.16, 9403.20.00.17, 9403.20.00.35, 9403.20.00.40 and 8 more",
    );
    check(
        "9403.20.00.00",
        "hts number 9403.20.00.00 is not a 10-digit leaf: it is an 8-digit rate line padded with \
         00; report one of 9403.20.00.11, 9403.20.00.16, 9403.20.00.17, 9403.20.00.35, \
         9403.20.00.40 and 8 more",
    );
    check(
        "9903.88.03",
        "hts number 9903.88.03 is not a 10-digit leaf: it is a chapter 99 number, reported beside \
         a commodity number; no 10-digit line falls under it in this revision",
    );
    check(
        "9101.11.40",
        "hts number 9101.11.40 is not a 10-digit leaf: it is an 8-digit rate line; no 10-digit \
         line falls under it in this revision",
    );
    assert!(matches!(
        r.check_code("9401.61"),
        Err(CodeProblem::NotALeaf { level: CodeLevel::Subheading, ref children, .. })
            if children.len() == 11
    ));
    assert!(matches!(
        r.check_code("9403"),
        Err(CodeProblem::NotALeaf { level: CodeLevel::Heading, ref code, .. }) if code == "9403"
    ));
    assert!(matches!(r.check_code("9999.99"), Err(CodeProblem::BadFormat { .. })));
}
