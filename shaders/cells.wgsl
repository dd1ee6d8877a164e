// Pass 3, cells: each site decides from its own state, its neighbourhood and the
// fields: apoptosis, necrosis after sustained anoxia, hypoxic quiescence, drug action
// (kill or arrest, persister entry and exit, exposure bookkeeping), cycle progression,
// and a wish to divide into a free neighbour (an action and a neighbour slot,
// src/model/action.rs); a perfused vessel's recruitment of a T cell and a T cell's
// tick (model::immune).
// Reads src (state at the start of the tick), writes dst and wish.
// CPU twin: src/engine/cpu/cells.rs (cells) and src/engine/cpu/immune.rs (recruit,
// tcell, end_engagement).

#import params
#import site
#import rng
#import lattice
#import drugs
#import bindings
#import immune

// The neighbour slot (see offset_of) of the free neighbour picked for a division, or
// NO_SITE if none is free.
fn pick_free_slot(i: u32) -> u32 {
    let c = site_coords(i);
    var free = 0u;
    for (var k = 0u; k < NEIGHBOUR_SLOTS; k++) {
        let d = offset_of(k);
        if !in_neighbourhood(d) { continue; }
        let n = neighbour_at(c, d);
        if n != NO_SITE && kind_of(src[at(n)]) == KIND_EMPTY { free += 1u; }
    }
    if free == 0u {
        return NO_SITE;
    }
    var pick = draw(sim.tick_key, i, STREAM_TARGET) % free;
    for (var k = 0u; k < NEIGHBOUR_SLOTS; k++) {
        let d = offset_of(k);
        if !in_neighbourhood(d) { continue; }
        let n = neighbour_at(c, d);
        if n != NO_SITE && kind_of(src[at(n)]) == KIND_EMPTY {
            if pick == 0u { return k; }
            pick -= 1u;
        }
    }
    return NO_SITE;
}

// Tumour sites (live or necrotic) among the cell neighbours of site i.
fn tumour_neighbours(i: u32) -> u32 {
    let c = site_coords(i);
    var count = 0u;
    for (var k = 0u; k < NEIGHBOUR_SLOTS; k++) {
        let d = offset_of(k);
        if !in_neighbourhood(d) { continue; }
        let n = neighbour_at(c, d);
        if n == NO_SITE { continue; }
        let kind = kind_of(src[at(n)]);
        if kind == KIND_TUMOUR || kind == KIND_NECROTIC { count += 1u; }
    }
    return count;
}

