// Pass 5, census: integer reductions over the lattice: the named site counters of
// src/model/counters.rs (`count_site`, imported as `counters`, is generated from that
// table), each field's fixed-point sum over every site and over live tumour cells as
// 64-bit numbers, the tumour's bounding box, live cells of the first eight clones and
// of acquired ones, plus the lineage table's clone and mutation counts. Integer
// atomics only, so the totals do not depend on thread order.
// Reads src (state after resolve) and conc. CPU twin: src/engine/cpu/census.rs (census).
// Keep `Census` in sync with src/model/census.rs.

#import params
#import site
#import lattice
#import drugs
#import bindings
#import counters

struct Census {
    // Sites counted by each named counter (src/model/counters.rs, by index).
    counts: array<atomic<u32>, MAX_SITE_COUNTERS>,
    min_xyz: array<atomic<u32>, 3>,
    max_xyz: array<atomic<u32>, 3>,
    // Copied from the lineage table's header: clones founded, mutations so far.
    clones: atomic<u32>,
    mutations: atomic<u32>,
    // Live tumour cells of clones 0 … 7 by id, and of clones founded by mutation
    // (id >= sim.initial_clones).
    clone_live: array<atomic<u32>, CENSUS_CLONES>,
    acquired_live: atomic<u32>,
    // Per field f: Σ of round(value · census_scale) over every site, and over live
    // tumour cells, 64-bit as (lo, hi) at 2f, 2f + 1 (each only when the field's
    // census_sums asks for it).
    field_sum: array<atomic<u32>, 2u * MAX_FIELDS>,
    field_tumour_sum: array<atomic<u32>, 2u * MAX_FIELDS>,
    _pad: array<u32, 3>,
}

// One census per scene of the pack.
@group(2) @binding(2) var<storage, read_write> census_out: array<Census>;

// Which fields' sums the scene's outputs read (`FieldParams::census_sums`), one bit
// per field: the sum over every site, and over live tumour cells. Set per pipeline
// (engine/gpu/pipelines.rs), so the field loop is unrolled with each test folded.
override CENSUS_ALL_FIELDS: u32 = 0u;
override CENSUS_TUMOUR_FIELDS: u32 = 0u;

var<workgroup> wg_counts: array<atomic<u32>, SITE_COUNTERS>;
var<workgroup> wg_field: array<atomic<u32>, MAX_FIELDS>;
var<workgroup> wg_field_tumour: array<atomic<u32>, MAX_FIELDS>;
// Clones 0 … 7, then acquired.
var<workgroup> wg_clones: array<atomic<u32>, CENSUS_CLONES + 1u>;
var<workgroup> wg_min: array<atomic<u32>, 3>;
var<workgroup> wg_max: array<atomic<u32>, 3>;
var<workgroup> wg_active: u32;

fn fixed(c: f32, scale: f32) -> u32 {
    let v = floor(max(c, 0.0) * scale + 0.5);
    if v >= f32(O2_SITE_CAP) {
        return O2_SITE_CAP;
    }
    return u32(v);
}

// Adds a workgroup's partial sums of field f into their 64-bit (lo, hi) pairs.
fn add_field(f: u32, part: u32, tumour_part: u32) {
    let old = atomicAdd(&census_out[scene].field_sum[2u * f], part);
    if old + part < old {
        atomicAdd(&census_out[scene].field_sum[2u * f + 1u], 1u);
    }
    let old_t = atomicAdd(&census_out[scene].field_tumour_sum[2u * f], tumour_part);
    if old_t + tumour_part < old_t {
        atomicAdd(&census_out[scene].field_tumour_sum[2u * f + 1u], 1u);
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn census(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let advancing = enter_scene(wid.z);
    if lid == 0u {
        wg_active = select(0u, 1u, advancing);
        for (var a = 0u; a < 3u; a++) {
            atomicStore(&wg_min[a], 0xffffffffu);
            atomicStore(&wg_max[a], 0u);
        }
        for (var k = 0u; k < SITE_COUNTERS; k++) {
            atomicStore(&wg_counts[k], 0u);
        }
        for (var f = 0u; f < MAX_FIELDS; f++) {
            atomicStore(&wg_field[f], 0u);
            atomicStore(&wg_field_tumour[f], 0u);
        }
        for (var k = 0u; k <= CENSUS_CLONES; k++) {
            atomicStore(&wg_clones[k], 0u);
        }
    }
    // (The barrier every thread passes before the partial sums are read.)
    if workgroupUniformLoad(&wg_active) == 0u {
        return;
    }
    let i = thread_index(gid, nwg);
    if i == 0u {
        atomicStore(&census_out[scene].clones, atomicLoad(&lineage[lineage_base + LINEAGE_NEXT_CLONE]));
        atomicStore(&census_out[scene].mutations, atomicLoad(&lineage[lineage_base + LINEAGE_MUTATIONS]));
    }
    if i < sim.n_sites {
        let s = src[at(i)];
        let kind = kind_of(s);
        for (var f = 0u; f < MAX_FIELDS; f++) {
            let all = ((CENSUS_ALL_FIELDS >> f) & 1u) != 0u;
            let tumour = ((CENSUS_TUMOUR_FIELDS >> f) & 1u) != 0u && kind == KIND_TUMOUR;
            if !all && !tumour { continue; }
            let v = fixed(conc[field_at(f, i)], fields[field_params(f)].census_scale);
            if all { atomicAdd(&wg_field[f], v); }
            if tumour { atomicAdd(&wg_field_tumour[f], v); }
        }
        count_site(s, kind, i);
        if kind == KIND_TUMOUR {
            let id = s.w0 >> CLONE_SHIFT;
            if id < CENSUS_CLONES { atomicAdd(&wg_clones[id], 1u); }
            if id >= sim.initial_clones { atomicAdd(&wg_clones[CENSUS_CLONES], 1u); }
        }
        if kind == KIND_TUMOUR || kind == KIND_NECROTIC {
            let c = site_coords(i);
            for (var a = 0u; a < 3u; a++) {
                atomicMin(&wg_min[a], c[a]);
                atomicMax(&wg_max[a], c[a]);
            }
        }
    }
    workgroupBarrier();
    if lid == 0u {
        for (var k = 0u; k < SITE_COUNTERS; k++) {
            let n = atomicLoad(&wg_counts[k]);
            if n != 0u { atomicAdd(&census_out[scene].counts[k], n); }
        }
        for (var f = 0u; f < sim.n_fields; f++) {
            add_field(f, atomicLoad(&wg_field[f]), atomicLoad(&wg_field_tumour[f]));
        }
        for (var k = 0u; k < CENSUS_CLONES; k++) {
            let n = atomicLoad(&wg_clones[k]);
            if n != 0u { atomicAdd(&census_out[scene].clone_live[k], n); }
        }
        let acquired = atomicLoad(&wg_clones[CENSUS_CLONES]);
        if acquired != 0u { atomicAdd(&census_out[scene].acquired_live, acquired); }
        for (var a = 0u; a < 3u; a++) {
            atomicMin(&census_out[scene].min_xyz[a], atomicLoad(&wg_min[a]));
            atomicMax(&census_out[scene].max_xyz[a], atomicLoad(&wg_max[a]));
        }
    }
}
