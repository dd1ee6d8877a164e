//! `scans.csv`, for scenes with a therapy: one row per scan the protocol read — its
//! tick and day, the line it judged, what it measured and recorded, its RECIST
//! response — and, in scenes with `[immune]`, the biomarkers it read (the biopsy a
//! biomarker rule decides on; `model::biomarkers`). Written at the end from the therapy
//! log, which snapshots hold, so a resumed run writes the same file.

use crate::engine::therapy::TherapyTick;
use crate::model::protocol::Biomarker;
use crate::scene::Scene;
use std::fmt::Write as _;

pub const SCANS_CSV: &str = "scans.csv";

/// The file's text; `None` without a therapy.
pub fn csv(scene: &Scene, log: &[TherapyTick]) -> Option<String> {
    scene.therapy.as_ref()?;
    let immune = scene.immune.is_some();
    let mut out = String::from(
        "tick,day,line,baseline,measured_mm,recorded_mm,detected,live_cells,live_volume_mm3,response",
    );
    if immune {
        for b in Biomarker::ALL {
            let _ = write!(out, ",{}", b.name());
        }
        out.push_str(",phenotype");
    }
    out.push('\n');
    for s in log.iter().filter_map(|t| t.scan.as_ref()) {
        let line = s.line.map_or(String::new(), |l| (l + 1).to_string());
        let response = s.response.map_or(String::new(), |r| r.to_string());
        let _ = write!(
            out,
            "{},{},{line},{},{:.4},{:.4},{},{},{:.6},{response}",
            s.tick,
            s.time_h / 24.0,
            u8::from(s.baseline),
            s.measured_mm,
            s.recorded_mm,
            u8::from(s.detected),
            s.live_cells,
            s.live_volume_mm3,
        );
        if immune {
            match &s.biomarkers {
                Some(b) => {
                    for k in Biomarker::ALL {
                        let _ = write!(out, ",{:.3}", k.value(b));
                    }
                    let _ = write!(out, ",{}", b.phenotype.name());
                }
                None => out.push_str(&",".repeat(Biomarker::ALL.len() + 1)),
            }
        }
        out.push('\n');
    }
    Some(out)
}
