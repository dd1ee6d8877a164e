// Parameters in lattice units. Keep in sync with src/model/params.rs.

struct SimParams {
    nx: u32,
    ny: u32,
    nz: u32,
    n_sites: u32,
    moore: u32,
    tick: u32,
    tick_key: u32,
    apoptosis_threshold: u32,
    anoxic_ticks: u32,
    cycle_mean_fx8: i32,
    cycle_sd_coef: i32,
    hypoxic_mmhg: f32,
    anoxic_mmhg: f32,
    compression_onset: u32,
    compression_collapse: u32,
    initial_clones: u32,
    n_fields: u32,
    occupied_actions: u32,
    // 0 for a scene of a pack that no longer advances (its run has ended).
    scene_active: u32,
    // Residual slots per scene (n_fields × sweep capacity).
    residual_stride: u32,
}

// A source or sink of a field at the sites of one kind and state (FieldTerm in
// src/model/params.rs, which says what each order means).
struct FieldTerm {
    kind: u32,
    state: u32,
    order: u32,
    rate: f32,
    half_max: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

struct FieldParams {
    decay: f32,
    vessel_exchange: f32,
    vessel_level: f32,
    boundary_level: f32,
    fixed_boundary: u32,
    omega: f32,
    tolerance: f32,
    max_sweeps: u32,
    sweep_groups_x: u32,
    sweep_groups_y: u32,
    census_scale: f32,
    census_sums: u32,
    n_terms: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    terms: array<FieldTerm, MAX_FIELD_TERMS>,
}

// The scenes a dispatch covers (PackRange in src/model/params.rs).
struct PackRange {
    first: u32,
    count: u32,
    _pad0: u32,
    _pad1: u32,
}

// The T-cell rules of a scene in lattice units. Keep in sync with ImmuneParams in
// src/model/immune.rs (its `recognition: [u32; 2]` is recognition0, recognition1 here).
struct ImmuneParams {
    enabled: u32,
    chemokine_field: u32,
    // NO_FIELD when the scene names none.
    ifng_field: u32,
    suppressor_field: u32,
    checkpoint_field: u32,
    moves_per_tick: u32,
    walk_bias_threshold: u32,
    lifespan_ticks: u32,
    kill_ticks: u32,
    max_kills: u32,
    divisions_per_kill: u32,
    pdl1_constitutive: u32,
    pdl1_protection: u32,
    // Recognition (16-bit) of a cell without and with the antigen-loss trait.
    recognition0: u32,
    recognition1: u32,
    _pad0: u32,
}

// Which immune substep a dispatch of resolve or immune_moves is (chosen by a dynamic
// offset): `enabled` 0 for the tick's own resolve (key sim.tick_key), else substep
// `index` (key substep_key(sim.tick_key, index)). Keep in sync with Substep in
// src/engine/gpu/buffers.rs.
struct Substep {
    index: u32,
    enabled: u32,
    _pad0: u32,
    _pad1: u32,
}

struct SweepParams {
    colour: u32,
    index: u32,
    field: u32,
    residual_slot: u32,
}

// Linear thread index of a 2D dispatch of 1D workgroups (lets grids exceed 65535 groups).
fn thread_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
}
