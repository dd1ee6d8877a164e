//! VEGF blockade by the anti-angiogenic drugs at each vessel site.

use crate::model::fields::drug_field;
use crate::model::site::{Kind, Site};
use crate::scene::{DrugClass, Scene};

/// Per site, the fraction of VEGF signalling blocked (0–1): 1 − Π(1 − occupancy) over
/// the scene's anti-angiogenic drugs, occupancy cʰ/(IC50ʰ + cʰ) of the drug's level at
/// the site (its `ic50_um` and `hill`). 0 off vessel sites and without such drugs.
pub fn per_site(scene: &Scene, sites: &[Site], fields: &[f32]) -> Vec<f64> {
    let n = sites.len();
    let drugs: Vec<(usize, f64, f64)> = scene
        .drugs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.class == DrugClass::AntiAngiogenic)
        .map(|(k, d)| (drug_field(k), d.ic50_um, d.hill))
        .collect();
    let mut out = vec![0.0; n];
    if drugs.is_empty() {
        return out;
    }
    for (i, s) in sites.iter().enumerate() {
        if !matches!(s.kind(), Kind::Vessel | Kind::VesselTip) {
            continue;
        }
        let free = drugs.iter().fold(1.0, |free, &(f, ic50, hill)| {
            free * (1.0 - occupancy(fields[f * n + i] as f64, ic50, hill))
        });
        out[i] = 1.0 - free;
    }
    out
}

/// cʰ/(IC50ʰ + cʰ), 0 for c ≤ 0.
pub fn occupancy(level: f64, ic50: f64, hill: f64) -> f64 {
    if level <= 0.0 || !level.is_finite() {
        return 0.0;
    }
    let r = (level / ic50).powf(hill);
    r / (1.0 + r)
}
