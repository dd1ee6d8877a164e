//! CPU twin of shaders/census.wgsl.

use crate::model::census::{Census, DRUG_SUM_SCALE};
use crate::model::drug_params::{DrugSet, TRAIT_EFFLUX, TRAIT_SLOW_CYCLE, TRAIT_TARGET_MASK};
use crate::model::lineage::word;
use crate::model::params::SimParams;
use crate::model::site::{Kind, Site};
use rayon::prelude::*;

use super::cells::grid_of;

/// Sites per rayon task.
const CHUNK: usize = 16384;

/// Integer reductions over the lattice; independent of thread count. `conc` holds
/// every field (oxygen first, then each drug, `n_sites` values each); `lineage` is
/// the lineage buffer, or at least its header (`Lineage::header`), which is copied.
pub fn census(
    sim: &SimParams,
    drugs: &DrugSet,
    src: &[Site],
    conc: &[f32],
    lineage: &[u32],
) -> Census {
    let grid = grid_of(sim);
    let n = sim.n_sites as usize;
    let n_drugs = drugs.n_drugs as usize;
    let counts = src
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(chunk, sites)| {
            let base = chunk * CHUNK;
            let mut acc = Census::CLEARED;
            let mut o2_sum = 0u64;
            let mut drug_sum = [0u64; 4];
            for (k, s) in sites.iter().enumerate() {
                let i = base + k;
                let o2 = conc[i];
                o2_sum += Census::o2_fixed(o2) as u64;
                let kind = s.kind();
                match kind {
                    Kind::Tumour => {
                        acc.tumour_live += 1;
                        acc.quiescent += s.is_quiescent() as u32;
                        acc.hypoxic += (o2 < sim.hypoxic_mmhg) as u32;
                        acc.persister += s.is_persister() as u32;
                        acc.trait_target += (s.w3 & TRAIT_TARGET_MASK != 0) as u32;
                        acc.trait_efflux += (s.w3 & TRAIT_EFFLUX != 0) as u32;
                        acc.trait_slow_cycle += (s.w3 & TRAIT_SLOW_CYCLE != 0) as u32;
                        let id = s.clone_id() as u32;
                        if let Some(n) = acc.clone_live.get_mut(id as usize) {
                            *n += 1;
                        }
                        acc.acquired_live += (id >= sim.initial_clones) as u32;
                        for (d, sum) in drug_sum.iter_mut().enumerate().take(n_drugs) {
                            let level = conc[(1 + d) * n + i];
                            *sum += Census::fixed(level, DRUG_SUM_SCALE as f32) as u64;
                        }
                    }
                    Kind::Necrotic => acc.necrotic += 1,
                    Kind::Vessel => {
                        acc.vessel += 1;
                        acc.perfused_vessel += (s.w1 & 0xffff != 0) as u32;
                    }
                    Kind::Empty => {}
                }
                if matches!(kind, Kind::Tumour | Kind::Necrotic) {
                    let c = grid.coords(i as u32);
                    for (a, &ca) in c.iter().enumerate() {
                        acc.min[a] = acc.min[a].min(ca);
                        acc.max[a] = acc.max[a].max(ca);
                    }
                }
            }
            acc.o2_sum_lo = o2_sum as u32;
            acc.o2_sum_hi = (o2_sum >> 32) as u32;
            for (d, &sum) in drug_sum.iter().enumerate() {
                acc.set_drug_sum(d, sum);
            }
            acc
        })
        .reduce(|| Census::CLEARED, merge_census);
    Census {
        clones: lineage[word::NEXT_CLONE],
        mutations: lineage[word::MUTATIONS],
        ..counts
    }
}

/// Combines two partial censuses (what the GPU does when a census adds into a buffer);
/// the lineage counts are stored, not added: `b`'s win.
pub fn merge_census(a: Census, b: Census) -> Census {
    let sum = a.o2_sum() + b.o2_sum();
    let mut out = Census {
        tumour_live: a.tumour_live + b.tumour_live,
        quiescent: a.quiescent + b.quiescent,
        necrotic: a.necrotic + b.necrotic,
        vessel: a.vessel + b.vessel,
        hypoxic: a.hypoxic + b.hypoxic,
        perfused_vessel: a.perfused_vessel + b.perfused_vessel,
        o2_sum_lo: sum as u32,
        o2_sum_hi: (sum >> 32) as u32,
        min: std::array::from_fn(|k| a.min[k].min(b.min[k])),
        max: std::array::from_fn(|k| a.max[k].max(b.max[k])),
        persister: a.persister + b.persister,
        trait_target: a.trait_target + b.trait_target,
        trait_efflux: a.trait_efflux + b.trait_efflux,
        trait_slow_cycle: a.trait_slow_cycle + b.trait_slow_cycle,
        drug_sum: [0; 8],
        clones: b.clones,
        mutations: b.mutations,
        clone_live: std::array::from_fn(|k| a.clone_live[k] + b.clone_live[k]),
        acquired_live: a.acquired_live + b.acquired_live,
        _pad: [0; 3],
    };
    for d in 0..4 {
        out.set_drug_sum(d, a.drug_sum(d).wrapping_add(b.drug_sum(d)));
    }
    out
}
