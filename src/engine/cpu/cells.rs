//! CPU twin of shaders/cells.wgsl.

use super::drugs::{drug_action, DrugOutcome};
use super::immune::{self, ImmuneInputs};
use super::neighbours::{nth_set_bit, Neighbourhood};
use super::shared::{all_zero, min_len, SharedSlice};
use crate::model::action::{self, Action};
use crate::model::drug_params::DrugSet;
use crate::model::lattice::Grid;
use crate::model::params::{compressed_perfusion, SimParams};
use crate::model::pd::{pd_index, PD_TABLE_LEN};
use crate::model::rng::{self, draw, stream};
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

/// The offset of the free neighbour picked for a division. `count` is the site's
/// number of free neighbours (`Neighbourhood::free_counts`), at least 1.
#[inline(never)]
fn pick_free_neighbour(
    sim: &SimParams,
    hood: &Neighbourhood,
    src: &[Site],
    i: u32,
    count: u8,
) -> [i32; 3] {
    let count = count as u32;
    let free = hood.mask(src, i, |s| s.kind() == Kind::Empty);
    debug_assert_eq!(free.count_ones(), count);
    let k = draw(sim.tick_key, i, stream::TARGET) % count;
    hood.offsets[nth_set_bit(free, k) as usize]
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
    /// The T-cell rules (disabled without `[immune]`).
    pub immune: ImmuneInputs<'a>,
}

/// Decides each site from its state, its neighbourhood and the fields. `exposure`
/// holds each drug's per-site AUC counters (`n_sites` each), updated in place.
pub fn cells(input: &CellInputs, dst: &mut [Site], wish: &mut [u32], exposure: &mut [u32]) {
    let hood = Neighbourhood::new(grid_of(input.sim));
    let free = hood.free_counts(input.src);
    let inert = inert_at_zero(input.drugs, input.pd_table);
    // No drug anywhere and none acting at level 0: only persisters can see a drug
    // step (their state may change), every other cell skips the drugs altogether.
    let drug_free = inert && drug_fields_zero(input);
    let exposure = SharedSlice::new(exposure);
    dst.par_chunks_mut(CHUNK)
        .zip(wish.par_chunks_mut(CHUNK))
        .enumerate()
        .with_min_len(min_len(1))
        .for_each(|(chunk, (dst, wish))| {
            let base = chunk * CHUNK;
            let m = dst.len();
            let (wish, free) = (&mut wish[..m], &free[base..base + m]);
            let rules = Rules::new(input.sim);
            if drug_free {
                drug_free_chunk(input, rules, &hood, &exposure, base, dst, wish, free);
            } else {
                for k in 0..m {
                    let i = (base + k) as u32;
                    (dst[k], wish[k]) = cell(input, rules, &hood, &exposure, i, free[k], inert);
                }
            }
        });
}

/// Whether every drug's field is +0 at every site (an OR of the bits, chunk by chunk
/// so that it vectorises and stops at the first chunk with a drug).
fn drug_fields_zero(input: &CellInputs) -> bool {
    let n = input.sim.n_sites as usize;
    input.drugs.drugs[..input.drugs.n_drugs as usize]
        .iter()
        .all(|drug| all_zero(&input.conc[drug.field as usize * n..][..n]))
}

/// The tick's constants of the tumour-cell rules, copied out of `SimParams` so that
/// they stay in registers over a chunk of sites.
#[derive(Clone, Copy)]
struct Rules {
    tick_key: u32,
    apoptosis_threshold: u32,
    anoxic_mmhg: f32,
    anoxic_ticks: u32,
    hypoxic_mmhg: f32,
}

impl Rules {
    fn new(sim: &SimParams) -> Rules {
        Rules {
            tick_key: sim.tick_key,
            apoptosis_threshold: sim.apoptosis_threshold,
            anoxic_mmhg: sim.anoxic_mmhg,
            anoxic_ticks: sim.anoxic_ticks,
            hypoxic_mmhg: sim.hypoxic_mmhg,
        }
    }

    /// Tumour cell `s` with oxygen `o2` and its site's apoptosis draw: `Err(next)`
    /// when it dies this tick (apoptosis, or necrosis after too long anoxic), else
    /// `Ok((anoxic ticks, quiescent))`.
    #[inline(always)]
    fn fate(&self, s: Site, apoptosis: u32, o2: f32) -> Result<(u32, bool), Site> {
        if apoptosis < self.apoptosis_threshold {
            return Err(Site::EMPTY);
        }
        let mut anoxic = s.w2 & LOW16;
        if o2 < self.anoxic_mmhg {
            anoxic = (anoxic + 1).min(LOW16);
            if anoxic >= self.anoxic_ticks {
                return Err(Site {
                    w0: Kind::Necrotic as u32 | (s.w0 & HIGH16),
                    w1: 0,
                    w2: 0,
                    w3: s.w3,
                });
            }
        } else {
            anoxic = 0;
        }
        Ok((anoxic, o2 < self.hypoxic_mmhg))
    }
}

