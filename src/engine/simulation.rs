//! `Simulation`: the tick loop over a backend. Host work per tick is writing the
//! per-tick uniform (tick and RNG key); everything else stays on the backend, and
//! only reports travel back, asynchronously.

use super::{cpu, Backend, BackendInfo, EngineError, HostState, TickReport};
use crate::model::params::{FieldParams, SimParams};
use crate::model::setup;
use crate::scene::Scene;

/// Sweeps and final residual of one field solve.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct SolveStats {
    pub sweeps: u32,
    /// Largest change of any site in the last sweep, in the field's unit (mmHg).
    pub residual: f32,
    pub converged: bool,
}

/// Rounds of `max_sweeps_per_tick` sweeps allowed for the first solve, which starts
/// from nothing rather than from the previous tick.
pub const INITIAL_SOLVE_ROUNDS: u32 = 100;

pub struct Simulation {
    scene: Scene,
    backend: Box<dyn Backend>,
    sim: SimParams,
    field: FieldParams,
    tick: u64,
    total_ticks: u64,
    report_every: u64,
    initial_solve: SolveStats,
}

impl Simulation {
    /// Builds the initial lattice, uploads it and solves the oxygen field to tolerance.
    pub fn new(scene: Scene, backend: Box<dyn Backend>) -> Result<Simulation, EngineError> {
        let sites = setup::initial_sites(&scene);
        let oxygen = vec![0.0f32; sites.len()];
        Simulation::from_state(scene, backend, HostState { sites, oxygen }, 0)
    }

    /// Starts from a given state at tick `tick` (its field is solved again to tolerance).
    pub fn from_state(
        scene: Scene,
        mut backend: Box<dyn Backend>,
        state: HostState,
        tick: u64,
    ) -> Result<Simulation, EngineError> {
        backend.upload(&state)?;
        let sim = SimParams::from_scene(&scene);
        let field = FieldParams::oxygen(&scene);
        let at = sim.at_tick(scene.seed, tick as u32);
        let mut stats = crate::engine::SolveStats::default();
        let mut sweeps = 0;
        for _ in 0..INITIAL_SOLVE_ROUNDS {
            stats = backend.solve_blocking(&at, &field)?;
            sweeps += stats.sweeps;
            if stats.converged || !stats.residual.is_finite() {
                break;
            }
        }
        if !stats.residual.is_finite() {
            return Err(EngineError::NonFinite { tick });
        }
        stats.sweeps = sweeps;
        Ok(Simulation {
            total_ticks: scene.total_ticks(),
            report_every: scene.report_every_ticks(),
            scene,
            backend,
            sim,
            field,
            tick,
            initial_solve: stats,
        })
    }

    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    pub fn backend_info(&self) -> BackendInfo {
        self.backend.info()
    }

    /// Ticks completed so far.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    pub fn total_ticks(&self) -> u64 {
        self.total_ticks
    }

    pub fn is_done(&self) -> bool {
        self.tick >= self.total_ticks
    }

    pub fn initial_solve(&self) -> SolveStats {
        self.initial_solve
    }

    /// Whether the tick that ends at `tick` (ticks completed) gets a report row.
    pub fn is_report_tick(&self, tick: u64) -> bool {
        tick % self.report_every == 0 || tick == self.total_ticks
    }

    /// The census of the current state, computed on the host (blocking).
    pub fn report_now(&mut self) -> Result<TickReport, EngineError> {
        let state = self.backend.download()?;
        let sim = self.sim.at_tick(self.scene.seed, self.tick as u32);
        Ok(TickReport {
            tick: self.tick,
            census: cpu::census(&sim, &state.sites, &state.oxygen),
            solve: self.initial_solve,
        })
    }

    /// Advances one tick. Its report, if it is a report tick, arrives via `poll`.
    pub fn step(&mut self) -> Result<(), EngineError> {
        let report = self.is_report_tick(self.tick + 1);
        let sim = self.sim.at_tick(self.scene.seed, self.tick as u32);
        self.backend.tick(&sim, &self.field, report)?;
        self.tick += 1;
        Ok(())
    }

    /// Reports that have arrived, oldest first; `wait` blocks for all outstanding ones.
    pub fn poll(&mut self, wait: bool) -> Result<Vec<TickReport>, EngineError> {
        let reports = self.backend.poll_reports(wait)?;
        if let Some(bad) = reports.iter().find(|r| !r.solve.residual.is_finite()) {
            return Err(EngineError::NonFinite { tick: bad.tick });
        }
        Ok(reports)
    }

    /// The whole state (blocking).
    pub fn state(&mut self) -> Result<HostState, EngineError> {
        self.backend.download()
    }
}
