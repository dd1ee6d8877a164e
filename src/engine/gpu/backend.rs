//! `GpuBackend`: the tick's passes, pass for pass what `engine::cpu::CpuBackend` does,
//! for a pack of one or more scenes of one lattice shape in the same dispatches
//! (scene = workgroup_id.z; shaders/shared/bindings.wgsl). A lone run is a pack of
//! one (its `Backend` implementation is in `lone.rs`); `pack.rs` shares a pack among
//! the runs of a batch. A tick is one submit for the solve's first chunks of sweeps
//! (`solve_plan`), a small blocking read of the residual slots (and further chunks
//! when a field of some scene needs them), and one submit for cells, resolve,
//! clone_assign, the T cells' moves (each an `immune_moves` and a resolve with its
//! substep's key) and census; reports come back through the asynchronous ring.

use super::buffers::{
    bytes_per_site, Buffers, Shape, CENSUS_BYTES, FIELDS_BYTES, IMMUNE_TABLE_BYTES, LINEAGE_BYTES,
    MAX_SUBSTEPS,
};
use super::pipelines::{KernelVariant, Pipelines};
use super::readback::{
    cast_vec, poll, read_blocking, read_blocking_at, read_staged, ReportRequest, ReportRing,
    Staging,
};
use super::shaders::Flavour;
use super::solve_plan::{self, SolvePlan};
use super::GpuContext;
use crate::engine::{solve_stats, EngineError, HostState, Pass, SolveStats, TickReport};
use crate::model::census::Census;
use crate::model::drug_params::DrugSet;
use crate::model::immune::{ImmuneParams, TABLES as IMMUNE_TABLES};
use crate::model::lineage::Lineage;
use crate::model::params::{FieldParams, PackRange, SimParams, SweepParams, MAX_FIELDS};
use crate::model::pd::PD_TABLE_LEN;
use crate::scene::Scene;
use std::collections::VecDeque;
use std::sync::Arc;

/// What a scene's next dispatches read: written by the host before each submit.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SceneParams {
    pub sim: SimParams,
    pub fields: Vec<FieldParams>,
}

/// The lattices of a pack on one device. Memory: `buffers::bytes_per_site` (44 B + 8 B
/// per drug + 4 B per factor) per site and scene plus a fixed part per scene; packs
/// past the device's limits are refused up front (`TooLarge`).
pub struct GpuBackend {
    pub(super) ctx: Arc<GpuContext>,
    pub(super) pipelines: Pipelines,
    pub(super) buffers: Buffers,
    pub(super) ring: ReportRing,
    /// The grid of a full half-sweep of every scene, copied into `next_sweep` before
    /// each field's solve.
    pub(super) full_args: wgpu::Buffer,
    /// Per scene: drug parameters and PD tables, re-sent whenever the buffers are
    /// reallocated.
    pub(super) drugs: Vec<Option<(DrugSet, Vec<u32>)>>,
    /// Per scene: the T-cell rules and tables, re-sent whenever the buffers are
    /// reallocated (none: no immune system, the buffers' zeros).
    pub(super) immune: Vec<Option<(ImmuneParams, Vec<u32>)>>,
    /// Per scene: reports already off the device, not yet handed out.
    pub(super) ready: Vec<VecDeque<TickReport>>,
    /// Whether solves are offered in chunks (`solve_plan`), and per scene the counts
    /// they follow.
    pub(super) chunked_solve: bool,
    pub(super) plans: Vec<SolvePlan>,
    /// Per scene: every field's solve of its last tick (empty without chunks).
    pub(super) last_solve: Vec<Vec<SolveStats>>,
    /// Per scene: the parameters its next dispatch reads.
    pub(super) params: Vec<Option<SceneParams>>,
    /// Receives the residual slots between chunks; sized with the buffers.
    pub(super) residual_probe: Staging,
    /// The scenes the next dispatches cover (written by `write_params`).
    pub(super) range: PackRange,
}

impl GpuBackend {
    pub fn new(ctx: Arc<GpuContext>, scene: &Scene) -> Result<GpuBackend, EngineError> {
        GpuBackend::with_scenes(ctx, scene, 1)
    }

