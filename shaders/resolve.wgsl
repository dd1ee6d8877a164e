// Pass 4, resolve: every wish (an action aimed at a neighbour: divide, move, swap,
// kill, sprout, recruit) is settled the same way (src/model/action.rs): each target goes to
// its claimant with the highest PRIORITY draw, ties to the lower site index, and a
// claimed cell does not act; so the result never depends on thread order and every
// site takes part in at most one event. Gather-only: each site computes what it
// becomes, as target or as actor. A tumour daughter may mutate (DrugSet::mutate);
// mutants are appended to the lineage buffer's event list for clone_assign. Reads src
// (after cells, or after the last T-cell move) and wish, writes dst. The RNG key is the
// tick's, or in an immune substep the substep's (dispatch_key).
// CPU twin: src/engine/cpu/resolve.rs (resolve).

#import params
#import site
#import rng
#import lattice
#import drugs
#import bindings
#import immune

// The RNG key of this dispatch: the tick's, or an immune substep's (dispatch_key).
var<private> key: u32;

// Whether the scene has swap or kill actions (`SimParams::occupied_actions` != 0): set
// per pipeline (engine/gpu/pipelines.rs), so that a scene without them gets a kernel
// with those tests folded away rather than run masked in every SIMD lane.
override OCCUPIED_ACTIONS: bool = true;

// Whether neighbour n, at slot k of site t's block, claims t: its wish aims at t (the
// mirror slot), t suits the action (empty for divide, move and sprout; occupied for
// swap and kill), and n is occupied (`claims`; the occupancy test is left to the
// caller in `aims_at`, which then loads n's kind only for a claim that matters).
// Rules in src/model/action.rs.
fn aims_at(n: u32, k: u32, t_empty: bool) -> bool {
    let w = wish[at(n)];
    // (No wish, 0, names slot 0 with no action: the action test below refuses it.)
    if (w & WISH_SLOT_MASK) != NEIGHBOUR_SLOTS - 1u - k {
        return false;
    }
    let a = w >> WISH_ACTION_SHIFT;
    let wants_empty = a == ACTION_DIVIDE || a == ACTION_MOVE || a == ACTION_SPROUT
        || a == ACTION_RECRUIT;
    if !OCCUPIED_ACTIONS {
        return t_empty && wants_empty;
    }
    let wants_occupied = a == ACTION_SWAP || a == ACTION_KILL;
    return select(wants_occupied, wants_empty, t_empty);
}

fn claims(n: u32, k: u32, t_empty: bool) -> bool {
    return aims_at(n, k, t_empty) && kind_at(n) != KIND_EMPTY;
}

// The kind of site i, loading only the word that holds it.
fn kind_at(i: u32) -> u32 {
    return src[at(i)].w0 & KIND_MASK;
}

// The claimant that site t (empty or not, `t_empty`; at coordinates c) goes to this
// tick: the highest PRIORITY draw, ties to the lower index; or NO_SITE.
fn winner_at(t: u32, c: vec3<u32>, t_empty: bool) -> u32 {
    var best = NO_SITE;
    var best_priority = 0u;
    for (var k = 0u; k < NEIGHBOUR_SLOTS; k++) {
        let d = offset_of(k);
        if !in_neighbourhood(d) { continue; }
        let n = neighbour_at(c, d);
        if n == NO_SITE || !aims_at(n, k, t_empty) { continue; }
        let p = draw(key, n, STREAM_PRIORITY);
        if (best == NO_SITE || p > best_priority || (p == best_priority && n < best))
            && kind_at(n) != KIND_EMPTY {
            best = n;
            best_priority = p;
        }
    }
    return best;
}

// Whether any neighbour claims occupied site q, which then does not act this tick.
fn is_claimed(q: u32) -> bool {
    if !OCCUPIED_ACTIONS {
        return false;
    }
    let c = site_coords(q);
    for (var k = 0u; k < NEIGHBOUR_SLOTS; k++) {
        let d = offset_of(k);
        if !in_neighbourhood(d) { continue; }
        let n = neighbour_at(c, d);
        if n != NO_SITE && claims(n, k, false) { return true; }
    }
    return false;
}

