//! EAN-13, UPC-A, GTIN-14 and SGTIN-96: what is accepted, what it normalises to, and what the
//! error says when it is not.

use lading_core::identifiers::{Ean13, Gtin14, Sgtin96, check_digit};

/// `expected` is the normalised value, or the error message.
fn check<T: ToString, E: ToString>(input: &str, actual: Result<T, E>, expected: Result<&str, &str>) {
    let actual = actual.map(|v| v.to_string()).map_err(|e| e.to_string());
    let expected = expected.map(str::to_string).map_err(str::to_string);
    assert_eq!(actual, expected, "input {input:?}");
}

#[test]
fn check_digits_follow_gs1() {
    for (data, expected) in
        [("123456789012", 8), ("770575151906", 3), ("400638133393", 1), ("03600029145", 2), ("1770575151906", 0)]
    {
        assert_eq!(check_digit(data.as_bytes()), Ok(expected), "data {data}");
    }
    assert_eq!(Ean13::from_data_digits("123456789012").map(|e| e.to_string()), Ok("1234567890128".to_string()));
    assert!(check_digit(b"12x").is_err());
}

#[test]
fn ean13_accepts_ean13_upca_and_gtin14_with_a_leading_zero() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("1234567890128", Ok("1234567890128")),
        ("7705751519063", Ok("7705751519063")),
        ("  7705751519063\t", Ok("7705751519063")),
        ("036000291452", Ok("0036000291452")),
        ("07705751519063", Ok("7705751519063")),
        ("1234567890123", Err("EAN-13 check digit is 3, expected 8")),
        ("036000291453", Err("UPC-A check digit is 3, expected 2")),
        ("07705751519064", Err("GTIN-14 check digit is 4, expected 3")),
        ("17705751519060", Err("is a GTIN-14 with indicator digit 1; only a GTIN-14 starting with 0 has an EAN-13")),
        ("", Err("is empty")),
        ("   ", Err("is empty")),
        ("12345", Err("has 5 digits, expected 13 (EAN-13), 12 (UPC-A) or 14 (GTIN-14 starting with 0)")),
        ("12345678901a3", Err("has 'a' at position 12, expected only digits")),
        ("7705751 519063", Err("has ' ' at position 8, expected only digits")),
        ("770575151906３", Err("has '３' at position 13, expected only digits")),
    ];
    for (input, expected) in cases {
        check(input, Ean13::parse(input), *expected);
    }
}

#[test]
fn gtin14_accepts_gtin14_ean13_and_upca() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("17705751519060", Ok("17705751519060")),
        ("7705751519063", Ok("07705751519063")),
        ("036000291452", Ok("00036000291452")),
        ("17705751519061", Err("GTIN-14 check digit is 1, expected 0")),
        ("123", Err("has 3 digits, expected 14 (GTIN-14), 13 (EAN-13) or 12 (UPC-A)")),
    ];
    for (input, expected) in cases {
        check(input, Gtin14::parse(input), *expected);
    }
    let ean = Ean13::parse("7705751519063").unwrap();
    assert_eq!(ean.to_gtin14().to_string(), "07705751519063");
    assert_eq!(ean.to_gtin14().to_ean13(), Ok(ean));
    assert!(Gtin14::parse("17705751519060").unwrap().to_ean13().is_err());
}

#[test]
fn the_reference_epc_decodes() {
    let epc = Sgtin96::parse("3035D6525C32B08000000025").unwrap();
    assert_eq!(epc.filter(), 1);
    assert_eq!(epc.partition(), 5);
    assert_eq!(epc.company_prefix(), "7705751");
    assert_eq!(epc.item_reference(), "051906");
    assert_eq!(epc.serial(), 37);
    assert_eq!(epc.gtin14().to_string(), "07705751519063");
    assert_eq!(epc.ean13().map(|e| e.to_string()), Ok("7705751519063".to_string()));
    assert_eq!(Sgtin96::parse(" 3035d6525c32b08000000025 ").unwrap().to_string(), "3035D6525C32B08000000025");
}

#[test]
fn epcs_encode_and_decode_for_every_partition() {
    for (company, item) in [
        ("770575123456", "0"),
        ("77057512345", "01"),
        ("7705751234", "012"),
        ("770575123", "0123"),
        ("77057512", "01234"),
        ("7705751", "051906"),
        ("770575", "0123456"),
    ] {
        let epc = Sgtin96::encode(3, company, item, 274_877_906_943).unwrap();
        let back = Sgtin96::parse(epc.as_str()).unwrap();
        assert_eq!((back.company_prefix().as_str(), back.item_reference().as_str()), (company, item));
        assert_eq!((back.filter(), back.serial()), (3, 274_877_906_943));
        assert!(back.ean13().is_ok(), "{company}/{item}");
    }
    assert_eq!(Sgtin96::encode(1, "7705751", "051906", 37).unwrap().as_str(), "3035D6525C32B08000000025");
}

#[test]
fn epc_errors_say_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        (
            "E2801160600002054C9A",
            "looks like an RFID chip id (TID: starts with E2, 20 characters), not an EPC; an SGTIN-96 EPC has 24 hex characters starting with 30",
        ),
        (
            "e28011606000020",
            "looks like an RFID chip id (TID: starts with E2, 15 characters), not an EPC; an SGTIN-96 EPC has 24 hex characters starting with 30",
        ),
        ("3035D6525C32B0800000002", "has 23 characters, expected 24 hex characters (an SGTIN-96 EPC)"),
        ("3035D6525C32B0800000002G", "has 'G' at position 24, expected only hex digits 0-9 and A-F"),
        ("3135D6525C32B08000000025", "has EPC header 31, expected 30 (SGTIN-96)"),
        ("E235D6525C32B08000000025", "has EPC header E2, expected 30 (SGTIN-96)"),
        ("303C00000000000000000001", "has SGTIN-96 partition 7, expected 0 to 6"),
        ("3037FFFFFC00000000000001", "has company prefix 16777215, which does not fit in 7 digits (partition 5)"),
        ("3035D6525FFFFFC000000001", "has item reference 1048575, which does not fit in 6 digits (partition 5)"),
        ("", "is empty"),
    ];
    for (input, expected) in cases {
        check(input, Sgtin96::parse(input), Err(expected));
    }
    let indicator_one = Sgtin96::parse("3035D6525C94588000000001").unwrap();
    assert_eq!(indicator_one.gtin14().to_string(), "17705751519060");
    assert_eq!(
        indicator_one.ean13().map_err(|e| e.to_string()),
        Err("is a GTIN-14 with indicator digit 1; only a GTIN-14 starting with 0 has an EAN-13".to_string())
    );
    for (filter, company, item, serial, expected) in [
        (8, "7705751", "051906", 1, "has filter value 8, expected 0 to 7"),
        (1, "77057", "0519061", 1, "has a company prefix of 5 digits, expected 6 to 12"),
        (1, "7705751", "51906", 1, "has an item reference of 5 digits, expected 6 (13 minus the company prefix)"),
        (1, "7705751", "051906", 1 << 38, "has serial 274877906944, expected at most 274877906943 (38 bits)"),
    ] {
        check(company, Sgtin96::encode(filter, company, item, serial), Err(expected));
    }
}
