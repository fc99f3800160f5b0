//! The USITC HTS revisions shipped in the binary, decompressed and parsed once per process.
//!
//! Both revisions of `data/hts/` (1.4 MB gzip together) are compiled in with `include_bytes!`,
//! resolved from this crate's manifest directory at build time: the binary then validates HTS
//! numbers without a data directory to install or keep in step, and a test cannot pick up a
//! stale file. A new revision means a new build — the same moment the code would learn of it.

use lading_customs::config::HTS_REVISIONS;
use lading_customs::hts::HtsReference;
use std::io::Read;
use std::sync::{Arc, OnceLock};

static HTS_2025_REV_32: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/hts/hts_2025_rev_32.json.gz"));
static HTS_2026_REV_10: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/hts/hts_2026_rev_10.json.gz"));

/// The gzip bytes of a shipped revision (`hts_2026_rev_10` …).
pub fn revision_gzip(name: &str) -> Option<&'static [u8]> {
    match name {
        "hts_2025_rev_32" => Some(HTS_2025_REV_32),
        "hts_2026_rev_10" => Some(HTS_2026_REV_10),
        _ => None,
    }
}

/// Decompresses gzip bytes.
pub fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(bytes.len() * 20);
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).map_err(|e| format!("not a readable gzip file: {e}"))?;
    Ok(out)
}

type Cached = OnceLock<Result<Arc<HtsReference>, String>>;

static CACHE: [Cached; HTS_REVISIONS.len()] = [OnceLock::new(), OnceLock::new()];

/// The parsed revision `name`, shared: parsed on first use, then kept for the process.
pub fn reference(name: &str) -> Result<Arc<HtsReference>, String> {
    let index = HTS_REVISIONS
        .iter()
        .position(|revision| *revision == name)
        .ok_or_else(|| format!("{name:?} is not a shipped revision; use one of {}", HTS_REVISIONS.join(", ")))?;
    let cell = CACHE.get(index).ok_or_else(|| format!("{name:?} has no cache slot"))?;
    cell.get_or_init(|| {
        let gzip = revision_gzip(name).ok_or_else(|| format!("{name:?} is not compiled into this build"))?;
        let json = gunzip(gzip)?;
        HtsReference::parse_usitc_json(&json).map(Arc::new).map_err(|e| e.to_string())
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_revision_parses_and_knows_the_importers_numbers() {
        for name in HTS_REVISIONS {
            let reference = reference(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(reference.len() > 10_000, "{name}: {} lines", reference.len());
            assert!(reference.get("9403.20.00.35").is_some(), "{name}");
        }
        assert!(reference("hts_1999").is_err());
        assert!(gunzip(b"not gzip").is_err());
    }
}
