//! The T cells on the GPU against their CPU twin (src/engine/cpu/immune.rs), kernel by
//! kernel on the same inputs, then whole runs.
//!
//! - The cells pass (vessel recruitment, the T-cell tick), `immune_moves` (with a
//!   substep's key) and resolve (with Recruit, Kill, Move and Divide wishes of every
//!   kind of site): every output identical, on random states holding T cells in every
//!   state (free, engaged with one tick left and more, detached, exhausted, with
//!   divisions pending, dying of age, at the lattice edge), tumour cells with the
//!   antigen-loss and PD-L1 traits, perfused and unperfused vessels, and random
//!   chemokine, IFN-γ, suppressor and checkpoint-inhibitor fields (with ties and
//!   exact zeros); on 2D Moore, 2D von Neumann and a 3D lattice.
//! - A few ticks of a small immune scene on both backends: the lattice (every site
//!   record), the exposure counters and the lineage identical, the fields within a
//!   relative 1e-4. The fields are solved on each backend (the device may fuse
//!   multiply-adds), so they may differ in the last bits; a discrete decision reads a
//!   field only through a PD-table bin (4 % wide) or a threshold, so over a few ticks
//!   the lattices agree exactly, which is what is compared.
//! - A pack of immune scenes gives what each gives alone, bit for bit.
//!
//! These tests fail when no adapter exists (see gpu_common).

mod gpu_common;

use gpu_common::{context, first_diff, garbage_sites, scene, Rand};
use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::gpu::{GpuBackend, GpuPack};
use oncolattice::engine::{Backend, EngineError, HostState, KernelIo, Pass, Simulation};
use oncolattice::model::action::{self, slot_of, Action};
use oncolattice::model::census::Census;
use oncolattice::model::drug_params::{pd_tables, DrugSet, TRAIT_ANTIGEN_LOSS, TRAIT_PDL1};
use oncolattice::model::immune::{immune_tables, ImmuneParams};
use oncolattice::model::lattice::Grid;
use oncolattice::model::lineage::Lineage;
use oncolattice::model::params::{FieldParams, SimParams, SweepParams};
use oncolattice::model::site::{
    Kind, Site, DETACHED_BIT, DIVISIONS_SHIFT, ENGAGED_BIT, EXHAUSTED_BIT, KILLS_SHIFT,
    TARGET_SLOT_SHIFT,
};
use oncolattice::scene::Scene;

/// (nx, ny, nz, moore)
const LATTICES: [(u32, u32, u32, bool); 3] =
    [(23, 19, 1, true), (23, 19, 1, false), (9, 8, 7, true)];

/// A scene with a checkpoint inhibitor (field 1), the chemokine (2), IFN-γ (3) and a
/// suppressor (4), and `[immune]` naming all three factors.
fn immune_scene(nx: u32, ny: u32, nz: u32, moore: bool) -> Scene {
    let hood = if moore { "moore" } else { "von_neumann" };
    scene(&format!(
        "seed = 17\n[lattice]\nnx = {nx}\nny = {ny}\nnz = {nz}\nneighbourhood = \"{hood}\"\n\
         [vessels]\nlayout = \"none\"\n[oxygen]\nmax_sweeps_per_tick = 8\n\
         [[drugs]]\nname = \"antipd1\"\nclass = \"checkpoint\"\nemax_per_h = 0.0\nic50_um = 0.003\n\
         [[factors]]\nname = \"cxcl9\"\ndiffusion_um2_per_min = 100.0\ndecay_per_min = 0.01\n\
         [[factors]]\nname = \"ifng\"\nunit = \"ng/mL\"\ndiffusion_um2_per_min = 100.0\ndecay_per_min = 0.01\n\
         [[factors]]\nname = \"tgfb\"\ndiffusion_um2_per_min = 100.0\ndecay_per_min = 0.01\n\
         [immune]\nchemokine = \"cxcl9\"\nifng = \"ifng\"\nsuppressor = \"tgfb\"\n\
         recruitment_per_vessel_per_day = 40.0\nmax_kills = 3\ndivisions_per_kill = 2\n\
         pdl1_constitutive = 0.7\n"
    ))
}

