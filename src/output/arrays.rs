//! The lattice state as named per-site arrays: the one place that says what a site
//! carries, under which name and unit. Exports (VTK, NumPy), renderers (`--color`) and
//! snapshot readers all go through it, so a new trait or field (a drug) added here
//! appears everywhere at once.

use crate::engine::HostState;
use crate::model::drug_params::{
    AUC_SCALE_PER_UM_H, TRAIT_ANTIGEN_LOSS, TRAIT_EFFLUX, TRAIT_PDL1, TRAIT_SLOW_CYCLE,
    TRAIT_TARGET_MASK,
};
use crate::model::site::{Kind, Site};
use crate::scene::Scene;

/// Values of one array, one per site in site order (x fastest, then y, then z).
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayData {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    F32(Vec<f32>),
}

impl ArrayData {
    pub fn len(&self) -> usize {
        match self {
            ArrayData::U8(v) => v.len(),
            ArrayData::U16(v) => v.len(),
            ArrayData::U32(v) => v.len(),
            ArrayData::F32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at site `i` as f64 (for colour maps and statistics).
    pub fn get_f64(&self, i: usize) -> f64 {
        match self {
            ArrayData::U8(v) => v[i] as f64,
            ArrayData::U16(v) => v[i] as f64,
            ArrayData::U32(v) => v[i] as f64,
            ArrayData::F32(v) => v[i] as f64,
        }
    }
}

/// What kind of quantity an array holds, which decides how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayRole {
    /// Categories (kind, clone): a categorical palette with a legend.
    Category,
    /// A heritable or per-cell property: `--color trait:NAME`.
    Trait,
    /// A diffusing field: `--color field:NAME`, a perceptual colour map with a colour bar.
    Field,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NamedArray {
    /// Short name used on the command line and as the array name in exports.
    pub name: String,
    /// Unit, empty for dimensionless or categorical arrays.
    pub unit: String,
    pub role: ArrayRole,
    pub description: &'static str,
    pub data: ArrayData,
}

/// Category names of the `kind` array, by value.
pub fn kind_names() -> Vec<&'static str> {
    Kind::ALL.iter().map(|k| k.name()).collect()
}

fn per_site<T>(sites: &[Site], f: impl Fn(&Site) -> T) -> Vec<T> {
    sites.iter().map(f).collect()
}

/// Every array of a state, in a fixed order.
pub fn site_arrays(scene: &Scene, state: &HostState) -> Vec<NamedArray> {
    let s = &state.sites;
    let mut arrays = vec![
        NamedArray {
            name: "kind".into(),
            unit: "".into(),
            role: ArrayRole::Category,
            description: "0 empty (host tissue), 1 tumour cell, 2 necrotic, 3 vessel",
            data: ArrayData::U8(per_site(s, |x| x.kind() as u8)),
        },
        NamedArray {
            name: "clone".into(),
            unit: "".into(),
            role: ArrayRole::Category,
            description: "clone id of tumour and necrotic sites (0 elsewhere)",
            data: ArrayData::U16(per_site(s, |x| x.clone_id())),
        },
        NamedArray {
            name: "quiescent".into(),
            unit: "".into(),
            role: ArrayRole::Trait,
            description: "1 where a tumour cell is quiescent (hypoxic arrest)",
            data: ArrayData::U8(per_site(s, |x| x.is_quiescent() as u8)),
        },
        NamedArray {
            name: "cycle_progress".into(),
            unit: "tick".into(),
            role: ArrayRole::Trait,
            description: "ticks spent in the current cycle (tumour cells)",
            data: ArrayData::U16(per_site(s, |x| tumour_only(x, x.progress()))),
        },
        NamedArray {
            name: "cycle_length".into(),
            unit: "tick".into(),
            role: ArrayRole::Trait,
            description: "length of the current cycle (tumour cells)",
            data: ArrayData::U16(per_site(s, |x| tumour_only(x, x.cycle_len()))),
        },
        NamedArray {
            name: "anoxic_ticks".into(),
            unit: "tick".into(),
            role: ArrayRole::Trait,
            description: "consecutive anoxic ticks (tumour cells)",
            data: ArrayData::U16(per_site(s, |x| x.anoxic_ticks())),
        },
        NamedArray {
            name: "perfusion".into(),
            unit: "".into(),
            role: ArrayRole::Trait,
            description: "perfusion of vessel sites, 0..1 (0 elsewhere)",
            data: ArrayData::F32(per_site(s, |x| {
                if x.kind() == Kind::Vessel {
                    x.perfusion()
                } else {
                    0.0
                }
            })),
        },
        NamedArray {
            name: "oxygen".into(),
            unit: "mmHg".into(),
            role: ArrayRole::Field,
            description: "oxygen partial pressure",
            data: ArrayData::F32(state.oxygen().to_vec()),
        },
    ];
    arrays.extend(trait_arrays(s));
    if scene.immune.is_some() {
        arrays.extend(immune_arrays(s));
    }
    arrays.extend(drug_arrays(scene, state));
    arrays.extend(factor_arrays(scene, state));
    arrays
}

/// The immune-evasion traits of tumour cells and the state of T cells (scenes with
/// `[immune]`).
fn immune_arrays(s: &[Site]) -> Vec<NamedArray> {
    let live = |x: &Site, bit: u32| (x.kind() == Kind::Tumour && x.w3 & bit != 0) as u8;
    let tcell = |x: &Site| x.kind() == Kind::TCell;
    vec![
        NamedArray {
            name: "antigen_loss".into(),
            unit: "".into(),
            role: ArrayRole::Trait,
            description: "1 where a tumour cell has lost antigen presentation",
            data: ArrayData::U8(per_site(s, |x| live(x, TRAIT_ANTIGEN_LOSS))),
        },
        NamedArray {
            name: "pdl1".into(),
            unit: "".into(),
            role: ArrayRole::Trait,
            description: "1 where a tumour cell expresses PD-L1 constitutively",
            data: ArrayData::U8(per_site(s, |x| live(x, TRAIT_PDL1))),
        },
        NamedArray {
            name: "tcell_state".into(),
            unit: "".into(),
            role: ArrayRole::Trait,
            description: "T cells: 1 free, 2 engaged with a target, 3 exhausted (0 elsewhere)",
            data: ArrayData::U8(per_site(s, |x| {
                let f = x.unpack();
                match () {
                    _ if !tcell(x) => 0,
                    _ if f.exhausted => 3,
                    _ if f.engaged => 2,
                    _ => 1,
                }
            })),
        },
        NamedArray {
            name: "tcell_kills".into(),
            unit: "".into(),
            role: ArrayRole::Trait,
            description: "kills made by each T cell (0 elsewhere)",
            data: ArrayData::U8(per_site(s, |x| x.unpack().kills)),
        },
    ]
}

fn trait_arrays(s: &[Site]) -> Vec<NamedArray> {
    let live = |x: &Site, bit: u32| (x.kind() == Kind::Tumour && x.w3 & bit != 0) as u8;
    vec![
        NamedArray {
            name: "persister".into(),
            unit: "".into(),
            role: ArrayRole::Trait,
            description: "1 where a tumour cell is in the drug-tolerant persister state",
            data: ArrayData::U8(per_site(s, |x| {
                (x.kind() == Kind::Tumour && x.is_persister()) as u8
            })),
        },
        NamedArray {
            name: "efflux".into(),
            unit: "".into(),
            role: ArrayRole::Trait,
            description: "1 where a tumour cell carries efflux pumps",
            data: ArrayData::U8(per_site(s, |x| live(x, TRAIT_EFFLUX))),
        },
        NamedArray {
            name: "slow_cycle".into(),
            unit: "".into(),
            role: ArrayRole::Trait,
            description: "1 where a tumour cell cycles slowly",
            data: ArrayData::U8(per_site(s, |x| live(x, TRAIT_SLOW_CYCLE))),
        },
        NamedArray {
            name: "target_altered".into(),
            unit: "".into(),
            role: ArrayRole::Trait,
            description: "bit d set where a tumour cell carries an altered target of drug d",
            data: ArrayData::U8(per_site(s, |x| {
                if x.kind() == Kind::Tumour {
                    (x.w3 & TRAIT_TARGET_MASK) as u8
                } else {
                    0
                }
            })),
        },
        NamedArray {
            name: "sanctuary_ticks".into(),
            unit: "tick".into(),
            role: ArrayRole::Trait,
            description:
                "ticks a tumour cell spent quiescent or persistent under a cycle-specific drug",
            data: ArrayData::U16(per_site(s, |x| tumour_only(x, x.sanctuary_ticks()))),
        },
    ]
}

/// Each drug's field and each cell's exposure to it, named after the drug.
fn drug_arrays(scene: &Scene, state: &HostState) -> Vec<NamedArray> {
    let n = state.sites.len();
    let mut out = Vec::new();
    for (d, drug) in scene.drugs.iter().enumerate().take(state.n_drugs()) {
        out.push(NamedArray {
            name: drug.name.clone(),
            unit: "µM".into(),
            role: ArrayRole::Field,
            description: "drug level in tissue",
            data: ArrayData::F32(state.drug(d).to_vec()),
        });
        out.push(NamedArray {
            name: format!("{}_auc", drug.name),
            unit: "µM·h".into(),
            role: ArrayRole::Trait,
            description: "the cell's cumulative intracellular exposure (AUC) to the drug",
            data: ArrayData::F32(
                state.exposure[d * n..(d + 1) * n]
                    .iter()
                    .map(|&e| (e as f64 / AUC_SCALE_PER_UM_H) as f32)
                    .collect(),
            ),
        });
    }
    out
}

/// Each signalling factor's field, named after the factor.
fn factor_arrays(scene: &Scene, state: &HostState) -> Vec<NamedArray> {
    scene
        .factors
        .iter()
        .enumerate()
        .take(state.n_factors())
        .map(|(k, f)| NamedArray {
            name: f.name.clone(),
            unit: f.unit.clone(),
            role: ArrayRole::Field,
            description: "signalling factor level",
            data: ArrayData::F32(state.factor(k).to_vec()),
        })
        .collect()
}

fn tumour_only(site: &Site, v: u16) -> u16 {
    if site.kind() == Kind::Tumour {
        v
    } else {
        0
    }
}

/// Names of the arrays with `role`, for messages listing what is allowed.
pub fn names_with_role(scene: &Scene, state: &HostState, role: ArrayRole) -> Vec<String> {
    site_arrays(scene, state)
        .into_iter()
        .filter(|a| a.role == role)
        .map(|a| a.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::setup::initial_sites;
    use std::path::Path;

    #[test]
    fn every_array_has_one_value_per_site() {
        let scene = Scene::parse(
            "seed = 1\n[lattice]\nnx = 9\nny = 7\n[tumour]\ncell_count = 5\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let sites = initial_sites(&scene);
        let oxygen = vec![1.5; sites.len()];
        let state = HostState::new(sites, oxygen, 0);
        let arrays = site_arrays(&scene, &state);
        for a in &arrays {
            assert_eq!(a.data.len(), 63, "{}", a.name);
        }
        let kind = arrays.iter().find(|a| a.name == "kind").unwrap();
        let tumour = (0..63).filter(|&i| kind.data.get_f64(i) == 1.0).count();
        assert_eq!(tumour, 5);
        assert_eq!(
            names_with_role(&scene, &state, ArrayRole::Field),
            vec!["oxygen"]
        );
    }
}
