//! The audit trail: who did what, when, to which tenant, kept as a tamper-evident hash chain
//! of append-only objects that [`verify`] (`lading audit verify`) checks end to end.
//!
//! **Layout.** Entry `n` is the object `audit/chain/{n / 10000:010}/{n:020}.json`, written once
//! with a conditional create and never rewritten, so on S3 every entry can sit under Object Lock
//! for the retention period. Entry 1 links to [`GENESIS_HASH`], every later entry to the hash of
//! the one before; an entry's hash is SHA-256 over [`AuditEntry::canonical_bytes`]: every field
//! but the hash itself, `prev_hash` included, with object keys sorted.
//!
//! **Concurrency.** [`record`] claims the next sequence key with `put_if_absent`. A writer that
//! loses the race reads the winner's entry and tries the key after it, so processes appending
//! at once extend one chain and never fork it.
//!
//! **Anchor.** After each append the latest `(seq, hash)` is written to the state store (table
//! [`ANCHOR_TABLE`] of the reserved tenant [`ANCHOR_TENANT`]), a second store the object-store
//! writer does not control: a deleted tail shows as a chain that ends before its anchor, and a
//! chain rewritten from some entry on no longer holds the anchored hash.
//!
//! **Retention.** [`prune`] removes the oldest entries past the retention (default seven years)
//! only after appending an `audit.pruned` checkpoint entry that names the first kept entry and
//! its `prev_hash`, so the shortened chain still verifies from a start the chain itself vouches
//! for.
//!
//! **What it cannot detect.** The hash has no secret: someone who can write both the object
//! store and the state store can rewrite the chain from any entry on and re-anchor it, and
//! entries appended after the anchor by hand are only reported as unanchored (a writer that
//! stopped between its entry and its anchor leaves the same trace). On AWS, Object Lock in
//! compliance mode on `audit/` and an anchor in a separately administered table close both.

use crate::engine::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::{StreamExt, TryStreamExt};
use lading_core::TenantId;
use lading_store::{RunRecord, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Where the chain lives in the object store.
pub const PREFIX: &str = "audit/chain";
/// The state-store table holding the anchor (one row, key [`ANCHOR_ROW`]).
pub const ANCHOR_TABLE: &str = "audit_head";
/// The reserved tenant id under which the anchor row is kept: the chain is one for all tenants.
pub const ANCHOR_TENANT: &str = "_audit";
pub const ANCHOR_ROW: &str = "head";
/// The `prev_hash` of entry 1.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The entry format; part of the hashed bytes.
pub const FORMAT_VERSION: u32 = 1;
/// Entries per folder of the chain, so that no folder grows past this many objects.
const SEGMENT_SIZE: u64 = 10_000;
/// How many taken keys one append steps over before giving up.
const MAX_APPEND_ATTEMPTS: u32 = 10_000;
/// Objects read at once by [`verify`] and [`list`].
const READ_CONCURRENCY: usize = 16;

/// What happened. The text form (`run.started`, …) is what entries store and `--action` filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    RunStarted,
    RunFinished,
    Upload,
    TenantSaved,
    TenantEnabled,
    TenantDisabled,
    IorConfigSaved,
    SecretSet,
    LoginSucceeded,
    LoginFailed,
    Logout,
    UserAdded,
    UserChanged,
    UserDeleted,
    ReplayDeadLetter,
    ReplayQuarantined,
    AuditPruned,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::RunStarted,
        Action::RunFinished,
        Action::Upload,
        Action::TenantSaved,
        Action::TenantEnabled,
        Action::TenantDisabled,
        Action::IorConfigSaved,
        Action::SecretSet,
        Action::LoginSucceeded,
        Action::LoginFailed,
        Action::Logout,
        Action::UserAdded,
        Action::UserChanged,
        Action::UserDeleted,
        Action::ReplayDeadLetter,
        Action::ReplayQuarantined,
        Action::AuditPruned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::RunStarted => "run.started",
            Action::RunFinished => "run.finished",
            Action::Upload => "upload",
            Action::TenantSaved => "tenant.saved",
            Action::TenantEnabled => "tenant.enabled",
            Action::TenantDisabled => "tenant.disabled",
            Action::IorConfigSaved => "ior.config_saved",
            Action::SecretSet => "secret.set",
            Action::LoginSucceeded => "login.succeeded",
            Action::LoginFailed => "login.failed",
            Action::Logout => "logout",
            Action::UserAdded => "user.added",
            Action::UserChanged => "user.changed",
            Action::UserDeleted => "user.deleted",
            Action::ReplayDeadLetter => "replay.dead_letter",
            Action::ReplayQuarantined => "replay.quarantined",
            Action::AuditPruned => "audit.pruned",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// One thing to record. Build it as `AuditEvent { tenant: Some(id), ..AuditEvent::new(…) }`.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    /// Who: `cli:{os user}` from the command line, `user:{username}` from the server,
    /// `trigger:{trigger}` for runs, `anonymous` for a failed login's unknown name.
    pub actor: String,
    pub action: Action,
    pub tenant: Option<TenantId>,
    /// What was acted on: `tenant/acme`, `run/{id}`, `secret/{name}`, `user/{name}`, `table/{name}`.
    pub target: String,
    /// Facts worth keeping (a JSON object). Never a secret value or a password.
    pub details: Value,
}

