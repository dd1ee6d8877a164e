//! Device memory of a lattice and the bind groups over it.
//!
//! Memory per site: sites A and B (2 × 16 B, ping-pong), wish (4 B) and oxygen (4 B),
//! **40 B per site**; plus a fixed part: the uniforms, one 256-byte-aligned
//! `SweepParams` slot per (sweep, colour), the residual (4 B per sweep), the census
//! (64 B) and the readback ring (`readback::RING_SLOTS` × (64 B + 4 B per sweep)).
//! `download` borrows a staging buffer of 20 B per site while it runs.

use super::layout::Layouts;
use super::pipelines::{dispatch_size, threads};
use super::GpuContext;
use crate::engine::{EngineError, Pass};
use crate::model::census::Census;
use crate::model::params::{FieldParams, SimParams, SweepParams};
use crate::model::site::Site;
use std::num::NonZeroU64;
use wgpu::util::DeviceExt;

/// Device bytes per lattice site (see the module docs).
pub const BYTES_PER_SITE: u64 = 2 * SITE_BYTES + 4 + 4;
const SITE_BYTES: u64 = std::mem::size_of::<Site>() as u64;
pub const CENSUS_BYTES: u64 = std::mem::size_of::<Census>() as u64;

/// Refuses a lattice whose buffers exceed the device's limits, naming the numbers.
pub fn check_fits(ctx: &GpuContext, n_sites: u64, max_sweeps: u32) -> Result<(), EngineError> {
    let limits = ctx.limits();
    let adapter = ctx.describe();
    let total = n_sites * BYTES_PER_SITE;
    let largest = n_sites * SITE_BYTES;
    for (name, limit) in [
        (
            "max_storage_buffer_binding_size",
            limits.max_storage_buffer_binding_size,
        ),
        ("max_buffer_size", limits.max_buffer_size),
    ] {
        if largest > limit {
            return Err(EngineError::TooLarge(format!(
                "the scene has {n_sites} sites; its site buffer needs {largest} bytes \
                 ({BYTES_PER_SITE} B/site, {total} bytes in all), over the {name} of {limit} \
                 bytes of {adapter}; use a smaller lattice or --backend cpu"
            )));
        }
    }
    if n_sites >= u32::MAX as u64 {
        return Err(EngineError::TooLarge(format!(
            "the scene has {n_sites} sites; site indices are 32-bit, so at most {} sites",
            u32::MAX - 1
        )));
    }
    let per_dim = limits.max_compute_workgroups_per_dimension;
    if dispatch_size(n_sites, per_dim).is_none() {
        return Err(EngineError::TooLarge(format!(
            "the scene has {n_sites} sites, more than {per_dim}² workgroups of 256 threads \
             (max_compute_workgroups_per_dimension of {adapter})"
        )));
    }
    let sweep_bytes = sweep_stride(ctx) * sweep_slots(max_sweeps);
    if sweep_bytes > limits.max_buffer_size {
        return Err(EngineError::TooLarge(format!(
            "max_sweeps_per_tick = {max_sweeps} needs {sweep_bytes} bytes of sweep parameters, \
             over the max_buffer_size of {} bytes of {adapter}",
            limits.max_buffer_size
        )));
    }
    Ok(())
}

/// Distance between two `SweepParams` slots: the device's uniform offset alignment.
pub fn sweep_stride(ctx: &GpuContext) -> u64 {
    (ctx.limits().min_uniform_buffer_offset_alignment as u64)
        .max(std::mem::size_of::<SweepParams>() as u64)
}

/// Slots: one per (sweep, colour), plus a spare one that `run_pass` writes.
fn sweep_slots(max_sweeps: u32) -> u64 {
    2 * max_sweeps.max(1) as u64 + 1
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

fn whole(buffer: &wgpu::Buffer) -> wgpu::BindingResource<'_> {
    buffer.as_entire_binding()
}

