//! Helpers shared by the numerics tests (oxygen_analytic, growth, determinism):
//! scenes from TOML text, hand-built states, runs that collect every report, and
//! least-squares fits.

#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]

use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::{Backend, HostState, Simulation, SolveStats, TickReport};
use oncolattice::model::lattice::Grid;
use oncolattice::model::params::{FieldParams, SimParams};
use oncolattice::model::site::Site;
use oncolattice::scene::Scene;
use std::path::Path;

/// Parses and validates scene text; panics with the scene error on bad input.
pub fn scene(text: &str) -> Scene {
    Scene::parse(text, Path::new("test.toml")).unwrap_or_else(|e| panic!("bad test scene: {e}"))
}

/// An all-empty lattice with zero oxygen.
pub fn empty_state(scene: &Scene) -> HostState {
    let n = scene.site_count() as usize;
    HostState::new(vec![Site::EMPTY; n], vec![0.0; n], 0)
}

/// Solves the oxygen field of `state` once on the CPU backend: one `solve_blocking`
/// call with the scene's tolerance and sweep cap. Returns the solved state.
pub fn solve_field(scene: &Scene, state: &HostState) -> (HostState, SolveStats) {
    let mut backend = CpuBackend::new();
    backend.upload(state).expect("upload");
    let sim = SimParams::from_scene(scene);
    let field = FieldParams::oxygen(scene);
    let stats = backend
        .solve_blocking(&sim, std::slice::from_ref(&field))
        .expect("solve");
    (backend.download().expect("download"), stats[0])
}

/// Runs a simulation to its end and returns every report row, the initial census
/// (tick 0) first, in tick order.
pub fn run_to_end(sim: &mut Simulation) -> Vec<TickReport> {
    let mut rows = vec![sim.report_now().expect("initial census")];
    while !sim.is_done() {
        sim.step().expect("tick");
        rows.extend(sim.poll(false).expect("poll"));
    }
    rows.extend(sim.poll(true).expect("final poll"));
    rows
}

/// Starts a CPU simulation from `state` and runs it to the end of the scene.
pub fn run_cpu_from(scene: &Scene, state: HostState) -> (Vec<TickReport>, HostState) {
    let mut sim = Simulation::from_state(scene.clone(), Box::new(CpuBackend::new()), state, 0)
        .expect("simulation");
    let rows = run_to_end(&mut sim);
    (rows, sim.state().expect("state"))
}

/// Least-squares line y = a + b·x.
#[derive(Debug, Clone, Copy)]
pub struct LineFit {
    pub intercept: f64,
    pub slope: f64,
    /// Coefficient of determination.
    pub r2: f64,
    /// Residual sum of squares.
    pub rss: f64,
}

pub fn line_fit(x: &[f64], y: &[f64]) -> LineFit {
    assert_eq!(x.len(), y.len());
    assert!(x.len() >= 3, "need at least three points");
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let syy: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let rss: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (b - intercept - slope * a).powi(2))
        .sum();
    LineFit {
        intercept,
        slope,
        r2: 1.0 - rss / syy,
        rss,
    }
}

/// Grid of a scene.
pub fn grid(scene: &Scene) -> Grid {
    Grid::from_scene(scene)
}
