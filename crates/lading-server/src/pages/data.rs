//! Reads only the pages need, beside the shared ones of [`crate::query`]: the tenants of both
//! flows with their last run, and switching a tenant on or off.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use lading_core::TenantId;
use lading_runtime::ior::{self, RawIorConfig};
use lading_runtime::{ior_daily, product_sync};
use lading_store::{RunFilter, RunRecord};

/// Which flow a tenant row configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Siesa → a product adapter (`tenants` table).
    ProductSync,
    /// SAP → customs lines → comparison (the tenant's `ior_config`).
    Ior,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::ProductSync => "product-sync",
            Flow::Ior => "ior",
        }
    }

    pub fn parse(raw: &str) -> Option<Flow> {
        [Flow::ProductSync, Flow::Ior].into_iter().find(|f| f.as_str() == raw)
    }

    /// The pipeline whose runs are this flow's.
    fn pipeline(self) -> &'static str {
        match self {
            Flow::ProductSync => product_sync::PIPELINE,
            Flow::Ior => ior_daily::PIPELINE,
        }
    }
}

/// One tenant of one flow, as the tenants page lists it.
pub struct TenantInfo {
    pub tenant: String,
    pub flow: Flow,
    /// `kong`, `wms`, … for product sync; `customs` for the importer of record.
    pub product_type: String,
    pub source: String,
    pub target: String,
    pub schedule: String,
    pub enabled: bool,
    /// A stored config that no longer reads, named rather than hidden.
    pub problem: Option<String>,
    pub last_run: Option<RunRecord>,
}

/// Every tenant of both flows, by id then flow, each with its latest run of that flow.
pub async fn tenants(state: &AppState) -> ApiResult<Vec<TenantInfo>> {
    let store = &state.engine.state;
    let mut out = Vec::new();
    for config in store.list_tenants().await? {
        out.push(TenantInfo {
            tenant: config.tenant_id.clone(),
            flow: Flow::ProductSync,
            product_type: config.product_type.clone(),
            source: format!("{} (company {})", config.source.kind, config.source.company_id),
            target: config.target.base_url.clone(),
            schedule: config.schedule.clone().unwrap_or_else(|| "manual only".into()),
            enabled: config.enabled,
            problem: None,
            last_run: None,
        });
    }
    for tenant in store.tenants_with_table(ior::config::CONFIG_TABLE).await? {
        let row = store.get_row(&tenant, ior::config::CONFIG_TABLE, ior::config::CONFIG_KEY).await?;
        let info = match row.map(serde_json::from_value::<RawIorConfig>) {
            Some(Ok(raw)) => TenantInfo {
                tenant: tenant.to_string(),
                flow: Flow::Ior,
                product_type: "customs".into(),
                source: format!("sap (client {})", raw.sap.client),
                target: if raw.shadow_mode { "customs lines (shadow mode)".into() } else { "customs lines".into() },
                schedule: format!("daily {} · weekly {}", raw.schedules.daily, raw.schedules.weekly),
                enabled: raw.enabled,
                problem: None,
                last_run: None,
            },
            other => TenantInfo {
                tenant: tenant.to_string(),
                flow: Flow::Ior,
                product_type: "customs".into(),
                source: "sap".into(),
                target: "customs lines".into(),
                schedule: String::new(),
                enabled: false,
                problem: Some(match other {
                    Some(Err(e)) => format!("the stored config does not read: {e}"),
                    _ => "no config row".into(),
                }),
                last_run: None,
            },
        };
        out.push(info);
    }
    for info in &mut out {
        let filter = RunFilter {
            tenant_id: Some(info.tenant.clone()),
            pipeline: Some(info.flow.pipeline().into()),
            limit: 1,
            ..RunFilter::default()
        };
        info.last_run = store.list_runs(&filter).await?.into_iter().next();
    }
    out.sort_by(|a, b| (a.tenant.as_str(), a.flow.as_str()).cmp(&(b.tenant.as_str(), b.flow.as_str())));
    Ok(out)
}

/// Every tenant id of either flow, sorted, for the filters' choices.
pub async fn tenant_ids(state: &AppState) -> ApiResult<Vec<String>> {
    let store = &state.engine.state;
    let mut ids: Vec<String> = store.list_tenants().await?.into_iter().map(|t| t.tenant_id).collect();
    ids.extend(store.tenants_with_table(ior::config::CONFIG_TABLE).await?.into_iter().map(|t| t.to_string()));
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Switches one flow of a tenant on or off.
pub async fn set_enabled(state: &AppState, tenant: &TenantId, flow: Flow, enabled: bool) -> ApiResult<()> {
    let engine = &state.engine;
    match flow {
        Flow::ProductSync => {
            if engine.state.get_tenant(tenant).await?.is_none() {
                return Err(ApiError::not_found(format!("tenant {tenant} has no product-sync config")));
            }
            engine.state.set_tenant_enabled(tenant, enabled).await?;
        }
        Flow::Ior => {
            let row = engine.state.get_row(tenant, ior::config::CONFIG_TABLE, ior::config::CONFIG_KEY).await?;
            let Some(row) = row else {
                return Err(ApiError::not_found(format!("tenant {tenant} has no importer-of-record config")));
            };
            let mut raw: RawIorConfig = serde_json::from_value(row).map_err(|e| {
                ApiError::conflict(format!("the importer-of-record config of {tenant} does not read: {e}"))
            })?;
            raw.enabled = enabled;
            ior::put_config(engine, raw).await.map_err(ApiError::from)?;
        }
    }
    Ok(())
}
