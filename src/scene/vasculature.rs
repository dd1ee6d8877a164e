//! `[vasculature]`: a living vessel network (`model::vasculature` has the rules).
//! Hypoxic tumour cells secrete VEGF (a `[[factors]]` entry named here, in nM); vessel
//! sites sprout tip cells where VEGF is high, tips climb its gradient and leave
//! immature vessel behind, and a tip that meets a vessel closes a loop. Blood flow is
//! solved on the network (Poiseuille segments, Pries 1994 viscosity, fixed inlet and
//! outlet pressures) and sets each vessel's perfusion; immature vessels that carry
//! too little shear for too long regress; an anti-angiogenic drug (class
//! `anti_angiogenic`) blocks VEGF, prunes immature vessels and speeds the maturation
//! of the others (the normalisation window). docs/scene-reference.md lists the keys.

use super::validate::{issue, named_factor, positive, within, Issue};
use super::{Scene, VesselLayout};
use serde::{Deserialize, Serialize};

/// Which vessel sites on the lattice's faces are inlets and outlets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowBoundary {
    /// Straight vessels along the flow axis alternate direction (an arteriole, then a
    /// venule): vessel k enters at the low face when k is even and at the high face
    /// when k is odd, so a sprout joining two neighbours carries flow.
    #[default]
    Alternating,
    /// Every vessel enters at the low face of the flow axis and leaves at the high one.
    LowToHigh,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vasculature {
    /// The `[[factors]]` entry that is VEGF (its unit must be nM).
    pub vegf: String,
    /// Hours between updates of the network (sprouting, tip moves, flow, remodelling).
    #[serde(default = "defaults::update_every_h")]
    pub update_every_h: f64,
    #[serde(default = "defaults::inlet_pressure_mmhg")]
    pub inlet_pressure_mmhg: f64,
    #[serde(default = "defaults::outlet_pressure_mmhg")]
    pub outlet_pressure_mmhg: f64,
    #[serde(default)]
    pub boundary: FlowBoundary,
    #[serde(default = "defaults::vessel_radius_um")]
    pub vessel_radius_um: f64,
    /// Discharge haematocrit of the blood in every segment.
    #[serde(default = "defaults::haematocrit")]
    pub haematocrit: f64,
    /// Sprouting probability of a vessel site at saturating VEGF ...
    #[serde(default = "defaults::sprout_max_per_min")]
    pub sprout_max_per_min: f64,
    /// ... half-maximal at this VEGF level ...
    #[serde(default = "defaults::sprout_half_max_nm")]
    pub sprout_half_max_nm: f64,
    /// ... and 0 below this one.
    #[serde(default = "defaults::sprout_threshold_nm")]
    pub sprout_threshold_nm: f64,
    /// No vessel sprouts within this distance of an existing tip.
    #[serde(default = "defaults::tip_exclusion_um")]
    pub tip_exclusion_um: f64,
    #[serde(default = "defaults::tip_speed_um_per_h")]
    pub tip_speed_um_per_h: f64,
    /// Chemotactic weight of a step per nM of VEGF rise along it (the random part of
    /// a step has weight 1; Anderson & Chaplain 1998).
    #[serde(default = "defaults::chemotaxis_per_nm")]
    pub chemotaxis_per_nm: f64,
    /// Mean distance a tip runs straight on before it turns, on open ground without a
    /// gradient (a persistent random walk) ...
    #[serde(default = "defaults::tip_persistence_um")]
    pub tip_persistence_um: f64,
    /// A tip may step into a tumour cell, pushing the straight run of tumour cells
    /// ahead of it one site on, when that run ends at a free site within this distance
    /// (0: tips go round tumour tissue).
    #[serde(default = "defaults::tip_push_um")]
    pub tip_push_um: f64,
    /// Grown vessels (immature or mature) whose wall shear stress stays below this ...
    #[serde(default = "defaults::regression_shear_dyn_per_cm2")]
    pub regression_shear_dyn_per_cm2: f64,
    /// ... for this long regress.
    #[serde(default = "defaults::regression_after_min")]
    pub regression_after_min: f64,
    /// Days for a new vessel to mature (pericyte coverage) while it carries flow.
    #[serde(default = "defaults::maturation_days")]
    pub maturation_days: f64,
    /// Perfusion of an immature (leaky) vessel as a fraction of a mature one's at the
    /// same flow.
    #[serde(default = "defaults::immature_perfusion")]
    pub immature_perfusion: f64,
    /// Under full VEGF blockade an immature vessel matures this many times faster ...
    #[serde(default = "defaults::blockade_maturation_factor")]
    pub blockade_maturation_factor: f64,
    /// ... or regresses at this rate per length of vessel (a site regresses at it
    /// × the site size, and cuts its vessel) ...
    #[serde(default = "defaults::blockade_immature_regression_per_mm_per_day")]
    pub blockade_immature_regression_per_mm_per_day: f64,
    /// ... a mature vessel the tumour grew regresses at this one (host vessels never
    /// regress by blockade) ...
    #[serde(default = "defaults::blockade_grown_regression_per_mm_per_day")]
    pub blockade_grown_regression_per_mm_per_day: f64,
    /// ... and a sprout tip retracts at this rate.
    #[serde(default = "defaults::blockade_tip_retraction_per_day")]
    pub blockade_tip_retraction_per_day: f64,
}

