//! The conformance suite every backend of the storage ports must pass.
//!
//! Each function takes a fresh, empty store and panics with a message on the first broken
//! promise. The SQLite backend runs it in `tests/`; the AWS backends run the same functions
//! against moto.

use crate::model::*;
use crate::ports::{SecretStore, StateStore};
use lading_core::config::RawTenantConfig;
use lading_core::{Issue, Secret, TenantId};

fn tenant_config(tenant: &str, product_type: &str) -> RawTenantConfig {
    serde_json::from_value(serde_json::json!({
        "version": 1, "tenant_id": tenant, "product_type": product_type,
        "mapping_key": format!("field-mappings-{product_type}.json"),
        "source": {"kind": "siesa", "base_url": "http://127.0.0.1:9", "company_id": "1"},
        "target": {"base_url": "http://127.0.0.1:9"}
    }))
    .expect("the suite's tenant config is valid")
}

fn run(run_id: &str, tenant: &str, started_at: &str, status: Status) -> RunRecord {
    RunRecord {
        run_id: run_id.into(),
        tenant_id: tenant.into(),
        pipeline: "product-sync".into(),
        status,
        trigger: "manual".into(),
        full: false,
        started_at: started_at.into(),
        finished_at: None,
        counters: Counters::default(),
        error: None,
        failed_step: None,
        params: None,
    }
}

