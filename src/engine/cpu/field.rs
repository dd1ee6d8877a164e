//! CPU twins of shaders/field_sweep.wgsl and shaders/field_guard.wgsl.

use super::shared::{min_len, threads, SharedSlice};
use crate::model::params::{
    FieldParams, SimParams, SweepParams, TERM_FIRST_ORDER, TERM_ZERO_ORDER,
};
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
        .with_min_len(min_len(1))
        .map(|row| {
            let (y, z) = (row as u32 % sim.ny, row as u32 / sim.ny);
            // SAFETY: this half-sweep writes only sites of `sweep.colour` and reads only
            // the other colour (their face neighbours) plus themselves, so no element is
            // written by one thread while another reads or writes it.
            unsafe { relax_row(sim, field, src, &shared, sweep.colour, y, z) }
        })
        .reduce(|| 0.0f32, f32::max);
    residual[slot] = residual[slot].max(delta.to_bits());
}

/// Both half-sweeps of sweep `index` of a field at once — colour 0 then colour 1, with
/// the same result to the bit as `field_sweep` called for each (the CPU backend's solve
/// uses this; `field_sweep` stays the twin of the shader).
///
/// A site of colour 1 needs its colour-0 face neighbours updated, and those lie in its
/// own layer (z-plane in 3D, row in 2D) and the two next to it. So the layers are
/// walked in order, colour 0 of layer l followed by colour 1 of layer l − 1, while both
/// are in cache: the lattice is read once per sweep instead of twice. Threads take slabs
/// of layers; colour 1 of a slab's first and last layer needs the neighbouring slabs'
/// colour 0 and is done after all slabs.
pub fn field_sweep_fused(
    sim: &SimParams,
    field: &FieldParams,
    index: u32,
    src: &[Site],
    conc: &mut [f32],
    residual: &mut [u32],
    slot: u32,
) {
    let slot = slot as usize;
    if index > 0 && f32::from_bits(residual[slot - 1]) < field.tolerance {
        return;
    }
    let (layers, rows_per_layer) = if sim.nz > 1 {
        (sim.nz, sim.ny)
    } else {
        (sim.ny, 1)
    };
    // SAFETY (both phases): a relax of colour c in layer l writes colour-c sites of l
    // and reads colour-(1 − c) sites of l − 1, l, l + 1. Phase 1: a slab [a, b) relaxes
    // colour 0 in all its layers and colour 1 in a + 1 ..= b − 2, whose colour-0
    // neighbours are all in the slab; no other slab writes colour 1 in a − 1 or b, which
    // its colour 0 reads. Phase 2 relaxes colour 1 only, in layers whose colour-0
    // neighbours are final and that no two tasks share.
    let layer = |shared: &SharedSlice<f32>, colour: u32, l: u32| {
        (0..rows_per_layer)
            .map(|r| {
                let (y, z) = if sim.nz > 1 { (r, l) } else { (l, 0) };
                unsafe { relax_row(sim, field, src, shared, colour, y, z) }
            })
            .fold(0.0f32, f32::max)
    };
    let slabs = slabs(layers, threads());
    let shared = SharedSlice::new(conc);
    let first = slabs
        .par_iter()
        .with_min_len(min_len(1))
        .map(|&(a, b)| {
            let mut max = 0.0f32;
            for l in a..b {
                max = max.max(layer(&shared, 0, l));
                if l >= a + 2 {
                    max = max.max(layer(&shared, 1, l - 1));
                }
            }
            max
        })
        .reduce(|| 0.0f32, f32::max);
    let edges: Vec<u32> = slabs
        .iter()
        .flat_map(|&(a, b)| if b - a > 1 { vec![a, b - 1] } else { vec![a] })
        .collect();
    let second = edges
        .par_iter()
        .with_min_len(min_len(1))
        .map(|&l| layer(&shared, 1, l))
        .reduce(|| 0.0f32, f32::max);
    let delta = first.max(second);
    residual[slot] = residual[slot].max(delta.to_bits());
}

/// `count` contiguous slabs of layers `0..layers` (fewer when layers are few), each at
/// least 3 layers long where possible so that most of its colour-1 work is fused.
fn slabs(layers: u32, count: usize) -> Vec<(u32, u32)> {
    let count = (count as u32).min(layers / 3).max(1);
    (0..count)
        .map(|k| (layers * k / count, layers * (k + 1) / count))
        .collect()
}

/// Relaxes the colour-`colour` sites of row (y, z); returns their largest |Δc|.
///
/// # Safety
/// No other thread writes a site of this row's colour `colour` or their face
/// neighbours meanwhile.
unsafe fn relax_row(
    sim: &SimParams,
    field: &FieldParams,
    src: &[Site],
    shared: &SharedSlice<f32>,
    colour: u32,
    y: u32,
    z: u32,
) -> f32 {
    // The term loop with a constant trip count for the usual counts, as the shader's
    // `FIELD_TERMS` (the same arithmetic in the same order).
    match field.n_terms {
        0 => relax_row_with::<0>(sim, field, src, shared, colour, y, z),
        1 => relax_row_with::<1>(sim, field, src, shared, colour, y, z),
        2 => relax_row_with::<2>(sim, field, src, shared, colour, y, z),
        _ => relax_row_with::<ANY_TERMS>(sim, field, src, shared, colour, y, z),
    }
}