struct Case {
    name: String,
    sim: SimParams,
    fields: Vec<FieldParams>,
    immune: ImmuneParams,
    grid: Grid,
    n: usize,
    cpu: CpuBackend,
    gpu: GpuBackend,
}

fn cases() -> impl Iterator<Item = Case> {
    LATTICES.into_iter().map(|(nx, ny, nz, moore)| {
        let scene = immune_scene(nx, ny, nz, moore);
        let sim = SimParams::from_scene(&scene).at_tick(scene.seed, 9);
        assert_eq!(sim.occupied_actions, 1, "T cells kill occupied sites");
        let drugs = DrugSet::from_scene(&scene);
        let pd = pd_tables(&scene);
        let immune = ImmuneParams::from_scene(&scene);
        let tables = immune_tables(&scene);
        assert_eq!(immune.enabled, 1);
        let mut cpu = CpuBackend::new();
        let mut gpu = GpuBackend::new(context(), &scene).expect("GPU backend");
        for b in [&mut cpu as &mut dyn Backend, &mut gpu] {
            b.configure_drugs(&drugs, &pd).expect("drugs");
            b.configure_immune(&immune, &tables).expect("immune");
        }
        Case {
            name: format!(
                "{nx}×{ny}×{nz} {}",
                if moore { "moore" } else { "von_neumann" }
            ),
            fields: FieldParams::all(&scene, &[0.01]),
            grid: Grid { nx, ny, nz, moore },
            n: scene.site_count() as usize,
            sim,
            immune,
            cpu,
            gpu,
        }
    })
}

impl Case {
    /// Runs `pass` on both backends from the same input, with `sim`.
    fn run(&mut self, pass: Pass, sim: &SimParams, io: &KernelIo) -> (KernelIo, KernelIo) {
        let sweep = SweepParams::default();
        let (mut c, mut g) = (io.clone(), io.clone());
        self.cpu
            .run_pass(pass, sim, &self.fields, &sweep, &mut c)
            .expect("cpu pass");
        self.gpu
            .run_pass(pass, sim, &self.fields, &sweep, &mut g)
            .expect("gpu pass");
        (c, g)
    }

    /// A random state: about 30 % empty, 30 % tumour (with the evasion traits), 5 %
    /// necrotic, 10 % vessel (some unperfused), 25 % T cells in every state.
    fn sites(&self, r: &mut Rand) -> Vec<Site> {
        let offsets = self.grid.cell_offsets();
        let lifespan = self.immune.lifespan_ticks;
        (0..self.n)
            .map(|_| match r.below(100) {
                0..30 => Site::EMPTY,
                30..60 => {
                    let len = 1 + r.below(20);
                    let traits = [
                        0,
                        TRAIT_ANTIGEN_LOSS,
                        TRAIT_PDL1,
                        TRAIT_ANTIGEN_LOSS | TRAIT_PDL1,
                    ][r.below(4) as usize]
                        | (r.u32() & 0x7);
                    Site {
                        w3: traits,
                        ..Site::tumour(r.below(4) as u16, r.below(len + 1) as u16, len as u16)
                    }
                }
                60..65 => Site {
                    w0: Kind::Necrotic as u32,
                    ..Site::EMPTY
                },
                65..75 => {
                    let p = if r.chance(0.3) { 0 } else { r.below(65536) };
                    Site {
                        w0: Kind::Vessel as u32,
                        w1: p,
                        w2: p,
                        w3: 0,
                    }
                }
                _ => {
                    let mut w0 = Kind::TCell as u32;
                    if r.chance(0.3) {
                        w0 |= EXHAUSTED_BIT;
                    }
                    if r.chance(0.3) {
                        w0 |= DETACHED_BIT;
                    }
                    let age = match r.below(4) {
                        0 => lifespan - 1,
                        1 => lifespan - 2,
                        _ => r.below(lifespan),
                    };
                    let kills = match r.below(5) {
                        0 => self.immune.max_kills - 1,
                        1 => 255,
                        _ => r.below(self.immune.max_kills + 1),
                    };
                    let pending = match r.below(4) {
                        0 | 1 => 0,
                        2 => 255,
                        _ => 1 + r.below(3),
                    };
                    let mut w2 = 0;
                    if r.chance(0.4) {
                        w0 |= ENGAGED_BIT;
                        let left = match r.below(4) {
                            0 => 1,
                            1 => 0,
                            _ => 1 + r.below(self.immune.kill_ticks + 1),
                        };
                        // Mostly a slot of the neighbourhood (off the lattice at the
                        // edge), sometimes any of the block.
                        let slot = if r.chance(0.9) {
                            slot_of(offsets[r.below(offsets.len() as u32) as usize])
                        } else {
                            r.below(27)
                        };
                        w2 = left | slot << TARGET_SLOT_SHIFT;
                    }
                    Site {
                        w0,
                        w1: age | kills << KILLS_SHIFT | pending << DIVISIONS_SHIFT,
                        w2,
                        w3: 0,
                    }
                }
            })
            .collect()
    }

