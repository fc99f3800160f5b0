//! Any bytes as one of the importer's four CSV files (the first byte picks which): rows or an
//! error naming a row and a column, never a panic.
#![no_main]

use lading_customs::etl::csv_files::{self, ImporterFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, csv)) = data.split_first() else { return };
    let file = ImporterFile::ALL[usize::from(pick) % ImporterFile::ALL.len()];
    if let Err(error) = csv_files::read(file, csv) {
        assert!(error.row >= 1 && !error.column.is_empty());
    }
});
