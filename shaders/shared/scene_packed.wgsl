// Group 0's per-scene parameters for a pack of several scenes (the `scene_params` import
// in bindings.wgsl): entry s of `sims` and `drug_sets`, entries s·MAX_FIELDS … of
// `fields`, copied into private variables by `enter_scene`.

// One entry per scene.
@group(0) @binding(0) var<storage, read> sims: array<SimParams>;
// MAX_FIELDS entries per scene: field 0 is oxygen, field 1 + d is drug d, then factors.
@group(0) @binding(1) var<storage, read> fields: array<FieldParams>;
// One entry per scene.
@group(0) @binding(3) var<storage, read> drug_sets: array<DrugSet>;
// One entry per scene: the T-cell rules (all zero, enabled 0, without [immune]).
@group(0) @binding(5) var<storage, read> immunes: array<ImmuneParams>;

var<private> sim: SimParams;
var<private> drug_set: DrugSet;
var<private> immune: ImmuneParams;

// Enters the scene of workgroup z of the dispatch; false when the scene is not advancing (a packed
// run that has ended), whose sites the kernel then leaves alone.
fn enter_scene(z: u32) -> bool {
    let s = pack.first + z;
    scene = s;
    sim = sims[s];
    base = s * sim.n_sites;
    all_sites = sim.n_sites * arrayLength(&sims);
    lineage_base = s * LINEAGE_WORDS;
    return sim.scene_active != 0u;
}

// enter_scene for the kernels that read the drugs.
fn enter_scene_with_drugs(z: u32) -> bool {
    drug_set = drug_sets[pack.first + z];
    return enter_scene(z);
}

fn field_params(f: u32) -> u32 {
    return scene * MAX_FIELDS + f;
}

// Makes `immune` the scene's T-cell rules (after enter_scene).
fn load_immune() {
    immune = immunes[scene];
}
