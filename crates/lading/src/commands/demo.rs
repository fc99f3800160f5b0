//! `lading demo`: the product sync end to end on one machine.
//!
//! Starts simulated Siesa, Kong and WMS servers on 127.0.0.1, creates two tenants (`acme` →
//! Kong, `globex` → WMS) in a fresh `demo/` data directory, runs a full sync of both at once,
//! changes and adds items in Siesa, runs an incremental sync, and prints the summaries.

use super::sync::progress_bar;
use crate::cli::DemoArgs;
use crate::exit::{Failure, RUN_FAILED};
use crate::output;
use lading_core::config::RawTenantConfig;
use lading_core::secret::{SiesaCredentials, TargetCredentials, TenantSecrets};
use lading_core::{Secret, TenantId};
use lading_runtime::runner::{run_to_end, start_run};
use lading_runtime::{Engine, RunOptions};
use lading_sim::faults::Faults;
use lading_store::{RunRecord, Status};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// The demo's simulated systems.
pub struct DemoSystems {
    pub siesa: lading_sim::siesa::SiesaSim,
    pub kong: lading_sim::kong::KongSim,
    pub wms: lading_sim::wms::WmsSim,
}

/// One demo tenant: its id, its Siesa company, its target, and its credentials.
pub struct DemoTenant {
    pub id: &'static str,
    pub company: &'static str,
    pub product_type: &'static str,
}

pub const TENANTS: [DemoTenant; 2] = [
    DemoTenant { id: "acme", company: "1", product_type: "kong" },
    DemoTenant { id: "globex", company: "2", product_type: "wms" },
];

fn credentials(tenant: &DemoTenant) -> TenantSecrets {
    TenantSecrets {
        siesa: SiesaCredentials {
            conni_key: Secret::new(format!("{}-conni-key", tenant.id)),
            conni_token: Secret::new(format!("{}-conni-token", tenant.id)),
        },
        target: TargetCredentials {
            username: format!("{}-user", tenant.id),
            password: Secret::new(format!("{}-password", tenant.id)),
        },
    }
}

/// Starts the three simulators with one Siesa company and one target account per tenant.
pub async fn start_systems(items: usize, seed: u64) -> std::io::Result<DemoSystems> {
    let local: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let companies = TENANTS
        .iter()
        .map(|t| {
            let c = credentials(t);
            lading_sim::siesa::SiesaCompany {
                company_id: t.company.into(),
                conni_key: c.siesa.conni_key.expose().into(),
                conni_token: c.siesa.conni_token.expose().into(),
                items,
            }
        })
        .collect();
    let siesa =
        lading_sim::siesa::start(lading_sim::siesa::SiesaConfig { seed, companies, faults: Faults::default() }, local)
            .await?;
    let kong_accounts = TENANTS
        .iter()
        .filter(|t| t.product_type == "kong")
        .map(|t| {
            let c = credentials(t);
            lading_sim::kong::KongAccount {
                username: c.target.username,
                password: c.target.password.expose().into(),
                customer_id: t.id.into(),
            }
        })
        .collect();
    let kong = lading_sim::kong::start(
        lading_sim::kong::KongConfig { seed, accounts: kong_accounts, faults: Faults::default() },
        local,
    )
    .await?;
    let wms_users = TENANTS
        .iter()
        .filter(|t| t.product_type == "wms")
        .map(|t| {
            let c = credentials(t);
            lading_sim::wms::WmsUser { username: c.target.username, password: c.target.password.expose().into() }
        })
        .collect();
    let wms = lading_sim::wms::start(
        lading_sim::wms::WmsConfig {
            seed,
            users: wms_users,
            faults: Faults::default(),
            jwt_secret: format!("demo-{seed}"),
        },
        local,
    )
    .await?;
    Ok(DemoSystems { siesa, kong, wms })
}

