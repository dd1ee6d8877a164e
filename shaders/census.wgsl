// Pass 5, census: integer reductions over the lattice (counts by kind, the oxygen sum
// in 1/1024 mmHg as a 64-bit number, the tumour's bounding box). Integer atomics
// only, so the totals do not depend on thread order.
// Reads src (state after resolve) and conc. CPU twin: src/engine/cpu/census.rs (census).
// Keep `Census` in sync with src/model/census.rs.

#import params
#import site
#import lattice
#import bindings

struct Census {
    tumour_live: atomic<u32>,
    quiescent: atomic<u32>,
    necrotic: atomic<u32>,
    vessel: atomic<u32>,
    hypoxic: atomic<u32>,
    perfused_vessel: atomic<u32>,
    o2_sum_lo: atomic<u32>,
    o2_sum_hi: atomic<u32>,
    min_xyz: array<atomic<u32>, 3>,
    max_xyz: array<atomic<u32>, 3>,
    _pad0: u32,
    _pad1: u32,
}

@group(2) @binding(2) var<storage, read_write> census_out: Census;

const O2_SUM_SCALE: f32 = 1024.0;
const O2_SITE_CAP: u32 = 16777215u;

var<workgroup> wg_counts: array<atomic<u32>, 6>;
var<workgroup> wg_o2: atomic<u32>;
var<workgroup> wg_min: array<atomic<u32>, 3>;
var<workgroup> wg_max: array<atomic<u32>, 3>;

fn o2_fixed(c: f32) -> u32 {
    let v = floor(max(c, 0.0) * O2_SUM_SCALE + 0.5);
    if v >= f32(O2_SITE_CAP) {
        return O2_SITE_CAP;
    }
    return u32(v);
}

@compute @workgroup_size(256)
fn census(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    if lid == 0u {
        for (var a = 0u; a < 3u; a++) {
            atomicStore(&wg_min[a], 0xffffffffu);
            atomicStore(&wg_max[a], 0u);
        }
        for (var k = 0u; k < 6u; k++) {
            atomicStore(&wg_counts[k], 0u);
        }
        atomicStore(&wg_o2, 0u);
    }
    workgroupBarrier();
    let i = thread_index(gid, nwg);
    if i < sim.n_sites {
        let s = src[i];
        let kind = kind_of(s);
        let o2 = conc[i];
        atomicAdd(&wg_o2, o2_fixed(o2));
        if kind == KIND_TUMOUR {
            atomicAdd(&wg_counts[0], 1u);
            if (s.w0 & QUIESCENT_BIT) != 0u { atomicAdd(&wg_counts[1], 1u); }
            if o2 < sim.hypoxic_mmhg { atomicAdd(&wg_counts[4], 1u); }
        } else if kind == KIND_NECROTIC {
            atomicAdd(&wg_counts[2], 1u);
        } else if kind == KIND_VESSEL {
            atomicAdd(&wg_counts[3], 1u);
            if (s.w1 & LOW16) != 0u { atomicAdd(&wg_counts[5], 1u); }
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
        atomicAdd(&census_out.tumour_live, atomicLoad(&wg_counts[0]));
        atomicAdd(&census_out.quiescent, atomicLoad(&wg_counts[1]));
        atomicAdd(&census_out.necrotic, atomicLoad(&wg_counts[2]));
        atomicAdd(&census_out.vessel, atomicLoad(&wg_counts[3]));
        atomicAdd(&census_out.hypoxic, atomicLoad(&wg_counts[4]));
        atomicAdd(&census_out.perfused_vessel, atomicLoad(&wg_counts[5]));
        let part = atomicLoad(&wg_o2);
        let old = atomicAdd(&census_out.o2_sum_lo, part);
        if old + part < old {
            atomicAdd(&census_out.o2_sum_hi, 1u);
        }
        for (var a = 0u; a < 3u; a++) {
            atomicMin(&census_out.min_xyz[a], atomicLoad(&wg_min[a]));
            atomicMax(&census_out.max_xyz[a], atomicLoad(&wg_max[a]));
        }
    }
}
