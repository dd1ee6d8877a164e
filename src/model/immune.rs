//! Cytotoxic T cells: their rules as data the kernels read (`ImmuneParams` and the
//! lookup tables), converted once from `[immune]` (scene/immune.rs has the keys and
//! the sources of every default).
//!
//! Each tick, after the tick's resolve, T cells make `moves_per_tick` moves, each a
//! pass of its own settled by resolve (`immune_step`): a T cell that is neither
//! engaged nor next to a tumour cell it may contact moves to a free neighbour — with
//! probability `chemotaxis_bias` the one of highest chemokine (ties at random), else
//! any at random — so in a fixed gradient its drift is `bias` sites per move up the
//! gradient. (T cells move only into free sites, so they reach a packed tumour's
//! core only through the holes that deaths leave: letting them swap with tumour cells
//! instead mixed the tumour and sped its growth, an artefact; see the notes.) In the cells pass of the next tick:
//! - a perfused vessel site with a free neighbour recruits a T cell there with the
//!   per-tick probability 1 − exp(−r·Δt·c/(c + K)·competence), scaled by the site's
//!   perfusion (`recruit_threshold`);
//! - a T cell ages and dies at its lifespan; an engaged one counts its engagement down
//!   and, when it ends, kills its target (if it is still a tumour cell), counts the
//!   kill, is exhausted at the kill cap, and gains `divisions_per_kill` pending
//!   divisions with probability 1 − suppression; a T cell with divisions pending and a
//!   free neighbour divides (its daughter shares its age and kills, and the pending
//!   divisions stay with the parent);
//! - a free T cell next to tumour cells contacts one at random: the contact kills
//!   (engagement for `kill_duration_h`) with the probability that the kill hazard
//!   beats detachment, P = λk·m / (λk·m + λd), where m is the target's recognition
//!   (antigenicity, PhysiCell's linear ramp between threshold and saturation) times
//!   what PD-L1 and suppression leave of the kill rate; else it detaches and moves on.
//!
//! Every probability is a 32-bit integer threshold; the factors that enter it are
//! 16-bit fixed point from tables indexed like the PD tables (`pd::pd_index` of the
//! level), combined with integer products, so no float function decides an event.

use crate::model::pd::{bin_centre, tick_probability, PD_TABLE_LEN};
use crate::model::rng;
use crate::model::site::{Site, BYTE, DIVISIONS_SHIFT};
use crate::scene::immune::Immune;
use crate::scene::Scene;
use bytemuck::{Pod, Zeroable};

/// "No field": the scene names no such factor.
pub const NO_FIELD: u32 = u32::MAX;
/// 1.0 in the 16-bit fixed point of the immune factors.
pub const ONE16: u32 = 0xffff;
/// The tables, in this order, `PD_TABLE_LEN` entries each.
pub const TABLE_RECRUIT: usize = 0;
pub const TABLE_PDL1: usize = 1;
pub const TABLE_SUPPRESS: usize = 2;
/// P(kill) by the kill multiplier m (16-bit) >> `KILL_SHIFT`.
pub const TABLE_KILL: usize = 3;
/// The share of PD-L1 that a checkpoint inhibitor blocks, by its level.
pub const TABLE_BLOCK: usize = 4;
pub const TABLES: usize = 5;
pub const KILL_SHIFT: u32 = 4;

/// The immune rules in lattice units. Keep in sync with `struct ImmuneParams` in
/// shaders/shared/params.wgsl (there `recognition` is `recognition0`, `recognition1`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct ImmuneParams {
    /// 1 when the scene has `[immune]`.
    pub enabled: u32,
    pub chemokine_field: u32,
    /// `NO_FIELD` when the scene names none.
    pub ifng_field: u32,
    pub suppressor_field: u32,
    /// The field of the checkpoint inhibitor (a `[[drugs]]` entry of class
    /// `checkpoint`), or `NO_FIELD`.
    pub checkpoint_field: u32,
    pub moves_per_tick: u32,
    /// `rng::threshold(chemotaxis_bias)`.
    pub walk_bias_threshold: u32,
    pub lifespan_ticks: u32,
    /// Ticks from a killing contact to the target's death (≥ 1).
    pub kill_ticks: u32,
    pub max_kills: u32,
    pub divisions_per_kill: u32,
    /// PD-L1 of a cell with the trait, and the share of the kill rate full PD-L1
    /// removes (16-bit).
    pub pdl1_constitutive: u32,
    pub pdl1_protection: u32,
    /// Recognition (16-bit) of a cell without and with the antigen-loss trait.
    pub recognition: [u32; 2],
    /// To a multiple of 16 bytes (a uniform on the device).
    pub _pad: [u32; 1],
}

