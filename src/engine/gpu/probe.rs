//! The RNG probe (shaders/rng_probe.wgsl): runs the WGSL `draw`, `cycle_len_from` and
//! `substep_key` for consecutive sites so tests can hold them to src/model/rng.rs bit
//! for bit.

use super::pipelines::shader_module;
use super::readback::{cast_vec, read_blocking};
use super::shaders::Flavour;
use super::GpuContext;
use crate::engine::EngineError;
use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

/// The probe's uniform. Keep in sync with `struct Probe` in shaders/rng_probe.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Pod, Zeroable)]
pub struct Probe {
    pub key: u32,
    pub stream: u32,
    pub cycle_mean_fx8: i32,
    pub cycle_sd_coef: i32,
    /// Sites 0..count are drawn.
    pub count: u32,
    pub _pad: [u32; 3],
}

/// `@workgroup_size` of rng_probe.
const PROBE_WORKGROUP: u32 = 64;

/// For each site 0..probe.count: [draw(key, site, stream), cycle_len_from(key, site, ..),
/// substep_key(key, site)].
pub fn run_rng_probe(ctx: &GpuContext, probe: &Probe) -> Result<Vec<[u32; 3]>, EngineError> {
    let device = ctx.device();
    let groups = probe.count.div_ceil(PROBE_WORKGROUP);
    if groups > ctx.limits().max_compute_workgroups_per_dimension {
        return Err(EngineError::TooLarge(format!(
            "rng probe of {} sites exceeds one dispatch dimension",
            probe.count
        )));
    }
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("oncolattice.layout.rng_probe"),
        entries: &[
            wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            },
            wgpu::BindGroupLayoutEntry {
                binding: 1,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only: false },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            },
        ],
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("oncolattice.layout.rng_probe_pipeline"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let module = shader_module(device, "rng_probe", Flavour::Lone)?;
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("oncolattice.pipeline.rng_probe"),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some("rng_probe"),
        compilation_options: Default::default(),
        cache: None,
    });
    let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("oncolattice.rng_probe_params"),
        contents: bytemuck::bytes_of(probe),
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let out_bytes = 12 * probe.count.max(1) as u64;
    let out = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("oncolattice.rng_probe_out"),
        size: out_bytes,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("oncolattice.rng_probe"),
        layout: &layout,
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: uniform.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: out.as_entire_binding(),
            },
        ],
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("oncolattice.rng_probe"),
    });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("oncolattice.rng_probe"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.dispatch_workgroups(groups, 1, 1);
    }
    let parts = read_blocking(ctx, encoder, &[(&out, 12 * probe.count as u64)])?;
    let words: Vec<u32> = cast_vec(&parts[0]);
    Ok(words.chunks_exact(3).map(|w| [w[0], w[1], w[2]]).collect())
}
