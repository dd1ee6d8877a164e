//! `[immune]`: cytotoxic T cells as lattice agents (`model::immune` has the rules).
//! T cells are recruited at perfused vessels, walk up a chemokine gradient, contact
//! tumour cells and kill the antigenic ones, less so where PD-L1 (constitutive, or
//! induced by IFN-γ) protects them or a suppressive factor is high; a checkpoint
//! inhibitor restores killing where it reaches. The chemokine, IFN-γ and suppressive
//! factors are `[[factors]]` entries named here. docs/scene-reference.md lists the keys.

use super::validate::{issue, named_factor, non_negative, positive, within, Issue};
use super::Scene;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Immune {
    /// The `[[factors]]` entry that recruits T cells and that they climb.
    pub chemokine: String,
    /// Chemokine level of half-maximal recruitment (the factor's unit).
    #[serde(default = "defaults::chemokine_half_max")]
    pub chemokine_half_max: f64,
    /// T cells entering through one fully perfused vessel site per day at saturating
    /// chemokine, for a fully competent patient.
    #[serde(default = "defaults::recruitment_per_vessel_per_day")]
    pub recruitment_per_vessel_per_day: f64,
    /// The patient's immune competence (0–1) that scales recruitment; absent: from
    /// `patient.age_years` by the default curve (`model::immune::competence_at_age`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competence: Option<f64>,
    #[serde(default = "defaults::speed_um_per_min")]
    pub speed_um_per_min: f64,
    /// Fraction of moves that go to the free neighbour of highest chemokine; the rest
    /// go to a free neighbour at random.
    #[serde(default = "defaults::chemotaxis_bias")]
    pub chemotaxis_bias: f64,
    #[serde(default = "defaults::kill_rate_per_min")]
    pub kill_rate_per_min: f64,
    #[serde(default = "defaults::detach_rate_per_min")]
    pub detach_rate_per_min: f64,
    /// Antigenicity of a tumour cell (a tumour-mutational-burden proxy) ...
    #[serde(default = "defaults::antigenicity")]
    pub antigenicity: f64,
    /// ... below which it is not recognised, and at which recognition saturates.
    #[serde(default = "defaults::antigenicity_threshold")]
    pub antigenicity_threshold: f64,
    #[serde(default = "defaults::antigenicity_saturation")]
    pub antigenicity_saturation: f64,
    /// Antigenicity of a cell with the antigen-loss trait, as a fraction of the above.
    #[serde(default = "defaults::antigen_loss_factor")]
    pub antigen_loss_factor: f64,
    #[serde(default = "defaults::kill_duration_h")]
    pub kill_duration_h: f64,
    #[serde(default = "defaults::max_kills")]
    pub max_kills: u32,
    /// Divisions a T cell makes after each kill (clonal expansion); its daughters share
    /// its kills, so the kill cap bounds the expansion.
    #[serde(default = "defaults::divisions_per_kill")]
    pub divisions_per_kill: u32,
    #[serde(default = "defaults::lifespan_days")]
    pub lifespan_days: f64,
    /// Fraction of the kill rate that full PD-L1 (fraction 1) removes.
    #[serde(default = "defaults::pdl1_protection")]
    pub pdl1_protection: f64,
    /// PD-L1 fraction (0–1) of cells with the constitutive PD-L1 trait.
    #[serde(default = "defaults::pdl1_constitutive")]
    pub pdl1_constitutive: f64,
    /// The `[[factors]]` entry that induces PD-L1 (IFN-γ, made by engaged T cells) ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ifng: Option<String>,
    /// ... by a Hill curve of this half-maximum (the factor's unit) and exponent.
    #[serde(default = "defaults::ifng_half_max")]
    pub ifng_half_max: f64,
    #[serde(default = "defaults::ifng_hill")]
    pub ifng_hill: f64,
    /// The `[[factors]]` entry that suppresses killing and expansion (TGF-β-like) ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressor: Option<String>,
    /// ... by `max_suppression` · s/(s + `suppression_half_max`).
    #[serde(default = "defaults::suppression_half_max")]
    pub suppression_half_max: f64,
    #[serde(default = "defaults::max_suppression")]
    pub max_suppression: f64,
    /// Per-division probability that a daughter loses antigen presentation
    /// (B2M/JAK loss), and that it gains constitutive PD-L1.
    #[serde(default)]
    pub antigen_loss_mutation_per_division: f64,
    #[serde(default)]
    pub pdl1_mutation_per_division: f64,
    /// Most moves a T cell makes per tick, whatever the speed (each is a lattice pass).
    #[serde(default = "defaults::max_moves_per_tick")]
    pub max_moves_per_tick: u32,
}

