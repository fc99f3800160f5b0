//! One company's item catalogue: generated from (seed, company id) with the mess real Connekta
//! data carries, and rendered once into the rows the three queries serve.
//!
//! The model keeps every formatting choice (id as text, decimal comma, repeat position…) so a
//! re-render after a mutation changes only what the mutation touched.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::vocabulary::{CATEGORIES, describe, notes, pad, truncate_chars};
use crate::gtin::{encode_sgtin96, normalise_to_ean13, with_check_digit};
use crate::seed::{label_hash, mix};

/// A planted oddity of an item, so tests know what a correct pipeline must do with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Defect {
    /// The barcode is 13 digits with a wrong check digit: must be quarantined.
    InvalidEan,
    /// No barcode row at all.
    NoBarcode,
    /// A valid 12-digit UPC-A; normalises to EAN-13 with a leading 0.
    Upc12,
    /// A valid GTIN-14 with indicator 0; normalises to EAN-13 without it.
    Gtin14,
    /// `API_v2_Items` has the new reference, `API_v2_ItemsBarras` still the old one.
    Renamed,
    /// The Items row appears again on a later page (formatted differently).
    Repeated,
    /// The description is all spaces: must be quarantined.
    BlankDescription,
    /// `f120_peso` is a string with a decimal comma.
    DecimalComma,
    /// `f120_id` arrives as a string.
    IdAsString,
    /// `f122_factor` arrives as text like `"12,0000"`.
    FactorAsText,
    /// A second, pack-level GTIN-14 (indicator 1) follows the unit barcode.
    PackBarcode,
}

impl Defect {
    /// Defects that make a record unfit for the targets.
    pub fn must_be_quarantined(self) -> bool {
        matches!(self, Self::InvalidEan | Self::BlankDescription)
    }
}

/// The truth about one item after deduplication, for tests to compare a pipeline against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogueItem {
    pub f120_id: u64,
    /// Trimmed current reference.
    pub referencia: String,
    /// Trimmed reference still used by the barcode rows when the item was renamed.
    pub old_referencia: Option<String>,
    /// Trimmed description; empty for a blank one.
    pub descripcion: String,
    /// First non-EPC barcode as sent, trimmed.
    pub barcode: Option<String>,
    /// The barcode normalised to EAN-13, when it is valid.
    pub ean13: Option<String>,
    /// The item's SGTIN-96 EPC, when it has one.
    pub epc: Option<String>,
    pub active: bool,
    pub inventory_type: String,
    pub weight_kg: f64,
    /// Trimmed pack unit (`f120_id_unidad_empaque`) and its factor.
    pub pack_unit: String,
    pub pack_factor: u32,
    pub color: String,
    pub talla: String,
    pub defects: Vec<Defect>,
}

impl CatalogueItem {
    pub fn has(&self, defect: Defect) -> bool {
        self.defects.contains(&defect)
    }

    /// True when a correct pipeline quarantines this item instead of loading it.
    pub fn must_be_quarantined(&self) -> bool {
        self.defects.iter().any(|defect| defect.must_be_quarantined())
    }
}

/// What a mutation did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mutation {
    pub changed_ids: Vec<u64>,
    pub added_ids: Vec<u64>,
}

/// One query's rows, as values (for filtering) and pre-serialised (for fast pages).
#[derive(Default)]
pub(crate) struct Table {
    pub(crate) rows: Vec<Value>,
    pub(crate) json: Vec<String>,
}

impl Table {
    fn from_rows(rows: Vec<Value>) -> Self {
        let json = rows.iter().map(Value::to_string).collect();
        Self { rows, json }
    }
}

#[derive(Default)]
pub(crate) struct Tables {
    pub(crate) items: Table,
    pub(crate) barcodes: Table,
    pub(crate) units: Table,
}

/// GS1 company prefixes of made-up Colombian (770) manufacturers; 7 digits each.
const COMPANY_PREFIXES: [&str; 6] = ["7705751", "7701234", "7702098", "7707199", "7709876", "7704521"];

