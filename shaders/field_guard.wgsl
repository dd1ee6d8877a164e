// Pass 2, fields (control): after sweep `index`, writes the indirect dispatch size of
// the next sweep — the full half-sweep grid while the solve has not converged, zero
// workgroups once it has. Converged ticks then launch no sweep workgroups at all.
// CPU twin: src/engine/cpu/field.rs (field_guard), the loop condition of the CPU solve.
// The sweeps' own early exit (field_sweep.wgsl) gives the same result without it.

#import params
#import site
#import drugs
#import bindings

// Group 3 holds the dispatch arguments; only this kernel binds it, because the sweeps
// read the same buffer as their indirect arguments.
@group(3) @binding(0) var<storage, read_write> next_sweep: array<u32, 3>;

@compute @workgroup_size(1)
fn field_guard() {
    let field = fields[sweep.field];
    let r = bitcast<f32>(atomicLoad(&residual[sweep.residual_slot]));
    // Written as "not converged" so that a NaN keeps sweeping, as the CPU loop does.
    let go = !(r < field.tolerance);
    next_sweep[0] = select(0u, field.sweep_groups_x, go);
    next_sweep[1] = select(0u, field.sweep_groups_y, go);
    next_sweep[2] = 1u;
}
