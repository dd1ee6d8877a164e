//! A lone run on the GPU: `GpuBackend` as a `Backend`, scene 0 of a pack of one. (A
//! pack of several is shared through `pack.rs`.)

use super::backend::{site_codes, GpuBackend};
use super::buffers::{Shape, CENSUS_BYTES, LINEAGE_BYTES};
use super::readback::{cast_vec, read_blocking};
use crate::engine::{
    Backend, BackendInfo, EngineError, HostState, KernelIo, Pass, SolveStats, TickReport,
};
use crate::model::census::Census;
use crate::model::drug_params::DrugSet;
use crate::model::lineage;
use crate::model::params::{FieldParams, SimParams, SweepParams};

/// What a GPU backend says about itself: the adapter, API and driver.
pub(super) fn gpu_info(backend: &GpuBackend) -> BackendInfo {
    let i = backend.ctx.info();
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

impl Backend for GpuBackend {
    fn info(&self) -> BackendInfo {
        gpu_info(self)
    }

    fn configure_drugs(&mut self, set: &DrugSet, pd_tables: &[u32]) -> Result<(), EngineError> {
        self.configure_scene_drugs(0, set, pd_tables)
    }

    fn configure_immune(
        &mut self,
        params: &crate::model::immune::ImmuneParams,
        tables: &[u32],
    ) -> Result<(), EngineError> {
        self.configure_scene_immune(0, params, tables)
    }

    fn upload(&mut self, state: &HostState) -> Result<(), EngineError> {
        self.upload_scene(0, state)
    }

    fn download(&mut self) -> Result<HostState, EngineError> {
        self.download_scene(0)
    }

    fn solve_blocking(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Vec<SolveStats>, EngineError> {
        self.solve_scene(0, sim, fields)
    }

    fn tick(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
        report: bool,
    ) -> Result<(), EngineError> {
        self.set_params(0, sim, fields)?;
        let mut ticks = vec![None; self.scenes()];
        ticks[0] = Some(report);
        self.tick_pack(&ticks)
    }

    fn last_solve(&self) -> &[SolveStats] {
        &self.last_solve[0]
    }

    fn poll_reports(&mut self, wait: bool) -> Result<Vec<TickReport>, EngineError> {
        self.harvest(wait)?;
        Ok(self.ready[0].drain(..).collect())
    }

    fn census_now(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Census, EngineError> {
        self.census_scene(0, sim, fields)
    }

    fn run_pass(
        &mut self,
        pass: Pass,
        sim: &SimParams,
        fields: &[FieldParams],
        sweep: &SweepParams,
        io: &mut KernelIo,
    ) -> Result<(), EngineError> {
        if self.scenes() != 1 {
            return Err(EngineError::Gpu(
                "run_pass works on a pack of one scene".into(),
            ));
        }
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
            n_scenes: 1,
        })?;
        // A kernel alone may be any variant: the pack-of-one's parameters are replaced.
        self.params[0] = None;
        self.set_params(0, sim, fields)?;
        if pass == Pass::FieldSweep && sweep.residual_slot >= slots {
            return Err(EngineError::Gpu(format!(
                "residual slot {} but only {slots} residual slots",
                sweep.residual_slot
            )));
        }
        let lead = self.write_params(&[true])?;
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
        residual.resize(b.shape.residual_stride() as usize, 0);
        q.write_buffer(&b.residual, 0, bytemuck::cast_slice(&residual));
        let mut encoder = self.encoder("oncolattice.run_pass");
        {
            let mut cpass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.pass.single"),
                timestamp_writes: None,
            });
            self.encode_pass(&mut cpass, pass, &lead, &b.a_to_b, spare, sweep.field);
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
