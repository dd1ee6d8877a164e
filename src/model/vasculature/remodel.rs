//! Maturation, pruning under VEGF blockade, and regression by low wall shear stress.

use super::{Step, UpdateEvents, VesselFlow};
use crate::model::rng::{self, stream};
use crate::model::site::{Kind, Site, GROWN_BIT, HALF_SHIFT, IMMATURE_BIT, LOW16};
use crate::scene::vasculature::Vasculature;

/// Probability threshold (`rng::threshold`) of an event of rate `per_min` within
/// `dt_min`: rate·dt, capped at 1 (no transcendental function decides a draw; the
/// update interval is short against every rate here).
pub(super) fn within(per_min: f64, dt_min: f64) -> u32 {
    rng::threshold(per_min * dt_min)
}

/// Ages immature vessels that carry flow (faster under blockade) and matures them at
/// `maturation_days` (their low-shear time starts again from 0); under blockade,
/// immature vessels and mature vessels the tumour grew regress at their rates per
/// length × the site length × blockade. Host vessels do not depend on VEGF and never
/// regress by blockade.
pub(super) fn mature_and_prune(step: &Step, sites: &mut [Site], events: &mut UpdateEvents) {
    let (v, key, dt_min, block) = (step.v, step.key, step.dt_min, &step.block);
    let maturation_h = v.maturation_days * 24.0;
    for (i, s) in sites.iter_mut().enumerate() {
        if s.kind() != Kind::Vessel {
            continue;
        }
        let b = block[i];
        let immature = s.w0 & IMMATURE_BIT != 0;
        if b > 0.0 && s.w0 & GROWN_BIT != 0 {
            let rate_per_mm_per_day = if immature {
                v.blockade_immature_regression_per_mm_per_day
            } else {
                v.blockade_grown_regression_per_mm_per_day
            };
            let rate_per_day = rate_per_mm_per_day * step.site_um / 1000.0;
            if rng::draw(key, i as u32, stream::REGRESS) < within(rate_per_day * b / 1440.0, dt_min)
            {
                *s = Site::EMPTY;
                events.regressed_by_blockade += 1;
                continue;
            }
        }
        // Pericytes cover perfused vessels: an immature vessel ages only while it
        // carries flow (its uncompressed perfusion from the last solve is not 0).
        if !immature || s.w2 & LOW16 == 0 {
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

/// Vessel sites the tumour grew (immature or mature) below the shear threshold count
/// low-shear minutes (reset above it) and regress once they reach
/// `regression_after_min`. Host vessels do not regress by shear: one collapsed by
/// compression reopens when cell kill relieves it.
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
        if s.kind() != Kind::Vessel || s.w0 & GROWN_BIT == 0 {
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
