//! The treatment part of `oncolattice check`'s summary: drugs, the initial clones,
//! mutation rates, the patient and the protocol, one line each, so that a scene can be
//! read back at a glance before it runs.

use super::{DrugClass, DrugInteraction, Scene};
use crate::model::pk::{Dose, Phenotype, Route};

fn class(c: DrugClass) -> &'static str {
    match c {
        DrugClass::CycleSpecific => "cycle-specific",
        DrugClass::Nonspecific => "non-specific",
        DrugClass::Targeted => "targeted",
        DrugClass::Cytostatic => "cytostatic",
        DrugClass::Checkpoint => "checkpoint inhibitor",
        DrugClass::AntiAngiogenic => "anti-angiogenic",
    }
}

fn dose(d: &Dose) -> String {
    match *d {
        Dose::Mg { amount_mg } => format!("{amount_mg} mg"),
        Dose::MgPerM2 { amount_mg_per_m2 } => format!("{amount_mg_per_m2} mg/m²"),
        Dose::MgPerKg { amount_mg_per_kg } => format!("{amount_mg_per_kg} mg/kg"),
    }
}

fn route(r: &Route) -> String {
    match r {
        Route::IvBolus => "IV bolus".into(),
        Route::Infusion { duration_h } => format!("{duration_h} h infusion"),
        Route::Oral => "oral".into(),
    }
}

/// A probability per division: 1e-7 rather than 0.0000001.
fn rate(p: f64) -> String {
    if p > 0.0 && p < 1e-3 {
        format!("{p:e}")
    } else {
        format!("{p}")
    }
}

fn phenotype(p: Phenotype) -> &'static str {
    match p {
        Phenotype::Poor => "poor",
        Phenotype::Intermediate => "intermediate",
        Phenotype::Normal => "normal",
        Phenotype::UltraRapid => "ultra-rapid",
    }
}

/// `(label, text)` rows; empty for a scene without drugs.
pub fn treatment_rows(s: &Scene) -> Vec<(&'static str, String)> {
    let mut rows = Vec::new();
    if s.drugs.is_empty() {
        return rows;
    }
    for d in &s.drugs {
        let pumps = if d.efflux_substrate {
            ", efflux substrate"
        } else {
            ""
        };
        rows.push((
            "drug",
            format!(
                "{}: {}, Emax {}/h, IC50 {} µM{pumps}",
                d.name,
                class(d.class),
                d.emax_per_h,
                d.ic50_um
            ),
        ));
    }
    if s.drugs.len() > 1 {
        let how = match s.drug_interaction {
            DrugInteraction::Bliss => "Bliss independence",
            DrugInteraction::HighestSingleAgent => "highest single agent",
        };
        rows.push(("combined", how.to_string()));
    }
    let clones: Vec<String> = s
        .clones
        .iter()
        .map(|c| {
            let traits = if c.traits.is_empty() {
                "sensitive".to_string()
            } else {
                c.traits.join("+")
            };
            format!("{} % {traits}", (c.fraction * 1e5).round() / 1e3)
        })
        .collect();
    if !clones.is_empty() {
        rows.push(("clones", clones.join(", ")));
    }
    let r = &s.resistance;
    let targets: Vec<String> = s
        .drugs
        .iter()
        .filter_map(|d| {
            let p = d.target_mutation_per_division?;
            Some(format!("{} {}", d.name, rate(p)))
        })
        .collect();
    let target = if targets.is_empty() {
        rate(r.target_mutation_per_division)
    } else {
        format!(
            "{} ({})",
            rate(r.target_mutation_per_division),
            targets.join(", ")
        )
    };
    rows.push((
        "mutation",
        format!(
            "per division: target {target}, efflux {}, slow cycle {}",
            rate(r.efflux_mutation_per_division),
            rate(r.slow_cycle_mutation_per_division)
        ),
    ));
    let Some(t) = &s.therapy else {
        rows.push(("therapy", "none (drugs without a protocol)".into()));
        return rows;
    };
    let p = &s.patient;
    let phenotypes: Vec<String> = p
        .phenotypes
        .iter()
        .filter(|(_, ph)| **ph != Phenotype::Normal)
        .map(|(drug, ph)| format!("{drug}: {}", phenotype(*ph)))
        .collect();
    rows.push((
        "patient",
        format!(
            "{} kg, {} cm, {} years{}",
            p.weight_kg,
            p.height_cm,
            p.age_years,
            if phenotypes.is_empty() {
                String::new()
            } else {
                format!("; metaboliser {}", phenotypes.join(", "))
            }
        ),
    ));
    for (k, line) in t.lines.iter().enumerate() {
        let doses: Vec<String> = line
            .doses
            .iter()
            .map(|d| {
                let cycles = d.cycles.map(|c| format!(" × {c}")).unwrap_or_default();
                format!(
                    "{} {} {} every {} d{cycles}",
                    d.drug,
                    dose(&d.dose),
                    route(&d.route),
                    d.interval_days
                )
            })
            .collect();
        let requires = line
            .requires
            .map(|r| format!(" (only if {})", r.describe()))
            .unwrap_or_default();
        rows.push((
            "line",
            format!("{}: {}{requires} — {}", k + 1, line.name, doses.join("; ")),
        ));
    }
    let adaptive = if t.adaptive.is_some() {
        "; adaptive dosing"
    } else {
        ""
    };
    rows.push((
        "scans",
        format!(
            "every {} d from day {}{adaptive}",
            t.scan_every_days, t.first_scan_day
        ),
    ));
    rows
}