/// Defaults with their sources.
pub mod defaults {
    /// Two ticks of the default 1 h: tips move ~10 µm/h, half a site, and flow changes
    /// only when the network does.
    pub fn update_every_h() -> f64 {
        2.0
    }
    /// Inlet and outlet pressures of Owen et al. 2011 (Cancer Res 71:2826).
    pub fn inlet_pressure_mmhg() -> f64 {
        25.0
    }
    pub fn outlet_pressure_mmhg() -> f64 {
        15.0
    }
    /// A capillary of 10 µm diameter (the issue's closed-form case; Pries et al. 1994).
    pub fn vessel_radius_um() -> f64 {
        5.0
    }
    /// Systemic discharge haematocrit (Pries et al. 1994, Circ Res 75:904).
    pub fn haematocrit() -> f64 {
        0.45
    }
    /// Owen et al. 2011: sprouting up to 2.5·10⁻⁴ /min per vessel site ...
    pub fn sprout_max_per_min() -> f64 {
        2.5e-4
    }
    /// ... half-maximal at 0.5 nM VEGF ...
    pub fn sprout_half_max_nm() -> f64 {
        0.5
    }
    /// ... and, an assumption of this project, none below 0.05 nM (a tenth of the
    /// half-maximum: quiescent endothelium in normoxic tissue).
    pub fn sprout_threshold_nm() -> f64 {
        0.05
    }
    /// Owen et al. 2011: no sprout within 80 µm of another tip.
    pub fn tip_exclusion_um() -> f64 {
        80.0
    }
    /// Capillary sprouts extend by ~0.1–0.3 mm/day (rabbit cornea, Gimbrone et al.
    /// 1974, J Natl Cancer Inst 52:413): 10 µm/h.
    pub fn tip_speed_um_per_h() -> f64 {
        10.0
    }
    /// Calibration of this project: a step up a 0.1 nM rise is 1.5 times as likely as
    /// a level one (the discrete Anderson–Chaplain walk, Bull Math Biol 60:857, 1998,
    /// with chemotaxis dominating diffusion as in their simulations).
    pub fn chemotaxis_per_nm() -> f64 {
        5.0
    }
    /// Microvessel endothelial cells migrate as persistent random walkers, persistence
    /// time ≈ 4 h at ≈ 15–20 µm/h (Stokes, Lauffenburger & Williams 1991, J Cell Sci
    /// 99:419): ≈ 60 µm straight on before a turn.
    pub fn tip_persistence_um() -> f64 {
        60.0
    }
    /// Sprouts invade tumour tissue and vessels grow inside tumours (Folkman 1971,
    /// N Engl J Med 285:1182); how a tip displaces the cells in its way is not
    /// measured. An assumption of this project: up to 100 µm (five 20 µm sites) of
    /// cells ahead of it are pushed aside, about the tumour's viable rim, so tips can
    /// reach the necrotic core.
    pub fn tip_push_um() -> f64 {
        100.0
    }
    /// Owen et al. 2011: segments below 8 dyn/cm² for 4,000 min regress.
    pub fn regression_shear_dyn_per_cm2() -> f64 {
        8.0
    }
    pub fn regression_after_min() -> f64 {
        4000.0
    }
    /// New tumour vessels gain pericytes over one to two weeks and regress on VEGF
    /// withdrawal only before that (Benjamin et al. 1998, Development 125:1591;
    /// Benjamin et al. 1999, J Clin Invest 103:159): 7 days.
    pub fn maturation_days() -> f64 {
        7.0
    }
    /// Immature tumour vessels are leaky and poorly perfused (Jain 2005, Science
    /// 307:58); half a mature vessel's delivery is this project's calibration.
    pub fn immature_perfusion() -> f64 {
        0.5
    }
    /// Anti-VEGF normalises the surviving vessels within days (pericyte recruitment,
    /// Winkler et al. 2004, Cancer Cell 6:553: a window on days ≈ 2–5 after DC101):
    /// four times faster maturation puts a 7-day maturation at under 2 days.
    pub fn blockade_maturation_factor() -> f64 {
        4.0
    }
    /// Immature vessels are ablated within days of VEGF withdrawal (Benjamin et al.
    /// 1999, J Clin Invest 103:159; Inai et al. 2004, Am J Pathol 165:35: up to ~70 %
    /// of tumour vessels gone in 7 days): a vessel regresses as a whole when any of
    /// its sites does, so the rate is per length of vessel. 1 /mm/day makes a
    /// 100 µm segment (tumour vessels branch every ~50–150 µm) regress at ln 2 / 7
    /// days, half of them in a week.
    pub fn blockade_immature_regression_per_mm_per_day() -> f64 {
        1.0
    }
    /// Mature tumour vessels resist VEGF withdrawal better than immature ones
    /// (pericyte cover: Benjamin et al. 1999) but go on regressing under sustained
    /// blockade, which closes the normalisation window: oxygenation improves on days
    /// ≈ 2–5 of DC101 and falls again as vessels are lost (Winkler et al. 2004;
    /// Jain 2005, Science 307:58). Calibration: 0.5 /mm/day, half the immature rate.
    pub fn blockade_grown_regression_per_mm_per_day() -> f64 {
        0.5
    }
    /// Sprouting stops within a day of VEGF inhibition (Inai et al. 2004): tip cells
    /// retract at 1 /day under full blockade.
    pub fn blockade_tip_retraction_per_day() -> f64 {
        1.0
    }
}

