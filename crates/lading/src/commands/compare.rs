//! `lading compare <generated.csv> <reported.csv>`: the comparison engine on two CSV files of
//! customs lines (one row per HTS number of a line; see docs/ior.md), with tolerances from a
//! file and/or `--set field=value` flags.

use crate::cli::CompareArgs;
use crate::exit::{Failure, RUN_FAILED};
use crate::output;
use lading_customs::compare::{Tolerances, compare_csv};
use std::process::ExitCode;

pub fn run(args: CompareArgs, json: bool) -> Result<ExitCode, Failure> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| Failure::invalid(format!("cannot read {}: {e}", path.display())))
    };
    let generated = read(&args.generated)?;
    let reported = read(&args.reported)?;
    let mut tolerances = match &args.tolerances {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::invalid(format!("cannot read {}: {e}", path.display())))?;
            Tolerances::from_json(&text).map_err(|e| Failure::invalid(format!("{}: {e}", path.display())))?
        }
        None => Tolerances::default(),
    };
    if !args.set.is_empty() {
        let mut overrides = serde_json::Map::new();
        for pair in &args.set {
            let (field, value) = pair.split_once('=').ok_or_else(|| {
                Failure::invalid(format!("--set {pair:?}: expected field=value, e.g. --set gross_kg_percent=3"))
            })?;
            overrides.insert(field.trim().to_string(), serde_json::Value::String(value.trim().to_string()));
        }
        tolerances = tolerances
            .with_overrides(&serde_json::Value::Object(overrides))
            .map_err(|e| Failure::invalid(format!("--set: {e}")))?;
    }
    let report = compare_csv(&generated, &reported, &tolerances).map_err(|e| Failure::invalid(e.to_string()))?;
    if let Some(path) = &args.out_json {
        let text = serde_json::to_string_pretty(&report.to_json()).map_err(Failure::internal)?;
        std::fs::write(path, text).map_err(|e| Failure::internal(format!("cannot write {}: {e}", path.display())))?;
    }
    if let Some(path) = &args.out_csv {
        std::fs::write(path, report.to_csv())
            .map_err(|e| Failure::internal(format!("cannot write {}: {e}", path.display())))?;
    }
    if json {
        output::json(&report.to_json());
    } else {
        output::print_comparison_summary(&report);
    }
    if report.failed() {
        return Err(Failure::new(
            RUN_FAILED,
            format!(
                "the comparison failed: {} differences fail their tolerance; see the report for each field",
                report.summary.differences.fail
            ),
        ));
    }
    Ok(ExitCode::SUCCESS)
}
