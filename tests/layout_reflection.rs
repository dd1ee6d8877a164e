//! Shared layouts, checked without a GPU: naga's reflection of the WGSL structs
//! (size and every member's offset and size) against the Rust `#[repr(C)]` structs,
//! and every resource the tick kernels declare against the explicit bind-group layouts
//! of src/engine/gpu/layout.rs.

use bytemuck::Zeroable;
use naga::proc::Layouter;
use oncolattice::engine::gpu::probe::Probe;
use oncolattice::engine::gpu::shaders::Flavour;
use oncolattice::engine::gpu::{group_entries, shaders, Substep};
use oncolattice::model::census::Census;
use oncolattice::model::drug_params::{DrugParams, DrugSet};
use oncolattice::model::immune::ImmuneParams;
use oncolattice::model::params::{FieldParams, FieldTerm, PackRange, SimParams, SweepParams};
use oncolattice::model::site::Site;
use std::collections::BTreeMap;
use std::mem::{offset_of, size_of, size_of_val};

/// (WGSL member name, offset, size)
type Members = Vec<(String, usize, usize)>;

macro_rules! members {
    ($t:ty { $($wgsl:literal => $field:ident),* $(,)? }) => {{
        let z = <$t as Zeroable>::zeroed();
        let _ = &z;
        vec![$(($wgsl.to_string(), offset_of!($t, $field), size_of_val(&z.$field))),*]
    }};
}

/// A Rust `[u32; n]` padding field spelled `{prefix}0 .. {prefix}{n-1}` in WGSL.
fn padding(prefix: &str, offset: usize, count: usize) -> Members {
    (0..count)
        .map(|k| (format!("{prefix}{k}"), offset + 4 * k, 4))
        .collect()
}

