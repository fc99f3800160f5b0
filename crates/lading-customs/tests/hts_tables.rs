//! The small readers behind the HTS reference, as tables: HTS number spellings, unit
//! spellings, and the Chapter 99 numbers found in footnote texts (taken from the real exports).

use lading_customs::hts::{chapter99_mentions, normalise_code, normalise_unit};
use lading_customs::model::Unit;

#[test]
fn codes_normalise_to_the_dotted_ten_digit_form() {
    let table: &[(&str, Option<&str>)] = &[
        ("9403200035", Some("9403.20.00.35")),
        ("9403.20.00.35", Some("9403.20.00.35")),
        (" 9403.20.0035 ", Some("9403.20.00.35")),
        ("\t9403.2000.35\n", Some("9403.20.00.35")),
        ("0101300000", Some("0101.30.00.00")),
        ("9403.20.00", None),
        ("940320003", None),
        ("94032000351", None),
        ("9403.20.00.35.1", None),
        ("9403 20 00 35", None),
        ("9403-20-00-35", None),
        ("HTS 9403200035", None),
        ("９４０３２０００３５", None),
        ("", None),
        ("..........", None),
    ];
    for (raw, expected) in table {
        assert_eq!(normalise_code(raw).as_deref(), *expected, "normalise_code({raw:?})");
    }
}

#[test]
fn units_normalise_and_variants_meet() {
    let other = |text: &str| Unit::Other(text.to_owned());
    let table = [
        ("No.", Unit::Number),
        ("No", Unit::Number),
        ("no.", Unit::Number),
        ("kg", Unit::Kilograms),
        (" kg", Unit::Kilograms),
        ("KG", Unit::Kilograms),
        ("doz.", Unit::Dozens),
        ("Doz.", Unit::Dozens),
        ("doz. ", Unit::Dozens),
        ("X", Unit::NoQuantity),
        ("x", Unit::NoQuantity),
        ("m²", other("m2")),
        ("m2", other("m2")),
        ("m³", other("m3")),
        ("m3", other("m3")),
        ("cm²", other("cm2")),
        ("pcs ", other("pcs")),
        ("prs.", other("prs.")),
        ("doz. prs.", other("doz. prs.")),
        ("Cu kg", other("Cu kg")),
        ("kg  cmsc", other("kg cmsc")),
        ("liters", other("liters")),
        ("thousand m3", other("thousand m3")),
        ("", other("")),
        ("\n", other("")),
    ];
    for (raw, expected) in table {
        assert_eq!(normalise_unit(raw), expected, "normalise_unit({raw:?})");
    }
}

#[test]
fn chapter99_numbers_are_found_in_footnotes() {
    let table: &[(&str, &[&str])] = &[
        ("See 9903.88.03.", &["9903.88.03"]),
        ("See 9903.88.15. ", &["9903.88.15"]),
        ("See 9903.88.03.\u{a0} \u{a0} \u{a0}\u{a0} ", &["9903.88.03"]),
        ("See headings 9903.88.01 and 9903.88.02", &["9903.88.01", "9903.88.02"]),
        (" See 9903.88.01 and 9903.88.02 ", &["9903.88.01", "9903.88.02"]),
        (
            "See 9903.88.15, 9903.88.25, 9903.88.26, 9903.88.27 and 9903.88.28.\u{a0} ",
            &["9903.88.15", "9903.88.25", "9903.88.26", "9903.88.27", "9903.88.28"],
        ),
        (
            "See 9903.88.03; U.S. note 16 to subchapter III, chapter 99 and U.S. note 19 to subchapter III, chapter 99. ",
            &["9903.88.03"],
        ),
        ("See U.S. note 3 to subchapter III, chapter 99, 9903.41.05 and 9903.88.03. ", &["9903.41.05", "9903.88.03"]),
        (
            "See 9903.88.04 and its associated definitional note (U.S. note 20(g) in subchapter III of chapter 99). ",
            &["9903.88.04"],
        ),
        // Ranges: both ends are mentioned, both are kept.
        ("See 9904.17.17-9904.17.48. ", &["9904.17.17", "9904.17.48"]),
        ("See subheadings 9904.04.50-9904.05.01. ", &["9904.04.50", "9904.05.01"]),
        (
            "See 9903.52.00 through 9903.52.26 and 9904.52.01 through 9904.52.34.",
            &["9903.52.00", "9903.52.26", "9904.52.01", "9904.52.34"],
        ),
        // Chapter 98 numbers are not Chapter 99.
        ("See 9817.84.01 and 9903.88.01. ", &["9903.88.01"]),
        ("See 9817.57.01, 9903.88.15 and 9903.91.01. ", &["9903.88.15", "9903.91.01"]),
        ("See headings 9902.22.84 and 9902.25.64.", &["9902.22.84", "9902.25.64"]),
        ("See 9903.45.25, 9903.45.27 and 9903.91.02 . ", &["9903.45.25", "9903.45.27", "9903.91.02"]),
        // Repeats are kept once, in first-mention order.
        ("See 9903.88.15 and 9903.88.03; also 9903.88.15.", &["9903.88.15", "9903.88.03"]),
        // Ten-digit numbers, dotted or written as a statistical reporting number.
        ("See 9903.88.03.01.", &["9903.88.03.01"]),
        ("See 9903.88.0301 and 9903.88.02", &["9903.88.03.01", "9903.88.02"]),
        // Nothing to find.
        ("See chapter 99 statistical note 1.", &[]),
        ("Report the number of stems. ", &[]),
        ("Imports under this subheading may be subject to Federal Excise Tax (26 U.S.C. 5001). ", &[]),
        ("", &[]),
        ("99", &[]),
        ("9903", &[]),
        ("19903.88.03", &[]),
        ("9903.88.031", &[]),
        ("99031.88.03", &[]),
        ("1.9903.88.03", &[]),
    ];
    for (text, expected) in table {
        let mentions = chapter99_mentions(text);
        assert_eq!(mentions.numbers, *expected, "chapter99_mentions({text:?})");
        assert!(mentions.incomplete.is_empty(), "{text:?}: {:?}", mentions.incomplete);
    }
}

#[test]
fn incomplete_chapter99_mentions_are_told_apart() {
    let mentions = chapter99_mentions("See 9903.92. ");
    assert!(mentions.numbers.is_empty());
    assert_eq!(mentions.incomplete, ["9903.92"]);
    let mentions = chapter99_mentions("See 9903.92 and 9903.88.03.");
    assert_eq!((mentions.numbers, mentions.incomplete), (vec!["9903.88.03".to_owned()], vec!["9903.92".to_owned()]));
}
