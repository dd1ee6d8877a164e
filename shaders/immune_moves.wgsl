// One of the tick's T-cell moves (model::immune), a pass of its own settled by
// resolve: every T cell that is not engaged, and not next to a tumour cell it could
// contact, wishes to move into a free neighbour — with probability chemotaxis_bias the
// one of highest chemokine (ties at random), else any. Every other site wishes
// nothing. Writes only wish; the RNG key is the substep's (dispatch_key).
// Reads src (the state after the tick's resolve or the last move).
// CPU twin: src/engine/cpu/immune.rs (immune_moves).

#import params
#import site
#import rng
#import lattice
#import drugs
#import bindings
#import immune

// The wish of the T cell s at site i.
fn tcell_move(i: u32, s: Site, key: u32) -> u32 {
    if (s.w0 & ENGAGED_BIT) != 0u {
        return 0u;
    }
    let c = site_coords(i);
    let free_to_contact = (s.w0 & (DETACHED_BIT | EXHAUSTED_BIT)) == 0u;
    if free_to_contact && kind_mask(c, KIND_TUMOUR) != 0u {
        return 0u;
    }
    let free = kind_mask(c, KIND_EMPTY);
    if free == 0u {
        return 0u;
    }
    let pick = draw(key, i, STREAM_WALK_PICK);
    var slot = 0u;
    if draw(key, i, STREAM_WALK_BIAS) < immune.walk_bias_threshold {
        // The free neighbours of the highest level (compared as the CPU's f32 > and ==:
        // order_key), then one of them at random. NaN levels are never the highest.
        // order_key(-inf): the least key, as the CPU starts from -inf.
        var best = 0x007fffffu;
        var ties = 0u;
        var bits = free;
        while bits != 0u {
            let k = firstTrailingBit(bits);
            bits &= bits - 1u;
            let level = conc[field_at(immune.chemokine_field, neighbour_at(c, offset_of(k)))];
            if is_nan(level) {
                continue;
            }
            let key_k = order_key(level);
            if key_k > best {
                best = key_k;
                ties = 1u << k;
            } else if key_k == best {
                ties |= 1u << k;
            }
        }
        // (No ties only when every level is NaN, which ends the run after this tick.)
        if ties == 0u {
            ties = free;
        }
        slot = nth_slot(ties, pick % countOneBits(ties));
    } else {
        slot = nth_slot(free, pick % countOneBits(free));
    }
    return (ACTION_MOVE << WISH_ACTION_SHIFT) | slot;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn immune_moves(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let i = thread_index(gid, nwg);
    if !enter_scene(wid.z) || i >= sim.n_sites {
        return;
    }
    load_immune();
    let g = at(i);
    let s = src[g];
    var w = 0u;
    if kind_of(s) == KIND_TCELL {
        w = tcell_move(i, s, dispatch_key());
    }
    wish[g] = w;
}
