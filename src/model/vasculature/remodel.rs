//! Maturation, pruning under VEGF blockade, and regression by low wall shear stress.

use super::{UpdateEvents, VesselFlow};
use crate::model::rng::{self, stream};
use crate::model::site::{Kind, Site, HALF_SHIFT, IMMATURE_BIT, LOW16};
use crate::scene::vasculature::Vasculature;

/// Probability threshold (`rng::threshold`) of an event of rate `per_min` within
/// `dt_min`: rate·dt, capped at 1 (no transcendental function decides a draw; the
/// update interval is short against every rate here).
pub(super) fn within(per_min: f64, dt_min: f64) -> u32 {
    rng::threshold(per_min * dt_min)
}

/// Ages immature vessels that carry flow (faster under blockade) and matures them at
/// `maturation_days`; under blockade, vessels regress at their rate × blockade.
pub fn mature_and_prune(
    v: &Vasculature,
    key: u32,
    dt_min: f64,
    block: &[f64],
    sites: &mut [Site],
    events: &mut UpdateEvents,
) {
    let maturation_h = v.maturation_days * 24.0;
    for (i, s) in sites.iter_mut().enumerate() {
        if s.kind() != Kind::Vessel {
            continue;
        }
        let b = block[i];
        let immature = s.w0 & IMMATURE_BIT != 0;
        if b > 0.0 {
            let rate_per_day = if immature {
                v.blockade_immature_regression_per_day
            } else {
                v.blockade_mature_regression_per_day
            };
            if rng::draw(key, i as u32, stream::REGRESS) < within(rate_per_day * b / 1440.0, dt_min)
            {
                *s = Site::EMPTY;
                events.regressed_by_blockade += 1;
                continue;
            }
        }
        // Pericytes cover perfused vessels: an immature vessel ages only while its
        // shear stress is above the regression threshold (no low-shear time counted).
        if !immature || s.w3 >> HALF_SHIFT != 0 {
            continue;
        }
        let speed = 1.0 + (v.blockade_maturation_factor - 1.0).max(0.0) * b;
        let age_h = (s.w3 & LOW16) as f64 + (dt_min / 60.0 * speed).round();
        if age_h >= maturation_h {
            s.w0 &= !IMMATURE_BIT;
            s.w3 = 0;
            events.matured += 1;
        } else {
            s.w3 = (s.w3 & !LOW16) | age_h.min(LOW16 as f64) as u32;
        }
    }
}

/// Immature vessel sites below the shear threshold count low-shear minutes (reset
/// above it) and regress once they reach `regression_after_min`.
pub fn regress_by_shear(
    v: &Vasculature,
    dt_min: f64,
    flow: &VesselFlow,
    sites: &mut [Site],
    events: &mut UpdateEvents,
) {
    let step = dt_min.round() as u32;
    let limit = v.regression_after_min.round() as u32;
    for (i, s) in sites.iter_mut().enumerate() {
        if s.kind() != Kind::Vessel || s.w0 & IMMATURE_BIT == 0 {
            continue;
        }
        let low = if flow.site_wss_dyn_per_cm2[i] < v.regression_shear_dyn_per_cm2 {
            ((s.w3 >> HALF_SHIFT) + step).min(LOW16)
        } else {
            0
        };
        if low >= limit {
            *s = Site::EMPTY;
            events.regressed_by_shear += 1;
        } else {
            s.w3 = (s.w3 & LOW16) | low << HALF_SHIFT;
        }
    }
}
