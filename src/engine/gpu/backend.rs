//! `GpuBackend`: the tick's passes encoded into one submit per tick, pass for pass what
//! `engine::cpu::CpuBackend` does; reports come back through the asynchronous ring.

use super::buffers::{Buffers, CENSUS_BYTES};
use super::pipelines::Pipelines;
use super::readback::{cast_vec, poll, read_blocking, ReportRing};
use super::GpuContext;
use crate::engine::{
    solve_stats, Backend, BackendInfo, EngineError, HostState, KernelIo, Pass, SolveStats,
    TickReport,
};
use crate::model::census::Census;
use crate::model::params::{FieldParams, SimParams, SweepParams};
use crate::scene::Scene;
use std::collections::VecDeque;
use std::sync::Arc;

/// The lattice on one device. Memory: `buffers::BYTES_PER_SITE` (40 B) per site plus a
/// fixed part; lattices past the device's limits are refused up front (`TooLarge`).
pub struct GpuBackend {
    ctx: Arc<GpuContext>,
    pipelines: Pipelines,
    buffers: Buffers,
    ring: ReportRing,
    /// Reports already off the device, not yet handed out.
    ready: VecDeque<TickReport>,
}

impl GpuBackend {
    pub fn new(ctx: Arc<GpuContext>, scene: &Scene) -> Result<GpuBackend, EngineError> {
        let max_sweeps = scene.oxygen.max_sweeps_per_tick.max(1);
        let device = ctx.device();
        let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let invalid = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let made = (|| {
            let pipelines = Pipelines::new(device)?;
            let buffers = Buffers::new(&ctx, &pipelines.layouts, scene.site_count(), max_sweeps)?;
            let ring = ReportRing::new(&ctx, max_sweeps);
            Ok::<_, EngineError>((pipelines, buffers, ring))
        })();
        let invalid = pollster::block_on(invalid.pop());
        let oom = pollster::block_on(oom.pop());
        if let Some(e) = oom {
            return Err(EngineError::TooLarge(format!(
                "{} ran out of memory for {} sites ({} B/site): {e}",
                ctx.describe(),
                scene.site_count(),
                super::BYTES_PER_SITE
            )));
        }
        if let Some(e) = invalid {
            return Err(EngineError::Device(format!("{}: {e}", ctx.describe())));
        }
        let (pipelines, buffers, ring) = made?;
        Ok(GpuBackend {
            ctx,
            pipelines,
            buffers,
            ring,
            ready: VecDeque::new(),
        })
    }

    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// Reallocates the lattice buffers for `n_sites` (state is lost; callers upload).
    fn resize(&mut self, n_sites: u64) -> Result<(), EngineError> {
        if n_sites != self.buffers.n_sites {
            self.buffers = Buffers::new(
                &self.ctx,
                &self.pipelines.layouts,
                n_sites,
                self.buffers.sweep_capacity,
            )?;
        }
        Ok(())
    }

    /// Makes room for `max_sweeps` sweeps (after collecting reports in flight, whose
    /// staging slots are sized for the old count).
    fn ensure_sweeps(&mut self, max_sweeps: u32) -> Result<(), EngineError> {
        if max_sweeps <= self.buffers.sweep_capacity {
            return Ok(());
        }
        self.ring.harvest(&self.ctx, true, &mut self.ready)?;
        self.buffers
            .grow_sweeps(&self.ctx, &self.pipelines.layouts, max_sweeps)?;
        self.ring = ReportRing::new(&self.ctx, max_sweeps);
        Ok(())
    }

    fn check_shape(&self, sim: &SimParams) -> Result<(), EngineError> {
        let n = sim.nx as u64 * sim.ny as u64 * sim.nz as u64;
        if n != sim.n_sites as u64 || n != self.buffers.n_sites {
            return Err(EngineError::Gpu(format!(
                "parameters describe a {}×{}×{} lattice ({} sites) but the device holds {} sites",
                sim.nx, sim.ny, sim.nz, sim.n_sites, self.buffers.n_sites
            )));
        }
        Ok(())
    }

    fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
    }

    /// Writes the uniforms (staged before the next submit) and the first sweep's
    /// dispatch size; `FieldParams::sweep_groups` gets this lattice's half-sweep grid.
    fn write_params(&self, sim: &SimParams, field: &FieldParams) {
        let q = self.ctx.queue();
        let (x, y) = self.buffers.workgroups(&self.ctx, Pass::FieldSweep, sim);
        let field = FieldParams {
            sweep_groups: [x, y],
            ..*field
        };
        q.write_buffer(&self.buffers.sim, 0, bytemuck::bytes_of(sim));
        q.write_buffer(&self.buffers.field, 0, bytemuck::bytes_of(&field));
        q.write_buffer(
            &self.buffers.next_sweep,
            0,
            bytemuck::cast_slice(&[x, y, 1u32]),
        );
    }

    /// Clears the residual and records the red-black sweeps of one solve. Each sweep is
    /// two indirect dispatches whose size `field_guard` wrote after the previous sweep:
    /// the full grid, or nothing once the tolerance is met (the CPU loop's early exit),
    /// so converged ticks launch no sweep workgroups.
    fn encode_solve(&self, encoder: &mut wgpu::CommandEncoder, sweeps: u32) {
        let b = &self.buffers;
        encoder.clear_buffer(&b.residual, 0, None);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("oncolattice.pass.fields"),
            timestamp_writes: None,
        });
        pass.set_bind_group(1, &b.a_to_b, &[]);
        pass.set_bind_group(2, &b.fields_group, &[]);
        for index in 0..sweeps {
            pass.set_pipeline(&self.pipelines.field_sweep);
            for colour in 0..2 {
                pass.set_bind_group(0, &b.params_group, &[b.sweep_offset(index, colour)]);
                pass.dispatch_workgroups_indirect(&b.next_sweep, 0);
            }
            if index + 1 < sweeps {
                pass.set_pipeline(&self.pipelines.field_guard);
                pass.set_bind_group(0, &b.params_group, &[b.sweep_offset(index, 0)]);
                pass.set_bind_group(3, &b.control_group, &[]);
                pass.dispatch_workgroups(1, 1, 1);
            }
        }
    }

    /// One dispatch of `pass` with src = A, dst = B (or B → A for the tick's resolve).
    fn encode_pass(
        &self,
        cpass: &mut wgpu::ComputePass<'_>,
        pass: Pass,
        sim: &SimParams,
        cells_group: &wgpu::BindGroup,
        sweep_offset: u32,
    ) {
        let b = &self.buffers;
        cpass.set_pipeline(self.pipelines.get(pass));
        cpass.set_bind_group(0, &b.params_group, &[sweep_offset]);
        cpass.set_bind_group(1, cells_group, &[]);
        cpass.set_bind_group(2, &b.fields_group, &[]);
        let (x, y) = b.workgroups(&self.ctx, pass, sim);
        cpass.dispatch_workgroups(x, y, 1);
    }

    fn read_residual(bytes: &[u8], sweeps: u32) -> Vec<u32> {
        cast_vec(&bytes[..4 * sweeps as usize])
    }
}

impl Backend for GpuBackend {
    fn info(&self) -> BackendInfo {
        let i = self.ctx.info();
        BackendInfo {
            kind: "gpu".into(),
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

    fn upload(&mut self, state: &HostState) -> Result<(), EngineError> {
        if state.oxygen.len() != state.sites.len() {
            return Err(EngineError::Gpu(format!(
                "state has {} sites but {} oxygen values",
                state.sites.len(),
                state.oxygen.len()
            )));
        }
        self.ring.harvest(&self.ctx, true, &mut self.ready)?;
        self.resize(state.sites.len() as u64)?;
        let (q, b) = (self.ctx.queue(), &self.buffers);
        q.write_buffer(&b.a, 0, bytemuck::cast_slice(&state.sites));
        q.write_buffer(&b.b, 0, bytemuck::cast_slice(&state.sites));
        q.write_buffer(&b.conc, 0, bytemuck::cast_slice(&state.oxygen));
        let mut encoder = self.encoder("oncolattice.upload");
        encoder.clear_buffer(&b.wish, 0, None);
        q.submit([encoder.finish()]);
        self.ctx.check()
    }

    fn download(&mut self) -> Result<HostState, EngineError> {
        let n = self.buffers.n_sites;
        let b = &self.buffers;
        let encoder = self.encoder("oncolattice.download");
        let parts = read_blocking(&self.ctx, encoder, &[(&b.a, 16 * n), (&b.conc, 4 * n)])?;
        Ok(HostState {
            sites: cast_vec(&parts[0]),
            oxygen: cast_vec(&parts[1]),
        })
    }

    fn solve_blocking(
        &mut self,
        sim: &SimParams,
        field: &FieldParams,
    ) -> Result<SolveStats, EngineError> {
        self.check_shape(sim)?;
        let sweeps = field.max_sweeps.max(1);
        self.ensure_sweeps(sweeps)?;
        self.write_params(sim, field);
        let mut encoder = self.encoder("oncolattice.solve");
        self.encode_solve(&mut encoder, sweeps);
        let parts = read_blocking(
            &self.ctx,
            encoder,
            &[(&self.buffers.residual, 4 * sweeps as u64)],
        )?;
        Ok(solve_stats(
            &Self::read_residual(&parts[0], sweeps),
            field.tolerance,
        ))
    }

    fn tick(
        &mut self,
        sim: &SimParams,
        field: &FieldParams,
        report: bool,
    ) -> Result<(), EngineError> {
        self.check_shape(sim)?;
        let sweeps = field.max_sweeps.max(1);
        self.ensure_sweeps(sweeps)?;
        let slot = if report {
            Some(self.ring.acquire(&self.ctx, &mut self.ready)?)
        } else {
            None
        };
        self.write_params(sim, field);
        let b = &self.buffers;
        let mut encoder = self.encoder("oncolattice.tick");
        self.encode_solve(&mut encoder, sweeps);
        if report {
            encoder.copy_buffer_to_buffer(&b.census_clear, 0, &b.census, 0, CENSUS_BYTES);
        }
        {
            let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.cells"),
                timestamp_writes: None,
            });
            self.encode_pass(&mut cpass, Pass::Cells, sim, &b.a_to_b, 0);
            self.encode_pass(&mut cpass, Pass::Resolve, sim, &b.b_to_a, 0);
            if report {
                self.encode_pass(&mut cpass, Pass::Census, sim, &b.a_to_b, 0);
            }
        }
        if let Some(slot) = slot {
            self.ring
                .encode_copy(slot, &mut encoder, &b.census, &b.residual, sweeps);
        }
        self.ctx.queue().submit([encoder.finish()]);
        if let Some(slot) = slot {
            self.ring
                .submitted(slot, sim.tick as u64 + 1, sweeps, field.tolerance);
        }
        self.ctx.check()
    }

