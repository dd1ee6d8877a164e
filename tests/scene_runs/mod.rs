//! Helpers of the treatment-scene tests: the shipped scenes, and a run to the end on
//! the CPU backend with its failure report.

#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]

use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::{HostState, Simulation};
use oncolattice::output::failure_report::{failure_report, FailureReport};
use oncolattice::scene::Scene;
use std::path::Path;

/// `scenes/NAME.toml`, parsed and validated.
pub fn shipped(name: &str) -> Scene {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenes")
        .join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    Scene::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"))
}

/// A finished run: the simulation, its final state and its failure report.
pub struct Finished {
    pub sim: Simulation,
    pub state: HostState,
    pub report: FailureReport,
}

/// Runs `scene` to its end on the CPU backend.
pub fn run_to_end(scene: Scene) -> Finished {
    let mut sim = Simulation::new(scene, Box::new(CpuBackend::new())).expect("simulation");
    while !sim.is_done() {
        sim.step().expect("tick");
        sim.poll(false).expect("poll");
    }
    sim.poll(true).expect("poll");
    let state = sim.state().expect("state");
    let report = failure_report(&sim, &state)
        .expect("failure report")
        .expect("a therapy");
    Finished { sim, state, report }
}
