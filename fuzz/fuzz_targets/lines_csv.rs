//! Any bytes as a customs-lines CSV: lines or an error naming a row, never a panic; read in two
//! pieces (cut where the first byte says) it reads as it does whole.
#![no_main]

use lading_customs::lines_csv::{LinesCsvReader, read_lines_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, csv)) = data.split_first() else { return };
    let whole = read_lines_csv(csv);
    let cut = usize::from(cut) % (csv.len() + 1);
    let mut reader = LinesCsvReader::new();
    let pieces = reader
        .feed(&csv[..cut])
        .and_then(|()| reader.feed(&csv[cut..]))
        .and_then(|()| reader.finish().map(|table| table.to_lines()));
    assert_eq!(pieces, whole);
});
