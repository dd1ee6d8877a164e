//! The scene's diffusing fields as one list, in the order the kernels and the state
//! hold them: oxygen (field 0), each drug, each signalling factor. Every field is an
//! instance of one descriptor (`params::FieldParams`: diffusion, decay, vessel
//! exchange, boundary, sources and sinks by cell kind and state); this list says what
//! each one is called and measured in, for outputs.

use crate::model::census::{DRUG_SUM_SCALE, O2_SUM_SCALE};
use crate::model::params::{
    stopping_tolerance, FieldParams, FieldTerm, CENSUS_ALL_SITES, CENSUS_TUMOUR_SITES, MAX_FIELDS,
    TERM_FIRST_ORDER, TERM_MICHAELIS_MENTEN, TERM_ZERO_ORDER,
};
use crate::model::site::{Kind, ENGAGED_BIT, PERSISTER_BIT, QUIESCENT_BIT};
use crate::scene::factors::{Factor, SourceKind, SourceState};
use crate::scene::Scene;

/// Oxygen is field 0.
pub const OXYGEN: usize = 0;

/// The field of drug `d`.
pub const fn drug_field(d: usize) -> usize {
    1 + d
}

/// The field of factor `k` in a scene with `n_drugs` drugs.
pub const fn factor_field(n_drugs: usize, k: usize) -> usize {
    1 + n_drugs + k
}

/// What a field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRole {
    Oxygen,
    /// Drug `d` of `scene.drugs`.
    Drug(usize),
    /// Factor `k` of `scene.factors`.
    Factor(usize),
}

/// One field as outputs name it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    pub name: String,
    pub unit: String,
    pub role: FieldRole,
    /// Fixed-point units per field unit in the census sums.
    pub census_scale: f64,
}

/// Every field of a scene, in field order (at most `MAX_FIELDS`: validation refuses more).
pub fn list(scene: &Scene) -> Vec<FieldInfo> {
    let mut out = vec![FieldInfo {
        name: "oxygen".into(),
        unit: "mmHg".into(),
        role: FieldRole::Oxygen,
        census_scale: O2_SUM_SCALE,
    }];
    out.extend(scene.drugs.iter().enumerate().map(|(d, drug)| FieldInfo {
        name: drug.name.clone(),
        unit: "µM".into(),
        role: FieldRole::Drug(d),
        census_scale: DRUG_SUM_SCALE,
    }));
    out.extend(scene.factors.iter().enumerate().map(|(k, f)| FieldInfo {
        name: f.name.clone(),
        unit: f.unit.clone(),
        role: FieldRole::Factor(k),
        census_scale: DRUG_SUM_SCALE,
    }));
    debug_assert!(out.len() <= MAX_FIELDS);
    out
}

/// The field descriptor of a factor, in lattice units (divided by D/h²).
pub fn factor_params(scene: &Scene, f: &Factor) -> FieldParams {
    let h = scene.lattice.site_size_um;
    let scale = h * h / f.diffusion_um2_per_min;
    let mut params = FieldParams {
        decay: (f.decay_per_min * scale) as f32,
        vessel_exchange: (f.vessel_exchange_per_min * scale) as f32,
        vessel_level: f.vessel_level as f32,
        boundary_level: f.boundary_level.unwrap_or(0.0) as f32,
        fixed_boundary: f.boundary_level.is_some() as u32,
        omega: scene.oxygen.sor_omega as f32,
        tolerance: stopping_tolerance(f.tolerance, scene.oxygen.sor_omega),
        max_sweeps: scene.oxygen.max_sweeps_per_tick,
        census_scale: DRUG_SUM_SCALE as f32,
        census_sums: CENSUS_ALL_SITES | CENSUS_TUMOUR_SITES,
        ..FieldParams::default()
    };
    for s in &f.sources {
        let kind = match s.kind {
            SourceKind::Tumour => Kind::Tumour,
            SourceKind::Necrotic => Kind::Necrotic,
            SourceKind::Vessel => Kind::Vessel,
            SourceKind::Empty => Kind::Empty,
            SourceKind::Tcell => Kind::TCell,
        };
        let state = match s.state {
            SourceState::Any => 0,
            SourceState::Hypoxic => QUIESCENT_BIT,
            SourceState::Persister => PERSISTER_BIT,
            SourceState::Engaged => ENGAGED_BIT,
        };
        let term = if let Some(rate) = s.secretion_per_min {
            FieldTerm::new(kind, state, TERM_ZERO_ORDER, rate * scale)
        } else if let Some(rate) = s.uptake_per_min {
            FieldTerm::new(kind, state, TERM_FIRST_ORDER, rate * scale)
        } else {
            let vmax = s.uptake_max_per_min.unwrap_or(0.0);
            FieldTerm {
                half_max: s.uptake_half_max.unwrap_or(1.0) as f32,
                ..FieldTerm::new(kind, state, TERM_MICHAELIS_MENTEN, vmax * scale)
            }
        };
        params = params.with_term(term);
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn fields_are_listed_oxygen_drugs_factors() {
        let text = "seed = 1\n[lattice]\nnx = 8\nny = 8\n\
            [[drugs]]\nname = \"a\"\nclass = \"targeted\"\nemax_per_h = 0.1\nic50_um = 1.0\n\
            [[factors]]\nname = \"vegf\"\nunit = \"ng/mL\"\ndiffusion_um2_per_min = 6000.0\n\
            decay_per_min = 0.01\n[[factors.sources]]\nkind = \"tumour\"\nstate = \"hypoxic\"\n\
            secretion_per_min = 0.5\n[[factors.sources]]\nkind = \"vessel\"\n\
            uptake_max_per_min = 2.0\nuptake_half_max = 0.1\n";
        let scene = Scene::parse(text, Path::new("f.toml")).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<String> = list(&scene).into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["oxygen", "a", "vegf"]);
        assert_eq!(factor_field(1, 0), 2);
        let p = factor_params(&scene, &scene.factors[0]);
        let scale = 20.0 * 20.0 / 6000.0;
        assert_eq!(p.n_terms, 2);
        let secretion = p.terms[0];
        assert_eq!((secretion.kind, secretion.state), (1, QUIESCENT_BIT));
        assert_eq!(secretion.order, TERM_ZERO_ORDER);
        assert_eq!(secretion.rate, (0.5 * scale) as f32);
        assert_eq!(p.terms[1].order, TERM_MICHAELIS_MENTEN);
        assert_eq!(p.terms[1].half_max, 0.1);
        assert_eq!(p.decay, (0.01 * scale) as f32);
    }
}