impl AuditEvent {
    pub fn new(actor: impl Into<String>, action: Action, target: impl Into<String>) -> AuditEvent {
        AuditEvent { actor: actor.into(), action, tenant: None, target: target.into(), details: json!({}) }
    }

    /// A run was created (its steps pending).
    pub fn run_started(run: &RunRecord) -> AuditEvent {
        AuditEvent {
            tenant: TenantId::parse(&run.tenant_id).ok(),
            details: json!({"pipeline": run.pipeline, "trigger": run.trigger, "full": run.full, "params": run.params}),
            ..AuditEvent::new(format!("trigger:{}", run.trigger), Action::RunStarted, format!("run/{}", run.run_id))
        }
    }

    /// A run reached `succeeded` or `failed`.
    pub fn run_finished(run: &RunRecord) -> AuditEvent {
        AuditEvent {
            tenant: TenantId::parse(&run.tenant_id).ok(),
            details: json!({
                "pipeline": run.pipeline,
                "status": run.status.as_str(),
                "counters": run.counters,
                "failed_step": run.failed_step,
                "error": run.error,
            }),
            ..AuditEvent::new(format!("trigger:{}", run.trigger), Action::RunFinished, format!("run/{}", run.run_id))
        }
    }
}

/// One entry as stored: one object of the chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// [`FORMAT_VERSION`].
    pub v: u32,
    /// 1, 2, 3, … without gaps until pruned.
    pub seq: u64,
    /// RFC 3339, UTC, milliseconds.
    pub at: String,
    pub actor: String,
    /// An [`Action`]'s text; kept as text so that entries of later versions still verify.
    pub action: String,
    pub tenant: Option<String>,
    pub target: String,
    pub details: Value,
    /// The hash of entry `seq - 1` ([`GENESIS_HASH`] for entry 1).
    pub prev_hash: String,
    /// SHA-256 (hex) of [`AuditEntry::canonical_bytes`].
    pub hash: String,
}

impl AuditEntry {
    /// What the hash covers: a JSON array of every field but `hash`, behind a domain tag, with
    /// the keys of every object in `details` sorted so that key order cannot change the hash.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        json!([
            "lading-audit",
            self.v,
            self.seq,
            self.at,
            self.actor,
            self.action,
            self.tenant,
            self.target,
            sorted_keys(&self.details),
            self.prev_hash,
        ])
        .to_string()
        .into_bytes()
    }

    pub fn compute_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }

    pub fn key(&self) -> String {
        entry_key(self.seq)
    }
}

