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
    if scene.vasculature.is_some() {
        arrays.extend(vessel_arrays(scene, state));
    }
    arrays
}

/// Blood flow and pressure on the vessel network (scenes with `[vasculature]`), from
/// the network `model::vasculature::solve_flow` finds in the sites (as
/// `export::vessels` writes it). Both are 0 off the network: `Range::of` maps from 0
/// whatever the values, so NaN would not widen the colour bar, but a maximum
/// projection lets NaN win and would grey out every ray that meets one empty site.
/// A vessel site whose pressure is undefined (a fragment with no inlet or outlet)
/// also reads 0; `vessel_nodes.csv` and `vessels.vtp` leave such pressures empty /
/// NaN. Should the flow solve refuse the state, both arrays are NaN everywhere
/// (drawn grey).
fn vessel_arrays(scene: &Scene, state: &HostState) -> Vec<NamedArray> {
    let n = state.sites.len();
    let (flow, pressure) = match super::export::vessels::flow_of(scene, &state.sites) {
        Some(Ok(f)) => (
            f.site_flow_m3_per_s
                .iter()
                .map(|&q| super::export::vessels::um3_per_min(q) as f32)
                .collect(),
            f.site_pressure_mmhg
                .iter()
                .map(|p| p.unwrap_or(0.0) as f32)
                .collect(),
        ),
        _ => (vec![f32::NAN; n], vec![f32::NAN; n]),
    };
    vec![
        NamedArray {
            name: "vessel_flow".into(),
            unit: "µm³/min".into(),
            role: ArrayRole::Field,
            description: "blood flow |Q| through a vessel site's segment (a junction: its \
                          largest), 0 off the network",
            data: ArrayData::F32(flow),
        },
        NamedArray {
            name: "vessel_pressure".into(),
            unit: "mmHg".into(),
            role: ArrayRole::Field,
            description: "blood pressure at a vessel site (a segment's sites: the mean of \
                          its two ends), 0 off the network and where undefined",
            data: ArrayData::F32(pressure),
        },
    ]
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

    #[test]
    fn a_living_vasculature_adds_flow_and_pressure_on_its_sites_only() {
        let scene = Scene::parse(
            "seed = 1\n[lattice]\nnx = 10\nny = 6\nsite_size_um = 20\n\
             [tumour]\ncell_count = 1\ncentre_um = [190, 10, 10]\n\
             [vessels]\nlayout = \"lines\"\naxis = \"x\"\nspacing_um = 80\n\
             [[factors]]\nname = \"vegf\"\nunit = \"nM\"\ndiffusion_um2_per_min = 1000\n\
             decay_per_min = 0.01\n[vasculature]\nvegf = \"vegf\"\n",
            Path::new("v.toml"),
        )
        .unwrap();
        let sites = initial_sites(&scene);
        let n = sites.len();
        let state = HostState::with_factors(sites, vec![1.5; n], 0, 1);
        let arrays = site_arrays(&scene, &state);
        let get = |name: &str| arrays.iter().find(|a| a.name == name).unwrap();
        let (flow, pressure, kind) = (get("vessel_flow"), get("vessel_pressure"), get("kind"));
        assert_eq!(
            (flow.role, flow.unit.as_str()),
            (ArrayRole::Field, "µm³/min")
        );
        assert_eq!(
            (pressure.role, pressure.unit.as_str()),
            (ArrayRole::Field, "mmHg")
        );
        let v = scene.vasculature.as_ref().unwrap();
        for i in 0..n {
            let (q, p) = (flow.data.get_f64(i), pressure.data.get_f64(i));
            if kind.data.get_f64(i) == Kind::Vessel as u8 as f64 {
                assert!(q > 0.0, "site {i}: {q}");
                assert!(
                    p >= v.outlet_pressure_mmhg - 1e-4 && p <= v.inlet_pressure_mmhg + 1e-4,
                    "site {i}: {p}"
                );
            } else {
                assert_eq!((q, p), (0.0, 0.0), "site {i}");
            }
        }
        let plain = Scene::parse(
            "seed = 1\n[lattice]\nnx = 9\nny = 7\n[tumour]\ncell_count = 5\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let sites = initial_sites(&plain);
        let state = HostState::new(sites, vec![1.5; 63], 0);
        assert!(site_arrays(&plain, &state)
            .iter()
            .all(|a| !a.name.starts_with("vessel_")));
    }
}
