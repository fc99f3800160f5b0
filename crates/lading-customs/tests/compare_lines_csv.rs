//! Customs lines as CSV: round trip, the SAP variants read, and errors that name the row and
//! the column.

mod compare_support;

use compare_support::{dec, line, mattress, tariff};
use lading_customs::compare::LineTable;
use lading_customs::lines_csv::{
    COLUMNS, LinesCsvError, LinesCsvReader, parse_amount, read_lines_csv, write_lines_csv,
};
use lading_customs::model::{CustomsLine, LinePart, Unit};

const HEADER: &str = "entry_number,entry_date,line_number,part,seq,hts_number,programme,origin,mid,spi,related_party,rate,duty,entered_value,charges,gross_kg,net_kg,quantity,unit,mpf,hmf";

fn varied_lines() -> Vec<CustomsLine> {
    let mut quoted = mattress("E-2", 1, "1234.56");
    quoted.mid = "MID, WITH \"QUOTES\"".into();
    quoted.spi = Some("A".into());
    quoted.related_party = true;
    quoted.part = LinePart::NonMetal;
    quoted.quantities = vec![(Unit::Other("m2".into()), dec("12.5"))];
    let mut metal = line("E-2", 2);
    metal.part = LinePart::Metal;
    metal.quantities = vec![(Unit::Kilograms, dec("0"))];
    metal.charges = dec("-12.50");
    let mut bare = line("E-3", 1);
    bare.tariffs.clear();
    bare.quantities.clear();
    vec![line("E-1", 1), line("E-1", 2), quoted, metal, bare]
}

#[test]
fn lines_survive_a_round_trip() {
    let lines = varied_lines();
    let csv = write_lines_csv(&lines);
    assert_eq!(read_lines_csv(csv.as_bytes()), Ok(lines));
}

#[test]
fn one_row_per_hts_number_with_line_values_repeated() {
    let csv = write_lines_csv(&[mattress("E1", 1, "5000")]);
    let expected = format!(
        "{HEADER}\n\
         E1,2025-10-20,1,whole,1,9903.01.25,IEEPA_RECIPROCAL,VN,VNHCMMAT42HCM,,N,10%,500.00,5000,40,120,100,4,No.,3.46,1.25\n\
         E1,2025-10-20,1,whole,2,9404.21.00.13,,VN,VNHCMMAT42HCM,,N,3%,150.00,5000,40,120,100,4,No.,3.46,1.25\n"
    );
    assert_eq!(csv, expected);
    assert_eq!(COLUMNS.join(","), HEADER);
}

#[test]
fn only_the_first_quantity_fits_a_row() {
    let mut two_units = line("E1", 1);
    two_units.quantities = vec![(Unit::Number, dec("4")), (Unit::Kilograms, dec("100"))];
    let read = read_lines_csv(write_lines_csv(&[two_units]).as_bytes()).unwrap_or_default();
    assert_eq!(read[0].quantities, vec![(Unit::Number, dec("4"))]);
}

