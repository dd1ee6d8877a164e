//! The explicit bind-group layouts every kernel shares: 0 = parameters, 1 = cells,
//! 2 = fields; and 3 = control (the next sweep's indirect dispatch size), bound only by
//! `field_guard`. Keep in sync with shaders/shared/bindings.wgsl (and the census binding
//! in shaders/census.wgsl).

use super::buffers::Substep;
use super::shaders::Flavour;
use crate::model::census::Census;
use crate::model::drug_params::DrugSet;
use crate::model::immune::ImmuneParams;
use crate::model::params::{FieldParams, PackRange, SimParams, SweepParams, MAX_FIELDS};
use crate::model::site::Site;
use std::num::NonZeroU64;
use std::sync::Arc;

/// Bytes of one array element or uniform struct, as a binding's minimum size.
fn min_size<T>() -> Option<NonZeroU64> {
    NonZeroU64::new(std::mem::size_of::<T>() as u64)
}

fn uniform(binding: u32, dynamic: bool, size: Option<NonZeroU64>) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: dynamic,
            min_binding_size: size,
        },
        count: None,
    }
}

fn storage(binding: u32, read_only: bool, size: Option<NonZeroU64>) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: size,
        },
        count: None,
    }
}

/// The entries of bind group `group` (0 to 3; empty otherwise) for kernels of
/// `flavour`. Public so that tests/layout_reflection.rs can hold them against the
/// shaders' declarations.
pub fn group_entries(group: u32, flavour: Flavour) -> Vec<wgpu::BindGroupLayoutEntry> {
    // Each scene's parameters, MAX_FIELDS field descriptors and drugs: a lone run's as
    // uniforms, a pack's as arrays with an entry per scene.
    let per_scene = |binding: u32, size: Option<NonZeroU64>| match flavour {
        Flavour::Lone => uniform(binding, false, size),
        Flavour::Packed => storage(binding, true, size),
    };
    let fields_size = match flavour {
        Flavour::Lone => NonZeroU64::new((MAX_FIELDS * std::mem::size_of::<FieldParams>()) as u64),
        Flavour::Packed => min_size::<FieldParams>(),
    };
    match group {
        0 => vec![
            per_scene(0, min_size::<SimParams>()),
            per_scene(1, fields_size),
            // One slot per (field, sweep index, colour), chosen by a dynamic offset.
            uniform(2, true, min_size::<SweepParams>()),
            per_scene(3, min_size::<DrugSet>()),
            // The scenes a dispatch covers.
            uniform(4, false, min_size::<PackRange>()),
            // The T-cell rules.
            per_scene(5, min_size::<ImmuneParams>()),
            // The immune substep of a dispatch, chosen by a dynamic offset.
            uniform(6, true, min_size::<Substep>()),
        ],
        1 => vec![
            storage(0, true, min_size::<Site>()),
            storage(1, false, min_size::<Site>()),
            storage(2, false, min_size::<u32>()),
            storage(3, false, min_size::<u32>()),
        ],
        2 => vec![
            storage(0, false, min_size::<f32>()),
            storage(1, false, min_size::<u32>()),
            storage(2, false, min_size::<Census>()),
            storage(3, true, min_size::<u32>()),
            storage(4, false, min_size::<u32>()),
            storage(5, false, min_size::<u32>()),
            // The immune tables.
            storage(6, true, min_size::<u32>()),
        ],
        3 => vec![storage(0, false, NonZeroU64::new(12))],
        _ => Vec::new(),
    }
}

/// The group layouts, the pipeline layout of the tick kernels (groups 0–2) and that
/// of `field_guard` (groups 0–3), for kernels of one flavour.
pub struct Layouts {
    pub flavour: Flavour,
    pub params: wgpu::BindGroupLayout,
    pub cells: wgpu::BindGroupLayout,
    pub fields: wgpu::BindGroupLayout,
    pub control: wgpu::BindGroupLayout,
    pub pipeline: wgpu::PipelineLayout,
    pub guard_pipeline: wgpu::PipelineLayout,
}

impl Layouts {
    pub fn new(device: &wgpu::Device, flavour: Flavour) -> Arc<Layouts> {
        let make = |group: u32, label: &str| {
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(label),
                entries: &group_entries(group, flavour),
            })
        };
        let params = make(0, "oncolattice.layout.params");
        let cells = make(1, "oncolattice.layout.cells");
        let fields = make(2, "oncolattice.layout.fields");
        let control = make(3, "oncolattice.layout.control");
        let pipeline = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("oncolattice.layout.pipeline"),
            bind_group_layouts: &[Some(&params), Some(&cells), Some(&fields)],
            immediate_size: 0,
        });
        let guard_pipeline = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("oncolattice.layout.guard_pipeline"),
            bind_group_layouts: &[Some(&params), Some(&cells), Some(&fields), Some(&control)],
            immediate_size: 0,
        });
        Arc::new(Layouts {
            flavour,
            params,
            cells,
            fields,
            control,
            pipeline,
            guard_pipeline,
        })
    }
}