struct Item {
    id: u64,
    id_as_string: bool,
    referencia: String,
    /// The reference the barcode rows still use.
    barcode_referencia: String,
    base_description: String,
    description: String,
    edition: u32,
    short_description: String,
    inventory_type: &'static str,
    state: Value,
    active: bool,
    weight_kg: f64,
    weight_with_comma: bool,
    created: String,
    notes: String,
    color: String,
    size_code: String,
    pack_unit: &'static str,
    pack_factor: u32,
    factor_as_text: bool,
    /// (code, unit) in the order the barcode query returns them.
    barcodes: Vec<(String, &'static str)>,
    /// Position (in original item order) after which the repeated Items row appears.
    repeat_after: Option<usize>,
    defects: Vec<Defect>,
}

pub(crate) struct Company {
    company_field: Value,
    rng: ChaCha8Rng,
    items: Vec<Item>,
    ean_counters: [u32; COMPANY_PREFIXES.len()],
    upc_counter: u32,
    next_id: u64,
    pub(crate) tables: Tables,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Planting {
    /// The generated catalogue: defects at their planted rates.
    Messy,
    /// Items a mutation adds: valid and well-formed.
    Clean,
}

enum BarcodeKind {
    None,
    InvalidEan,
    Upc12,
    Gtin14,
    Ean13,
}

impl Company {
    pub(crate) fn generate(seed: u64, company_id: &str, item_count: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, label_hash(company_id)));
        let company_field = company_id.parse::<u64>().map_or_else(|_| json!(company_id), |number| json!(number));
        let ean_counters = std::array::from_fn(|_| rng.random_range(0..60_000));
        let upc_counter = rng.random_range(0..60_000);
        let next_id = 1000 + rng.random_range(1..50);
        let mut company = Self {
            company_field,
            rng,
            items: Vec::with_capacity(item_count),
            ean_counters,
            upc_counter,
            next_id,
            tables: Tables::default(),
        };
        for _ in 0..item_count {
            let item = company.new_item(Planting::Messy);
            company.items.push(item);
        }
        let last = item_count.saturating_sub(1);
        for index in 0..item_count {
            // The repeat lands a few pages later, so a per-page dedupe does not catch it.
            let gap = company.rng.random_range(30..400);
            let item = &mut company.items[index];
            if item.defects.contains(&Defect::Repeated) {
                item.repeat_after = Some((index + gap).min(last));
            }
        }
        company.tables = company.render();
        company
    }

    /// The deduplicated truth, in first-seen order.
    pub(crate) fn catalogue(&self) -> Vec<CatalogueItem> {
        self.items.iter().map(truth).collect()
    }