/// `N` for a term count known only at run time (`FieldParams::active_terms`).
const ANY_TERMS: usize = usize::MAX;

/// `relax_row` for fields of `N` terms (or any number, `ANY_TERMS`).
///
/// # Safety
/// As `relax_row`.
unsafe fn relax_row_with<const N: usize>(
    sim: &SimParams,
    field: &FieldParams,
    src: &[Site],
    shared: &SharedSlice<f32>,
    colour: u32,
    y: u32,
    z: u32,
) -> f32 {
    let interior_row = y > 0 && y + 1 < sim.ny && (sim.nz == 1 || (z > 0 && z + 1 < sim.nz));
    let mut row_max = 0.0f32;
    let mut x = (y + z + colour) & 1;
    while x < sim.nx {
        // An interior site's face neighbours are all inside the lattice.
        let d = if interior_row && x > 0 && x + 1 < sim.nx {
            relax_interior::<N>(sim, field, src, shared, x, y, z)
        } else {
            relax::<N>(sim, field, src, shared, x, y, z)
        };
        row_max = row_max.max(d);
        x += 2;
    }
    row_max
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
unsafe fn relax<const N: usize>(
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
    update::<N>(field, src[i], conc, i, c_old, sum, nn)
}

/// `relax` for a site whose face neighbours all lie inside the lattice: the same
/// arithmetic in the same order (so the same bits), without the boundary tests.
///
/// # Safety
/// As `relax`, and (x, y, z) is not on the lattice's faces.
#[inline(always)]
unsafe fn relax_interior<const N: usize>(
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
    update::<N>(field, *src.get_unchecked(i), conc, i, c_old, sum, nn)
}

/// The over-relaxed update of site `i` from its neighbours' sum `sum` over `nn` faces
/// (boundary values included); returns |Δc|.
///
/// # Safety
/// No other thread reads or writes site `i`.
#[inline(always)]
unsafe fn update<const N: usize>(
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
    let kind = s.kind_code();
    if kind == Kind::Vessel as u32 {
        let e = field.vessel_exchange * s.perfusion_wgsl();
        diag += e;
        rhs += e * field.vessel_level;
    }
    let terms = if N == ANY_TERMS {
        field.active_terms()
    } else {
        &field.terms[..N]
    };
    for term in terms {
        if term.kind != kind || s.w0 & term.state != term.state {
            continue;
        }
        match term.order {
            TERM_ZERO_ORDER => rhs += term.rate,
            TERM_FIRST_ORDER => diag += term.rate,
            _ => diag += term.rate / (term.half_max + c_old.max(0.0)),
        }
    }
    let gs = rhs / diag;
    let c_new = (c_old + field.omega * (gs - c_old)).max(0.0);
    conc.set(i, c_new);
    (c_new - c_old).abs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Scene;
    use std::path::Path;

    /// A random lattice state: every kind of site, perfusions, levels 0–60.
    fn random_state(n: usize, seed: u64) -> (Vec<Site>, Vec<f32>) {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let sites = (0..n)
            .map(|_| match next() % 5 {
                0 => Site::EMPTY,
                1 => Site::tumour(0, 0, 20),
                4 => Site {
                    w0: Kind::Tumour as u32 | crate::model::site::QUIESCENT_BIT,
                    ..Site::tumour(0, 0, 20)
                },
                2 => Site::vessel((next() % 1000) as f64 / 1000.0),
                _ => Site {
                    w0: Kind::Necrotic as u32,
                    ..Site::EMPTY
                },
            })
            .collect();
        let conc = (0..n).map(|_| (next() % 60_000) as f32 / 1000.0).collect();
        (sites, conc)
    }

    #[test]
    fn a_fused_sweep_equals_two_half_sweeps_to_the_bit() {
        let dims = [(37, 29, 1), (8, 5, 1), (13, 11, 9), (6, 7, 3), (10, 4, 16)];
        for (nx, ny, nz) in dims {
            for boundary in ["", "boundary_mmhg = 20.0\n"] {
                let text = format!(
                    "seed = 1\n[lattice]\nnx = {nx}\nny = {ny}\nnz = {nz}\n[oxygen]\n{boundary}"
                );
                let scene = Scene::parse(&text, Path::new("t.toml")).unwrap();
                let sim = SimParams::from_scene(&scene);
                let field = FieldParams::oxygen(&scene);
                let (sites, start) =
                    random_state(scene.site_count() as usize, nx as u64 * 31 + nz as u64);
                let mut expected = start.clone();
                let mut expected_residual = vec![0u32; 4];
                for index in 0..3 {
                    for colour in 0..2 {
                        let sweep = SweepParams {
                            colour,
                            index,
                            field: 0,
                            residual_slot: index,
                        };
                        field_sweep(
                            &sim,
                            &field,
                            &sweep,
                            &sites,
                            &mut expected,
                            &mut expected_residual,
                        );
                    }
                }
                for threads in [1, 2, 3, 5] {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .unwrap();
                    let mut conc = start.clone();
                    let mut residual = vec![0u32; 4];
                    pool.install(|| {
                        for index in 0..3 {
                            field_sweep_fused(
                                &sim,
                                &field,
                                index,
                                &sites,
                                &mut conc,
                                &mut residual,
                                index,
                            );
                        }
                    });
                    let ctx = format!("{nx}×{ny}×{nz} {boundary:?} {threads} threads");
                    let bits = |v: &[f32]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
                    assert!(bits(&conc) == bits(&expected), "{ctx}: fields differ");
                    assert_eq!(residual, expected_residual, "{ctx}: residuals differ");
                    assert!(conc != start, "{ctx}: nothing relaxed");
                }
            }
        }
    }

    /// The half-sweeps (interior fast path and all) against `relax` applied to every site.
    #[test]
    fn half_sweeps_equal_the_plain_site_update_to_the_bit() {
        for (nx, ny, nz) in [(37, 29, 1), (13, 11, 9), (4, 3, 3)] {
            for extra in [
                "",
                "boundary_mmhg = 20.0\n",
                "first-order uptake (drug fields)",
                "secretion by hypoxic cells, saturable sink at vessels",
                // Each term count the sweep is specialised for (`relax_row`), and more.
                "no terms",
                "two terms: uptake and a first-order sink at necrotic sites",
            ] {
                let boundary = if extra.starts_with("boundary") {
                    extra
                } else {
                    ""
                };
                let text = format!(
                    "seed = 1\n[lattice]\nnx = {nx}\nny = {ny}\nnz = {nz}\n[oxygen]\n{boundary}"
                );
                let scene = Scene::parse(&text, Path::new("t.toml")).unwrap();
                let sim = SimParams::from_scene(&scene);
                let mut field = FieldParams::oxygen(&scene);
                if extra.starts_with("first-order") {
                    field.terms[0].order = crate::model::params::TERM_FIRST_ORDER;
                }
                if extra.starts_with("no terms") {
                    field.n_terms = 0;
                }
                if extra.starts_with("two terms") {
                    use crate::model::params::{FieldTerm, TERM_FIRST_ORDER};
                    field =
                        field.with_term(FieldTerm::new(Kind::Necrotic, 0, TERM_FIRST_ORDER, 0.2));
                }
                if extra.starts_with("secretion") {
                    use crate::model::params::{FieldTerm, TERM_MICHAELIS_MENTEN};
                    use crate::model::site::QUIESCENT_BIT;
                    let mut sink = FieldTerm::new(Kind::Vessel, 0, TERM_MICHAELIS_MENTEN, 0.3);
                    sink.half_max = 2.0;
                    field = field
                        .with_term(FieldTerm::new(
                            Kind::Tumour,
                            QUIESCENT_BIT,
                            TERM_ZERO_ORDER,
                            0.7,
                        ))
                        .with_term(sink);
                }
                let (sites, start) = random_state(scene.site_count() as usize, 7 + nx as u64);
                for colour in 0..2 {
                    let mut expected = start.clone();
                    let mut expected_max = 0.0f32;
                    {
                        let shared = SharedSlice::new(&mut expected);
                        for z in 0..nz {
                            for y in 0..ny {
                                for x in 0..nx {
                                    if (x + y + z) & 1 == colour {
                                        // SAFETY: one thread.
                                        let d = unsafe {
                                            relax::<ANY_TERMS>(
                                                &sim, &field, &sites, &shared, x, y, z,
                                            )
                                        };
                                        expected_max = expected_max.max(d);
                                    }
                                }
                            }
                        }
                    }
                    let mut conc = start.clone();
                    let mut residual = vec![0u32; 1];
                    let sweep = SweepParams {
                        colour,
                        ..Default::default()
                    };
                    field_sweep(&sim, &field, &sweep, &sites, &mut conc, &mut residual);
                    let bits = |v: &[f32]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
                    let ctx = format!("{nx}×{ny}×{nz} {extra:?} colour {colour}");
                    assert!(bits(&conc) == bits(&expected), "{ctx}");
                    assert_eq!(residual[0], expected_max.to_bits(), "{ctx}");
                }
            }
        }
    }

    #[test]
    fn slabs_cover_every_layer_once() {
        for layers in 1..40 {
            for count in 1..9 {
                let s = slabs(layers, count);
                assert_eq!(s[0].0, 0);
                assert_eq!(s[s.len() - 1].1, layers);
                assert!(s.windows(2).all(|w| w[0].1 == w[1].0));
                assert!(s.iter().all(|&(a, b)| b > a));
                assert!(s.len() == 1 || s.iter().all(|&(a, b)| b - a >= 3));
            }
        }
    }
}
