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
    validate_therapy(s)
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

/// The patient, each drug's PK, and the therapy lines.
pub fn validate_therapy(s: &Scene) -> Result<(), Issue> {
    let pk_issue = |prefix: &str, e: crate::model::pk::PkError| Issue {
        key: format!("{prefix}.{}", e.key),
        message: e.message,
    };
    s.patient
        .to_patient()
        .validate()
        .map_err(|e| pk_issue("patient", e))?;
    for name in s.patient.phenotypes.keys() {
        if !s.drugs.iter().any(|d| &d.name == name) {
            return issue(
                &format!("patient.phenotypes.{name}"),
                format!("names unknown drug \"{name}\"; drugs: {}", drug_names(s)),
            );
        }
    }
    for (k, d) in s.drugs.iter().enumerate() {
        if let Some(pk) = &d.pk {
            pk.validate()
                .map_err(|e| pk_issue(&format!("drugs[{k}].pk"), e))?;
        }
    }
    let Some(therapy) = &s.therapy else {
        return Ok(());
    };
    if therapy.lines.is_empty() {
        return issue(
            "therapy.lines",
            "must hold at least one line of therapy".into(),
        );
    }
    for (l, line) in therapy.lines.iter().enumerate() {
        if line.doses.is_empty() {
            return issue(
                &format!("therapy.lines[{l}]"),
                format!(
                    "(\"{}\") gives no drug: add at least one [[therapy.lines.doses]]",
                    line.name
                ),
            );
        }
        for (k, dose) in line.doses.iter().enumerate() {
            let key = |field: &str| format!("therapy.lines[{l}].doses[{k}].{field}");
            let Some(drug) = s.drugs.iter().find(|d| d.name == dose.drug) else {
                return issue(
                    &key("drug"),
                    format!(
                        "names unknown drug \"{}\"; drugs: {}",
                        dose.drug,
                        drug_names(s)
                    ),
                );
            };
            let Some(pk) = &drug.pk else {
                return issue(
                    &key("drug"),
                    format!(
                        "\"{}\" has no pharmacokinetics: add [drugs.pk] to that drug",
                        dose.drug
                    ),
                );
            };
            dose.dose.validate().map_err(|e| Issue {
                key: key("dose"),
                message: format!("{} {}", e.key, e.message),
            })?;
            dose.route.validate().map_err(|e| Issue {
                key: key("route"),
                message: format!("{} {}", e.key, e.message),
            })?;
            pk.check_route(&dose.route).map_err(|e| Issue {
                key: key("route"),
                message: format!("{} {}", e.key, e.message),
            })?;
            non_negative(&key("start_day"), dose.start_day)?;
            positive(&key("interval_days"), dose.interval_days)?;
            if dose.interval_days * 24.0 < s.time.tick_h {
                return issue(
                    &key("interval_days"),
                    format!(
                        "must be at least one tick ({} h) (got {} days)",
                        s.time.tick_h, dose.interval_days
                    ),
                );
            }
        }
    }
    therapy.to_protocol().validate().map_err(|e| Issue {
        key: format!("therapy.{}", e.field.replace("schedules", "doses")),
        message: e.message,
    })
}

fn drug_names(s: &Scene) -> String {
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
