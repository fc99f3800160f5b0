//! The importer's four hand-kept CSV files, read into SAP-shaped rows so that an upload (the
//! manual fallback) and the shadow comparison go through exactly the jobs the SAP data does.
//!
//! The files are clean human formats: a header row, one record per row, comma-separated,
//! UTF-8 (a byte-order mark is allowed), dotted HTS numbers, weights in kg, ISO dates
//! (`YYYY-MM-DD`), lists separated by spaces. Header names are matched on their letters and
//! digits only, ignoring case (`Net Weight KG`, `net_kg`), and a few other names are accepted
//! for each column (`Country of Origin` for `origin`); optional columns may be left out;
//! unknown columns are ignored.
//!
//! | file | columns (required in bold) |
//! |---|---|
//! | `Product_List.csv` | **material**, description, **hts** (`HTS`), **origin** (`Country of Origin`), mid (`MID`), **base_unit** (`Unit`), **net_kg** (`Net Weight KG`), **gross_kg** (`Gross Weight KG`) |
//! | `HTS_Code.csv` | **hts**, description, **unit** (`No.`, or several separated by spaces), **general_rate** (`General Rate`), chapter99 (`Chapter 99`) |
//! | `HTS Tariff.csv` | **chapter99**, **programme**, **rank**, **rate_percent** (`Rate %`), **basis**, hts_prefixes, origins, excluded_origins, **effective_from**, effective_to (blank: open), displaces, claim_code, metal_split (`Y`/`N`) |
//! | `Packaging_Material.csv` | **material**, **packaging_type**, **kg_per_unit** (`KG per Unit`, packaging kg per base unit), units_per_pack |
//!
//! A structural problem (a row with more or fewer fields than the header, bytes that are not
//! UTF-8, a missing required column) fails the whole file with its row and column; a record
//! whose values are wrong is the job's business (quarantined with its reasons).

use super::{Issue, Row};
use serde_json::Value;

/// One of the importer's CSV files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImporterFile {
    ProductList,
    HtsCode,
    HtsTariff,
    PackagingMaterial,
}

/// One column: its CSV name, other headers that mean it, the SAP field it stands for, and
/// whether it must be present.
struct Column {
    name: &'static str,
    aliases: &'static [&'static str],
    field: &'static str,
    required: bool,
}

