//! Reading a rate of duty as the HTS prints it (`Free`, `3%`, `2.5¢/kg`, `4.4¢/kg + 3%`) into a
//! [`Rate`], and writing one back.
//!
//! Parsing never fails: a text that is not one of the plain forms (conditional rates such as
//! `7.4¢/kg on drained weight`, references such as `The duty provided in the applicable
//! subheading`, three-part compounds) comes back as [`Rate::Unparsed`] so that a line using it is
//! flagged rather than guessed.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::model::{Rate, Unit};

/// Parses one rate text. Whitespace around the text and its parts is ignored; `Free` is matched
/// without regard to case; `33 1/3%` is read as a third.
pub fn parse_rate(text: &str) -> Rate {
    parse_plain(text.trim()).unwrap_or_else(|| Rate::Unparsed { text: text.to_string() })
}

/// Writes a rate the way the HTS prints it: `Free`, `25%`, `2.5¢/kg`, `$1.21/kg`, `8¢ each`,
/// `4.4¢/kg + 3%`. An unparsed rate is written back as its text.
pub fn format_rate(rate: &Rate) -> String {
    match rate {
        Rate::Free => "Free".to_string(),
        Rate::AdValorem { percent } => format_percent(*percent),
        Rate::Specific { dollars, per } => format_specific(*dollars, per),
        Rate::Compound { percent, dollars, per } => {
            format!("{} + {}", format_specific(*dollars, per), format_percent(*percent))
        }
        Rate::Unparsed { text } => text.trim().to_string(),
    }
}

/// `25%`, `7.5%`: the percent without trailing zeros.
pub fn format_percent(percent: Decimal) -> String {
    format!("{}%", percent.normalize())
}

fn format_specific(dollars: Decimal, per: &Unit) -> String {
    let amount = if dollars < Decimal::ONE {
        format!("{}¢", (dollars * Decimal::ONE_HUNDRED).normalize())
    } else {
        format!("${}", dollars.normalize())
    };
    match per {
        Unit::Number => format!("{amount} each"),
        Unit::Kilograms => format!("{amount}/kg"),
        Unit::Dozens => format!("{amount}/doz."),
        Unit::NoQuantity => amount,
        Unit::Other(unit) => format!("{amount}/{unit}"),
    }
}

fn parse_plain(text: &str) -> Option<Rate> {
    if text.eq_ignore_ascii_case("free") {
        return Some(Rate::Free);
    }
    let mut parts = text.split('+').map(str::trim);
    let first = parse_component(parts.next()?)?;
    let Some(second) = parts.next() else {
        return Some(match first {
            Component::Percent(percent) => Rate::AdValorem { percent },
            Component::Specific(dollars, per) => Rate::Specific { dollars, per },
        });
    };
    if parts.next().is_some() {
        return None;
    }
    match (first, parse_component(second)?) {
        (Component::Specific(dollars, per), Component::Percent(percent))
        | (Component::Percent(percent), Component::Specific(dollars, per)) => {
            Some(Rate::Compound { percent, dollars, per })
        }
        _ => None,
    }
}

enum Component {
    Percent(Decimal),
    Specific(Decimal, Unit),
}

fn parse_component(text: &str) -> Option<Component> {
    if let Some(number) = text.strip_suffix('%') {
        return parse_number_with_fraction(number.trim()).map(Component::Percent);
    }
    let (dollars, rest) = if let Some(after) = text.strip_prefix('$') {
        let end = after.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(after.len());
        (parse_number(&after[..end])?, &after[end..])
    } else {
        let (number, rest) = text.split_once('¢')?;
        (parse_number(number.trim())? / Decimal::ONE_HUNDRED, rest)
    };
    let unit = parse_per_unit(rest)?;
    Some(Component::Specific(dollars.normalize(), unit))
}

