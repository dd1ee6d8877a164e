// Pass 2, fields: one red-black SOR half-sweep of a quasi-steady diffusing field.
// CPU twin: src/engine/cpu/field.rs (field_sweep).
//
// Steady equation at a site, in lattice units (divided by D/h²):
//   Σₙ(cₙ − c) − decay·c + exchange·perfusion·(level − c) + Σ terms = 0
// where the field's terms of the site's kind and state add sources and sinks
// (FieldTerm in src/model/params.rs); Michaelis–Menten sinks are linearised with the
// site's previous value.
// Each half-sweep atomically maxes |Δc| into residual[index]; a sweep whose previous
// sweep already changed nothing by more than the tolerance does nothing.

#import params
#import site
#import lattice
#import drugs
#import bindings

// The swept field's term count (`FieldParams::n_terms`): set per pipeline
// (engine/gpu/pipelines.rs), so the term loop has a constant trip count and is
// unrolled, with no test of the count per site.
override FIELD_TERMS: u32 = MAX_FIELD_TERMS;

var<workgroup> wg_go: u32;
var<workgroup> wg_delta: atomic<u32>;

fn relax(x: u32, y: u32, z: u32) -> f32 {
    // Members are read from the uniform one by one: a `let` copy of the whole
    // descriptor (terms included) would be materialised per thread.
    let f = field_params(sweep.field);
    let site = site_index(vec3<u32>(x, y, z));
    let i = field_at(sweep.field, site);
    let c_old = conc[i];
    let fixed = fields[f].fixed_boundary == 1u;
    let bl = fields[f].boundary_level;
    var sum = 0.0;
    var nn = 0.0;
    if x > 0u { sum += conc[i - 1u]; nn += 1.0; } else if fixed { sum += bl; nn += 1.0; }
    if x + 1u < sim.nx { sum += conc[i + 1u]; nn += 1.0; } else if fixed { sum += bl; nn += 1.0; }
    if y > 0u { sum += conc[i - sim.nx]; nn += 1.0; } else if fixed { sum += bl; nn += 1.0; }
    if y + 1u < sim.ny { sum += conc[i + sim.nx]; nn += 1.0; } else if fixed { sum += bl; nn += 1.0; }
    if sim.nz > 1u {
        let plane = sim.nx * sim.ny;
        if z > 0u { sum += conc[i - plane]; nn += 1.0; } else if fixed { sum += bl; nn += 1.0; }
        if z + 1u < sim.nz { sum += conc[i + plane]; nn += 1.0; } else if fixed { sum += bl; nn += 1.0; }
    }
    // The site's kind and perfusion, from its 4-byte code rather than its 16-byte
    // record: a sweep is bound by memory traffic.
    let code = site_code[at(site)];
    let kind = code_kind(code);
    var diag = nn + fields[f].decay;
    var rhs = sum;
    if kind == KIND_VESSEL {
        let e = fields[f].vessel_exchange * code_perfusion(code);
        diag += e;
        rhs += e * fields[f].vessel_level;
    }
    // Sources and sinks of this kind and state (Michaelis–Menten lagged).
    for (var k = 0u; k < min(FIELD_TERMS, MAX_FIELD_TERMS); k++) {
        let state = fields[f].terms[k].state;
        if fields[f].terms[k].kind != kind || (code & state) != state { continue; }
        let order = fields[f].terms[k].order;
        let rate = fields[f].terms[k].rate;
        if order == TERM_ZERO_ORDER {
            rhs += rate;
        } else if order == TERM_FIRST_ORDER {
            diag += rate;
        } else {
            diag += rate / (fields[f].terms[k].half_max + max(c_old, 0.0));
        }
    }
    let gs = rhs / diag;
    let c_new = max(c_old + fields[f].omega * (gs - c_old), 0.0);
    conc[i] = c_new;
    return abs(c_new - c_old);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn field_sweep(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
) {
    let advancing = enter_scene(wid.z);
    if lid == 0u {
        // A scene of a pack stops at its own tolerance and cap, as it would alone.
        let f = field_params(sweep.field);
        var go = select(0u, 1u, advancing && sweep.index < max(fields[f].max_sweeps, 1u));
        if sweep.index > 0u {
            let previous = bitcast<f32>(atomicLoad(&residual[residual_at(sweep.residual_slot - 1u)]));
            if previous < fields[f].tolerance {
                go = 0u;
            }
        }
        wg_go = go;
        atomicStore(&wg_delta, 0u);
    }
    if workgroupUniformLoad(&wg_go) == 0u {
        return;
    }
    // Thread t handles the t-th site of this colour, row by row.
    let t = thread_index(gid, nwg);
    let half = (sim.nx + 1u) / 2u;
    let row = t / half;
    var delta = 0.0;
    if row < sim.ny * sim.nz {
        let y = row % sim.ny;
        let z = row / sim.ny;
        let x = 2u * (t % half) + ((y + z + sweep.colour) & 1u);
        if x < sim.nx {
            delta = relax(x, y, z);
        }
    }
    atomicMax(&wg_delta, bitcast<u32>(delta));
    workgroupBarrier();
    if lid == 0u {
        atomicMax(&residual[residual_at(sweep.residual_slot)], atomicLoad(&wg_delta));
    }
}
