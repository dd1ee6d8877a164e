//! The compiled kernels (one compute pipeline per tick pass, all on the shared
//! explicit layout) and the dispatch geometry. Pipelines are a different type from
//! the buffers they run on.

use super::layout::Layouts;
use super::shaders::{self, Flavour};
use crate::engine::{EngineError, Pass};
use crate::model::params::{
    FieldParams, SimParams, CENSUS_ALL_SITES, CENSUS_TUMOUR_SITES, MAX_FIELDS, MAX_FIELD_TERMS,
};
use std::sync::Arc;

/// `@workgroup_size` of the tick kernels (generated into WGSL from this constant).
pub use crate::model::shader_constants::WORKGROUP_SIZE;

/// Compiles one kernel: naga validates it first so a broken shader is reported as a
/// `ShaderError`, not a device panic.
pub fn shader_module(
    device: &wgpu::Device,
    kernel: &str,
    flavour: Flavour,
) -> Result<wgpu::ShaderModule, EngineError> {
    shaders::validated_flavour(kernel, flavour)?;
    let text = shaders::flavoured_source(kernel, flavour)?;
    let label = format!("oncolattice.shader.{kernel}");
    Ok(device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(&label),
        source: wgpu::ShaderSource::Wgsl(text.into()),
    }))
}

/// A compute pipeline for `kernel` (entry point = kernel name) on `layout`, in the
/// layouts' flavour.
fn compute_pipeline(
    device: &wgpu::Device,
    layouts: &Layouts,
    layout: &wgpu::PipelineLayout,
    kernel: &str,
) -> Result<wgpu::ComputePipeline, EngineError> {
    specialised_pipeline(device, layouts, layout, kernel, &[])
}

/// `compute_pipeline` with the kernel's `override` constants set (name, value).
fn specialised_pipeline(
    device: &wgpu::Device,
    layouts: &Layouts,
    layout: &wgpu::PipelineLayout,
    kernel: &str,
    constants: &[(&str, f64)],
) -> Result<wgpu::ComputePipeline, EngineError> {
    let module = shader_module(device, kernel, layouts.flavour)?;
    let mut label = format!("oncolattice.pipeline.{kernel}.{:?}", layouts.flavour);
    for (name, value) in constants {
        label.push_str(&format!(".{name}={value}"));
    }
    Ok(
        device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&label),
            layout: Some(layout),
            module: &module,
            entry_point: Some(kernel),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants,
                ..Default::default()
            },
            cache: None,
        }),
    )
}

/// The kernels, one pipeline per pass, except three that are compiled per scene shape
/// with WGSL `override` constants, each variant on first use (`prepare`): the field
/// sweep per term count of the field it sweeps (`FIELD_TERMS`), resolve with or
/// without swap and kill (`OCCUPIED_ACTIONS`), the census per set of field sums read
/// (`CENSUS_ALL_FIELDS`, `CENSUS_TUMOUR_FIELDS`). On a SIMD device (llvmpipe runs
/// eight invocations as one loop) a test that no lane needs still costs every lane;
/// folded away at compile time it costs nothing (BENCHMARKS.md, "Kernels specialised
/// per scene").
pub struct Pipelines {
    pub layouts: Arc<Layouts>,
    /// Indexed by term count, 0 ..= MAX_FIELD_TERMS.
    field_sweeps: Vec<Option<wgpu::ComputePipeline>>,
    pub field_guard: wgpu::ComputePipeline,
    pub cells: wgpu::ComputePipeline,
    /// Without (0) and with (1) occupied-site actions.
    resolves: [Option<wgpu::ComputePipeline>; 2],
    pub clone_assign: wgpu::ComputePipeline,
    pub immune_moves: wgpu::ComputePipeline,
    /// By the fields summed over every site and over tumour cells (bit masks).
    censuses: Vec<((u32, u32), wgpu::ComputePipeline)>,
    /// What `prepare` was last given: each field's term count, which resolve, which
    /// census.
    field_terms: [usize; MAX_FIELDS],
    occupied: usize,
    census: usize,
}

impl Pipelines {
    /// The kernels of `flavour` (`Flavour::of_pack`).
    pub fn new(device: &wgpu::Device, flavour: Flavour) -> Result<Pipelines, EngineError> {
        let layouts = Layouts::new(device, flavour);
        let make = |kernel| compute_pipeline(device, &layouts, &layouts.pipeline, kernel);
        Ok(Pipelines {
            field_sweeps: vec![None; MAX_FIELD_TERMS + 1],
            field_guard: compute_pipeline(
                device,
                &layouts,
                &layouts.guard_pipeline,
                "field_guard",
            )?,
            cells: make("cells")?,
            resolves: [None, None],
            clone_assign: make("clone_assign")?,
            immune_moves: make("immune_moves")?,
            censuses: Vec::new(),
            field_terms: [0; MAX_FIELDS],
            occupied: 0,
            census: 0,
            layouts,
        })
    }

