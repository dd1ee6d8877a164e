//! New tips from vessel sites where VEGF is high (Owen et al. 2011).

use super::{opposite, tip, Step, UpdateEvents};
use crate::model::rng::{self, stream};
use crate::model::site::{Kind, Site};

/// Sprouting threshold (`rng::threshold`) of one vessel site in one update.
pub fn sprout_threshold(step: &Step, vegf_nm: f64, block: f64) -> u32 {
    let v = step.v;
    if vegf_nm.is_nan() || vegf_nm < v.sprout_threshold_nm {
        return 0;
    }
    let rate = v.sprout_max_per_min * vegf_nm / (vegf_nm + v.sprout_half_max_nm) * (1.0 - block);
    super::remodel::within(rate, step.dt_min)
}

/// Visits the vessel sites in index order; a site that sprouts puts a tip into its
/// empty face neighbour of highest VEGF (the lower face on a tie), unless a tip lies
/// within the exclusion distance of that site.
pub fn sprout(step: &Step, sites: &mut [Site], events: &mut UpdateEvents) {
    let grid = &step.grid;
    let mut tips: Vec<[u32; 3]> = sites
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind() == Kind::VesselTip)
        .map(|(i, _)| grid.coords(i as u32))
        .collect();
    let reach_sites = step.v.tip_exclusion_um / step.site_um;
    let near_a_tip = |tips: &[[u32; 3]], c: [u32; 3]| {
        tips.iter().any(|t| {
            let d2: f64 = (0..3).map(|k| (t[k] as f64 - c[k] as f64).powi(2)).sum();
            d2 < reach_sites * reach_sites
        })
    };
    for i in 0..sites.len() {
        let s = sites[i];
        if s.kind() != Kind::Vessel {
            continue;
        }
        let threshold = sprout_threshold(step, step.vegf[i] as f64, step.block[i]);
        if threshold == 0 || rng::draw(step.key, i as u32, stream::SPROUT) >= threshold {
            continue;
        }
        let mut best: Option<(usize, u32, f32)> = None;
        for (f, j) in step.face_neighbours(i as u32) {
            if sites[j as usize].kind() != Kind::Empty {
                continue;
            }
            let level = step.vegf[j as usize];
            if best.is_none_or(|(_, _, b)| level > b) {
                best = Some((f, j, level));
            }
        }
        let Some((f, j, _)) = best else {
            continue;
        };
        let c = grid.coords(j);
        if near_a_tip(&tips, c) {
            continue;
        }
        sites[j as usize] = tip(opposite(f), 0);
        tips.push(c);
        events.sprouts += 1;
    }
}
