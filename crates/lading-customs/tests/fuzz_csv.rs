//! Fuzzing the CSV loaders (proptest): customs lines (`read_lines_csv`, `LinesCsvReader`) and
//! the importer's four files (`etl::csv_files::read`, then the job each file feeds) on any
//! bytes and on mutated real files never panic; a file read in pieces reads as it does whole;
//! lines read from any file survive a write and a read again; errors name a row of the file.
//!
//! The bounded run is part of `cargo test`; `PROPTEST_CASES=100000 cargo test -p
//! lading-customs --test fuzz_csv --release` runs a long one (docs/fuzzing.md).

use lading_customs::compare::LineTable;
use lading_customs::etl::csv_files::{self, ImporterFile};
use lading_customs::etl::{HtsCatalog, HtsLookup, hts_reference, packaging, product_master, tariff};
use lading_customs::hts::HtsReference;
use lading_customs::lines_csv::{LinesCsvError, LinesCsvReader, read_lines_csv, write_lines_csv};
use lading_customs::model::CustomsLine;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::RngSeed;
use std::io::Read;
use std::sync::OnceLock;

/// The bounded run of `cargo test`: `default_cases` cases from a fixed seed, the same every
/// time (never flaky). `PROPTEST_CASES` makes it a long run from a random seed (or from
/// `PROPTEST_RNG_SEED`). No regression files: a failure found is kept as a plain test below.
fn config(default_cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    let long_run = std::env::var_os("PROPTEST_CASES").is_some();
    let seeded = long_run || std::env::var_os("PROPTEST_RNG_SEED").is_some();
    ProptestConfig {
        cases: if long_run { base.cases } else { default_cases },
        rng_seed: if seeded { base.rng_seed } else { RngSeed::Fixed(0x1AD1_4600) },
        failure_persistence: None,
        ..base
    }
}

const LINES_HEADER: &str = "entry_number,entry_date,line_number,part,seq,hts_number,programme,origin,mid,spi,related_party,rate,duty,entered_value,charges,gross_kg,net_kg,quantity,unit,mpf,hmf";

/// Real files to mutate: what Lading writes and what SAP exports.
fn lines_seeds() -> Vec<Vec<u8>> {
    let lading = format!(
        "{LINES_HEADER}\n\
         E1,2025-10-20,1,whole,1,9903.01.25,IEEPA_RECIPROCAL,VN,VNHCMMAT42HCM,,N,10%,500.00,5000,40,120,100,4,No.,3.46,1.25\n\
         E1,2025-10-20,1,whole,2,9404.21.00.13,,VN,VNHCMMAT42HCM,,N,3%,150.00,5000,40,120,100,4,No.,3.46,1.25\n\
         E-2,2025-10-21,1,non_metal,1,9403.20.00.35,,CN,\"MID, WITH \"\"QUOTES\"\"\",A,Y,Free,0,1234.56,0,1,1,12.5,m2,0,0\n\
         E-3,2025-10-21,1,whole,,,,CN,CNFOSFUR123FOS,,N,,0,10,0,1,1,,,0,0\n"
    );
    let sap = "\u{feff}ZZIGNORED;entry_number;entry_date;line_number;part;seq;hts_number;programme;origin;mid;spi;related_party;rate;duty;entered_value;charges;gross_kg;net_kg;quantity;unit;mpf;hmf\r\n\
        x;E1;20.10.2025;001;W;02;9403.20.00.35;;CN;CNFOSFUR123FOS;;X;Free;0,00;1.000,00;40,00;120;100;4;NO;3,46;1,25\r\n\
        x;E1;20.10.2025;001;W;01;9903.88.03;301;CN;CNFOSFUR123FOS;;X;25%;250,00;;;120;100;4;NO;;\r\n\
        x;E1;20251020;002;M;01;9403.20.00.35;;CN;CNFOSFUR123FOS;;;Free;0;5,00-;1.234,50-;1;1;0;KG;;\r\n";
    let tabs = format!(
        "{}\nE9\t2025-01-02\t7\tmetal\t1\t7326.90.86.88\tS232\tMX\tMXABC\t\tN\t25%\t10.00\t40\t0\t3\t2\t1\tkg\t0\t0\n",
        LINES_HEADER.replace(',', "\t")
    );
    vec![lading.into_bytes(), sap.as_bytes().to_vec(), tabs.into_bytes()]
}