const fn required(name: &'static str, aliases: &'static [&'static str], field: &'static str) -> Column {
    Column { name, aliases, field, required: true }
}

const fn optional(name: &'static str, aliases: &'static [&'static str], field: &'static str) -> Column {
    Column { name, aliases, field, required: false }
}

const PRODUCT_LIST: &[Column] = &[
    required("material", &["Material Number", "MATNR"], "MATNR"),
    optional("description", &["MAKTX"], "MAKTX"),
    required("hts", &["HTS Code", "HTS10", "HTS Number", "STAWN"], "STAWN"),
    required("origin", &["Country of Origin", "COO", "HERKL"], "HERKL"),
    required("base_unit", &["Unit", "UoM", "MEINS"], "MEINS"),
    required("net_kg", &["Net Weight KG", "Net Weight"], "NTGEW"),
    required("gross_kg", &["Gross Weight KG", "Gross Weight"], "BRGEW"),
    optional("mid", &["Manufacturer ID", "ZZMID"], "ZZMID"),
];

const HTS_CODE: &[Column] = &[
    required("hts", &["HTS Code", "HTS10", "HTSNO"], "HTSNO"),
    optional("description", &["DESCR"], "DESCR"),
    required("unit", &["Units", "UoM"], "UNIT"),
    required("general_rate", &["General", "Rate"], "GENERAL"),
    optional("chapter99", &["CH99", "Chapter 99 References"], "CH99"),
];

const HTS_TARIFF: &[Column] = &[
    required("chapter99", &["CH99"], "CH99"),
    required("programme", &["Program"], "PROGRAM"),
    required("rank", &[], "RANK"),
    required("rate_percent", &["Rate %", "Rate"], "RATE"),
    required("basis", &["Rate Basis"], "BASIS"),
    optional("hts_prefixes", &["HTS Prefix", "Prefixes"], "HTS_PREFIX"),
    optional("origins", &[], "ORIGINS"),
    optional("excluded_origins", &["Excl Origins"], "EXCL_ORIGINS"),
    required("effective_from", &["Valid From", "From"], "VALID_FROM"),
    optional("effective_to", &["Valid To", "To"], "VALID_TO"),
    optional("displaces", &[], "DISPLACES"),
    optional("claim_code", &[], "CLAIM_CODE"),
    optional("metal_split", &[], "METAL_SPLIT"),
];

const PACKAGING_MATERIAL: &[Column] = &[
    required("material", &["Material Number", "MATNR"], "MATNR"),
    required("packaging_type", &["Pack Type", "Type"], "ZZPACK_TYPE"),
    required("kg_per_unit", &["Packaging KG"], "ZZPACK_KG"),
    optional("units_per_pack", &["UMREZ"], "UMREZ"),
];

/// The field under which a row carries its CSV row number (the header is row 1).
pub const ROW_FIELD: &str = "_ROW";

impl ImporterFile {
    pub const ALL: [ImporterFile; 4] =
        [ImporterFile::ProductList, ImporterFile::HtsCode, ImporterFile::HtsTariff, ImporterFile::PackagingMaterial];

    /// The file's name as the importer keeps it.
    pub fn file_name(self) -> &'static str {
        match self {
            ImporterFile::ProductList => "Product_List.csv",
            ImporterFile::HtsCode => "HTS_Code.csv",
            ImporterFile::HtsTariff => "HTS Tariff.csv",
            ImporterFile::PackagingMaterial => "Packaging_Material.csv",
        }
    }

    /// The table the file stands for.
    pub fn table(self) -> &'static str {
        match self {
            ImporterFile::ProductList => super::PRODUCT_MASTER,
            ImporterFile::HtsCode => super::HTS_REFERENCE,
            ImporterFile::HtsTariff => super::TARIFF_SEQUENCING,
            ImporterFile::PackagingMaterial => super::PACKAGING_MATERIALS,
        }
    }

    /// The file of a table: `product_master`, `hts_reference`, `tariff_sequencing`,
    /// `packaging_materials`.
    pub fn from_table(table: &str) -> Option<ImporterFile> {
        ImporterFile::ALL.into_iter().find(|file| file.table() == table)
    }

    /// The file of a name, ignoring case, the directory, and `_` versus space
    /// (`hts_tariff.csv` is `HTS Tariff.csv`).
    pub fn from_file_name(name: &str) -> Option<ImporterFile> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let squash = |text: &str| text.to_ascii_lowercase().replace([' ', '_', '-'], "");
        ImporterFile::ALL.into_iter().find(|file| squash(file.file_name()) == squash(base))
    }

    fn columns(self) -> &'static [Column] {
        match self {
            ImporterFile::ProductList => PRODUCT_LIST,
            ImporterFile::HtsCode => HTS_CODE,
            ImporterFile::HtsTariff => HTS_TARIFF,
            ImporterFile::PackagingMaterial => PACKAGING_MATERIAL,
        }
    }

    /// The CSV column names, in the documented order.
    pub fn column_names(self) -> Vec<&'static str> {
        self.columns().iter().map(|c| c.name).collect()
    }

    /// The CSV column that stands for a SAP field, for messages.
    pub fn column_of(self, field: &str) -> Option<&'static str> {
        self.columns().iter().find(|c| c.field == field).map(|c| c.name).or(match (self, field) {
            (ImporterFile::ProductList, "GEWEI") => Some("gross_kg"),
            (ImporterFile::PackagingMaterial, "MEINH" | "UMREN") => Some("packaging_type"),
            _ => None,
        })
    }

    /// Problems named by SAP field, renamed to this file's columns.
    pub fn rename_issues(self, issues: Vec<Issue>) -> Vec<Issue> {
        issues
            .into_iter()
            .map(|mut issue| {
                if let Some(column) = self.column_of(&issue.field) {
                    issue.message = issue.message.replace(&issue.field, column);
                    issue.field = column.to_string();
                }
                issue
            })
            .collect()
    }
}

