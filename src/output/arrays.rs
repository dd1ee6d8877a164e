//! The lattice state as named per-site arrays: the one place that says what a site
//! carries, under which name and unit. Exports (VTK, NumPy), renderers (`--color`) and
//! snapshot readers all go through it, so a new trait or field (a drug) added here
//! appears everywhere at once.

use crate::engine::HostState;
use crate::model::site::Site;
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
    pub name: &'static str,
    /// Unit, empty for dimensionless or categorical arrays.
    pub unit: &'static str,
    pub role: ArrayRole,
    pub description: &'static str,
    pub data: ArrayData,
}

/// Category names of the `kind` array, by value.
pub const KIND_NAMES: [&str; 4] = ["empty", "tumour", "necrotic", "vessel"];

fn per_site<T>(sites: &[Site], f: impl Fn(&Site) -> T) -> Vec<T> {
    sites.iter().map(f).collect()
}

/// Every array of a state, in a fixed order.
pub fn site_arrays(_scene: &Scene, state: &HostState) -> Vec<NamedArray> {
    let s = &state.sites;
    vec![
        NamedArray {
            name: "kind",
            unit: "",
            role: ArrayRole::Category,
            description: "0 empty (host tissue), 1 tumour cell, 2 necrotic, 3 vessel",
            data: ArrayData::U8(per_site(s, |x| x.kind() as u8)),
        },
        NamedArray {
            name: "clone",
            unit: "",
            role: ArrayRole::Category,
            description: "clone id of tumour and necrotic sites (0 elsewhere)",
            data: ArrayData::U16(per_site(s, |x| x.clone_id())),
        },
        NamedArray {
            name: "quiescent",
            unit: "",
            role: ArrayRole::Trait,
            description: "1 where a tumour cell is quiescent (hypoxic arrest)",
            data: ArrayData::U8(per_site(s, |x| x.is_quiescent() as u8)),
        },
        NamedArray {
            name: "cycle_progress",
            unit: "tick",
            role: ArrayRole::Trait,
            description: "ticks spent in the current cycle (tumour cells)",
            data: ArrayData::U16(per_site(s, |x| tumour_only(x, x.progress()))),
        },
        NamedArray {
            name: "cycle_length",
            unit: "tick",
            role: ArrayRole::Trait,
            description: "length of the current cycle (tumour cells)",
            data: ArrayData::U16(per_site(s, |x| tumour_only(x, x.cycle_len()))),
        },
        NamedArray {
            name: "anoxic_ticks",
            unit: "tick",
            role: ArrayRole::Trait,
            description: "consecutive anoxic ticks (tumour cells)",
            data: ArrayData::U16(per_site(s, |x| x.anoxic_ticks())),
        },
        NamedArray {
            name: "perfusion",
            unit: "",
            role: ArrayRole::Trait,
            description: "perfusion of vessel sites, 0..1 (0 elsewhere)",
            data: ArrayData::F32(per_site(s, |x| {
                if x.kind() == crate::model::site::Kind::Vessel {
                    x.perfusion()
                } else {
                    0.0
                }
            })),
        },
        NamedArray {
            name: "oxygen",
            unit: "mmHg",
            role: ArrayRole::Field,
            description: "oxygen partial pressure",
            data: ArrayData::F32(state.oxygen.clone()),
        },
    ]
}

fn tumour_only(site: &Site, v: u16) -> u16 {
    if site.kind() == crate::model::site::Kind::Tumour {
        v
    } else {
        0
    }
}

/// Names of the arrays with `role`, for messages listing what is allowed.
pub fn names_with_role(scene: &Scene, state: &HostState, role: ArrayRole) -> Vec<&'static str> {
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
        let state = HostState { sites, oxygen };
        let arrays = site_arrays(&scene, &state);
        for a in &arrays {
            assert_eq!(a.data.len(), 63, "{}", a.name);
        }
        let kind = arrays.iter().find(|a| a.name == "kind").unwrap();
        let tumour = (0..63).filter(|&i| kind.data.get_f64(i) == 1.0).count();
        assert_eq!(tumour, 5);
        assert_eq!(names_with_role(&scene, &state, ArrayRole::Field), vec!["oxygen"]);
    }
}
