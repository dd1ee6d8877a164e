//! CPU twin of shaders/cells.wgsl.

use super::drugs::{drug_action, DrugOutcome};
use super::neighbours::{nth_set_bit, Neighbourhood};
use super::shared::{min_len, SharedSlice};
use crate::model::action::{self, Action};
use crate::model::drug_params::DrugSet;
use crate::model::lattice::Grid;
use crate::model::params::{compressed_perfusion, SimParams};
use crate::model::pd::{pd_index, PD_TABLE_LEN};
use crate::model::rng::{draw, stream};
use crate::model::site::{
    Kind, Site, HALF_SHIFT, HIGH16, KIND_MASK, LOW16, PERSISTER_BIT, QUIESCENT_BIT,
};
use crate::scene::MAX_DRUGS;
use rayon::prelude::*;

/// Sites per rayon task: large enough to amortise scheduling, small enough to balance.
pub(crate) const CHUNK: usize = 4096;

pub(crate) fn grid_of(sim: &SimParams) -> Grid {
    Grid {
        nx: sim.nx,
        ny: sim.ny,
        nz: sim.nz,
        moore: sim.moore == 1,
    }
}

/// The offset of the free neighbour picked for a division, or `None` if none is free.
/// `count` is the site's number of free neighbours (`Neighbourhood::free_counts`).
fn pick_free_neighbour(
    sim: &SimParams,
    hood: &Neighbourhood,
    src: &[Site],
    i: u32,
    count: u8,
) -> Option<[i32; 3]> {
    if count == 0 {
        return None;
    }
    let count = count as u32;
    let free = hood.mask(src, i, |s| s.kind() == Kind::Empty);
    debug_assert_eq!(free.count_ones(), count);
    let k = draw(sim.tick_key, i, stream::TARGET) % count;
    Some(hood.offsets[nth_set_bit(free, k) as usize])
}

/// Whether every drug leaves a cell it does not reach alone: at level 0 none counts
/// as exposure (its exposure level is above 0) and none kills or arrests (its PD
/// threshold at level 0 is 0).
fn inert_at_zero(drugs: &DrugSet, pd_table: &[u32]) -> bool {
    drugs.drugs[..drugs.n_drugs as usize]
        .iter()
        .enumerate()
        .all(|(d, drug)| drug.exposure_um > 0.0 && pd_table[d * PD_TABLE_LEN + pd_index(0.0)] == 0)
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
    let hood = Neighbourhood::new(grid_of(input.sim));
    let free = hood.free_counts(input.src);
    let inert = inert_at_zero(input.drugs, input.pd_table);
    let exposure = SharedSlice::new(exposure);
    dst.par_chunks_mut(CHUNK)
        .zip(wish.par_chunks_mut(CHUNK))
        .enumerate()
        .with_min_len(min_len(1))
        .for_each(|(chunk, (dst, wish))| {
            for (k, (d, w)) in dst.iter_mut().zip(wish.iter_mut()).enumerate() {
                let i = (chunk * CHUNK + k) as u32;
                (*d, *w) = cell(input, &hood, &exposure, i, free[i as usize], inert);
            }
        });
}

fn cell(
    input: &CellInputs,
    hood: &Neighbourhood,
    exposure: &SharedSlice<u32>,
    i: u32,
    free: u8,
    inert_at_zero: bool,
) -> (Site, u32) {
    let (sim, src, conc) = (input.sim, input.src, input.conc);
    let s = src[i as usize];
    if s.kind() == Kind::Vessel {
        let k = hood
            .mask(src, i, |n| {
                matches!(n.kind(), Kind::Tumour | Kind::Necrotic)
            })
            .count_ones();
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
    let len = s.w1 >> HALF_SHIFT;
    let mut wish = 0;
    let quiescent = o2 < sim.hypoxic_mmhg;
    w0 = if quiescent {
        w0 | QUIESCENT_BIT
    } else {
        w0 & !QUIESCENT_BIT
    };
    let n = sim.n_sites as usize;
    let n_drugs = input.drugs.n_drugs as usize;
    let mut levels = [0.0f32; MAX_DRUGS];
    for d in 0..n_drugs {
        levels[d] = conc[input.drugs.drugs[d].field as usize * n + i as usize];
    }
    let outcome = if inert_at_zero
        && s.w0 & PERSISTER_BIT == 0
        && levels[..n_drugs].iter().all(|l| l.to_bits() == 0)
    {
        // No drug reaches the cell, none acts at level 0 and nothing can change the
        // cell's persister state: `drug_action` would draw nothing and add nothing.
        DrugOutcome {
            killed: false,
            arrested: false,
            persister: false,
            cycle_drug_present: false,
        }
    } else {
        let mut auc = [0u32; MAX_DRUGS];
        for (d, value) in auc.iter_mut().enumerate().take(n_drugs) {
            // SAFETY: site i's exposure slots are touched only by the thread of site i.
            *value = unsafe { exposure.get(d * n + i as usize) };
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
    let mut sanctuary = s.w2 >> HALF_SHIFT;
    if (quiescent || outcome.persister) && outcome.cycle_drug_present {
        sanctuary = (sanctuary + 1).min(LOW16);
    }
    if !quiescent && !outcome.persister && !outcome.arrested {
        progress = (progress + 1).min(len);
        if progress >= len {
            if let Some(d) = pick_free_neighbour(sim, hood, src, i, free) {
                wish = action::wish(Action::Divide, d);
            }
        }
    }
    let next = Site {
        w0,
        w1: (s.w1 & HIGH16) | progress,
        w2: (sanctuary << HALF_SHIFT) | anoxic,
        w3: s.w3,
    };
    (next, wish)
}
