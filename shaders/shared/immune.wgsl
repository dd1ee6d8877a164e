// What the T-cell code of the cells pass, immune_moves and resolve share: the RNG key
// of an immune substep, neighbour masks and the kill multiplier.
// Keep in sync with src/engine/cpu/immune.rs and src/model/immune.rs.
// Requires rng, lattice and bindings.

// The RNG key of this dispatch: the tick's, or that of its immune substep.
fn dispatch_key() -> u32 {
    if substep.enabled != 0u {
        return substep_key(sim.tick_key, substep.index);
    }
    return sim.tick_key;
}

// Bit k set when neighbour slot k (see offset_of) of the site at c is in the cell
// neighbourhood, inside the lattice and of kind `kind`. Bits follow the canonical
// order, so the j-th set bit is the j-th such neighbour of the CPU's masks.
fn kind_mask(c: vec3<u32>, kind: u32) -> u32 {
    var mask = 0u;
    for (var k = 0u; k < NEIGHBOUR_SLOTS; k++) {
        let d = offset_of(k);
        if !in_neighbourhood(d) { continue; }
        let n = neighbour_at(c, d);
        if n != NO_SITE && kind_of(src[at(n)]) == kind {
            mask |= 1u << k;
        }
    }
    return mask;
}

// The slot of the j-th set bit of `mask` (j < countOneBits(mask)).
fn nth_slot(mask: u32, j: u32) -> u32 {
    var m = mask;
    for (var k = 0u; k < j; k++) {
        m &= m - 1u;
    }
    return firstTrailingBit(m);
}

// A factor's 16-bit effect from table t at site i (0 when the scene has no such field).
fn immune_factor(t: u32, field: u32, i: u32) -> u32 {
    if field == NO_FIELD {
        return 0u;
    }
    return immune_table[immune_table_at(t) + pd_index(conc[field_at(field, i)])];
}

// The kill multiplier (16-bit) of a contact (twin of immune::kill_multiplier).
fn kill_multiplier(recognition: u32, pdl1_level: u32, blocked: u32, suppressed: u32) -> u32 {
    let pdl1 = (pdl1_level * (ONE16 - blocked)) >> 16u;
    let keep_pd = ONE16 - ((pdl1 * immune.pdl1_protection) >> 16u);
    let keep_supp = ONE16 - suppressed;
    return (((recognition * keep_pd) >> 16u) * keep_supp) >> 16u;
}

// An f32's place in IEEE order as an integer, for exact comparisons whatever the
// device does with subnormals: a > b and a == b of two non-NaN floats are those of
// their keys (-0 and +0 share one). -inf has the key 0x007fffff, the least.
fn order_key(c: f32) -> u32 {
    var b = bitcast<u32>(c);
    if b == 0x80000000u {
        b = 0u;
    }
    return select(b | 0x80000000u, ~b, (b >> 31u) == 1u);
}

fn is_nan(c: f32) -> bool {
    return (bitcast<u32>(c) & 0x7fffffffu) > 0x7f800000u;
}
