//! The seven SAP sources of the IOR flow, and the landing of their raw answers.
//!
//! Each source is one function module read to its end by the shared [`SapClient`] (with its
//! retries of 429, 502, 504 and network errors). A landing writes, for run date `date`:
//! - `raw/{tenant}/{source}/{date}/page-NNNNN.json`: every answer as SAP sent it;
//! - `raw/{tenant}/{source}/{date}/manifest.json`, last: the FM, its parameters, the pages,
//!   the rows of each table and SAP's informational messages. A landing without its manifest
//!   is incomplete and the ETL ignores it.
//!
//! A source that still fails after the last retry (SAP unreachable, 5xx, wrong credentials, an
//! `E` in `ET_RETURN`) leaves a dead letter (the FM, its parameters and the error) and an
//! error alert `source_down` naming the FM; the other sources still land. Each source says how
//! often it should run ([`Cadence`]): data for a scheduler, not a scheduler.

use super::{IorError, PIPELINE};
use crate::engine::Engine;
use crate::notify::{Alert, Severity};
use chrono::NaiveDate;
use lading_connect::sources::sap::{SapClient, SapMessage, SapRead};
use lading_core::TenantId;
use lading_store::DeadLetter;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// How often a source should be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// Transactions: `schedules.daily` of the config.
    Daily,
    /// Master data: `schedules.weekly` of the config.
    Weekly,
}

/// The date-range parameters a source takes, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    None,
    /// `I_{field}_FROM` / `I_{field}_TO`.
    Range(&'static str),
}

/// One SAP source of the flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IngestSource {
    /// The name in object keys and reports: `product_weights` …
    pub name: &'static str,
    pub fm: &'static str,
    /// The table parameters to collect, the one `E_TOTAL` counts first.
    pub tables: &'static [&'static str],
    pub cadence: Cadence,
    pub window: Window,
}

/// The seven sources, master data first.
pub const SOURCES: [IngestSource; 7] = [
    IngestSource {
        name: "product_weights",
        fm: "ZFMIOR002",
        tables: &["ET_WEIGHTS"],
        cadence: Cadence::Weekly,
        window: Window::None,
    },
    IngestSource {
        name: "units_packaging",
        fm: "ZFMIOR003",
        tables: &["ET_UOM"],
        cadence: Cadence::Weekly,
        window: Window::None,
    },
    IngestSource {
        name: "material_master",
        fm: "ZEMM005",
        tables: &["ET_MATERIAL"],
        cadence: Cadence::Weekly,
        window: Window::None,
    },
    IngestSource {
        name: "hts_reference",
        fm: "ZTIOR_HTS",
        tables: &["ET_HTS"],
        cadence: Cadence::Weekly,
        window: Window::None,
    },
    IngestSource {
        name: "tariff_sequencing",
        fm: "ZTIOR_TARIFF",
        tables: &["ET_TARIFF"],
        cadence: Cadence::Weekly,
        window: Window::None,
    },
    IngestSource {
        name: "movements",
        fm: "ZEMM004",
        tables: &["ET_MOVEMENTS"],
        cadence: Cadence::Daily,
        window: Window::Range("BUDAT"),
    },
    IngestSource {
        name: "billing",
        fm: "ZSDR002",
        tables: &["ET_BILLING", "ET_CUSTOMS"],
        cadence: Cadence::Daily,
        window: Window::Range("FKDAT"),
    },
];

/// The source called `name`.
pub fn source(name: &str) -> Option<&'static IngestSource> {
    SOURCES.iter().find(|s| s.name == name)
}

/// Which sources a run reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    All,
    /// The transactions: ZSDR002, ZEMM004.
    Daily,
    /// The master data.
    Weekly,
    /// By source name (`billing`) or FM (`ZSDR002`).
    Named(Vec<String>),
}

impl Selection {
    pub fn includes(&self, source: &IngestSource) -> bool {
        match self {
            Selection::All => true,
            Selection::Daily => source.cadence == Cadence::Daily,
            Selection::Weekly => source.cadence == Cadence::Weekly,
            Selection::Named(names) => names.iter().any(|n| n == source.name || n.eq_ignore_ascii_case(source.fm)),
        }
    }
}

/// What to ingest.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestOptions {
    /// The date in the object keys; the day the run is for.
    pub run_date: NaiveDate,
    pub selection: Selection,
    /// The date range of the daily sources (inclusive); the day before `run_date` if `None`.
    pub window: Option<(NaiveDate, NaiveDate)>,
}

impl IngestOptions {
    /// Every source for `run_date`, with the default window.
    pub fn all(run_date: NaiveDate) -> IngestOptions {
        IngestOptions { run_date, selection: Selection::All, window: None }
    }

