//! Two tenants at once, each with its own systems and credentials: nothing crosses over.

mod common;

use common::{adapter_context, fast_settings, loopback, records, siesa_source_with_keys};
use lading_connect::{AdapterRegistry, ItemResult};
use lading_sim::faults::Faults;
use lading_sim::kong::{KongAccount, KongConfig};
use lading_sim::siesa::{SiesaCompany, SiesaConfig};
use lading_sim::wms::{WmsConfig, WmsUser};

#[tokio::test]
async fn two_tenants_run_concurrently_without_leaking_credentials() {
    // Each tenant has its own Siesa; acme loads into Kong, globex into the WMS.
    let start_siesa = |key: &str, token: &str, items: usize| {
        let company = SiesaCompany { items, ..SiesaCompany::new("1", key, token) };
        lading_sim::siesa::start(
            SiesaConfig { seed: 11, companies: vec![company], faults: Faults::default() },
            loopback(),
        )
    };
    let acme_siesa = start_siesa("acme-key", "acme-token", 300).await.expect("siesa starts");
    let globex_siesa = start_siesa("globex-key", "globex-token", 200).await.expect("siesa starts");
    let kong = lading_sim::kong::start(
        KongConfig {
            seed: 1,
            accounts: vec![KongAccount::new("acme", "acme-pw", "1"), KongAccount::new("globex", "globex-pw", "2")],
            faults: Faults::default(),
        },
        loopback(),
    )
    .await
    .expect("kong starts");
    let wms = lading_sim::wms::start(
        WmsConfig {
            seed: 1,
            users: vec![WmsUser::new("acme", "acme-pw"), WmsUser::new("globex", "globex-pw")],
            faults: Faults::default(),
            jwt_secret: "s".into(),
        },
        loopback(),
    )
    .await
    .expect("wms starts");

    let registry = AdapterRegistry::builtin();
    let acme_source = siesa_source_with_keys(&acme_siesa, "acme", 50, fast_settings(), "acme-key", "acme-token");
    let globex_source =
        siesa_source_with_keys(&globex_siesa, "globex", 50, fast_settings(), "globex-key", "globex-token");
    let acme_target = registry
        .build("kong", adapter_context("acme", kong.base_url(), "acme", "acme-pw", fast_settings()))
        .expect("kong adapter");
    let globex_target = registry
        .build("wms", adapter_context("globex", wms.base_url(), "globex", "globex-pw", fast_settings()))
        .expect("wms adapter");

    let acme_run = async {
        let extract = acme_source.extract().await.expect("acme extract");
        let batch = records("acme", 150);
        let mut loaded = 0;
        for (n, chunk) in batch.chunks(100).enumerate() {
            let outcomes = acme_target.load_batch(chunk, &format!("acme-{n}")).await.expect("acme load");
            loaded += outcomes.iter().filter(|o| o.result == ItemResult::Created).count();
        }
        (extract.records.len(), loaded)
    };
    let globex_run = async {
        let extract = globex_source.extract().await.expect("globex extract");
        let outcomes = globex_target.load_batch(&records("globex", 80), "globex-0").await.expect("globex load");
        (extract.records.len(), outcomes.iter().filter(|o| o.result == ItemResult::Created).count())
    };
    let ((acme_records, acme_loaded), (globex_records, globex_loaded)) = tokio::join!(acme_run, globex_run);

    assert_eq!((acme_records, acme_loaded), (300, 150));
    assert_eq!((globex_records, globex_loaded), (200, 80));
    assert_eq!(acme_siesa.credentials_seen(), ["acme-key"]);
    assert_eq!(globex_siesa.credentials_seen(), ["globex-key"]);
    assert_eq!(kong.credentials_seen(), ["acme"]);
    assert_eq!(wms.credentials_seen(), ["globex"]);
    assert_eq!(kong.skus("acme").len(), 150);
    assert!(kong.skus("globex").is_empty());
    assert_eq!(wms.products("globex").len(), 80);
    assert!(wms.products("acme").is_empty());

    acme_siesa.shutdown().await;
    globex_siesa.shutdown().await;
    kong.shutdown().await;
    wms.shutdown().await;
}

#[tokio::test]
async fn two_tenants_of_one_siesa_read_only_their_company() {
    let companies = vec![
        SiesaCompany { items: 120, ..SiesaCompany::new("1", "k1", "t1") },
        SiesaCompany { items: 80, ..SiesaCompany::new("2", "k2", "t2") },
    ];
    let sim = lading_sim::siesa::start(SiesaConfig { seed: 2, companies, faults: Faults::default() }, loopback())
        .await
        .expect("siesa starts");
    let first = siesa_source_with_keys(&sim, "first", 50, fast_settings(), "k1", "t1");
    let mut second = siesa_source_with_keys(&sim, "second", 50, fast_settings(), "k2", "t2");
    // The helper reads company 1; the second tenant's company is 2.
    second = lading_connect::SiesaSource::new(
        second.client().clone(),
        lading_connect::SiesaEndpoint { company_id: "2".into(), ..second.endpoint().clone() },
    )
    .expect("valid endpoint");
    let (a, b) = tokio::join!(first.extract(), second.extract());
    let (a, b) = (a.expect("first extract"), b.expect("second extract"));
    assert_eq!(a.records.len(), 120);
    assert_eq!(b.records.len(), 80);
    let mut seen = sim.credentials_seen();
    seen.sort();
    assert_eq!(seen, ["k1", "k2"]);
    sim.shutdown().await;
}
