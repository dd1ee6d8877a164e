//! Every action a wish can carry (divide, move, swap, kill, sprout, recruit), settled by
//! `resolve` on random states with many conflicts: the GPU kernel equals its CPU twin
//! exactly, and nothing is duplicated or lost (src/model/action.rs has the rules).
//!
//! Each occupied site carries a unique id in `w3` (mutation is off, so a daughter keeps
//! its parent's), and each site's exposure counters a unique value, so the test can
//! follow every cell and its counters from where it was to where it ended. A recruited
//! T cell is the one occupant without an id (`Site::TCELL`, `w3` = 0), in a site that
//! was empty and that a Recruit wish aimed at.

mod gpu_common;

use gpu_common::{context, garbage_sites, lattice_scene, random_sites, Rand};
use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::gpu::GpuBackend;
use oncolattice::engine::{Backend, KernelIo, Pass};
use oncolattice::model::action::{self, Action};
use oncolattice::model::census::Census;
use oncolattice::model::drug_params::{pd_tables, DrugSet};
use oncolattice::model::lattice::Grid;
use oncolattice::model::lineage::Lineage;
use oncolattice::model::params::{FieldParams, SimParams, SweepParams};
use oncolattice::model::site::{Kind, Site};
use std::collections::HashMap;

const LATTICES: [(u32, u32, u32, bool); 4] = [
    (37, 29, 1, true),
    (37, 29, 1, false),
    (13, 11, 9, true),
    (13, 11, 9, false),
];

/// Wishes of every action from most occupied sites to random neighbours (suitable
/// targets or not), plus some from empty sites and some garbage words, which both
/// backends must ignore alike.
fn random_action_wishes(r: &mut Rand, grid: &Grid, src: &[Site]) -> Vec<u32> {
    let offsets = grid.cell_offsets();
    (0..src.len())
        .map(|i| {
            if r.chance(0.03) {
                return r.u32();
            }
            let occupied = src[i].kind() != Kind::Empty;
            if !(occupied && r.chance(0.8) || r.chance(0.02)) {
                return 0;
            }
            let a = Action::ALL[r.below(Action::ALL.len() as u32) as usize];
            action::wish(a, offsets[r.below(offsets.len() as u32) as usize])
        })
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    divided: u32,
    killed: u32,
    moved: u32,
    swapped: u32,
    sprouted: u32,
    recruited: u32,
}

