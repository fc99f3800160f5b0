//! The importer-of-record (IOR) flow: SAP function modules landed raw, turned into validated
//! master and transaction tables, with a manual CSV fallback and a shadow comparison.
//!
//! - [`config`]: the tenant's [`IorConfig`] (state table `ior_config`, key `config`) and its
//!   SAP secret `sap-integration/{tenant}/sap`;
//! - [`ingest`]: the seven sources, each landing raw pages at `raw/{tenant}/{source}/{date}/…`
//!   with a `manifest.json` written last; a source that still fails after the client's
//!   retries leaves a dead letter and a `source_down` alert;
//! - [`etl`]: the jobs of `lading_customs::etl` wired to the raw objects and the state tables,
//!   quarantining bad records and raising `records_quarantined`;
//! - [`upload`]: one table loaded from the importer's CSV through the same jobs;
//! - [`shadow`]: every table compared with the importer's CSV files, field by field;
//! - [`run`]: ingest and ETL as one recorded run (`lading run ior-daily`).
//!
//! Steps pass object keys (the manifests), never payloads, and every step can be run again:
//! a landing rewrites its date's objects, a job replaces its table in one transaction and
//! quarantines by (run, record key).

pub mod config;
pub mod etl;
pub mod hts;
pub mod ingest;
pub mod run;
pub mod shadow;
pub mod upload;

pub use config::{load_config, put_config, sap_client, sap_credentials};
pub use etl::{EtlReport, JobReport, JobStatus, run_etl};
pub use ingest::{Cadence, IngestOptions, IngestReport, SOURCES, Selection, SourceOutcome, ingest};
pub use lading_customs::config::{IorConfig, RawIorConfig};
pub use run::{IorRunOptions, IorRunReport, run_ior};
pub use shadow::{ShadowReport, TableComparison, validate_against};
pub use upload::{UploadReport, upload};

use lading_connect::ConnectError;
use lading_customs::etl::csv_files::CsvError;
use lading_store::StoreError;

/// The pipeline names runs, quarantine entries and dead letters of this flow carry.
pub const PIPELINE: &str = "ior";

/// Why an IOR operation could not run. A source that fails or a record that is quarantined is
/// not an error: it is in the report.
#[derive(Debug, thiserror::Error)]
pub enum IorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "tenant {tenant}: no importer-of-record config; store one with `lading ior setup --file config.json` (see docs/ior.md)"
    )]
    NoConfig { tenant: String },
    #[error("tenant {tenant}: invalid ior config: {}", problems.join("; "))]
    InvalidConfig { tenant: String, problems: Vec<String> },
    #[error("tenant {tenant}: the ior flow is disabled; set enabled to true in its ior config")]
    Disabled { tenant: String },
    #[error("tenant {tenant}: no secret {name}; store {{\"username\", \"password\"}} of the sap user there")]
    MissingSecret { tenant: String, name: String },
    #[error("tenant {tenant}: secret {name} is {message}; it must hold {{\"username\", \"password\"}}")]
    BadSecret { tenant: String, name: String, message: String },
    #[error("tenant {tenant}: hts revision {revision} cannot be read: {message}")]
    Hts { tenant: String, revision: String, message: String },
    #[error("tenant {tenant}: {error}; fix the file and upload it again")]
    Csv { tenant: String, error: CsvError },
    #[error(
        "tenant {tenant}: {table:?} cannot be uploaded; use product_master, hts_reference, tariff_sequencing or packaging_materials"
    )]
    UnknownTable { tenant: String, table: String },
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("tenant {tenant}: {message}")]
    Corrupt { tenant: String, message: String },
}