/// What no drug does.
const NO_DRUG: DrugOutcome = DrugOutcome {
    killed: false,
    arrested: false,
    persister: false,
    cycle_drug_present: false,
};

/// Sites whose apoptosis draws are made together, ahead of the cells (they vectorise).
const DRAW_BLOCK: usize = 64;

/// `cells` on the chunk of sites from `base` when no drug field holds any drug and
/// none acts at level 0: tumour cells that are not persisters skip the drugs, and
/// every site's apoptosis draw is made ahead, a block at a time; vessels and
/// persisters take the whole `cell`.
#[allow(clippy::too_many_arguments)]
fn drug_free_chunk(
    input: &CellInputs,
    rules: Rules,
    hood: &Neighbourhood,
    exposure: &SharedSlice<u32>,
    base: usize,
    dst: &mut [Site],
    wish: &mut [u32],
    free: &[u8],
) {
    let m = dst.len();
    let (src, o2) = (&input.src[base..base + m], &input.conc[base..base + m]);
    let (wish, free) = (&mut wish[..m], &free[..m]);
    let tumour = Kind::Tumour as u32;
    let mut apoptosis = [0u32; DRAW_BLOCK];
    for start in (0..m).step_by(DRAW_BLOCK) {
        let len = DRAW_BLOCK.min(m - start);
        let first = (base + start) as u32;
        rng::draws(
            rules.tick_key,
            first,
            stream::APOPTOSIS,
            &mut apoptosis[..len],
        );
        for (j, &apoptosis) in apoptosis[..len].iter().enumerate() {
            let k = start + j;
            let i = (base + k) as u32;
            let s = src[k];
            if s.w0 & (KIND_MASK | PERSISTER_BIT) == tumour {
                (dst[k], wish[k]) = match rules.fate(s, apoptosis, o2[k]) {
                    Err(next) => (next, 0),
                    Ok((anoxic, quiescent)) => {
                        let hood = (input.sim, hood, input.src);
                        cycle(hood, s, i, free[k], anoxic, quiescent, NO_DRUG)
                    }
                };
            } else if matches!(s.kind(), Kind::Tumour | Kind::Vessel | Kind::TCell) {
                let (next, w) = (&mut dst[k], &mut wish[k]);
                whole_cell(input, rules, hood, exposure, i, free[k], next, w);
            } else {
                (dst[k], wish[k]) = (s, 0);
            }
        }
    }
}

/// `cell` out of line, writing its answer: for the few sites that the drug-free loop
/// of `cells` does not decide itself (vessels, persisters, T cells).
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn whole_cell(
    input: &CellInputs,
    rules: Rules,
    hood: &Neighbourhood,
    exposure: &SharedSlice<u32>,
    i: u32,
    free: u8,
    next: &mut Site,
    wish: &mut u32,
) {
    (*next, *wish) = cell(input, rules, hood, exposure, i, free, true);
}

/// One site's next state and wish.
#[inline(always)]
fn cell(
    input: &CellInputs,
    rules: Rules,
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
        return (
            Site { w1, ..s },
            immune::recruit(input, hood, i, w1 & LOW16, free),
        );
    }
    if s.kind() == Kind::TCell {
        return immune::tcell(input, hood, i, free);
    }
    if s.w0 & KIND_MASK != Kind::Tumour as u32 {
        return (s, 0);
    }
    let apoptosis = draw(rules.tick_key, i, stream::APOPTOSIS);
    let (anoxic, quiescent) = match rules.fate(s, apoptosis, conc[i as usize]) {
        Err(next) => return (next, 0),
        Ok(lives) => lives,
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
        NO_DRUG
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
    cycle((sim, hood, src), s, i, free, anoxic, quiescent, outcome)
}

