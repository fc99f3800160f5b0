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
    /// Inspect quarantined records, or map one again and load it if it now passes.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// Dead letters: records and batches that still failed after their retries.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// Run a simulator on 127.0.0.1 until Ctrl-C.
    Sim(SimArgs),
    /// Compare two CSV files of customs lines field by field, with tolerances.
    Compare(CompareArgs),
    /// Run a pipeline now: `ior-daily` (SAP → tables → customs lines → comparison → alert).
    Run(RunArgs),
    /// The tenants' cron schedules: list them, or run them until Ctrl-C.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Importer of record: its config, its SAP secret, its generated lines.
    #[command(subcommand)]
    Ior(IorCommand),
    /// Load one master table from the importer's CSV (manual fallback; shadow mode source).
    Upload(UploadArgs),
    /// Compare the pipeline's master tables with the importer's CSV files (shadow validation).
    Validate(ValidateArgs),
    /// Measure Lading's speed.
    Bench(BenchArgs),
    /// Copy the data directory (a consistent database snapshot, the objects, the secret key) to
    /// a new directory, while Lading keeps running.
    Backup {
        /// Where the copy goes; must not exist yet.
        target: PathBuf,
    },
    /// Replace the data directory with a backup made by `lading backup` (stop `lading serve` first).
    Restore {
        /// The backup directory.
        source: PathBuf,
        /// Replace a data directory that already holds state.
        #[arg(long)]
        force: bool,
    },
    /// Serve the REST API and the dashboards, and run the schedules, until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Manage the people who sign in to `lading serve`.
    #[command(subcommand)]
    Users(UsersCommand),
    /// The tamper-evident audit trail: verify it, list it, prune it past its retention.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Lading on AWS: generate the Step Functions state machines and the CloudFormation template.
    #[command(subcommand)]
    Aws(AwsCommand),
}

