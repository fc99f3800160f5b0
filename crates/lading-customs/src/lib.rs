//! The importer-of-record domain, pure: master data, the HTS reference, tariff sequencing,
//! US customs entry-line generation, and the field-by-field comparison with the ERP's lines.
//!
//! Nothing here does IO: callers hand in parsed data (bytes of the USITC export, rows of the
//! master tables) and get lines, reports and problems back. See `../shared/domain/customs.md`.

pub mod compare;
pub mod config;
pub mod etl;
pub mod generate;
pub mod hts;
pub mod lines_csv;
pub mod model;
pub mod rate;
pub mod rules;
