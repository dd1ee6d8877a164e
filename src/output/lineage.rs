//! `lineage.csv` and the `lineage` section of summary.json: every clone of the run —
//! the scene's initial clones and one per mutation — with its parent, when it was
//! founded, its traits, whether it existed before treatment began, and how many of its
//! cells are in the lattice at the end.

use crate::engine::HostState;
use crate::model::drug_params::{TRAIT_ANTIGEN_LOSS, TRAIT_EFFLUX, TRAIT_PDL1, TRAIT_SLOW_CYCLE};
use crate::model::lattice::Grid;
use crate::model::site::Kind;
use crate::scene::Scene;
use serde::Serialize;
use std::fmt::Write;

pub const LINEAGE_CSV: &str = "lineage.csv";

pub const COLUMNS: [&str; 11] = [
    "clone",
    "parent",
    "birth_tick",
    "birth_day",
    "before_treatment",
    "traits",
    "founder_x",
    "founder_y",
    "founder_z",
    "live_cells",
    "necrotic_cells",
];

/// Counts for summary.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineageSummary {
    /// Clones in the lineage table: the initial ones plus one per numbered mutation.
    pub clones: u32,
    /// Mutations so far, numbered or not.
    pub mutations: u32,
    /// Mutations that kept their parent's clone id (too many in one tick, or the
    /// 65,536 clone ids used up).
    pub unassigned_mutations: u32,
    /// Clones founded after treatment began (a mutation under treatment).
    pub founded_under_treatment: u32,
    /// Clones with live cells at the end.
    pub clones_alive: u32,
    /// Live cells at the end in clones founded after treatment began.
    pub live_cells_of_clones_founded_under_treatment: u64,
}

/// Trait names as scenes write them, joined by `+` (empty for none).
pub fn trait_names(scene: &Scene, traits: u32) -> String {
    let mut names: Vec<String> = scene
        .drugs
        .iter()
        .enumerate()
        .filter(|(d, _)| traits & (1 << d) != 0)
        .map(|(_, drug)| format!("target:{}", drug.name))
        .collect();
    if traits & TRAIT_EFFLUX != 0 {
        names.push("efflux".into());
    }
    if traits & TRAIT_SLOW_CYCLE != 0 {
        names.push("slow_cycle".into());
    }
    if traits & TRAIT_ANTIGEN_LOSS != 0 {
        names.push("antigen_loss".into());
    }
    if traits & TRAIT_PDL1 != 0 {
        names.push("pdl1".into());
    }
    names.join("+")
}

/// Live and necrotic cells per clone id.
fn cells_per_clone(state: &HostState) -> Vec<(u64, u64)> {
    let mut counts = vec![(0u64, 0u64); state.lineage.clones.len()];
    for s in &state.sites {
        let Some(c) = counts.get_mut(s.clone_id() as usize) else {
            continue;
        };
        match s.kind() {
            Kind::Tumour => c.0 += 1,
            Kind::Necrotic => c.1 += 1,
            _ => {}
        }
    }
    counts
}

/// The file's text: a header line, then one row per clone id.
pub fn csv(scene: &Scene, state: &HostState, start: Option<u64>) -> String {
    let grid = Grid::from_scene(scene);
    let counts = cells_per_clone(state);
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for (k, (c, (live, necrotic))) in state.lineage.clones.iter().zip(counts).enumerate() {
        let parent = c.parent.map(|p| p.to_string()).unwrap_or_default();
        let [x, y, z] = if (c.founder_site as u64) < scene.site_count() {
            grid.coords(c.founder_site).map(|v| v.to_string())
        } else {
            Default::default()
        };
        let day = c.birth_tick as f64 * scene.time.tick_h / 24.0;
        let _ = writeln!(
            out,
            "{k},{parent},{},{},{},{},{x},{y},{z},{live},{necrotic}",
            c.birth_tick,
            (day * 1e6).round() / 1e6,
            c.founded_by(start),
            trait_names(scene, c.traits),
        );
    }
    out
}

pub fn summary(state: &HostState, start: Option<u64>) -> LineageSummary {
    let l = &state.lineage;
    let counts = cells_per_clone(state);
    let under: Vec<bool> = l.clones.iter().map(|c| !c.founded_by(start)).collect();
    LineageSummary {
        clones: l.clones.len() as u32,
        mutations: l.mutations,
        unassigned_mutations: l.unassigned,
        founded_under_treatment: under.iter().filter(|&&u| u).count() as u32,
        clones_alive: counts.iter().filter(|c| c.0 > 0).count() as u32,
        live_cells_of_clones_founded_under_treatment: counts
            .iter()
            .zip(&under)
            .filter(|(_, &u)| u)
            .map(|(c, _)| c.0)
            .sum(),
    }
}
