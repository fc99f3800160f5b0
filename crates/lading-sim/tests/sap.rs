//! The SAP simulator over real HTTP, read as a spec of how the function modules behave: Basic
//! auth with ICF's 401, paging with `I_MAXROWS` / `I_SKIP` / `E_TOTAL`, business errors as HTTP
//! 200, the quirks (one-row tables as objects, report-formatted numbers, fan-out rows) and the
//! gateway's faults.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use lading_sim::faults::{Faults, RetryAfterStyle};
use lading_sim::sap::{self, DatasetSize, FUNCTION_MODULES, SapConfig, SapQuirks, SapSim, SapUser};
use serde_json::{Map, Value, json};

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("a reqwest client")
}

async fn small_sap(seed: u64) -> SapSim {
    let config = SapConfig { seed, dataset: DatasetSize::Small, ..SapConfig::default() };
    sap::start(config, any_port()).await.expect("sap starts")
}

fn user() -> SapUser {
    SapUser::default()
}

/// Calls a function module as the default user; returns status and the body as JSON (`Null`
/// when it is not JSON).
async fn call(client: &reqwest::Client, sim: &SapSim, fm: &str, parameters: Value) -> (u16, Value) {
    let user = user();
    let response = client
        .post(sim.rfc_url(fm))
        .basic_auth(&user.username, Some(&user.password))
        .query(&[("sap-client", user.client.as_str())])
        .json(&parameters)
        .send()
        .await
        .expect("sap answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A table as a list of rows, whether it came as an array or (one row) as an object.
fn rows(body: &Value, table: &str) -> Vec<Map<String, Value>> {
    match &body[table] {
        Value::Array(items) => items.iter().filter_map(|item| item.as_object().cloned()).collect(),
        Value::Object(row) => vec![row.clone()],
        _ => Vec::new(),
    }
}

fn total(body: &Value) -> usize {
    body["E_TOTAL"].as_str().and_then(|total| total.parse().ok()).expect("E_TOTAL is a number in a string")
}

fn table_of(fm: &str) -> &'static str {
    match fm {
        "ZFMIOR002" => "ET_WEIGHTS",
        "ZFMIOR003" => "ET_UOM",
        "ZEMM005" => "ET_MATERIAL",
        "ZEMM004" => "ET_MOVEMENTS",
        "ZSDR002" => "ET_BILLING",
        "ZTIOR_HTS" => "ET_HTS",
        _ => "ET_TARIFF",
    }
}

/// Every row of `fm`, fetched `page` rows at a time; checks `E_TOTAL` on every page.
async fn fetch_all(
    client: &reqwest::Client,
    sim: &SapSim,
    fm: &str,
    page: usize,
    extra: Value,
) -> Vec<Map<String, Value>> {
    let mut all = Vec::new();
    let mut expected_total = None;
    loop {
        let mut parameters = extra.as_object().cloned().unwrap_or_default();
        parameters.insert("I_MAXROWS".into(), json!(page.to_string()));
        parameters.insert("I_SKIP".into(), json!(all.len().to_string()));
        let (status, body) = call(client, sim, fm, Value::Object(parameters)).await;
        assert_eq!(status, 200, "{fm}: {body}");
        let total = total(&body);
        assert_eq!(*expected_total.get_or_insert(total), total, "{fm}: E_TOTAL changed between pages");
        let got = rows(&body, table_of(fm));
        assert!(got.len() <= page, "{fm}: {} rows on a page of {page}", got.len());
        all.extend(got);
        if all.len() >= total {
            assert_eq!(all.len(), total, "{fm}: more rows than E_TOTAL");
            return all;
        }
        assert!(!rows(&body, table_of(fm)).is_empty(), "{fm}: an empty page before E_TOTAL was reached");
    }
}

#[tokio::test]
async fn wrong_credentials_get_the_icf_logon_page() {
    let client = client();
    let sim = small_sap(1).await;
    let url = sim.rfc_url("ZTIOR_HTS");
    let anonymous = client.post(&url).json(&json!({})).send().await.expect("answer");
    assert_eq!(anonymous.status().as_u16(), 401);
    assert!(anonymous.headers()["www-authenticate"].to_str().unwrap_or_default().starts_with("Basic realm="));
    assert!(anonymous.headers()["content-type"].to_str().unwrap_or_default().starts_with("text/html"));
    assert!(anonymous.text().await.unwrap_or_default().contains("Logon failed"));

    let wrong = client.post(&url).basic_auth("LADING_RFC", Some("nope")).json(&json!({})).send().await.expect("answer");
    assert_eq!(wrong.status().as_u16(), 401);
    let other_client = client
        .post(&url)
        .basic_auth("LADING_RFC", Some("sim-sap-password"))
        .query(&[("sap-client", "200")])
        .json(&json!({}))
        .send()
        .await
        .expect("answer");
    assert_eq!(other_client.status().as_u16(), 401);
    // User names are case-insensitive in SAP; without sap-client the user's own client is used.
    let lower = client
        .post(&url)
        .basic_auth("lading_rfc", Some("sim-sap-password"))
        .json(&json!({}))
        .send()
        .await
        .expect("answer");
    assert_eq!(lower.status().as_u16(), 200);
    assert_eq!(sim.credentials_seen(), vec!["LADING_RFC".to_string(), "lading_rfc".to_string()]);
    sim.shutdown().await;
}

#[tokio::test]
async fn every_function_module_pages_with_maxrows_skip_and_total() {
    let client = client();
    let sim = small_sap(2).await;
    for fm in FUNCTION_MODULES {
        let (status, whole) = call(&client, &sim, fm, json!({"I_MAXROWS": 5000})).await;
        assert_eq!(status, 200, "{fm}");
        let expected = rows(&whole, table_of(fm));
        assert_eq!(expected.len(), total(&whole), "{fm}");
        assert!(expected.len() > 1, "{fm} has rows");
        let page = (expected.len() / 4).max(2) + 1;
        let paged = fetch_all(&client, &sim, fm, page, json!({})).await;
        assert_eq!(paged, expected, "{fm}: pages differ from one big call");
        // Past the end: an empty table, the same total, an S message.
        let (status, past) = call(&client, &sim, fm, json!({"I_SKIP": expected.len() + 3})).await;
        assert_eq!(status, 200);
        assert_eq!(total(&past), expected.len());
        assert!(rows(&past, table_of(fm)).is_empty());
        assert_eq!(rows(&past, "ET_RETURN")[0]["TYPE"], "S");
    }
    // Without I_MAXROWS a call returns at most 500 rows.
    let (_, default_page) = call(&client, &sim, "ZSDR002", json!({})).await;
    assert!(total(&default_page) > 0);
    assert_eq!(rows(&default_page, "ET_BILLING").len(), total(&default_page).min(500));
    sim.shutdown().await;
}

#[tokio::test]
async fn every_value_on_the_wire_is_a_string() {
    let client = client();
    let sim = small_sap(3).await;
    for fm in FUNCTION_MODULES {
        let (_, body) = call(&client, &sim, fm, json!({"I_MAXROWS": "5000"})).await;
        assert!(body["E_TOTAL"].is_string());
        let mut tables = vec![table_of(fm), "ET_RETURN"];
        if fm == "ZSDR002" {
            tables.push("ET_CUSTOMS");
        }
        for table in tables {
            for row in rows(&body, table) {
                assert!(row.values().all(Value::is_string), "{fm} {table}: {row:?}");
            }
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn date_ranges_filter_billing_movements_and_deltas() {
    let client = client();
    let sim = small_sap(4).await;
    let dataset = sim.dataset();
    let (from, to) = ("20250301", "20250630");
    let billing = fetch_all(&client, &sim, "ZSDR002", 400, json!({"I_FKDAT_FROM": from, "I_FKDAT_TO": to})).await;
    let expected = dataset
        .billing
        .iter()
        .filter(|item| {
            let date = item.billing_date.format("%Y%m%d").to_string();
            date.as_str() >= from && date.as_str() <= to
        })
        .count();
    assert!(expected > 0);
    assert_eq!(billing.len(), expected);
    assert!(billing.iter().all(|row| {
        let date = row["FKDAT"].as_str().unwrap_or_default();
        date >= from && date <= to
    }));

    let movements = fetch_all(&client, &sim, "ZEMM004", 1000, json!({"I_BUDAT_FROM": "20260101"})).await;
    assert!(!movements.is_empty());
    assert!(movements.iter().all(|row| row["BUDAT"].as_str().unwrap_or_default() >= "20260101"));
    let (_, everything) = call(&client, &sim, "ZEMM004", json!({"I_MAXROWS": 1})).await;
    assert!(movements.len() < total(&everything));

    let delta = fetch_all(&client, &sim, "ZFMIOR002", 500, json!({"I_LAEDA_FROM": "20250601"})).await;
    let (_, full) = call(&client, &sim, "ZFMIOR002", json!({"I_MAXROWS": 1})).await;
    assert!(!delta.is_empty() && delta.len() < total(&full));
    assert!(delta.iter().all(|row| row["LAEDA"].as_str().unwrap_or_default() >= "20250601"));
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_are_business_errors_with_http_200() {
    let client = client();
    let sim = small_sap(5).await;
    for (fm, parameters) in [
        ("ZSDR002", json!({"I_MAXROWS": "abc"})),
        ("ZSDR002", json!({"I_MAXROWS": 5001})),
        ("ZEMM004", json!({"I_SKIP": "-3"})),
        ("ZEMM004", json!({"I_BUDAT_FROM": "2025-01-01"})),
        ("ZSDR002", json!({"I_FKDAT_FROM": "20250601", "I_FKDAT_TO": "20250101"})),
        ("ZTIOR_HTS", json!({"I_LAEDA_FROM": "20250101"})),
        ("ZFMIOR003", json!({"I_MATNR": "300101"})),
    ] {
        let (status, body) = call(&client, &sim, fm, parameters.clone()).await;
        assert_eq!(status, 200, "{fm} {parameters}");
        let messages = rows(&body, "ET_RETURN");
        assert_eq!(messages.len(), 1, "{body}");
        assert_eq!(messages[0]["TYPE"], "E", "{body}");
        assert!(messages[0]["MESSAGE"].as_str().is_some_and(|text| !text.is_empty()));
        assert_eq!(body["E_TOTAL"], "0");
        assert!(rows(&body, table_of(fm)).is_empty());
    }
    // An unknown function module is not a business error.
    let (status, body) = call(&client, &sim, "ZNOPE", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(body["EXCEPTION"], "FUNCTION_NOT_FOUND");
    assert_eq!(rows(&body, "ET_RETURN")[0]["TYPE"], "E");
    // A body that is not JSON is a bad request.
    let user = user();
    let response = client
        .post(sim.rfc_url("ZSDR002"))
        .basic_auth(&user.username, Some(&user.password))
        .body("{\"I_MAXROWS\": ")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_one_row_table_arrives_as_an_object_unless_the_quirk_is_off() {
    let client = client();
    let sim = small_sap(6).await;
    let (_, body) = call(&client, &sim, "ZTIOR_HTS", json!({"I_MAXROWS": 1})).await;
    assert!(body["ET_HTS"].is_object(), "{body}");
    assert!(body["ET_RETURN"].is_object(), "{body}");
    let (_, two) = call(&client, &sim, "ZTIOR_HTS", json!({"I_MAXROWS": 2})).await;
    assert!(two["ET_HTS"].is_array());

    sim.set_quirks(SapQuirks { one_row_as_object: false, ..SapQuirks::default() });
    let (_, body) = call(&client, &sim, "ZTIOR_HTS", json!({"I_MAXROWS": 1})).await;
    assert_eq!(body["ET_HTS"].as_array().map(Vec::len), Some(1));
    assert!(body["ET_RETURN"].is_array());

    // The same knob over HTTP.
    let url = format!("{}/_sim/quirks", sim.base_url());
    let answer = client.put(&url).json(&json!({"one_row_as_object": true})).send().await.expect("answer");
    assert_eq!(answer.status().as_u16(), 200);
    assert!(sim.quirks().one_row_as_object);
    let typo = client.put(&url).json(&json!({"one_row_as_objekt": true})).send().await.expect("answer");
    assert_eq!(typo.status().as_u16(), 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn zsdr002_prints_report_numbers_with_decimal_comma_and_trailing_minus() {
    let client = client();
    let sim = sap::start(SapConfig { seed: 7, ..SapConfig::default() }, any_port()).await.expect("sap starts");
    let billing = fetch_all(&client, &sim, "ZSDR002", 5000, json!({})).await;
    // The report prints credit memos (O) and cancellations (N) negative; invoices never.
    for vbtyp in ["O", "N"] {
        let reversed: Vec<_> = billing.iter().filter(|row| row["VBTYP"] == vbtyp).collect();
        assert!(!reversed.is_empty(), "no {vbtyp} rows");
        for row in reversed {
            let netwr = row["NETWR"].as_str().unwrap_or_default();
            assert!(netwr.ends_with('-') && netwr.contains(','), "{netwr}");
        }
    }
    assert!(
        billing
            .iter()
            .filter(|row| row["VBTYP"] == "M")
            .all(|row| !row["NETWR"].as_str().unwrap_or_default().ends_with('-'))
    );
    assert!(billing.iter().any(|row| row["NETWR"].as_str().unwrap_or_default().contains('.')), "thousands dots");
    let (_, body) = call(&client, &sim, "ZSDR002", json!({"I_MAXROWS": 50})).await;
    let customs = rows(&body, "ET_CUSTOMS");
    assert!(!customs.is_empty());
    assert!(customs.iter().all(|row| row["ZZDUTY"].as_str().is_some_and(|duty| duty.contains(','))));

    sim.set_quirks(SapQuirks { report_format: false, ..SapQuirks::default() });
    let plain = fetch_all(&client, &sim, "ZSDR002", 5000, json!({})).await;
    for row in plain.iter().filter(|row| row["VBTYP"] != "M") {
        let netwr = row["NETWR"].as_str().unwrap_or_default();
        assert!(!netwr.contains(',') && !netwr.ends_with('-'), "{netwr}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn materials_fan_out_per_plant_and_need_deduplicating() {
    let client = client();
    let sim = small_sap(8).await;
    let materials = fetch_all(&client, &sim, "ZEMM005", 5000, json!({})).await;
    let distinct: BTreeSet<&str> = materials.iter().filter_map(|row| row["MATNR"].as_str()).collect();
    let dataset = sim.dataset();
    assert_eq!(distinct.len(), dataset.products.len() + dataset.retired.len());
    assert!(materials.len() > distinct.len(), "some materials repeat per plant");
    assert!(distinct.iter().all(|matnr| matnr.len() == 18 && matnr.starts_with("000000000000")));
    let deleted: BTreeSet<&str> =
        materials.iter().filter(|row| row["LVORM"] == "X").filter_map(|row| row["MATNR"].as_str()).collect();
    assert_eq!(deleted.len(), dataset.retired.len());
    let stawn: Vec<&str> = materials.iter().filter_map(|row| row["STAWN"].as_str()).collect();
    assert!(stawn.iter().any(|code| code.contains('.')) && stawn.iter().any(|code| !code.contains('.')));

    let weights = fetch_all(&client, &sim, "ZFMIOR002", 5000, json!({})).await;
    let mut copies: HashMap<String, usize> = HashMap::new();
    for row in &weights {
        *copies.entry(serde_json::to_string(row).unwrap_or_default()).or_default() += 1;
    }
    assert!(copies.values().any(|count| *count > 1), "identical rows repeat");
    let units: BTreeSet<&str> = weights.iter().filter_map(|row| row["GEWEI"].as_str()).collect();
    assert_eq!(units, BTreeSet::from(["G", "KG", "LB"]));
    assert!(weights.iter().any(|row| row["LAEDA"] == "00000000"));
    assert!(weights.iter().any(|row| row["VOLUM"] == "0.000"));

    sim.set_quirks(SapQuirks { fan_out: false, matnr_width: 40, ..SapQuirks::default() });
    let single = fetch_all(&client, &sim, "ZEMM005", 5000, json!({})).await;
    assert_eq!(single.len(), distinct.len());
    assert!(single.iter().all(|row| row["MATNR"].as_str().is_some_and(|matnr| matnr.len() == 40)));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_same_seed_serves_the_same_data_and_another_seed_does_not() {
    let client = client();
    let first = small_sap(11).await;
    let second = small_sap(11).await;
    let other = small_sap(12).await;
    assert_eq!(first.dataset(), second.dataset());
    assert_ne!(first.dataset(), other.dataset());
    assert_eq!(first.planted_discrepancies(), second.planted_discrepancies());
    for fm in ["ZSDR002", "ZEMM004", "ZFMIOR003"] {
        let parameters = json!({"I_MAXROWS": 300, "I_SKIP": 20});
        let (_, a) = call(&client, &first, fm, parameters.clone()).await;
        let (_, b) = call(&client, &second, fm, parameters.clone()).await;
        let (_, c) = call(&client, &other, fm, parameters).await;
        assert_eq!(a, b, "{fm}");
        assert_ne!(a, c, "{fm}");
    }
    first.shutdown().await;
    second.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn the_gateway_throttles_with_429_and_no_retry_after() {
    let client = client();
    let sim = small_sap(13).await;
    sim.set_faults(Faults {
        throttle_after: Some(1),
        throttle_count: 2,
        retry_after: RetryAfterStyle::Seconds(5),
        ..Faults::default()
    });
    let user = user();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = client
            .post(sim.rfc_url("ZTIOR_HTS"))
            .basic_auth(&user.username, Some(&user.password))
            .json(&json!({}))
            .send()
            .await
            .expect("answer");
        statuses.push(response.status().as_u16());
        if response.status().as_u16() == 429 {
            assert!(response.headers().get("retry-after").is_none());
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert_eq!(body, json!({"message": "Too Many Requests"}));
        }
    }
    assert_eq!(statuses, [200, 429, 429, 200]);
    sim.shutdown().await;
}

#[tokio::test]
async fn bursts_hangs_and_resets_speak_like_sap_behind_a_gateway() {
    let client = client();
    let sim = small_sap(14).await;
    sim.set_faults(Faults { error_burst: 1, ..Faults::default() });
    let user = user();
    let send = || {
        client.post(sim.rfc_url("ZTIOR_HTS")).basic_auth(&user.username, Some(&user.password)).json(&json!({})).send()
    };
    let dump = send().await.expect("answer");
    assert_eq!(dump.status().as_u16(), 500);
    assert!(dump.text().await.unwrap_or_default().contains("RABAX_STATE"));
    sim.set_faults(Faults { timeout_burst: 1, hang_ms: 50, ..Faults::default() });
    let hang = send().await.expect("answer");
    assert_eq!(hang.status().as_u16(), 504);
    assert_eq!(hang.json::<Value>().await.unwrap_or(Value::Null), json!({"message": "Endpoint request timed out"}));
    sim.set_faults(Faults { reset_burst: 1, ..Faults::default() });
    assert!(send().await.is_err(), "the connection is reset");
    sim.set_faults(Faults { malformed_burst: 1, ..Faults::default() });
    let cut = send().await.expect("answer");
    assert_eq!(cut.status().as_u16(), 200);
    assert!(serde_json::from_str::<Value>(&cut.text().await.unwrap_or_default()).is_err());
    assert_eq!(send().await.expect("answer").status().as_u16(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn random_faults_replay_by_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let client = client();
        let sim = small_sap(seed).await;
        sim.set_faults(Faults { error_rate: 0.4, ..Faults::default() });
        let mut seen = Vec::new();
        for _ in 0..30 {
            let (status, _) = call(&client, &sim, "ZTIOR_TARIFF", json!({"I_MAXROWS": 2})).await;
            seen.push(status);
        }
        sim.shutdown().await;
        seen
    }
    let first = statuses(21).await;
    assert_eq!(first, statuses(21).await);
    assert_ne!(first, statuses(22).await);
    assert!(first.contains(&200) && first.iter().any(|status| [502, 503].contains(status)), "{first:?}");
}

#[tokio::test]
async fn the_sim_controls_expose_state_planted_lines_and_csvs() {
    let client = client();
    let sim = small_sap(15).await;
    let _ = call(&client, &sim, "ZTIOR_HTS", json!({})).await;
    let state: Value = client
        .get(format!("{}/_sim/state", sim.base_url()))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .unwrap_or(Value::Null);
    assert_eq!(state["requests"], 1);
    assert_eq!(state["dataset"]["products"], 73);
    assert_eq!(state["quirks"]["matnr_width"], 18);
    let planted: Value = client
        .get(format!("{}/_sim/planted", sim.base_url()))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .unwrap_or(Value::Null);
    assert_eq!(planted.as_array().map(Vec::len), Some(sim.planted_discrepancies().len()));
    let csvs: BTreeMap<String, String> = client
        .get(format!("{}/_sim/importer_csvs", sim.base_url()))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .unwrap_or_default();
    assert_eq!(csvs.len(), 4);
    assert!(csvs.contains_key("HTS Tariff.csv"));
    let faults = client
        .put(format!("{}/_sim/faults", sim.base_url()))
        .json(&json!({"error_burst": 1}))
        .send()
        .await
        .expect("answer");
    assert_eq!(faults.status().as_u16(), 200);
    assert_eq!(sim.faults().error_burst, 1);
    sim.shutdown().await;
}

/// A report-formatted number (`1.234,50-`) as a decimal and whether it carried a minus.
fn report_number(text: &str) -> (rust_decimal::Decimal, bool) {
    let negative = text.ends_with('-');
    let digits = text.trim_end_matches('-').replace('.', "").replace(',', ".");
    (digits.parse().unwrap_or_else(|_| panic!("{text} is a report number")), negative)
}

fn text(row: &Map<String, Value>, key: &str) -> String {
    row.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// A client's reading of ZSDR002, following the README's rules, gives back the truth's
/// invoice items; ZFMIOR002 weights converted to kg give back the product master.
#[tokio::test]
async fn a_careful_client_rebuilds_the_truth_from_the_wire() {
    use rust_decimal::Decimal;

    let client = client();
    let sim = small_sap(16).await;
    let dataset = sim.dataset();

    let weights = fetch_all(&client, &sim, "ZFMIOR002", 37, json!({})).await;
    let mut net_kg: BTreeMap<String, Decimal> = BTreeMap::new();
    for row in &weights {
        let value: Decimal = text(row, "NTGEW").parse().expect("a plain decimal");
        let kg = match text(row, "GEWEI").as_str() {
            "KG" => value,
            "G" => value / Decimal::from(1000),
            "LB" => value * Decimal::new(45_359_237, 8),
            other => panic!("unit {other}"),
        };
        net_kg.insert(text(row, "MATNR").trim_start_matches('0').to_string(), kg);
    }
    for product in &dataset.products {
        assert_eq!(net_kg.get(&product.material), Some(&product.net_kg()), "{}", product.material);
    }

    let billing = fetch_all(&client, &sim, "ZSDR002", 45, json!({})).await;
    // (invoice, item) → (quantity, value USD): magnitudes signed by VBTYP, cents per item.
    let mut items: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
    for row in &billing {
        let (quantity, _) = report_number(&text(row, "FKIMG"));
        let (value, _) = report_number(&text(row, "NETWR"));
        let (rate, _) = report_number(&text(row, "KURRF"));
        let sign = if text(row, "VBTYP") == "M" { Decimal::ONE } else { Decimal::NEGATIVE_ONE };
        let usd = (value * rate).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        items.insert((text(row, "VBELN"), text(row, "POSNR")), (quantity * sign, usd * sign));
    }
    let truth: BTreeMap<(String, String), (Decimal, Decimal)> = dataset
        .invoice_items()
        .into_iter()
        .map(|item| ((item.invoice, item.invoice_item), (item.quantity, item.value_usd)))
        .collect();
    assert_eq!(items, truth);

    // ET_CUSTOMS: one row per HTS number; the commodity row (the last of a line) carries the value.
    let (_, body) = call(&client, &sim, "ZSDR002", json!({"I_MAXROWS": 5000})).await;
    let customs = rows(&body, "ET_CUSTOMS");
    let mut lines: BTreeMap<(String, String), Vec<&Map<String, Value>>> = BTreeMap::new();
    for row in &customs {
        lines.entry((text(row, "ZZENTRY"), text(row, "ZZLINE"))).or_default().push(row);
    }
    assert_eq!(lines.len(), dataset.customs.reported.len());
    for line in &dataset.customs.reported {
        let key = (line.entry_number.clone(), format!("{:03}", line.line_number));
        let wire = &lines[&key];
        assert_eq!(wire.len(), line.tariffs.len(), "{key:?}");
        let commodity = wire.last().expect("a commodity row");
        assert_eq!(report_number(&text(commodity, "ZZVALUE")).0, line.entered_value, "{key:?}");
        assert_eq!(report_number(&text(commodity, "ZZGROSS_KG")).0, line.gross_kg, "{key:?}");
        assert_eq!(report_number(&text(commodity, "ZZNET_KG")).0, line.net_kg, "{key:?}");
        assert_eq!(report_number(&text(commodity, "ZZMPF")).0, line.mpf, "{key:?}");
        for (row, tariff) in wire.iter().zip(&line.tariffs) {
            assert_eq!(text(row, "ZZHTS"), tariff.hts_number);
            assert_eq!(report_number(&text(row, "ZZDUTY")).0, tariff.duty);
            assert_eq!(text(row, "ZZRATE"), tariff.rate_text);
        }
    }
    sim.shutdown().await;
}