/// The Rust view of every struct that crosses to WGSL: (size, members in order).
fn expected() -> BTreeMap<&'static str, (usize, Members)> {
    let sim = members!(SimParams {
        "nx" => nx, "ny" => ny, "nz" => nz, "n_sites" => n_sites, "moore" => moore,
        "tick" => tick, "tick_key" => tick_key, "apoptosis_threshold" => apoptosis_threshold,
        "anoxic_ticks" => anoxic_ticks, "cycle_mean_fx8" => cycle_mean_fx8,
        "cycle_sd_coef" => cycle_sd_coef, "hypoxic_mmhg" => hypoxic_mmhg,
        "anoxic_mmhg" => anoxic_mmhg, "compression_onset" => compression_onset,
        "compression_collapse" => compression_collapse, "initial_clones" => initial_clones,
        "n_fields" => n_fields, "occupied_actions" => occupied_actions,
        "scene_active" => scene_active, "residual_stride" => residual_stride,
    });
    let mut field = members!(FieldParams {
        "decay" => decay,
        "vessel_exchange" => vessel_exchange, "vessel_level" => vessel_level,
        "boundary_level" => boundary_level, "fixed_boundary" => fixed_boundary,
        "omega" => omega, "tolerance" => tolerance, "max_sweeps" => max_sweeps,
    });
    field.extend([
        (
            "sweep_groups_x".to_string(),
            offset_of!(FieldParams, sweep_groups),
            4,
        ),
        (
            "sweep_groups_y".to_string(),
            offset_of!(FieldParams, sweep_groups) + 4,
            4,
        ),
    ]);
    field.extend(members!(FieldParams {
        "census_scale" => census_scale, "census_sums" => census_sums, "n_terms" => n_terms,
    }));
    field.extend(padding("_pad", offset_of!(FieldParams, _pad), 3));
    field.extend(members!(FieldParams { "terms" => terms }));
    let mut term = members!(FieldTerm {
        "kind" => kind, "state" => state, "order" => order, "rate" => rate,
        "half_max" => half_max,
    });
    term.extend(padding("_pad", offset_of!(FieldTerm, _pad), 3));
    let sweep = members!(SweepParams {
        "colour" => colour, "index" => index, "field" => field, "residual_slot" => residual_slot,
    });
    let site = members!(Site { "w0" => w0, "w1" => w1, "w2" => w2, "w3" => w3 });
    let census = members!(Census {
        "counts" => counts, "min_xyz" => min, "max_xyz" => max, "clones" => clones, "mutations" => mutations,
        "clone_live" => clone_live, "acquired_live" => acquired_live,
        "field_sum" => field_sum, "field_tumour_sum" => field_tumour_sum, "_pad" => _pad,
    });
    let mut drug_set = members!(DrugSet {
        "n_drugs" => n_drugs, "efflux_fraction" => efflux_fraction,
        "inv_target_factor" => inv_target_factor, "inv_persister_factor" => inv_persister_factor,
        "persister_entry_threshold" => persister_entry_threshold,
        "persister_exit_threshold" => persister_exit_threshold, "s_g2_m_ticks" => s_g2_m_ticks,
        "auc_per_um_tick" => auc_per_um_tick, "interaction" => interaction,
    });
    drug_set.extend(padding("_pad", offset_of!(DrugSet, _pad), 3));
    drug_set.extend(members!(DrugSet {
        "cycle_factor_fx8" => cycle_factor_fx8, "mutation_threshold" => mutation_threshold,
        "drugs" => drugs,
    }));
    let mut drug = members!(DrugParams {
        "drug_class" => drug_class, "efflux_substrate" => efflux_substrate, "exposure_um" => exposure_um,
    });
    drug.extend(members!(DrugParams { "field" => field }));
    let mut probe = members!(Probe {
        "key" => key, "stream" => stream, "cycle_mean_fx8" => cycle_mean_fx8,
        "cycle_sd_coef" => cycle_sd_coef, "count" => count,
    });
    probe.extend(padding("_pad", offset_of!(Probe, _pad), 3));
    let mut pack = members!(PackRange { "first" => first, "count" => count });
    pack.extend(padding("_pad", offset_of!(PackRange, _pad), 2));
    let mut immune = members!(ImmuneParams {
        "enabled" => enabled, "chemokine_field" => chemokine_field, "ifng_field" => ifng_field,
        "suppressor_field" => suppressor_field, "checkpoint_field" => checkpoint_field,
        "moves_per_tick" => moves_per_tick, "walk_bias_threshold" => walk_bias_threshold,
        "lifespan_ticks" => lifespan_ticks, "kill_ticks" => kill_ticks, "max_kills" => max_kills,
        "divisions_per_kill" => divisions_per_kill, "pdl1_constitutive" => pdl1_constitutive,
        "pdl1_protection" => pdl1_protection,
    });
    // `recognition: [u32; 2]` is two scalars in WGSL (a uniform array needs a 16-byte stride).
    immune.extend(padding(
        "recognition",
        offset_of!(ImmuneParams, recognition),
        2,
    ));
    immune.extend(padding("_pad", offset_of!(ImmuneParams, _pad), 1));
    let mut substep = members!(Substep { "index" => index, "enabled" => enabled });
    substep.extend(padding("_pad", offset_of!(Substep, _pad), 2));
    BTreeMap::from([
        ("ImmuneParams", (size_of::<ImmuneParams>(), immune)),
        ("Substep", (size_of::<Substep>(), substep)),
        ("PackRange", (size_of::<PackRange>(), pack)),
        ("SimParams", (size_of::<SimParams>(), sim)),
        ("FieldParams", (size_of::<FieldParams>(), field)),
        ("FieldTerm", (size_of::<FieldTerm>(), term)),
        ("SweepParams", (size_of::<SweepParams>(), sweep)),
        ("Site", (size_of::<Site>(), site)),
        ("DrugSet", (size_of::<DrugSet>(), drug_set)),
        ("DrugParams", (size_of::<DrugParams>(), drug)),
        ("Census", (size_of::<Census>(), census)),
        ("Probe", (size_of::<Probe>(), probe)),
    ])
}

fn layouter(module: &naga::Module) -> Layouter {
    let mut layouter = Layouter::default();
    if let Err(e) = layouter.update(module.to_ctx()) {
        panic!("naga layout failed: {e}");
    }
    layouter
}

