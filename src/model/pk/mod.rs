//! Pharmacokinetics on the host: patients, drug models, dosing schedules and the exact
//! per-tick solution of linear one- and two-compartment models with first-order oral
//! absorption and zero-order infusion (docs/pharmacokinetics.md).
//!
//! Plain data plus pure functions, independent of the scene format: the scene layer maps
//! its keys onto [`Patient`], [`PkModel`] and [`Schedule`], the protocol hands dose
//! events to a [`DrugPk`], and each tick's [`PlasmaSample`] (µM) scaled by local
//! perfusion becomes the vessel source of that drug's field. Everything a run needs to
//! resume is `Serialize + Deserialize`, so snapshots can hold it.

mod compartment;
mod driver;
mod expdd;
mod model;
mod patient;
mod schedule;

#[cfg(test)]
mod tests;

pub use compartment::{PkState, StepIntegral};
pub use driver::{DrugPk, MassTotals, PlasmaSample};
pub use model::{EffectivePk, Peripheral, PkModel};
pub use patient::{Patient, Phenotype, PhenotypeMultipliers, Sex};
pub use schedule::{Dose, DoseEvent, Route, Schedule};

/// A refused pharmacokinetic input or call: `key` names the offending field relative to
/// the struct that holds it (the scene layer prefixes its own path and adds file/line).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key} {message}")]
pub struct PkError {
    pub key: String,
    pub message: String,
}

impl PkError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        PkError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Refuses a value that is not finite or not strictly positive.
fn require_positive(key: &str, value: f64, unit: &str) -> Result<(), PkError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(PkError::new(
            key,
            format!(
                "must be a finite number > 0{}, got {}",
                with_space(unit),
                shown(value)
            ),
        ))
    }
}

/// Refuses a value that is not finite or negative.
fn require_non_negative(key: &str, value: f64, unit: &str) -> Result<(), PkError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(PkError::new(
            key,
            format!(
                "must be a finite number ≥ 0{}, got {}",
                with_space(unit),
                shown(value)
            ),
        ))
    }
}

/// Refuses a value outside the closed range `[lo, hi]` (or not finite).
fn require_range(key: &str, value: f64, lo: f64, hi: f64, unit: &str) -> Result<(), PkError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(PkError::new(
            key,
            format!(
                "must lie in {lo} … {hi}{}, got {}",
                with_space(unit),
                shown(value)
            ),
        ))
    }
}

/// A value as messages show it: `1e308` rather than hundreds of digits.
fn shown(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn with_space(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

/// Converts a plasma concentration from mg/L to µM: mg/L ÷ (g/mol) = mmol/L, × 1000.
pub fn mg_per_l_to_um(mg_per_l: f64, molecular_weight_g_per_mol: f64) -> f64 {
    mg_per_l / molecular_weight_g_per_mol * 1000.0
}