/// Tenants, runs, steps, quarantine, dead letters and hashes.
pub async fn state_store_suite(store: &dyn StateStore) {
    let acme = TenantId::parse("acme").unwrap();
    let globex = TenantId::parse("globex").unwrap();

    // Tenants: create, replace, enable/disable, unknown.
    assert!(store.get_tenant(&acme).await.unwrap().is_none());
    store.put_tenant(&tenant_config("acme", "kong")).await.unwrap();
    store.put_tenant(&tenant_config("globex", "wms")).await.unwrap();
    let mut replaced = tenant_config("acme", "kong");
    replaced.batch_size = 50;
    store.put_tenant(&replaced).await.unwrap();
    assert_eq!(store.get_tenant(&acme).await.unwrap().unwrap().batch_size, 50);
    let ids: Vec<String> = store.list_tenants().await.unwrap().into_iter().map(|t| t.tenant_id).collect();
    assert_eq!(ids, vec!["acme", "globex"]);
    store.set_tenant_enabled(&globex, false).await.unwrap();
    assert!(!store.get_tenant(&globex).await.unwrap().unwrap().enabled);
    let unknown = TenantId::parse("nobody").unwrap();
    let err = store.set_tenant_enabled(&unknown, true).await.unwrap_err();
    assert!(err.to_string().contains("unknown tenant"), "{err}");

    // Runs: upsert, newest first, filters.
    store.put_run(&run("r1", "acme", "2026-01-01T00:00:00Z", Status::Running)).await.unwrap();
    store.put_run(&run("r2", "globex", "2026-01-02T00:00:00Z", Status::Succeeded)).await.unwrap();
    store.put_run(&run("r3", "acme", "2026-01-03T00:00:00Z", Status::Failed)).await.unwrap();
    let mut finished = run("r1", "acme", "2026-01-01T00:00:00Z", Status::Succeeded);
    finished.counters.created = 7;
    store.put_run(&finished).await.unwrap();
    assert_eq!(store.get_run("r1").await.unwrap().unwrap(), finished);
    assert!(store.get_run("missing").await.unwrap().is_none());
    let all: Vec<String> =
        store.list_runs(&RunFilter::default()).await.unwrap().into_iter().map(|r| r.run_id).collect();
    assert_eq!(all, vec!["r3", "r2", "r1"]);
    let acme_runs =
        store.list_runs(&RunFilter { tenant_id: Some("acme".into()), ..RunFilter::default() }).await.unwrap();
    assert_eq!(acme_runs.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), vec!["r3", "r1"]);
    let succeeded = store
        .list_runs(&RunFilter { status: Some(Status::Succeeded), limit: 1, ..RunFilter::default() })
        .await
        .unwrap();
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0].run_id, "r2");

    // Steps: keyed by (run, name), listed in first-write order.
    for name in ["extract", "transform", "load"] {
        let step = StepRecord {
            run_id: "r1".into(),
            name: name.into(),
            status: Status::Pending,
            attempts: 0,
            started_at: None,
            finished_at: None,
            duration_ms: 0,
            output_ref: None,
            error: None,
        };
        store.put_step(&step).await.unwrap();
    }
    let mut extract = store.list_steps("r1").await.unwrap()[0].clone();
    extract.status = Status::Succeeded;
    extract.output_ref = Some("staged/acme/r1/extracted.jsonl".into());
    store.put_step(&extract).await.unwrap();
    let steps = store.list_steps("r1").await.unwrap();
    assert_eq!(steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["extract", "transform", "load"]);
    assert_eq!(steps[0], extract);
    assert!(store.list_steps("r2").await.unwrap().is_empty());

    // Quarantine: per (run, key) once, filtered by tenant and run.
    let entry = |tenant: &str, run_id: &str, key: &str| QuarantineEntry {
        tenant_id: tenant.into(),
        run_id: run_id.into(),
        pipeline: "product-sync".into(),
        record_key: key.into(),
        reasons: vec![Issue::new("ean", "invalid_check_digit", "check digit is 3, expected 8")],
        payload: serde_json::json!({"f120_id": key}),
        created_at: "2026-01-01T00:00:00Z".into(),
    };
    store.quarantine(&[entry("acme", "r1", "1"), entry("acme", "r1", "2"), entry("globex", "r2", "1")]).await.unwrap();
    store.quarantine(&[entry("acme", "r1", "1")]).await.unwrap();
    assert_eq!(store.list_quarantine(Some(&acme), None, 0).await.unwrap().len(), 2);
    assert_eq!(store.list_quarantine(None, Some("r2"), 0).await.unwrap().len(), 1);
    assert_eq!(store.list_quarantine(None, None, 0).await.unwrap().len(), 3);
    assert_eq!(store.list_quarantine(Some(&acme), None, 1).await.unwrap().len(), 1);

    // Dead letters: ids assigned, filtered by tenant.
    let letter = |tenant: &str, key: &str| DeadLetter {
        id: 0,
        tenant_id: tenant.into(),
        run_id: "r1".into(),
        pipeline: "product-sync".into(),
        record_key: key.into(),
        payload: serde_json::json!({"external_id": key}),
        error: "kong rejected the item: invalid".into(),
        attempts: 3,
        created_at: "2026-01-01T00:00:00Z".into(),
        replayed_at: None,
    };
    store.put_dead_letters(&[letter("acme", "9"), letter("globex", "8")]).await.unwrap();
    // A step executed again after a crash writes the same letters again: kept once.
    store.put_dead_letters(&[letter("acme", "9")]).await.unwrap();
    let acme_letters = store.list_dead_letters(Some(&acme), 0).await.unwrap();
    assert_eq!(acme_letters.len(), 1);
    assert_eq!(acme_letters[0].record_key, "9");
    assert!(acme_letters[0].id > 0);
    let id = acme_letters[0].id;
    assert_eq!(store.get_dead_letter(id).await.unwrap().unwrap(), acme_letters[0]);
    assert!(store.get_dead_letter(id + 1000).await.unwrap().is_none());
    store.mark_dead_letter_replayed(id, "2026-01-02T00:00:00Z").await.unwrap();
    assert_eq!(store.get_dead_letter(id).await.unwrap().unwrap().replayed_at.as_deref(), Some("2026-01-02T00:00:00Z"));

    // Quarantine entries go once delivered.
    assert!(store.delete_quarantine("r1", "2").await.unwrap());
    assert!(!store.delete_quarantine("r1", "2").await.unwrap());
    assert_eq!(store.list_quarantine(Some(&acme), None, 0).await.unwrap().len(), 1);

    // Hashes: per tenant and pipeline, upserted.
    store.put_hashes(&acme, "product-sync", &[("1".into(), "a".into()), ("2".into(), "b".into())]).await.unwrap();
    store.put_hashes(&acme, "product-sync", &[("2".into(), "c".into())]).await.unwrap();
    let hashes = store.get_hashes(&acme, "product-sync").await.unwrap();
    assert_eq!(hashes.len(), 2);
    assert_eq!(hashes["2"], "c");
    assert!(store.get_hashes(&globex, "product-sync").await.unwrap().is_empty());
    assert!(store.get_hashes(&acme, "other").await.unwrap().is_empty());

    // Tables: replaced whole, upserted by key, per tenant.
    let row = |key: &str, n: i64| (key.to_string(), serde_json::json!({"key": key, "n": n}));
    assert!(store.get_table(&acme, "product_master").await.unwrap().is_empty());
    store.replace_table(&acme, "product_master", &[row("b", 1), row("a", 2)]).await.unwrap();
    store.replace_table(&globex, "product_master", &[row("z", 9)]).await.unwrap();
    let table = store.get_table(&acme, "product_master").await.unwrap();
    assert_eq!(table.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
    store.upsert_rows(&acme, "product_master", &[row("b", 5), row("c", 3)]).await.unwrap();
    assert_eq!(store.get_row(&acme, "product_master", "b").await.unwrap().unwrap()["n"], 5);
    assert_eq!(store.get_table(&acme, "product_master").await.unwrap().len(), 3);
    store.replace_table(&acme, "product_master", &[row("d", 4)]).await.unwrap();
    let replaced = store.get_table(&acme, "product_master").await.unwrap();
    assert_eq!(replaced.len(), 1);
    assert_eq!(replaced[0].0, "d");
    assert!(store.get_row(&acme, "product_master", "a").await.unwrap().is_none());
    assert_eq!(store.get_table(&globex, "product_master").await.unwrap().len(), 1);
    assert!(store.get_table(&acme, "hts_reference").await.unwrap().is_empty());
    assert_eq!(store.tenants_with_table("product_master").await.unwrap(), vec![acme.clone(), globex.clone()]);
    assert!(store.tenants_with_table("hts_reference").await.unwrap().is_empty());

    // Table versions: change on every write, per tenant and table.
    assert_eq!(store.table_version(&acme, "hts_reference").await.unwrap(), 0);
    let before = store.table_version(&acme, "product_master").await.unwrap();
    assert!(before > 0);
    let globex_before = store.table_version(&globex, "product_master").await.unwrap();
    store.upsert_rows(&acme, "product_master", &[row("e", 1)]).await.unwrap();
    assert_ne!(store.table_version(&acme, "product_master").await.unwrap(), before);
    assert_eq!(store.table_version(&globex, "product_master").await.unwrap(), globex_before);

    // Run filters: pipeline, window, next page.
    let mut ior = run("r4", "acme", "2026-01-04T00:00:00Z", Status::Succeeded);
    ior.pipeline = "ior-daily".into();
    store.put_run(&ior).await.unwrap();
    let ids = |runs: Vec<RunRecord>| runs.into_iter().map(|r| r.run_id).collect::<Vec<_>>();
    let by_pipeline = RunFilter { pipeline: Some("ior-daily".into()), ..RunFilter::default() };
    assert_eq!(ids(store.list_runs(&by_pipeline).await.unwrap()), vec!["r4"]);
    let window = RunFilter {
        since: Some("2026-01-02T00:00:00Z".into()),
        before: Some("2026-01-04T00:00:00Z".into()),
        ..RunFilter::default()
    };
    assert_eq!(ids(store.list_runs(&window).await.unwrap()), vec!["r3", "r2"]);

    // Users: by name, replaced, listed sorted, deleted.
    let user = |name: &str, role: Role| User {
        username: name.into(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        enabled: true,
        created_at: "2026-01-01T00:00:00Z".into(),
        updated_at: "2026-01-01T00:00:00Z".into(),
    };
    assert!(store.get_user("ada").await.unwrap().is_none());
    store.put_user(&user("zoe", Role::Operator)).await.unwrap();
    store.put_user(&user("ada", Role::Operator)).await.unwrap();
    store.put_user(&user("ada", Role::Admin)).await.unwrap();
    assert_eq!(store.get_user("ada").await.unwrap().unwrap().role, Role::Admin);
    let names: Vec<String> = store.list_users().await.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, vec!["ada", "zoe"]);
    assert!(store.delete_user("zoe").await.unwrap());
    assert!(!store.delete_user("zoe").await.unwrap());
    assert_eq!(store.list_users().await.unwrap().len(), 1);

    // Revoked tokens.
    assert!(!store.is_token_revoked("t-1").await.unwrap());
    store.revoke_token("t-1", "2999-01-01T00:00:00Z").await.unwrap();
    store.revoke_token("t-1", "2999-01-01T00:00:00Z").await.unwrap();
    assert!(store.is_token_revoked("t-1").await.unwrap());
    assert!(!store.is_token_revoked("t-2").await.unwrap());

    lease_suite(store).await;
}