fn module(kernel: &str, flavour: Flavour) -> naga::Module {
    match shaders::validated_flavour(kernel, flavour) {
        Ok((module, _)) => module,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn wgsl_structs_match_rust_structs() {
    let expected = expected();
    for flavour in Flavour::ALL {
        structs_match(&expected, flavour);
    }
}

fn structs_match(expected: &BTreeMap<&'static str, (usize, Members)>, flavour: Flavour) {
    let mut seen: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for kernel in shaders::ALL_KERNELS {
        let module = module(kernel, flavour);
        let layout = layouter(&module);
        for (handle, ty) in module.types.iter() {
            let Some(name) = ty.name.as_deref() else {
                continue;
            };
            let Some((size, members)) = expected.get(name) else {
                continue;
            };
            let naga::TypeInner::Struct {
                members: wgsl,
                span,
            } = &ty.inner
            else {
                panic!("{kernel}: {name} is not a struct");
            };
            let ctx = format!("{kernel} ({flavour:?}): struct {name}");
            assert_eq!(
                *span as usize, *size,
                "{ctx}: size (WGSL span vs Rust size_of)"
            );
            assert_eq!(layout[handle].size as usize, *size, "{ctx}: layouter size");
            let got: Members = wgsl
                .iter()
                .map(|m| {
                    let n = m.name.clone().unwrap_or_default();
                    (n, m.offset as usize, layout[m.ty].size as usize)
                })
                .collect();
            assert_eq!(&got, members, "{ctx}: (member, offset, size) WGSL vs Rust");
            seen.entry(
                expected
                    .get_key_value(name)
                    .map(|(k, _)| *k)
                    .unwrap_or_default(),
            )
            .or_default()
            .push(kernel);
        }
    }
    for name in expected.keys() {
        assert!(seen.contains_key(name), "no kernel declares struct {name}");
    }
    // Every tick kernel (the six passes and the sweep guard) carries the parameter
    // structs and the site record.
    for name in [
        "SimParams",
        "FieldParams",
        "SweepParams",
        "Site",
        "ImmuneParams",
        "Substep",
    ] {
        assert_eq!(
            seen[name].len(),
            shaders::TICK_KERNELS.len(),
            "{name} declared in {:?}",
            seen[name]
        );
    }
}

/// Minimum binding size naga implies for a global's type: the struct, or one element of
/// a runtime-sized array.
fn min_binding_size(module: &naga::Module, layout: &Layouter, ty: naga::Handle<naga::Type>) -> u64 {
    match &module.types[ty].inner {
        naga::TypeInner::Array {
            size: naga::ArraySize::Dynamic,
            stride,
            ..
        } => *stride as u64,
        _ => layout[ty].size as u64,
    }
}

#[test]
fn kernel_bindings_match_the_explicit_layouts() {
    for flavour in Flavour::ALL {
        bindings_match(flavour);
    }
}

#[test]
fn a_lone_run_binds_its_parameters_as_uniforms_and_a_pack_as_storage() {
    for (flavour, expect_uniform) in [(Flavour::Lone, true), (Flavour::Packed, false)] {
        for binding in [0, 1, 3, 5] {
            let entries = group_entries(0, flavour);
            let entry = entries.iter().find(|e| e.binding == binding).unwrap();
            let wgpu::BindingType::Buffer { ty, .. } = entry.ty else {
                panic!("0/{binding} is not a buffer");
            };
            assert_eq!(
                ty == wgpu::BufferBindingType::Uniform,
                expect_uniform,
                "{flavour:?} 0/{binding}: {ty:?}"
            );
        }
    }
}

fn bindings_match(flavour: Flavour) {
    let mut used: BTreeMap<(u32, u32), Vec<&str>> = BTreeMap::new();
    for kernel in shaders::TICK_KERNELS {
        let module = module(kernel, flavour);
        let layout = layouter(&module);
        for (_, var) in module.global_variables.iter() {
            let Some(rb) = &var.binding else { continue };
            let name = var.name.as_deref().unwrap_or("?");
            let ctx = format!(
                "{kernel} ({flavour:?}): {name} @group({}) @binding({})",
                rb.group, rb.binding
            );
            let entries = group_entries(rb.group, flavour);
            let Some(entry) = entries.iter().find(|e| e.binding == rb.binding) else {
                panic!("{ctx}: not in the explicit layout");
            };
            let wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset,
                min_binding_size: min,
            } = entry.ty
            else {
                panic!("{ctx}: layout entry is not a buffer");
            };
            match (var.space, ty) {
                (naga::AddressSpace::Uniform, wgpu::BufferBindingType::Uniform) => {}
                (
                    naga::AddressSpace::Storage { access },
                    wgpu::BufferBindingType::Storage { read_only },
                ) => {
                    assert_eq!(
                        read_only,
                        !access.contains(naga::StorageAccess::STORE),
                        "{ctx}: read-only in the layout vs the shader"
                    );
                }
                (space, ty) => panic!("{ctx}: shader space {space:?} vs layout {ty:?}"),
            }
            // The sweep's slot and the immune substep's are chosen per dispatch.
            assert_eq!(
                has_dynamic_offset,
                matches!((rb.group, rb.binding), (0, 2) | (0, 6)),
                "{ctx}: dynamic offset"
            );
            assert_eq!(
                min.map(|m| m.get()),
                Some(min_binding_size(&module, &layout, var.ty)),
                "{ctx}: min_binding_size"
            );
            used.entry((rb.group, rb.binding)).or_default().push(kernel);
        }
    }
    for group in 0..4 {
        for e in group_entries(group, flavour) {
            assert!(
                used.contains_key(&(group, e.binding)),
                "layout entry {group}/{} unused",
                e.binding
            );
        }
    }
    // Only the sweep guard binds the control group: the sweeps read that buffer as
    // their indirect arguments, which may not also be bound as storage.
    assert_eq!(used[&(3, 0)], vec!["field_guard"]);
    assert!(group_entries(4, flavour).is_empty());
}
