// Pass 3, cells: each site decides from its own state, its neighbourhood and the
// fields: apoptosis, necrosis after sustained anoxia, hypoxic quiescence, cycle
// progression, and a wish to divide into a free neighbour.
// Reads src (state at the start of the tick), writes dst and wish.
// CPU twin: src/engine/cpu/cells.rs (cells).

#import params
#import site
#import rng
#import lattice
#import bindings

// The free neighbour picked for a division, or NO_SITE if none is free.
fn pick_free_neighbour(i: u32) -> u32 {
    let c = site_coords(i);
    let zr = select(0, 1, sim.nz > 1u);
    var free = 0u;
    for (var dz = -zr; dz <= zr; dz++) {
        for (var dy = -1; dy <= 1; dy++) {
            for (var dx = -1; dx <= 1; dx++) {
                let d = vec3<i32>(dx, dy, dz);
                if !in_neighbourhood(d) { continue; }
                let n = neighbour_at(c, d);
                if n != NO_SITE && kind_of(src[n]) == KIND_EMPTY { free += 1u; }
            }
        }
    }
    if free == 0u {
        return NO_SITE;
    }
    var k = draw(sim.tick_key, i, STREAM_TARGET) % free;
    for (var dz = -zr; dz <= zr; dz++) {
        for (var dy = -1; dy <= 1; dy++) {
            for (var dx = -1; dx <= 1; dx++) {
                let d = vec3<i32>(dx, dy, dz);
                if !in_neighbourhood(d) { continue; }
                let n = neighbour_at(c, d);
                if n != NO_SITE && kind_of(src[n]) == KIND_EMPTY {
                    if k == 0u { return n; }
                    k -= 1u;
                }
            }
        }
    }
    return NO_SITE;
}

@compute @workgroup_size(256)
fn cells(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = thread_index(gid, nwg);
    if i >= sim.n_sites {
        return;
    }
    let s = src[i];
    wish[i] = 0u;
    if kind_of(s) != KIND_TUMOUR {
        dst[i] = s;
        return;
    }
    if draw(sim.tick_key, i, STREAM_APOPTOSIS) < sim.apoptosis_threshold {
        dst[i] = Site(KIND_EMPTY, 0u, 0u, 0u);
        return;
    }
    let o2 = conc[i];
    var anoxic = s.w2 & LOW16;
    if o2 < sim.anoxic_mmhg {
        anoxic = min(anoxic + 1u, LOW16);
        if anoxic >= sim.anoxic_ticks {
            dst[i] = Site(KIND_NECROTIC | (s.w0 & HIGH16), 0u, 0u, s.w3);
            return;
        }
    } else {
        anoxic = 0u;
    }
    var w0 = s.w0;
    var progress = s.w1 & LOW16;
    let len = s.w1 >> 16u;
    if o2 < sim.hypoxic_mmhg {
        w0 |= QUIESCENT_BIT;
    } else {
        w0 &= ~QUIESCENT_BIT;
        progress = min(progress + 1u, len);
        if progress >= len {
            let target_site = pick_free_neighbour(i);
            if target_site != NO_SITE {
                wish[i] = target_site + 1u;
            }
        }
    }
    dst[i] = Site(w0, (s.w1 & HIGH16) | progress, (s.w2 & HIGH16) | anoxic, s.w3);
}