fn sorted_keys(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut fields: Vec<(&String, &Value)> = object.iter().collect();
            fields.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(fields.into_iter().map(|(k, v)| (k.clone(), sorted_keys(v))).collect::<Map<_, _>>())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

/// The object key of entry `seq`.
pub fn entry_key(seq: u64) -> String {
    format!("{PREFIX}/{:010}/{seq:020}.json", seq / SEGMENT_SIZE)
}

/// The sequence number a key stands for; `None` for anything [`entry_key`] would not write.
pub fn key_seq(key: &str) -> Option<u64> {
    let name = key.rsplit('/').next()?.strip_suffix(".json")?;
    if name.len() != 20 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seq: u64 = name.parse().ok()?;
    (seq >= 1 && entry_key(seq) == key).then_some(seq)
}

/// The latest entry as the state store remembers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub seq: u64,
    pub hash: String,
    pub at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "audit entry {key} is unreadable ({message}); run `lading audit verify` and restore the entry from a backup"
    )]
    Unreadable { key: String, message: String },
    #[error("the audit chain does not verify ({0}); nothing was pruned: run `lading audit verify` and repair it first")]
    NotVerified(String),
    #[error(
        "could not append to the audit chain: {0} sequence numbers in a row were taken by other writers; try again"
    )]
    Contended(u32),
}

