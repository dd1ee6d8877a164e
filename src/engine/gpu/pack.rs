//! Many runs on one GPU: a `GpuPack` holds K scenes of one lattice shape in one
//! `GpuBackend`, and hands each run a `PackLane`, its `Backend`. A run drives its lane
//! like any backend, on its own thread; its ticks meet the other lanes' at a barrier
//! and the last lane to arrive runs the tick of every scene in the same dispatches.
//! Everything else a run asks of its backend (upload, its first solve, a scan's
//! census, a download for frames, snapshots or the failure analysis) is done for its
//! scene alone, at once. A lane dropped (its run ended, or failed) leaves the pack:
//! its scene stops advancing and the others go on without waiting for it.
//!
//! Each scene's result is bit for bit what it gives alone (tests/gpu_pack.rs): the
//! kernels see only their scene's sites, parameters, RNG key, plasma levels, lineage
//! and census, and every field solve stops each scene at its own tolerance and cap.

use super::backend::GpuBackend;
use super::lone::gpu_info;
use super::GpuContext;
use crate::engine::{
    Backend, BackendInfo, EngineError, HostState, KernelIo, Pass, SolveStats, TickReport,
};
use crate::model::census::Census;
use crate::model::drug_params::DrugSet;
use crate::model::params::{FieldParams, SimParams, SweepParams};
use crate::scene::Scene;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The shared device state of a pack.
pub struct GpuPack {
    inner: Mutex<PackInner>,
    /// Signalled when a tick has run or a lane has left.
    turn: Condvar,
}

struct PackInner {
    backend: GpuBackend,
    /// Lanes still in the pack.
    members: Vec<bool>,
    /// Per lane, once it has arrived at this tick: whether it reports.
    arrived: Vec<Option<bool>>,
    /// Ticks run so far (the barrier's generation).
    generation: u64,
    /// Why the last tick failed, for every lane of it.
    failure: Option<String>,
}

impl PackInner {
    /// Every lane still in the pack has arrived (and at least one).
    fn all_arrived(&self) -> bool {
        let mut any = false;
        for (member, arrived) in self.members.iter().zip(&self.arrived) {
            if *member && arrived.is_none() {
                return false;
            }
            any |= arrived.is_some();
        }
        any
    }

    fn run_tick(&mut self) {
        let ticks = std::mem::replace(&mut self.arrived, vec![None; self.members.len()]);
        self.failure = self.backend.tick_pack(&ticks).err().map(|e| e.to_string());
        self.generation += 1;
    }
}

/// One run's share of a pack: scene `scene` of it.
pub struct PackLane {
    pack: Arc<GpuPack>,
    scene: usize,
    last_solve: Vec<SolveStats>,
}

impl GpuPack {
    /// A pack of `scenes` scenes shaped like `scene` (lattice, drugs, factors, sweep
    /// cap; see `pack_key`), and a lane for each.
    pub fn lanes(
        ctx: Arc<GpuContext>,
        scene: &Scene,
        scenes: usize,
    ) -> Result<Vec<PackLane>, EngineError> {
        let backend = GpuBackend::with_scenes(ctx, scene, scenes as u32)?;
        let k = backend.scenes();
        let pack = Arc::new(GpuPack {
            inner: Mutex::new(PackInner {
                backend,
                members: vec![true; k],
                arrived: vec![None; k],
                generation: 0,
                failure: None,
            }),
            turn: Condvar::new(),
        });
        Ok((0..k)
            .map(|scene| PackLane {
                pack: Arc::clone(&pack),
                scene,
                last_solve: Vec::new(),
            })
            .collect())
    }
}

impl PackLane {
    fn lock(&self) -> Result<MutexGuard<'_, PackInner>, EngineError> {
        self.pack
            .inner
            .lock()
            .map_err(|_| EngineError::Gpu("another run of the GPU pack panicked".into()))
    }

    /// This lane's scene within the pack.
    pub fn scene(&self) -> usize {
        self.scene
    }
}

impl Drop for PackLane {
    fn drop(&mut self) {
        let mut g = match self.pack.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        g.members[self.scene] = false;
        g.arrived[self.scene] = None;
        g.backend.retire_scene(self.scene);
        drop(g);
        self.pack.turn.notify_all();
    }
}

