//! The audit trail as a spec: appended entries verify, and every kind of tampering with the
//! objects (edit, deletion, insertion, reordering, truncation, rewrite) is reported at the first
//! bad entry with what to do; racing writers make one chain; pruning keeps it verifiable.

use chrono::Utc;
use lading_core::TenantId;
use lading_runtime::Engine;
use lading_runtime::audit::{
    self, Action, AuditEntry, AuditEvent, ListFilter, ProblemKind, Retention, VerifyReport, entry_key,
};
use serde_json::json;
use std::path::{Path, PathBuf};

fn engine(dir: &Path) -> Engine {
    Engine::embedded(dir).unwrap()
}

fn tenant(id: &str) -> Option<TenantId> {
    Some(TenantId::parse(id).unwrap())
}

fn event(n: usize) -> AuditEvent {
    let (action, id) = match n % 3 {
        0 => (Action::TenantSaved, "acme"),
        1 => (Action::TenantDisabled, "globex"),
        _ => (Action::SecretSet, "acme"),
    };
    AuditEvent {
        tenant: tenant(id),
        details: json!({"n": n, "note": "from the audit spec"}),
        ..AuditEvent::new("cli:ops", action, format!("tenant/{id}"))
    }
}

async fn append(engine: &Engine, count: usize) -> Vec<AuditEntry> {
    let mut entries = Vec::new();
    for n in 0..count {
        entries.push(audit::record(engine, event(n)).await.unwrap());
    }
    entries
}

fn path(dir: &Path, seq: u64) -> PathBuf {
    dir.join("objects").join(entry_key(seq))
}

fn read(dir: &Path, seq: u64) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path(dir, seq)).unwrap()).unwrap()
}

fn write(dir: &Path, seq: u64, value: &serde_json::Value) {
    std::fs::write(path(dir, seq), serde_json::to_vec(value).unwrap()).unwrap();
}

/// A forged entry that is internally consistent: right seq, right link, right hash.
fn forged(seq: u64, prev_hash: &str) -> serde_json::Value {
    let mut entry = AuditEntry {
        v: audit::FORMAT_VERSION,
        seq,
        at: Utc::now().to_rfc3339(),
        actor: "cli:mallory".into(),
        action: "tenant.enabled".into(),
        tenant: Some("acme".into()),
        target: "tenant/acme".into(),
        details: json!({}),
        prev_hash: prev_hash.into(),
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    serde_json::to_value(entry).unwrap()
}

/// The report's first problem is of `kind`, at entry `seq`, and says `words`.
fn check(report: &VerifyReport, kind: ProblemKind, seq: Option<u64>, words: &str) {
    let first = report.problems.first().unwrap_or_else(|| panic!("a problem is reported: {report:#?}"));
    assert_eq!((first.kind, first.seq), (kind, seq), "{report:#?}");
    assert!(first.message.contains(words), "{:?} should say {words:?}", first.message);
    assert!(!first.what_to_do.is_empty());
}

#[tokio::test]
async fn appended_entries_form_a_chain_that_verifies_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let empty = audit::verify(&engine).await.unwrap();
    assert!(empty.is_ok() && empty.entries == 0, "{empty:#?}");

    let entries = append(&engine, 6).await;
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
    assert_eq!(entries[0].prev_hash, audit::GENESIS_HASH);
    assert!(entries.windows(2).all(|w| w[1].prev_hash == w[0].hash));

    let report = audit::verify(&engine).await.unwrap();
    assert!(report.is_ok() && report.warnings.is_empty(), "{report:#?}");
    assert_eq!((report.entries, report.first_seq, report.last_seq), (6, Some(1), Some(6)));
    assert_eq!(report.anchor.as_ref().map(|a| (a.seq, a.hash.as_str())), Some((6, entries[5].hash.as_str())));

    let all = audit::list(&engine, &ListFilter::default()).await.unwrap();
    assert_eq!(all.entries, entries);
    let acme = audit::list(&engine, &ListFilter { tenant: tenant("acme"), ..ListFilter::default() }).await.unwrap();
    assert_eq!(acme.entries.len(), 4);
    let family = ListFilter { action: Some("tenant".into()), limit: Some(1), ..ListFilter::default() };
    let latest_tenant_change = audit::list(&engine, &family).await.unwrap();
    assert_eq!(latest_tenant_change.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [5]);
    let exact = ListFilter { action: Some("secret.set".into()), ..ListFilter::default() };
    assert_eq!(audit::list(&engine, &exact).await.unwrap().entries.len(), 2);
    let future = ListFilter { since: Some(Utc::now() + chrono::Duration::hours(1)), ..ListFilter::default() };
    assert!(audit::list(&engine, &future).await.unwrap().entries.is_empty());
}