fn importer_seeds() -> Vec<(ImporterFile, Vec<u8>)> {
    [
        (
            ImporterFile::ProductList,
            "\u{feff}Material,Description,HTS,Country of Origin,Unit,Net Weight KG,Gross Weight KG,MID,Notes\n\
             1001,Adjustable base queen,9403.20.00.35,CN,pieces,48.0,52.5,CNXYZ123SHA,ok\n\
             \n\
             1002,\"Mattress, queen\",9404.21.00.13,VN,ST,30,31.5,VNHCMMAT42HCM,\n",
        ),
        (
            ImporterFile::HtsCode,
            "HTS,Description,Unit,General Rate,Chapter 99\n\
             9403.20.00.35,Metal furniture,No.,Free,9903.88.03\n\
             9404.21.00.13,Mattresses,No. kg,3%,9903.01.25 9903.88.15\n",
        ),
        (
            ImporterFile::HtsTariff,
            "Chapter 99,Programme,Rank,Rate %,Basis,HTS Prefixes,Origins,Excluded Origins,Effective From,Effective To,Displaces,Claim Code,Metal Split\n\
             9903.88.03,301,10,25,FULL,9403 9404,CN,,2019-05-10,,,,N\n\
             9903.81.91,S232,20,50,METAL,7326,,GB,2025-06-04,2026-12-31,9903.88.03,,Y\n",
        ),
        (
            ImporterFile::PackagingMaterial,
            "Material,Packaging Type,KG per Unit,Units per Pack\n1001,CARTON,0.5,10\n1002,PALLET,1.25,\n",
        ),
    ]
    .into_iter()
    .map(|(file, text)| (file, text.as_bytes().to_vec()))
    .collect()
}

/// One change to a file's bytes; positions are taken modulo the length.
#[derive(Clone, Debug)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Repeat(usize, usize),
    Truncate(usize),
}

const TOKENS: [&[u8]; 28] = [
    b",",
    b";",
    b"\t",
    b"\"",
    b"\"\"",
    b"\r\n",
    b"\n",
    b"\r",
    b"\xEF\xBB\xBF",
    b"\xFF",
    b"\xC3",
    b"-",
    b".",
    b",5",
    b"1.234,50-",
    b"99999999999999999999999999999",
    b"0",
    b"-1",
    b"65536",
    b"2025-02-30",
    b"20251301",
    b"31.12.2025",
    b"9403.20.00.35",
    b"W",
    b"X",
    b"No.",
    b"kg",
    "é".as_bytes(),
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set(at, byte)),
        (
            any::<usize>(),
            prop_oneof![prop::collection::vec(any::<u8>(), 1..4), select(TOKENS.to_vec()).prop_map(<[u8]>::to_vec)]
        )
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 1usize..24).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), 1usize..200).prop_map(|(at, len)| Mutation::Repeat(at, len)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for mutation in mutations {
        let at = |position: usize, len: usize| if len == 0 { 0 } else { position % (len + 1) };
        match mutation {
            Mutation::Set(position, byte) if !bytes.is_empty() => {
                let i = position % bytes.len();
                bytes[i] = *byte;
            }
            Mutation::Set(..) => {}
            Mutation::Insert(position, inserted) => {
                let i = at(*position, bytes.len());
                bytes.splice(i..i, inserted.iter().copied());
            }
            Mutation::Delete(position, len) => {
                let i = at(*position, bytes.len());
                let end = (i + len).min(bytes.len());
                bytes.drain(i..end);
            }
            Mutation::Repeat(position, len) => {
                let i = at(*position, bytes.len());
                let end = (i + len).min(bytes.len());
                let copy = bytes[i..end].to_vec();
                bytes.splice(end..end, copy);
            }
            Mutation::Truncate(position) => {
                let i = at(*position, bytes.len());
                bytes.truncate(i);
            }
        }
    }
    bytes
}

