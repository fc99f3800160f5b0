//! Siesa Connekta: auth per company, paging without totals, the end-of-data variants, rejected
//! queries, a deterministic messy catalogue, mutations and speed.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use lading_sim::faults::{EndOfData, Faults};
use lading_sim::gtin::{decode_sgtin96, is_valid_ean13, normalise_to_ean13};
use lading_sim::siesa::{self, Defect, SiesaCompany, SiesaConfig, SiesaSim};
use serde_json::{Value, json};

use crate::support::{any_port, client, status_and_json};

const KEY_A: &str = "key-a";
const TOKEN_A: &str = "token-a";
const KEY_B: &str = "key-b";
const TOKEN_B: &str = "token-b";

fn company(id: &str, key: &str, token: &str, items: usize) -> SiesaCompany {
    SiesaCompany { items, ..SiesaCompany::new(id, key, token) }
}

async fn start(seed: u64, items: usize) -> SiesaSim {
    siesa::start(
        SiesaConfig {
            seed,
            companies: vec![company("1", KEY_A, TOKEN_A, items), company("2", KEY_B, TOKEN_B, items)],
            faults: Faults::default(),
        },
        any_port(),
    )
    .await
    .expect("siesa starts")
}

fn url(sim: &SiesaSim, company: &str, query: &str, page: usize, size: usize) -> String {
    format!(
        "{}/api/siesa/v3/ejecutarconsultaestandar?idCompania={company}&descripcion={query}&paginacion=numPag={page}|tamPag={size}&parametros=",
        sim.base_url()
    )
}

async fn get(client: &reqwest::Client, url: &str, key: &str, token: &str) -> (u16, Value) {
    let response =
        client.get(url).header("ConniKey", key).header("ConniToken", token).send().await.expect("siesa answers");
    status_and_json(response).await
}

fn table(body: &Value) -> Vec<Value> {
    body["detalle"]["Table"].as_array().cloned().unwrap_or_default()
}

/// Reads a query page by page until a short or empty page, as a client must.
async fn read_all(
    client: &reqwest::Client,
    sim: &SiesaSim,
    company: &str,
    query: &str,
    key: &str,
    token: &str,
) -> Vec<Value> {
    let mut rows = Vec::new();
    for page in 1.. {
        let (status, body) = get(client, &url(sim, company, query, page, 100), key, token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["codigo"], 0);
        let page_rows = table(&body);
        let short = page_rows.len() < 100;
        rows.extend(page_rows);
        if short {
            break;
        }
    }
    rows
}

fn id_of(row: &Value) -> u64 {
    match &row["f120_id"] {
        Value::Number(number) => number.as_u64().unwrap_or_default(),
        Value::String(text) => text.trim().parse().unwrap_or_default(),
        _ => 0,
    }
}