    /// A pack of `scenes` scenes shaped like `scene` (lattice, drugs, factors, sweep cap).
    pub fn with_scenes(
        ctx: Arc<GpuContext>,
        scene: &Scene,
        scenes: u32,
    ) -> Result<GpuBackend, EngineError> {
        let shape = Shape {
            n_sites: scene.site_count(),
            n_drugs: scene.drugs.len() as u32,
            n_factors: scene.factors.len() as u32,
            sweep_capacity: scene.oxygen.max_sweeps_per_tick.max(1),
            n_scenes: scenes.max(1),
        };
        let device = ctx.device();
        let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let invalid = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let made = (|| {
            let pipelines = Pipelines::new(device, Flavour::of_pack(shape.n_scenes))?;
            let buffers = Buffers::new(&ctx, &pipelines.layouts, shape)?;
            let ring =
                ReportRing::new(&ctx, buffers.shape.residual_stride() as u32, shape.n_scenes);
            Ok::<_, EngineError>((pipelines, buffers, ring))
        })();
        let invalid = pollster::block_on(invalid.pop());
        let oom = pollster::block_on(oom.pop());
        if let Some(e) = oom {
            return Err(EngineError::TooLarge(format!(
                "{} ran out of memory for {} scenes of {} sites ({} B/site): {e}",
                ctx.describe(),
                shape.n_scenes,
                scene.site_count(),
                bytes_per_site(shape.n_drugs as u64, shape.n_factors as u64)
            )));
        }
        if let Some(e) = invalid {
            return Err(EngineError::Device(format!("{}: {e}", ctx.describe())));
        }
        let (pipelines, buffers, ring) = made?;
        let full_args = ctx.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some("oncolattice.full_sweep_args"),
            size: 16,
            usage: wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let residual_probe = Staging::new(
            &ctx,
            "oncolattice.residual_probe",
            residual_bytes(buffers.shape),
        );
        let k = shape.n_scenes as usize;
        Ok(GpuBackend {
            ctx,
            pipelines,
            buffers,
            ring,
            full_args,
            drugs: vec![None; k],
            immune: vec![None; k],
            ready: vec![VecDeque::new(); k],
            chunked_solve: true,
            plans: vec![SolvePlan::default(); k],
            last_solve: vec![Vec::new(); k],
            params: vec![None; k],
            residual_probe,
            range: PackRange {
                first: 0,
                count: k as u32,
                _pad: [0; 2],
            },
        })
    }

    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// Scenes of the pack.
    pub fn scenes(&self) -> usize {
        self.buffers.shape.n_scenes as usize
    }

    /// Reallocates every buffer for `shape` (state is lost; callers upload) after
    /// collecting reports in flight, and re-sends the drug data. Only a pack of one
    /// changes shape.
    pub(super) fn reshape(&mut self, shape: Shape) -> Result<(), EngineError> {
        if shape == self.buffers.shape {
            return Ok(());
        }
        if self.scenes() > 1 || shape.n_scenes != self.buffers.shape.n_scenes {
            return Err(EngineError::Gpu(format!(
                "a pack of {} scenes holds {} sites, {} drugs and {} factors per scene; \
                 this scene has {} sites, {} drugs and {} factors",
                self.scenes(),
                self.buffers.shape.n_sites,
                self.buffers.shape.n_drugs,
                self.buffers.shape.n_factors,
                shape.n_sites,
                shape.n_drugs,
                shape.n_factors
            )));
        }
        self.ring.harvest(&self.ctx, true, &mut self.ready)?;
        self.buffers = Buffers::new(&self.ctx, &self.pipelines.layouts, shape)?;
        self.residual_probe = Staging::new(
            &self.ctx,
            "oncolattice.residual_probe",
            residual_bytes(self.buffers.shape),
        );
        let wanted = (self.buffers.shape.residual_stride() as u32, shape.n_scenes);
        if wanted != self.ring.sized_for() {
            self.ring = ReportRing::new(&self.ctx, wanted.0, wanted.1);
        }
        for s in 0..self.scenes() {
            self.write_drugs(s);
            self.write_immune(s);
        }
        Ok(())
    }

    pub(super) fn write_immune(&self, scene: usize) {
        if let Some((params, tables)) = &self.immune[scene] {
            let q = self.ctx.queue();
            let params_bytes = std::mem::size_of::<ImmuneParams>() as u64;
            q.write_buffer(
                &self.buffers.immune,
                scene as u64 * params_bytes,
                bytemuck::bytes_of(params),
            );
            q.write_buffer(
                &self.buffers.immune_table,
                scene as u64 * IMMUNE_TABLE_BYTES,
                bytemuck::cast_slice(tables),
            );
        }
    }

    /// Sets scene `scene`'s T-cell rules and tables (`Backend::configure_immune`). The
    /// scenes of a pack share their dispatches, so they must agree on whether T cells
    /// move and how many times a tick (`pack_key`).
    pub(super) fn configure_scene_immune(
        &mut self,
        scene: usize,
        params: &ImmuneParams,
        tables: &[u32],
    ) -> Result<(), EngineError> {
        let n = IMMUNE_TABLES * PD_TABLE_LEN;
        if params.enabled != 0 && tables.len() < n {
            return Err(EngineError::Gpu(format!(
                "{} immune table entries, {n} needed",
                tables.len()
            )));
        }
        if params.enabled != 0 && params.moves_per_tick > MAX_SUBSTEPS {
            return Err(EngineError::Gpu(format!(
                "{} T-cell moves per tick, more than the {MAX_SUBSTEPS} the GPU backend holds",
                params.moves_per_tick
            )));
        }
        let moves = |p: &ImmuneParams| (p.enabled != 0).then_some(p.moves_per_tick);
        let other = self
            .immune
            .iter()
            .enumerate()
            .find_map(|(s, i)| i.as_ref().filter(|_| s != scene));
        if let Some((first, _)) = other {
            if moves(first) != moves(params) {
                return Err(EngineError::Gpu(
                    "a scene of a pack has T cells moving otherwise than the pack's \
                     ([immune] present or not, moves per tick)"
                        .into(),
                ));
            }
        }
        let mut table = vec![0u32; n];
        let given = tables.len().min(n);
        table[..given].copy_from_slice(&tables[..given]);
        self.immune[scene] = Some((*params, table));
        self.write_immune(scene);
        Ok(())
    }