/// Documented defaults of `[immune]`. Each names its source.
pub mod defaults {
    /// Half-maximal recruitment at chemokine level 1 (the project's scale: scenes give
    /// their chemokine in units of this half-maximum).
    pub fn chemokine_half_max() -> f64 {
        1.0
    }
    /// The project's calibration, not a measured value: at the example scenes'
    /// vessel densities it gives tumour-infiltrating T cells of a few per cent of the
    /// tumour's cells, the range of CD8 densities in inflamed tumours (hundreds per
    /// mm², Galon et al. 2006, Science 313:1960).
    pub fn recruitment_per_vessel_per_day() -> f64 {
        0.5
    }
    /// CTLs crawl at 4–10 µm/min in tumours (two-photon imaging: Boissonnas et al.
    /// 2007, J Exp Med 204:345; Breart et al. 2008, J Clin Invest 118:1390).
    pub fn speed_um_per_min() -> f64 {
        5.0
    }
    /// The project's assumption: half of the moves follow the gradient.
    pub fn chemotaxis_bias() -> f64 {
        0.5
    }
    /// PhysiCell's cancer-immune sample (Ghaffarizadeh et al. 2018, PLoS Comput Biol
    /// 14:e1005991): kill rate 0.06667 /min while attached ...
    pub fn kill_rate_per_min() -> f64 {
        0.06667
    }
    /// ... and attachment lifetime 60 min.
    pub fn detach_rate_per_min() -> f64 {
        1.0 / 60.0
    }
    /// PhysiCell's sample: oncoprotein (here antigenicity) 1 on average, recognised
    /// above 0.5, saturating at 2: P(kill before detaching) = 0.571 at antigenicity 1.
    pub fn antigenicity() -> f64 {
        1.0
    }
    pub fn antigenicity_threshold() -> f64 {
        0.5
    }
    pub fn antigenicity_saturation() -> f64 {
        2.0
    }
    /// B2M loss abolishes MHC class I presentation (Zaretsky et al. 2016, N Engl J Med
    /// 375:819): a cell without antigen is not recognised.
    pub fn antigen_loss_factor() -> f64 {
        0.0
    }
    /// CTLs stay ≈ 6 h in contact with a tumour cell they kill (Breart et al. 2008).
    pub fn kill_duration_h() -> f64 {
        6.0
    }
    /// Kill capacity before exhaustion (Kather et al. 2017, Cancer Res 77:6442).
    pub fn max_kills() -> u32 {
        5
    }
    /// The project's assumption: one division per kill (effector expansion inside
    /// tumours is limited; Kather et al. 2017 bound it by a proliferation capacity).
    pub fn divisions_per_kill() -> u32 {
        1
    }
    /// Effector T cells live ≈ 10 days (PhysiCell's cancer-immune sample, death rate
    /// 1/(10 days); spQSP-IO, Gong et al. 2017, J R Soc Interface 14:20170320).
    pub fn lifespan_days() -> f64 {
        10.0
    }
    /// The project's assumption: full PD-L1 removes 90 % of the kill rate.
    pub fn pdl1_protection() -> f64 {
        0.9
    }
    pub fn pdl1_constitutive() -> f64 {
        1.0
    }
    /// IFN-γ induction of PD-L1: half-maximum 0.11 ng/mL, Hill exponent 1.26 (as in
    /// spQSP-IO, Gong et al. 2017).
    pub fn ifng_half_max() -> f64 {
        0.11
    }
    pub fn ifng_hill() -> f64 {
        1.26
    }
    /// The project's scale: suppression half-maximal at level 1 of its factor, and
    /// at most 80 % of the kill rate and of expansion removed.
    pub fn suppression_half_max() -> f64 {
        1.0
    }
    pub fn max_suppression() -> f64 {
        0.8
    }
    pub fn max_moves_per_tick() -> u32 {
        32
    }
}