/// A file that cannot be read as a whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file} row {row}, column {column}: {message}")]
pub struct CsvError {
    pub file: String,
    /// 1-based; the header is row 1.
    pub row: usize,
    /// The column's name when known, else its 1-based number.
    pub column: String,
    pub message: String,
}

/// A header as compared: lower case, letters and digits only (`Net Weight KG` → `netweightkg`).
fn normalise_header(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

impl Column {
    fn matches(&self, header: &str) -> bool {
        normalise_header(self.name) == header || self.aliases.iter().any(|alias| normalise_header(alias) == header)
    }
}

/// Reads one of the importer's files into SAP-shaped rows (see the module docs).
pub fn read(file: ImporterFile, bytes: &[u8]) -> Result<Vec<Row>, CsvError> {
    let name = file.file_name();
    let error = |row: usize, column: String, message: String| CsvError { file: name.to_string(), row, column, message };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
    let line_of = |position: Option<&csv::Position>| -> usize {
        position.map_or(1, |p| {
            let mut byte = usize::try_from(p.byte()).unwrap_or(usize::MAX).min(bytes.len());
            // A record's position can point at the blank lines skipped before it.
            while bytes.get(byte).is_some_and(|b| matches!(b, b'\n' | b'\r')) {
                byte += 1;
            }
            // The csv crate ends a record at `\n`, `\r\n` or a lone `\r` (Excel for Mac's
            // "CSV (Macintosh)"); count lines the same way (found by fuzzing).
            let lone_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
            1 + (0..byte).filter(|&i| bytes[i] == b'\n' || lone_cr(i)).count()
        })
    };
    let headers = reader.headers().map_err(|e| csv_error(name, &e, None, line_of(e.position())))?.clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(error(
            1,
            "1".into(),
            format!("the file is empty: it needs a header row with {}", file.column_names().join(", ")),
        ));
    }
    let header_names: Vec<String> = headers.iter().map(normalise_header).collect();
    let header_texts: Vec<String> =
        headers.iter().map(|h| h.trim().trim_start_matches('\u{feff}').to_string()).collect();
    let mut positions: Vec<(usize, &Column)> = Vec::new();
    for column in file.columns() {
        match header_names.iter().position(|h| column.matches(h)) {
            Some(index) => positions.push((index, column)),
            None if column.required => {
                return Err(error(
                    1,
                    column.name.to_string(),
                    format!("the header has no column {:?}; expected {}", column.name, file.column_names().join(", ")),
                ));
            }
            None => {}
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(name, &e, Some(&header_texts), line_of(e.position())))?;
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let line = line_of(record.position());
        let mut row = Row::new();
        row.insert(ROW_FIELD.into(), Value::from(line));
        for (index, column) in &positions {
            row.insert(column.field.into(), Value::String(record.get(*index).unwrap_or_default().trim().to_string()));
        }
        match file {
            ImporterFile::ProductList => {
                row.insert("GEWEI".into(), Value::String("KG".into()));
            }
            ImporterFile::PackagingMaterial => {
                // The file states kg per base unit directly; a pack holds `units_per_pack`.
                let unit = row.get("ZZPACK_TYPE").cloned().unwrap_or(Value::Null);
                row.insert("MEINH".into(), unit);
                if row.get("UMREZ").and_then(Value::as_str).is_none_or(str::is_empty) {
                    row.insert("UMREZ".into(), Value::String("1".into()));
                }
                row.insert("UMREN".into(), Value::String("1".into()));
            }
            ImporterFile::HtsCode | ImporterFile::HtsTariff => {}
        }
        rows.push(row);
    }
    Ok(rows)
}

