//! `GpuBackend`: the tick's passes, pass for pass what `engine::cpu::CpuBackend` does.
//! A tick is one submit for the solve's first chunks of sweeps (`solve_plan`), a small
//! blocking read of the residual slots (and further chunks when a field needs them),
//! and one submit for cells, resolve, clone_assign and census; reports come back
//! through the asynchronous ring.

use super::buffers::{bytes_per_site, Buffers, Shape, CENSUS_BYTES, LINEAGE_BYTES};
use super::pipelines::Pipelines;
use super::readback::{cast_vec, poll, read_blocking, read_staged, ReportRing, Staging};
use super::solve_plan::{self, SolvePlan};
use super::GpuContext;
use crate::engine::{
    solve_stats, Backend, BackendInfo, EngineError, HostState, KernelIo, Pass, SolveStats,
    TickReport,
};
use crate::model::census::Census;
use crate::model::drug_params::DrugSet;
use crate::model::lineage::{self, Lineage};
use crate::model::params::{FieldParams, SimParams, SweepParams, MAX_FIELDS};
use crate::model::pd::PD_TABLE_LEN;
use crate::scene::Scene;
use std::collections::VecDeque;
use std::sync::Arc;

/// The lattice on one device. Memory: `buffers::bytes_per_site` (44 B + 8 B per drug + 4 B per factor)
/// per site plus a fixed part; lattices past the device's limits are refused up front
/// (`TooLarge`).
pub struct GpuBackend {
    ctx: Arc<GpuContext>,
    pipelines: Pipelines,
    buffers: Buffers,
    ring: ReportRing,
    /// The grid of a full half-sweep, copied into `next_sweep` before each field's solve.
    full_args: wgpu::Buffer,
    /// Drug parameters and PD tables, re-sent whenever the buffers are reallocated.
    drugs: Option<(DrugSet, Vec<u32>)>,
    /// Reports already off the device, not yet handed out.
    ready: VecDeque<TickReport>,
    /// Whether solves are offered in chunks (`solve_plan`), and the counts they follow.
    chunked_solve: bool,
    plan: SolvePlan,
    /// Every field's solve of the last tick (empty without chunks).
    last_solve: Vec<SolveStats>,
    /// Receives the residual slots between chunks; sized with the buffers.
    residual_probe: Staging,
}

