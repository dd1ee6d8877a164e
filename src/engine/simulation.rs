//! `Simulation`: the tick loop over a backend. Host work per tick is writing the
//! per-tick uniform (tick and RNG key); everything else stays on the backend, and
//! only reports travel back, asynchronously.

use super::therapy::{measurement, treatment_exposure, TherapyHost, TherapyTick};
use super::{Backend, BackendInfo, EngineError, HostState, TickReport};
use crate::model::biomarkers;
use crate::model::drug_params::{pd_tables, DrugSet};
use crate::model::failure::analyse;
use crate::model::fields;
use crate::model::immune::{immune_tables, ImmuneParams};
use crate::model::lineage::Lineage;
use crate::model::params::{FieldParams, SimParams};
use crate::model::protocol::Event;
use crate::model::setup;
use crate::model::vasculature;
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
/// from nothing rather than from the previous tick; it stops early once a round no
/// longer lowers the residual.
pub const INITIAL_SOLVE_ROUNDS: u32 = 100;

pub struct Simulation {
    scene: Scene,
    backend: Box<dyn Backend>,
    sim: SimParams,
    /// Blood level of each drug (µM) in the coming tick; the vessel source of its field.
    plasma_um: Vec<f64>,
    /// Pharmacokinetics and protocol, when the scene has a therapy.
    therapy: Option<TherapyHost>,
    /// What the host pass did, one entry per tick run.
    therapy_log: Vec<TherapyTick>,
    tick: u64,
    total_ticks: u64,
    report_every: u64,
    initial_solve: SolveStats,
}

/// Refuses a state whose fields are not the scene's (oxygen, its drugs, its factors).
fn state_fits(scene: &Scene, state: &HostState) -> Result<(), EngineError> {
    let fields = 1 + scene.drugs.len() + scene.factors.len();
    if state.n_fields() == fields && state.n_drugs() == scene.drugs.len() {
        return Ok(());
    }
    Err(EngineError::Gpu(format!(
        "inconsistent state: it holds {} fields ({} drugs), the scene has {fields} ({} drugs)",
        state.n_fields(),
        state.n_drugs(),
        scene.drugs.len()
    )))
}

/// The first field whose solve ended on a non-finite residual: a NaN or infinite
/// value anywhere in a field makes the largest change of its sweeps non-finite.
pub fn first_non_finite(solves: &[SolveStats]) -> Option<usize> {
    solves.iter().position(|s| !s.residual.is_finite())
}

impl Simulation {
    /// Builds the initial lattice, uploads it and solves the oxygen field to tolerance.
    pub fn new(scene: Scene, backend: Box<dyn Backend>) -> Result<Simulation, EngineError> {
        let mut sites = setup::initial_sites(&scene);
        vasculature::initial_perfusion(&scene, &mut sites).map_err(|e| {
            EngineError::Vasculature {
                tick: 0,
                message: e.to_string(),
            }
        })?;
        let oxygen = vec![0.0f32; sites.len()];
        let mut state =
            HostState::with_factors(sites, oxygen, scene.drugs.len(), scene.factors.len());
        state.lineage = Lineage::initial(&setup::initial_clone_traits(&scene));
        Simulation::from_state(scene, backend, state, 0)
    }

