// Pass 4b, clone_assign (one workgroup): numbers this tick's mutant daughters, which
// resolve appended to the lineage buffer's event list in no particular order. Each
// event's rank is the number of events at lower site indices, so the new clone ids
// (next free id + rank) do not depend on thread order. Writes each mutant's clone id
// into its site and its record (parent, birth tick, traits, site) into the table, then
// clears the event counter. Too many events in one tick (more than EVENT_CAP) or no ids
// left: the mutants keep their parent's clone id and are counted as unassigned.
// Reads and writes dst (resolve's output). CPU twin: src/engine/cpu/clone_assign.rs.

#import params
#import site
#import drugs
#import bindings

var<workgroup> wg_active: u32;

@compute @workgroup_size(WORKGROUP_SIZE)
fn clone_assign(
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    // One workgroup per scene of the pack.
    let advancing = enter_scene(wid.z);
    if lid == 0u {
        wg_active = select(0u, 1u, advancing);
    }
    if workgroupUniformLoad(&wg_active) == 0u {
        return;
    }
    let count = atomicLoad(&lineage[lineage_base + LINEAGE_EVENTS]);
    let next = atomicLoad(&lineage[lineage_base + LINEAGE_NEXT_CLONE]);
    let fits = count <= EVENT_CAP;
    var unassigned = 0u;
    if fits {
        for (var e = lid; e < count; e += WORKGROUP_SIZE) {
            let site = atomicLoad(&lineage[lineage_base + LINEAGE_EVENTS_AT + e]);
            var rank = 0u;
            for (var k = 0u; k < count; k++) {
                if atomicLoad(&lineage[lineage_base + LINEAGE_EVENTS_AT + k]) < site { rank += 1u; }
            }
            let id = next + rank;
            if id >= MAX_CLONES {
                unassigned += 1u;
                continue;
            }
            let s = dst[at(site)];
            let rec = LINEAGE_RECORDS_AT + 4u * id;
            atomicStore(&lineage[lineage_base + rec], s.w0 >> CLONE_SHIFT);
            atomicStore(&lineage[lineage_base + rec + 1u], sim.tick + 1u);
            atomicStore(&lineage[lineage_base + rec + 2u], s.w3);
            atomicStore(&lineage[lineage_base + rec + 3u], site);
            dst[at(site)] = Site((s.w0 & LOW16) | (id << CLONE_SHIFT), s.w1, s.w2, s.w3);
        }
    }
    if unassigned > 0u {
        atomicAdd(&lineage[lineage_base + LINEAGE_UNASSIGNED], unassigned);
    }
    // Every thread has read the counter and the next id before thread 0 moves them on.
    storageBarrier();
    workgroupBarrier();
    if lid == 0u {
        atomicAdd(&lineage[lineage_base + LINEAGE_MUTATIONS], count);
        if fits {
            atomicStore(&lineage[lineage_base + LINEAGE_NEXT_CLONE], min(next + count, MAX_CLONES));
        } else {
            atomicAdd(&lineage[lineage_base + LINEAGE_UNASSIGNED], count);
        }
        atomicStore(&lineage[lineage_base + LINEAGE_EVENTS], 0u);
    }
}