// The traits of a daughter born at `site` to a cell with `traits`: each trait bit not
// yet set mutates with its own draw (twin of DrugSet::mutate in src/model/drug_params.rs).
fn mutate(key: u32, site: u32, traits: u32) -> u32 {
    var out = traits;
    for (var k = 0u; k < TRAIT_BITS; k++) {
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
    let len = cycle_len_from(key, site, sim.cycle_mean_fx8, sim.cycle_sd_coef);
    return scale_cycle(len, traits) << HALF_SHIFT;
}

// A daughter of the cell p at site `parent`, born at site t. A tumour cell's daughter
// inherits clone and traits, may mutate, and starts a fresh cycle; a T cell's shares
// its age and kills (tcell_daughter); other kinds copy.
fn daughter(t: u32, parent: u32, p: Site) -> Site {
    if kind_of(p) == KIND_TCELL {
        return tcell_daughter(p);
    }
    if kind_of(p) != KIND_TUMOUR {
        return p;
    }
    let traits = mutate(key, t, p.w3);
    // A mutant founds a clone: clone_assign numbers this tick's mutants by site.
    if traits != p.w3 {
        let e = atomicAdd(&lineage[lineage_base + LINEAGE_EVENTS], 1u);
        if e < EVENT_CAP {
            atomicStore(&lineage[lineage_base + LINEAGE_EVENTS_AT + e], t);
        }
    }
    return Site(KIND_TUMOUR | (p.w0 & HIGH16), new_cycle(t, traits), 0u, traits);
}

// A T cell after it divided: one division fewer pending (twin of immune::tcell_divided
// in src/model/immune.rs) ...
fn tcell_divided(p: Site) -> Site {
    let pending = p.w1 >> TCELL_DIVISIONS_SHIFT;
    let left = select(0u, pending - 1u, pending > 0u);
    return Site(p.w0, (p.w1 & ~(BYTE << TCELL_DIVISIONS_SHIFT)) | (left << TCELL_DIVISIONS_SHIFT), p.w2, p.w3);
}

// ... and its daughter: the same age, kills and state, no division pending.
fn tcell_daughter(p: Site) -> Site {
    return Site(p.w0, p.w1 & ~(BYTE << TCELL_DIVISIONS_SHIFT), p.w2, p.w3);
}

// The exposure counters travel with the cell from site `source` to site `dest`. Only the
// target's thread of an event touches the two sites' slots (every site takes part in
// at most one event), so no other thread reads or writes them in this pass.
fn carry_exposure(source: u32, dest: u32) {
    for (var d = 0u; d < drug_set.n_drugs; d++) {
        exposure[exposure_at(d, dest)] = exposure[exposure_at(d, source)];
    }
}

fn swap_exposure(a: u32, b: u32) {
    for (var d = 0u; d < drug_set.n_drugs; d++) {
        let x = exposure[exposure_at(d, a)];
        exposure[exposure_at(d, a)] = exposure[exposure_at(d, b)];
        exposure[exposure_at(d, b)] = x;
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn resolve(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let i = thread_index(gid, nwg);
    if !enter_scene_with_drugs(wid.z) || i >= sim.n_sites {
        return;
    }
    key = dispatch_key();
    let s = src[at(i)];
    var out = s;
    // Only empty sites can be claimed unless the scene has swap or kill actions.
    var q = NO_SITE;
    if kind_of(s) == KIND_EMPTY || OCCUPIED_ACTIONS {
        q = winner_at(i, site_coords(i), kind_of(s) == KIND_EMPTY);
    }
    if q != NO_SITE {
        // Site i is the target of q's claim, carried out unless q is itself claimed.
        if !is_claimed(q) {
            let a = wish[at(q)] >> WISH_ACTION_SHIFT;
            let p = src[at(q)];
            if a == ACTION_DIVIDE {
                out = daughter(i, q, p);
                carry_exposure(q, i);
            } else if a == ACTION_RECRUIT {
                out = Site(KIND_TCELL, 0u, 0u, 0u);
            } else if OCCUPIED_ACTIONS && a == ACTION_KILL {
                out = Site(KIND_EMPTY, 0u, 0u, 0u);
            } else if OCCUPIED_ACTIONS && a == ACTION_SWAP {
                out = p;
                swap_exposure(q, i);
            } else {
                // Move and sprout: the actor arrives.
                out = p;
                carry_exposure(q, i);
            }
        }
    } else if wish[at(i)] != 0u {
        // Site i is not claimed, so it acts if it won its target.
        let ci = site_coords(i);
        let d = offset_of(wish[at(i)] & WISH_SLOT_MASK);
        let t = neighbour_at(ci, d);
        if t != NO_SITE && winner_at(t, vec3<u32>(vec3<i32>(ci) + d), kind_at(t) == KIND_EMPTY) == i {
            let a = wish[at(i)] >> WISH_ACTION_SHIFT;
            if a == ACTION_DIVIDE {
                if kind_of(s) == KIND_TUMOUR {
                    out = Site(s.w0, new_cycle(i, s.w3), s.w2, s.w3);
                } else if kind_of(s) == KIND_TCELL {
                    out = tcell_divided(s);
                }
            } else if a == ACTION_MOVE {
                out = Site(KIND_EMPTY, 0u, 0u, 0u);
            } else if OCCUPIED_ACTIONS && a == ACTION_SWAP {
                out = src[at(t)];
            } else if a == ACTION_SPROUT {
                // The tip leaves an unperfused vessel segment behind.
                out = Site(KIND_VESSEL, 0u, 0u, 0u);
            }
        }
    }
    dst[at(i)] = out;
    // What the next tick's field sweeps read of this site (clone_assign, which may
    // still renumber it, changes only its clone).
    site_code[at(i)] = solve_code(out);
}