/// Stores the demo tenants and their secrets in an engine.
pub async fn register_tenants(engine: &Engine, systems: &DemoSystems) -> Result<(), Failure> {
    for tenant in &TENANTS {
        let target_url = if tenant.product_type == "kong" { systems.kong.base_url() } else { systems.wms.base_url() };
        let raw: RawTenantConfig = serde_json::from_value(serde_json::json!({
            "version": 1,
            "tenant_id": tenant.id,
            "product_type": tenant.product_type,
            "mapping_key": format!("field-mappings-{}.json", tenant.product_type),
            "source": {"kind": "siesa", "base_url": systems.siesa.base_url(), "company_id": tenant.company},
            "target": {"base_url": target_url},
            "schedule": "0 0 2 * * *",
            // The WMS takes one request per record: the default 200 requests/s would make the
            // demo wait on its own rate limit rather than show the engine.
            "rate_limit_per_sec": 5000
        }))
        .map_err(Failure::internal)?;
        let config = lading_runtime::engine::validate_tenant(raw)?;
        engine.state.put_tenant(&config.raw).await?;
        let secret = serde_json::to_string(&credentials(tenant)).map_err(Failure::internal)?;
        engine.secrets.put_secret(&config.secret_name(), &Secret::new(secret)).await?;
    }
    Ok(())
}

/// Syncs every demo tenant at once and returns their finished runs.
pub async fn sync_all(engine: &Engine, options: &RunOptions, json: bool) -> Result<Vec<RunRecord>, Failure> {
    let multi = indicatif::MultiProgress::new();
    let runs = TENANTS.iter().map(|tenant| {
        let bar = multi.add(progress_bar(json, lading_runtime::product_sync::STEPS.len() as u64, tenant.id));
        async move {
            let id = TenantId::parse(tenant.id).map_err(Failure::invalid)?;
            let run = start_run(engine, &id, options).await?;
            let run = run_to_end(engine, &run.run_id, |step| {
                bar.set_message(format!("{} done", step.name));
                bar.inc(1);
            })
            .await?;
            bar.finish_and_clear();
            Ok::<_, Failure>(run)
        }
    });
    futures::future::try_join_all(runs).await
}

pub async fn run(data_dir: &Path, args: DemoArgs, json: bool) -> Result<ExitCode, Failure> {
    let demo_dir = data_dir.join("demo");
    if demo_dir.exists() {
        std::fs::remove_dir_all(&demo_dir)
            .map_err(|e| Failure::internal(format!("cannot clear {}: {e}", demo_dir.display())))?;
    }
    let systems = start_systems(args.items, args.seed)
        .await
        .map_err(|e| Failure::internal(format!("cannot start the simulators: {e}")))?;
    let engine = Engine::embedded(&demo_dir)?;
    register_tenants(&engine, &systems).await?;
    if !json {
        println!("Lading demo: Siesa ({} items per company) → Kong (tenant acme) and WMS (tenant globex)", args.items);
        println!(
            "simulators: siesa {}  kong {}  wms {}",
            systems.siesa.base_url(),
            systems.kong.base_url(),
            systems.wms.base_url()
        );
        println!("data dir:   {}\n", demo_dir.display());
    }

    let started = Instant::now();
    let full = sync_all(&engine, &RunOptions { full: true, trigger: "demo".into(), params: None }, json).await?;
    let full_secs = started.elapsed().as_secs_f64();

    let changed = (args.items / 100).max(1);
    let added = (args.items / 200).max(1);
    for tenant in &TENANTS {
        systems.siesa.mutate(tenant.company, changed, added);
    }
    let started = Instant::now();
    let incremental =
        sync_all(&engine, &RunOptions { full: false, trigger: "demo".into(), params: None }, json).await?;
    let incremental_secs = started.elapsed().as_secs_f64();

    let all: Vec<&RunRecord> = full.iter().chain(incremental.iter()).collect();
    if json {
        output::json(
            &serde_json::json!({"full": full, "incremental": incremental, "full_secs": full_secs, "incremental_secs": incremental_secs}),
        );
    } else {
        println!("full sync of both tenants: {full_secs:.2} s");
        output::print_runs(&full);
        println!(
            "\nchanged {changed} and added {added} items per company in Siesa; incremental sync: {incremental_secs:.2} s"
        );
        output::print_runs(&incremental);
        for run in &all {
            if let Some(error) = &run.error {
                println!("\n{} run {}: {error}", run.tenant_id, run.run_id);
            }
        }
        println!("\nreports:     {}/objects/reports/<tenant>/<run>/summary.json and records.csv", demo_dir.display());
        println!("quarantine:  lading --data-dir {} quarantine list --tenant acme", demo_dir.display());
        println!("run detail:  lading --data-dir {} runs show {}", demo_dir.display(), full[0].run_id);
    }
    systems.siesa.shutdown().await;
    systems.kong.shutdown().await;
    systems.wms.shutdown().await;

    let ior_ok = importer_of_record(&engine, &demo_dir, args.seed, json).await?;
    if all.iter().any(|r| r.status == Status::Failed) || !ior_ok {
        return Err(Failure::new(RUN_FAILED, "a demo run failed; see the errors above"));
    }
    Ok(ExitCode::SUCCESS)
}

