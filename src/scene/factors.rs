//! `[[factors]]`: diffusing signalling factors (VEGF, cytokines, …), each a field of
//! its own with sources and sinks at sites of a given kind and state. They are
//! instances of the same field descriptor as oxygen and the drugs (`model::params::
//! FieldParams`); docs/scene-reference.md lists the keys.
//!
//! A factor has no defaults for its physics: diffusion and decay differ by orders of
//! magnitude between factors, so the scene states them (with their source).

use super::validate::{issue, positive, within, Issue};
use super::{Scene, MAX_FIELDS, MAX_FIELD_TERMS};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    /// Used in outputs: time-series columns, arrays (`--color field:NAME`), snapshots.
    pub name: String,
    /// Free text for labels (e.g. "ng/mL"); the solver does not interpret it.
    #[serde(default = "default_unit")]
    pub unit: String,
    pub diffusion_um2_per_min: f64,
    /// First-order loss everywhere (1/min): degradation, binding to matrix.
    pub decay_per_min: f64,
    /// Exchange with blood through a fully perfused vessel site (1/min) ...
    #[serde(default)]
    pub vessel_exchange_per_min: f64,
    /// ... towards this blood level (0: vessels drain the factor).
    #[serde(default)]
    pub vessel_level: f64,
    /// Level held at the lattice boundary; absent means a no-flux boundary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary_level: Option<f64>,
    /// The solve stops when a sweep changes no site by more than this (factor unit).
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// Where the factor is made and taken up (at most `MAX_FIELD_TERMS`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<FactorSource>,
}

/// Sites whose cells make or take up a factor. Exactly one of the rate keys is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorSource {
    pub kind: SourceKind,
    #[serde(default)]
    pub state: SourceState,
    /// Zero-order secretion, factor unit per min.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secretion_per_min: Option<f64>,
    /// First-order uptake, 1/min.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptake_per_min: Option<f64>,
    /// Saturable (Michaelis–Menten) uptake: Vmax in factor unit per min ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptake_max_per_min: Option<f64>,
    /// ... and the level of half-maximal uptake (factor unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptake_half_max: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Tumour,
    Necrotic,
    Vessel,
    Empty,
    /// Cytotoxic T cells (`[immune]`).
    Tcell,
}

/// Which cells of the kind: all, or only those in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    #[default]
    Any,
    /// Quiescent from hypoxia (pO2 below `cells.hypoxic_mmhg` at the last cells pass).
    Hypoxic,
    /// In the drug-tolerant persister state.
    Persister,
    /// A T cell engaged with a target (IFN-γ release).
    Engaged,
}

fn default_unit() -> String {
    "a.u.".into()
}

fn default_tolerance() -> f64 {
    1e-4
}

pub(super) fn validate_factors(s: &Scene) -> Result<(), Issue> {
    let fields = 1 + s.drugs.len() + s.factors.len();
    if fields > MAX_FIELDS {
        return issue(
            &format!(
                "factors[{}]",
                MAX_FIELDS - 1 - s.drugs.len().min(MAX_FIELDS - 1)
            ),
            format!(
                "a scene holds at most {MAX_FIELDS} fields (oxygen, drugs and factors); \
                 this one has {fields}: 1 oxygen, {} drugs, {} factors",
                s.drugs.len(),
                s.factors.len()
            ),
        );
    }
    for (k, f) in s.factors.iter().enumerate() {
        let key = |field: &str| format!("factors[{k}].{field}");
        let taken = f.name == "oxygen"
            || s.drugs.iter().any(|d| d.name == f.name)
            || s.factors[..k].iter().any(|g| g.name == f.name);
        let plain = !f.name.is_empty()
            && f.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            return issue(
                &key("name"),
                format!(
                    "must be letters, digits, '_' or '-' (got {:?}): it names columns and arrays",
                    f.name
                ),
            );
        }
        if taken {
            return issue(
                &key("name"),
                format!(
                    "{:?} is taken: oxygen, each drug and each factor need their own name",
                    f.name
                ),
            );
        }
        positive(&key("diffusion_um2_per_min"), f.diffusion_um2_per_min)?;
        within(
            &key("diffusion_um2_per_min"),
            f.diffusion_um2_per_min,
            1e-6,
            1e9,
        )?;
        within(&key("decay_per_min"), f.decay_per_min, 0.0, 1e6)?;
        within(
            &key("vessel_exchange_per_min"),
            f.vessel_exchange_per_min,
            0.0,
            1e6,
        )?;
        within(&key("vessel_level"), f.vessel_level, 0.0, 1e9)?;
        if let Some(b) = f.boundary_level {
            within(&key("boundary_level"), b, 0.0, 1e9)?;
        }
        positive(&key("tolerance"), f.tolerance)?;
        let max_terms = MAX_FIELD_TERMS;
        if f.sources.len() > max_terms {
            return issue(
                &format!("factors[{k}].sources[{max_terms}]"),
                format!(
                    "a factor has at most {max_terms} sources (got {})",
                    f.sources.len()
                ),
            );
        }
        for (j, src) in f.sources.iter().enumerate() {
            validate_source(&format!("factors[{k}].sources[{j}]"), src)?;
        }
        if f.decay_per_min == 0.0
            && f.vessel_exchange_per_min == 0.0
            && f.boundary_level.is_none()
            && !f.sources.iter().any(|s| s.secretion_per_min.is_none())
        {
            return issue(
                &key("decay_per_min"),
                "a factor with no decay, no vessel exchange, no fixed boundary and no uptake \
                 has no steady state; give one of them"
                    .into(),
            );
        }
    }
    Ok(())
}