    /// Changes the description of `changed` valid items and appends `added` clean ones.
    pub(crate) fn mutate(&mut self, changed: usize, added: usize) -> Mutation {
        let eligible: Vec<usize> = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.active && !item.defects.iter().any(|defect| defect.must_be_quarantined()))
            .map(|(index, _)| index)
            .collect();
        let amount = changed.min(eligible.len());
        let mut picked: Vec<usize> = rand::seq::index::sample(&mut self.rng, eligible.len(), amount)
            .into_iter()
            .map(|position| eligible[position])
            .collect();
        picked.sort_unstable();
        let mut mutation = Mutation::default();
        for index in picked {
            let item = &mut self.items[index];
            item.edition += 1;
            item.description = format!("{} V{}", truncate_chars(&item.base_description, 34), item.edition + 1);
            mutation.changed_ids.push(item.id);
        }
        for _ in 0..added {
            let item = self.new_item(Planting::Clean);
            mutation.added_ids.push(item.id);
            self.items.push(item);
        }
        self.tables = self.render();
        mutation
    }

    fn next_ean(&mut self) -> String {
        let slot = self.rng.random_range(0..COMPANY_PREFIXES.len());
        let counter = &mut self.ean_counters[slot];
        *counter = (*counter + 1) % 100_000;
        let body = format!("{}{:05}", COMPANY_PREFIXES[slot], counter);
        with_check_digit(&body).unwrap_or(body)
    }

    fn next_upc(&mut self) -> String {
        self.upc_counter = (self.upc_counter + 1) % 100_000;
        // Number system 0, a US manufacturer, the item: an imported product.
        let body = format!("0{:05}{:05}", 36_000 + self.upc_counter % 7, self.upc_counter);
        with_check_digit(&body).unwrap_or(body)
    }

    fn new_item(&mut self, planting: Planting) -> Item {
        let messy = planting == Planting::Messy;
        let id = self.next_id;
        self.next_id += self.rng.random_range(1..=3);
        let category = &CATEGORIES[self.rng.random_range(0..CATEGORIES.len())];
        let look = describe(category, &mut self.rng);
        let ean = self.next_ean();

        // Every roll is drawn whatever the planting, so both kinds consume the same sequence.
        let barcode_roll: f64 = self.rng.random();
        let rename_roll: f64 = self.rng.random();
        let blank_roll: f64 = self.rng.random();
        let repeat_roll: f64 = self.rng.random();
        let inactive_roll: f64 = self.rng.random();
        let comma_roll: f64 = self.rng.random();
        let id_text_roll: f64 = self.rng.random();
        let factor_text_roll: f64 = self.rng.random();
        let pack_barcode_roll: f64 = self.rng.random();
        let epc_roll: f64 = self.rng.random();
        let epc_first = self.rng.random_bool(0.5);
        let serial = self.rng.random_range(1..5_000_000);
        let (pack_unit, pack_factor) = category.packs[self.rng.random_range(0..category.packs.len())];
        let (low, high) = category.weight_kg;
        let weight_kg = (self.rng.random_range(low..high) * 100.0).round() / 100.0;
        let created = format!(
            "20{:02}-{:02}-{:02}T00:00:00",
            self.rng.random_range(18..=24),
            self.rng.random_range(1..=12),
            self.rng.random_range(1..=28)
        );
        let state_choice = self.rng.random_range(0..3usize);
        let bad_check_shift = self.rng.random_range(1..10u32);

        let chance = |roll: f64, rate: f64| messy && roll < rate;
        let mut defects = Vec::new();
        let kind = match barcode_roll {
            _ if !messy => BarcodeKind::Ean13,
            roll if roll < 0.03 => BarcodeKind::None,
            roll if roll < 0.05 => BarcodeKind::InvalidEan,
            roll if roll < 0.08 => BarcodeKind::Upc12,
            roll if roll < 0.10 => BarcodeKind::Gtin14,
            _ => BarcodeKind::Ean13,
        };
        let mut barcodes: Vec<(String, &'static str)> = Vec::new();
        match kind {
            BarcodeKind::None => defects.push(Defect::NoBarcode),
            BarcodeKind::InvalidEan => {
                defects.push(Defect::InvalidEan);
                let (body, check) = ean.split_at(12);
                let check = check.parse::<u32>().unwrap_or(0);
                barcodes.push((format!("{body}{}", (check + bad_check_shift) % 10), "UND"));
            }
            BarcodeKind::Upc12 => {
                defects.push(Defect::Upc12);
                let upc = self.next_upc();
                barcodes.push((upc, "UND"));
            }
            BarcodeKind::Gtin14 => {
                defects.push(Defect::Gtin14);
                barcodes.push((format!("0{ean}"), "UND"));
            }
            BarcodeKind::Ean13 => {
                barcodes.push((ean.clone(), "UND"));
                if pack_unit != "UND" && chance(pack_barcode_roll, 0.05) {
                    defects.push(Defect::PackBarcode);
                    let pack = with_check_digit(&format!("1{}", &ean[..12]));
                    barcodes.extend(pack.map(|code| (code, pack_unit)));
                }
                let epc = chance(epc_roll, 0.11).then(|| encode_sgtin96(&ean, 7, serial)).flatten();
                if let Some(epc) = epc {
                    // Sometimes the tag row comes first: "the first row" is not the barcode.
                    let position = if epc_first { 0 } else { barcodes.len() };
                    barcodes.insert(position, (epc, "EPC"));
                }
            }
        }

        let referencia = format!("{}-{id:06}", category.reference_prefix);
        let mut barcode_referencia = referencia.clone();
        let mut current_referencia = referencia;
        if chance(rename_roll, 0.01) {
            defects.push(Defect::Renamed);
            current_referencia = format!("{}{id:06}R", category.reference_prefix);
        } else {
            barcode_referencia.clone_from(&current_referencia);
        }
        let blank = chance(blank_roll, 0.005);
        if blank {
            defects.push(Defect::BlankDescription);
        }
        if chance(repeat_roll, 0.02) {
            defects.push(Defect::Repeated);
        }
        let weight_with_comma = chance(comma_roll, 0.15);
        if weight_with_comma {
            defects.push(Defect::DecimalComma);
        }
        let id_as_string = chance(id_text_roll, 0.08);
        if id_as_string {
            defects.push(Defect::IdAsString);
        }
        let factor_as_text = chance(factor_text_roll, 0.2);
        if factor_as_text {
            defects.push(Defect::FactorAsText);
        }
        let active = !chance(inactive_roll, 0.04);
        let state = if active {
            [json!("1"), json!(1), json!("S")][state_choice].clone()
        } else {
            [json!("0"), json!("N"), json!(0)][state_choice].clone()
        };
        let description = if blank { String::new() } else { look.description };
        Item {
            id,
            id_as_string,
            referencia: current_referencia,
            barcode_referencia,
            base_description: description.clone(),
            description,
            edition: 0,
            short_description: if blank { String::new() } else { look.short_description },
            inventory_type: category.inventory_type,
            state,
            active,
            weight_kg,
            weight_with_comma,
            created,
            notes: notes(&mut self.rng, active),
            color: look.color,
            size_code: look.size_code,
            pack_unit,
            pack_factor,
            factor_as_text,
            barcodes,
            repeat_after: None,
            defects,
        }
    }

    fn render(&self) -> Tables {
        let mut keyed_items: Vec<((usize, u8), Value)> = Vec::with_capacity(self.items.len() + self.items.len() / 40);
        let mut barcodes = Vec::with_capacity(self.items.len() + self.items.len() / 5);
        let mut units = Vec::with_capacity(self.items.len() * 2);
        for (index, item) in self.items.iter().enumerate() {
            keyed_items.push(((index, 0), self.items_row(item, false)));
            if let Some(after) = item.repeat_after {
                keyed_items.push(((after, 1), self.items_row(item, true)));
            }
            for (code, unit) in &item.barcodes {
                barcodes.push(json!({
                    "f120_id": item.id,
                    "f120_referencia": pad(&item.barcode_referencia, 20),
                    "f131_id": pad(code, 20),
                    "f131_id_unidad_medida": pad(unit, 4),
                }));
            }
            units.push(units_row(item, "UND", 1));
            if item.pack_unit != "UND" {
                units.push(units_row(item, item.pack_unit, item.pack_factor));
            }
        }
        keyed_items.sort_by_key(|(key, _)| *key);
        Tables {
            items: Table::from_rows(keyed_items.into_iter().map(|(_, row)| row).collect()),
            barcodes: Table::from_rows(barcodes),
            units: Table::from_rows(units),
        }
    }

    /// An Items row; the repeated copy flips number formats and pads differently, as a row
    /// coming from another unit or company view does.
    fn items_row(&self, item: &Item, repeated_copy: bool) -> Value {
        let id = if item.id_as_string != repeated_copy { json!(item.id.to_string()) } else { json!(item.id) };
        let weight = if item.weight_with_comma != repeated_copy {
            json!(format!("{:.2}", item.weight_kg).replace('.', ","))
        } else {
            json!(item.weight_kg)
        };
        let description_width = if repeated_copy { 44 } else { 40 };
        json!({
            "f120_id_cia": self.company_field,
            "f120_id": id,
            "f120_referencia": pad(&item.referencia, 20),
            "f120_descripcion": pad(&item.description, description_width),
            "f120_descripcion_corta": pad(&item.short_description, 20),
            "f120_id_unidad_inventario": "UND ",
            "f120_id_unidad_empaque": pad(item.pack_unit, 4),
            "f120_id_tipo_inv_serv": item.inventory_type,
            "f120_ind_estado": item.state,
            "f120_peso": weight,
            "f120_fecha_creacion": item.created,
            "f120_notas": pad(&item.notes, 30),
            "f120_color": pad(&item.color, 10),
            "f120_talla": pad(&item.size_code, 3),
        })
    }
}

fn units_row(item: &Item, unit: &str, factor: u32) -> Value {
    let factor = if item.factor_as_text { json!(format!("{factor},0000")) } else { json!(factor) };
    json!({
        "f120_id": item.id,
        "f122_id_unidad": pad(unit, 4),
        "f122_factor": factor,
    })
}

fn truth(item: &Item) -> CatalogueItem {
    let barcode = item.barcodes.iter().find(|(_, unit)| *unit != "EPC").map(|(code, _)| code.clone());
    let epc = item.barcodes.iter().find(|(_, unit)| *unit == "EPC").map(|(code, _)| code.clone());
    CatalogueItem {
        f120_id: item.id,
        referencia: item.referencia.clone(),
        old_referencia: (item.barcode_referencia != item.referencia).then(|| item.barcode_referencia.clone()),
        descripcion: item.description.clone(),
        ean13: barcode.as_deref().and_then(normalise_to_ean13),
        barcode,
        epc,
        active: item.active,
        inventory_type: item.inventory_type.to_string(),
        weight_kg: item.weight_kg,
        pack_unit: item.pack_unit.to_string(),
        pack_factor: item.pack_factor,
        color: item.color.clone(),
        talla: item.size_code.clone(),
        defects: item.defects.clone(),
    }
}