/// Follows every cell of `before` into `after`, checks it went where a wish allows,
/// and counts the events.
fn check_conservation(ctx: &str, grid: &Grid, before: &KernelIo, after: &KernelIo) -> Tally {
    let mut tally = Tally::default();
    let n = before.src.len();
    let decoded = |i: usize| {
        action::decode(before.wish[i]).and_then(|(a, d)| {
            let t = grid.neighbour(grid.coords(i as u32), d)?;
            grid.cell_offsets().contains(&d).then_some((a, t as usize))
        })
    };
    let mut places: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut trails = 0;
    for (j, s) in after.dst.iter().enumerate() {
        if s.kind() == Kind::Empty {
            continue;
        }
        if s.kind() == Kind::Vessel && s.w3 == 0 {
            trails += 1;
            continue;
        }
        if s.kind() == Kind::TCell && s.w3 == 0 {
            assert_eq!(*s, Site::TCELL, "{ctx}: a recruit at {j} is not fresh");
            assert_eq!(
                before.src[j].kind(),
                Kind::Empty,
                "{ctx}: a recruit at {j}, which was occupied"
            );
            assert!(
                (0..n).any(|b| decoded(b) == Some((Action::Recruit, j))),
                "{ctx}: a T cell recruited at {j} without a recruit wish"
            );
            tally.recruited += 1;
            continue;
        }
        places.entry(s.w3).or_default().push(j);
    }
    let mut occupied_before = 0u32;
    for (a, s) in before.src.iter().enumerate() {
        if s.kind() == Kind::Empty {
            continue;
        }
        occupied_before += 1;
        let wished = decoded(a);
        let at = places.remove(&s.w3).unwrap_or_default();
        let killer = (0..n).any(|b| decoded(b) == Some((Action::Kill, a)));
        let swapper = |j: usize| decoded(j) == Some((Action::Swap, a));
        match at.as_slice() {
            [] => {
                assert!(killer, "{ctx}: cell at {a} vanished without a kill wish");
                tally.killed += 1;
            }
            [j] if *j == a => {}
            [j] => {
                let j = *j;
                let partner = before.src[j];
                let exchanged = partner.kind() != Kind::Empty && after.dst[a].w3 == partner.w3;
                if exchanged {
                    assert!(
                        swapper(j) || wished == Some((Action::Swap, j)),
                        "{ctx}: cells at {a} and {j} exchanged without a swap wish"
                    );
                    tally.swapped += 1;
                } else {
                    match wished {
                        Some((Action::Move, t)) if t == j => {
                            assert_eq!(after.dst[a], Site::EMPTY, "{ctx}: a mover left {a} full");
                            tally.moved += 1;
                        }
                        Some((Action::Sprout, t)) if t == j => {
                            let trail = after.dst[a];
                            assert!(
                                trail.kind() == Kind::Vessel && trail.w3 == 0,
                                "{ctx}: no vessel segment behind the tip from {a}"
                            );
                            tally.sprouted += 1;
                        }
                        other => panic!("{ctx}: cell at {a} went to {j} ({other:?})"),
                    }
                }
            }
            [x, y] => {
                let mut got = [*x, *y];
                got.sort();
                let t = match wished {
                    Some((Action::Divide, t)) => t,
                    other => panic!("{ctx}: cell at {a} doubled without dividing ({other:?})"),
                };
                let mut want = [a, t];
                want.sort();
                assert_eq!(got, want, "{ctx}: a daughter of {a} is not at its target");
                tally.divided += 1;
            }
            many => panic!("{ctx}: cell at {a} is at {} sites", many.len()),
        }
        // The counters travel with the cell.
        let drugs = before.exposure.len() / n;
        for j in at {
            for d in 0..drugs {
                assert_eq!(
                    after.exposure[d * n + j],
                    before.exposure[d * n + a],
                    "{ctx}: exposure of the cell from {a} at {j}"
                );
            }
        }
    }
    assert!(places.is_empty(), "{ctx}: cells from nowhere: {places:?}");
    assert_eq!(
        trails, tally.sprouted,
        "{ctx}: trails without a sprouting tip"
    );
    let occupied_after = after.dst.iter().filter(|s| s.kind() != Kind::Empty).count() as u32;
    assert_eq!(
        occupied_after,
        occupied_before + tally.divided + tally.sprouted + tally.recruited - tally.killed,
        "{ctx}: occupants"
    );
    tally
}

/// Both backends on one lattice, with mutation off (daughters keep their parent's id).
struct Pair {
    sim: SimParams,
    grid: Grid,
    fields: Vec<FieldParams>,
    cpu: CpuBackend,
    gpu: GpuBackend,
}

impl Pair {
    fn new(scene: &oncolattice::scene::Scene, occupied_actions: u32) -> Pair {
        let mut sim = SimParams::from_scene(scene).at_tick(scene.seed, 9);
        sim.occupied_actions = occupied_actions;
        let mut drugs = DrugSet::from_scene(scene);
        drugs.mutation_threshold = [0; 8];
        let tables = pd_tables(scene);
        let mut cpu = CpuBackend::new();
        let mut gpu = GpuBackend::new(context(), scene).expect("GPU backend");
        cpu.configure_drugs(&drugs, &tables).expect("cpu drugs");
        gpu.configure_drugs(&drugs, &tables).expect("gpu drugs");
        Pair {
            sim,
            grid: Grid::from_scene(scene),
            fields: FieldParams::all(scene, &[0.0; 3]),
            cpu,
            gpu,
        }
    }