    /// The date range the daily sources are asked for.
    pub fn window(&self) -> (NaiveDate, NaiveDate) {
        self.window.unwrap_or_else(|| {
            let yesterday = self.run_date.pred_opt().unwrap_or(self.run_date);
            (yesterday, yesterday)
        })
    }
}

/// What a landing leaves for the ETL, at `…/{date}/manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub source: String,
    pub fm: String,
    pub run_id: String,
    pub run_date: NaiveDate,
    pub landed_at: String,
    pub params: Map<String, Value>,
    /// Keys of the raw pages, in order.
    pub pages: Vec<String>,
    /// Rows of each table.
    pub rows: BTreeMap<String, usize>,
    pub total: Option<u64>,
    /// SAP's `S`, `I` and `W` messages, as `TYPE ID NUMBER: MESSAGE`.
    pub messages: Vec<String>,
}

/// How one source went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceOutcome {
    pub source: String,
    pub fm: String,
    /// `landed` or `failed`.
    pub status: String,
    pub manifest: Option<String>,
    pub rows: BTreeMap<String, usize>,
    pub pages: usize,
    pub error: Option<String>,
}

/// What one ingest did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IngestReport {
    pub sources: Vec<SourceOutcome>,
}

impl IngestReport {
    pub fn failed(&self) -> Vec<&SourceOutcome> {
        self.sources.iter().filter(|s| s.status == "failed").collect()
    }
}

/// The prefix of a source's landings: `raw/{tenant}/{source}/`.
pub fn raw_prefix(tenant: &TenantId, source: &str) -> String {
    format!("raw/{tenant}/{source}/")
}

/// The key of a landing's manifest.
pub fn manifest_key(tenant: &TenantId, source: &str, date: NaiveDate) -> String {
    format!("raw/{tenant}/{source}/{date}/manifest.json")
}

/// The import parameters of a source for this ingest.
pub fn params(source: &IngestSource, options: &IngestOptions) -> Map<String, Value> {
    let mut params = Map::new();
    if let Window::Range(field) = source.window {
        let (from, to) = options.window();
        params.insert(format!("I_{field}_FROM"), json!(from.format("%Y%m%d").to_string()));
        params.insert(format!("I_{field}_TO"), json!(to.format("%Y%m%d").to_string()));
    }
    params
}

/// Reads and lands the selected sources, one after the other (SAP's dialog work processes are
/// few; a daily run is minutes, not hours).
pub async fn ingest(
    engine: &Engine,
    client: &SapClient,
    tenant: &TenantId,
    run_id: &str,
    options: &IngestOptions,
) -> Result<IngestReport, IorError> {
    let mut report = IngestReport::default();
    for source in SOURCES.iter().filter(|s| options.selection.includes(s)) {
        let params = params(source, options);
        let attempts_before = client.http().stats().attempts;
        let outcome = match client.read(source.fm, source.tables, &params).await {
            Ok(read) => land(engine, tenant, run_id, options.run_date, source, read).await?,
            Err(error) => {
                let message = error.to_string();
                let attempts = client.http().stats().attempts.saturating_sub(attempts_before);
                source_down(
                    engine,
                    tenant,
                    run_id,
                    source,
                    &params,
                    &message,
                    u32::try_from(attempts).unwrap_or(u32::MAX),
                )
                .await?;
                SourceOutcome {
                    source: source.name.into(),
                    fm: source.fm.into(),
                    status: "failed".into(),
                    manifest: None,
                    rows: BTreeMap::new(),
                    pages: 0,
                    error: Some(message),
                }
            }
        };
        report.sources.push(outcome);
    }
    Ok(report)
}

/// Reads one source again with the parameters a dead letter kept, and lands it under `date`
/// (a dead letter's replay).
pub(crate) async fn ingest_source(
    engine: &Engine,
    client: &SapClient,
    tenant: &TenantId,
    run_id: &str,
    date: NaiveDate,
    source: &IngestSource,
    params: &Map<String, Value>,
) -> Result<SourceOutcome, IorError> {
    let read = client.read(source.fm, source.tables, params).await?;
    land(engine, tenant, run_id, date, source, read).await
}