fn csv_error(file: &str, error: &csv::Error, headers: Option<&[String]>, row: usize) -> CsvError {
    let (column, message) = match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => (
            (expected_len.min(len) + 1).to_string(),
            format!(
                "the row has {len} fields but the header has {expected_len}: check for a missing field or an unquoted comma"
            ),
        ),
        csv::ErrorKind::Utf8 { err, .. } => {
            let column =
                headers.and_then(|h| h.get(err.field())).cloned().unwrap_or_else(|| (err.field() + 1).to_string());
            (column, "the field is not valid utf-8: save the file as utf-8".to_string())
        }
        _ => ("1".to_string(), format!("the file cannot be read as csv: {error}")),
    };
    CsvError { file: file.to_string(), row, column, message }
}

/// The CSV row a SAP-shaped row was read from, if it was.
pub fn row_number(row: &Row) -> Option<u64> {
    row.get(ROW_FIELD).and_then(Value::as_u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_product_list_reads_into_sap_fields() {
        let csv = "\u{feff}Material,Description,HTS,Origin,Base Unit,Net_kg,Gross_kg,MID,Notes\n\
                   1001,Adjustable base queen,9403.20.00.35,CN,pieces,48.0,52.5,CNXYZ123SHA,ok\n\
                   \n\
                   1002,\"Mattress, queen\",9404.21.00.13,VN,pieces,27.5,30,,\n";
        let rows = read(ImporterFile::ProductList, csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            Value::Object(rows[1].clone()),
            json!({"_ROW": 4, "MATNR": "1002", "MAKTX": "Mattress, queen", "STAWN": "9404.21.00.13", "HERKL": "VN",
                   "MEINS": "pieces", "NTGEW": "27.5", "BRGEW": "30", "ZZMID": "", "GEWEI": "KG"})
        );
    }

    #[test]
    fn malformed_files_name_the_row_and_column() {
        let short = "material,packaging_type,kg_per_unit\n1001,CARTON,3.2\n1002,PALLET\n";
        assert_eq!(
            read(ImporterFile::PackagingMaterial, short.as_bytes()).unwrap_err().to_string(),
            "Packaging_Material.csv row 3, column 3: the row has 2 fields but the header has 3: check for a missing field or an unquoted comma"
        );
        let missing = "material,kg_per_unit\n1001,3.2\n";
        let error = read(ImporterFile::PackagingMaterial, missing.as_bytes()).unwrap_err();
        assert_eq!((error.row, error.column.as_str()), (1, "packaging_type"));
        let bytes = b"hts,unit,general_rate\n9403.20.00.35,No.,Fr\xffee\n";
        let error = read(ImporterFile::HtsCode, bytes).unwrap_err();
        assert_eq!((error.row, error.column.as_str()), (2, "general_rate"));
        let error = read(ImporterFile::HtsCode, b"").unwrap_err();
        assert_eq!(error.row, 1);
    }

    #[test]
    fn names_and_columns() {
        assert_eq!(ImporterFile::from_file_name("/tmp/x/hts_tariff.csv"), Some(ImporterFile::HtsTariff));
        assert_eq!(ImporterFile::from_file_name("HTS Tariff.csv"), Some(ImporterFile::HtsTariff));
        assert_eq!(ImporterFile::from_table("packaging_materials"), Some(ImporterFile::PackagingMaterial));
        assert_eq!(ImporterFile::from_file_name("other.csv"), None);
        let renamed =
            ImporterFile::ProductList.rename_issues(vec![Issue::new("STAWN", "hts_unknown", "STAWN is wrong")]);
        assert_eq!(renamed, [Issue::new("hts", "hts_unknown", "hts is wrong")]);
    }
}
