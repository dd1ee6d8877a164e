//! CPU twins of shaders/field_sweep.wgsl and shaders/field_guard.wgsl.

use super::shared::SharedSlice;
use crate::model::params::{FieldParams, SimParams, SweepParams};
use crate::model::site::{Kind, Site};
use rayon::prelude::*;

/// One red-black SOR half-sweep in place of field `sweep.field`, whose values are
/// `conc` (one per site); maxes |Δc| into `residual[sweep.residual_slot]`. Does nothing
/// when the previous sweep of this tick already met the tolerance.
pub fn field_sweep(
    sim: &SimParams,
    field: &FieldParams,
    sweep: &SweepParams,
    src: &[Site],
    conc: &mut [f32],
    residual: &mut [u32],
) {
    let slot = sweep.residual_slot as usize;
    if sweep.index > 0 && f32::from_bits(residual[slot - 1]) < field.tolerance {
        return;
    }
    let rows = (sim.ny * sim.nz) as usize;
    let shared = SharedSlice::new(conc);
    let delta = (0..rows)
        .into_par_iter()
        .map(|row| {
            let y = row as u32 % sim.ny;
            let z = row as u32 / sim.ny;
            let first = (y + z + sweep.colour) & 1;
            let interior_row =
                y > 0 && y + 1 < sim.ny && (sim.nz == 1 || (z > 0 && z + 1 < sim.nz));
            let mut row_max = 0.0f32;
            let mut x = first;
            while x < sim.nx {
                // SAFETY: this half-sweep writes only sites of `sweep.colour` and reads only
                // the other colour (its face neighbours) plus itself, so no element is
                // written by one thread while another reads or writes it. An interior
                // site's face neighbours are all inside the lattice.
                let d = if interior_row && x > 0 && x + 1 < sim.nx {
                    unsafe { relax_interior(sim, field, src, &shared, x, y, z) }
                } else {
                    unsafe { relax(sim, field, src, &shared, x, y, z) }
                };
                row_max = row_max.max(d);
                x += 2;
            }
            row_max
        })
        .reduce(|| 0.0f32, f32::max);
    residual[slot] = residual[slot].max(delta.to_bits());
}

/// Whether the sweep after the one in residual `slot` runs: its max |Δc| did not meet
/// the tolerance (a NaN keeps sweeping). The GPU writes this as an indirect dispatch size.
#[expect(
    clippy::neg_cmp_op_on_partial_ord,
    reason = "a NaN residual must count as not converged, as in field_guard.wgsl"
)]
pub fn field_guard(field: &FieldParams, residual: &[u32], slot: u32) -> bool {
    !(f32::from_bits(residual[slot as usize]) < field.tolerance)
}

/// Gauss–Seidel update of one site with over-relaxation; returns |Δc|.
///
/// # Safety
/// The caller guarantees no other thread writes site (x, y, z) or its face neighbours.
unsafe fn relax(
    sim: &SimParams,
    field: &FieldParams,
    src: &[Site],
    conc: &SharedSlice<f32>,
    x: u32,
    y: u32,
    z: u32,
) -> f32 {
    let i = (x + sim.nx * (y + sim.ny * z)) as usize;
    let c_old = conc.get(i);
    let fixed = field.fixed_boundary == 1;
    let bl = field.boundary_level;
    let mut sum = 0.0f32;
    let mut nn = 0.0f32;
    let mut face = |inside: bool, n: usize| {
        if inside {
            sum += conc.get(n);
            nn += 1.0;
        } else if fixed {
            sum += bl;
            nn += 1.0;
        }
    };
    let nx = sim.nx as usize;
    face(x > 0, i.wrapping_sub(1));
    face(x + 1 < sim.nx, i + 1);
    face(y > 0, i.wrapping_sub(nx));
    face(y + 1 < sim.ny, i + nx);
    if sim.nz > 1 {
        let plane = nx * sim.ny as usize;
        face(z > 0, i.wrapping_sub(plane));
        face(z + 1 < sim.nz, i + plane);
    }
    update(field, src[i], conc, i, c_old, sum, nn)
}

/// `relax` for a site whose face neighbours all lie inside the lattice: the same
/// arithmetic in the same order (so the same bits), without the boundary tests.
///
/// # Safety
/// As `relax`, and (x, y, z) is not on the lattice's faces.
#[inline(always)]
unsafe fn relax_interior(
    sim: &SimParams,
    field: &FieldParams,
    src: &[Site],
    conc: &SharedSlice<f32>,
    x: u32,
    y: u32,
    z: u32,
) -> f32 {
    let nx = sim.nx as usize;
    let i = x as usize + nx * (y as usize + sim.ny as usize * z as usize);
    let c = conc.raw();
    let c_old = *c.add(i);
    let mut sum = 0.0f32;
    sum += *c.add(i - 1);
    sum += *c.add(i + 1);
    sum += *c.add(i - nx);
    sum += *c.add(i + nx);
    let mut nn = 4.0f32;
    if sim.nz > 1 {
        let plane = nx * sim.ny as usize;
        sum += *c.add(i - plane);
        sum += *c.add(i + plane);
        nn = 6.0;
    }
    update(field, *src.get_unchecked(i), conc, i, c_old, sum, nn)
}

/// The over-relaxed update of site `i` from its neighbours' sum `sum` over `nn` faces
/// (boundary values included); returns |Δc|.
///
/// # Safety
/// No other thread reads or writes site `i`.
#[inline(always)]
unsafe fn update(
    field: &FieldParams,
    s: Site,
    conc: &SharedSlice<f32>,
    i: usize,
    c_old: f32,
    sum: f32,
    nn: f32,
) -> f32 {
    let mut diag = nn + field.decay;
    let mut rhs = sum;
    match s.kind() {
        Kind::Vessel => {
            let e = field.vessel_exchange * s.perfusion_wgsl();
            diag += e;
            rhs += e * field.vessel_level;
        }
        Kind::Tumour if field.uptake_km > 0.0 => {
            diag += field.uptake_vmax / (field.uptake_km + c_old.max(0.0))
        }
        Kind::Tumour => diag += field.uptake_vmax,
        _ => {}
    }
    let gs = rhs / diag;
    let c_new = (c_old + field.omega * (gs - c_old)).max(0.0);
    conc.set(i, c_new);
    (c_new - c_old).abs()
}
