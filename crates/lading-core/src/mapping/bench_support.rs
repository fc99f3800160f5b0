//! Deterministic Siesa item rows for benchmarks and tests, shaped as the Siesa extractor hands
//! them to the mapping engine (see `docs/wire-contract.md`): padded text, ids as numbers or
//! strings, decimal commas, missing barcodes, UPC-A and GTIN-14 codes, a few invalid EANs,
//! EPCs and RFID chip ids. About 3 % of the rows carry a problem the Kong mapping reports.

use crate::identifiers::{Ean13, Sgtin96};
use crate::record::SourceRecord;
use serde_json::{Map, Value, json};

const NAMES: [&str; 8] = [
    "BASE CAMA AJUSTABLE QUEEN",
    "COLCHON ORTOPEDICO DOBLE",
    "ALMOHADA VISCOELASTICA",
    "SABANA ALGODON 300 HILOS",
    "CAMISETA BASICA CUELLO V",
    "PANTALON DRIL CLASICO",
    "CHAQUETA IMPERMEABLE",
    "MEDIAS DEPORTIVAS X3",
];
const COLORS: [&str; 5] = ["NEGRO", "BLANCO", "AZUL", "ROJO", "GRIS"];
const SIZES: [&str; 5] = ["XS", "S", "M", "L", "XL"];

/// `n` rows; row `i` is the same on every call.
pub fn siesa_item_rows(n: usize) -> Vec<SourceRecord> {
    (0..n).map(siesa_item_row).collect()
}

/// Row number `i` of [`siesa_item_rows`].
pub fn siesa_item_row(i: usize) -> SourceRecord {
    let r = splitmix64(i as u64);
    let pick = |shift: u32, modulo: u64| ((r >> shift) % modulo) as usize;
    let id = 1000 + i as u64;
    let reference = if pick(0, 10) == 0 { format!("ref-{id:06}") } else { format!("REF-{id:06}") };
    let name = if pick(4, 500) == 0 { String::new() } else { NAMES[pick(8, NAMES.len() as u64)].to_string() };
    let short: String = name.chars().take(18).collect();
    let ean = Ean13::from_data_digits(&format!("770575{:06}", id % 1_000_000)).ok();
    let upc = Ean13::from_data_digits(&format!("0{:011}", 12_345_000_000 + id % 1_000_000)).ok();
    let barcode = match pick(12, 100) {
        0..=79 => ean.map(|e| e.to_string()),
        80..=87 => None,
        88..=91 => upc.map(|u| u.as_str()[1..].to_string()),
        92..=95 => ean.map(|e| e.to_gtin14().to_string()),
        96..=97 => ean.map(|e| format!("{}{}", &e.as_str()[..12], (e.as_str().as_bytes()[12] - b'0' + 1) % 10)),
        _ => ean.map(|e| format!(" {e} ")),
    };
    let epc = match pick(20, 200) {
        0..=19 => Sgtin96::encode(1, "7705751", &format!("0{:05}", id % 100_000), id).ok().map(|e| e.to_string()),
        20 => Some("E2801160600002054C9A".to_string()),
        _ => None,
    };
    let mut barcodes = Vec::new();
    if let Some(code) = &barcode {
        barcodes.push(json!({"f131_id": code, "f131_id_unidad_medida": "UND "}));
    }
    if let Some(code) = &epc {
        barcodes.push(json!({"f131_id": code, "f131_id_unidad_medida": "EPC "}));
    }
    let estado = match pick(28, 5) {
        0 => json!("1"),
        1 => json!(1),
        2 => json!("S"),
        3 => json!("0"),
        _ => json!("N"),
    };
    let weight_hundredths = 5 + (id % 2000);
    let peso = if pick(32, 2) == 0 {
        json!(weight_hundredths as f64 / 100.0)
    } else {
        json!(format!("{},{:02}", weight_hundredths / 100, weight_hundredths % 100))
    };
    let (pack_unit, factor) = match pick(36, 3) {
        0 => ("CAJ ", json!(12)),
        1 => ("CAJ ", json!("12,0000")),
        _ => ("UND ", Value::Null),
    };
    let mut fields = Map::new();
    fields.insert("f120_id_cia".into(), json!(1));
    fields.insert("f120_id".into(), if i.is_multiple_of(2) { json!(id) } else { json!(id.to_string()) });
    fields.insert("f120_referencia".into(), json!(format!("{reference:<20}")));
    fields.insert("f120_descripcion".into(), json!(format!("{name:<40}")));
    fields.insert("f120_descripcion_corta".into(), json!(format!("{short:<20}")));
    fields.insert("f120_id_unidad_inventario".into(), json!("UND "));
    fields.insert("f120_id_unidad_empaque".into(), json!(pack_unit));
    fields.insert("f120_id_tipo_inv_serv".into(), json!(format!("INV0{}", 1 + pick(40, 5))));
    fields.insert("f120_ind_estado".into(), estado);
    fields.insert("f120_peso".into(), peso);
    fields.insert("f120_fecha_creacion".into(), json!(format!("2023-05-{:02}T00:00:00", 1 + pick(44, 28))));
    fields.insert("f120_notas".into(), json!("      "));
    fields.insert("f120_color".into(), json!(format!("{:<10}", COLORS[pick(48, 5)])));
    fields.insert("f120_talla".into(), json!(format!("{:<3}", SIZES[pick(52, 5)])));
    fields.insert("barcode".into(), barcode.map_or(Value::Null, Value::String));
    fields.insert("epc".into(), epc.map_or(Value::Null, Value::String));
    fields.insert("barcodes".into(), Value::Array(barcodes));
    fields.insert("f122_factor".into(), factor);
    SourceRecord { key: id.to_string(), fields }
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