async fn land(
    engine: &Engine,
    tenant: &TenantId,
    run_id: &str,
    date: NaiveDate,
    source: &IngestSource,
    read: SapRead,
) -> Result<SourceOutcome, IorError> {
    let prefix = format!("{}{date}", raw_prefix(tenant, source.name));
    let mut pages = Vec::with_capacity(read.pages.len());
    for (index, page) in read.pages.iter().enumerate() {
        let key = format!("{prefix}/page-{:05}.json", index + 1);
        engine.objects.put(&key, bytes::Bytes::from(page.body.clone())).await?;
        pages.push(key);
    }
    let rows: BTreeMap<String, usize> = read.tables.iter().map(|(table, rows)| (table.clone(), rows.len())).collect();
    let manifest = Manifest {
        source: source.name.into(),
        fm: source.fm.into(),
        run_id: run_id.into(),
        run_date: date,
        landed_at: chrono::Utc::now().to_rfc3339(),
        params: read.params.clone(),
        pages: pages.clone(),
        rows: rows.clone(),
        total: read.total,
        messages: read.messages.iter().map(describe).collect(),
    };
    let key = manifest_key(tenant, source.name, date);
    engine.objects.put_json(&key, &manifest).await?;
    tracing::info!(tenant = %tenant, run_id, source = source.name, fm = source.fm, pages = pages.len(), rows = ?rows, "sap source landed");
    Ok(SourceOutcome {
        source: source.name.into(),
        fm: source.fm.into(),
        status: "landed".into(),
        manifest: Some(key),
        rows,
        pages: pages.len(),
        error: None,
    })
}

fn describe(message: &SapMessage) -> String {
    format!("{} {} {}: {}", message.kind, message.id, message.number, message.message)
}

async fn source_down(
    engine: &Engine,
    tenant: &TenantId,
    run_id: &str,
    source: &IngestSource,
    params: &Map<String, Value>,
    error: &str,
    attempts: u32,
) -> Result<(), IorError> {
    let letter = DeadLetter {
        id: 0,
        tenant_id: tenant.to_string(),
        run_id: run_id.into(),
        pipeline: PIPELINE.into(),
        record_key: format!("{}/{}", source.name, source.fm),
        payload: json!({"fm": source.fm, "source": source.name, "tables": source.tables, "params": params}),
        error: error.into(),
        attempts,
        created_at: chrono::Utc::now().to_rfc3339(),
        replayed_at: None,
    };
    engine.state.put_dead_letters(&[letter]).await?;
    let alert = Alert {
        tenant_id: tenant.to_string(),
        pipeline: PIPELINE.into(),
        run_id: Some(run_id.into()),
        severity: Severity::Error,
        kind: "source_down".into(),
        message: format!(
            "tenant {tenant}: sap function module {} ({}) could not be read: {error}; the etl keeps the last landed data of this source",
            source.fm, source.name
        ),
    };
    if let Err(e) = engine.notifier.notify(&alert).await {
        tracing::warn!(tenant = %tenant, "alert not delivered: {e}");
    }
    Ok(())
}

/// The latest complete landing of `source` for the ETL of `run_date`: that day's for a daily
/// source, the newest on or before it for a weekly one.
pub async fn latest_manifest(
    engine: &Engine,
    tenant: &TenantId,
    source: &IngestSource,
    run_date: NaiveDate,
) -> Result<Option<(String, Manifest)>, IorError> {
    if source.cadence == Cadence::Daily {
        let key = manifest_key(tenant, source.name, run_date);
        if !engine.objects.exists(&key).await? {
            return Ok(None);
        }
        let manifest = engine.objects.get_json(&key).await?;
        return Ok(Some((key, manifest)));
    }
    let prefix = raw_prefix(tenant, source.name);
    let mut dates: Vec<NaiveDate> = engine
        .objects
        .list(&prefix)
        .await?
        .iter()
        .filter_map(|key| key.strip_prefix(&prefix)?.strip_suffix("/manifest.json")?.parse().ok())
        .filter(|date| *date <= run_date)
        .collect();
    dates.sort();
    match dates.last() {
        Some(date) => {
            let key = manifest_key(tenant, source.name, *date);
            let manifest = engine.objects.get_json(&key).await?;
            Ok(Some((key, manifest)))
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_sources_with_their_cadence_and_windows() {
        let daily: Vec<&str> = SOURCES.iter().filter(|s| s.cadence == Cadence::Daily).map(|s| s.fm).collect();
        assert_eq!(daily, ["ZEMM004", "ZSDR002"]);
        assert_eq!(SOURCES.len(), 7);
        let date = NaiveDate::from_ymd_opt(2025, 10, 21).unwrap();
        let options = IngestOptions::all(date);
        let billing = source("billing").unwrap();
        assert_eq!(
            Value::Object(params(billing, &options)),
            json!({"I_FKDAT_FROM": "20251020", "I_FKDAT_TO": "20251020"})
        );
        assert!(params(source("hts_reference").unwrap(), &options).is_empty());
        assert!(Selection::Named(vec!["zsdr002".into()]).includes(billing));
        assert!(!Selection::Weekly.includes(billing));
    }
}
