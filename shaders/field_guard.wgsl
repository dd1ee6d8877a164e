// Pass 2, fields (control): after sweep `index`, writes the indirect dispatch size of
// the next sweep — the full half-sweep grid (every scene the dispatch covers) while some
// advancing scene has not converged nor reached its cap, zero workgroups once none
// needs it. Converged ticks then launch no sweep workgroups at all. Each scene's own
// stop is the sweeps' early exit (field_sweep.wgsl), so a scene sweeps as it would alone.
// CPU twin: src/engine/cpu/field.rs (field_guard), the loop condition of the CPU solve.

#import params
#import site
#import drugs
#import bindings

// Group 3 holds the dispatch arguments; only this kernel binds it, because the sweeps
// read the same buffer as their indirect arguments.
@group(3) @binding(0) var<storage, read_write> next_sweep: array<u32, 3>;

var<workgroup> wg_go: atomic<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn field_guard(@builtin(local_invocation_index) lid: u32) {
    if lid == 0u {
        atomicStore(&wg_go, 0u);
    }
    workgroupBarrier();
    for (var z = lid; z < pack.count; z += WORKGROUP_SIZE) {
        if !enter_scene(z) { continue; }
        let field = field_params(sweep.field);
        let r = bitcast<f32>(atomicLoad(&residual[residual_at(sweep.residual_slot)]));
        // Written as "not converged" so that a NaN keeps sweeping, as the CPU loop does.
        if !(r < fields[field].tolerance) && sweep.index + 1u < max(fields[field].max_sweeps, 1u) {
            atomicOr(&wg_go, 1u);
        }
    }
    workgroupBarrier();
    if lid == 0u {
        let go = atomicLoad(&wg_go) != 0u;
        next_sweep[0] = select(0u, fields[sweep.field].sweep_groups_x, go);
        next_sweep[1] = select(0u, fields[sweep.field].sweep_groups_y, go);
        next_sweep[2] = select(0u, pack.count, go);
    }
}