#[tokio::test]
async fn serves_ten_thousand_items_with_barcodes_and_units_quickly() {
    let sim = siesa::start(SiesaConfig::default(), any_port()).await.expect("siesa starts");
    let company = SiesaCompany::default();
    let client = client();
    let started = Instant::now();
    let items = read_all(&client, &sim, "1", "API_v2_Items", &company.conni_key, &company.conni_token).await;
    let barcodes = read_all(&client, &sim, "1", "API_v2_ItemsBarras", &company.conni_key, &company.conni_token).await;
    let units =
        read_all(&client, &sim, "1", "API_v2_ItemsUnidadesMedida", &company.conni_key, &company.conni_token).await;
    let elapsed = started.elapsed();
    println!(
        "read {} item rows, {} barcode rows, {} unit rows in {elapsed:?}",
        items.len(),
        barcodes.len(),
        units.len()
    );
    // Well under a second on an idle machine; the margin is for a loaded CI box.
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");

    let distinct: HashSet<u64> = items.iter().map(id_of).collect();
    assert_eq!(distinct.len(), 10_000);
    assert!(items.len() > 10_000, "repeated rows are served");
    assert_eq!(sim.catalogue("1").len(), 10_000);
    assert!(!barcodes.is_empty() && units.len() >= 10_000);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_same_seed_gives_the_same_rows_and_another_seed_does_not() {
    let first = start(7, 300).await;
    let second = start(7, 300).await;
    let other = start(8, 300).await;
    let client = client();
    for query in siesa::QUERIES {
        let a = read_all(&client, &first, "1", query, KEY_A, TOKEN_A).await;
        let b = read_all(&client, &second, "1", query, KEY_A, TOKEN_A).await;
        let c = read_all(&client, &other, "1", query, KEY_A, TOKEN_A).await;
        assert_eq!(a, b, "{query}");
        assert_ne!(a, c, "{query}");
    }
    assert_eq!(first.catalogue("1"), second.catalogue("1"));
    // Companies of one simulator have different catalogues.
    assert_ne!(first.catalogue("1"), first.catalogue("2"));
    for sim in [first, second, other] {
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn rows_carry_the_documented_mess() {
    let sim = start(11, 400).await;
    let client = client();
    let items = read_all(&client, &sim, "1", "API_v2_Items", KEY_A, TOKEN_A).await;
    let row = &items[0];
    for field in [
        "f120_id_cia",
        "f120_id",
        "f120_referencia",
        "f120_descripcion",
        "f120_descripcion_corta",
        "f120_id_unidad_inventario",
        "f120_id_unidad_empaque",
        "f120_id_tipo_inv_serv",
        "f120_ind_estado",
        "f120_peso",
        "f120_fecha_creacion",
        "f120_notas",
        "f120_color",
        "f120_talla",
    ] {
        assert!(row.get(field).is_some(), "missing {field}");
    }
    let referencia = row["f120_referencia"].as_str().unwrap_or_default();
    assert_eq!(referencia.chars().count(), 20, "padded to 20");
    assert!(referencia.ends_with(' '));
    assert!(items.iter().any(|row| row["f120_id"].is_string()));
    assert!(items.iter().any(|row| row["f120_peso"].as_str().is_some_and(|w| w.contains(','))));

    let catalogue = sim.catalogue("1");
    let renamed = catalogue.iter().find(|item| item.has(Defect::Renamed));
    if let Some(renamed) = renamed {
        let barcodes = read_all(&client, &sim, "1", "API_v2_ItemsBarras", KEY_A, TOKEN_A).await;
        let old = renamed.old_referencia.clone().unwrap_or_default();
        assert!(barcodes.iter().any(|row| row["f120_id"] == json!(renamed.f120_id)
            && row["f120_referencia"].as_str().map(str::trim) == Some(old.as_str())));
    }
    sim.shutdown().await;
}

#[test]
fn planted_defects_come_at_roughly_their_rates_and_valid_barcodes_are_valid() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = runtime.block_on(siesa::start(SiesaConfig::default(), any_port())).expect("siesa starts");
    let catalogue = sim.catalogue("1");
    let count = catalogue.len() as f64;
    let share = |defect: Defect| catalogue.iter().filter(|item| item.has(defect)).count() as f64 / count;
    let expectations = [
        (Defect::NoBarcode, 0.03),
        (Defect::InvalidEan, 0.02),
        (Defect::Upc12, 0.03),
        (Defect::Gtin14, 0.02),
        (Defect::Renamed, 0.01),
        (Defect::Repeated, 0.02),
        (Defect::BlankDescription, 0.005),
        (Defect::DecimalComma, 0.15),
    ];
    for (defect, rate) in expectations {
        let seen = share(defect);
        assert!(seen > rate * 0.5 && seen < rate * 1.5, "{defect:?}: {seen} vs {rate}");
    }
    let with_epc = catalogue.iter().filter(|item| item.epc.is_some()).count() as f64 / count;
    assert!((0.07..0.13).contains(&with_epc), "epc share {with_epc}");

    for item in &catalogue {
        match (&item.barcode, item.has(Defect::InvalidEan)) {
            (Some(barcode), true) => {
                assert!(!is_valid_ean13(barcode) && item.ean13.is_none(), "{item:?}");
            }
            (Some(barcode), false) => {
                let ean = item.ean13.clone().unwrap_or_default();
                assert!(is_valid_ean13(&ean), "{item:?}");
                assert_eq!(normalise_to_ean13(barcode), Some(ean.clone()));
                if item.has(Defect::Upc12) {
                    assert_eq!(barcode.len(), 12);
                }
                if item.has(Defect::Gtin14) {
                    assert!(barcode.len() == 14 && barcode.starts_with('0'));
                }
            }
            (None, _) => assert!(item.has(Defect::NoBarcode)),
        }
        if let Some(epc) = &item.epc {
            let decoded = decode_sgtin96(epc).expect("a planted EPC decodes");
            assert_eq!(decoded.filter, 1);
            assert_eq!(decoded.company_prefix.len(), 7);
            assert_eq!(decoded.ean13(), item.ean13, "{item:?}");
        }
        assert_eq!(item.descripcion.is_empty(), item.has(Defect::BlankDescription));
        assert_eq!(item.must_be_quarantined(), item.has(Defect::InvalidEan) || item.has(Defect::BlankDescription));
    }
    runtime.block_on(sim.shutdown());
}

#[tokio::test]
async fn each_end_of_data_variant_answers_a_page_past_the_end() {
    let sim = start(3, 150).await;
    let client = client();
    let rows = read_all(&client, &sim, "1", "API_v2_Items", KEY_A, TOKEN_A).await.len();
    let past_end = rows / 50 + 2;
    let last_full = rows / 50;
    let (status, body) = get(&client, &url(&sim, "1", "API_v2_Items", last_full, 50), KEY_A, TOKEN_A).await;
    assert_eq!((status, table(&body).len()), (200, 50));

    let (status, body) = get(&client, &url(&sim, "1", "API_v2_Items", past_end, 50), KEY_A, TOKEN_A).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"codigo": 0, "mensaje": "Consulta exitosa", "detalle": {"Table": []}}));

    sim.set_faults(Faults { end_of_data: EndOfData::Codigo1, ..Faults::default() });
    let (status, body) = get(&client, &url(&sim, "1", "API_v2_Items", past_end, 50), KEY_A, TOKEN_A).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"codigo": 1, "mensaje": "Consulta existente sin datos."}));

    sim.set_faults(Faults { end_of_data: EndOfData::Http400, ..Faults::default() });
    let response = client
        .get(url(&sim, "1", "API_v2_Items", past_end, 50))
        .header("ConniKey", KEY_A)
        .header("ConniToken", TOKEN_A)
        .send()
        .await
        .expect("siesa answers");
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.text().await.unwrap_or_default().contains("No se encontraron registros"));

    // Pages before the end are unaffected by the variant.
    let (status, body) = get(&client, &url(&sim, "1", "API_v2_Items", 1, 50), KEY_A, TOKEN_A).await;
    assert_eq!((status, table(&body).len()), (200, 50));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_page_size_cap_shortens_pages_and_offsets_follow_it() {
    let sim = start(5, 200).await;
    let client = client();
    let (_, uncapped) = get(&client, &url(&sim, "1", "API_v2_Items", 1, 100), KEY_A, TOKEN_A).await;
    sim.set_faults(Faults { page_size_cap: Some(30), ..Faults::default() });
    let (_, first) = get(&client, &url(&sim, "1", "API_v2_Items", 1, 100), KEY_A, TOKEN_A).await;
    let (_, second) = get(&client, &url(&sim, "1", "API_v2_Items", 2, 100), KEY_A, TOKEN_A).await;
    let uncapped = table(&uncapped);
    assert_eq!(table(&first), uncapped[..30]);
    assert_eq!(table(&second), uncapped[30..60]);
    sim.shutdown().await;
}