/// The unit after a specific amount: `/kg`, ` each`, `/doz.`, `/liter` …
fn parse_per_unit(rest: &str) -> Option<Unit> {
    let rest = rest.trim();
    if rest.eq_ignore_ascii_case("each") {
        return Some(Unit::Number);
    }
    let unit = rest.strip_prefix('/')?.trim();
    let unit = match unit {
        "kg" => Unit::Kilograms,
        "doz." | "doz" => Unit::Dozens,
        "No." | "no." | "each" => Unit::Number,
        "pr." | "prs." => Unit::Other("prs.".to_string()),
        "liter" | "liters" => Unit::Other("liters".to_string()),
        "pf. liter" | "pf.liter" | "pf.liters" => Unit::Other("pf.liters".to_string()),
        "m2" | "m²" => Unit::Other("m2".to_string()),
        "m3" | "m³" => Unit::Other("m3".to_string()),
        "m" | "t" | "g" | "bbl" | "gross" => Unit::Other(unit.to_string()),
        "1000" => Unit::Other("thousands".to_string()),
        _ => return None,
    };
    Some(unit)
}

fn parse_number(text: &str) -> Option<Decimal> {
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.chars().filter(|&c| c == '.').count() <= 1
        && text.chars().any(|c| c.is_ascii_digit());
    if !plain {
        return None;
    }
    Decimal::from_str(text).ok()
}

/// `25`, `6.5`, or the HTS's `33 1/3`.
fn parse_number_with_fraction(text: &str) -> Option<Decimal> {
    let Some((whole, fraction)) = text.split_once(' ') else {
        return parse_number(text);
    };
    let (numerator, denominator) = fraction.trim().split_once('/')?;
    let numerator = parse_number(numerator)?;
    let denominator = parse_number(denominator)?;
    parse_number(whole)?.checked_add(numerator.checked_div(denominator)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap_or_default()
    }

    fn check(text: &str, expected: Rate) {
        assert_eq!(parse_rate(text), expected, "parsing {text:?}");
    }

    #[test]
    fn plain_forms() {
        check("Free", Rate::Free);
        check(" free ", Rate::Free);
        check("3%", Rate::AdValorem { percent: d("3") });
        check("6.5% ", Rate::AdValorem { percent: d("6.5") });
        check("2.5¢/kg", Rate::Specific { dollars: d("0.025"), per: Unit::Kilograms });
        check("$1.21/kg", Rate::Specific { dollars: d("1.21"), per: Unit::Kilograms });
        check("8¢ each", Rate::Specific { dollars: d("0.08"), per: Unit::Number });
        check("$4 each", Rate::Specific { dollars: d("4"), per: Unit::Number });
        check("10¢/doz.", Rate::Specific { dollars: d("0.1"), per: Unit::Dozens });
        check("18¢/liter", Rate::Specific { dollars: d("0.18"), per: Unit::Other("liters".into()) });
        check("4.4¢/kg + 3%", Rate::Compound { percent: d("3"), dollars: d("0.044"), per: Unit::Kilograms });
        check("15.4¢/kg +40%", Rate::Compound { percent: d("40"), dollars: d("0.154"), per: Unit::Kilograms });
        check("3% + 4.4¢/kg", Rate::Compound { percent: d("3"), dollars: d("0.044"), per: Unit::Kilograms });
    }

    #[test]
    fn a_third() {
        let Rate::AdValorem { percent } = parse_rate("33 1/3%") else {
            panic!("33 1/3% should parse");
        };
        assert_eq!(percent.round_dp(6), d("33.333333"));
    }

    #[test]
    fn anything_else_is_unparsed_with_its_text() {
        for text in [
            "",
            "No change",
            "The duty provided in the applicable subheading + 25%",
            "7.4¢/kg on drained weight",
            "77.2¢/clean kg",
            "$4.50 each + 65% + 25¢/jewel",
            "3% + 5%",
            "Free, under bond",
            "2.5% on the value of the lead content",
            "1.2.3%",
            "-3%",
            "1 99999999999999999999999999/0.0000000000000000000000001%",
            "99999999999999999999999999999999%",
            "1 1/0%",
        ] {
            check(text, Rate::Unparsed { text: text.to_string() });
        }
    }

    #[test]
    fn formats_round_trip() {
        for text in ["Free", "25%", "7.5%", "2.5¢/kg", "$1.21/kg", "8¢ each", "10¢/doz.", "4.4¢/kg + 3%"] {
            assert_eq!(format_rate(&parse_rate(text)), text);
        }
    }
}
