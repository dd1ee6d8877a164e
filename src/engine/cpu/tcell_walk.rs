//! The T cells' moves of one tick on the CPU: `moves_per_tick` times the wishes of
//! `immune_moves` settled as `resolve_in_place` settles them, each with its substep's
//! key (`SimParams::at_substep`) — with the same bits, but only the T cells visited.
//!
//! In a move every site but a T cell wishes nothing, so the claims are those of the
//! T cells alone; resolve orders claims totally (`resolve::Claim::rank`), so the
//! order they are found in does not matter. The T cells are found once a tick and
//! followed from move to move: a move only carries a T cell into an empty site, so
//! one whose site is empty after the move is at the target of its wish. The moves
//! run on the calling thread (a few hundred T cells are less work than a hand-off to
//! a pool), on buffers kept from tick to tick: no allocation once they have grown.

use super::cells::grid_of;
use super::immune::{tcell_move, ImmuneInputs};
use super::neighbours::Neighbourhood;
use super::resolve::{claim, settle, Claim};
use crate::model::action;
use crate::model::drug_params::DrugSet;
use crate::model::params::SimParams;
use crate::model::site::{Kind, Site};

/// What the moves of a tick work with besides the lattice.
#[derive(Clone, Copy)]
pub struct WalkInputs<'a> {
    /// The tick's parameters (each move takes its substep's key from them).
    pub sim: &'a SimParams,
    pub drugs: &'a DrugSet,
    pub immune: ImmuneInputs<'a>,
    /// Every field (the chemokine among them).
    pub conc: &'a [f32],
}

/// The moves' buffers, reused from move to move and tick to tick.
#[derive(Default)]
pub struct TcellWalk {
    /// The sites of the tick's T cells, followed as they move.
    tcells: Vec<u32>,
    /// Each T cell's wish in the current move.
    wishes: Vec<u32>,
    claims: Vec<Claim>,
    /// A bit per site, all clear between moves (`resolve::settle`).
    targets: Vec<u64>,
}

impl TcellWalk {
    pub fn new() -> TcellWalk {
        TcellWalk::default()
    }