/// Appends `event` to the chain and moves the anchor to it. Call it after the action
/// succeeded (or, for a failed login, after it failed).
pub async fn record(engine: &Engine, event: AuditEvent) -> Result<AuditEntry, AuditError> {
    let (mut last_seq, mut last_hash) = tail(engine).await?;
    for _ in 0..MAX_APPEND_ATTEMPTS {
        let mut entry = AuditEntry {
            v: FORMAT_VERSION,
            seq: last_seq + 1,
            at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            actor: event.actor.clone(),
            action: event.action.as_str().to_string(),
            tenant: event.tenant.as_ref().map(TenantId::to_string),
            target: event.target.clone(),
            details: event.details.clone(),
            prev_hash: last_hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        let key = entry.key();
        let body = serde_json::to_vec(&entry).map_err(|e| StoreError::Corrupt(format!("audit entry {key}: {e}")))?;
        if engine.objects.put_if_absent(&key, body.into()).await? {
            advance_anchor(engine, &entry).await?;
            tracing::debug!(seq = entry.seq, action = %entry.action, "audit entry recorded");
            return Ok(entry);
        }
        // Another writer took this number: continue the chain after its entry.
        let taken = read_entry(engine, &key).await?;
        last_seq = entry.seq;
        last_hash = taken.hash;
    }
    Err(AuditError::Contended(MAX_APPEND_ATTEMPTS))
}

/// [`record`] for call sites where the action already happened and must not be undone by a
/// failed audit write (a finished run): a failure is logged as an error, not returned.
pub async fn record_or_log(engine: &Engine, event: AuditEvent) {
    let action = event.action.as_str();
    if let Err(e) = record(engine, event).await {
        tracing::error!(action, "audit entry not recorded: {e}");
    }
}

fn anchor_tenant() -> TenantId {
    TenantId::parse(ANCHOR_TENANT).expect("the reserved anchor tenant id is valid")
}

/// The anchor row, if one was written.
pub async fn read_anchor(engine: &Engine) -> Result<Option<Anchor>, AuditError> {
    let Some(row) = engine.state.get_row(&anchor_tenant(), ANCHOR_TABLE, ANCHOR_ROW).await? else {
        return Ok(None);
    };
    serde_json::from_value(row).map(Some).map_err(|e| {
        AuditError::Store(StoreError::Corrupt(format!(
            "the audit anchor (table {ANCHOR_TABLE}) is not the expected JSON: {e}"
        )))
    })
}

/// Moves the anchor forward to `entry`; never back (a slower writer of an earlier entry may
/// finish last).
async fn advance_anchor(engine: &Engine, entry: &AuditEntry) -> Result<(), AuditError> {
    if read_anchor(engine).await?.is_some_and(|a| a.seq >= entry.seq) {
        return Ok(());
    }
    let anchor = Anchor { seq: entry.seq, hash: entry.hash.clone(), at: entry.at.clone() };
    let row = serde_json::to_value(&anchor).map_err(|e| StoreError::Corrupt(format!("audit anchor: {e}")))?;
    engine.state.upsert_rows(&anchor_tenant(), ANCHOR_TABLE, &[(ANCHOR_ROW.to_string(), row)]).await?;
    Ok(())
}

/// Where to append: the anchor when there is one (a hint; taken keys are stepped over), else
/// the last entry in the object store, else the genesis.
async fn tail(engine: &Engine) -> Result<(u64, String), AuditError> {
    if let Some(anchor) = read_anchor(engine).await? {
        return Ok((anchor.seq, anchor.hash));
    }
    let keys = engine.objects.list(PREFIX).await?;
    match keys.iter().filter_map(|k| key_seq(k).map(|s| (s, k))).max() {
        Some((_, key)) => {
            let entry = read_entry(engine, key).await?;
            Ok((entry.seq, entry.hash))
        }
        None => Ok((0, GENESIS_HASH.to_string())),
    }
}

async fn read_entry(engine: &Engine, key: &str) -> Result<AuditEntry, AuditError> {
    let body = engine.objects.get(key).await?;
    let entry: AuditEntry = serde_json::from_slice(&body)
        .map_err(|e| AuditError::Unreadable { key: key.to_string(), message: e.to_string() })?;
    if key_seq(key) != Some(entry.seq) || entry.compute_hash() != entry.hash {
        return Err(AuditError::Unreadable {
            key: key.to_string(),
            message: "its content does not match its key and hash".into(),
        });
    }
    Ok(entry)
}

/// One object under [`PREFIX`] as read.
struct Loaded {
    key: String,
    seq: Option<u64>,
    entry: Result<AuditEntry, String>,
}

/// Every object of the chain, in key order. Objects gone between the listing and the read (a
/// prune running at the same time) are left out.
async fn load_all(engine: &Engine) -> Result<Vec<Loaded>, AuditError> {
    let keys = engine.objects.list(PREFIX).await?;
    let loaded: Vec<Option<Loaded>> = futures::stream::iter(keys)
        .map(|key| async move {
            let body = match engine.objects.get(&key).await {
                Ok(body) => body,
                Err(e) => {
                    if !engine.objects.exists(&key).await? {
                        return Ok(None);
                    }
                    return Err(AuditError::Store(e));
                }
            };
            let entry = serde_json::from_slice::<AuditEntry>(&body).map_err(|e| e.to_string());
            Ok::<_, AuditError>(Some(Loaded { seq: key_seq(&key), key, entry }))
        })
        .buffered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(loaded.into_iter().flatten().collect())
}

/// What kind of damage a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Not JSON, or not an audit entry.
    Unreadable,
    /// The content no longer matches its hash.
    Edited,
    /// An object that is not an entry key, or an entry shifted up by one put before it.
    Inserted,
    /// An entry stored under another entry's key.
    Reordered,
    /// An entry that does not link to its predecessor: one of the two was replaced.
    Replaced,
    /// Entries missing inside the chain or at its start.
    Deleted,
    /// Entries missing at the end, below the anchor.
    Truncated,
    /// The anchored entry holds another hash: the chain was rewritten up to it.
    Rewritten,
    /// Entries but no anchor: truncation cannot be ruled out.
    NoAnchor,
}

#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The first entry concerned.
    pub seq: Option<u64>,
    pub key: Option<String>,
    pub message: String,
    pub what_to_do: String,
}

/// What [`verify`] found. The chain is intact when `problems` is empty; `warnings` never fail it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyReport {
    /// Entry objects found.
    pub entries: usize,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub anchor: Option<Anchor>,
    /// The prune checkpoint the start of the chain was checked against.
    pub checkpoint_seq: Option<u64>,
    /// Sorted by entry, the first bad one first.
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

const RESTORE: &str = "restore the audit objects from a backup (or their earlier S3 object versions) and verify again; until then treat the entries from this one on as unverified, and find out who could write to the object store";

