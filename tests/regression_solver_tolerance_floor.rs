//! Regression: a tolerance below f32 rounding of the field never converges; the first
//! solve then ran all 100 rounds of `max_sweeps_per_tick`. It now stops once a round no
//! longer lowers the residual.

use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::Simulation;
use oncolattice::scene::Scene;
use std::path::Path;

#[test]
fn an_unreachable_tolerance_stops_the_first_solve_early() {
    let scene = Scene::parse(
        "seed = 1\n[lattice]\nnx = 60\nny = 60\n\
         [oxygen]\ntolerance_mmhg = 1e-9\nmax_sweeps_per_tick = 500\n",
        Path::new("floor.toml"),
    )
    .unwrap();
    let sim = Simulation::new(scene, Box::new(CpuBackend::new())).expect("simulation");
    let stats = sim.initial_solve();
    assert!(!stats.converged);
    // The field reaches its rounding floor within a few rounds of 500 sweeps.
    assert!(stats.sweeps <= 5 * 500, "{stats:?}");
    assert!(stats.residual < 1e-3, "{stats:?}");
}