    /// The tick's moves on `sites` (the lattice after the tick's resolve), moving the
    /// exposure counters with their cells. Returns whether a move involved a vessel
    /// site (`resolve_in_place`). Nothing happens without `[immune]`.
    pub fn run(
        &mut self,
        input: &WalkInputs,
        sites: &mut [Site],
        exposure: &mut [u32],
        lineage: &mut [u32],
    ) -> bool {
        let im = input.immune;
        if im.params.enabled == 0 || im.params.moves_per_tick == 0 {
            return false;
        }
        let grid = grid_of(input.sim);
        let hood = Neighbourhood::new(grid);
        self.tcells.clear();
        self.tcells
            .extend((0..sites.len() as u32).filter(|&i| sites[i as usize].kind() == Kind::TCell));
        self.targets.clear();
        self.targets.resize(sites.len().div_ceil(64), 0);
        let mut vessels_touched = false;
        for m in 0..im.params.moves_per_tick {
            let sim = input.sim.at_substep(m);
            // The wishes and claims of every T cell on the lattice before the move.
            self.wishes.clear();
            self.claims.clear();
            for &i in &self.tcells {
                let w = tcell_move(&sim, im.params, &hood, input.conc, sites, i);
                self.wishes.push(w);
                if w != 0 {
                    self.claims.extend(claim(&sim, &grid, sites, i, w));
                }
            }
            self.claims.sort_unstable_by_key(Claim::rank);
            vessels_touched |= settle(
                &sim,
                input.drugs,
                sites,
                &mut self.claims,
                &mut self.targets,
                exposure,
                lineage,
            );
            for (i, &w) in self.tcells.iter_mut().zip(&self.wishes) {
                if sites[*i as usize].kind() == Kind::Empty {
                    if let Some(t) =
                        action::decode(w).and_then(|(_, d)| grid.neighbour(grid.coords(*i), d))
                    {
                        *i = t;
                    }
                }
            }
        }
        vessels_touched
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cpu::immune::immune_moves;
    use crate::engine::cpu::resolve::resolve_in_place;
    use crate::model::immune::{immune_tables, ImmuneParams};
    use crate::model::lineage::Lineage;
    use crate::model::rng::draw;
    use crate::model::site::{DETACHED_BIT, ENGAGED_BIT, EXHAUSTED_BIT};
    use crate::scene::Scene;
    use std::path::Path;

    fn scene(hood: &str, nz: u32) -> Scene {
        let toml = format!(
            "seed = 5\n[lattice]\nnx = 37\nny = 29\nnz = {nz}\nneighbourhood = \"{hood}\"\n\
             [vessels]\nlayout = \"none\"\n\
             [[drugs]]\nname = \"d\"\nclass = \"cycle_specific\"\nemax_per_h = 0.01\nic50_um = 1.0\n\
             [[factors]]\nname = \"cxcl9\"\ndiffusion_um2_per_min = 100.0\ndecay_per_min = 0.01\n\
             [immune]\nchemokine = \"cxcl9\"\n"
        );
        Scene::parse(&toml, Path::new("walk.toml")).expect("scene")
    }

    /// A random lattice: 40 % empty, 30 % tumour, 5 % vessel, 25 % T cells in every
    /// state; fields with repeated chemokine levels (ties in the walk).
    fn state(n: usize, key: u32) -> (Vec<Site>, Vec<f32>, Vec<u32>) {
        let r = |i: usize, s: u32| draw(key, i as u32, s);
        let sites = (0..n)
            .map(|i| match r(i, 0) % 100 {
                0..40 => Site::EMPTY,
                40..70 => Site::tumour(0, 1, 8),
                70..75 => Site::vessel(1.0),
                _ => {
                    let bits = [0, ENGAGED_BIT, DETACHED_BIT, EXHAUSTED_BIT][r(i, 1) as usize % 4];
                    Site {
                        w0: Site::TCELL.w0 | bits,
                        ..Site::TCELL
                    }
                }
            })
            .collect();
        let conc = (0..3 * n)
            .map(|i| [0.0, 0.5, 1.0, (r(i, 2) % 1000) as f32 / 250.0][r(i, 3) as usize % 4])
            .collect();
        let exposure = (0..n).map(|i| r(i, 4) % 1000).collect();
        (sites, conc, exposure)
    }

    /// The walk gives what the kernels give move by move — `immune_moves` over every
    /// site, settled by `resolve_in_place` — bit for bit, in a pool of 1 or 3 threads
    /// and outside any pool.
    #[test]
    fn the_walk_equals_immune_moves_settled_by_resolve() {
        for (hood, nz) in [("moore", 1), ("von_neumann", 1), ("moore", 5)] {
            let scene = scene(hood, nz);
            let params = ImmuneParams::from_scene(&scene);
            assert!(params.moves_per_tick > 1);
            let tables = immune_tables(&scene);
            let drugs = DrugSet::from_scene(&scene);
            let immune = ImmuneInputs {
                params: &params,
                tables: &tables,
            };
            let n = scene.site_count() as usize;
            for tick in [3, 40] {
                let sim = SimParams::from_scene(&scene).at_tick(scene.seed, tick);
                let (sites, conc, exposure) = state(n, tick * 7 + nz);
                let lineage = Lineage::default().to_words();
                let mut want = (sites.clone(), exposure.clone(), lineage.clone());
                let mut wish = vec![0; n];
                let mut want_touched = false;
                for m in 0..params.moves_per_tick {
                    let sub = sim.at_substep(m);
                    immune_moves(&sub, immune, &conc, &want.0, &mut wish);
                    want_touched |= resolve_in_place(
                        &sub,
                        &drugs,
                        &mut want.0,
                        &wish,
                        &mut want.1,
                        &mut want.2,
                    );
                }
                assert_ne!(want.0, sites, "{hood} {nz}: the T cells moved");
                let input = WalkInputs {
                    sim: &sim,
                    drugs: &drugs,
                    immune,
                    conc: &conc,
                };
                let mut walk = TcellWalk::new();
                let mut run = |threads: Option<usize>| {
                    let mut got = (sites.clone(), exposure.clone(), lineage.clone());
                    let mut go = || walk.run(&input, &mut got.0, &mut got.1, &mut got.2);
                    let touched = match threads {
                        None => go(),
                        Some(t) => rayon::ThreadPoolBuilder::new()
                            .num_threads(t)
                            .build()
                            .expect("pool")
                            .install(go),
                    };
                    (got, touched)
                };
                for threads in [None, Some(1), Some(3), None] {
                    let (got, touched) = run(threads);
                    let what = format!("{hood} nz {nz} tick {tick} threads {threads:?}");
                    assert!(got.0 == want.0, "{what}: sites");
                    assert!(got.1 == want.1, "{what}: exposure");
                    assert!(got.2 == want.2, "{what}: lineage");
                    assert_eq!(touched, want_touched, "{what}");
                }
            }
        }
    }
}