fn problem(kind: ProblemKind, seq: Option<u64>, key: Option<String>, message: String, what_to_do: String) -> Problem {
    Problem { kind, seq, key, message, what_to_do }
}

/// Walks the whole chain and compares its end with the anchor. The anchor is read before the
/// chain, so entries appended meanwhile are never taken for a truncation.
pub async fn verify(engine: &Engine) -> Result<VerifyReport, AuditError> {
    let anchor = read_anchor(engine).await?;
    let loaded = load_all(engine).await?;
    Ok(check_chain(anchor, &loaded))
}

/// A prune checkpoint: where the kept chain starts.
struct Checkpoint {
    seq: u64,
    first_kept_seq: u64,
    first_kept_prev_hash: String,
}

fn checkpoint_of(entry: &AuditEntry) -> Option<Checkpoint> {
    (entry.action == Action::AuditPruned.as_str()).then_some(())?;
    Some(Checkpoint {
        seq: entry.seq,
        first_kept_seq: entry.details.get("first_kept_seq")?.as_u64()?,
        first_kept_prev_hash: entry.details.get("first_kept_prev_hash")?.as_str()?.to_string(),
    })
}

fn check_chain(anchor: Option<Anchor>, loaded: &[Loaded]) -> VerifyReport {
    let mut report = VerifyReport { anchor: anchor.clone(), ..VerifyReport::default() };
    let mut problems = Vec::new();
    // The sequence number and hash of the entry before the one being checked (no hash when it
    // was unreadable).
    let mut previous: Option<(u64, Option<String>)> = None;
    let mut checkpoint: Option<Checkpoint> = None;
    let mut good: std::collections::BTreeMap<u64, &AuditEntry> = Default::default();

    for item in loaded {
        let key = Some(item.key.clone());
        let Some(seq) = item.seq else {
            problems.push(problem(
                ProblemKind::Inserted,
                None,
                key,
                format!("{} is not an audit entry key: an object was added to the audit log by hand", item.key),
                format!("find out who wrote {}, keep a copy as evidence, then delete it", item.key),
            ));
            continue;
        };
        report.entries += 1;
        report.first_seq.get_or_insert(seq);
        report.last_seq = Some(seq);
        let linked_to_previous = match &previous {
            Some((before, _)) if seq > before + 1 => {
                problems.push(problem(
                    ProblemKind::Deleted,
                    Some(before + 1),
                    Some(entry_key(before + 1)),
                    format!("{}: deleted from the object store", missing(before + 1, seq - 1)),
                    RESTORE.into(),
                ));
                false
            }
            Some(_) => true,
            None => false,
        };
        let entry = match &item.entry {
            Ok(entry) => entry,
            Err(message) => {
                problems.push(problem(
                    ProblemKind::Unreadable,
                    Some(seq),
                    key,
                    format!("entry {seq} is not an audit entry ({message}): it was edited or damaged"),
                    RESTORE.into(),
                ));
                previous = Some((seq, None));
                continue;
            }
        };
        if entry.seq != seq {
            let (kind, how) = if entry.seq < seq {
                (
                    ProblemKind::Inserted,
                    format!(
                        "entries were shifted up to make room for an inserted one (the entry stored as {} is likely forged)",
                        entry.seq
                    ),
                )
            } else {
                (ProblemKind::Reordered, "entries were reordered".to_string())
            };
            problems.push(problem(
                kind,
                Some(seq),
                key,
                format!("the object of entry {seq} holds entry {}: {how}", entry.seq),
                RESTORE.into(),
            ));
            // The next entry cannot link to a moved one; do not report that twice.
            previous = Some((seq, None));
            continue;
        }
        if entry.compute_hash() != entry.hash {
            problems.push(problem(
                ProblemKind::Edited,
                Some(seq),
                key,
                format!("entry {seq} was edited: its content no longer matches its hash"),
                RESTORE.into(),
            ));
            previous = Some((seq, Some(entry.hash.clone())));
            continue;
        }
        if linked_to_previous
            && let Some((_, Some(before_hash))) = &previous
            && entry.prev_hash != *before_hash
        {
            problems.push(problem(
                ProblemKind::Replaced,
                Some(seq),
                key,
                format!(
                    "entry {seq} does not link to entry {}: one of the two was replaced by a forged entry",
                    seq - 1
                ),
                RESTORE.into(),
            ));
        }
        if let Some(found) = checkpoint_of(entry) {
            checkpoint = Some(found);
        }
        good.insert(seq, entry);
        previous = Some((seq, Some(entry.hash.clone())));
    }

    check_start(&mut report, &mut problems, checkpoint.as_ref(), &good);
    check_end(&mut report, &mut problems, anchor.as_ref(), &good);
    problems.sort_by_key(|p| p.seq.unwrap_or(u64::MAX));
    report.problems = problems;
    report
}