    /// T-cell moves per tick of the pack (its scenes agree on it): 0 without T cells.
    fn moves_per_tick(&self) -> u32 {
        self.immune
            .iter()
            .flatten()
            .find(|(p, _)| p.enabled != 0)
            .map_or(0, |(p, _)| p.moves_per_tick)
    }

    pub(super) fn write_drugs(&self, scene: usize) {
        if let Some((set, tables)) = &self.drugs[scene] {
            let q = self.ctx.queue();
            let set_bytes = std::mem::size_of::<DrugSet>() as u64;
            q.write_buffer(
                &self.buffers.drug_set,
                scene as u64 * set_bytes,
                bytemuck::bytes_of(set),
            );
            if !tables.is_empty() {
                let table_bytes = 4 * PD_TABLE_LEN as u64 * self.buffers.shape.n_drugs as u64;
                q.write_buffer(
                    &self.buffers.pd_table,
                    scene as u64 * table_bytes,
                    bytemuck::cast_slice(tables),
                );
            }
        }
    }

    /// Sets scene `scene`'s drugs (`Backend::configure_drugs`).
    pub(super) fn configure_scene_drugs(
        &mut self,
        scene: usize,
        set: &DrugSet,
        pd_tables: &[u32],
    ) -> Result<(), EngineError> {
        if pd_tables.len() < PD_TABLE_LEN * set.n_drugs as usize {
            return Err(EngineError::Gpu(format!(
                "{} PD thresholds for {} drugs",
                pd_tables.len(),
                set.n_drugs
            )));
        }
        let n = PD_TABLE_LEN * set.n_drugs as usize;
        self.drugs[scene] = Some((*set, pd_tables[..n].to_vec()));
        let shape = Shape {
            n_drugs: set.n_drugs,
            ..self.buffers.shape
        };
        if shape == self.buffers.shape {
            self.write_drugs(scene);
            Ok(())
        } else {
            self.reshape(shape)
        }
    }