/// The run lock's leases: one holder at a time per key, renewals, expiry, take-overs, releases.
pub async fn lease_suite(store: &dyn StateStore) {
    let lease = |key: &str, holder: &str, owner: &str, expires_at: &str| Lease {
        key: key.into(),
        holder: holder.into(),
        owner: owner.into(),
        expires_at: expires_at.into(),
    };
    let key = "run-lock/acme/product-sync";
    let t = |second: u32| format!("2026-01-01T00:00:{second:02}.000Z");
    assert!(store.get_lease(key).await.unwrap().is_none());

    // A free key is granted; another run is refused while the lease runs, and told who holds it.
    let first = lease(key, "run-1", "process-a", &t(30));
    assert_eq!(store.acquire_lease(&first, &t(0), None).await.unwrap(), LeaseGrant::Acquired);
    assert_eq!(store.get_lease(key).await.unwrap(), Some(first.clone()));
    let second = lease(key, "run-2", "process-b", &t(40));
    assert_eq!(store.acquire_lease(&second, &t(10), None).await.unwrap(), LeaseGrant::Held(first.clone()));
    // Other keys are independent.
    let globex = lease("run-lock/globex/product-sync", "run-3", "process-b", &t(40));
    assert_eq!(store.acquire_lease(&globex, &t(10), None).await.unwrap(), LeaseGrant::Acquired);

    // The holder renews in its own process; the same run in another process does not, unless it
    // takes its own lease over (a resume after its process died).
    let renewed = lease(key, "run-1", "process-a", &t(50));
    assert_eq!(store.acquire_lease(&renewed, &t(20), None).await.unwrap(), LeaseGrant::Acquired);
    assert_eq!(store.get_lease(key).await.unwrap().unwrap().expires_at, t(50));
    let elsewhere = lease(key, "run-1", "process-c", &t(55));
    assert_eq!(store.acquire_lease(&elsewhere, &t(21), None).await.unwrap(), LeaseGrant::Held(renewed.clone()));
    assert_eq!(store.acquire_lease(&elsewhere, &t(21), Some("run-1")).await.unwrap(), LeaseGrant::Acquired);
    assert_eq!(store.get_lease(key).await.unwrap().unwrap().owner, "process-c");
    // The process that lost it can no longer renew or release it.
    assert!(matches!(store.acquire_lease(&renewed, &t(22), None).await.unwrap(), LeaseGrant::Held(_)));
    assert!(!store.release_lease(key, "run-1", "process-a").await.unwrap());

    // Taking over names the holder: another run's name does not open the lock.
    assert!(matches!(store.acquire_lease(&second, &t(23), Some("run-9")).await.unwrap(), LeaseGrant::Held(_)));
    // An expired lease (expiry at or before now) goes to whoever asks.
    let second = lease(key, "run-2", "process-b", &t(58));
    assert_eq!(store.acquire_lease(&second, &t(55), None).await.unwrap(), LeaseGrant::Acquired);
    assert_eq!(store.get_lease(key).await.unwrap().unwrap().holder, "run-2");

    // Released by its holder in its owner only, once.
    assert!(!store.release_lease(key, "run-2", "process-a").await.unwrap());
    assert!(!store.release_lease(key, "run-1", "process-b").await.unwrap());
    assert!(store.release_lease(key, "run-2", "process-b").await.unwrap());
    assert!(!store.release_lease(key, "run-2", "process-b").await.unwrap());
    assert!(store.get_lease(key).await.unwrap().is_none());
    assert!(store.get_lease("run-lock/globex/product-sync").await.unwrap().is_some());
    let third = lease(key, "run-4", "process-d", &t(59));
    assert_eq!(store.acquire_lease(&third, &t(56), None).await.unwrap(), LeaseGrant::Acquired);
}