impl GpuBackend {
    pub fn new(ctx: Arc<GpuContext>, scene: &Scene) -> Result<GpuBackend, EngineError> {
        let shape = Shape {
            n_sites: scene.site_count(),
            n_drugs: scene.drugs.len() as u32,
            n_factors: scene.factors.len() as u32,
            sweep_capacity: scene.oxygen.max_sweeps_per_tick.max(1),
        };
        let device = ctx.device();
        let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let invalid = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let made = (|| {
            let pipelines = Pipelines::new(device)?;
            let buffers = Buffers::new(&ctx, &pipelines.layouts, shape)?;
            let ring = ReportRing::new(&ctx, shape.sweep_capacity);
            Ok::<_, EngineError>((pipelines, buffers, ring))
        })();
        let invalid = pollster::block_on(invalid.pop());
        let oom = pollster::block_on(oom.pop());
        if let Some(e) = oom {
            return Err(EngineError::TooLarge(format!(
                "{} ran out of memory for {} sites ({} B/site): {e}",
                ctx.describe(),
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
        Ok(GpuBackend {
            ctx,
            pipelines,
            buffers,
            ring,
            full_args,
            drugs: None,
            ready: VecDeque::new(),
            chunked_solve: true,
            plan: SolvePlan::default(),
            last_solve: Vec::new(),
            residual_probe,
        })
    }

    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// Reallocates every buffer for `shape` (state is lost; callers upload) after
    /// collecting reports in flight, and re-sends the drug data.
    fn reshape(&mut self, shape: Shape) -> Result<(), EngineError> {
        if shape == self.buffers.shape {
            return Ok(());
        }
        self.ring.harvest(&self.ctx, true, &mut self.ready)?;
        self.buffers = Buffers::new(&self.ctx, &self.pipelines.layouts, shape)?;
        self.residual_probe = Staging::new(
            &self.ctx,
            "oncolattice.residual_probe",
            residual_bytes(self.buffers.shape),
        );
        if shape.sweep_capacity != self.ring_capacity() {
            self.ring = ReportRing::new(&self.ctx, shape.sweep_capacity);
        }
        self.write_drugs();
        Ok(())
    }

    fn ring_capacity(&self) -> u32 {
        self.ring.residual_capacity()
    }

    fn write_drugs(&self) {
        if let Some((set, tables)) = &self.drugs {
            let q = self.ctx.queue();
            q.write_buffer(&self.buffers.drug_set, 0, bytemuck::bytes_of(set));
            if !tables.is_empty() {
                q.write_buffer(&self.buffers.pd_table, 0, bytemuck::cast_slice(tables));
            }
        }
    }

    fn check_shape(&self, sim: &SimParams, fields: &[FieldParams]) -> Result<(), EngineError> {
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

    fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
    }

    /// Writes the uniforms (staged before the next submit): every field's parameters
    /// with this lattice's half-sweep grid as `sweep_groups`, and that grid as the full
    /// indirect size each field's solve starts from.
    fn write_params(&mut self, sim: &SimParams, fields: &[FieldParams]) -> Result<(), EngineError> {
        self.pipelines.prepare(self.ctx.device(), sim, fields)?;
        let q = self.ctx.queue();
        let (x, y) = self.buffers.workgroups(&self.ctx, Pass::FieldSweep, sim);
        let mut all = [FieldParams::default(); MAX_FIELDS];
        for (slot, f) in all.iter_mut().zip(fields) {
            *slot = FieldParams {
                sweep_groups: [x, y],
                ..*f
            };
        }
        q.write_buffer(&self.buffers.sim, 0, bytemuck::bytes_of(sim));
        q.write_buffer(&self.buffers.fields, 0, bytemuck::cast_slice(&all));
        q.write_buffer(&self.full_args, 0, bytemuck::cast_slice(&[x, y, 1u32, 0]));
        Ok(())
    }

    /// Records sweeps `ranges[f].0 .. ranges[f].1` of each field `f` (nothing where
    /// they are equal). Each sweep is two indirect dispatches whose size `field_guard`
    /// wrote after the previous sweep: the full grid, or nothing once the field's
    /// tolerance is met (the CPU loop's early exit), so converged fields launch no
    /// sweep workgroups. A run starts from the full grid: a field is only continued
    /// while it has not converged.
    fn encode_sweeps(&self, encoder: &mut wgpu::CommandEncoder, ranges: &[(u32, u32)]) {
        let b = &self.buffers;
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
                    pass.set_bind_group(0, &b.params_group, &[b.sweep_offset(f, index, colour)]);
                    pass.dispatch_workgroups_indirect(&b.next_sweep, 0);
                }
                if index + 1 < to {
                    pass.set_pipeline(&self.pipelines.field_guard);
                    pass.set_bind_group(0, &b.params_group, &[b.sweep_offset(f, index, 0)]);
                    pass.set_bind_group(3, &b.control_group, &[]);
                    pass.dispatch_workgroups(1, 1, 1);
                }
            }
        }
    }

    /// Clears the residual and records the solve of every field into `encoder`.
    /// With chunking (the default, `solve_plan`) it offers each field a chunk of
    /// sweeps, submits, reads the residual slots back and offers more to the fields
    /// that need them; it then returns a fresh encoder and every field's statistics.
    /// (It reads back even when the first chunks reach every cap, to learn the counts
    /// for the next tick.) Without chunking every field is offered its cap, nothing is
    /// submitted, and the same encoder comes back with `None`.
    fn solve(
        &mut self,
        mut encoder: wgpu::CommandEncoder,
        fields: &[FieldParams],
    ) -> Result<(wgpu::CommandEncoder, Option<Vec<SolveStats>>), EngineError> {
        encoder.clear_buffer(&self.buffers.residual, 0, None);
        let max: Vec<u32> = fields.iter().map(|f| f.max_sweeps.max(1)).collect();
        let mut end: Vec<u32> = if self.chunked_solve {
            (0..fields.len())
                .map(|f| self.plan.first_chunk(f, max[f]))
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
        let mut stats: Vec<Option<SolveStats>> = vec![None; fields.len()];
        loop {
            let probe = [(&self.buffers.residual, &self.residual_probe)];
            let parts = read_staged(&self.ctx, encoder, &probe)?;
            let bits: Vec<u32> = cast_vec(&parts[0]);
            let mut ranges = vec![(0, 0); fields.len()];
            for (f, field) in fields.iter().enumerate() {
                if stats[f].is_some() {
                    continue;
                }
                let slots = &bits[f * cap..(f + 1) * cap];
                match solve_plan::finished(slots, end[f], max[f], field.tolerance) {
                    Some(s) => {
                        self.plan.record(f, s);
                        stats[f] = Some(s);
                    }
                    None => {
                        let next = SolvePlan::next_end(end[f], max[f]);
                        ranges[f] = (end[f], next);
                        end[f] = next;
                    }
                }
            }
            encoder = self.encoder("oncolattice.solve_more");
            if stats.iter().all(Option::is_some) {
                return Ok((encoder, Some(stats.into_iter().flatten().collect())));
            }
            self.encode_sweeps(&mut encoder, &ranges);
        }
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
    /// before ticking if the state matters.
    pub fn time_pass(
        &mut self,
        pass: Pass,
        sim: &SimParams,
        fields: &[FieldParams],
        field: u32,
        reps: u32,
    ) -> Result<f64, EngineError> {
        self.check_shape(sim, fields)?;
        self.write_params(sim, fields)?;
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
            for _ in 0..reps.max(1) {
                self.encode_pass(&mut cpass, pass, sim, &b.a_to_b, spare, field);
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

    /// One dispatch of `pass` with the given cells group (A → B, or B → A for resolve).
    fn encode_pass(
        &self,
        cpass: &mut wgpu::ComputePass<'_>,
        pass: Pass,
        sim: &SimParams,
        cells_group: &wgpu::BindGroup,
        sweep_offset: u32,
        field: u32,
    ) {
        let b = &self.buffers;
        cpass.set_pipeline(self.pipelines.get(pass, field));
        cpass.set_bind_group(0, &b.params_group, &[sweep_offset]);
        cpass.set_bind_group(1, cells_group, &[]);
        cpass.set_bind_group(2, &b.fields_group, &[]);
        let (x, y) = b.workgroups(&self.ctx, pass, sim);
        cpass.dispatch_workgroups(x, y, 1);
    }
}

impl Backend for GpuBackend {
    fn info(&self) -> BackendInfo {
        let i = self.ctx.info();
        BackendInfo {
            kind: crate::engine::BackendKind::Gpu,
            device: i.name.clone(),
            detail: {
                let driver: Vec<&str> = [i.driver.trim(), i.driver_info.trim()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect();
                format!("{:?}, {:?}, {}", i.backend, i.device_type, driver.join(" "))
            },
        }
    }

    fn configure_drugs(&mut self, set: &DrugSet, pd_tables: &[u32]) -> Result<(), EngineError> {
        if pd_tables.len() < PD_TABLE_LEN * set.n_drugs as usize {
            return Err(EngineError::Gpu(format!(
                "{} PD thresholds for {} drugs",
                pd_tables.len(),
                set.n_drugs
            )));
        }
        self.drugs = Some((*set, pd_tables.to_vec()));
        let shape = Shape {
            n_drugs: set.n_drugs,
            ..self.buffers.shape
        };
        if shape == self.buffers.shape {
            self.write_drugs();
            Ok(())
        } else {
            self.reshape(shape)
        }
    }

    fn upload(&mut self, state: &HostState) -> Result<(), EngineError> {
        state.check()?;
        self.reshape(Shape {
            n_sites: state.sites.len() as u64,
            n_drugs: state.n_drugs() as u32,
            n_factors: state.n_factors() as u32,
            ..self.buffers.shape
        })?;
        self.ring.harvest(&self.ctx, true, &mut self.ready)?;
        let (q, b) = (self.ctx.queue(), &self.buffers);
        q.write_buffer(&b.a, 0, bytemuck::cast_slice(&state.sites));
        q.write_buffer(&b.b, 0, bytemuck::cast_slice(&state.sites));
        q.write_buffer(
            &b.site_code,
            0,
            bytemuck::cast_slice(&site_codes(&state.sites)),
        );
        q.write_buffer(&b.conc, 0, bytemuck::cast_slice(&state.fields));
        if !state.exposure.is_empty() {
            q.write_buffer(&b.exposure, 0, bytemuck::cast_slice(&state.exposure));
        }
        q.write_buffer(
            &b.lineage,
            0,
            bytemuck::cast_slice(&state.lineage.to_words()),
        );
        let mut encoder = self.encoder("oncolattice.upload");
        encoder.clear_buffer(&b.wish, 0, None);
        q.submit([encoder.finish()]);
        self.ctx.check()
    }

    fn download(&mut self) -> Result<HostState, EngineError> {
        let b = &self.buffers;
        let n = b.shape.n_sites;
        let n_drugs = b.shape.n_drugs as u64;
        let encoder = self.encoder("oncolattice.download");
        let parts = read_blocking(
            &self.ctx,
            encoder,
            &[
                (&b.a, 16 * n),
                (&b.conc, 4 * n * b.shape.n_fields()),
                (&b.exposure, 4 * n * n_drugs),
                (&b.lineage, LINEAGE_BYTES),
            ],
        )?;
        Ok(HostState {
            sites: cast_vec(&parts[0]),
            fields: cast_vec(&parts[1]),
            n_drugs: n_drugs as usize,
            exposure: cast_vec(&parts[2]),
            lineage: Lineage::from_words(&cast_vec::<u32>(&parts[3])).map_err(EngineError::Gpu)?,
        })
    }

    fn solve_blocking(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Vec<SolveStats>, EngineError> {
        self.check_shape(sim, fields)?;
        self.write_params(sim, fields)?;
        let encoder = self.encoder("oncolattice.solve");
        let (encoder, stats) = self.solve(encoder, fields)?;
        if let Some(stats) = stats {
            return Ok(stats);
        }
        let capacity = self.buffers.shape.sweep_capacity.max(1) as usize;
        let parts = read_blocking(
            &self.ctx,
            encoder,
            &[(&self.buffers.residual, 4 * (capacity * fields.len()) as u64)],
        )?;
        let slots = cast_vec::<u32>(&parts[0]);
        Ok(fields
            .iter()
            .enumerate()
            .map(|(f, field)| {
                let sweeps = field.max_sweeps.max(1) as usize;
                solve_stats(&slots[f * capacity..f * capacity + sweeps], field.tolerance)
            })
            .collect())
    }

    fn tick(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
        report: bool,
    ) -> Result<(), EngineError> {
        self.check_shape(sim, fields)?;
        let sweeps = fields[0].max_sweeps.max(1);
        let slot = if report {
            Some(self.ring.acquire(&self.ctx, &mut self.ready)?)
        } else {
            None
        };
        self.write_params(sim, fields)?;
        let encoder = self.encoder("oncolattice.tick");
        let (mut encoder, stats) = self.solve(encoder, fields)?;
        self.last_solve = stats.unwrap_or_default();
        let b = &self.buffers;
        if report {
            encoder.copy_buffer_to_buffer(&b.census_clear, 0, &b.census, 0, CENSUS_BYTES);
        }
        {
            let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.cells"),
                timestamp_writes: None,
            });
            self.encode_pass(&mut cpass, Pass::Cells, sim, &b.a_to_b, 0, 0);
            self.encode_pass(&mut cpass, Pass::Resolve, sim, &b.b_to_a, 0, 0);
            if self.drugs.as_ref().is_some_and(|(set, _)| set.mutates()) {
                // Numbers the mutants resolve wrote into A.
                self.encode_pass(&mut cpass, Pass::CloneAssign, sim, &b.b_to_a, 0, 0);
            }
            if report {
                self.encode_pass(&mut cpass, Pass::Census, sim, &b.a_to_b, 0, 0);
            }
        }
        if let Some(slot) = slot {
            // Field 0 (oxygen) owns the first residual slots.
            self.ring
                .encode_copy(slot, &mut encoder, &b.census, &b.residual, sweeps);
        }
        self.ctx.queue().submit([encoder.finish()]);
        if let Some(slot) = slot {
            self.ring
                .submitted(slot, sim.tick as u64 + 1, sweeps, fields[0].tolerance);
        }
        self.ctx.check()
    }

    fn last_solve(&self) -> &[SolveStats] {
        &self.last_solve
    }

    fn poll_reports(&mut self, wait: bool) -> Result<Vec<TickReport>, EngineError> {
        self.ring.harvest(&self.ctx, wait, &mut self.ready)?;
        if self.ring.is_idle() {
            // Nothing in flight: still surface errors of submits without a report.
            poll(&self.ctx, false)?;
        }
        Ok(self.ready.drain(..).collect())
    }

    fn census_now(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Census, EngineError> {
        self.check_shape(sim, fields)?;
        self.write_params(sim, fields)?;
        let b = &self.buffers;
        let mut encoder = self.encoder("oncolattice.census_now");
        encoder.copy_buffer_to_buffer(&b.census_clear, 0, &b.census, 0, CENSUS_BYTES);
        {
            let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.census_now"),
                timestamp_writes: None,
            });
            self.encode_pass(&mut cpass, Pass::Census, sim, &b.a_to_b, 0, 0);
        }
        let parts = read_blocking(&self.ctx, encoder, &[(&b.census, CENSUS_BYTES)])?;
        Ok(bytemuck::pod_read_unaligned(&parts[0]))
    }

    fn run_pass(
        &mut self,
        pass: Pass,
        sim: &SimParams,
        fields: &[FieldParams],
        sweep: &SweepParams,
        io: &mut KernelIo,
    ) -> Result<(), EngineError> {
        let n = io.src.len();
        let n_fields = fields.len().max(1);
        let n_drugs = io.exposure.len().checked_div(n).unwrap_or(0);
        if [io.dst.len(), io.wish.len()] != [n; 2]
            || n_fields <= n_drugs
            || io.conc.len() != n * n_fields
            || io.exposure.len() != n * n_drugs
            || io.lineage.len() != lineage::BUFFER_WORDS
        {
            return Err(EngineError::Gpu(format!(
                "KernelIo lengths differ: src {n}, dst {}, wish {}, conc {} ({n_fields} fields), exposure {}, lineage {}",
                io.dst.len(),
                io.wish.len(),
                io.conc.len(),
                io.exposure.len(),
                io.lineage.len()
            )));
        }
        let slots = io.residual.len() as u32;
        let per_field = slots.div_ceil(n_fields as u32).max(1);
        self.reshape(Shape {
            n_sites: n as u64,
            n_drugs: n_drugs as u32,
            n_factors: (n_fields - 1 - n_drugs) as u32,
            sweep_capacity: self.buffers.shape.sweep_capacity.max(per_field),
        })?;
        self.check_shape(sim, fields)?;
        if pass == Pass::FieldSweep && sweep.residual_slot >= slots {
            return Err(EngineError::Gpu(format!(
                "residual slot {} but only {slots} residual slots",
                sweep.residual_slot
            )));
        }
        self.write_params(sim, fields)?;
        let (q, b) = (self.ctx.queue(), &self.buffers);
        q.write_buffer(&b.a, 0, bytemuck::cast_slice(&io.src));
        q.write_buffer(&b.b, 0, bytemuck::cast_slice(&io.dst));
        q.write_buffer(&b.site_code, 0, bytemuck::cast_slice(&site_codes(&io.src)));
        q.write_buffer(&b.wish, 0, bytemuck::cast_slice(&io.wish));
        q.write_buffer(&b.conc, 0, bytemuck::cast_slice(&io.conc));
        if !io.exposure.is_empty() {
            q.write_buffer(&b.exposure, 0, bytemuck::cast_slice(&io.exposure));
        }
        q.write_buffer(&b.census, 0, bytemuck::bytes_of(&io.census));
        q.write_buffer(&b.lineage, 0, bytemuck::cast_slice(&io.lineage));
        let spare = b.spare_sweep_offset();
        q.write_buffer(&b.sweeps, spare as u64, bytemuck::bytes_of(sweep));
        // Slots past the caller's residual read as "not run yet" (zero).
        let mut residual = io.residual.clone();
        residual.resize(
            (b.shape.sweep_capacity as u64 * b.shape.n_fields()) as usize,
            0,
        );
        q.write_buffer(&b.residual, 0, bytemuck::cast_slice(&residual));
        let mut encoder = self.encoder("oncolattice.run_pass");
        {
            let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.single"),
                timestamp_writes: None,
            });
            self.encode_pass(&mut cpass, pass, sim, &b.a_to_b, spare, sweep.field);
        }
        let n = n as u64;
        let parts = read_blocking(
            &self.ctx,
            encoder,
            &[
                (&b.a, 16 * n),
                (&b.b, 16 * n),
                (&b.wish, 4 * n),
                (&b.conc, 4 * n * n_fields as u64),
                (&b.residual, 4 * slots as u64),
                (&b.census, CENSUS_BYTES),
                (&b.exposure, 4 * n * n_drugs as u64),
                (&b.lineage, LINEAGE_BYTES),
            ],
        )?;
        io.src = cast_vec(&parts[0]);
        io.dst = cast_vec(&parts[1]);
        io.wish = cast_vec(&parts[2]);
        io.conc = cast_vec(&parts[3]);
        io.residual = cast_vec(&parts[4]);
        io.census = bytemuck::pod_read_unaligned::<Census>(&parts[5]);
        io.exposure = cast_vec(&parts[6]);
        io.lineage = cast_vec(&parts[7]);
        Ok(())
    }
}

/// Bytes of every field's residual slots.
fn residual_bytes(shape: Shape) -> u64 {
    4 * shape.n_fields() * shape.sweep_capacity.max(1) as u64
}

/// What the field sweeps read of each site (`Site::solve_code`), for the sites the host
/// uploads as state A.
fn site_codes(sites: &[crate::model::site::Site]) -> Vec<u32> {
    sites.iter().map(|s| s.solve_code()).collect()
}