fn missing(from: u64, to: u64) -> String {
    if from == to { format!("entry {from} is missing") } else { format!("entries {from} to {to} are missing") }
}

/// The chain starts at entry 1 on the genesis hash, or where the latest prune checkpoint says.
fn check_start(
    report: &mut VerifyReport,
    problems: &mut Vec<Problem>,
    checkpoint: Option<&Checkpoint>,
    good: &std::collections::BTreeMap<u64, &AuditEntry>,
) {
    let Some(first) = report.first_seq else { return };
    let Some(checkpoint) = checkpoint else {
        if first > 1 {
            problems.push(problem(
                ProblemKind::Deleted,
                Some(1),
                Some(entry_key(1)),
                format!("{} and no prune checkpoint records their removal: deleted", missing(1, first - 1)),
                RESTORE.into(),
            ));
        } else if let Some(entry) = good.get(&1)
            && entry.prev_hash != GENESIS_HASH
        {
            problems.push(problem(
                ProblemKind::Replaced,
                Some(1),
                Some(entry_key(1)),
                "entry 1 does not start the chain (its prev_hash is not the genesis hash): it was replaced".into(),
                RESTORE.into(),
            ));
        }
        return;
    };
    report.checkpoint_seq = Some(checkpoint.seq);
    let kept = checkpoint.first_kept_seq;
    if first > kept {
        problems.push(problem(
            ProblemKind::Deleted,
            Some(kept),
            Some(entry_key(kept)),
            format!(
                "{}, though the prune checkpoint (entry {}) kept the chain from entry {kept}: deleted",
                missing(kept, first - 1),
                checkpoint.seq
            ),
            RESTORE.into(),
        ));
        return;
    }
    if first < kept {
        report.warnings.push(format!(
            "entries {first} to {} are past retention but still present: a prune stopped before deleting them; run `lading audit prune` again",
            kept - 1
        ));
    }
    if let Some(entry) = good.get(&kept)
        && entry.prev_hash != checkpoint.first_kept_prev_hash
    {
        problems.push(problem(
            ProblemKind::Replaced,
            Some(kept),
            Some(entry_key(kept)),
            format!(
                "entry {kept} does not match the prune checkpoint (entry {}) that kept it: it was replaced",
                checkpoint.seq
            ),
            RESTORE.into(),
        ));
    }
}