impl Backend for PackLane {
    fn info(&self) -> BackendInfo {
        match self.pack.inner.lock() {
            Ok(g) => gpu_info(&g.backend),
            Err(poisoned) => gpu_info(&poisoned.into_inner().backend),
        }
    }

    fn configure_drugs(&mut self, set: &DrugSet, pd_tables: &[u32]) -> Result<(), EngineError> {
        let scene = self.scene;
        self.lock()?
            .backend
            .configure_scene_drugs(scene, set, pd_tables)
    }

    fn configure_immune(
        &mut self,
        params: &crate::model::immune::ImmuneParams,
        tables: &[u32],
    ) -> Result<(), EngineError> {
        let scene = self.scene;
        self.lock()?
            .backend
            .configure_scene_immune(scene, params, tables)
    }

    fn upload(&mut self, state: &HostState) -> Result<(), EngineError> {
        let scene = self.scene;
        self.lock()?.backend.upload_scene(scene, state)
    }

    fn download(&mut self) -> Result<HostState, EngineError> {
        let scene = self.scene;
        self.lock()?.backend.download_scene(scene)
    }

    fn solve_blocking(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Vec<SolveStats>, EngineError> {
        let scene = self.scene;
        self.lock()?.backend.solve_scene(scene, sim, fields)
    }

    /// Waits at the barrier until every lane still in the pack has asked for its tick;
    /// the last to arrive runs them all.
    fn tick(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
        report: bool,
    ) -> Result<(), EngineError> {
        let scene = self.scene;
        let pack = Arc::clone(&self.pack);
        let mut g = self.lock()?;
        g.backend.set_params(scene, sim, fields)?;
        g.arrived[scene] = Some(report);
        let generation = g.generation;
        while g.generation == generation {
            if g.all_arrived() {
                g.run_tick();
                pack.turn.notify_all();
                break;
            }
            g = pack
                .turn
                .wait(g)
                .map_err(|_| EngineError::Gpu("another run of the GPU pack panicked".into()))?;
        }
        if let Some(why) = &g.failure {
            return Err(EngineError::Gpu(why.clone()));
        }
        let solve = g.backend.last_solve[scene].clone();
        drop(g);
        self.last_solve = solve;
        Ok(())
    }

    fn last_solve(&self) -> &[SolveStats] {
        &self.last_solve
    }

    fn poll_reports(&mut self, wait: bool) -> Result<Vec<TickReport>, EngineError> {
        let scene = self.scene;
        let mut g = self.lock()?;
        g.backend.harvest(wait)?;
        Ok(g.backend.ready[scene].drain(..).collect())
    }

    fn census_now(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Census, EngineError> {
        let scene = self.scene;
        self.lock()?.backend.census_scene(scene, sim, fields)
    }

    fn run_pass(
        &mut self,
        _pass: Pass,
        _sim: &SimParams,
        _fields: &[FieldParams],
        _sweep: &SweepParams,
        _io: &mut KernelIo,
    ) -> Result<(), EngineError> {
        Err(EngineError::Gpu(
            "run_pass runs a kernel alone: use a GpuBackend, not a lane of a pack".into(),
        ))
    }
}

/// What scenes must share to be packed: the lattice, the fields (drugs, factors and
/// their term counts), the sweep cap, the specialised kernels they need, and whether
/// T cells move and how often a tick (each move is a dispatch of the whole pack).
/// Scenes with equal keys may differ in anything else — seed, parameters, therapy.
pub fn pack_key(scene: &Scene) -> String {
    let sim = SimParams::from_scene(scene);
    let fields = FieldParams::all(scene, &vec![0.0; scene.drugs.len()]);
    let variant = super::pipelines::KernelVariant::of(&sim, &fields);
    let immune = crate::model::immune::ImmuneParams::from_scene(scene);
    format!(
        "{}x{}x{} moore {} drugs {} factors {} sweeps {} immune {} moves {} {:?}",
        sim.nx,
        sim.ny,
        sim.nz,
        sim.moore,
        scene.drugs.len(),
        scene.factors.len(),
        scene.oxygen.max_sweeps_per_tick.max(1),
        immune.enabled,
        immune.moves_per_tick * immune.enabled,
        variant
    )
}