impl ImmuneParams {
    /// No immune system.
    pub const DISABLED: ImmuneParams = ImmuneParams {
        enabled: 0,
        chemokine_field: NO_FIELD,
        ifng_field: NO_FIELD,
        suppressor_field: NO_FIELD,
        checkpoint_field: NO_FIELD,
        moves_per_tick: 0,
        walk_bias_threshold: 0,
        lifespan_ticks: 0,
        kill_ticks: 0,
        max_kills: 0,
        divisions_per_kill: 0,
        pdl1_constitutive: 0,
        pdl1_protection: 0,
        recognition: [0; 2],
        _pad: [0; 1],
    };

    /// The scene's rules; all zero (disabled) without `[immune]`.
    pub fn from_scene(scene: &Scene) -> ImmuneParams {
        let Some(im) = &scene.immune else {
            return ImmuneParams::DISABLED;
        };
        let tick_h = scene.time.tick_h;
        let field = |name: &Option<String>| match name {
            Some(n) => factor_index(scene, n),
            None => NO_FIELD,
        };
        let site_um = scene.lattice.site_size_um;
        let moves = (im.speed_um_per_min * 60.0 * tick_h / site_um).round() as u32;
        ImmuneParams {
            enabled: 1,
            chemokine_field: factor_index(scene, &im.chemokine),
            ifng_field: field(&im.ifng),
            suppressor_field: field(&im.suppressor),
            checkpoint_field: checkpoint_drug(scene)
                .map_or(NO_FIELD, |d| crate::model::fields::drug_field(d) as u32),
            moves_per_tick: moves.min(im.max_moves_per_tick),
            walk_bias_threshold: rng::threshold(im.chemotaxis_bias),
            lifespan_ticks: (im.lifespan_days * 24.0 / tick_h).round().max(1.0) as u32,
            kill_ticks: (im.kill_duration_h / tick_h).round().max(1.0) as u32,
            max_kills: im.max_kills,
            divisions_per_kill: im.divisions_per_kill,
            pdl1_constitutive: fx16(im.pdl1_constitutive),
            pdl1_protection: fx16(im.pdl1_protection),
            recognition: [
                fx16(recognition(im, im.antigenicity)),
                fx16(recognition(im, im.antigenicity * im.antigen_loss_factor)),
            ],
            _pad: [0; 1],
        }
    }
}

/// The scene's checkpoint inhibitor (at most one: validation refuses more).
pub fn checkpoint_drug(scene: &Scene) -> Option<usize> {
    scene
        .drugs
        .iter()
        .position(|d| d.class == crate::scene::DrugClass::Checkpoint)
}

/// The values of the factor named `name` among `fields` (every field in field order,
/// `n` values each); `None` when there is no such factor.
pub fn factor_values<'a>(
    scene: &Scene,
    name: Option<&str>,
    fields: &'a [f32],
    n: usize,
) -> Option<&'a [f32]> {
    let f = factor_index(scene, name?);
    if f == NO_FIELD {
        return None;
    }
    fields.get(f as usize * n..(f as usize + 1) * n)
}

fn factor_index(scene: &Scene, name: &str) -> u32 {
    let k = scene.factors.iter().position(|f| f.name == name);
    k.map_or(NO_FIELD, |k| {
        crate::model::fields::factor_field(scene.drugs.len(), k) as u32
    })
}

/// A fraction in 0..=1 as 16-bit fixed point.
pub fn fx16(x: f64) -> u32 {
    (x.clamp(0.0, 1.0) * ONE16 as f64).round() as u32
}

/// Recognition of a cell of antigenicity `a`: PhysiCell's linear ramp from the
/// threshold (0) to saturation (1).
pub fn recognition(im: &Immune, a: f64) -> f64 {
    ((a - im.antigenicity_threshold) / (im.antigenicity_saturation - im.antigenicity_threshold))
        .clamp(0.0, 1.0)
}

/// P(kill before detaching) of a contact whose kill rate is `kill_rate_per_min`·m: the
/// competing-risk value λk·m / (λk·m + λd).
pub fn kill_probability(im: &Immune, m: f64) -> f64 {
    let k = im.kill_rate_per_min * m;
    if k <= 0.0 {
        0.0
    } else {
        k / (k + im.detach_rate_per_min)
    }
}

/// Immune competence at an age: 1 up to 50 years, falling linearly to 0.5 at 90 and
/// staying there. The project's assumption, after the decline with age of naive CD8+
/// T cells and of their responses (Goronzy & Weyand 2013, Nat Immunol 14:428).
pub fn competence_at_age(age_years: f64) -> f64 {
    (1.0 - 0.5 * (age_years - 50.0) / 40.0).clamp(0.5, 1.0)
}