#[tokio::test]
async fn alerta_and_codigo_error_reject_the_query() {
    let sim = start(5, 50).await;
    let client = client();
    sim.set_faults(Faults { alerta: Some("Consulta no permitida".into()), ..Faults::default() });
    let (status, body) = get(&client, &url(&sim, "1", "API_v2_Items", 1, 100), KEY_A, TOKEN_A).await;
    assert_eq!(status, 200);
    assert_eq!(table(&body), [json!({"alerta": "Consulta no permitida"})]);

    sim.set_faults(Faults { codigo_error: Some(3), ..Faults::default() });
    let (status, body) = get(&client, &url(&sim, "1", "API_v2_Items", 1, 100), KEY_A, TOKEN_A).await;
    assert_eq!(status, 200);
    assert_eq!(body["codigo"], 3);
    assert!(body["mensaje"].as_str().is_some_and(|message| !message.is_empty()));
    sim.shutdown().await;
}

#[tokio::test]
async fn keys_are_checked_and_never_read_another_company() {
    let sim = start(5, 20).await;
    let client = client();
    let page = url(&sim, "1", "API_v2_Items", 1, 10);
    let (status, _) = status_and_json(client.get(&page).send().await.expect("answer")).await;
    assert_eq!(status, 401);
    let (status, _) = get(&client, &page, KEY_A, "wrong").await;
    assert_eq!(status, 401);
    // Company 2's valid keys asking for company 1.
    let (status, _) = get(&client, &page, KEY_B, TOKEN_B).await;
    assert_eq!(status, 401);
    let (status, _) = get(&client, &page, KEY_A, TOKEN_A).await;
    assert_eq!(status, 200);
    assert_eq!(sim.credentials_seen(), [KEY_A, KEY_B]);
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_queries_get_a_clear_400() {
    let sim = start(5, 20).await;
    let client = client();
    let (status, body) = get(&client, &url(&sim, "1", "API_v2_Nada", 1, 10), KEY_A, TOKEN_A).await;
    assert_eq!(status, 400);
    assert!(body["mensaje"].as_str().unwrap_or_default().contains("API_v2_Nada"));
    let (status, _) = get(&client, &url(&sim, "1", "API_v2_Items", 0, 10), KEY_A, TOKEN_A).await;
    assert_eq!(status, 400, "pages are 1-based");
    let no_paging =
        format!("{}/api/siesa/v3/ejecutarconsultaestandar?idCompania=1&descripcion=API_v2_Items", sim.base_url());
    let (status, _) = get(&client, &no_paging, KEY_A, TOKEN_A).await;
    assert_eq!(status, 400);
    let bad_filter = format!("{}&parametros=nocampo", url(&sim, "1", "API_v2_Items", 1, 10));
    let (status, _) = get(&client, &bad_filter, KEY_A, TOKEN_A).await;
    assert_eq!(status, 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_encoded_pipe_and_a_filter_work() {
    let sim = start(5, 60).await;
    let client = client();
    let encoded = url(&sim, "1", "API_v2_Items", 1, 10).replace('|', "%7C");
    let (status, body) = get(&client, &encoded, KEY_A, TOKEN_A).await;
    assert_eq!((status, table(&body).len()), (200, 10));

    let item = &sim.catalogue("1")[3];
    let filtered = format!(
        "{}/api/siesa/v3/ejecutarconsultaestandar?idCompania=1&descripcion=API_v2_ItemsUnidadesMedida&paginacion=numPag=1%7CtamPag=100&parametros=f120_id={}",
        sim.base_url(),
        item.f120_id
    );
    let (status, body) = get(&client, &filtered, KEY_A, TOKEN_A).await;
    assert_eq!(status, 200);
    let rows = table(&body);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|row| row["f120_id"] == json!(item.f120_id)));
    sim.shutdown().await;
}

#[tokio::test]
async fn mutations_change_descriptions_and_append_items() {
    let sim = start(9, 120).await;
    let client = client();
    let before: HashMap<u64, String> =
        sim.catalogue("1").into_iter().map(|item| (item.f120_id, item.descripcion)).collect();
    let mutation = sim.mutate("1", 5, 3);
    assert_eq!((mutation.changed_ids.len(), mutation.added_ids.len()), (5, 3));
    let after = sim.catalogue("1");
    for id in &mutation.changed_ids {
        let item = after.iter().find(|item| item.f120_id == *id).expect("still there");
        assert_ne!(before.get(id), Some(&item.descripcion));
    }
    for id in &mutation.added_ids {
        let item = after.iter().find(|item| item.f120_id == *id).expect("added");
        assert!(item.defects.is_empty() && item.ean13.is_some() && !before.contains_key(id));
    }
    let rows = read_all(&client, &sim, "1", "API_v2_Items", KEY_A, TOKEN_A).await;
    let served: HashSet<u64> = rows.iter().map(id_of).collect();
    assert!(mutation.added_ids.iter().all(|id| served.contains(id)));
    let changed = mutation.changed_ids[0];
    let description = after.iter().find(|item| item.f120_id == changed).map(|item| item.descripcion.clone());
    assert!(
        rows.iter()
            .filter(|row| id_of(row) == changed)
            .all(|row| { row["f120_descripcion"].as_str().map(str::trim) == description.as_deref() })
    );

    // The same mutation on a twin simulator gives the same ids; the HTTP control works too.
    let twin = start(9, 120).await;
    let over_http = client
        .post(format!("{}/_sim/mutate", twin.base_url()))
        .json(&json!({"company_id": "1", "changed": 5, "added": 3}))
        .send()
        .await
        .expect("answer");
    let (status, body) = status_and_json(over_http).await;
    assert_eq!(status, 200);
    assert_eq!(body["changed_ids"], json!(mutation.changed_ids));
    assert_eq!(body["added_ids"], json!(mutation.added_ids));
    sim.shutdown().await;
    twin.shutdown().await;
}

#[tokio::test]
async fn sim_controls_answer_without_auth() {
    let sim = start(5, 30).await;
    let client = client();
    let state = client.get(format!("{}/_sim/state", sim.base_url())).send().await.expect("answer");
    let (status, body) = status_and_json(state).await;
    assert_eq!(status, 200);
    assert_eq!(body["companies"][0]["items"], 30);
    let catalogue = client.get(format!("{}/_sim/catalogue?company_id=2", sim.base_url())).send().await.expect("answer");
    let (status, body) = status_and_json(catalogue).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(30));
    let bad = client.post(format!("{}/_sim/mutate", sim.base_url())).body("{not json").send().await.expect("answer");
    assert_eq!(bad.status().as_u16(), 400);
    sim.shutdown().await;
}
