//! The compiled kernels (one compute pipeline per tick pass, all on the shared
//! explicit layout) and the dispatch geometry. Pipelines are a different type from
//! the buffers they run on.

use super::layout::Layouts;
use super::shaders;
use crate::engine::{EngineError, Pass};
use std::sync::Arc;

/// `@workgroup_size` of the tick kernels (generated into WGSL from this constant).
pub use crate::model::shader_constants::WORKGROUP_SIZE;

/// Compiles one kernel: naga validates it first so a broken shader is reported as a
/// `ShaderError`, not a device panic.
pub fn shader_module(
    device: &wgpu::Device,
    kernel: &str,
) -> Result<wgpu::ShaderModule, EngineError> {
    shaders::validated_module(kernel)?;
    let text = shaders::source(kernel)?;
    let label = format!("oncolattice.shader.{kernel}");
    Ok(device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(&label),
        source: wgpu::ShaderSource::Wgsl(text.into()),
    }))
}

/// A compute pipeline for `kernel` (entry point = kernel name) on `layout`.
pub fn compute_pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    kernel: &str,
) -> Result<wgpu::ComputePipeline, EngineError> {
    let module = shader_module(device, kernel)?;
    let label = format!("oncolattice.pipeline.{kernel}");
    Ok(
        device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&label),
            layout: Some(layout),
            module: &module,
            entry_point: Some(kernel),
            compilation_options: Default::default(),
            cache: None,
        }),
    )
}

pub struct Pipelines {
    pub layouts: Arc<Layouts>,
    pub field_sweep: wgpu::ComputePipeline,
    pub field_guard: wgpu::ComputePipeline,
    pub cells: wgpu::ComputePipeline,
    pub resolve: wgpu::ComputePipeline,
    pub clone_assign: wgpu::ComputePipeline,
    pub census: wgpu::ComputePipeline,
}

impl Pipelines {
    pub fn new(device: &wgpu::Device) -> Result<Pipelines, EngineError> {
        let layouts = Layouts::new(device);
        let make = |kernel| compute_pipeline(device, &layouts.pipeline, kernel);
        Ok(Pipelines {
            field_sweep: make("field_sweep")?,
            field_guard: compute_pipeline(device, &layouts.guard_pipeline, "field_guard")?,
            cells: make("cells")?,
            resolve: make("resolve")?,
            clone_assign: make("clone_assign")?,
            census: make("census")?,
            layouts,
        })
    }

    pub fn get(&self, pass: Pass) -> &wgpu::ComputePipeline {
        match pass {
            Pass::FieldSweep => &self.field_sweep,
            Pass::Cells => &self.cells,
            Pass::Resolve => &self.resolve,
            Pass::CloneAssign => &self.clone_assign,
            Pass::Census => &self.census,
        }
    }
}

/// Workgroups for `threads` threads as a 2D grid of 1D groups (the shaders' `thread_index`):
/// x = min(groups, max_per_dim), y = ceil(groups / x). `None` when y exceeds the limit.
pub fn dispatch_size(threads: u64, max_per_dim: u32) -> Option<(u32, u32)> {
    let groups = threads.div_ceil(WORKGROUP_SIZE as u64);
    if groups == 0 {
        return Some((0, 0));
    }
    let x = groups.min(max_per_dim.max(1) as u64);
    let y = groups.div_ceil(x);
    (y <= max_per_dim as u64).then_some((x as u32, y as u32))
}

/// Threads of each pass for a lattice: one per site, except a field half-sweep, which
/// has one per site of one colour: ceil(nx / 2) · ny · nz, and clone_assign, which is
/// one workgroup.
pub fn threads(pass: Pass, nx: u32, ny: u32, nz: u32) -> u64 {
    let sites = nx as u64 * ny as u64 * nz as u64;
    match pass {
        Pass::FieldSweep => (nx as u64).div_ceil(2) * ny as u64 * nz as u64,
        Pass::CloneAssign => WORKGROUP_SIZE as u64,
        _ => sites,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_covers_every_thread_in_2d() {
        assert_eq!(dispatch_size(1, 65535), Some((1, 1)));
        assert_eq!(dispatch_size(256, 65535), Some((1, 1)));
        assert_eq!(dispatch_size(257, 65535), Some((2, 1)));
        let n = 65535u64 * 256 * 3 + 1;
        let (x, y) = dispatch_size(n, 65535).unwrap();
        assert_eq!((x, y), (65535, 4));
        assert!(x as u64 * y as u64 * 256 >= n);
        assert_eq!(dispatch_size(u64::MAX / 2, 65535), None);
        assert_eq!(threads(Pass::FieldSweep, 37, 29, 1), 19 * 29);
        assert_eq!(threads(Pass::Cells, 13, 11, 9), 13 * 11 * 9);
    }
}