/// Checks `[immune]` against the scene: the factors it names exist, every rate and
/// fraction is in range.
pub(super) fn validate_immune(s: &Scene) -> Result<(), Issue> {
    let Some(im) = &s.immune else {
        return Ok(());
    };
    let key = |k: &str| format!("immune.{k}");
    let factor = |k: &str, name: &str| named_factor(s, &key(k), name).map(|_| ());
    factor("chemokine", &im.chemokine)?;
    if let Some(name) = &im.ifng {
        factor("ifng", name)?;
    }
    if let Some(name) = &im.suppressor {
        factor("suppressor", name)?;
    }
    positive(&key("chemokine_half_max"), im.chemokine_half_max)?;
    within(
        &key("recruitment_per_vessel_per_day"),
        im.recruitment_per_vessel_per_day,
        0.0,
        1e4,
    )?;
    if let Some(c) = im.competence {
        within(&key("competence"), c, 0.0, 1.0)?;
    }
    within(&key("speed_um_per_min"), im.speed_um_per_min, 0.0, 100.0)?;
    within(&key("chemotaxis_bias"), im.chemotaxis_bias, 0.0, 1.0)?;
    within(&key("kill_rate_per_min"), im.kill_rate_per_min, 0.0, 1e3)?;
    positive(&key("detach_rate_per_min"), im.detach_rate_per_min)?;
    non_negative(&key("antigenicity"), im.antigenicity)?;
    non_negative(&key("antigenicity_threshold"), im.antigenicity_threshold)?;
    if im.antigenicity_saturation <= im.antigenicity_threshold {
        return issue(
            &key("antigenicity_saturation"),
            format!(
                "must be above antigenicity_threshold ({}) (got {})",
                im.antigenicity_threshold, im.antigenicity_saturation
            ),
        );
    }
    within(
        &key("antigen_loss_factor"),
        im.antigen_loss_factor,
        0.0,
        1.0,
    )?;
    let tick_h = s.time.tick_h;
    within(
        &key("kill_duration_h"),
        im.kill_duration_h,
        0.0,
        65535.0 * tick_h,
    )?;
    within(&key("max_kills"), im.max_kills as f64, 1.0, 255.0)?;
    within(
        &key("divisions_per_kill"),
        im.divisions_per_kill as f64,
        0.0,
        255.0,
    )?;
    positive(&key("lifespan_days"), im.lifespan_days)?;
    if im.lifespan_days * 24.0 / tick_h > 65535.0 {
        return issue(
            &key("lifespan_days"),
            format!(
                "must be at most 65535 ticks ({} days at tick_h {tick_h}) (got {})",
                65535.0 * tick_h / 24.0,
                im.lifespan_days
            ),
        );
    }
    within(&key("pdl1_protection"), im.pdl1_protection, 0.0, 1.0)?;
    within(&key("pdl1_constitutive"), im.pdl1_constitutive, 0.0, 1.0)?;
    positive(&key("ifng_half_max"), im.ifng_half_max)?;
    within(&key("ifng_hill"), im.ifng_hill, 0.1, 10.0)?;
    positive(&key("suppression_half_max"), im.suppression_half_max)?;
    within(&key("max_suppression"), im.max_suppression, 0.0, 1.0)?;
    within(
        &key("antigen_loss_mutation_per_division"),
        im.antigen_loss_mutation_per_division,
        0.0,
        1.0,
    )?;
    within(
        &key("pdl1_mutation_per_division"),
        im.pdl1_mutation_per_division,
        0.0,
        1.0,
    )?;
    within(
        &key("max_moves_per_tick"),
        im.max_moves_per_tick as f64,
        1.0,
        256.0,
    )?;
    Ok(())
}
