//! The command line, as clap derives it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "lading", version, about = "ERP integration engine: Siesa, SAP → Kong, WMS, customs lines")]
pub struct Cli {
    /// Where state (state.db), secrets and objects live.
    #[arg(long, global = true, env = "LADING_DATA_DIR", default_value = ".lading")]
    pub data_dir: PathBuf,
    /// Print results as JSON for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log filter (tracing's env-filter syntax); `LADING_LOG` overrides it.
    #[arg(long, global = true, default_value = "warn")]
    pub log_level: String,
    /// Log as JSON lines.
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the product-sync demo on simulated Siesa, Kong and WMS: a full sync, then an incremental one.
    Demo(DemoArgs),
    /// Sync one tenant now.
    Sync(SyncArgs),
    /// Manage tenants.
    #[command(subcommand)]
    Tenants(TenantsCommand),
    /// Manage tenant secrets (values are never printed).
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Inspect runs.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Inspect quarantined records.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// Run a simulator on 127.0.0.1 until Ctrl-C.
    Sim(SimArgs),
    /// Compare two CSV files of customs lines field by field, with tolerances.
    Compare(CompareArgs),
    /// Measure Lading's speed.
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Items in each simulated Siesa company.
    #[arg(long, default_value_t = 10_000)]
    pub items: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[arg(long)]
    pub tenant: String,
    /// Send every valid record, ignoring what earlier runs already loaded.
    #[arg(long)]
    pub full: bool,
}

#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// Add or replace a tenant from a JSON config file (see docs/configuration.md).
    Add {
        /// The tenant config file; `-` reads standard input.
        #[arg(long)]
        file: PathBuf,
    },
    List,
    Enable {
        tenant: String,
    },
    Disable {
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Store a tenant's credentials as `siesa-integration/{tenant}/{product_type}`.
    Set {
        #[arg(long)]
        tenant: String,
        /// Defaults to the tenant's configured product type.
        #[arg(long)]
        product_type: Option<String>,
        /// JSON `{"siesa": {"conni_key", "conni_token"}, "target": {"username", "password"}}`;
        /// `-` (the default) reads standard input.
        #[arg(long, default_value = "-")]
        file: PathBuf,
    },
    /// Secret names, never values.
    List,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    Show {
        run_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        run: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SimSystem {
    Siesa,
    Kong,
    Wms,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    pub system: SimSystem,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: std::net::SocketAddr,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Siesa: items per company.
    #[arg(long, default_value_t = 10_000)]
    pub items: usize,
    /// Siesa company id / Kong customer id.
    #[arg(long, default_value = "1")]
    pub company: String,
    /// Siesa ConniKey / Kong or WMS username.
    #[arg(long, default_value = "demo")]
    pub user: String,
    /// Siesa ConniToken / Kong or WMS password.
    #[arg(long, default_value = "demo-secret")]
    pub password: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BenchTarget {
    /// The Kong mapping alone, on one core.
    Mapping,
    /// A full sync Siesa → Kong, then an incremental one with nothing changed.
    Sync,
    /// Parse and load a full USITC HTS revision (`--file`, default data/hts/hts_2026_rev_10.json.gz).
    Hts,
    /// Generate customs lines for invoice items (`--records`, default 100,000).
    Customs,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    pub target: BenchTarget,
    /// Records (mapping), items (sync) or invoice items (customs).
    #[arg(long)]
    pub records: Option<usize>,
    /// The HTS revision for `bench hts` (gzip or plain JSON).
    #[arg(long, default_value = "data/hts/hts_2026_rev_10.json.gz")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Lines Lading generated (CSV, one row per HTS number of a line).
    pub generated: PathBuf,
    /// Lines the ERP reported, same format.
    pub reported: PathBuf,
    /// Tolerances as JSON; fields not named keep their defaults (docs/ior.md).
    #[arg(long)]
    pub tolerances: Option<PathBuf>,
    /// Override one tolerance, e.g. `--set gross_kg_percent=3`; repeatable.
    #[arg(long)]
    pub set: Vec<String>,
    /// Write the full report as JSON here.
    #[arg(long)]
    pub out_json: Option<PathBuf>,
    /// Write one CSV row per difference here.
    #[arg(long)]
    pub out_csv: Option<PathBuf>,
}