    /// Oxygen, the checkpoint inhibitor around its IC50, and the factors: zeros, a few
    /// repeated levels (ties in the chemokine walk), and spreads over decades.
    fn conc(&self, r: &mut Rand) -> Vec<f32> {
        let n = self.n;
        let mut conc: Vec<f32> = (0..n).map(|_| r.f32_in(0.0, 40.0)).collect();
        conc.extend((0..n).map(|_| match r.below(4) {
            0 => 0.0,
            1 => 0.003,
            _ => 0.003 * 10f32.powf(r.f32_in(-2.0, 2.0)),
        }));
        for _factor in 0..3 {
            conc.extend((0..n).map(|_| match r.below(6) {
                0 => 0.0,
                1 => 0.5,
                2 => [0.25, 1.0, 2.0][r.below(3) as usize],
                _ => 10f32.powf(r.f32_in(-3.0, 1.5)),
            }));
        }
        conc
    }

    fn io(&self, r: &mut Rand, src: Vec<Site>, wish: Vec<u32>) -> KernelIo {
        let n = self.n;
        KernelIo {
            src,
            dst: garbage_sites(r, n),
            wish,
            conc: self.conc(r),
            residual: vec![0; self.fields[0].max_sweeps as usize * self.fields.len()],
            census: Census::CLEARED,
            exposure: (0..n).map(|_| r.below(1 << 20)).collect(),
            lineage: Lineage::initial(&[0, 0, 0, 0]).to_words(),
        }
    }

    /// Random wishes: every occupied site, often, any action aimed at any neighbour
    /// (resolve ignores those whose target does not suit them).
    fn wishes(&self, r: &mut Rand, src: &[Site]) -> Vec<u32> {
        let offsets = self.grid.cell_offsets();
        src.iter()
            .map(|s| {
                if s.kind() == Kind::Empty || !r.chance(0.7) {
                    return 0;
                }
                let a = match s.kind() {
                    Kind::Vessel if r.chance(0.7) => Action::Recruit,
                    Kind::TCell => {
                        [Action::Kill, Action::Move, Action::Divide][r.below(3) as usize]
                    }
                    _ => Action::ALL[r.below(Action::ALL.len() as u32) as usize],
                };
                action::wish(a, offsets[r.below(offsets.len() as u32) as usize])
            })
            .collect()
    }
}

