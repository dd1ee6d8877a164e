//! Device memory of a pack of scenes (one for a lone run) and the bind groups over it.
//! Every per-site array holds all scenes' sites, scene by scene; the parameter arrays,
//! residual slots, census, PD tables and lineage table hold one part per scene; the
//! figures below are per scene.
//!
//! Memory per site, with D drugs: sites A and B (2 × 16 B, ping-pong), wish (4 B),
//! the site code the field sweeps read (4 B), one f32 per field (4 B × (1 + D + F) with
//! F signalling factors) and the exposure counters (4 B × D): **44 + 8·D + 4·F bytes
//! per site**; plus a fixed part: the parameters, one 256-byte-aligned
//! `SweepParams` slot per (field, sweep, colour), the residual (4 B per field and
//! sweep), the PD tables (16 KiB per drug), the T-cell rules (64 B) and tables
//! (`model::immune::TABLES` × 16 KiB = 80 KiB), the census (128 B), the lineage table
//! (`model::lineage::BUFFER_WORDS` × 4 B ≈ 1 MiB) and the readback ring
//! (`readback::RING_SLOTS` × (128 B + 4 B per sweep)); and once for the pack the
//! immune substep slots (`MAX_SUBSTEPS` + 1, 256-byte aligned). `download` borrows
//! staging buffers as large as what it reads while it runs.

use super::layout::Layouts;
use super::pipelines::{dispatch_size, threads};
use super::GpuContext;
use crate::engine::{EngineError, Pass};
use crate::model::census::Census;
use crate::model::drug_params::DrugSet;
use crate::model::immune::{ImmuneParams, TABLES as IMMUNE_TABLES};
use crate::model::lineage;
use crate::model::params::{FieldParams, PackRange, SimParams, SweepParams, MAX_FIELDS};
use crate::model::pd::PD_TABLE_LEN;
use crate::model::site::Site;
use bytemuck::{Pod, Zeroable};
use std::num::NonZeroU64;
use wgpu::util::DeviceExt;

/// Which immune substep a dispatch of resolve or `immune_moves` is: `enabled` 0 for the
/// tick's own resolve (key `SimParams::tick_key`), else substep `index` (key
/// `rng::substep_key(tick_key, index)`). One slot per substep, chosen by a dynamic
/// offset (`Buffers::substep_offset`). Keep in sync with `struct Substep` in
/// shaders/shared/params.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Pod, Zeroable)]
pub struct Substep {
    pub index: u32,
    pub enabled: u32,
    pub _pad: [u32; 2],
}

/// The most T-cell moves per tick the substep slots hold (`[immune]
/// max_moves_per_tick` is at most this).
pub const MAX_SUBSTEPS: u32 = 256;

/// Bytes of one scene's immune tables.
pub const IMMUNE_TABLE_BYTES: u64 = 4 * (IMMUNE_TABLES * PD_TABLE_LEN) as u64;

const SITE_BYTES: u64 = std::mem::size_of::<Site>() as u64;
pub const CENSUS_BYTES: u64 = std::mem::size_of::<Census>() as u64;
pub const LINEAGE_BYTES: u64 = 4 * lineage::BUFFER_WORDS as u64;
/// The `fields` uniform always holds `MAX_FIELDS` entries (unused ones zero).
pub const FIELDS_BYTES: u64 = (MAX_FIELDS * std::mem::size_of::<FieldParams>()) as u64;

/// Device bytes per lattice site with `n_drugs` drugs and `n_factors` factors (see
/// the module docs).
pub const fn bytes_per_site(n_drugs: u64, n_factors: u64) -> u64 {
    2 * SITE_BYTES + 4 + 4 + 4 * (1 + n_drugs + n_factors) + 4 * n_drugs
}

/// Device bytes per lattice site without drugs or factors.
pub const BYTES_PER_SITE: u64 = bytes_per_site(0, 0);

/// What the buffers are sized for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub n_sites: u64,
    pub n_drugs: u32,
    /// Signalling factors (`[[factors]]`): fields without exposure counters.
    pub n_factors: u32,
    /// Sweeps per tick and field the sweep slots and the residual hold.
    pub sweep_capacity: u32,
    /// Scenes of the pack (1 for a lone run), each `n_sites` sites.
    pub n_scenes: u32,
}

impl Shape {
    pub fn n_fields(&self) -> u64 {
        1 + self.n_drugs as u64 + self.n_factors as u64
    }

    /// Sites of every scene of the pack.
    pub fn all_sites(&self) -> u64 {
        self.n_sites * self.n_scenes.max(1) as u64
    }

    /// Residual slots of one scene: one per field and sweep.
    pub fn residual_stride(&self) -> u64 {
        self.n_fields() * self.sweep_capacity.max(1) as u64
    }