/// The lattice's buffers and bind groups.
pub struct Buffers {
    pub n_sites: u64,
    /// Sweeps per tick the sweep slots and the residual hold.
    pub sweep_capacity: u32,
    pub sweep_stride: u64,
    pub sim: wgpu::Buffer,
    pub field: wgpu::Buffer,
    pub sweeps: wgpu::Buffer,
    pub a: wgpu::Buffer,
    pub b: wgpu::Buffer,
    pub wish: wgpu::Buffer,
    pub conc: wgpu::Buffer,
    pub residual: wgpu::Buffer,
    pub census: wgpu::Buffer,
    /// `Census::CLEARED`, copied into `census` before each census.
    pub census_clear: wgpu::Buffer,
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
    pub fn new(
        ctx: &GpuContext,
        layouts: &Layouts,
        n_sites: u64,
        max_sweeps: u32,
    ) -> Result<Buffers, EngineError> {
        check_fits(ctx, n_sites, max_sweeps)?;
        let device = ctx.device();
        let uniform = |label: &str, size: u64| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let sim = uniform(
            "oncolattice.sim_params",
            std::mem::size_of::<SimParams>() as u64,
        );
        let field = uniform(
            "oncolattice.field_params",
            std::mem::size_of::<FieldParams>() as u64,
        );
        let a = storage(device, "oncolattice.sites_a", n_sites * SITE_BYTES);
        let b = storage(device, "oncolattice.sites_b", n_sites * SITE_BYTES);
        let wish = storage(device, "oncolattice.wish", n_sites * 4);
        let conc = storage(device, "oncolattice.oxygen", n_sites * 4);
        let census = storage(device, "oncolattice.census", CENSUS_BYTES);
        let census_clear = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("oncolattice.census_cleared"),
            contents: bytemuck::bytes_of(&Census::CLEARED),
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
        let control_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("oncolattice.control"),
            layout: &layouts.control,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &next_sweep,
                    offset: 0,
                    size: NonZeroU64::new(12),
                }),
            }],
        });
        let cells_group = |label: &str, src: &wgpu::Buffer, dst: &wgpu::Buffer| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout: &layouts.cells,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: whole(src),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: whole(dst),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: whole(&wish),
                    },
                ],
            })
        };
        let a_to_b = cells_group("oncolattice.cells_a_to_b", &a, &b);
        let b_to_a = cells_group("oncolattice.cells_b_to_a", &b, &a);
        let (sweeps, residual, params_group, fields_group) =
            sweep_resources(ctx, layouts, max_sweeps, &sim, &field, &conc, &census);
        Ok(Buffers {
            n_sites,
            sweep_capacity: max_sweeps.max(1),
            sweep_stride: sweep_stride(ctx),
            sim,
            field,
            sweeps,
            a,
            b,
            wish,
            conc,
            residual,
            census,
            census_clear,
            next_sweep,
            control_group,
            params_group,
            a_to_b,
            b_to_a,
            fields_group,
        })
    }

    /// Makes room for `max_sweeps` sweeps per tick, keeping the lattice state.
    pub fn grow_sweeps(
        &mut self,
        ctx: &GpuContext,
        layouts: &Layouts,
        max_sweeps: u32,
    ) -> Result<(), EngineError> {
        if max_sweeps <= self.sweep_capacity {
            return Ok(());
        }
        check_fits(ctx, self.n_sites, max_sweeps)?;
        let (sweeps, residual, params_group, fields_group) = sweep_resources(
            ctx,
            layouts,
            max_sweeps,
            &self.sim,
            &self.field,
            &self.conc,
            &self.census,
        );
        self.sweeps = sweeps;
        self.residual = residual;
        self.params_group = params_group;
        self.fields_group = fields_group;
        self.sweep_capacity = max_sweeps;
        Ok(())
    }

    /// Dynamic offset of the slot of (sweep `index`, `colour`).
    pub fn sweep_offset(&self, index: u32, colour: u32) -> u32 {
        ((2 * index as u64 + colour as u64) * self.sweep_stride) as u32
    }

    /// Dynamic offset of the spare slot that `run_pass` fills with its own `SweepParams`.
    pub fn spare_sweep_offset(&self) -> u32 {
        (2 * self.sweep_capacity as u64 * self.sweep_stride) as u32
    }

    /// Workgroups of a pass on this lattice.
    pub fn workgroups(&self, ctx: &GpuContext, pass: Pass, sim: &SimParams) -> (u32, u32) {
        let per_dim = ctx.limits().max_compute_workgroups_per_dimension;
        // check_fits has bounded the site count, and a half-sweep has fewer threads.
        dispatch_size(threads(pass, sim.nx, sim.ny, sim.nz), per_dim).unwrap_or((per_dim, per_dim))
    }
}

/// The sweep-parameter slots (written once here), the residual, and the two bind
/// groups that refer to them.
fn sweep_resources(
    ctx: &GpuContext,
    layouts: &Layouts,
    max_sweeps: u32,
    sim: &wgpu::Buffer,
    field: &wgpu::Buffer,
    conc: &wgpu::Buffer,
    census: &wgpu::Buffer,
) -> (wgpu::Buffer, wgpu::Buffer, wgpu::BindGroup, wgpu::BindGroup) {
    let device = ctx.device();
    let stride = sweep_stride(ctx) as usize;
    let cap = max_sweeps.max(1);
    let mut bytes = vec![0u8; stride * sweep_slots(cap) as usize];
    for index in 0..cap {
        for colour in 0..2 {
            let slot = (2 * index + colour) as usize * stride;
            let p = SweepParams {
                colour,
                index,
                _pad: [0; 2],
            };
            bytes[slot..slot + 16].copy_from_slice(bytemuck::bytes_of(&p));
        }
    }
    let sweeps = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("oncolattice.sweep_params"),
        contents: &bytes,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
    });
    let residual = storage(device, "oncolattice.residual", 4 * cap as u64);
    let params_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("oncolattice.params"),
        layout: &layouts.params,
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: whole(sim),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: whole(field),
            },
            wgpu::BindGroupEntry {
                binding: 2,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &sweeps,
                    offset: 0,
                    size: NonZeroU64::new(std::mem::size_of::<SweepParams>() as u64),
                }),
            },
        ],
    });
    let fields_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("oncolattice.fields"),
        layout: &layouts.fields,
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: whole(conc),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: whole(&residual),
            },
            wgpu::BindGroupEntry {
                binding: 2,
                resource: whole(census),
            },
        ],
    });
    (sweeps, residual, params_group, fields_group)
}