fn mutated_lines_file() -> impl Strategy<Value = Vec<u8>> {
    (select(lines_seeds()), prop::collection::vec(mutation(), 0..6)).prop_map(|(seed, edits)| mutate(&seed, &edits))
}

fn mutated_importer_file() -> impl Strategy<Value = (ImporterFile, Vec<u8>)> {
    (select(importer_seeds()), prop::collection::vec(mutation(), 0..6), any::<bool>()).prop_map(
        |((file, seed), edits, other_reader)| {
            // Sometimes the bytes of one file go to another file's reader.
            let file = if other_reader { ImporterFile::ALL[(edits.len() + 1) % 4] } else { file };
            (file, mutate(&seed, &edits))
        },
    )
}

fn read_in_pieces(bytes: &[u8], cuts: &[usize]) -> Result<Vec<CustomsLine>, LinesCsvError> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut reader = LinesCsvReader::new();
    let mut start = 0;
    for point in points {
        reader.feed(&bytes[start..point])?;
        start = point;
    }
    reader.feed(&bytes[start..])?;
    Ok(reader.finish()?.to_lines())
}

/// The lines CSV contract on one input.
fn check_lines(bytes: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    let whole = read_lines_csv(bytes);
    prop_assert_eq!(&read_in_pieces(bytes, cuts), &whole, "read in pieces at {:?}", cuts);
    prop_assert_eq!(&LineTable::from_csv(bytes).map(|t| t.to_lines()), &whole);
    match whole {
        Ok(lines) => {
            let written = write_lines_csv(&lines);
            prop_assert_eq!(read_lines_csv(written.as_bytes()), Ok(lines), "written:\n{}", written);
        }
        Err(error) => {
            let rows = bytes.iter().filter(|b| **b == b'\n').count() + 2;
            prop_assert!(error.row().is_none_or(|row| (1..=rows).contains(&row)), "{error} past the end");
            prop_assert!(!error.to_string().is_empty());
        }
    }
    Ok(())
}

fn hts() -> &'static HtsReference {
    static REFERENCE: OnceLock<HtsReference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let path = format!("{}/../../data/hts/hts_2026_rev_10.json.gz", env!("CARGO_MANIFEST_DIR"));
        let gzip = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(gzip.as_slice()).read_to_end(&mut json).expect("the revision decompresses");
        HtsReference::parse_usitc_json(&json).expect("the revision parses")
    })
}

/// A catalogue that knows nothing, and the real one.
struct Nothing;
impl HtsCatalog for Nothing {
    fn lookup(&self, _: &str) -> HtsLookup {
        HtsLookup::Unknown
    }
}