    /// Starts from a given state at tick `tick` (its field is solved again to tolerance).
    pub fn from_state(
        scene: Scene,
        mut backend: Box<dyn Backend>,
        state: HostState,
        tick: u64,
    ) -> Result<Simulation, EngineError> {
        let plasma_um = vec![0.0; scene.drugs.len()];
        let fields = FieldParams::all(&scene, &plasma_um);
        state_fits(&scene, &state)?;
        backend.configure_drugs(&DrugSet::from_scene(&scene), &pd_tables(&scene))?;
        backend.configure_immune(&ImmuneParams::from_scene(&scene), &immune_tables(&scene))?;
        backend.upload(&state)?;
        let sim = SimParams::from_scene(&scene);
        let at = sim.at_tick(scene.seed, tick as u32);
        // Rounds go on while a field is neither converged nor stuck. A round that no
        // longer lowers a field's residual has hit f32 rounding: a tolerance below that
        // floor would otherwise run every round in vain. A field that is done still
        // takes one sweep per further round (it changes by less than its tolerance);
        // what is reported is oxygen's solve up to the round that finished it.
        let mut done = vec![false; fields.len()];
        let mut previous = vec![f32::INFINITY; fields.len()];
        let mut stats = crate::engine::SolveStats::default();
        let mut sweeps = 0;
        for _ in 0..INITIAL_SOLVE_ROUNDS {
            let round = backend.solve_blocking(&at, &fields)?;
            if let Some(bad) = first_non_finite(&round) {
                return Err(EngineError::NonFinite {
                    field: fields::list(&scene)[bad].name.clone(),
                    tick,
                });
            }
            for (f, s) in round.iter().enumerate() {
                if done[f] {
                    continue;
                }
                if f == fields::OXYGEN {
                    stats = *s;
                    sweeps += s.sweeps;
                }
                done[f] = s.converged || s.residual >= previous[f];
                previous[f] = s.residual;
            }
            if done.iter().all(|&d| d) {
                break;
            }
        }
        stats.sweeps = sweeps;
        Simulation {
            total_ticks: scene.total_ticks(),
            report_every: scene.report_every_ticks(),
            scene,
            backend,
            sim,
            plasma_um,
            therapy: None,
            therapy_log: Vec::new(),
            tick,
            initial_solve: stats,
        }
        .with_therapy()
    }

    /// Continues from a snapshot's state at tick `tick`. Unlike `from_state` it does not
    /// solve the field again: the next tick starts from the stored field, as it did in
    /// the run that wrote the snapshot, so the continuation is the same run.
    /// `initial_solve` is the original run's first solve (reported, not repeated).
    pub fn resume(
        scene: Scene,
        mut backend: Box<dyn Backend>,
        state: &HostState,
        tick: u64,
        initial_solve: SolveStats,
    ) -> Result<Simulation, EngineError> {
        state_fits(&scene, state)?;
        backend.configure_drugs(&DrugSet::from_scene(&scene), &pd_tables(&scene))?;
        backend.configure_immune(&ImmuneParams::from_scene(&scene), &immune_tables(&scene))?;
        backend.upload(state)?;
        let sim = Simulation {
            total_ticks: scene.total_ticks(),
            report_every: scene.report_every_ticks(),
            sim: SimParams::from_scene(&scene),
            plasma_um: vec![0.0; scene.drugs.len()],
            therapy: None,
            therapy_log: Vec::new(),
            scene,
            backend,
            tick,
            initial_solve,
        };
        sim.with_therapy()
    }

    /// Attaches the scene's therapy (fresh: before any tick of it has run).
    fn with_therapy(mut self) -> Result<Simulation, EngineError> {
        self.therapy = TherapyHost::new(&self.scene)?;
        Ok(self)
    }

    /// The therapy's state (PK and protocol), for snapshots.
    pub fn therapy_state(&self) -> Option<&TherapyHost> {
        self.therapy.as_ref()
    }

    /// Replaces the therapy's state and the plasma levels of the coming tick (resume).
    pub fn restore_therapy(
        &mut self,
        host: Option<TherapyHost>,
        plasma_um: &[f64],
        log: Vec<TherapyTick>,
    ) {
        self.therapy = host;
        self.set_plasma_um(plasma_um);
        self.therapy_log = log;
    }