#[tokio::test]
async fn an_edited_entry_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    append(&engine, 5).await;
    let mut entry = read(dir.path(), 3);
    entry["actor"] = json!("cli:someone-else");
    write(dir.path(), 3, &entry);
    check(&audit::verify(&engine).await.unwrap(), ProblemKind::Edited, Some(3), "entry 3 was edited");

    // Damaged beyond parsing: reported, never used.
    std::fs::write(path(dir.path(), 2), b"{\"v\": 1, \"seq\": 2").unwrap();
    check(&audit::verify(&engine).await.unwrap(), ProblemKind::Unreadable, Some(2), "entry 2 is not an audit entry");
    let err = audit::record(&engine, event(9)).await;
    assert!(err.is_ok(), "appending needs only the tail: {err:?}");
}

#[tokio::test]
async fn a_deleted_entry_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    append(&engine, 5).await;
    std::fs::remove_file(path(dir.path(), 3)).unwrap();
    check(&audit::verify(&engine).await.unwrap(), ProblemKind::Deleted, Some(3), "entry 3 is missing");

    std::fs::remove_file(path(dir.path(), 1)).unwrap();
    check(
        &audit::verify(&engine).await.unwrap(),
        ProblemKind::Deleted,
        Some(1),
        "no prune checkpoint records their removal",
    );
}

#[tokio::test]
async fn an_inserted_entry_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let entries = append(&engine, 5).await;
    // Make room at 3 by moving 3..5 up one, and put a forged but self-consistent entry there.
    for seq in (3..=5).rev() {
        write(dir.path(), seq + 1, &read(dir.path(), seq));
    }
    write(dir.path(), 3, &forged(3, &entries[1].hash));
    check(&audit::verify(&engine).await.unwrap(), ProblemKind::Inserted, Some(4), "holds entry 3");
}

#[tokio::test]
async fn a_replaced_entry_and_a_stray_object_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let entries = append(&engine, 5).await;
    // Overwritten in place by a forged entry that links backwards correctly.
    write(dir.path(), 3, &forged(3, &entries[1].hash));
    check(&audit::verify(&engine).await.unwrap(), ProblemKind::Replaced, Some(4), "does not link to entry 3");

    write(dir.path(), 3, &serde_json::to_value(&entries[2]).unwrap());
    assert!(audit::verify(&engine).await.unwrap().is_ok());
    std::fs::write(dir.path().join("objects/audit/chain/0000000000/extra.json"), b"{}").unwrap();
    let report = audit::verify(&engine).await.unwrap();
    assert_eq!(report.problems.len(), 1, "{report:#?}");
    assert_eq!(report.problems[0].kind, ProblemKind::Inserted);
    assert!(report.problems[0].message.contains("not an audit entry key"), "{report:#?}");
}

#[tokio::test]
async fn reordered_entries_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    append(&engine, 5).await;
    let (two, three) = (read(dir.path(), 2), read(dir.path(), 3));
    write(dir.path(), 2, &three);
    write(dir.path(), 3, &two);
    check(&audit::verify(&engine).await.unwrap(), ProblemKind::Reordered, Some(2), "holds entry 3");
}

#[tokio::test]
async fn a_dropped_tail_is_reported_against_the_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    append(&engine, 5).await;
    std::fs::remove_file(path(dir.path(), 5)).unwrap();
    std::fs::remove_file(path(dir.path(), 4)).unwrap();
    check(&audit::verify(&engine).await.unwrap(), ProblemKind::Truncated, Some(4), "entries 4 to 5 are missing");
}

#[tokio::test]
async fn a_chain_rewritten_from_an_entry_on_no_longer_matches_its_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let entries = append(&engine, 5).await;
    // Entries 3..5 rewritten with valid hashes and links: only the anchor can tell.
    let mut prev_hash = entries[1].hash.clone();
    for original in &entries[2..] {
        let mut entry = AuditEntry { actor: "cli:mallory".into(), prev_hash: prev_hash.clone(), ..original.clone() };
        entry.hash = entry.compute_hash();
        prev_hash = entry.hash.clone();
        write(dir.path(), entry.seq, &serde_json::to_value(&entry).unwrap());
    }
    check(&audit::verify(&engine).await.unwrap(), ProblemKind::Rewritten, Some(5), "rewritten");
}

#[tokio::test]
async fn a_missing_anchor_is_reported_and_the_next_entry_restores_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    append(&engine, 3).await;
    let anchor_tenant = TenantId::parse(audit::ANCHOR_TENANT).unwrap();
    engine.state.replace_table(&anchor_tenant, audit::ANCHOR_TABLE, &[]).await.unwrap();
    check(&audit::verify(&engine).await.unwrap(), ProblemKind::NoAnchor, None, "no audit anchor");

    // Without its anchor the writer finds the tail in the object store and goes on from it.
    let next = audit::record(&engine, event(3)).await.unwrap();
    assert_eq!(next.seq, 4);
    assert!(audit::verify(&engine).await.unwrap().is_ok());
}