    /// Slots: one per (field, sweep, colour), plus a spare one that `run_pass` writes.
    fn sweep_slots(&self) -> u64 {
        self.n_fields() * 2 * self.sweep_capacity.max(1) as u64 + 1
    }
}

/// Refuses a lattice whose buffers exceed the device's limits, naming the numbers.
pub fn check_fits(ctx: &GpuContext, shape: Shape) -> Result<(), EngineError> {
    let limits = ctx.limits();
    let adapter = ctx.describe();
    let n_sites = shape.all_sites();
    let per_site = bytes_per_site(shape.n_drugs as u64, shape.n_factors as u64);
    let total = n_sites * per_site;
    let largest = (n_sites * SITE_BYTES).max(n_sites * 4 * shape.n_fields());
    for (name, limit) in [
        (
            "max_storage_buffer_binding_size",
            limits.max_storage_buffer_binding_size,
        ),
        ("max_buffer_size", limits.max_buffer_size),
    ] {
        if largest > limit {
            return Err(EngineError::TooLarge(format!(
                "the scene has {n_sites} sites; its largest buffer needs {largest} bytes \
                 ({per_site} B/site, {total} bytes in all), over the {name} of {limit} \
                 bytes of {adapter}; use a smaller lattice or --backend cpu"
            )));
        }
    }
    if n_sites >= u32::MAX as u64 / shape.n_fields() {
        return Err(EngineError::TooLarge(format!(
            "the scene has {n_sites} sites and {} fields; field indices are 32-bit, so at \
             most {} sites",
            shape.n_fields(),
            u32::MAX as u64 / shape.n_fields() - 1
        )));
    }
    let per_dim = limits.max_compute_workgroups_per_dimension;
    if shape.n_scenes > per_dim {
        return Err(EngineError::TooLarge(format!(
            "{} scenes in one pack, more than the {per_dim} workgroups per dimension of {adapter}",
            shape.n_scenes
        )));
    }
    if dispatch_size(shape.n_sites, per_dim).is_none() {
        return Err(EngineError::TooLarge(format!(
            "the scene has {n_sites} sites, more than {per_dim}² workgroups of 256 threads \
             (max_compute_workgroups_per_dimension of {adapter})"
        )));
    }
    let sweep_bytes = sweep_stride(ctx) * shape.sweep_slots();
    if sweep_bytes > limits.max_buffer_size {
        return Err(EngineError::TooLarge(format!(
            "max_sweeps_per_tick = {} needs {sweep_bytes} bytes of sweep parameters, \
             over the max_buffer_size of {} bytes of {adapter}",
            shape.sweep_capacity, limits.max_buffer_size
        )));
    }
    Ok(())
}

/// Distance between two `SweepParams` slots: the device's uniform offset alignment.
pub fn sweep_stride(ctx: &GpuContext) -> u64 {
    (ctx.limits().min_uniform_buffer_offset_alignment as u64)
        .max(std::mem::size_of::<SweepParams>() as u64)
}

fn storage(device: &wgpu::Device, label: &str, size: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        // A zero-sized binding is invalid; 16 bytes cover one element of any array here.
        size: size.max(16),
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_DST
            | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    })
}

/// A buffer of per-scene parameters: bound as a uniform by the kernels of a lone run,
/// as a read-only storage array by a pack's (`shaders::Flavour`).
fn scene_params(device: &wgpu::Device, label: &str, size: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::UNIFORM
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

fn whole(buffer: &wgpu::Buffer) -> wgpu::BindingResource<'_> {
    buffer.as_entire_binding()
}

fn entry(binding: u32, resource: wgpu::BindingResource<'_>) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry { binding, resource }
}

/// The lattice's buffers and bind groups.
pub struct Buffers {
    /// What the buffers are sized for (sweep capacity at least 1).
    pub shape: Shape,
    pub sweep_stride: u64,
    pub sim: wgpu::Buffer,
    /// `MAX_FIELDS` × `FieldParams`: oxygen, then each drug.
    pub fields: wgpu::Buffer,
    pub drug_set: wgpu::Buffer,
    /// The scenes a dispatch covers (`PackRange`).
    pub pack_range: wgpu::Buffer,
    /// Per scene its `ImmuneParams`.
    pub immune: wgpu::Buffer,
    /// Per scene its immune tables (`model::immune::immune_tables`).
    pub immune_table: wgpu::Buffer,
    /// The `Substep` slots: slot 0 the tick's own, slot m + 1 substep m (written
    /// once, read through `params_group`).
    #[allow(dead_code, reason = "kept with the bind group that binds it")]
    pub substeps: wgpu::Buffer,
    pub sweeps: wgpu::Buffer,
    pub a: wgpu::Buffer,
    pub b: wgpu::Buffer,
    pub wish: wgpu::Buffer,
    /// `Site::solve_code` of every site of state A: what the field sweeps read.
    pub site_code: wgpu::Buffer,
    /// Every field, `n_sites` values each.
    pub conc: wgpu::Buffer,
    pub residual: wgpu::Buffer,
    pub census: wgpu::Buffer,
    /// `Census::CLEARED`, copied into `census` before each census.
    pub census_clear: wgpu::Buffer,
    pub pd_table: wgpu::Buffer,
    pub exposure: wgpu::Buffer,
    /// The lineage table and the tick's mutation events (`model::lineage`).
    pub lineage: wgpu::Buffer,
    /// The next sweep's indirect dispatch size, written by `field_guard`.
    pub next_sweep: wgpu::Buffer,
    pub control_group: wgpu::BindGroup,
    pub params_group: wgpu::BindGroup,
    /// src = A, dst = B: fields, cells, census.
    pub a_to_b: wgpu::BindGroup,
    /// src = B, dst = A: resolve.
    pub b_to_a: wgpu::BindGroup,
    pub fields_group: wgpu::BindGroup,
}