    pub(super) fn check_shape(
        &self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<(), EngineError> {
        let n = sim.nx as u64 * sim.ny as u64 * sim.nz as u64;
        let shape = self.buffers.shape;
        if n != sim.n_sites as u64 || n != shape.n_sites {
            return Err(EngineError::Gpu(format!(
                "parameters describe a {}×{}×{} lattice ({} sites) but the device holds {} sites",
                sim.nx, sim.ny, sim.nz, sim.n_sites, shape.n_sites
            )));
        }
        if fields.len() as u64 != shape.n_fields() {
            return Err(EngineError::Gpu(format!(
                "{} field parameters for a device holding {} fields",
                fields.len(),
                shape.n_fields()
            )));
        }
        if let Some(f) = fields.iter().find(|f| f.max_sweeps > shape.sweep_capacity) {
            return Err(EngineError::Gpu(format!(
                "max_sweeps {} exceeds the {} sweeps the device was created for",
                f.max_sweeps, shape.sweep_capacity
            )));
        }
        Ok(())
    }

    /// Remembers what scene `scene`'s next dispatches read.
    pub(super) fn set_params(
        &mut self,
        scene: usize,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<(), EngineError> {
        self.check_shape(sim, fields)?;
        // Checked when a scene first sets its parameters: its kernels do not change
        // within a run, and this runs for every lane on every tick.
        let others = self
            .params
            .iter()
            .enumerate()
            .filter(|&(s, _)| s != scene)
            .find_map(|(_, p)| p.as_ref())
            .filter(|_| self.params[scene].is_none());
        if let Some(first) = others {
            if KernelVariant::of(&first.sim, &first.fields) != KernelVariant::of(sim, fields) {
                return Err(EngineError::Gpu(
                    "a scene of a pack needs kernels compiled otherwise than the pack's \
                     (its field terms, actions or census sums differ)"
                        .into(),
                ));
            }
        }
        self.params[scene] = Some(SceneParams {
            sim: *sim,
            fields: fields.to_vec(),
        });
        Ok(())
    }

    pub(super) fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
    }

    /// Writes the parameters of every scene (staged before the next submit), with
    /// `active[s]` saying which scenes the dispatches advance: each scene's field
    /// parameters with the half-sweep grid as `sweep_groups`, and that grid (all
    /// scenes) as the full indirect size each field's solve starts from. Returns the
    /// parameters of the first active scene (the dispatch geometry, the same for all).
    pub(super) fn write_params(&mut self, active: &[bool]) -> Result<SimParams, EngineError> {
        let first = (0..self.scenes())
            .find(|&s| active[s] && self.params[s].is_some())
            .ok_or_else(|| EngineError::Gpu("no scene of the pack has parameters".into()))?;
        let lead = self.params[first].clone().expect("found above");
        self.pipelines
            .prepare(self.ctx.device(), &lead.sim, &lead.fields)?;
        let (x, y) = self
            .buffers
            .workgroups(&self.ctx, Pass::FieldSweep, &lead.sim);
        let stride = self.buffers.shape.residual_stride() as u32;
        let k = self.scenes();
        let mut sims = Vec::with_capacity(k);
        let mut all = vec![FieldParams::default(); k * MAX_FIELDS];
        for s in 0..k {
            let p = self.params[s].as_ref().unwrap_or(&lead);
            sims.push(SimParams {
                scene_active: u32::from(active[s]),
                residual_stride: stride,
                ..p.sim
            });
            for (slot, f) in all[s * MAX_FIELDS..].iter_mut().zip(&p.fields) {
                *slot = FieldParams {
                    sweep_groups: [x, y],
                    ..*f
                };
            }
        }
        // The dispatches cover the active scenes, first to last (one for a run's own
        // work, all of a pack for its tick).
        let last = (0..k).rev().find(|&s| active[s]).unwrap_or(first);
        self.range = PackRange {
            first: first as u32,
            count: (last - first + 1) as u32,
            _pad: [0; 2],
        };
        let q = self.ctx.queue();
        q.write_buffer(&self.buffers.sim, 0, bytemuck::cast_slice(&sims));
        q.write_buffer(&self.buffers.fields, 0, bytemuck::cast_slice(&all));
        debug_assert_eq!(
            all.len() * std::mem::size_of::<FieldParams>(),
            k * FIELDS_BYTES as usize
        );
        q.write_buffer(&self.buffers.pack_range, 0, bytemuck::bytes_of(&self.range));
        let count = self.range.count;
        q.write_buffer(&self.full_args, 0, bytemuck::cast_slice(&[x, y, count, 0]));
        Ok(lead.sim)
    }

    /// Only scene `scene` advances in the next dispatches (a run's own blocking work:
    /// its first solve, a scan's census).
    pub(super) fn only(&self, scene: usize) -> Vec<bool> {
        (0..self.scenes()).map(|s| s == scene).collect()
    }
    /// Records sweeps `ranges[f].0 .. ranges[f].1` of each field `f` (nothing where
    /// they are equal). Each sweep is two indirect dispatches whose size `field_guard`
    /// wrote after the previous sweep: the full grid, or nothing once the field's
    /// tolerance is met (the CPU loop's early exit), so converged fields launch no
    /// sweep workgroups. A run starts from the full grid: a field is only continued
    /// while it has not converged.
    fn encode_sweeps(&self, encoder: &mut wgpu::CommandEncoder, ranges: &[(u32, u32)]) {
        let b = &self.buffers;
        let tick = b.substep_offset(None);
        for (f, &(from, to)) in ranges.iter().enumerate() {
            if from >= to {
                continue;
            }
            let f = f as u32;
            encoder.copy_buffer_to_buffer(&self.full_args, 0, &b.next_sweep, 0, 12);
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.fields"),
                timestamp_writes: None,
            });
            pass.set_bind_group(1, &b.a_to_b, &[]);
            pass.set_bind_group(2, &b.fields_group, &[]);
            for index in from..to {
                pass.set_pipeline(self.pipelines.field_sweep(f));
                for colour in 0..2 {
                    pass.set_bind_group(
                        0,
                        &b.params_group,
                        &[b.sweep_offset(f, index, colour), tick],
                    );
                    pass.dispatch_workgroups_indirect(&b.next_sweep, 0);
                }
                if index + 1 < to {
                    pass.set_pipeline(&self.pipelines.field_guard);
                    pass.set_bind_group(0, &b.params_group, &[b.sweep_offset(f, index, 0), tick]);
                    pass.set_bind_group(3, &b.control_group, &[]);
                    pass.dispatch_workgroups(1, 1, 1);
                }
            }
        }
    }

    /// Clears the residual and records the solve of every field of the `active`
    /// scenes into `encoder` (their parameters written by `write_params`). With
    /// chunking (the default, `solve_plan`) it offers each field a chunk of sweeps —
    /// the most any active scene's plan asks for —, submits, reads the residual slots
    /// back and offers more to the fields that some scene still needs; each scene's
    /// sweeps stop at its own tolerance and cap on the device, so they are the sweeps
    /// it would run alone. It then returns a fresh encoder and every active scene's
    /// statistics (empty for the others). Without chunking every field is offered its
    /// cap, nothing is submitted, and the same encoder comes back with `None`.
    #[allow(clippy::type_complexity)]
    pub(super) fn solve(
        &mut self,
        mut encoder: wgpu::CommandEncoder,
        active: &[bool],
    ) -> Result<(wgpu::CommandEncoder, Option<Vec<Vec<SolveStats>>>), EngineError> {
        encoder.clear_buffer(&self.buffers.residual, 0, None);
        let k = self.scenes();
        let n_fields = self.buffers.shape.n_fields() as usize;
        let cap_of = |p: &Option<SceneParams>, f: usize| {
            p.as_ref().map_or(1, |p| p.fields[f].max_sweeps.max(1))
        };
        let live: Vec<usize> = (0..k).filter(|&s| active[s]).collect();
        let max: Vec<u32> = (0..n_fields)
            .map(|f| {
                live.iter()
                    .map(|&s| cap_of(&self.params[s], f))
                    .max()
                    .unwrap_or(1)
            })
            .collect();
        let mut end: Vec<u32> = if self.chunked_solve {
            (0..n_fields)
                .map(|f| {
                    live.iter()
                        .map(|&s| self.plans[s].first_chunk(f, cap_of(&self.params[s], f)))
                        .max()
                        .unwrap_or(1)
                })
                .collect()
        } else {
            max.clone()
        };
        let ranges: Vec<(u32, u32)> = end.iter().map(|&e| (0, e)).collect();
        self.encode_sweeps(&mut encoder, &ranges);
        if !self.chunked_solve {
            return Ok((encoder, None));
        }
        let cap = self.buffers.shape.sweep_capacity as usize;
        let stride = self.buffers.shape.residual_stride() as usize;
        let mut stats: Vec<Vec<Option<SolveStats>>> = vec![vec![None; n_fields]; k];
        loop {
            let probe = [(&self.buffers.residual, &self.residual_probe)];
            let parts = read_staged(&self.ctx, encoder, &probe)?;
            let bits: Vec<u32> = cast_vec(&parts[0]);
            let mut ranges = vec![(0, 0); n_fields];
            for f in 0..n_fields {
                let mut more = false;
                for &s in &live {
                    if stats[s][f].is_some() {
                        continue;
                    }
                    let p = self.params[s]
                        .as_ref()
                        .expect("active scenes have parameters");
                    let own_cap = cap_of(&self.params[s], f);
                    let at = s * stride + f * cap;
                    let slots = &bits[at..at + cap];
                    // Sweeps past the scene's own cap never ran for it.
                    let offered = end[f].min(own_cap);
                    match solve_plan::finished(slots, offered, own_cap, p.fields[f].tolerance) {
                        Some(done) => {
                            self.plans[s].record(f, done);
                            stats[s][f] = Some(done);
                        }
                        None => more = true,
                    }
                }
                if more {
                    let next = SolvePlan::next_end(end[f], max[f]);
                    ranges[f] = (end[f], next);
                    end[f] = next;
                }
            }
            encoder = self.encoder("oncolattice.solve_more");
            if ranges.iter().all(|&(from, to)| from >= to) {
                let out = stats
                    .into_iter()
                    .map(|per| per.into_iter().flatten().collect())
                    .collect();
                return Ok((encoder, Some(out)));
            }
            self.encode_sweeps(&mut encoder, &ranges);
        }
    }

    /// Runs one tick of every scene with `ticks[s] = Some(report)` (their parameters set
    /// by `set_params`): fields, cells, resolve, clone_assign, the T cells' moves
    /// (`moves_per_tick` × immune_moves and resolve, each with its substep's key), and
    /// the census when some scene reports. The other scenes of the pack are left as they
    /// are.
    pub(super) fn tick_pack(&mut self, ticks: &[Option<bool>]) -> Result<(), EngineError> {
        let active: Vec<bool> = ticks.iter().map(Option::is_some).collect();
        let reporting: Vec<usize> = (0..ticks.len())
            .filter(|&s| ticks[s] == Some(true))
            .collect();
        let slot = if reporting.is_empty() {
            None
        } else {
            Some(self.ring.acquire(&self.ctx, &mut self.ready)?)
        };
        let lead = self.write_params(&active)?;
        let encoder = self.encoder("oncolattice.tick");
        let (mut encoder, stats) = self.solve(encoder, &active)?;
        match stats {
            Some(stats) => {
                for (s, st) in stats.into_iter().enumerate() {
                    if active[s] {
                        self.last_solve[s] = st;
                    }
                }
            }
            None => self.last_solve.iter_mut().for_each(Vec::clear),
        }
        let mutates = (0..ticks.len())
            .any(|s| active[s] && self.drugs[s].as_ref().is_some_and(|(set, _)| set.mutates()));
        let b = &self.buffers;
        if slot.is_some() {
            encoder.copy_buffer_to_buffer(&b.census_clear, 0, &b.census, 0, b.census.size());
        }
        let moves = self.moves_per_tick();
        {
            let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.cells"),
                timestamp_writes: None,
            });
            self.encode_pass(&mut cpass, Pass::Cells, &lead, &b.a_to_b, 0, 0);
            self.encode_pass(&mut cpass, Pass::Resolve, &lead, &b.b_to_a, 0, 0);
            if mutates {
                // Numbers the mutants resolve wrote into A.
                self.encode_pass(&mut cpass, Pass::CloneAssign, &lead, &b.b_to_a, 0, 0);
            }
            // The T cells' moves, each settled by resolve with the substep's key: the
            // state goes A → B, B → A, … (immune_moves reads the src of the group).
            for m in 0..moves {
                let group = if m % 2 == 0 { &b.a_to_b } else { &b.b_to_a };
                let at = b.substep_offset(Some(m));
                self.encode_pass_at(&mut cpass, Pass::ImmuneMoves, &lead, group, 0, 0, at);
                self.encode_pass_at(&mut cpass, Pass::Resolve, &lead, group, 0, 0, at);
            }
        }
        if moves % 2 == 1 {
            // An odd number of moves left the state in B: back to A, scene by scene (a
            // scene not advancing keeps its own A).
            let bytes = 16 * b.shape.n_sites;
            for s in (0..ticks.len()).filter(|&s| active[s]) {
                let at = s as u64 * bytes;
                encoder.copy_buffer_to_buffer(&b.b, at, &b.a, at, bytes);
            }
        }
        if slot.is_some() {
            let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.census"),
                timestamp_writes: None,
            });
            self.encode_pass(&mut cpass, Pass::Census, &lead, &b.a_to_b, 0, 0);
        }
        if let Some(slot) = slot {
            self.ring
                .encode_copy(slot, &mut encoder, &b.census, &b.residual);
        }
        self.ctx.queue().submit([encoder.finish()]);
        if let Some(slot) = slot {
            let requests = reporting
                .iter()
                .map(|&s| {
                    let p = self.params[s]
                        .as_ref()
                        .expect("ticking scenes have parameters");
                    // Field 0 (oxygen) owns the first residual slots of each scene.
                    ReportRequest {
                        scene: s,
                        tick: p.sim.tick as u64 + 1,
                        sweeps: p.fields[0].max_sweeps.max(1),
                        tolerance: p.fields[0].tolerance,
                    }
                })
                .collect();
            self.ring.submitted(slot, requests);
        }
        self.ctx.check()
    }

    /// Replaces scene `scene`'s state.
    pub(super) fn upload_scene(
        &mut self,
        scene: usize,
        state: &HostState,
    ) -> Result<(), EngineError> {
        state.check()?;
        self.reshape(Shape {
            n_sites: state.sites.len() as u64,
            n_drugs: state.n_drugs() as u32,
            n_factors: state.n_factors() as u32,
            ..self.buffers.shape
        })?;
        self.ring.harvest(&self.ctx, true, &mut self.ready)?;
        let (q, b) = (self.ctx.queue(), &self.buffers);
        let n = b.shape.n_sites;
        let all = b.shape.all_sites();
        let s = scene as u64;
        q.write_buffer(&b.a, 16 * s * n, bytemuck::cast_slice(&state.sites));
        q.write_buffer(&b.b, 16 * s * n, bytemuck::cast_slice(&state.sites));
        q.write_buffer(
            &b.site_code,
            4 * s * n,
            bytemuck::cast_slice(&site_codes(&state.sites)),
        );
        for (f, values) in state.fields.chunks(n as usize).enumerate() {
            q.write_buffer(
                &b.conc,
                4 * (f as u64 * all + s * n),
                bytemuck::cast_slice(values),
            );
        }
        for (d, values) in state.exposure.chunks(n as usize).enumerate() {
            q.write_buffer(
                &b.exposure,
                4 * (d as u64 * all + s * n),
                bytemuck::cast_slice(values),
            );
        }
        q.write_buffer(
            &b.lineage,
            s * LINEAGE_BYTES,
            bytemuck::cast_slice(&state.lineage.to_words()),
        );
        let mut encoder = self.encoder("oncolattice.upload");
        encoder.clear_buffer(&b.wish, 4 * s * n, Some(4 * n));
        q.submit([encoder.finish()]);
        self.ctx.check()
    }

    /// Reads scene `scene`'s state back (blocking).
    pub(super) fn download_scene(&mut self, scene: usize) -> Result<HostState, EngineError> {
        let b = &self.buffers;
        let n = b.shape.n_sites;
        let all = b.shape.all_sites();
        let s = scene as u64;
        let n_drugs = b.shape.n_drugs as u64;
        let n_fields = b.shape.n_fields();
        let mut ranges = vec![
            (&b.a, 16 * s * n, 16 * n),
            (&b.lineage, s * LINEAGE_BYTES, LINEAGE_BYTES),
        ];
        for f in 0..n_fields {
            ranges.push((&b.conc, 4 * (f * all + s * n), 4 * n));
        }
        for d in 0..n_drugs {
            ranges.push((&b.exposure, 4 * (d * all + s * n), 4 * n));
        }
        let encoder = self.encoder("oncolattice.download");
        let parts = read_blocking_at(&self.ctx, encoder, &ranges)?;
        let fields: Vec<f32> = parts[2..2 + n_fields as usize]
            .iter()
            .flat_map(|p| cast_vec::<f32>(p))
            .collect();
        let exposure: Vec<u32> = parts[2 + n_fields as usize..]
            .iter()
            .flat_map(|p| cast_vec::<u32>(p))
            .collect();
        Ok(HostState {
            sites: cast_vec(&parts[0]),
            fields,
            n_drugs: n_drugs as usize,
            exposure,
            lineage: Lineage::from_words(&cast_vec::<u32>(&parts[1])).map_err(EngineError::Gpu)?,
        })
    }

    /// Solves every field of scene `scene` alone (`Backend::solve_blocking`).
    pub(super) fn solve_scene(
        &mut self,
        scene: usize,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Vec<SolveStats>, EngineError> {
        self.set_params(scene, sim, fields)?;
        let active = self.only(scene);
        self.write_params(&active)?;
        let encoder = self.encoder("oncolattice.solve");
        let (encoder, stats) = self.solve(encoder, &active)?;
        if let Some(mut stats) = stats {
            return Ok(std::mem::take(&mut stats[scene]));
        }
        let capacity = self.buffers.shape.sweep_capacity.max(1) as u64;
        let stride = self.buffers.shape.residual_stride();
        let parts = read_blocking_at(
            &self.ctx,
            encoder,
            &[(
                &self.buffers.residual,
                4 * scene as u64 * stride,
                4 * capacity * fields.len() as u64,
            )],
        )?;
        let slots = cast_vec::<u32>(&parts[0]);
        let capacity = capacity as usize;
        Ok(fields
            .iter()
            .enumerate()
            .map(|(f, field)| {
                let sweeps = field.max_sweeps.max(1) as usize;
                solve_stats(&slots[f * capacity..f * capacity + sweeps], field.tolerance)
            })
            .collect())
    }

    /// The census of scene `scene`'s current state, counted on the device (blocking).
    pub(super) fn census_scene(
        &mut self,
        scene: usize,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Census, EngineError> {
        self.set_params(scene, sim, fields)?;
        let lead = self.write_params(&self.only(scene))?;
        let b = &self.buffers;
        let at = scene as u64 * CENSUS_BYTES;
        let mut encoder = self.encoder("oncolattice.census_now");
        encoder.copy_buffer_to_buffer(&b.census_clear, 0, &b.census, at, CENSUS_BYTES);
        {
            let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.census_now"),
                timestamp_writes: None,
            });
            self.encode_pass(&mut cpass, Pass::Census, &lead, &b.a_to_b, 0, 0);
        }
        let parts = read_blocking_at(&self.ctx, encoder, &[(&b.census, at, CENSUS_BYTES)])?;
        Ok(bytemuck::pod_read_unaligned(&parts[0]))
    }

    /// Scene `scene` no longer advances (its run has ended); the others go on.
    pub(super) fn retire_scene(&mut self, scene: usize) {
        self.ready[scene].clear();
        self.last_solve[scene].clear();
    }

    /// Moves the reports that have arrived into `ready` (waiting for all with `wait`).
    pub(super) fn harvest(&mut self, wait: bool) -> Result<(), EngineError> {
        self.ring.harvest(&self.ctx, wait, &mut self.ready)?;
        if self.ring.is_idle() {
            // Nothing in flight: still surface errors of submits without a report.
            poll(&self.ctx, false)?;
        }
        Ok(())
    }

    /// Offer every field all its sweeps at once (`false`), as before chunking, or in
    /// chunks (`true`, the default). The results are the same; benchmarks compare the
    /// two.
    pub fn set_chunked_solve(&mut self, on: bool) {
        self.chunked_solve = on;
    }

    /// Seconds per dispatch of `pass` alone, for `oncolattice bench`: `reps` dispatches
    /// recorded into one compute pass and one submit, timed with timestamp queries
    /// when the device has `TIMESTAMP_QUERY` (`GpuContext::from_adapter` asks for it
    /// where the adapter offers it), otherwise host-timed from the submit until the
    /// device is idle (staged uniforms are flushed by an untimed submit first). A
    /// field sweep is the colour-0 half-sweep of field `field`. The kernels run on the
    /// resident state and change it (repeated cells, resolve, census): upload again
    /// before ticking if the state matters. For `Pass::ImmuneMoves` a dispatch is one
    /// T-cell move, immune_moves and resolve with substep r's key (r = 0..reps), as a
    /// tick makes them; the moves change the state.
    pub fn time_pass(
        &mut self,
        pass: Pass,
        sim: &SimParams,
        fields: &[FieldParams],
        field: u32,
        reps: u32,
    ) -> Result<f64, EngineError> {
        self.set_params(0, sim, fields)?;
        self.write_params(&self.only(0))?;
        let b = &self.buffers;
        let spare = b.spare_sweep_offset();
        let sweep = SweepParams {
            colour: 0,
            index: 0,
            field,
            residual_slot: b.residual_slot(field, 0),
        };
        self.ctx
            .queue()
            .write_buffer(&b.sweeps, spare as u64, bytemuck::bytes_of(&sweep));
        self.ctx
            .queue()
            .submit([self.encoder("oncolattice.bench.flush").finish()]);
        poll(&self.ctx, true)?;
        let device = self.ctx.device();
        let stamps = device
            .features()
            .contains(wgpu::Features::TIMESTAMP_QUERY)
            .then(|| {
                let set = device.create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("oncolattice.bench.timestamps"),
                    ty: wgpu::QueryType::Timestamp,
                    count: 2,
                });
                let resolved = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("oncolattice.bench.timestamps_resolved"),
                    size: 16,
                    usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                });
                (set, resolved)
            });
        let mut encoder = self.encoder("oncolattice.bench.pass");
        {
            let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.bench"),
                timestamp_writes: stamps.as_ref().map(|(set, _)| {
                    wgpu::ComputePassTimestampWrites {
                        query_set: set,
                        beginning_of_pass_write_index: Some(0),
                        end_of_pass_write_index: Some(1),
                    }
                }),
            });
            for r in 0..reps.max(1) {
                if pass == Pass::ImmuneMoves {
                    // One T-cell move as the tick makes it (`tick_pack`): immune_moves
                    // and resolve with substep r's key, A → B, then B → A, …
                    let group = if r % 2 == 0 { &b.a_to_b } else { &b.b_to_a };
                    let at = b.substep_offset(Some(r));
                    self.encode_pass_at(&mut cpass, pass, sim, group, spare, field, at);
                    self.encode_pass_at(&mut cpass, Pass::Resolve, sim, group, spare, field, at);
                } else {
                    self.encode_pass(&mut cpass, pass, sim, &b.a_to_b, spare, field);
                }
            }
        }
        if let Some((set, resolved)) = &stamps {
            // Device time between the pass's first and last dispatch.
            encoder.resolve_query_set(set, 0..2, resolved, 0);
            let parts = read_blocking(&self.ctx, encoder, &[(resolved, 16)])?;
            let t: Vec<u64> = cast_vec(&parts[0]);
            let ns =
                t[1].saturating_sub(t[0]) as f64 * self.ctx.queue().get_timestamp_period() as f64;
            return Ok(ns * 1e-9 / reps.max(1) as f64);
        }
        let commands = encoder.finish();
        let t0 = std::time::Instant::now();
        self.ctx.queue().submit([commands]);
        poll(&self.ctx, true)?;
        Ok(t0.elapsed().as_secs_f64() / reps.max(1) as f64)
    }

    /// One dispatch of `pass` with the given cells group (A → B, or B → A for resolve),
    /// with the tick's own RNG key.
    pub(super) fn encode_pass(
        &self,
        cpass: &mut wgpu::ComputePass<'_>,
        pass: Pass,
        sim: &SimParams,
        cells_group: &wgpu::BindGroup,
        sweep_offset: u32,
        field: u32,
    ) {
        let tick = self.buffers.substep_offset(None);
        self.encode_pass_at(cpass, pass, sim, cells_group, sweep_offset, field, tick);
    }

    /// `encode_pass` with the `Substep` slot at dynamic offset `substep_offset`
    /// (`Buffers::substep_offset`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn encode_pass_at(
        &self,
        cpass: &mut wgpu::ComputePass<'_>,
        pass: Pass,
        sim: &SimParams,
        cells_group: &wgpu::BindGroup,
        sweep_offset: u32,
        field: u32,
        substep_offset: u32,
    ) {
        let b = &self.buffers;
        cpass.set_pipeline(self.pipelines.get(pass, field));
        cpass.set_bind_group(0, &b.params_group, &[sweep_offset, substep_offset]);
        cpass.set_bind_group(1, cells_group, &[]);
        cpass.set_bind_group(2, &b.fields_group, &[]);
        let (x, y) = b.workgroups(&self.ctx, pass, sim);
        // The scenes `write_params` chose; those among them not advancing return at once.
        cpass.dispatch_workgroups(x, y, self.range.count.max(1));
    }
}

/// Bytes of every scene's residual slots.
fn residual_bytes(shape: Shape) -> u64 {
    4 * shape.n_scenes.max(1) as u64 * shape.residual_stride()
}

/// What the field sweeps read of each site (`Site::solve_code`), for the sites the host
/// uploads as state A.
pub(super) fn site_codes(sites: &[crate::model::site::Site]) -> Vec<u32> {
    sites.iter().map(|s| s.solve_code()).collect()
}