/// The patient's competence: `[immune] competence`, or the curve at the patient's age.
pub fn competence(scene: &Scene) -> f64 {
    scene
        .immune
        .as_ref()
        .and_then(|im| im.competence)
        .unwrap_or_else(|| competence_at_age(scene.patient.age_years))
}

/// The Hill fraction cⁿ/(Kⁿ + cⁿ) of level `c` (0 for c ≤ 0, 1 for c = +∞): PD-L1
/// induced by IFN-γ, PD-1 occupancy by a checkpoint inhibitor.
pub fn hill(c: f64, half_max: f64, n: f64) -> f64 {
    if c.is_nan() || c <= 0.0 {
        return 0.0;
    }
    let r = (c / half_max).powf(n);
    if r.is_finite() {
        r / (1.0 + r)
    } else {
        1.0
    }
}

/// `check`'s line for `[immune]`: recruitment, movement, killing and its brakes.
pub fn describe(scene: &Scene) -> Option<String> {
    let im = scene.immune.as_ref()?;
    let p = ImmuneParams::from_scene(scene);
    let mut text = format!(
        "T cells recruited at {}/vessel/day × {} (competence{}), climbing {}; {} moves/tick, \
         P(kill) {:.3} per contact at antigenicity {}, {} h per kill, at most {} kills, \
         lifespan {} days",
        im.recruitment_per_vessel_per_day,
        round3(competence(scene)),
        if im.competence.is_some() {
            String::new()
        } else {
            format!(" at {} years", scene.patient.age_years)
        },
        im.chemokine,
        p.moves_per_tick,
        kill_probability(im, recognition(im, im.antigenicity)),
        im.antigenicity,
        im.kill_duration_h,
        im.max_kills,
        im.lifespan_days
    );
    if let Some(f) = &im.ifng {
        text += &format!("; PD-L1 induced by {f}");
    }
    if let Some(f) = &im.suppressor {
        text += &format!(
            "; suppressed by {f} (up to {} %)",
            im.max_suppression * 100.0
        );
    }
    if let Some(d) = checkpoint_drug(scene) {
        text += &format!("; PD-L1 blocked by {}", scene.drugs[d].name);
    }
    Some(text)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The tables (`TABLE_*`), concatenated; all zero without `[immune]`.
pub fn immune_tables(scene: &Scene) -> Vec<u32> {
    let Some(im) = &scene.immune else {
        return vec![0; TABLES * PD_TABLE_LEN];
    };
    let tick_h = scene.time.tick_h;
    let rate_per_h = im.recruitment_per_vessel_per_day / 24.0 * competence(scene);
    let level = |k: usize| bin_centre(k);
    let mut out = Vec::with_capacity(TABLES * PD_TABLE_LEN);
    // Recruitment per tick at full perfusion, by chemokine level.
    out.extend((0..PD_TABLE_LEN).map(|k| {
        let c = level(k);
        let sat = if c.is_finite() {
            c / (c + im.chemokine_half_max)
        } else {
            1.0
        };
        rng::threshold(tick_probability(rate_per_h * sat, tick_h))
    }));
    // Induced PD-L1 by IFN-γ level.
    out.extend((0..PD_TABLE_LEN).map(|k| fx16(hill(level(k), im.ifng_half_max, im.ifng_hill))));
    // Share of the kill rate (and of expansion) the suppressor removes, by level.
    out.extend((0..PD_TABLE_LEN).map(|k| {
        let c = level(k);
        let s = if c.is_finite() {
            c / (c + im.suppression_half_max)
        } else {
            1.0
        };
        fx16(im.max_suppression * s)
    }));
    // P(kill) by multiplier bin: the bin's lower edge.
    out.extend((0..PD_TABLE_LEN).map(|k| {
        let m = ((k as u32) << KILL_SHIFT) as f64 / ONE16 as f64;
        rng::threshold(kill_probability(im, m))
    }));
    // PD-1 occupancy by the checkpoint inhibitor, by its level.
    let drug = checkpoint_drug(scene).map(|d| &scene.drugs[d]);
    out.extend(
        (0..PD_TABLE_LEN).map(|k| drug.map_or(0, |d| fx16(hill(level(k), d.ic50_um, d.hill)))),
    );
    out
}

/// The kill multiplier m (16-bit) of a contact: recognition × what PD-L1 leaves ×
/// what suppression leaves. `pdl1` is the target's PD-L1 (16-bit), `blocked` the share
/// of it a checkpoint inhibitor blocks at the T cell, `suppressed` the share of the
/// kill rate the suppressor removes at the T cell (all 16-bit).
#[inline]
pub fn kill_multiplier(
    p: &ImmuneParams,
    recognition: u32,
    pdl1: u32,
    blocked: u32,
    suppressed: u32,
) -> u32 {
    let pdl1 = (pdl1 * (ONE16 - blocked)) >> 16;
    let keep_pd = ONE16 - ((pdl1 * p.pdl1_protection) >> 16);
    let keep_supp = ONE16 - suppressed;
    (((recognition * keep_pd) >> 16) * keep_supp) >> 16
}

/// A T cell after it divided: one division fewer pending. Twin of
/// `tcell_divided` in shaders/resolve.wgsl.
#[inline]
pub fn tcell_divided(p: Site) -> Site {
    let pending = p.w1 >> DIVISIONS_SHIFT;
    Site {
        w1: (p.w1 & !(BYTE << DIVISIONS_SHIFT)) | pending.saturating_sub(1) << DIVISIONS_SHIFT,
        ..p
    }
}

/// The daughter of T cell `p`: its age, kills and state, no division pending (so one
/// kill gives `divisions_per_kill` daughters, not a burst). Twin of `tcell_daughter`
/// in shaders/resolve.wgsl.
#[inline]
pub fn tcell_daughter(p: Site) -> Site {
    Site {
        w1: p.w1 & !(BYTE << DIVISIONS_SHIFT),
        ..p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scene(extra: &str) -> Scene {
        let text = format!(
            "seed = 1\n[lattice]\nnx = 20\nny = 20\n[[factors]]\nname = \"cxcl9\"\n\
             diffusion_um2_per_min = 100.0\ndecay_per_min = 0.01\n[immune]\nchemokine = \"cxcl9\"\n{extra}"
        );
        Scene::parse(&text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn physicell_rates_give_0_571_at_antigenicity_1() {
        let s = scene("");
        let im = s.immune.as_ref().unwrap();
        let p = kill_probability(im, recognition(im, 1.0));
        assert!((p - 0.5714).abs() < 5e-4, "{p}");
        // The table holds it at the fixed-point multiplier of antigenicity 1.
        let params = ImmuneParams::from_scene(&s);
        let tables = immune_tables(&s);
        let m = kill_multiplier(&params, params.recognition[0], 0, 0, 0);
        let t = tables[TABLE_KILL * PD_TABLE_LEN + (m >> KILL_SHIFT) as usize];
        assert!((t as f64 / 4294967296.0 - 0.5714).abs() < 1e-3);
        // Antigen loss (factor 0) is not recognised at all.
        assert_eq!(params.recognition[1], 0);
    }

    #[test]
    fn parameters_in_lattice_units() {
        let p = ImmuneParams::from_scene(&scene(""));
        // 5 µm/min · 60 min / 20 µm = 15 moves an hour; 10 days; 6 h per kill.
        assert_eq!(
            (p.moves_per_tick, p.lifespan_ticks, p.kill_ticks),
            (15, 240, 6)
        );
        assert_eq!((p.ifng_field, p.chemokine_field), (NO_FIELD, 1));
        assert_eq!(
            ImmuneParams::from_scene(&scene("max_moves_per_tick = 4")).moves_per_tick,
            4
        );
    }

    #[test]
    fn competence_falls_with_age() {
        assert_eq!(competence_at_age(30.0), 1.0);
        assert!((competence_at_age(70.0) - 0.75).abs() < 1e-12);
        assert_eq!(competence_at_age(100.0), 0.5);
    }

    #[test]
    fn pd_l1_and_suppression_lower_the_multiplier() {
        let p = ImmuneParams::from_scene(&scene(""));
        let full = kill_multiplier(&p, ONE16, 0, 0, 0);
        assert!(full >= ONE16 - 2);
        // Full PD-L1 leaves 10 % of the rate; suppression of half leaves half.
        let pd = kill_multiplier(&p, ONE16, ONE16, 0, 0);
        // A checkpoint inhibitor blocking all of it restores the full rate.
        assert_eq!(kill_multiplier(&p, ONE16, ONE16, ONE16, 0), full);
        assert!((pd as f64 / ONE16 as f64 - 0.1).abs() < 1e-3, "{pd}");
        let half = kill_multiplier(&p, ONE16, 0, 0, ONE16 / 2);
        assert!((half as f64 / ONE16 as f64 - 0.5).abs() < 1e-3);
    }

    #[test]
    fn ifng_induces_pd_l1_by_its_hill_curve() {
        let s = scene("");
        let tables = immune_tables(&s);
        let at = |c: f32| tables[TABLE_PDL1 * PD_TABLE_LEN + crate::model::pd::pd_index(c)];
        assert_eq!(at(0.0), 0);
        // Half-maximal near 0.11 ng/mL (bins are 4.4 % wide).
        let half = at(0.11) as f64 / ONE16 as f64;
        assert!((half - 0.5).abs() < 0.02, "{half}");
        assert!(at(10.0) as f64 / ONE16 as f64 > 0.99);
    }
}
