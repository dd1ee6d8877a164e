// Pass 4, resolve: wishes that target the same free site are settled by a priority
// drawn from the RNG, ties broken by the lower site index, so the winner never depends
// on thread order. Gather-only: the target writes the daughter, the parent checks
// whether it won. A daughter may mutate (DrugSet::mutate); mutants are appended to the
// lineage buffer's event list for clone_assign. Reads src (after cells) and wish, writes dst.
// CPU twin: src/engine/cpu/resolve.rs (resolve).

#import params
#import site
#import rng
#import lattice
#import drugs
#import bindings

// The parent whose division into free site t wins this tick, or NO_SITE.
fn winner_for(t: u32) -> u32 {
    let c = site_coords(t);
    var best = NO_SITE;
    var best_priority = 0u;
    for (var k = 0u; k < NEIGHBOUR_SLOTS; k++) {
        let d = offset_of(k);
        if !in_neighbourhood(d) { continue; }
        let n = neighbour_at(c, d);
        if n == NO_SITE || wish[n] != t + 1u { continue; }
        let p = draw(sim.tick_key, n, STREAM_PRIORITY);
        if best == NO_SITE || p > best_priority || (p == best_priority && n < best) {
            best = n;
            best_priority = p;
        }
    }
    return best;
}

// The traits of a daughter born at `site` to a cell with `traits`: each trait bit not
// yet set mutates with its own draw (twin of DrugSet::mutate in src/model/drug_params.rs).
fn mutate(key: u32, site: u32, traits: u32) -> u32 {
    var out = traits;
    for (var k = 0u; k < 8u; k++) {
        let threshold = drug_set.mutation_threshold[k / 4u][k % 4u];
        if (traits & (1u << k)) == 0u && threshold > 0u
            && draw(key, site, STREAM_MUTATION0 + k) < threshold {
            out = out | (1u << k);
        }
    }
    return out;
}

// A fresh cycle (progress 0) whose length suits the cell's traits.
fn new_cycle(site: u32, traits: u32) -> u32 {
    let len = cycle_len_from(sim.tick_key, site, sim.cycle_mean_fx8, sim.cycle_sd_coef);
    return scale_cycle(len, traits) << 16u;
}

@compute @workgroup_size(256)
fn resolve(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = thread_index(gid, nwg);
    if i >= sim.n_sites {
        return;
    }
    let s = src[i];
    var out = s;
    if kind_of(s) == KIND_EMPTY {
        let parent = winner_for(i);
        if parent != NO_SITE {
            let p = src[parent];
            let traits = mutate(sim.tick_key, i, p.w3);
            out = Site(KIND_TUMOUR | (p.w0 & HIGH16), new_cycle(i, traits), 0u, traits);
            // A mutant founds a clone: clone_assign numbers this tick's mutants by site.
            if traits != p.w3 {
                let e = atomicAdd(&lineage[LINEAGE_EVENTS], 1u);
                if e < EVENT_CAP {
                    atomicStore(&lineage[LINEAGE_EVENTS_AT + e], i);
                }
            }
            // The daughter carries on its lineage's exposure. No thread writes the
            // parent's slots in this pass (only free target sites are written).
            for (var d = 0u; d < drug_set.n_drugs; d++) {
                exposure[d * sim.n_sites + i] = exposure[d * sim.n_sites + parent];
            }
        }
    } else if wish[i] != 0u && winner_for(wish[i] - 1u) == i {
        out = Site(s.w0, new_cycle(i, s.w3), s.w2, s.w3);
    }
    dst[i] = out;
    // What the next tick's field sweeps read of this site (clone_assign, which may
    // still renumber it, changes only its clone).
    site_code[i] = solve_code(out);
}