    /// Makes the variants `sim` and `fields` need (compiling those not made yet) the
    /// ones `field_sweep` and `get` return.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<(), EngineError> {
        let layouts = &self.layouts;
        let layout = &layouts.pipeline;
        for (f, field) in fields.iter().enumerate().take(MAX_FIELDS) {
            let n = field.active_terms().len();
            if self.field_sweeps[n].is_none() {
                let constants = [("FIELD_TERMS", n as f64)];
                self.field_sweeps[n] = Some(specialised_pipeline(
                    device,
                    layouts,
                    layout,
                    "field_sweep",
                    &constants,
                )?);
            }
            self.field_terms[f] = n;
        }
        self.occupied = (sim.occupied_actions != 0) as usize;
        if self.resolves[self.occupied].is_none() {
            let constants = [("OCCUPIED_ACTIONS", self.occupied as f64)];
            self.resolves[self.occupied] = Some(specialised_pipeline(
                device, layouts, layout, "resolve", &constants,
            )?);
        }
        let sums = census_masks(fields);
        self.census = match self.censuses.iter().position(|(k, _)| *k == sums) {
            Some(at) => at,
            None => {
                let constants = [
                    ("CENSUS_ALL_FIELDS", sums.0 as f64),
                    ("CENSUS_TUMOUR_FIELDS", sums.1 as f64),
                ];
                let made = specialised_pipeline(device, layouts, layout, "census", &constants)?;
                self.censuses.push((sums, made));
                self.censuses.len() - 1
            }
        };
        Ok(())
    }

    /// The sweep of field `field`, for the term count `prepare` last saw.
    pub fn field_sweep(&self, field: u32) -> &wgpu::ComputePipeline {
        let n = self.field_terms[(field as usize).min(MAX_FIELDS - 1)];
        self.field_sweeps[n]
            .as_ref()
            .expect("Pipelines::prepare runs before every dispatch")
    }

    /// The pipeline of `pass`; a field sweep is field `field`'s.
    pub fn get(&self, pass: Pass, field: u32) -> &wgpu::ComputePipeline {
        match pass {
            Pass::FieldSweep => self.field_sweep(field),
            Pass::Cells => &self.cells,
            Pass::Resolve => self.resolves[self.occupied]
                .as_ref()
                .expect("Pipelines::prepare runs before every dispatch"),
            Pass::CloneAssign => &self.clone_assign,
            Pass::ImmuneMoves => &self.immune_moves,
            Pass::Census => &self.censuses[self.census].1,
        }
    }
}

/// Which specialised kernels a scene needs (`Pipelines::prepare`): the scenes of a pack
/// share their dispatches, so they must agree on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelVariant {
    pub field_terms: Vec<usize>,
    pub occupied_actions: bool,
    pub census_sums: (u32, u32),
}

impl KernelVariant {
    pub fn of(sim: &SimParams, fields: &[FieldParams]) -> KernelVariant {
        KernelVariant {
            field_terms: fields.iter().map(|f| f.active_terms().len()).collect(),
            occupied_actions: sim.occupied_actions != 0,
            census_sums: census_masks(fields),
        }
    }
}

// The census masks hold a bit per field.
const _: () = assert!(MAX_FIELDS <= 32);

/// The fields whose census sums are read, over every site and over tumour cells, as
/// bit masks by field index.
fn census_masks(fields: &[FieldParams]) -> (u32, u32) {
    let mask = |bit: u32| {
        fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.census_sums & bit != 0)
            .fold(0u32, |m, (i, _)| m | 1 << i)
    };
    (mask(CENSUS_ALL_SITES), mask(CENSUS_TUMOUR_SITES))
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
    fn census_masks_have_a_bit_per_field_that_asks_for_the_sum() {
        let with = |sums| FieldParams {
            census_sums: sums,
            ..FieldParams::default()
        };
        let fields = [
            with(CENSUS_ALL_SITES | CENSUS_TUMOUR_SITES),
            with(0),
            with(CENSUS_TUMOUR_SITES),
            with(CENSUS_ALL_SITES),
        ];
        assert_eq!(census_masks(&fields), (0b1001, 0b0101));
        assert_eq!(census_masks(&[]), (0, 0));
    }

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