/// The chain ends at or after its anchor, and the anchored entry holds the anchored hash.
fn check_end(
    report: &mut VerifyReport,
    problems: &mut Vec<Problem>,
    anchor: Option<&Anchor>,
    good: &std::collections::BTreeMap<u64, &AuditEntry>,
) {
    let Some(anchor) = anchor else {
        if report.entries > 0 {
            problems.push(problem(
                ProblemKind::NoAnchor,
                None,
                None,
                format!("the state store holds no audit anchor (table {ANCHOR_TABLE}), so a deleted tail cannot be ruled out"),
                "if state.db was restored or replaced, compare the last entry with a backup of the audit objects; the next audited action records the anchor again".into(),
            ));
        }
        return;
    };
    let last = report.last_seq.unwrap_or(0);
    if last < anchor.seq {
        problems.push(problem(
            ProblemKind::Truncated,
            Some(last + 1),
            Some(entry_key(last + 1)),
            format!(
                "the chain ends at entry {last} but the anchor in the state store records entry {}: {} (truncated)",
                anchor.seq,
                missing(last + 1, anchor.seq)
            ),
            RESTORE.into(),
        ));
        return;
    }
    if let Some(entry) = good.get(&anchor.seq)
        && entry.hash != anchor.hash
    {
        problems.push(problem(
            ProblemKind::Rewritten,
            Some(anchor.seq),
            Some(entry_key(anchor.seq)),
            format!(
                "entry {} is not the one the anchor recorded (hash {}…): the chain was rewritten up to it",
                anchor.seq,
                &anchor.hash[..anchor.hash.len().min(12)]
            ),
            RESTORE.into(),
        ));
    }
    if last > anchor.seq {
        report.warnings.push(format!(
            "{} entries after the anchor (entry {}) are not anchored yet: a writer stopped before recording the anchor, or they were added by hand; the next audited action anchors them",
            last - anchor.seq,
            anchor.seq
        ));
    }
}

/// Which entries [`list`] returns.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Entries at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// An action (`login.failed`) or a family of them (`login`).
    pub action: Option<String>,
    pub tenant: Option<TenantId>,
    /// The latest this many of those that match.
    pub limit: Option<usize>,
}

/// Entries that match, oldest first, and the keys of objects that could not be read (listing
/// does not verify: see [`verify`]).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Listing {
    pub entries: Vec<AuditEntry>,
    pub unreadable: Vec<String>,
}

pub async fn list(engine: &Engine, filter: &ListFilter) -> Result<Listing, AuditError> {
    let mut listing = Listing::default();
    for item in load_all(engine).await? {
        match item.entry {
            Ok(entry) if matches(&entry, filter) => listing.entries.push(entry),
            Ok(_) => {}
            Err(_) => listing.unreadable.push(item.key),
        }
    }
    if let Some(limit) = filter.limit {
        let skip = listing.entries.len().saturating_sub(limit);
        listing.entries.drain(..skip);
    }
    Ok(listing)
}

fn matches(entry: &AuditEntry, filter: &ListFilter) -> bool {
    if let Some(action) = &filter.action
        && entry.action != *action
        && !entry.action.strip_prefix(action.as_str()).is_some_and(|rest| rest.starts_with('.'))
    {
        return false;
    }
    if let Some(tenant) = &filter.tenant
        && entry.tenant.as_deref() != Some(tenant.as_str())
    {
        return false;
    }
    if let Some(since) = filter.since {
        return DateTime::parse_from_rfc3339(&entry.at).is_ok_and(|at| at >= since);
    }
    true
}

/// How long entries are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Retention {
    pub days: u32,
}

impl Retention {
    /// Seven years, leap days included.
    pub const DEFAULT_DAYS: u32 = 7 * 365 + 2;

    /// Entries before this instant are past retention.
    pub fn cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - chrono::Duration::days(i64::from(self.days))
    }
}