#[test]
fn sap_style_exports_read_the_same() {
    // Semicolons, decimal commas, trailing minus, W/N/M, X for related, SAP units, the value
    // and fees on the commodity row only, rows out of order, a BOM and CRLF line ends.
    let sap = "\u{feff}ZZIGNORED;entry_number;entry_date;line_number;part;seq;hts_number;programme;origin;mid;spi;related_party;rate;duty;entered_value;charges;gross_kg;net_kg;quantity;unit;mpf;hmf\r\n\
        x;E1;20.10.2025;001;W;02;9403.20.00.35;;CN;CNFOSFUR123FOS;;X;Free;0,00;1.000,00;40,00;120;100;4;NO;3,46;1,25\r\n\
        x;E1;20.10.2025;001;W;01;9903.88.03;301;CN;CNFOSFUR123FOS;;X;25%;250,00;;;120;100;4;NO;;\r\n\
        x;E1;20251020;002;M;01;9403.20.00.35;;CN;CNFOSFUR123FOS;;;Free;0;5,00-;1.234,50-;1;1;0;KG;;\r\n";
    let lines = read_lines_csv(sap.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let mut first = line("E1", 1);
    first.related_party = true;
    first.tariffs = vec![
        tariff("9903.88.03", Some(lading_customs::model::Programme::S301), "25%", "250.00"),
        tariff("9403.20.00.35", None, "Free", "0.00"),
    ];
    assert_eq!(lines[0], first);
    assert_eq!(lines[1].part, LinePart::Metal);
    assert_eq!((lines[1].entered_value, lines[1].charges), (dec("-5.00"), dec("-1234.50")));
    assert_eq!(lines[1].quantities, vec![(Unit::Kilograms, dec("0"))]);
    assert_eq!((lines[1].mpf, lines[1].hmf), (dec("0"), dec("0")));
}

#[test]
fn rows_of_a_line_need_not_be_adjacent() {
    let lines = vec![line("E1", 1), line("E1", 2)];
    let csv = write_lines_csv(&lines);
    let mut rows: Vec<&str> = csv.lines().collect();
    let header = rows.remove(0);
    // Every line's first row, then every second row, and so on.
    rows.sort_by_key(|row| row.split(',').nth(4).unwrap_or("").to_owned());
    let shuffled = format!("{header}\n{}\n", rows.join("\n"));
    assert_eq!(read_lines_csv(shuffled.as_bytes()), Ok(lines));
}

#[test]
fn any_piece_size_reads_like_the_whole() {
    let lines = varied_lines();
    let csv = write_lines_csv(&lines);
    for size in [1, 2, 3, 7, 8, 9, 64, 1000] {
        let mut reader = LinesCsvReader::new();
        for piece in csv.as_bytes().chunks(size) {
            reader.feed(piece).unwrap_or_else(|e| panic!("piece size {size}: {e}"));
        }
        let table = reader.finish().unwrap_or_else(|e| panic!("piece size {size}: {e}"));
        assert_eq!(table.to_lines(), lines, "piece size {size}");
    }
    let without_final_newline = csv.trim_end();
    assert_eq!(LineTable::from_csv(without_final_newline.as_bytes()).map(|t| t.to_lines()), Ok(lines));
}

/// The first error of `rows` (under the standard header) as a message.
fn error_of(rows: &str) -> String {
    match read_lines_csv(format!("{HEADER}\n{rows}").as_bytes()) {
        Ok(lines) => format!("read {} lines", lines.len()),
        Err(error) => error.to_string(),
    }
}

const GOOD: &str = "E1,2025-10-20,1,whole,1,9903.88.03,301,CN,MID1,,N,25%,250.00,1000,40,120,100,4,No.,3.46,1.25";

#[test]
fn errors_name_the_row_the_column_and_what_was_expected() {
    let cases: [(String, &str); 16] = [
        (
            format!("{GOOD}\n{}", GOOD.replace("250.00", "\"12,5x\"").replace(",1,9903", ",2,9903")),
            r#"row 3, column duty: "12,5x" is not an amount"#,
        ),
        (
            GOOD.replace("2025-10-20", "2025-13-01"),
            r#"row 2, column entry_date: "2025-13-01" is not a date (YYYY-MM-DD, YYYYMMDD or DD.MM.YYYY)"#,
        ),
        (
            GOOD.replace("E1,2025-10-20,1,", "E1,2025-10-20,0,"),
            r#"row 2, column line_number: "0" is not a line number (1–999)"#,
        ),
        (GOOD.replace("E1,", ","), "row 2, column entry_number: missing, expected an entry number"),
        (
            GOOD.replace(",1,9903.88.03,", ",,9903.88.03,"),
            "row 2, column seq: missing, expected a sequence number (1–999)",
        ),
        (GOOD.replace(",9903.88.03,", ",,"), "row 2, column hts_number: missing, expected an HTS number"),
        (
            GOOD.replace(",301,", ",S999,"),
            r#"row 2, column programme: "S999" is not a programme (301, IEEPA_FENTANYL, IEEPA_RECIPROCAL, S122, S232, S201, MTB, QUOTA, ADCVD, CLAIM)"#,
        ),
        (
            GOOD.replace(",whole,", ",half,"),
            r#"row 2, column part: "half" is not a line part (whole, non_metal, metal, W, N or M)"#,
        ),
        (
            GOOD.replace(",N,25%", ",maybe,25%"),
            r#"row 2, column related_party: "maybe" is not a related-party flag (Y or N)"#,
        ),
        (format!("{GOOD}\n{GOOD}"), "row 3, column seq: 1 appears twice on line 1 of entry E1"),
        (
            format!("{GOOD}\n{}", GOOD.replace(",1,9903.88.03,", ",2,9903.01.24,").replace(",120,", ",130,")),
            r#"row 3, column gross_kg: "130" differs from "120" given on row 2 for the same line"#,
        ),
        (format!("{GOOD},extra"), "row 2: 22 fields where the header has 21"),
        (GOOD.replace(",MID1,", ",\"MID1,"), "row 2: a quoted field is not closed"),
        (
            GOOD.replace(",2025-10-20,", ",,"),
            "row 2, column entry_date: missing, expected a date (YYYY-MM-DD, YYYYMMDD or DD.MM.YYYY)",
        ),
        (
            GOOD.replace(",No.,", ",,"),
            "row 2, column unit: missing, expected a unit (No., kg, doz., X …) for the quantity",
        ),
        (
            format!("\n{GOOD}\n\n{}", GOOD.replace("1000", "1.000.0")),
            r#"row 5, column entered_value: "1.000.0" is not an amount"#,
        ),
    ];
    for (rows, expected) in cases {
        assert_eq!(error_of(&rows), expected, "rows:\n{rows}");
    }
}

#[test]
fn header_problems_are_row_one() {
    let without_hmf = HEADER.trim_end_matches(",hmf");
    assert_eq!(
        read_lines_csv(format!("{without_hmf}\n").as_bytes()),
        Err(LinesCsvError::MissingColumn { column: "hmf" })
    );
    assert_eq!(read_lines_csv(b""), Err(LinesCsvError::Empty));
    assert_eq!(read_lines_csv(b"\n \n"), Err(LinesCsvError::Empty));
    assert_eq!(read_lines_csv(HEADER.as_bytes()), Ok(Vec::new()));
    let error = read_lines_csv(format!("{GOOD}\n").as_bytes()).err();
    assert_eq!(error.as_ref().and_then(LinesCsvError::row), Some(1));
    assert_eq!(error.as_ref().and_then(LinesCsvError::column), Some("entry_number"));
}

#[test]
fn garbage_never_panics() {
    let mut inputs: Vec<Vec<u8>> = vec![
        b"\"".to_vec(),
        b"\"\"\"".to_vec(),
        format!("{HEADER}\n\"").into_bytes(),
        format!("{HEADER}\n{GOOD}\n\"a\"b,").into_bytes(),
        [HEADER.as_bytes(), b"\n\xff\xfe"].concat(),
        vec![0xff; 40],
    ];
    let mut invalid_utf8 = format!("{HEADER}\n{GOOD}").into_bytes();
    invalid_utf8[HEADER.len() + 1] = 0xff;
    inputs.push(invalid_utf8);
    let csv = write_lines_csv(&varied_lines()).into_bytes();
    for cut in 0..csv.len() {
        inputs.push(csv[..cut].to_vec());
    }
    for input in inputs {
        let _ = read_lines_csv(&input);
    }
}

#[test]
fn amounts_in_every_report_format() {
    let cases: [(&str, Option<&str>); 21] = [
        ("1234.5", Some("1234.5")),
        ("-1234.50", Some("-1234.50")),
        ("1,234.50", Some("1234.50")),
        ("1.234,50", Some("1234.50")),
        ("1.234,50-", Some("-1234.50")),
        ("1234,5", Some("1234.5")),
        ("1,5", Some("1.5")),
        ("1.234.567", Some("1234567")),
        ("1,234,567.8", Some("1234567.8")),
        ("  42 ", Some("42")),
        ("+7", Some("7")),
        (".5", Some("0.5")),
        ("-", None),
        ("-5-", None),
        ("12,5x", None),
        ("1.23.4", None),
        ("1,2345,6", None),
        ("99999999999999999999999999999999", None),
        ("9999999999999999999", Some("9999999999999999999")), // past i64: the general path
        ("-99999999999999999.99", Some("-99999999999999999.99")),
        ("79228162514264337593543950335", Some("79228162514264337593543950335")), // Decimal::MAX
    ];
    for (text, expected) in cases {
        assert_eq!(parse_amount(text.as_bytes()), expected.map(dec), "{text:?}");
    }
}

#[test]
fn mutated_csv_never_panics() {
    // Thousands of damaged copies of a valid file: bytes replaced by separators, quotes, line
    // breaks, digits or garbage. Reading may fail, but only with an error.
    let csv = write_lines_csv(&varied_lines()).into_bytes();
    let replacements = [b',', b'"', b'\n', b'\r', b'0', b'-', b';', 0xff, b' ', b'.'];
    let mut state: u64 = 0x1234_5678;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    for _ in 0..3000 {
        let mut damaged = csv.clone();
        for _ in 0..1 + next() % 4 {
            let at = next() % damaged.len();
            damaged[at] = replacements[next() % replacements.len()];
        }
        let _ = read_lines_csv(&damaged);
        let mut reader = LinesCsvReader::new();
        let split = next() % damaged.len();
        if reader.feed(&damaged[..split]).is_ok() && reader.feed(&damaged[split..]).is_ok() {
            let _ = reader.finish();
        }
    }
}