#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// Write `statemachine-{pipeline}.asl.json` per pipeline and `lading.template.json`, with a
    /// schedule per tenant schedule and a secret per tenant from the data directory.
    Template {
        /// The directory the files go to (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole chain and compare its end with the anchor; exit 5 on any damage.
    Verify,
    /// Entries, oldest first.
    List {
        /// Entries at or after this day (2025-01-31, UTC) or RFC 3339 instant.
        #[arg(long)]
        since: Option<String>,
        /// An action (`login.failed`) or a family of them (`login`).
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        tenant: Option<String>,
        /// Only the latest this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Remove the entries older than the retention, keeping the rest verifiable.
    Prune {
        /// Days an entry is kept; seven years by default.
        #[arg(long, env = "LADING_AUDIT_RETENTION_DAYS", default_value_t = lading_runtime::audit::Retention::DEFAULT_DAYS)]
        retention_days: u32,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LADING_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Minutes a session lasts before signing in again.
    #[arg(long, env = "LADING_SESSION_MINUTES", default_value_t = 30)]
    pub session_minutes: u64,
    /// Mark the session cookie Secure (when served over HTTPS, e.g. behind a TLS proxy).
    #[arg(long, env = "LADING_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Sign-in attempts allowed per username per minute.
    #[arg(long, env = "LADING_LOGIN_PER_USER", default_value_t = 5)]
    pub login_per_user: u32,
    /// Sign-in attempts allowed per client address per minute.
    #[arg(long, env = "LADING_LOGIN_PER_ADDRESS", default_value_t = 20)]
    pub login_per_address: u32,
    /// Largest request body accepted, in MiB (CSV uploads included).
    #[arg(long, env = "LADING_MAX_BODY_MIB", default_value_t = 16)]
    pub max_body_mib: usize,
    /// Do not run the tenants' schedules in this process.
    #[arg(long)]
    pub no_scheduler: bool,
    /// A bearer token Prometheus may scrape /metrics with (signed-in users always may).
    #[arg(long, env = "LADING_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user. The password is read from standard input (or `--password-file`), never
    /// from the command line.
    Add {
        username: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// A file holding the password; `-` (the default) reads standard input.
        #[arg(long, default_value = "-")]
        password_file: PathBuf,
    },
    List,
    /// Set a new password (read like `add`'s).
    Passwd {
        username: String,
        #[arg(long, default_value = "-")]
        password_file: PathBuf,
    },
    /// Change a user's role.
    Role {
        username: String,
        #[arg(value_enum)]
        role: RoleArg,
    },
    Disable {
        username: String,
    },
    Enable {
        username: String,
    },
    Delete {
        username: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Operator,
}

impl RoleArg {
    pub fn role(self) -> lading_store::Role {
        match self {
            RoleArg::Admin => lading_store::Role::Admin,
            RoleArg::Operator => lading_store::Role::Operator,
        }
    }
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
    /// Drive an interrupted run (its process died mid-run) to its end, from its first
    /// unfinished step, taking its lock back from the dead process.
    Resume {
        run_id: Option<String>,
        /// Every interrupted run; a run whose lock another process still holds is waited for
        /// (at most the lock's 30 s lifetime if that process died).
        #[arg(long, conflicts_with = "run_id")]
        all: bool,
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
    /// Map a quarantined record again with the tenant's current mapping; load it if it passes.
    Replay {
        #[arg(long)]
        run: String,
        record_key: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    List {
        #[arg(long)]
        tenant: Option<String>,
        /// Include letters already delivered by a replay.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One dead letter with its payload.
    Show { id: i64 },
    /// Send dead letters again through the adapter (or SAP source) that failed them.
    Replay {
        /// The letters to replay; with `--tenant` and no ids, every pending letter of the tenant.
        ids: Vec<i64>,
        #[arg(long)]
        tenant: Option<String>,
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
    /// The server under load: dashboard pages and list endpoints with 100,000 customs lines
    /// (`--records`) and 10,000 runs (`--runs`) in the store, 50 concurrent clients (`--clients`).
    Serve,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    pub target: BenchTarget,
    /// Records (mapping), items (sync) or invoice items (customs).
    #[arg(long)]
    pub records: Option<usize>,
    /// Runs in the store for `bench serve`.
    #[arg(long, default_value_t = 10_000)]
    pub runs: usize,
    /// Concurrent clients for `bench serve`.
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// Requests each client sends to each endpoint for `bench serve`.
    #[arg(long, default_value_t = 40)]
    pub requests: usize,
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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PipelineName {
    /// SAP → master tables → customs lines → comparison with SAP's → alert.
    IorDaily,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    pub pipeline: PipelineName,
    #[arg(long)]
    pub tenant: String,
    /// The run's day (YYYY-MM-DD); today by default.
    #[arg(long)]
    pub date: Option<chrono::NaiveDate>,
    /// First billing date to read (with --to); the day before --date by default.
    #[arg(long, requires = "to")]
    pub from: Option<chrono::NaiveDate>,
    #[arg(long, requires = "from")]
    pub to: Option<chrono::NaiveDate>,
    /// Read the master data too, not only the daily transactions.
    #[arg(long)]
    pub all_sources: bool,
}

#[derive(Debug, Subcommand)]
pub enum IorCommand {
    /// Store a tenant's importer-of-record config from a JSON file (docs/ior.md).
    Setup {
        #[arg(long)]
        file: PathBuf,
    },
    /// Store the SAP user as `sap-integration/{tenant}/sap`: JSON `{"username", "password"}`
    /// from a file or standard input (the default).
    Secret {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "-")]
        file: PathBuf,
    },
    /// The generated customs lines of a tenant, as CSV (the format `lading compare` reads).
    Lines {
        #[arg(long)]
        tenant: String,
        /// Only this entry.
        #[arg(long)]
        entry: Option<String>,
        /// SAP's reported lines instead of the generated ones.
        #[arg(long)]
        reported: bool,
    },
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// product_master, hts_reference, tariff_sequencing or packaging_materials.
    pub table: String,
    pub file: PathBuf,
    #[arg(long)]
    pub tenant: String,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The directory holding Product_List.csv, HTS_Code.csv, HTS Tariff.csv, Packaging_Material.csv.
    #[arg(long)]
    pub against: PathBuf,
    #[arg(long)]
    pub tenant: String,
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Every schedule of every enabled tenant, with its next slot.
    List,
    /// Fire each schedule's slots as they come, until Ctrl-C.
    Run {
        /// How often the clock is read, in seconds.
        #[arg(long, default_value_t = 1)]
        tick_secs: u64,
    },
}
