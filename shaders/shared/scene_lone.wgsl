// Group 0's per-scene parameters for a lone run, a pack of one (the `scene_params` import
// in bindings.wgsl): plain uniforms, as before packing. On a SIMD device a uniform is
// read once for all lanes, where a storage array indexed by the scene is read per lane
// and bounds-checked (BENCHMARKS.md, "Many scenes per GPU dispatch").

@group(0) @binding(0) var<uniform> sim: SimParams;
// Field 0 is oxygen, field 1 + d is drug d, then factors.
@group(0) @binding(1) var<uniform> fields: array<FieldParams, MAX_FIELDS>;
@group(0) @binding(3) var<uniform> drug_set: DrugSet;
// The T-cell rules (all zero, enabled 0, without [immune]).
@group(0) @binding(5) var<uniform> immune: ImmuneParams;

// The pack's only scene; it is always advancing while it is dispatched.
fn enter_scene(z: u32) -> bool {
    scene = 0u;
    base = 0u;
    all_sites = sim.n_sites;
    lineage_base = 0u;
    return sim.scene_active != 0u;
}

fn enter_scene_with_drugs(z: u32) -> bool {
    return enter_scene(z);
}

fn field_params(f: u32) -> u32 {
    return f;
}

// Makes `immune` the scene's T-cell rules (a uniform here: nothing to do).
fn load_immune() {
}