/// The importer-of-record half of the demo: SAP → tables → customs lines → comparison with
/// SAP's own lines, in shadow mode on the importer's CSVs, then the shadow validation.
async fn importer_of_record(engine: &Engine, demo_dir: &Path, seed: u64, json: bool) -> Result<bool, Failure> {
    use lading_runtime::ior;
    use lading_runtime::ior_daily::IorParams;
    use lading_runtime::pipelines::Pipeline;

    let local: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let sap_config = lading_sim::sap::SapConfig {
        seed,
        users: vec![lading_sim::sap::SapUser::new("LADING_RFC", "demo-sap-password", "100")],
        ..lading_sim::sap::SapConfig::default()
    };
    let sap = lading_sim::sap::start(sap_config, local)
        .await
        .map_err(|e| Failure::internal(format!("cannot start the sap simulator: {e}")))?;
    let tenant = TenantId::parse("ergo").map_err(Failure::invalid)?;
    let mut raw = ior::RawIorConfig::new(&tenant, sap.base_url(), "100");
    raw.shadow_mode = true;
    raw.rate_limit_per_sec = 5_000;
    ior::put_config(engine, raw).await?;
    let secret = serde_json::json!({"username": "LADING_RFC", "password": "demo-sap-password"}).to_string();
    engine.secrets.put_secret("sap-integration/ergo/sap", &Secret::new(secret)).await?;

    // The importer's hand-kept files: written where a person would keep them, then loaded as
    // the shadow-mode source of the generated lines.
    let csv_dir = demo_dir.join("importer-csv");
    std::fs::create_dir_all(&csv_dir).map_err(|e| Failure::internal(format!("{}: {e}", csv_dir.display())))?;
    for (name, text) in sap.dataset().importer_csvs() {
        std::fs::write(csv_dir.join(&name), &text).map_err(|e| Failure::internal(format!("{name}: {e}")))?;
        let table = match name.as_str() {
            "Product_List.csv" => "product_master",
            "HTS_Code.csv" => "hts_reference",
            "HTS Tariff.csv" => "tariff_sequencing",
            _ => "packaging_materials",
        };
        ior::upload(engine, &tenant, table, text.as_bytes()).await?;
    }

    let window = (
        chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default(),
    );
    let params = IorParams { run_date: None, window: Some(window), all_sources: true };
    let options = RunOptions {
        full: false,
        trigger: "demo".into(),
        params: Some(serde_json::to_value(&params).map_err(Failure::internal)?),
    };
    let started = Instant::now();
    let run = lading_runtime::runner::start_pipeline_run(engine, Pipeline::IorDaily, &tenant, &options).await?;
    let run = run_to_end(engine, &run.run_id, |_| {}).await?;
    let secs = started.elapsed().as_secs_f64();
    let files: Vec<(String, Vec<u8>)> =
        sap.dataset().importer_csvs().into_iter().map(|(name, text)| (name, text.into_bytes())).collect();
    let shadow = ior::validate_against(engine, &tenant, files).await?;
    let comparison_key = format!("reports/ergo/{}/comparison.json", run.run_id);
    let comparison: Option<serde_json::Value> = engine.objects.get_json(&comparison_key).await.ok();
    let planted = sap.planted_discrepancies().len();
    if json {
        output::json(&serde_json::json!({
            "ior_run": run, "secs": secs, "planted_discrepancies": planted,
            "comparison": comparison.as_ref().map(|c| &c["summary"]), "shadow_validation": shadow,
        }));
    } else {
        println!("\nimporter of record (tenant ergo, SAP simulator, shadow mode on the importer's CSVs): {secs:.2} s");
        output::print_runs(std::slice::from_ref(&run));
        if let Some(report) = &comparison {
            println!("customs lines vs SAP's own ({comparison_key}); the simulator planted {planted} discrepancies:");
            output::print_comparison_json_summary(&report["summary"]);
        }
        if let Some(error) = &run.error {
            println!("ergo run {}: {error}", run.run_id);
        }
        println!("shadow validation against {}:", csv_dir.display());
        output::print_shadow_report(&shadow);
        println!("generated lines: lading --data-dir {} ior lines --tenant ergo", demo_dir.display());
    }
    sap.shutdown().await;
    Ok(run.status == Status::Succeeded && shadow.is_full_match())
}