    /// What the host pass did in every tick so far.
    pub fn therapy_log(&self) -> &[TherapyTick] {
        &self.therapy_log
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

    /// The census of the current state, counted by the backend where the state lives
    /// (blocking; no lattice download).
    pub fn report_now(&mut self) -> Result<TickReport, EngineError> {
        let sim = self.sim.at_tick(self.scene.seed, self.tick as u32);
        let fields = FieldParams::all(&self.scene, &self.plasma_um);
        Ok(TickReport {
            tick: self.tick,
            census: self.backend.census_now(&sim, &fields)?,
            solve: self.initial_solve,
        })
    }

    /// Advances one tick. Its report, if it is a report tick, arrives via `poll`.
    pub fn step(&mut self) -> Result<(), EngineError> {
        self.vessel_pass()?;
        self.host_pass()?;
        let report = self.is_report_tick(self.tick + 1);
        let sim = self.sim.at_tick(self.scene.seed, self.tick as u32);
        let fields = FieldParams::all(&self.scene, &self.plasma_um);
        self.backend.tick(&sim, &fields, report)?;
        self.tick += 1;
        if let Some(f) = first_non_finite(self.backend.last_solve()) {
            return Err(EngineError::NonFinite {
                field: fields::list(&self.scene)[f].name.clone(),
                tick: self.tick,
            });
        }
        Ok(())
    }

    /// Reports that have arrived, oldest first; `wait` blocks for all outstanding ones.
    pub fn poll(&mut self, wait: bool) -> Result<Vec<TickReport>, EngineError> {
        let reports = self.backend.poll_reports(wait)?;
        if let Some(bad) = reports.iter().find(|r| !r.solve.residual.is_finite()) {
            return Err(EngineError::NonFinite {
                field: "oxygen".into(),
                tick: bad.tick,
            });
        }
        Ok(reports)
    }

    /// The vessel network's update (`model::vasculature`), on the host every
    /// `update_every_h`: the state comes down, its vessels change, and it goes back.
    fn vessel_pass(&mut self) -> Result<(), EngineError> {
        if !vasculature::update_due(&self.scene, self.tick) {
            return Ok(());
        }
        let mut state = self.backend.download()?;
        vasculature::update(&self.scene, self.tick, &mut state.sites, &state.fields).map_err(
            |e| EngineError::Vasculature {
                tick: self.tick,
                message: e.to_string(),
            },
        )?;
        self.backend.upload(&state)
    }

    /// Pass 1 of the tick: the protocol reads a scan when one is due (the census of the
    /// current state, read back synchronously: scans are rare), decides the doses, and
    /// pharmacokinetics set this tick's plasma levels. When a line fails, the cells
    /// alive at that moment are classified by why they survived (`model::failure`).
    fn host_pass(&mut self) -> Result<(), EngineError> {
        let tick = self.tick;
        let scan_due = self.therapy.as_ref().is_some_and(|t| t.scan_due(tick));
        let scan = if scan_due {
            let census = self.report_now()?.census;
            // The biomarkers read every cell: a second download, in immune scenes only.
            let biomarkers = if self.scene.immune.is_some() {
                let state = self.backend.download()?;
                biomarkers::of_state(&self.scene, &state.sites, &state.fields)
            } else {
                None
            };
            Some(measurement(
                &self.scene,
                &census,
                tick as f64 * self.scene.time.tick_h,
                biomarkers,
            ))
        } else {
            None
        };
        let Some(therapy) = &mut self.therapy else {
            return Ok(());
        };
        let mut record = therapy.begin_tick(tick, scan.as_ref())?;
        if let Some(d) = record.plasma_um.iter().position(|v| !v.is_finite()) {
            return Err(EngineError::NonFinitePlasma {
                drug: self.scene.drugs[d].name.clone(),
                tick,
                value: record.plasma_um[d],
            });
        }
        self.plasma_um.clone_from(&record.plasma_um);
        let line_failed = record
            .events
            .iter()
            .any(|e| matches!(e, Event::LineFailed { .. }));
        if line_failed {
            // The failure analysis reads every cell: the one download of a scan.
            let state = self.backend.download()?;
            let exposure = treatment_exposure(
                self.scene.drugs.len(),
                self.scene.time.tick_h,
                &self.therapy_log,
                &state.lineage,
                tick,
            );
            record.failure_analysis = Some(analyse(
                &self.scene,
                &exposure,
                &state.sites,
                &state.exposure,
                &state.fields,
            ));
        }
        self.therapy_log.push(record);
        Ok(())
    }

    /// Sets each drug's blood level (µM) for the ticks that follow; the protocol and
    /// pharmacokinetics call this every tick.
    pub fn set_plasma_um(&mut self, levels: &[f64]) {
        for (slot, &v) in self.plasma_um.iter_mut().zip(levels) {
            *slot = v;
        }
    }

    pub fn plasma_um(&self) -> &[f64] {
        &self.plasma_um
    }

    /// The whole state (blocking).
    pub fn state(&mut self) -> Result<HostState, EngineError> {
        self.backend.download()
    }
}