/// Lines of a file as a spreadsheet counts them: ended by `\n`, `\r\n` or a lone `\r`.
fn line_count(bytes: &[u8]) -> usize {
    let ends = (0..bytes.len())
        .filter(|&i| bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count();
    ends + 1
}

/// The importer-file contract on one input: read, then the job the file feeds, as an upload
/// runs them.
fn check_importer(file: ImporterFile, bytes: &[u8]) -> Result<(), TestCaseError> {
    match csv_files::read(file, bytes) {
        Ok(rows) => {
            let lines = line_count(bytes) as u64;
            for row in &rows {
                let row_number = csv_files::row_number(row);
                prop_assert!(
                    row_number.is_some_and(|r| (2..=lines).contains(&r)),
                    "row {:?} of {} lines",
                    row_number,
                    lines
                );
            }
            let catalogs: [&dyn HtsCatalog; 2] = [hts(), &Nothing];
            for catalog in catalogs {
                let numbers = vec!["9403.20.00.35".to_string()];
                // No panic is the contract here; what the jobs keep is their own tests' business.
                match file {
                    ImporterFile::ProductList => drop(product_master::product_master(&rows, &rows, catalog)),
                    ImporterFile::HtsCode => drop(hts_reference::hts_reference(&rows, &numbers, catalog)),
                    ImporterFile::HtsTariff => drop(tariff::tariff_sequencing(&rows)),
                    ImporterFile::PackagingMaterial => drop(packaging::packaging_materials(&rows)),
                }
            }
        }
        Err(error) => {
            let lines = line_count(bytes) + 1;
            prop_assert!((1..=lines).contains(&error.row), "{error} past the end");
            prop_assert!(!error.column.is_empty() && !error.message.is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn customs_lines_from_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), cuts in prop::collection::vec(any::<usize>(), 0..4)) {
        check_lines(&bytes, &cuts)?;
    }

    #[test]
    fn customs_lines_from_a_header_and_any_text(body in "[A-Za-z0-9.,;\"\t\r\n %-]{0,400}", cuts in prop::collection::vec(any::<usize>(), 0..4)) {
        let bytes = format!("{LINES_HEADER}\n{body}").into_bytes();
        check_lines(&bytes, &cuts)?;
    }

    #[test]
    fn customs_lines_from_mutated_real_files(bytes in mutated_lines_file(), cuts in prop::collection::vec(any::<usize>(), 0..4)) {
        check_lines(&bytes, &cuts)?;
    }

    #[test]
    fn importer_files_from_any_bytes(file in select(ImporterFile::ALL.to_vec()), bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_importer(file, &bytes)?;
    }

    #[test]
    fn importer_files_mutated(input in mutated_importer_file()) {
        check_importer(input.0, &input.1)?;
    }
}

#[test]
fn the_seeds_are_valid_files() {
    for seed in lines_seeds() {
        let lines = read_lines_csv(&seed).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&seed)));
        assert!(!lines.is_empty());
    }
    for (file, seed) in importer_seeds() {
        let rows = csv_files::read(file, &seed).unwrap_or_else(|e| panic!("{e}"));
        assert!(!rows.is_empty(), "{file:?}");
    }
}

/// Found by fuzzing: with two blank lines before the header, the file read whole was "empty"
/// while read in pieces it was not; both now skip every blank line before the header.
#[test]
fn blank_lines_before_the_header_are_skipped_however_the_file_is_read() {
    let seed = &lines_seeds()[0];
    let mut padded = b"\n\r\n  \n".to_vec();
    padded.extend_from_slice(seed);
    let expected = read_lines_csv(seed).expect("the seed reads");
    assert_eq!(read_lines_csv(&padded), Ok(expected.clone()));
    for cut in 0..=padded.len().min(40) {
        assert_eq!(read_in_pieces(&padded, &[cut]), Ok(expected.clone()), "cut at {cut}");
    }
    let mut nul_header = b"\n\n".to_vec();
    nul_header.extend(std::iter::repeat_n(0u8, 600));
    assert_eq!(read_lines_csv(&nul_header), read_in_pieces(&nul_header, &[11_600_227]));
    assert_eq!(read_lines_csv(b"\n\n \r\n"), Err(LinesCsvError::Empty));
}

/// Found by fuzzing: a file whose lines end in a lone `\r` (Excel for Mac's "CSV (Macintosh)")
/// numbered every row 1, so problems pointed at the header.
#[test]
fn rows_of_a_file_with_carriage_return_line_ends_are_numbered_from_2() {
    let file = "Material,Packaging Type,KG per Unit,Units per Pack\r1001,CARTON,0.5,10\r1002,PALLET,1.25,\r";
    let rows = csv_files::read(ImporterFile::PackagingMaterial, file.as_bytes()).expect("the file reads");
    let numbers: Vec<Option<u64>> = rows.iter().map(csv_files::row_number).collect();
    assert_eq!(numbers, [Some(2), Some(3)]);
}