impl Buffers {
    pub fn new(ctx: &GpuContext, layouts: &Layouts, shape: Shape) -> Result<Buffers, EngineError> {
        let shape = Shape {
            sweep_capacity: shape.sweep_capacity.max(1),
            ..shape
        };
        check_fits(ctx, shape)?;
        let device = ctx.device();
        let k = shape.n_scenes.max(1) as u64;
        let n = shape.all_sites();
        let n_drugs = shape.n_drugs as u64;
        let stride = sweep_stride(ctx);
        // Exactly one entry per scene: the kernels take the pack's size from it.
        let sim = scene_params(
            device,
            "oncolattice.sim_params",
            k * std::mem::size_of::<SimParams>() as u64,
        );
        let fields = scene_params(device, "oncolattice.field_params", k * FIELDS_BYTES);
        let drug_set = scene_params(
            device,
            "oncolattice.drug_set",
            k * std::mem::size_of::<DrugSet>() as u64,
        );
        let pack_range = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("oncolattice.pack_range"),
            size: std::mem::size_of::<PackRange>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        // Zero (no immune system) until a scene's are written.
        let immune = scene_params(
            device,
            "oncolattice.immune_params",
            k * std::mem::size_of::<ImmuneParams>() as u64,
        );
        let immune_table = storage(device, "oncolattice.immune_table", k * IMMUNE_TABLE_BYTES);
        let substeps = substep_slots_buffer(ctx, stride);
        let a = storage(device, "oncolattice.sites_a", n * SITE_BYTES);
        let b = storage(device, "oncolattice.sites_b", n * SITE_BYTES);
        let wish = storage(device, "oncolattice.wish", n * 4);
        let site_code = storage(device, "oncolattice.site_code", n * 4);
        let conc = storage(device, "oncolattice.fields", n * 4 * shape.n_fields());
        let residual = storage(
            device,
            "oncolattice.residual",
            4 * k * shape.residual_stride(),
        );
        let census = storage(device, "oncolattice.census", k * CENSUS_BYTES);
        let pd_table = storage(
            device,
            "oncolattice.pd_table",
            4 * PD_TABLE_LEN as u64 * k * n_drugs.max(1),
        );
        let exposure = storage(device, "oncolattice.exposure", 4 * n * n_drugs);
        let lineage = storage(device, "oncolattice.lineage", k * LINEAGE_BYTES);
        let cleared: Vec<Census> = vec![Census::CLEARED; k as usize];
        let census_clear = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("oncolattice.census_cleared"),
            contents: bytemuck::cast_slice(&cleared),
            usage: wgpu::BufferUsages::COPY_SRC,
        });
        let next_sweep = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("oncolattice.next_sweep"),
            size: 16,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::INDIRECT
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let sweeps = sweep_slots_buffer(ctx, shape, stride);
        let control_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("oncolattice.control"),
            layout: &layouts.control,
            entries: &[entry(
                0,
                wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &next_sweep,
                    offset: 0,
                    size: NonZeroU64::new(12),
                }),
            )],
        });
        let params_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("oncolattice.params"),
            layout: &layouts.params,
            entries: &[
                entry(0, whole(&sim)),
                entry(1, whole(&fields)),
                entry(
                    2,
                    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &sweeps,
                        offset: 0,
                        size: NonZeroU64::new(std::mem::size_of::<SweepParams>() as u64),
                    }),
                ),
                entry(3, whole(&drug_set)),
                entry(4, whole(&pack_range)),
                entry(5, whole(&immune)),
                entry(
                    6,
                    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &substeps,
                        offset: 0,
                        size: NonZeroU64::new(std::mem::size_of::<Substep>() as u64),
                    }),
                ),
            ],
        });
        let cells_group = |label: &str, src: &wgpu::Buffer, dst: &wgpu::Buffer| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout: &layouts.cells,
                entries: &[
                    entry(0, whole(src)),
                    entry(1, whole(dst)),
                    entry(2, whole(&wish)),
                    entry(3, whole(&site_code)),
                ],
            })
        };
        let a_to_b = cells_group("oncolattice.cells_a_to_b", &a, &b);
        let b_to_a = cells_group("oncolattice.cells_b_to_a", &b, &a);
        let fields_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("oncolattice.fields"),
            layout: &layouts.fields,
            entries: &[
                entry(0, whole(&conc)),
                entry(1, whole(&residual)),
                entry(2, whole(&census)),
                entry(3, whole(&pd_table)),
                entry(4, whole(&exposure)),
                entry(5, whole(&lineage)),
                entry(6, whole(&immune_table)),
            ],
        });
        Ok(Buffers {
            shape,
            sweep_stride: stride,
            sim,
            fields,
            drug_set,
            pack_range,
            immune,
            immune_table,
            substeps,
            sweeps,
            a,
            b,
            wish,
            site_code,
            conc,
            residual,
            census,
            census_clear,
            pd_table,
            exposure,
            lineage,
            next_sweep,
            control_group,
            params_group,
            a_to_b,
            b_to_a,
            fields_group,
        })
    }

    /// Residual slot of sweep `index` of field `field`.
    pub fn residual_slot(&self, field: u32, index: u32) -> u32 {
        field * self.shape.sweep_capacity + index
    }

    /// Dynamic offset of the slot of (`field`, sweep `index`, `colour`).
    pub fn sweep_offset(&self, field: u32, index: u32, colour: u32) -> u32 {
        let slot = 2 * self.residual_slot(field, index) as u64 + colour as u64;
        (slot * self.sweep_stride) as u32
    }

    /// Dynamic offset of the spare slot that `run_pass` fills with its own `SweepParams`.
    pub fn spare_sweep_offset(&self) -> u32 {
        ((self.shape.sweep_slots() - 1) * self.sweep_stride) as u32
    }

    /// Dynamic offset of the `Substep` slot of a dispatch: `None` for the tick's own
    /// key, `Some(m)` for immune substep m (< `MAX_SUBSTEPS`).
    pub fn substep_offset(&self, substep: Option<u32>) -> u32 {
        let slot = substep.map_or(0, |m| m.min(MAX_SUBSTEPS - 1) as u64 + 1);
        (slot * self.sweep_stride) as u32
    }

    /// Workgroups of a pass on this lattice.
    pub fn workgroups(&self, ctx: &GpuContext, pass: Pass, sim: &SimParams) -> (u32, u32) {
        let per_dim = ctx.limits().max_compute_workgroups_per_dimension;
        // check_fits has bounded the site count, and a half-sweep has fewer threads.
        dispatch_size(threads(pass, sim.nx, sim.ny, sim.nz), per_dim).unwrap_or((per_dim, per_dim))
    }
}