/// Secrets round-trip, are replaced, and are listed by name.
pub async fn secret_store_suite(store: &dyn SecretStore) {
    assert!(store.get_secret("siesa-integration/acme/kong").await.unwrap().is_none());
    store.put_secret("siesa-integration/acme/kong", &Secret::new("one")).await.unwrap();
    store.put_secret("siesa-integration/globex/wms", &Secret::new("two")).await.unwrap();
    store.put_secret("siesa-integration/acme/kong", &Secret::new("three")).await.unwrap();
    assert_eq!(store.get_secret("siesa-integration/acme/kong").await.unwrap().unwrap().expose(), "three");
    assert_eq!(store.get_secret("siesa-integration/globex/wms").await.unwrap().unwrap().expose(), "two");
    assert_eq!(
        store.list_secret_names().await.unwrap(),
        vec!["siesa-integration/acme/kong".to_string(), "siesa-integration/globex/wms".to_string()]
    );
}

/// Objects round-trip, list sorted by prefix, are created at most once by `put_if_absent`
/// (even by racing writers), and are deleted idempotently.
pub async fn objects_suite(objects: &crate::Objects) {
    use bytes::Bytes;
    assert!(!objects.exists("suite/a/1.json").await.unwrap());
    objects.put("suite/a/2.json", Bytes::from_static(b"two")).await.unwrap();
    assert!(objects.put_if_absent("suite/a/1.json", Bytes::from_static(b"one")).await.unwrap());
    assert!(!objects.put_if_absent("suite/a/1.json", Bytes::from_static(b"forged")).await.unwrap());
    assert_eq!(objects.get("suite/a/1.json").await.unwrap(), Bytes::from_static(b"one"), "the first write stays");
    objects.put("suite/b/1.json", Bytes::from_static(b"other prefix")).await.unwrap();
    assert_eq!(objects.list("suite/a/").await.unwrap(), vec!["suite/a/1.json", "suite/a/2.json"]);

    let racers = (0..8).map(|i| {
        let objects = objects.clone();
        async move { objects.put_if_absent("suite/race.json", Bytes::from(format!("writer {i}"))).await.unwrap() }
    });
    let won = futures::future::join_all(racers).await;
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "exactly one racer creates the object: {won:?}");

    objects.delete("suite/a/1.json").await.unwrap();
    objects.delete("suite/a/1.json").await.unwrap();
    assert!(!objects.exists("suite/a/1.json").await.unwrap());
    assert!(objects.get("suite/a/1.json").await.unwrap_err().to_string().contains("suite/a/1.json"));
    assert_eq!(objects.list("suite/a/").await.unwrap(), vec!["suite/a/2.json"]);
}
