//! CPU twins of shaders/cells.wgsl and shaders/resolve.wgsl.

use super::drugs::drug_action;
use super::shared::SharedSlice;
use crate::model::drug_params::DrugSet;
use crate::model::lattice::Grid;
use crate::model::lineage::{word, EVENTS_AT, EVENT_CAP};
use crate::model::params::{compressed_perfusion, cycle_len, SimParams};
use crate::model::rng::{draw, stream};
use crate::model::site::{Kind, Site, KIND_MASK, LOW16, PERSISTER_BIT, QUIESCENT_BIT};
use crate::scene::MAX_DRUGS;
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

/// The read-only inputs of the cells pass.
pub struct CellInputs<'a> {
    pub sim: &'a SimParams,
    pub drugs: &'a DrugSet,
    pub pd_table: &'a [u32],
    pub src: &'a [Site],
    /// Every field: oxygen, then each drug (`n_sites` values each).
    pub conc: &'a [f32],
}

/// Decides each site from its state, its neighbourhood and the fields. `exposure`
/// holds each drug's per-site AUC counters (`n_sites` each), updated in place.
pub fn cells(input: &CellInputs, dst: &mut [Site], wish: &mut [u32], exposure: &mut [u32]) {
    let grid = grid_of(input.sim);
    let offsets = grid.cell_offsets();
    let exposure = SharedSlice::new(exposure);
    dst.par_chunks_mut(CHUNK)
        .zip(wish.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(chunk, (dst, wish))| {
            for (k, (d, w)) in dst.iter_mut().zip(wish.iter_mut()).enumerate() {
                let i = (chunk * CHUNK + k) as u32;
                (*d, *w) = cell(input, &grid, &offsets, &exposure, i);
            }
        });
}

fn cell(
    input: &CellInputs,
    grid: &Grid,
    offsets: &[[i32; 3]],
    exposure: &SharedSlice<u32>,
    i: u32,
) -> (Site, u32) {
    let (sim, src, conc) = (input.sim, input.src, input.conc);
    let s = src[i as usize];
    if s.kind() == Kind::Vessel {
        let c = grid.coords(i);
        let k = offsets
            .iter()
            .filter_map(|&d| grid.neighbour(c, d))
            .filter(|&n| matches!(src[n as usize].kind(), Kind::Tumour | Kind::Necrotic))
            .count() as u32;
        let w1 = compressed_perfusion(sim, s.w2 & LOW16, k);
        return (Site { w1, ..s }, 0);
    }
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
    let quiescent = o2 < sim.hypoxic_mmhg;
    w0 = if quiescent {
        w0 | QUIESCENT_BIT
    } else {
        w0 & !QUIESCENT_BIT
    };
    let outcome = {
        let n = sim.n_sites as usize;
        let n_drugs = input.drugs.n_drugs as usize;
        let mut levels = [0.0f32; MAX_DRUGS];
        let mut auc = [0u32; MAX_DRUGS];
        for d in 0..n_drugs {
            levels[d] = conc[(1 + d) * n + i as usize];
            // SAFETY: site i's exposure slots are touched only by the thread of site i.
            auc[d] = unsafe { exposure.get(d * n + i as usize) };
        }
        let out = drug_action(
            sim,
            input.drugs,
            input.pd_table,
            &levels,
            &mut auc,
            i,
            s,
            quiescent,
        );
        for (d, value) in auc.iter().enumerate().take(n_drugs) {
            // SAFETY: as above.
            unsafe { exposure.set(d * n + i as usize, *value) };
        }
        out
    };
    if outcome.killed {
        return (Site::EMPTY, 0);
    }
    w0 = if outcome.persister {
        w0 | PERSISTER_BIT
    } else {
        w0 & !PERSISTER_BIT
    };
    let mut sanctuary = s.w2 >> 16;
    if (quiescent || outcome.persister) && outcome.cycle_drug_present {
        sanctuary = (sanctuary + 1).min(LOW16);
    }
    if !quiescent && !outcome.persister && !outcome.arrested {
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
        w2: (sanctuary << 16) | anoxic,
        w3: s.w3,
    };
    (next, wish)
}

/// Settles competing divisions; the winning daughter fills its target site and
/// carries on its parent's exposure counters. Mutant daughters are appended, by
/// ascending site, to the event list of the lineage buffer (`model::lineage`).
///
/// The result is that of resolve.wgsl, which gathers: every empty site looks for the
/// neighbours wishing for it and every wishing parent recomputes its target's winner.
/// Here the wishes are scattered instead (a linear scan), because on the CPU that
/// costs a pass over the wish array rather than a neighbourhood per site:
/// a claim counts only when its parent is a cell neighbour of its target, as in the
/// shader's `winner_for`; the winner has the highest `PRIORITY` draw, ties to the
/// lower parent index; a winning parent that is not an empty site starts a new cycle;
/// the target becomes the daughter if it is empty.
pub fn resolve(
    sim: &SimParams,
    drugs: &DrugSet,
    src: &[Site],
    wish: &[u32],
    dst: &mut [Site],
    exposure: &mut [u32],
    lineage: &mut [u32],
) {
    let grid = grid_of(sim);
    let offsets = grid.cell_offsets();
    let n = sim.n_sites as usize;
    dst.par_chunks_mut(CHUNK)
        .zip(src.par_chunks(CHUNK))
        .for_each(|(d, s)| d.copy_from_slice(s));
    // (target, priority, parent), winners first within each target.
    let mut claims: Vec<(u32, u32, u32)> = wish
        .par_iter()
        .enumerate()
        .filter(|(_, &w)| w != 0)
        .filter_map(|(i, &w)| {
            let (t, parent) = (w - 1, i as u32);
            adjacent(&grid, &offsets, t, parent)
                .then(|| (t, draw(sim.tick_key, parent, stream::PRIORITY), parent))
        })
        .collect();
    claims.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    claims.dedup_by_key(|c| c.0);
    for &(t, _, parent) in &claims {
        let p = src[parent as usize];
        if p.kind() != Kind::Empty {
            dst[parent as usize].w1 = new_cycle(sim, drugs, parent, p.w3);
        }
        if src[t as usize].kind() != Kind::Empty {
            continue;
        }
        let traits = drugs.mutate(sim.tick_key, t, p.w3);
        dst[t as usize] = Site {
            w0: Kind::Tumour as u32 | (p.w0 & HIGH16),
            w1: new_cycle(sim, drugs, t, traits),
            w2: 0,
            w3: traits,
        };
        for drug in 0..drugs.n_drugs as usize {
            exposure[drug * n + t as usize] = exposure[drug * n + parent as usize];
        }
        if traits != p.w3 {
            let e = lineage[word::EVENTS];
            if e < EVENT_CAP {
                lineage[EVENTS_AT + e as usize] = t;
            }
            lineage[word::EVENTS] = e.wrapping_add(1);
        }
    }
}

/// Whether `parent` is a cell neighbour of `target` (both inside the lattice).
fn adjacent(grid: &Grid, offsets: &[[i32; 3]], target: u32, parent: u32) -> bool {
    if target as usize >= grid.sites() {
        return false;
    }
    let c = grid.coords(target);
    let p = grid.coords(parent);
    let d = [0, 1, 2].map(|a| p[a] as i32 - c[a] as i32);
    offsets.contains(&d)
}

/// A fresh cycle (progress 0) whose length suits the cell's traits.
fn new_cycle(sim: &SimParams, drugs: &DrugSet, site: u32, traits: u32) -> u32 {
    drugs.scale_cycle(cycle_len(sim, site), traits) << 16
}