/// The sweep-parameter slots, written once: (field, index, colour) at slot
/// 2·(field·capacity + index) + colour.
fn sweep_slots_buffer(ctx: &GpuContext, shape: Shape, stride: u64) -> wgpu::Buffer {
    let cap = shape.sweep_capacity.max(1);
    let stride = stride as usize;
    let mut bytes = vec![0u8; stride * shape.sweep_slots() as usize];
    for field in 0..shape.n_fields() as u32 {
        for index in 0..cap {
            let residual_slot = field * cap + index;
            for colour in 0..2 {
                let at = (2 * residual_slot + colour) as usize * stride;
                let p = SweepParams {
                    colour,
                    index,
                    field,
                    residual_slot,
                };
                bytes[at..at + 16].copy_from_slice(bytemuck::bytes_of(&p));
            }
        }
    }
    ctx.device()
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("oncolattice.sweep_params"),
            contents: &bytes,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        })
}

/// The substep slots, written once: slot 0 the tick's own (inactive), slot m + 1
/// substep m.
fn substep_slots_buffer(ctx: &GpuContext, stride: u64) -> wgpu::Buffer {
    let stride = stride as usize;
    let mut bytes = vec![0u8; stride * (MAX_SUBSTEPS as usize + 1)];
    for m in 0..MAX_SUBSTEPS {
        let at = (m as usize + 1) * stride;
        let slot = Substep {
            index: m,
            enabled: 1,
            _pad: [0; 2],
        };
        bytes[at..at + 16].copy_from_slice(bytemuck::bytes_of(&slot));
    }
    ctx.device()
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("oncolattice.substeps"),
            contents: &bytes,
            usage: wgpu::BufferUsages::UNIFORM,
        })
}