impl Default for Retention {
    fn default() -> Retention {
        Retention { days: Retention::DEFAULT_DAYS }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PruneReport {
    pub retention_days: u32,
    pub cutoff: String,
    pub pruned: u64,
    /// Where the kept chain starts now (none pruned: unchanged, `None`).
    pub first_kept_seq: Option<u64>,
    /// The `audit.pruned` entry that records the prune.
    pub checkpoint_seq: Option<u64>,
}

/// Removes the oldest entries recorded before `retention.cutoff(now)`, a contiguous run from
/// the start of the chain and never its last entry, after appending the checkpoint that lets
/// the rest verify. Refuses to prune a chain that does not verify: that would destroy evidence.
pub async fn prune(
    engine: &Engine,
    retention: Retention,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<PruneReport, AuditError> {
    let cutoff = retention.cutoff(now);
    let anchor = read_anchor(engine).await?;
    let loaded = load_all(engine).await?;
    let report = check_chain(anchor, &loaded);
    if let Some(first) = report.problems.first() {
        return Err(AuditError::NotVerified(first.message.clone()));
    }
    let entries: Vec<&AuditEntry> = loaded.iter().filter_map(|l| l.entry.as_ref().ok()).collect();
    let old = entries
        .iter()
        .take(entries.len().saturating_sub(1))
        .take_while(|e| DateTime::parse_from_rfc3339(&e.at).is_ok_and(|at| at < cutoff))
        .count();
    let mut outcome = PruneReport {
        retention_days: retention.days,
        cutoff: cutoff.to_rfc3339_opts(SecondsFormat::Secs, true),
        pruned: 0,
        first_kept_seq: None,
        checkpoint_seq: None,
    };
    if old == 0 {
        return Ok(outcome);
    }
    let first_kept = entries[old];
    let checkpoint = record(
        engine,
        AuditEvent {
            details: json!({
                "first_kept_seq": first_kept.seq,
                "first_kept_prev_hash": first_kept.prev_hash,
                "pruned_from_seq": entries[0].seq,
                "pruned_through_seq": entries[old - 1].seq,
                "cutoff": outcome.cutoff,
                "retention_days": retention.days,
            }),
            ..AuditEvent::new(actor, Action::AuditPruned, "audit")
        },
    )
    .await?;
    // Oldest first, so a prune that stops half-way leaves a chain that still verifies.
    for entry in &entries[..old] {
        engine.objects.delete(&entry.key()).await?;
    }
    outcome.pruned = old as u64;
    outcome.first_kept_seq = Some(first_kept.seq);
    outcome.checkpoint_seq = Some(checkpoint.seq);
    tracing::info!(pruned = old, first_kept = first_kept.seq, "audit entries past retention pruned");
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_nothing_else_is_an_entry_key() {
        for seq in [1, 9_999, 10_000, 123_456_789] {
            assert_eq!(key_seq(&entry_key(seq)), Some(seq));
        }
        assert_eq!(entry_key(12), "audit/chain/0000000000/00000000000000000012.json");
        for bad in [
            "audit/chain/0000000000/00000000000000000000.json",
            "audit/chain/0000000001/00000000000000000012.json",
            "audit/chain/0000000000/00000000000000000012.json.bak",
            "audit/chain/0000000000/0000000000000000012.json",
            "audit/chain/notes.txt",
        ] {
            assert_eq!(key_seq(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_hash_ignores_key_order_in_details_but_covers_every_field() {
        let entry = AuditEntry {
            v: FORMAT_VERSION,
            seq: 1,
            at: "2025-01-01T00:00:00.000Z".into(),
            actor: "cli:ops".into(),
            action: "tenant.saved".into(),
            tenant: Some("acme".into()),
            target: "tenant/acme".into(),
            details: json!({"a": 1, "b": {"y": 2, "x": [1, 2]}}),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        let reordered = AuditEntry { details: json!({"b": {"x": [1, 2], "y": 2}, "a": 1}), ..entry.clone() };
        assert_eq!(entry.compute_hash(), reordered.compute_hash());
        let variants = [
            AuditEntry { seq: 2, ..entry.clone() },
            AuditEntry { at: "2025-01-01T00:00:00.001Z".into(), ..entry.clone() },
            AuditEntry { actor: "cli:root".into(), ..entry.clone() },
            AuditEntry { action: "tenant.enabled".into(), ..entry.clone() },
            AuditEntry { tenant: None, ..entry.clone() },
            AuditEntry { target: "tenant/acme2".into(), ..entry.clone() },
            AuditEntry { details: json!({"a": 2, "b": {"y": 2, "x": [1, 2]}}), ..entry.clone() },
            AuditEntry { prev_hash: "1".repeat(64), ..entry.clone() },
        ];
        for variant in variants {
            assert_ne!(entry.compute_hash(), variant.compute_hash(), "{variant:?}");
        }
    }

    #[test]
    fn actions_have_one_spelling_each() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert!(TenantId::parse(ANCHOR_TENANT).is_ok());
    }
}
