//! Checks of `[[drugs]]`, `[resistance]` and `[[clones]]`.

use super::drugs::parse_trait;
use super::validate::{issue, non_negative, positive, within, Issue};
use super::{Scene, MAX_DRUGS, MAX_INITIAL_CLONES};

pub fn validate_drugs(s: &Scene) -> Result<(), Issue> {
    if s.drugs.len() > MAX_DRUGS {
        return issue(
            &format!("drugs[{MAX_DRUGS}]"),
            format!("is one drug too many: at most {MAX_DRUGS} drugs per scene"),
        );
    }
    for (k, d) in s.drugs.iter().enumerate() {
        let key = |field: &str| format!("drugs[{k}].{field}");
        let name_ok = !d.name.is_empty()
            && d.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            return issue(
                &key("name"),
                format!(
                    "must be a non-empty name of letters, digits, '_' or '-' (got \"{}\")",
                    d.name
                ),
            );
        }
        if d.name == "oxygen" || s.drugs[..k].iter().any(|e| e.name == d.name) {
            return issue(
                &key("name"),
                format!("must be unique and not \"oxygen\" (got \"{}\")", d.name),
            );
        }
        positive(&key("diffusion_um2_per_min"), d.diffusion_um2_per_min)?;
        within(
            &key("diffusion_um2_per_min"),
            d.diffusion_um2_per_min,
            1e-6,
            1e12,
        )?;
        within(
            &key("vessel_permeability_um_per_min"),
            d.vessel_permeability_um_per_min,
            0.0,
            1e9,
        )?;
        within(&key("cell_uptake_per_min"), d.cell_uptake_per_min, 0.0, 1e9)?;
        within(&key("decay_per_min"), d.decay_per_min, 0.0, 1e9)?;
        within(&key("emax_per_h"), d.emax_per_h, 0.0, 1e6)?;
        if d.class == super::DrugClass::Checkpoint {
            if d.emax_per_h != 0.0 {
                return issue(
                    &key("emax_per_h"),
                    format!(
                        "must be 0 for a checkpoint inhibitor, which kills no cell itself \
                         (got {}); its effect is the T cells' ([immune])",
                        d.emax_per_h
                    ),
                );
            }
            if s.immune.is_none() {
                return issue(
                    &key("class"),
                    "a checkpoint inhibitor acts through T cells: the scene needs [immune]".into(),
                );
            }
            if s.drugs[..k]
                .iter()
                .any(|o| o.class == super::DrugClass::Checkpoint)
            {
                return issue(
                    &key("class"),
                    "a scene has at most one checkpoint inhibitor".into(),
                );
            }
        }
        if d.class == super::DrugClass::AntiAngiogenic {
            if d.emax_per_h != 0.0 {
                return issue(
                    &key("emax_per_h"),
                    format!(
                        "must be 0 for an anti-angiogenic drug, which kills no cell itself \
                         (got {}); its effect is on the vessels ([vasculature])",
                        d.emax_per_h
                    ),
                );
            }
            if s.vasculature.is_none() {
                return issue(
                    &key("class"),
                    "an anti-angiogenic drug acts on a living vessel network: the scene \
                     needs [vasculature]"
                        .into(),
                );
            }
        }
        if let Some(p) = d.target_mutation_per_division {
            within(&key("target_mutation_per_division"), p, 0.0, 0.5)?;
        }
        positive(&key("ic50_um"), d.ic50_um)?;
        within(&key("ic50_um"), d.ic50_um, 1e-12, 1e9)?;
        within(&key("hill"), d.hill, 0.1, 10.0)?;
    }
    let r = &s.resistance;
    within(
        "resistance.target_ic50_factor",
        r.target_ic50_factor,
        1.0,
        1e6,
    )?;
    within("resistance.efflux_fraction", r.efflux_fraction, 1e-6, 1.0)?;
    within(
        "resistance.efflux_cycle_factor",
        r.efflux_cycle_factor,
        1.0,
        10.0,
    )?;
    within(
        "resistance.slow_cycle_factor",
        r.slow_cycle_factor,
        1.0,
        10.0,
    )?;
    non_negative("resistance.persister_entry_per_h", r.persister_entry_per_h)?;
    non_negative("resistance.persister_exit_per_h", r.persister_exit_per_h)?;
    for (key, rate) in [
        ("resistance.persister_entry_per_h", r.persister_entry_per_h),
        ("resistance.persister_exit_per_h", r.persister_exit_per_h),
    ] {
        if rate * s.time.tick_h > 0.5 {
            return issue(
                key,
                format!(
                    "gives a probability of {:.2} per tick; it must stay <= 0.5, shorten time.tick_h (got {rate})",
                    rate * s.time.tick_h
                ),
            );
        }
    }
    within(
        "resistance.persister_ic50_factor",
        r.persister_ic50_factor,
        1.0,
        1e6,
    )?;
    for (key, p) in [
        (
            "resistance.target_mutation_per_division",
            r.target_mutation_per_division,
        ),
        (
            "resistance.efflux_mutation_per_division",
            r.efflux_mutation_per_division,
        ),
        (
            "resistance.slow_cycle_mutation_per_division",
            r.slow_cycle_mutation_per_division,
        ),
    ] {
        within(key, p, 0.0, 0.5)?;
    }
    let longest = s.cells.cycle_mean_h * r.slow_cycle_factor * r.efflux_cycle_factor
        + 4.0 * s.cells.cycle_sd_h * r.slow_cycle_factor * r.efflux_cycle_factor;
    if longest / s.time.tick_h > super::validate::MAX_COUNTER_TICKS {
        return issue(
            "resistance.slow_cycle_factor",
            "makes the longest cycle exceed 65535 ticks; lengthen time.tick_h".into(),
        );
    }
    validate_clones(s)?;
    super::validate_therapy::validate_therapy(s)
}

fn validate_clones(s: &Scene) -> Result<(), Issue> {
    if s.clones.len() > MAX_INITIAL_CLONES {
        return issue(
            "clones",
            format!(
                "has {} clones; at most {MAX_INITIAL_CLONES}",
                s.clones.len()
            ),
        );
    }
    let mut total = 0.0;
    for (k, c) in s.clones.iter().enumerate() {
        let key = |field: &str| format!("clones[{k}].{field}");
        if !(c.fraction.is_finite() && c.fraction > 0.0 && c.fraction <= 1.0) {
            return issue(
                &key("fraction"),
                format!("must be > 0 and <= 1 (got {})", c.fraction),
            );
        }
        total += c.fraction;
        for t in &c.traits {
            parse_trait(t, &s.drugs).map_err(|message| Issue {
                key: key("traits"),
                message,
            })?;
        }
    }
    if !s.clones.is_empty() && (total - 1.0).abs() > 1e-6 {
        return issue(
            "clones",
            format!("fractions must add up to 1 (they add up to {total})"),
        );
    }
    Ok(())
}

pub(super) fn drug_names(s: &Scene) -> String {
    if s.drugs.is_empty() {
        "none".into()
    } else {
        s.drugs
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
