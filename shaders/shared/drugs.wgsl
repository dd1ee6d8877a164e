// Drugs and traits as the cells and resolve kernels read them.
// Keep in sync with src/model/drug_params.rs and src/model/pd.rs.

struct DrugParams {
    drug_class: u32,
    efflux_substrate: u32,
    exposure_um: f32,
    // Where its level is: conc[field * n_sites + site].
    field: u32,
}

struct DrugSet {
    n_drugs: u32,
    efflux_fraction: f32,
    inv_target_factor: f32,
    inv_persister_factor: f32,
    persister_entry_threshold: u32,
    persister_exit_threshold: u32,
    s_g2_m_ticks: u32,
    auc_per_um_tick: f32,
    // INTERACTION_*: how the drugs' effects combine in one cell.
    interaction: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    cycle_factor_fx8: vec4<u32>,
    // Per-division mutation threshold of trait bit k: mutation_threshold[k / 4][k % 4].
    mutation_threshold: array<vec4<u32>, TRAIT_BITS / 4u>,
    drugs: array<DrugParams, MAX_DRUGS>,
}

// PD table index: top bits of the level's IEEE-754 pattern, 16 bins per octave.

fn pd_index(c: f32) -> u32 {
    let positive = select(0.0, c, c > 0.0);
    return min(bitcast<u32>(positive) >> PD_SHIFT, PD_TABLE_LEN - 1u);
}

// A drawn cycle length scaled by the factor of the cell's traits (efflux cost, slow cycling).
fn scale_cycle(len: u32, traits: u32) -> u32 {
    let combo = select(0u, 1u, (traits & TRAIT_EFFLUX) != 0u) | select(0u, 2u, (traits & TRAIT_SLOW_CYCLE) != 0u);
    let factor = drug_set.cycle_factor_fx8[combo];
    return clamp((len * factor + 128u) >> 8u, 1u, 0xffffu);
}
