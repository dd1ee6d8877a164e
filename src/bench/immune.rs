//! The T cells of `bench`'s immune problem: their share of the lattice, and the CPU
//! timing of their moves (the GPU's is `GpuBackend::time_pass(Pass::ImmuneMoves)`).
//!
//! One move is an `immune_moves` pass settled by resolve in place; a tick makes
//! `moves_per_tick` of them, each with its substep's key. A sample times one tick's
//! moves back to back, as the backend runs them (`engine::cpu::TcellWalk`), and
//! divides by their number: the kernel row's median is seconds per move.

use crate::engine::cpu::{ImmuneInputs, TcellWalk, WalkInputs};
use crate::engine::HostState;
use crate::model::drug_params::DrugSet;
use crate::model::immune::{immune_tables, ImmuneParams};
use crate::model::params::SimParams;
use crate::model::site::{Kind, Site};
use crate::scene::Scene;
use std::time::Instant;

/// T cells and occupied (not empty) sites of a lattice.
pub fn tcells_and_occupied(sites: &[Site]) -> (u64, u64) {
    sites.iter().fold((0, 0), |(t, o), s| match s.kind() {
        Kind::Empty => (t, o),
        Kind::TCell => (t + 1, o + 1),
        _ => (t, o + 1),
    })
}

/// Moves per tick of the scene's T cells (0 without `[immune]`).
pub fn moves_per_tick(scene: &Scene) -> u32 {
    let p = ImmuneParams::from_scene(scene);
    p.moves_per_tick * p.enabled
}

/// Seconds of one CPU move on `state` (fields `conc`), on rayon's global pool: a
/// tick's moves back to back on copies of the lattice, divided by their number.
pub fn cpu_move(sim: &SimParams, scene: &Scene, state: &HostState, conc: &[f32]) -> f64 {
    let params = ImmuneParams::from_scene(scene);
    let tables = immune_tables(scene);
    let drugs = DrugSet::from_scene(scene);
    let input = WalkInputs {
        sim,
        drugs: &drugs,
        immune: ImmuneInputs {
            params: &params,
            tables: &tables,
        },
        conc,
    };
    let mut walk = TcellWalk::new();
    // Once untimed, so that the timed moves find their buffers grown, as in a run.
    let copies = || {
        (
            state.sites.clone(),
            state.exposure.clone(),
            state.lineage.to_words(),
        )
    };
    let (mut sites, mut exposure, mut lineage) = copies();
    walk.run(&input, &mut sites, &mut exposure, &mut lineage);
    let (mut sites, mut exposure, mut lineage) = copies();
    // Inside the pool, as the backend's ticks run (`engine::cpu::shared::in_pool`).
    let elapsed = rayon::scope(|_| {
        let t0 = Instant::now();
        walk.run(&input, &mut sites, &mut exposure, &mut lineage);
        t0.elapsed()
    });
    std::hint::black_box((&sites, &exposure));
    elapsed.as_secs_f64() / params.moves_per_tick.max(1) as f64
}