fn assert_equal(ctx: &str, cpu: &KernelIo, gpu: &KernelIo) {
    let bits = |v: &[f32]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
    let errors: Vec<String> = [
        first_diff("src", &cpu.src, &gpu.src),
        first_diff("dst", &cpu.dst, &gpu.dst),
        first_diff("wish", &cpu.wish, &gpu.wish),
        first_diff("exposure", &cpu.exposure, &gpu.exposure),
        first_diff("lineage", &cpu.lineage, &gpu.lineage),
        first_diff("conc bits", &bits(&cpu.conc), &bits(&gpu.conc)),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(errors.is_empty(), "{ctx}:\n{}", errors.join("\n"));
}

/// How many sites of `sites` pass `test`.
fn count(sites: &[Site], test: impl Fn(&Site) -> bool) -> usize {
    sites.iter().filter(|s| test(s)).count()
}

#[test]
fn cells_with_t_cells_and_recruiting_vessels_match_cpu_exactly() {
    let mut r = Rand(0x1111);
    for mut case in cases() {
        let (mut recruits, mut kills, mut engaged, mut detached, mut divides, mut died) =
            (0, 0, 0, 0, 0, 0);
        for round in 0..4 {
            let src = case.sites(&mut r);
            let wish = (0..case.n).map(|_| r.u32()).collect();
            let io = case.io(&mut r, src, wish);
            let sim = case.sim.at_tick(17, 9 + round);
            let (c, g) = case.run(Pass::Cells, &sim, &io);
            assert_equal(&format!("{} cells round {round}", case.name), &c, &g);
            for (i, (&w, s)) in c.wish.iter().zip(&io.src).enumerate() {
                let next = c.dst[i];
                match action::decode(w).map(|(a, _)| a) {
                    Some(Action::Recruit) => recruits += 1,
                    Some(Action::Kill) => kills += 1,
                    Some(Action::Divide) if s.kind() == Kind::TCell => divides += 1,
                    _ => {}
                }
                if s.kind() == Kind::TCell {
                    let newly = |bit: u32| next.w0 & bit != 0 && s.w0 & bit == 0;
                    engaged += newly(ENGAGED_BIT) as usize;
                    detached += newly(DETACHED_BIT) as usize;
                    died += (next == Site::EMPTY) as usize;
                }
            }
        }
        // Every branch was taken, so each was compared.
        for (what, n) in [
            ("recruit", recruits),
            ("kill", kills),
            ("engage", engaged),
            ("detach", detached),
            ("divide", divides),
            ("die of age", died),
        ] {
            assert!(n > 0, "{}: no {what}", case.name);
        }
    }
}

#[test]
fn immune_moves_match_cpu_exactly_with_the_substep_key() {
    let mut r = Rand(0x2222);
    for mut case in cases() {
        let mut moves = 0;
        for m in [0, 1, 5] {
            let src = case.sites(&mut r);
            // Garbage wishes: the kernel writes every site's.
            let wish = (0..case.n).map(|_| r.u32()).collect();
            let io = case.io(&mut r, src, wish);
            let sim = case.sim.at_substep(m);
            let (c, g) = case.run(Pass::ImmuneMoves, &sim, &io);
            assert_equal(&format!("{} immune_moves substep {m}", case.name), &c, &g);
            assert_eq!(c.src, io.src, "the state is unchanged");
            moves += count_moves(&c.wish);
            for (w, s) in c.wish.iter().zip(&io.src) {
                assert!(*w == 0 || s.kind() == Kind::TCell);
            }
        }
        assert!(moves > 0, "{}: no T cell moved", case.name);
    }
}

fn count_moves(wish: &[u32]) -> usize {
    wish.iter()
        .filter(|&&w| action::decode(w).is_some_and(|(a, _)| a == Action::Move))
        .count()
}

#[test]
fn the_chemokine_walk_breaks_ties_and_skips_nan_as_the_cpu_does() {
    let mut r = Rand(0x3333);
    for mut case in cases() {
        // Every move follows the gradient; the chemokine takes few values, with NaN.
        case.immune.walk_bias_threshold = u32::MAX;
        let scene = immune_scene(case.grid.nx, case.grid.ny, case.grid.nz, case.grid.moore);
        let tables = immune_tables(&scene);
        for b in [&mut case.cpu as &mut dyn Backend, &mut case.gpu] {
            b.configure_immune(&case.immune, &tables).expect("immune");
        }
        let n = case.n;
        for m in 0..3 {
            let src = case.sites(&mut r);
            let mut io = case.io(&mut r, src, vec![0; n]);
            let chemokine = &mut io.conc[2 * n..3 * n];
            for c in chemokine.iter_mut() {
                *c = match r.below(8) {
                    0 => f32::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    3 => f32::NEG_INFINITY,
                    4 => 1e-40, // subnormal
                    _ => [0.5, 1.0, 2.0][r.below(3) as usize],
                };
            }
            let sim = case.sim.at_substep(m);
            let (c, g) = case.run(Pass::ImmuneMoves, &sim, &io);
            assert_equal(&format!("{} chemokine walk {m}", case.name), &c, &g);
        }
    }
}

#[test]
fn resolve_of_recruit_kill_move_and_divide_matches_cpu_exactly() {
    let mut r = Rand(0x4444);
    for mut case in cases() {
        let (mut recruited, mut killed) = (0, 0);
        for (round, substep) in [None, Some(0), Some(3)].into_iter().enumerate() {
            let src = case.sites(&mut r);
            let wish = case.wishes(&mut r, &src);
            let io = case.io(&mut r, src, wish);
            let sim = match substep {
                None => case.sim,
                Some(m) => case.sim.at_substep(m),
            };
            let (c, g) = case.run(Pass::Resolve, &sim, &io);
            assert_equal(&format!("{} resolve round {round}", case.name), &c, &g);
            for (before, after) in io.src.iter().zip(&c.dst) {
                recruited += (before.kind() == Kind::Empty && *after == Site::TCELL) as usize;
                killed += (before.kind() != Kind::Empty && after.kind() == Kind::Empty) as usize;
            }
        }
        assert!(
            recruited > 0 && killed > 0,
            "{}: {recruited} recruited, {killed} emptied",
            case.name
        );
    }
}

/// A small scene with T cells: a tumour, vessels, the chemokine made by tumour cells,
/// IFN-γ made by engaged T cells, lots of recruitment.
fn hot(seed: u64, moves: u32) -> Scene {
    scene(&format!(
        "seed = {seed}\n[lattice]\nnx = 28\nny = 28\n[time]\nduration_days = 1\nreport_every_h = 2.0\n\
         [tumour]\nradius_um = 120.0\n[vessels]\nlayout = \"random\"\ndensity = 0.05\nperfusion = 0.8\n\
         [[factors]]\nname = \"cxcl9\"\ndiffusion_um2_per_min = 6000.0\ndecay_per_min = 0.02\n\
         [[factors.sources]]\nkind = \"tumour\"\nsecretion_per_min = 0.05\n\
         [[factors]]\nname = \"ifng\"\nunit = \"ng/mL\"\ndiffusion_um2_per_min = 6000.0\ndecay_per_min = 0.005\n\
         [[factors.sources]]\nkind = \"tcell\"\nstate = \"engaged\"\nsecretion_per_min = 0.5\n\
         [immune]\nchemokine = \"cxcl9\"\nifng = \"ifng\"\nrecruitment_per_vessel_per_day = 60.0\n\
         max_kills = 3\nkill_duration_h = 2.0\nmax_moves_per_tick = {moves}\n"
    ))
}

/// The state after `ticks` ticks of `scene` on `backend`, and the census of each
/// report.
fn run(scene: &Scene, backend: Box<dyn Backend>, ticks: u32) -> (HostState, Vec<Census>) {
    let mut sim = Simulation::new(scene.clone(), backend).expect("simulation");
    let mut census = Vec::new();
    for _ in 0..ticks {
        sim.step().expect("tick");
        census.extend(sim.poll(false).expect("poll").into_iter().map(|r| r.census));
    }
    census.extend(sim.poll(true).expect("poll").into_iter().map(|r| r.census));
    (sim.state().expect("state"), census)
}

#[test]
fn a_few_ticks_with_t_cells_agree_with_cpu() {
    // 15 moves a tick (odd: the moves end in the B lattice) and 4 (even).
    for moves in [15, 4] {
        let scene = hot(21, moves);
        assert_eq!(ImmuneParams::from_scene(&scene).moves_per_tick, moves);
        let ticks = 8;
        let (cpu, _) = run(&scene, Box::new(CpuBackend::new()), ticks);
        let gpu_backend = GpuBackend::new(context(), &scene).expect("GPU backend");
        let (gpu, census) = run(&scene, Box::new(gpu_backend), ticks);
        let tcells = count(&cpu.sites, |s| s.kind() == Kind::TCell);
        assert!(tcells > 5, "{moves} moves: {tcells} T cells");
        let errors: Vec<String> = [
            first_diff("sites", &cpu.sites, &gpu.sites),
            first_diff("exposure", &cpu.exposure, &gpu.exposure),
            first_diff("lineage", &[&cpu.lineage], &[&gpu.lineage]),
        ]
        .into_iter()
        .flatten()
        .collect();
        assert!(errors.is_empty(), "{moves} moves:\n{}", errors.join("\n"));
        let worst = cpu
            .fields
            .iter()
            .zip(&gpu.fields)
            .map(|(c, g)| (c - g).abs() / c.abs().max(1.0))
            .fold(0.0f32, f32::max);
        assert!(worst <= 1e-4, "{moves} moves: fields differ by {worst}");
        // The census counts T cells as the lattice holds them.
        use oncolattice::model::counters::Counter;
        let last = census.last().expect("a report");
        assert_eq!(
            last.count(Counter::TCell) as usize,
            count(&gpu.sites, |s| s.kind() == Kind::TCell)
        );
        // And a GPU run repeated is bit-identical.
        let again = GpuBackend::new(context(), &scene).expect("GPU backend");
        let (gpu2, _) = run(&scene, Box::new(again), ticks);
        assert_eq!(gpu2, gpu, "{moves} moves: a repeated GPU run differs");
    }
}

#[test]
fn packed_immune_scenes_give_what_each_gives_alone() {
    let ticks = 6;
    for moves in [3, 4] {
        let scenes = [hot(31, moves), hot(32, moves), hot(33, moves)];
        let alone: Vec<HostState> = scenes
            .iter()
            .map(|s| {
                let b = GpuBackend::new(context(), s).expect("GPU backend");
                run(s, Box::new(b), ticks).0
            })
            .collect();
        let lanes = GpuPack::lanes(context(), &scenes[0], scenes.len()).expect("a pack");
        let packed: Vec<HostState> = std::thread::scope(|sc| {
            let handles: Vec<_> = scenes
                .iter()
                .zip(lanes)
                .map(|(scene, lane)| sc.spawn(move || run(scene, Box::new(lane), ticks).0))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        for (k, (a, p)) in alone.iter().zip(&packed).enumerate() {
            assert!(a.sites.iter().any(|s| s.kind() == Kind::TCell));
            assert_eq!(a, p, "{moves} moves: scene {k} packed differs from alone");
        }
    }
}

#[test]
fn a_pack_refuses_scenes_whose_t_cells_move_otherwise() {
    let a = hot(1, 3);
    let b = hot(2, 4);
    assert_ne!(
        oncolattice::engine::gpu::pack_key(&a),
        oncolattice::engine::gpu::pack_key(&b)
    );
    let mut lanes = GpuPack::lanes(context(), &a, 2).expect("a pack");
    let mut second = lanes.pop().expect("two lanes");
    let mut first = lanes.pop().expect("two lanes");
    let immune = |s: &Scene| (ImmuneParams::from_scene(s), immune_tables(s));
    let (pa, ta) = immune(&a);
    let (pb, tb) = immune(&b);
    first.configure_immune(&pa, &ta).expect("first scene");
    let err = second.configure_immune(&pb, &tb).expect_err("moves differ");
    assert!(matches!(err, EngineError::Gpu(_)), "{err}");
    assert!(err.to_string().contains("moves"), "{err}");
}