/// The rest of a living tumour cell's tick after the drugs: its state bits, its
/// sanctuary count, its progress through the cycle and, at the end of the cycle, its
/// wish to divide into a free neighbour.
#[inline(always)]
fn cycle(
    (sim, hood, src): (&SimParams, &Neighbourhood, &[Site]),
    s: Site,
    i: u32,
    free: u8,
    anoxic: u32,
    quiescent: bool,
    outcome: DrugOutcome,
) -> (Site, u32) {
    let mut w0 = if quiescent {
        s.w0 | QUIESCENT_BIT
    } else {
        s.w0 & !QUIESCENT_BIT
    };
    w0 = if outcome.persister {
        w0 | PERSISTER_BIT
    } else {
        w0 & !PERSISTER_BIT
    };
    let mut sanctuary = s.w2 >> HALF_SHIFT;
    if (quiescent || outcome.persister) && outcome.cycle_drug_present {
        sanctuary = (sanctuary + 1).min(LOW16);
    }
    let mut progress = s.w1 & LOW16;
    let len = s.w1 >> HALF_SHIFT;
    let mut wish = 0;
    if !quiescent && !outcome.persister && !outcome.arrested {
        progress = (progress + 1).min(len);
        if progress >= len && free > 0 {
            let d = pick_free_neighbour(sim, hood, src, i, free);
            wish = action::wish(Action::Divide, d);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::drug_params::pd_tables;
    use crate::model::rng::mix;
    use crate::model::site::CLONE_SHIFT;
    use crate::scene::Scene;
    use std::path::Path;

    /// A lattice of every kind of site: empty, necrotic, vessels, tumour cells at any
    /// point of their cycle (some anoxic for a while, some persisters).
    fn mixed_sites(n: usize) -> Vec<Site> {
        (0..n as u32)
            .map(|i| {
                let r = mix(i ^ 0x5bd1_e995);
                let len = 3 + (r >> 8) % 6;
                let tumour = Site {
                    w0: Kind::Tumour as u32 | (r >> 28) << CLONE_SHIFT,
                    w1: ((r >> 4) % (len + 1)) | (len << HALF_SHIFT),
                    w2: (r >> 12) % 64,
                    w3: 0,
                };
                match r % 10 {
                    0..=2 => Site::EMPTY,
                    3 => Site {
                        w0: Kind::Necrotic as u32,
                        ..Site::EMPTY
                    },
                    4 => Site::vessel(0.6),
                    5 => Site {
                        w0: tumour.w0 | PERSISTER_BIT,
                        ..tumour
                    },
                    _ => tumour,
                }
            })
            .collect()
    }

    #[test]
    fn the_drug_free_loop_decides_every_site_as_the_whole_cell_does() {
        let text = "seed = 3\n[lattice]\nnx = 37\nny = 29\n[cells]\napoptosis_per_h = 0.02\n\
                    [[drugs]]\nname = \"d\"\nclass = \"targeted\"\nemax_per_h = 0.2\nic50_um = 1.0\n";
        let scene = Scene::parse(text, Path::new("t.toml")).unwrap();
        let sim = SimParams::from_scene(&scene).at_tick(3, 17);
        let drugs = DrugSet::from_scene(&scene);
        let pd = pd_tables(&scene);
        let n = scene.site_count() as usize;
        let src = mixed_sites(n);
        // Oxygen from anoxic to normoxic; the drug's field +0 everywhere.
        let mut conc: Vec<f32> = (0..n as u32)
            .map(|i| (mix(i + 11) % 60) as f32 * 0.5 * sim.hypoxic_mmhg / 10.0)
            .collect();
        conc.resize(2 * n, 0.0);
        let input = CellInputs {
            sim: &sim,
            drugs: &drugs,
            pd_table: &pd,
            src: &src,
            conc: &conc,
            immune: ImmuneInputs::DISABLED,
        };
        assert!(inert_at_zero(&drugs, &pd) && drug_fields_zero(&input));
        let exposure0: Vec<u32> = (0..n as u32).map(|i| mix(i) % 500).collect();
        let (mut dst, mut wish, mut exposure) =
            (vec![Site::EMPTY; n], vec![0; n], exposure0.clone());
        cells(&input, &mut dst, &mut wish, &mut exposure);

        let hood = Neighbourhood::new(grid_of(&sim));
        let free = hood.free_counts(&src);
        let mut expected_exposure = exposure0;
        let shared = SharedSlice::new(&mut expected_exposure);
        let rules = Rules::new(&sim);
        for i in 0..n {
            let expected = cell(&input, rules, &hood, &shared, i as u32, free[i], true);
            assert_eq!((dst[i], wish[i]), expected, "site {i}: {:?}", src[i]);
        }
        assert_eq!(exposure, expected_exposure);
        // Every branch was taken: deaths, necrosis, divisions, persisters kept.
        let count = |f: &dyn Fn(usize) -> bool| (0..n).filter(|&i| f(i)).count();
        let tumour = |i: usize| src[i].kind() == Kind::Tumour;
        assert!(
            count(&|i| tumour(i) && dst[i] == Site::EMPTY) > 0,
            "apoptosis"
        );
        assert!(
            count(&|i| tumour(i) && dst[i].kind() == Kind::Necrotic) > 0,
            "necrosis"
        );
        assert!(count(&|i| wish[i] != 0) > 10, "divisions");
        assert!(
            count(&|i| dst[i].w0 & QUIESCENT_BIT != 0) > 10,
            "quiescence"
        );
        assert!(
            count(&|i| dst[i].w0 & PERSISTER_BIT != 0) > 10,
            "persisters"
        );
    }
}
