//! The GPU path of the volume view: `shaders/render_volume.wgsl` on an explicit
//! layout (0 = `VolumeParams`, 1 = per-site colours, 2 = pixels), one thread per pixel
//! in 8 × 8 workgroups, read back blocking.

use super::volume::VolumeParams;
use crate::engine::gpu::{cast_vec, read_blocking, shaders, GpuContext};
use crate::engine::EngineError;
use wgpu::util::DeviceExt as _;

pub const KERNEL: &str = "render_volume";
const GROUP: u32 = 8;

/// The compiled kernel and its layout; reusable for many images on one device.
pub struct VolumePipeline {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

fn entry(binding: u32, ty: wgpu::BufferBindingType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl VolumePipeline {
    pub fn new(ctx: &GpuContext) -> Result<VolumePipeline, EngineError> {
        shaders::validated_module(KERNEL)?;
        let device = ctx.device();
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("oncolattice.shader.render_volume"),
            source: wgpu::ShaderSource::Wgsl(shaders::source(KERNEL)?.into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("oncolattice.layout.render_volume"),
            entries: &[
                entry(0, wgpu::BufferBindingType::Uniform),
                entry(1, wgpu::BufferBindingType::Storage { read_only: true }),
                entry(2, wgpu::BufferBindingType::Storage { read_only: false }),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("oncolattice.layout.render_volume_pipeline"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("oncolattice.pipeline.render_volume"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some(KERNEL),
            compilation_options: Default::default(),
            cache: None,
        });
        ctx.check()?;
        Ok(VolumePipeline { layout, pipeline })
    }

    /// Renders one image: `sites` packed as `volume::packed_sites` gives them.
    pub fn render(
        &self,
        ctx: &GpuContext,
        params: &VolumeParams,
        sites: &[u32],
    ) -> Result<Vec<u32>, EngineError> {
        let device = ctx.device();
        let limits = ctx.limits();
        let site_bytes = (sites.len().max(1) * 4) as u64;
        let pixel_bytes = (params.width as u64 * params.height as u64).max(1) * 4;
        let largest = site_bytes.max(pixel_bytes);
        if largest > limits.max_storage_buffer_binding_size || largest > limits.max_buffer_size {
            return Err(EngineError::TooLarge(format!(
                "the volume view needs a {largest} B buffer; {} allows {} B per binding",
                ctx.describe(),
                limits.max_storage_buffer_binding_size
            )));
        }
        let groups = (params.width.div_ceil(GROUP), params.height.div_ceil(GROUP));
        let max = limits.max_compute_workgroups_per_dimension;
        if groups.0 > max || groups.1 > max {
            return Err(EngineError::TooLarge(format!(
                "a {} × {} image needs {} × {} workgroups; {} allows {max} per dimension",
                params.width,
                params.height,
                groups.0,
                groups.1,
                ctx.describe()
            )));
        }
        let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("oncolattice.render_volume.params"),
            contents: bytemuck::bytes_of(params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let padded: Vec<u32> = if sites.is_empty() {
            vec![0]
        } else {
            sites.to_vec()
        };
        let input = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("oncolattice.render_volume.sites"),
            contents: bytemuck::cast_slice(&padded),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let output = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("oncolattice.render_volume.pixels"),
            size: pixel_bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("oncolattice.render_volume.bind_group"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: input.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: output.as_entire_binding(),
                },
            ],
        });
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("oncolattice.render_volume.encoder"),
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oncolattice.render_volume.pass"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(groups.0, groups.1, 1);
        }
        let n = (params.width * params.height) as u64;
        let parts = read_blocking(ctx, encoder, &[(&output, 4 * n)])?;
        let pixels: Vec<u32> = cast_vec(&parts[0]);
        Ok(pixels)
    }
}