fn validate_source(at: &str, s: &FactorSource) -> Result<(), Issue> {
    let key = |field: &str| format!("{at}.{field}");
    let given = [
        s.secretion_per_min.is_some(),
        s.uptake_per_min.is_some(),
        s.uptake_max_per_min.is_some(),
    ];
    if given.iter().filter(|&&g| g).count() != 1 {
        return issue(
            at,
            "give exactly one of secretion_per_min, uptake_per_min, uptake_max_per_min".into(),
        );
    }
    if let Some(v) = s.secretion_per_min {
        within(&key("secretion_per_min"), v, 0.0, 1e9)?;
    }
    if let Some(v) = s.uptake_per_min {
        within(&key("uptake_per_min"), v, 0.0, 1e6)?;
    }
    match (s.uptake_max_per_min, s.uptake_half_max) {
        (Some(v), Some(km)) => {
            within(&key("uptake_max_per_min"), v, 0.0, 1e9)?;
            positive(&key("uptake_half_max"), km)
        }
        (Some(_), None) => issue(
            &key("uptake_max_per_min"),
            "needs uptake_half_max (the level of half-maximal uptake)".into(),
        ),
        (None, Some(_)) => issue(
            &key("uptake_half_max"),
            "belongs to uptake_max_per_min, which is not given".into(),
        ),
        (None, None) => Ok(()),
    }
}

/// `check`'s line for each factor: what it is, how it spreads, where it is made and lost.
pub fn describe(f: &Factor) -> String {
    let mut text = format!(
        "{} ({}): D {} µm²/min, decay {}/min",
        f.name, f.unit, f.diffusion_um2_per_min, f.decay_per_min
    );
    if f.vessel_exchange_per_min > 0.0 {
        text += &format!(
            ", vessels exchange {}/min towards {}",
            f.vessel_exchange_per_min, f.vessel_level
        );
    }
    if let Some(b) = f.boundary_level {
        text += &format!(", boundary {b}");
    }
    for s in &f.sources {
        let state = match s.state {
            SourceState::Any => "",
            SourceState::Hypoxic => "hypoxic ",
            SourceState::Persister => "persister ",
            SourceState::Engaged => "engaged ",
        };
        let kind = match s.kind {
            SourceKind::Tumour => "tumour",
            SourceKind::Necrotic => "necrotic",
            SourceKind::Vessel => "vessel",
            SourceKind::Empty => "empty",
            SourceKind::Tcell => "T-cell",
        };
        let what = match (s.secretion_per_min, s.uptake_per_min, s.uptake_max_per_min) {
            (Some(v), _, _) => format!("made at {v} {}/min", f.unit),
            (_, Some(k), _) => format!("taken up at {k}/min"),
            (_, _, Some(v)) => format!(
                "taken up at up to {v} {}/min (half at {})",
                f.unit,
                s.uptake_half_max.unwrap_or(0.0)
            ),
            _ => continue,
        };
        text += &format!("; {what} by {state}{kind} sites");
    }
    text
}