    fn poll_reports(&mut self, wait: bool) -> Result<Vec<TickReport>, EngineError> {
        self.ring.harvest(&self.ctx, wait, &mut self.ready)?;
        if self.ring.is_idle() {
            // Nothing in flight: still surface errors of submits without a report.
            poll(&self.ctx, false)?;
        }
        Ok(self.ready.drain(..).collect())
    }

    fn run_pass(
        &mut self,
        pass: Pass,
        sim: &SimParams,
        field: &FieldParams,
        sweep: &SweepParams,
        io: &mut KernelIo,
    ) -> Result<(), EngineError> {
        let n = io.src.len();
        if [io.dst.len(), io.wish.len(), io.conc.len()] != [n; 3] {
            return Err(EngineError::Gpu(format!(
                "KernelIo lengths differ: src {n}, dst {}, wish {}, conc {}",
                io.dst.len(),
                io.wish.len(),
                io.conc.len()
            )));
        }
        self.ring.harvest(&self.ctx, true, &mut self.ready)?;
        self.resize(n as u64)?;
        let slots = io.residual.len() as u32;
        self.ensure_sweeps(slots.max(1))?;
        self.check_shape(sim)?;
        if pass == Pass::FieldSweep && sweep.index >= slots {
            return Err(EngineError::Gpu(format!(
                "sweep index {} but only {slots} residual slots",
                sweep.index
            )));
        }
        self.write_params(sim, field);
        let (q, b) = (self.ctx.queue(), &self.buffers);
        q.write_buffer(&b.a, 0, bytemuck::cast_slice(&io.src));
        q.write_buffer(&b.b, 0, bytemuck::cast_slice(&io.dst));
        q.write_buffer(&b.wish, 0, bytemuck::cast_slice(&io.wish));
        q.write_buffer(&b.conc, 0, bytemuck::cast_slice(&io.conc));
        q.write_buffer(&b.census, 0, bytemuck::bytes_of(&io.census));
        let spare = b.spare_sweep_offset();
        q.write_buffer(&b.sweeps, spare as u64, bytemuck::bytes_of(sweep));
        // Slots past the caller's residual read as "not run yet" (zero).
        let mut residual = io.residual.clone();
        residual.resize(b.sweep_capacity as usize, 0);
        q.write_buffer(&b.residual, 0, bytemuck::cast_slice(&residual));
        let mut encoder = self.encoder("oncolattice.run_pass");
        {
            let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.single"),
                timestamp_writes: None,
            });
            self.encode_pass(&mut cpass, pass, sim, &b.a_to_b, spare);
        }
        let n = n as u64;
        let parts = read_blocking(
            &self.ctx,
            encoder,
            &[
                (&b.a, 16 * n),
                (&b.b, 16 * n),
                (&b.wish, 4 * n),
                (&b.conc, 4 * n),
                (&b.residual, 4 * slots as u64),
                (&b.census, CENSUS_BYTES),
            ],
        )?;
        io.src = cast_vec(&parts[0]);
        io.dst = cast_vec(&parts[1]);
        io.wish = cast_vec(&parts[2]);
        io.conc = cast_vec(&parts[3]);
        io.residual = cast_vec(&parts[4]);
        io.census = bytemuck::pod_read_unaligned::<Census>(&parts[5]);
        Ok(())
    }
}
