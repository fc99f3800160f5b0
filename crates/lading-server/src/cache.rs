//! Decoded copies of what is expensive to read, so pages and list endpoints stay fast with
//! 100,000 customs lines and 10,000 runs in the store:
//! - a tenant's customs lines, kept until the store's `table_version` says the table changed;
//! - the overview's numbers, kept for [`OVERVIEW_TTL`] (a run that finishes shows up on the
//!   overview within that time; run lists and run pages are always read fresh).

use crate::query::Overview;
use chrono::NaiveDate;
use lading_core::TenantId;
use lading_customs::model::CustomsLine;
use lading_runtime::engine::Engine;
use lading_runtime::ior_daily::CUSTOMS_LINES;
use lading_store::StoreError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long the overview's numbers are reused.
pub const OVERVIEW_TTL: Duration = Duration::from_secs(5);

type Lines = Arc<CustomsIndex>;

/// A tenant's customs lines sorted by (entry, line), with the positions sorted by entry date,
/// so an entry or a date range is found by binary search rather than a scan.
pub struct CustomsIndex {
    pub lines: Vec<CustomsLine>,
    by_date: Vec<u32>,
}

impl CustomsIndex {
    pub fn new(mut lines: Vec<CustomsLine>) -> CustomsIndex {
        lines.sort_by(|a, b| (&a.entry_number, a.line_number).cmp(&(&b.entry_number, b.line_number)));
        let mut by_date: Vec<u32> = (0..lines.len() as u32).collect();
        by_date.sort_by_key(|&i| (lines[i as usize].entry_date, i));
        CustomsIndex { lines, by_date }
    }

    /// The lines of one entry.
    pub fn entry(&self, entry: &str) -> &[CustomsLine] {
        let start = self.lines.partition_point(|l| l.entry_number.as_str() < entry);
        let end = start + self.lines[start..].partition_point(|l| l.entry_number == entry);
        &self.lines[start..end]
    }

    /// The lines dated within `[from, to]` (either bound open), in (date, entry, line) order.
    pub fn dated(&self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> impl Iterator<Item = &CustomsLine> {
        let date = |i: &u32| self.lines[*i as usize].entry_date;
        let start = from.map_or(0, |from| self.by_date.partition_point(|i| date(i) < from));
        let end = to.map_or(self.by_date.len(), |to| self.by_date.partition_point(|i| date(i) <= to));
        self.by_date[start..end.max(start)].iter().map(|&i| &self.lines[i as usize])
    }
}

#[derive(Default)]
pub struct Cache {
    /// By tenant: the table version read and the lines of that version.
    customs_lines: Mutex<HashMap<String, (u64, Lines)>>,
    /// By number of days: when computed, and the numbers.
    overviews: Mutex<HashMap<u32, (Instant, Arc<Overview>)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Cache {
    /// A tenant's generated customs lines in key order (entry, line).
    pub async fn customs_lines(&self, engine: &Engine, tenant: &TenantId) -> Result<Lines, StoreError> {
        let version = engine.state.table_version(tenant, CUSTOMS_LINES).await?;
        if let Some((_, lines)) = lock(&self.customs_lines).get(tenant.as_str()).filter(|(v, _)| *v == version) {
            return Ok(lines.clone());
        }
        let rows = engine.state.get_table(tenant, CUSTOMS_LINES).await?;
        let lines = rows
            .into_iter()
            .map(|(key, value)| {
                serde_json::from_value::<CustomsLine>(value)
                    .map_err(|e| StoreError::Corrupt(format!("customs line {key} of tenant {tenant}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let lines = Arc::new(CustomsIndex::new(lines));
        lock(&self.customs_lines).insert(tenant.to_string(), (version, lines.clone()));
        Ok(lines)
    }

    /// The overview of the last `days` days computed less than [`OVERVIEW_TTL`] ago, if any.
    pub fn overview(&self, days: u32) -> Option<Arc<Overview>> {
        lock(&self.overviews).get(&days).filter(|(at, _)| at.elapsed() < OVERVIEW_TTL).map(|(_, o)| o.clone())
    }

    pub fn keep_overview(&self, days: u32, overview: Overview) -> Arc<Overview> {
        let overview = Arc::new(overview);
        lock(&self.overviews).insert(days, (Instant::now(), overview.clone()));
        overview
    }
}