// Vessel compression (twin of model::params::compressed_perfusion).
fn compressed_perfusion(full: u32, k: u32) -> u32 {
    let onset = sim.compression_onset;
    let collapse = sim.compression_collapse;
    if k <= onset {
        return full;
    }
    if k >= collapse {
        return 0u;
    }
    return full * (collapse - k) / (collapse - onset);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn cells(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let i = thread_index(gid, nwg);
    if !enter_scene_with_drugs(wid.z) || i >= sim.n_sites {
        return;
    }
    load_immune();
    let g = at(i);
    let s = src[g];
    wish[g] = 0u;
    if kind_of(s) == KIND_VESSEL {
        let w1 = compressed_perfusion(s.w2 & LOW16, tumour_neighbours(i));
        dst[g] = Site(s.w0, w1, s.w2, s.w3);
        wish[g] = recruit(i, w1 & LOW16);
        return;
    }
    if kind_of(s) == KIND_TCELL {
        tcell(i, s);
        return;
    }
    if kind_of(s) != KIND_TUMOUR {
        dst[g] = s;
        return;
    }
    if draw(sim.tick_key, i, STREAM_APOPTOSIS) < sim.apoptosis_threshold {
        dst[g] = Site(KIND_EMPTY, 0u, 0u, 0u);
        return;
    }
    let o2 = conc[field_at(0u, i)];
    var anoxic = s.w2 & LOW16;
    if o2 < sim.anoxic_mmhg {
        anoxic = min(anoxic + 1u, LOW16);
        if anoxic >= sim.anoxic_ticks {
            dst[g] = Site(KIND_NECROTIC | (s.w0 & HIGH16), 0u, 0u, s.w3);
            return;
        }
    } else {
        anoxic = 0u;
    }
    var w0 = s.w0;
    var progress = s.w1 & LOW16;
    let len = s.w1 >> HALF_SHIFT;
    let quiescent = o2 < sim.hypoxic_mmhg;
    w0 = select(w0 & ~QUIESCENT_BIT, w0 | QUIESCENT_BIT, quiescent);
    let outcome = drug_action(i, s, quiescent);
    if outcome.killed {
        dst[g] = Site(KIND_EMPTY, 0u, 0u, 0u);
        return;
    }
    w0 = select(w0 & ~PERSISTER_BIT, w0 | PERSISTER_BIT, outcome.persister);
    var sanctuary = s.w2 >> HALF_SHIFT;
    if (quiescent || outcome.persister) && outcome.cycle_drug_present {
        sanctuary = min(sanctuary + 1u, LOW16);
    }
    if !quiescent && !outcome.persister && !outcome.arrested {
        progress = min(progress + 1u, len);
        if progress >= len {
            let slot = pick_free_slot(i);
            if slot != NO_SITE {
                wish[g] = (ACTION_DIVIDE << WISH_ACTION_SHIFT) | slot;
            }
        }
    }
    dst[g] = Site(w0, (s.w1 & HIGH16) | progress, (sanctuary << HALF_SHIFT) | anoxic, s.w3);
}

struct DrugOutcome {
    killed: bool,
    arrested: bool,
    persister: bool,
    // A cycle-specific drug is at or above its IC50 inside the cell.
    cycle_drug_present: bool,
}

// With Bliss interaction every drug acts independently on a live tumour cell: each
// has its own draw against its PD threshold at the cell's effective level; with
// highest single agent, one draw per effect (kill, arrest) against the largest
// threshold of the drugs that act. Also adds the
// tick's exposure to the cell's AUC counters and moves it in or out of the persister
// state. CPU twin: drug_action in src/engine/cpu/drugs.rs.
fn drug_action(i: u32, s: Site, quiescent: bool) -> DrugOutcome {
    var out = DrugOutcome(false, false, (s.w0 & PERSISTER_BIT) != 0u, false);
    let traits = s.w3;
    let was_persister = out.persister;
    let cycling = !quiescent && !was_persister;
    let len = s.w1 >> HALF_SHIFT;
    let progress = s.w1 & LOW16;
    let in_s_g2_m = len - min(progress, len) <= drug_set.s_g2_m_ticks;
    var exposed = false;
    let bliss = drug_set.interaction == INTERACTION_BLISS;
    var kill_max = 0u;
    var arrest_max = 0u;
    for (var d = 0u; d < drug_set.n_drugs; d++) {
        let drug = drug_set.drugs[d];
        var level = conc[field_at(drug.field, i)];
        if (traits & TRAIT_EFFLUX) != 0u && drug.efflux_substrate == 1u {
            level = level * drug_set.efflux_fraction;
        }
        let slot = exposure_at(d, i);
        let added = u32(clamp(level * drug_set.auc_per_um_tick, 0.0, AUC_MAX));
        exposure[slot] = exposure[slot] + min(added, 0xffffffffu - exposure[slot]);
        if level >= drug.exposure_um {
            exposed = true;
            if drug.drug_class == CLASS_CYCLE_SPECIFIC {
                out.cycle_drug_present = true;
            }
        }
        var effective = level;
        if (traits & (1u << d)) != 0u {
            effective = effective * drug_set.inv_target_factor;
        }
        if was_persister {
            effective = effective * drug_set.inv_persister_factor;
        }
        var acts = true;
        if drug.drug_class == CLASS_CYCLE_SPECIFIC {
            acts = cycling && in_s_g2_m;
        } else if drug.drug_class == CLASS_CYTOSTATIC {
            acts = cycling;
        }
        let threshold = pd_table[pd_at(d) + pd_index(effective)];
        let arrests = drug.drug_class == CLASS_CYTOSTATIC;
        if !acts {
            continue;
        }
        if !bliss {
            if arrests {
                arrest_max = max(arrest_max, threshold);
            } else {
                kill_max = max(kill_max, threshold);
            }
        } else if draw(sim.tick_key, i, STREAM_DRUG0 + d) < threshold {
            if arrests {
                out.arrested = true;
            } else {
                out.killed = true;
            }
        }
    }
    if !bliss {
        out.killed = draw(sim.tick_key, i, STREAM_DRUG0) < kill_max;
        out.arrested = draw(sim.tick_key, i, STREAM_DRUG0 + 1u) < arrest_max;
    }
    let r = draw(sim.tick_key, i, STREAM_PERSISTER);
    if was_persister {
        if !exposed && r < drug_set.persister_exit_threshold {
            out.persister = false;
        }
    } else if exposed && r < drug_set.persister_entry_threshold {
        out.persister = true;
    }
    return out;
}

// The wish of the perfused vessel site i (perfusion `perfusion16` after compression):
// a T cell recruited into a free neighbour, or none (twin of immune::recruit).
fn recruit(i: u32, perfusion16: u32) -> u32 {
    if immune.enabled == 0u || perfusion16 == 0u {
        return 0u;
    }
    let free = kind_mask(site_coords(i), KIND_EMPTY);
    if free == 0u {
        return 0u;
    }
    let chemokine = conc[field_at(immune.chemokine_field, i)];
    let rate = immune_table[immune_table_at(IMMUNE_TABLE_RECRUIT) + pd_index(chemokine)];
    if draw(sim.tick_key, i, STREAM_RECRUIT) >= (rate >> 16u) * perfusion16 {
        return 0u;
    }
    let k = draw(sim.tick_key, i, STREAM_TARGET) % countOneBits(free);
    return (ACTION_RECRUIT << WISH_ACTION_SHIFT) | nth_slot(free, k);
}

// The 32-bit kill threshold of a contact of the T cell at i with tumour cell t (twin of
// kill_threshold in src/engine/cpu/immune.rs).
fn kill_threshold(i: u32, t: u32) -> u32 {
    let traits = src[at(t)].w3;
    let recognition = select(immune.recognition0, immune.recognition1, (traits & TRAIT_ANTIGEN_LOSS) != 0u);
    let constitutive = select(0u, immune.pdl1_constitutive, (traits & TRAIT_PDL1) != 0u);
    let induced = immune_factor(IMMUNE_TABLE_PDL1, immune.ifng_field, t);
    let blocked = immune_factor(IMMUNE_TABLE_BLOCK, immune.checkpoint_field, i);
    let suppressed = immune_factor(IMMUNE_TABLE_SUPPRESS, immune.suppressor_field, i);
    let m = kill_multiplier(recognition, max(constitutive, induced), blocked, suppressed);
    return immune_table[immune_table_at(IMMUNE_TABLE_KILL) + (m >> KILL_SHIFT)];
}

// One T cell's tick (s at site i): writes its next state and wish (twin of
// immune::tcell).
fn tcell(i: u32, s: Site) {
    let g = at(i);
    if immune.enabled == 0u {
        dst[g] = s;
        return;
    }
    let age = (s.w1 & LOW16) + 1u;
    if age >= immune.lifespan_ticks {
        dst[g] = Site(KIND_EMPTY, 0u, 0u, 0u);
        return;
    }
    var next = Site(s.w0 & ~DETACHED_BIT, (s.w1 & HIGH16) | age, s.w2, s.w3);
    if (s.w0 & ENGAGED_BIT) != 0u {
        let ticks = s.w2 & LOW16;
        let left = select(0u, ticks - 1u, ticks > 0u);
        if left > 0u {
            next.w2 = (s.w2 & HIGH16) | left;
            dst[g] = next;
            return;
        }
        end_engagement(i, next);
        return;
    }
    let c = site_coords(i);
    let free = kind_mask(c, KIND_EMPTY);
    if (next.w1 >> TCELL_DIVISIONS_SHIFT) > 0u && free != 0u {
        let k = draw(sim.tick_key, i, STREAM_TARGET) % countOneBits(free);
        wish[g] = (ACTION_DIVIDE << WISH_ACTION_SHIFT) | nth_slot(free, k);
        dst[g] = next;
        return;
    }
    let tumour = kind_mask(c, KIND_TUMOUR);
    if (s.w0 & EXHAUSTED_BIT) != 0u || tumour == 0u {
        dst[g] = next;
        return;
    }
    let k = draw(sim.tick_key, i, STREAM_CONTACT) % countOneBits(tumour);
    let slot = nth_slot(tumour, k);
    let t = neighbour_at(c, offset_of(slot));
    if draw(sim.tick_key, i, STREAM_KILL) < kill_threshold(i, t) {
        next.w0 |= ENGAGED_BIT;
        next.w2 = min(immune.kill_ticks, LOW16) | (slot << TCELL_TARGET_SLOT_SHIFT);
    } else {
        next.w0 |= DETACHED_BIT;
    }
    dst[g] = next;
}

// The engagement of the T cell at i (state `engaged` so far) ends: its target dies if it
// is still a tumour cell, the kill is counted, with exhaustion at the cap and divisions
// pending unless suppressed (twin of end_engagement in src/engine/cpu/immune.rs).
fn end_engagement(i: u32, engaged: Site) {
    let g = at(i);
    var next = engaged;
    let slot = (next.w2 >> TCELL_TARGET_SLOT_SHIFT) & WISH_SLOT_MASK;
    next.w0 &= ~ENGAGED_BIT;
    next.w2 = 0u;
    let t = neighbour_at(site_coords(i), offset_of(slot));
    if t == NO_SITE || kind_of(src[at(t)]) != KIND_TUMOUR {
        dst[g] = next;
        return;
    }
    let kills = min(((next.w1 >> TCELL_KILLS_SHIFT) & BYTE) + 1u, BYTE);
    if kills >= immune.max_kills {
        next.w0 |= EXHAUSTED_BIT;
    }
    let suppressed = immune_factor(IMMUNE_TABLE_SUPPRESS, immune.suppressor_field, i);
    var pending = next.w1 >> TCELL_DIVISIONS_SHIFT;
    // A 16-bit probability as a 32-bit threshold (65535 · 65537 = 2³² − 1).
    if draw(sim.tick_key, i, STREAM_EXPAND) < (ONE16 - suppressed) * 0x10001u {
        pending = min(pending + immune.divisions_per_kill, BYTE);
    }
    next.w1 = (next.w1 & LOW16) | (kills << TCELL_KILLS_SHIFT) | (pending << TCELL_DIVISIONS_SHIFT);
    dst[g] = next;
    wish[g] = (ACTION_KILL << WISH_ACTION_SHIFT) | slot;
}
