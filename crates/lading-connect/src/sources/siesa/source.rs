//! The Siesa extract: the three queries read concurrently, joined into source records.

use super::SYSTEM;
use super::client::{BARCODES_QUERY, ITEMS_QUERY, QueryResult, UNITS_QUERY, fetch_query};
use super::config::SiesaEndpoint;
use super::join::join;
use crate::error::{ConnectError, ErrorKind};
use crate::http::HttpClient;
use lading_core::SourceRecord;
use std::time::{Duration, Instant};

/// Extracts one tenant's items from Siesa.
#[derive(Clone, Debug)]
pub struct SiesaSource {
    client: HttpClient,
    endpoint: SiesaEndpoint,
}

/// What one extract produced: the records, every page as received (for the raw landing zone),
/// and counters.
#[derive(Clone, Debug)]
pub struct SiesaExtract {
    pub records: Vec<SourceRecord>,
    pub raw_pages: Vec<RawPage>,
    pub stats: SiesaStats,
}

/// One page as Siesa sent it. Only pages that carried rows are kept.
#[derive(Clone, Debug, PartialEq)]
pub struct RawPage {
    /// `API_v2_Items`, `API_v2_ItemsBarras` or `API_v2_ItemsUnidadesMedida`.
    pub query: String,
    /// 1-based, as sent in `numPag`.
    pub page: u32,
    pub body: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiesaStats {
    /// One entry per query, in the order Items, barcodes, units.
    pub queries: Vec<QueryStats>,
    /// Records produced: unique `f120_id`s of Items.
    pub records: usize,
    /// Items rows dropped because an earlier row had the same `f120_id`.
    pub duplicate_item_rows: usize,
    /// Items rows dropped because they had no `f120_id`.
    pub item_rows_without_id: usize,
    /// Barcode rows whose `f120_id` is missing or matches no item.
    pub orphan_barcode_rows: usize,
    /// Unit rows whose `f120_id` is missing or matches no item.
    pub orphan_unit_rows: usize,
    pub elapsed: Duration,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryStats {
    pub query: String,
    /// Page requests sent (retries of one page not counted).
    pub requests: u32,
    /// Pages that carried rows.
    pub pages: u32,
    pub rows: usize,
    /// The largest page received: below `page_size` means the server caps `tamPag`.
    pub largest_page: usize,
    /// How the data ended: `empty table`, `codigo 1`, `http 400 no records`, `short page`.
    pub end: String,
}

impl SiesaSource {
    /// A source reading `endpoint` with `client` (a client of the tenant for system `siesa`).
    pub fn new(client: HttpClient, endpoint: SiesaEndpoint) -> Result<SiesaSource, ConnectError> {
        if endpoint.page_size == 0 {
            return Err(client.error(
                ErrorKind::Config,
                "siesa page_size must be at least 1: fix source.page_size in the tenant config",
            ));
        }
        if endpoint.company_id.trim().is_empty() {
            return Err(client.error(
                ErrorKind::Config,
                "siesa company_id is empty: set source.company_id to the connekta idCompania",
            ));
        }
        Ok(SiesaSource { client, endpoint })
    }

    /// The HTTP client, for its counters.
    pub fn client(&self) -> &HttpClient {
        &self.client
    }

    pub fn endpoint(&self) -> &SiesaEndpoint {
        &self.endpoint
    }

    /// Reads the three queries to their end and joins them by `f120_id`.
    pub async fn extract(&self) -> Result<SiesaExtract, ConnectError> {
        let started = Instant::now();
        let tenant = self.client.tenant().clone();
        tracing::info!(tenant = %tenant, system = SYSTEM, company = %self.endpoint.company_id, "siesa extract started");
        let (items, barcodes, units) = futures::try_join!(
            fetch_query(&self.client, &self.endpoint, ITEMS_QUERY),
            fetch_query(&self.client, &self.endpoint, BARCODES_QUERY),
            fetch_query(&self.client, &self.endpoint, UNITS_QUERY),
        )?;

        let queries: Vec<QueryStats> = [&items, &barcodes, &units].into_iter().map(query_stats).collect();
        let mut raw_pages = Vec::new();
        for result in [&items, &barcodes, &units] {
            raw_pages.extend(result.pages.iter().map(|(page, body)| RawPage {
                query: result.query.to_string(),
                page: *page,
                body: body.clone(),
            }));
        }
        let joined = join(items.rows, &barcodes.rows, &units.rows);
        let stats = SiesaStats {
            queries,
            records: joined.records.len(),
            duplicate_item_rows: joined.duplicate_item_rows,
            item_rows_without_id: joined.item_rows_without_id,
            orphan_barcode_rows: joined.orphan_barcode_rows,
            orphan_unit_rows: joined.orphan_unit_rows,
            elapsed: started.elapsed(),
        };
        if stats.item_rows_without_id > 0 {
            tracing::warn!(tenant = %tenant, system = SYSTEM, rows = stats.item_rows_without_id, "siesa items rows without f120_id were skipped");
        }
        tracing::info!(
            tenant = %tenant,
            system = SYSTEM,
            records = stats.records,
            duplicate_item_rows = stats.duplicate_item_rows,
            orphan_barcode_rows = stats.orphan_barcode_rows,
            pages = raw_pages.len(),
            elapsed_ms = stats.elapsed.as_millis() as u64,
            "siesa extract finished"
        );
        Ok(SiesaExtract { records: joined.records, raw_pages, stats })
    }
}

fn query_stats(result: &QueryResult) -> QueryStats {
    QueryStats {
        query: result.query.to_string(),
        requests: result.requests,
        pages: result.pages.len() as u32,
        rows: result.rows.len(),
        largest_page: result.largest_page,
        end: result.end.name().to_string(),
    }
}