/// `check`'s line for the living network, if the scene has one.
pub fn describe(s: &Scene) -> Option<String> {
    let v = s.vasculature.as_ref()?;
    Some(format!(
        "living, updated every {} h: VEGF {:?}, sprouts up to {}/min (half-maximal at {} nM, \
         none below {} nM), tips {} µm/h; flow {} → {} mmHg ({}), r {} µm, H {}; grown vessels \
         below {} dyn/cm² for {} min regress, mature after {} days",
        v.update_every_h,
        v.vegf,
        v.sprout_max_per_min,
        v.sprout_half_max_nm,
        v.sprout_threshold_nm,
        v.tip_speed_um_per_h,
        v.inlet_pressure_mmhg,
        v.outlet_pressure_mmhg,
        match v.boundary {
            FlowBoundary::Alternating => "alternating",
            FlowBoundary::LowToHigh => "low to high",
        },
        v.vessel_radius_um,
        v.haematocrit,
        v.regression_shear_dyn_per_cm2,
        v.regression_after_min,
        v.maturation_days
    ))
}

pub(super) fn validate_vasculature(s: &Scene) -> Result<(), Issue> {
    let Some(v) = &s.vasculature else {
        return Ok(());
    };
    let key = |k: &str| format!("vasculature.{k}");
    let vegf = named_factor(s, &key("vegf"), &v.vegf)?;
    if vegf.unit != "nM" {
        return issue(
            &key("vegf"),
            format!(
                "names factor {:?} of unit {:?}; VEGF thresholds are in nM, so its unit \
                 must be \"nM\"",
                vegf.name, vegf.unit
            ),
        );
    }
    if !matches!(s.vessels.layout, VesselLayout::Lines | VesselLayout::Grid) {
        return issue(
            "vessels.layout",
            "must be \"lines\" or \"grid\" with [vasculature]: blood flows through a \
             connected network from inlets to outlets on the lattice's faces"
                .into(),
        );
    }
    let h = s.time.tick_h;
    if !(v.update_every_h.is_finite() && v.update_every_h >= h) {
        return issue(
            &key("update_every_h"),
            format!(
                "must be at least one tick ({h} h) (got {})",
                v.update_every_h
            ),
        );
    }
    within(
        &key("outlet_pressure_mmhg"),
        v.outlet_pressure_mmhg,
        0.0,
        200.0,
    )?;
    within(
        &key("inlet_pressure_mmhg"),
        v.inlet_pressure_mmhg,
        0.0,
        200.0,
    )?;
    if v.inlet_pressure_mmhg <= v.outlet_pressure_mmhg {
        return issue(
            &key("inlet_pressure_mmhg"),
            format!(
                "must be above outlet_pressure_mmhg ({}) for blood to flow (got {})",
                v.outlet_pressure_mmhg, v.inlet_pressure_mmhg
            ),
        );
    }
    within(&key("vessel_radius_um"), v.vessel_radius_um, 1.5, 100.0)?;
    within(&key("haematocrit"), v.haematocrit, 0.0, 0.9)?;
    within(&key("sprout_max_per_min"), v.sprout_max_per_min, 0.0, 1.0)?;
    positive(&key("sprout_half_max_nm"), v.sprout_half_max_nm)?;
    within(&key("sprout_threshold_nm"), v.sprout_threshold_nm, 0.0, 1e6)?;
    within(&key("tip_exclusion_um"), v.tip_exclusion_um, 0.0, 1e5)?;
    within(&key("tip_speed_um_per_h"), v.tip_speed_um_per_h, 0.0, 1e4)?;
    within(&key("chemotaxis_per_nm"), v.chemotaxis_per_nm, 0.0, 1e6)?;
    within(&key("tip_push_um"), v.tip_push_um, 0.0, 1e5)?;
    within(&key("tip_persistence_um"), v.tip_persistence_um, 0.0, 1e5)?;
    within(
        &key("regression_shear_dyn_per_cm2"),
        v.regression_shear_dyn_per_cm2,
        0.0,
        1e4,
    )?;
    positive(&key("regression_after_min"), v.regression_after_min)?;
    within(
        &key("regression_after_min"),
        v.regression_after_min,
        0.0,
        65535.0,
    )?;
    within(&key("maturation_days"), v.maturation_days, 0.0, 2700.0)?;
    within(&key("immature_perfusion"), v.immature_perfusion, 0.0, 1.0)?;
    within(
        &key("blockade_maturation_factor"),
        v.blockade_maturation_factor,
        0.0,
        1e3,
    )?;
    for (name, value) in [
        (
            "blockade_immature_regression_per_mm_per_day",
            v.blockade_immature_regression_per_mm_per_day,
        ),
        (
            "blockade_grown_regression_per_mm_per_day",
            v.blockade_grown_regression_per_mm_per_day,
        ),
        (
            "blockade_tip_retraction_per_day",
            v.blockade_tip_retraction_per_day,
        ),
    ] {
        within(&key(name), value, 0.0, 1e4)?;
    }
    Ok(())
}
