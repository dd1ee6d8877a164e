//! CPU twins of shaders/cells.wgsl and shaders/resolve.wgsl.

use crate::model::lattice::Grid;
use crate::model::params::{cycle_len, SimParams};
use crate::model::rng::{draw, stream};
use crate::model::site::{Kind, Site, KIND_MASK, LOW16, QUIESCENT_BIT};
use rayon::prelude::*;

const HIGH16: u32 = 0xffff_0000;
/// Sites per rayon task: large enough to amortise scheduling, small enough to balance.
const CHUNK: usize = 4096;

pub(crate) fn grid_of(sim: &SimParams) -> Grid {
    Grid {
        nx: sim.nx,
        ny: sim.ny,
        nz: sim.nz,
        moore: sim.moore == 1,
    }
}

/// The free neighbour picked for a division, or `None` if none is free.
fn pick_free_neighbour(
    sim: &SimParams,
    grid: &Grid,
    offsets: &[[i32; 3]],
    src: &[Site],
    i: u32,
) -> Option<u32> {
    let c = grid.coords(i);
    let free = || {
        offsets
            .iter()
            .filter_map(move |&d| grid.neighbour(c, d))
            .filter(|&n| src[n as usize].kind() == Kind::Empty)
    };
    let count = free().count() as u32;
    if count == 0 {
        return None;
    }
    let k = draw(sim.tick_key, i, stream::TARGET) % count;
    free().nth(k as usize)
}

/// Decides each site from its state, its neighbourhood and the oxygen field.
pub fn cells(sim: &SimParams, src: &[Site], conc: &[f32], dst: &mut [Site], wish: &mut [u32]) {
    let grid = grid_of(sim);
    let offsets = grid.cell_offsets();
    dst.par_chunks_mut(CHUNK)
        .zip(wish.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(chunk, (dst, wish))| {
            for (k, (d, w)) in dst.iter_mut().zip(wish.iter_mut()).enumerate() {
                let i = (chunk * CHUNK + k) as u32;
                (*d, *w) = cell(sim, &grid, &offsets, src, conc, i);
            }
        });
}

fn cell(
    sim: &SimParams,
    grid: &Grid,
    offsets: &[[i32; 3]],
    src: &[Site],
    conc: &[f32],
    i: u32,
) -> (Site, u32) {
    let s = src[i as usize];
    if s.w0 & KIND_MASK != Kind::Tumour as u32 {
        return (s, 0);
    }
    if draw(sim.tick_key, i, stream::APOPTOSIS) < sim.apoptosis_threshold {
        return (Site::EMPTY, 0);
    }
    let o2 = conc[i as usize];
    let mut anoxic = s.w2 & LOW16;
    if o2 < sim.anoxic_mmhg {
        anoxic = (anoxic + 1).min(LOW16);
        if anoxic >= sim.anoxic_ticks {
            let necrotic = Site {
                w0: Kind::Necrotic as u32 | (s.w0 & HIGH16),
                w1: 0,
                w2: 0,
                w3: s.w3,
            };
            return (necrotic, 0);
        }
    } else {
        anoxic = 0;
    }
    let mut w0 = s.w0;
    let mut progress = s.w1 & LOW16;
    let len = s.w1 >> 16;
    let mut wish = 0;
    if o2 < sim.hypoxic_mmhg {
        w0 |= QUIESCENT_BIT;
    } else {
        w0 &= !QUIESCENT_BIT;
        progress = (progress + 1).min(len);
        if progress >= len {
            if let Some(t) = pick_free_neighbour(sim, grid, offsets, src, i) {
                wish = t + 1;
            }
        }
    }
    let next = Site {
        w0,
        w1: (s.w1 & HIGH16) | progress,
        w2: (s.w2 & HIGH16) | anoxic,
        w3: s.w3,
    };
    (next, wish)
}

/// The parent whose division into free site `t` wins this tick: highest priority
/// draw, ties to the lower index.
fn winner_for(
    sim: &SimParams,
    grid: &Grid,
    offsets: &[[i32; 3]],
    wish: &[u32],
    t: u32,
) -> Option<u32> {
    let c = grid.coords(t);
    let mut best: Option<(u32, u32)> = None;
    for &d in offsets {
        let Some(n) = grid.neighbour(c, d) else {
            continue;
        };
        if wish[n as usize] != t + 1 {
            continue;
        }
        let p = draw(sim.tick_key, n, stream::PRIORITY);
        let better = match best {
            None => true,
            Some((bn, bp)) => p > bp || (p == bp && n < bn),
        };
        if better {
            best = Some((n, p));
        }
    }
    best.map(|(n, _)| n)
}

/// Settles competing divisions; the winning daughter fills its target site.
pub fn resolve(sim: &SimParams, src: &[Site], wish: &[u32], dst: &mut [Site]) {
    let grid = grid_of(sim);
    let offsets = grid.cell_offsets();
    dst.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(chunk, dst)| {
            for (k, d) in dst.iter_mut().enumerate() {
                let i = (chunk * CHUNK + k) as u32;
                *d = resolve_site(sim, &grid, &offsets, src, wish, i);
            }
        });
}

fn resolve_site(
    sim: &SimParams,
    grid: &Grid,
    offsets: &[[i32; 3]],
    src: &[Site],
    wish: &[u32],
    i: u32,
) -> Site {
    let s = src[i as usize];
    if s.kind() == Kind::Empty {
        if let Some(parent) = winner_for(sim, grid, offsets, wish, i) {
            let p = src[parent as usize];
            return Site {
                w0: Kind::Tumour as u32 | (p.w0 & HIGH16),
                w1: cycle_len(sim, i) << 16,
                w2: 0,
                w3: p.w3,
            };
        }
    } else if wish[i as usize] != 0
        && winner_for(sim, grid, offsets, wish, wish[i as usize] - 1) == Some(i)
    {
        return Site {
            w1: cycle_len(sim, i) << 16,
            ..s
        };
    }
    s
}