    /// A random state whose occupants carry unique ids, and random wishes of every action.
    fn random_input(&self, r: &mut Rand) -> KernelIo {
        let n = self.grid.sites();
        let mut src = random_sites(r, n, self.sim.anoxic_ticks);
        for (i, s) in src.iter_mut().enumerate() {
            if s.kind() != Kind::Empty {
                s.w3 = i as u32 + 1;
            }
        }
        let wish = random_action_wishes(r, &self.grid, &src);
        KernelIo {
            src,
            dst: garbage_sites(r, n),
            wish,
            conc: vec![0.0; n * self.fields.len()],
            residual: vec![0; self.fields[0].max_sweeps as usize * self.fields.len()],
            census: Census::CLEARED,
            exposure: (0..n * 3).map(|k| k as u32 * 7 + 1).collect(),
            lineage: Lineage::initial(&[0]).to_words(),
        }
    }

    /// Resolve on both backends; asserts they agree exactly and returns the CPU's.
    fn resolve(&mut self, ctx: &str, io: &KernelIo) -> KernelIo {
        let (mut c, mut g) = (io.clone(), io.clone());
        let sweep = SweepParams::default();
        self.cpu
            .run_pass(Pass::Resolve, &self.sim, &self.fields, &sweep, &mut c)
            .expect("cpu resolve");
        self.gpu
            .run_pass(Pass::Resolve, &self.sim, &self.fields, &sweep, &mut g)
            .expect("gpu resolve");
        assert!(c.dst == g.dst, "{ctx}: sites differ between CPU and GPU");
        assert!(c.exposure == g.exposure, "{ctx}: exposure differs");
        assert!(c.lineage == g.lineage, "{ctx}: lineage differs");
        c
    }
}

#[test]
fn every_action_is_settled_alike_on_both_backends_and_conserves_cells() {
    let mut r = Rand(41);
    let mut tally = Tally::default();
    for (nx, ny, nz, moore) in LATTICES {
        let mut pair = Pair::new(&lattice_scene(nx, ny, nz, moore, None), 1);
        for round in 0..3 {
            let ctx = format!("{nx}×{ny}×{nz} moore={moore} round {round}");
            let io = pair.random_input(&mut r);
            let c = pair.resolve(&ctx, &io);
            let t = check_conservation(&ctx, &pair.grid, &io, &c);
            tally.divided += t.divided;
            tally.killed += t.killed;
            tally.moved += t.moved;
            tally.swapped += t.swapped;
            tally.sprouted += t.sprouted;
            tally.recruited += t.recruited;
        }
    }
    eprintln!("{tally:?}");
    let Tally {
        divided,
        killed,
        moved,
        swapped,
        sprouted,
        recruited,
    } = tally;
    for (what, count) in [
        ("divisions", divided),
        ("kills", killed),
        ("moves", moved),
        ("swaps", swapped),
        ("sprouts", sprouted),
        ("recruits", recruited),
    ] {
        assert!(count > 20, "only {count} {what} were carried out");
    }
}

#[test]
fn without_occupied_actions_swaps_and_kills_are_ignored_alike() {
    let mut r = Rand(43);
    let scene = lattice_scene(37, 29, 1, true, None);
    assert_eq!(
        SimParams::from_scene(&scene).occupied_actions,
        0,
        "no kind of today's scenes swaps or kills"
    );
    let mut pair = Pair::new(&scene, 0);
    let io = pair.random_input(&mut r);
    let c = pair.resolve("no occupied actions", &io);
    let t = check_conservation("no occupied actions", &pair.grid, &io, &c);
    assert_eq!((t.killed, t.swapped), (0, 0), "{t:?}");
    assert!(
        t.divided > 0 && t.moved > 0 && t.sprouted > 0 && t.recruited > 0,
        "{t:?}"
    );
}
