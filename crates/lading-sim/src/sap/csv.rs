//! The four CSV files the importer maintains by hand today, rendered from the same data the
//! SAP tables serve, in clean human formats: dotted HTS numbers, kilograms, ISO dates.

use rust_decimal::Decimal;

use super::catalogue::{normalised_unit, round};
use super::dataset::ImporterDataset;
use lading_customs::model::{Programme, RateBasis, Unit};

/// The file names, in the order [`ImporterDataset::importer_csvs`] returns them.
pub const CSV_FILES: [&str; 4] = ["Product_List.csv", "HTS_Code.csv", "HTS Tariff.csv", "Packaging_Material.csv"];

/// One CSV field, quoted when it holds a comma, a quote or a line break.
fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

fn line(fields: &[String]) -> String {
    let mut text = fields.iter().map(|value| field(value)).collect::<Vec<_>>().join(",");
    text.push_str("\r\n");
    text
}

/// Kilograms to the gram, trailing zeros dropped.
fn kg(value: Decimal) -> String {
    round(value, 3).normalize().to_string()
}

impl ImporterDataset {
    /// `(file name, CSV text)` for `Product_List.csv`, `HTS_Code.csv`, `HTS Tariff.csv` and
    /// `Packaging_Material.csv`. Comma-separated, a header row, CRLF line ends, UTF-8.
    pub fn importer_csvs(&self) -> Vec<(String, String)> {
        let mut products = line(&[
            "Material".into(),
            "Description".into(),
            "HTS".into(),
            "Country of Origin".into(),
            "MID".into(),
            "Unit".into(),
            "Net Weight KG".into(),
            "Gross Weight KG".into(),
        ]);
        for record in &self.products {
            products.push_str(&line(&[
                record.material.clone(),
                record.description.clone(),
                record.hts10.clone(),
                record.origin.clone(),
                record.mid.clone(),
                normalised_unit(&record.base_unit).to_string(),
                kg(record.net_kg()),
                kg(record.gross_kg()),
            ]));
        }
        let mut hts =
            line(&["HTS".into(), "Description".into(), "Unit".into(), "General Rate".into(), "Chapter 99".into()]);
        for entry in &self.hts {
            hts.push_str(&line(&[
                entry.hts10.clone(),
                entry.description.clone(),
                entry.units.iter().map(Unit::text).collect::<Vec<_>>().join(" "),
                entry.general_text.clone(),
                entry.chapter99.join(" "),
            ]));
        }
        let mut tariff = line(&[
            "Chapter 99".into(),
            "Programme".into(),
            "Rank".into(),
            "Rate %".into(),
            "Basis".into(),
            "HTS Prefixes".into(),
            "Origins".into(),
            "Excluded Origins".into(),
            "Effective From".into(),
            "Effective To".into(),
            "Displaces".into(),
            "Claim Code".into(),
            "Metal Split".into(),
        ]);
        for rule in &self.tariff_rules {
            tariff.push_str(&line(&[
                rule.chapter99.clone(),
                Programme::code(rule.programme).to_string(),
                rule.rank.to_string(),
                rule.rate_percent.normalize().to_string(),
                RateBasis::code(rule.basis).to_string(),
                rule.hts_prefixes.join(" "),
                rule.origins.join(" "),
                rule.excluded_origins.join(" "),
                rule.effective_from.to_string(),
                rule.effective_to.map(|date| date.to_string()).unwrap_or_default(),
                rule.displaces.iter().map(|programme| Programme::code(*programme)).collect::<Vec<_>>().join(" "),
                rule.claim_code.clone().unwrap_or_default(),
                if rule.requires_metal_split { "Y" } else { "N" }.to_string(),
            ]));
        }
        let mut packaging =
            line(&["Material".into(), "Packaging Type".into(), "KG per Unit".into(), "Units per Pack".into()]);
        for record in &self.packaging {
            packaging.push_str(&line(&[
                record.material.clone(),
                record.pack_type.code().to_string(),
                kg(record.kg_per_unit),
                record.units_per_pack.to_string(),
            ]));
        }
        CSV_FILES.iter().map(|name| (*name).to_string()).zip([products, hts, tariff, packaging]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_and_quotes_are_quoted() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(kg(Decimal::new(317_514_659, 7)), "31.751");
        assert_eq!(kg(Decimal::new(25_000, 3)), "25");
    }
}