#[tokio::test]
async fn a_lagging_anchor_is_stepped_over_and_only_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let entries = append(&engine, 3).await;
    // As if the writer of entries 2 and 3 stopped before moving the anchor.
    let anchor_tenant = TenantId::parse(audit::ANCHOR_TENANT).unwrap();
    let anchor = json!({"seq": 1, "hash": entries[0].hash, "at": entries[0].at});
    engine.state.replace_table(&anchor_tenant, audit::ANCHOR_TABLE, &[("head".into(), anchor)]).await.unwrap();
    let report = audit::verify(&engine).await.unwrap();
    assert!(report.is_ok(), "{report:#?}");
    assert!(report.warnings.iter().any(|w| w.contains("2 entries after the anchor")), "{report:#?}");

    assert_eq!(audit::record(&engine, event(3)).await.unwrap().seq, 4);
    let report = audit::verify(&engine).await.unwrap();
    assert!(report.is_ok() && report.warnings.is_empty(), "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_in_two_engines_make_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    // Two engines over one data directory stand for two processes: their own SQLite
    // connections, one object store.
    let engines = [engine(dir.path()), engine(dir.path())];
    let mut tasks = Vec::new();
    for (i, engine) in engines.iter().enumerate() {
        for task in 0..4 {
            let engine = engine.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..10 {
                    let event = AuditEvent {
                        details: json!({"engine": i, "task": task, "n": n}),
                        ..AuditEvent::new(format!("task:{i}-{task}"), Action::RunStarted, format!("run/{i}-{task}-{n}"))
                    };
                    audit::record(&engine, event).await.unwrap();
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let report = audit::verify(&engines[0]).await.unwrap();
    assert!(report.is_ok(), "{report:#?}");
    assert_eq!((report.entries, report.first_seq, report.last_seq), (80, Some(1), Some(80)));
    let listing = audit::list(&engines[1], &ListFilter::default()).await.unwrap();
    let mut targets: Vec<_> = listing.entries.iter().map(|e| e.target.clone()).collect();
    targets.sort();
    targets.dedup();
    assert_eq!(targets.len(), 80, "every append is in the chain once");
}

#[tokio::test]
async fn pruning_removes_only_entries_past_retention_and_keeps_the_chain_verifiable() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    append(&engine, 5).await;

    let now = Utc::now();
    let nothing = audit::prune(&engine, Retention::default(), now, "cli:ops").await.unwrap();
    assert_eq!(nothing.pruned, 0);
    assert_eq!(nothing.checkpoint_seq, None);
    assert_eq!(Retention::default().days, 2557, "seven years");

    // Eight years on, every entry is past retention; the last one stays to carry the chain.
    let kept_bytes: Vec<Vec<u8>> = (1..=4).map(|seq| std::fs::read(path(dir.path(), seq)).unwrap()).collect();
    let later = now + chrono::Duration::days(8 * 366);
    let pruned = audit::prune(&engine, Retention::default(), later, "cli:ops").await.unwrap();
    assert_eq!((pruned.pruned, pruned.first_kept_seq, pruned.checkpoint_seq), (4, Some(5), Some(6)));
    assert!(!path(dir.path(), 4).exists() && path(dir.path(), 5).exists());
    let report = audit::verify(&engine).await.unwrap();
    assert!(report.is_ok() && report.warnings.is_empty(), "{report:#?}");
    assert_eq!((report.first_seq, report.checkpoint_seq), (Some(5), Some(6)));
    let checkpoint = audit::list(&engine, &ListFilter { action: Some("audit".into()), ..ListFilter::default() })
        .await
        .unwrap()
        .entries;
    assert_eq!(checkpoint[0].details["pruned_through_seq"], 4);

    append(&engine, 2).await;
    assert!(audit::verify(&engine).await.unwrap().is_ok());

    // A prune that stopped before deleting everything leaves a warning, not a failure.
    for (seq, bytes) in (3..=4).zip(&kept_bytes[2..]) {
        std::fs::write(path(dir.path(), seq), bytes).unwrap();
    }
    let report = audit::verify(&engine).await.unwrap();
    assert!(report.is_ok(), "{report:#?}");
    assert!(report.warnings.iter().any(|w| w.contains("prune stopped")), "{report:#?}");
    for seq in 3..=4 {
        std::fs::remove_file(path(dir.path(), seq)).unwrap();
    }

    // Deleting the first kept entry is still a deletion.
    std::fs::remove_file(path(dir.path(), 5)).unwrap();
    check(&audit::verify(&engine).await.unwrap(), ProblemKind::Deleted, Some(5), "prune checkpoint");
    // And a chain that does not verify is never pruned: that would destroy the evidence.
    let refused = audit::prune(&engine, Retention { days: 0 }, later, "cli:ops").await.unwrap_err();
    assert!(refused.to_string().contains("nothing was pruned"), "{refused}");
}
