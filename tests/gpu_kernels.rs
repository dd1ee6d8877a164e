//! Every kernel on the GPU against its CPU twin, on the same inputs: random states on
//! small 2D (37×29) and 3D (13×11×9) lattices, both neighbourhoods.
//!
//! - Discrete outputs (sites, wishes, census) must be identical.
//! - Oxygen after a field half-sweep: |c_gpu − c_cpu| ≤ 1e-5 · max(1, |c_cpu|) per site
//!   (the device may fuse multiply-adds and round divisions differently); the residual
//!   slot within 1e-5 · max(1, max |c|). Passes that do not write oxygen leave it
//!   bit-identical.
//! - Whole runs (tests/gpu_kernels.rs `full_ticks_*`) agree statistically (criterion at
//!   `assert_runs_agree`), and a GPU run repeated is bit-identical.
//!
//! These tests fail when no adapter exists (see gpu_common).

mod gpu_common;

use gpu_common::{
    context, first_diff, garbage_sites, lattice_scene, random_drug_levels, random_oxygen,
    random_sites, random_wishes, wish_target, Rand, PLASMA_UM,
};
use oncolattice::engine::cpu::{self, CellInputs, CpuBackend};
use oncolattice::engine::gpu::GpuBackend;
use oncolattice::engine::{
    Backend, EngineError, HostState, KernelIo, Pass, Simulation, TickReport,
};
use oncolattice::model::census::Census;
use oncolattice::model::counters::Counter;
use oncolattice::model::drug_params::{pd_tables, DrugSet};
use oncolattice::model::lineage::{word, Lineage, EVENTS_AT, EVENT_CAP, MAX_CLONES};
use oncolattice::model::params::{
    FieldParams, SimParams, SweepParams, CENSUS_ALL_SITES, CENSUS_TUMOUR_SITES,
};
use oncolattice::model::rng;
use oncolattice::model::site::{Kind, Site};
use oncolattice::scene::Scene;

const REL_TOL: f32 = 1e-5;

/// (nx, ny, nz, moore)
const LATTICES: [(u32, u32, u32, bool); 4] = [
    (37, 29, 1, true),
    (37, 29, 1, false),
    (13, 11, 9, true),
    (13, 11, 9, false),
];

struct Case {
    name: String,
    sim: SimParams,
    /// Oxygen, then the three test drugs at `PLASMA_UM`.
    fields: Vec<FieldParams>,
    drugs: DrugSet,
    pd_tables: Vec<u32>,
    ic50_um: Vec<f64>,
    n: usize,
    cpu: CpuBackend,
    gpu: GpuBackend,
}

fn cases(boundary: Option<f64>) -> impl Iterator<Item = Case> {
    LATTICES.into_iter().map(move |(nx, ny, nz, moore)| {
        let scene = lattice_scene(nx, ny, nz, moore, boundary);
        let mut sim = SimParams::from_scene(&scene).at_tick(scene.seed, 5);
        // More apoptosis and a short anoxic fuse, so every branch of `cells` is taken.
        sim.apoptosis_threshold = rng::threshold(0.08);
        sim.anoxic_ticks = 3;
        let mut gpu = GpuBackend::new(context(), &scene).expect("GPU backend");
        let mut cpu = CpuBackend::new();
        let mut drugs = DrugSet::from_scene(&scene);
        // Frequent persister entry and exit, so both transitions are compared.
        drugs.persister_entry_threshold = rng::threshold(0.3);
        drugs.persister_exit_threshold = rng::threshold(0.3);
        // Frequent mutation of every trait of the three test drugs, so that resolve
        // lists mutants.
        let m = rng::threshold(0.05);
        drugs.mutation_threshold = [m, m, m, 0, m, m, 0, 0];
        let tables = pd_tables(&scene);
        cpu.configure_drugs(&drugs, &tables).expect("cpu drugs");
        gpu.configure_drugs(&drugs, &tables).expect("gpu drugs");
        Case {
            name: format!(
                "{nx}×{ny}×{nz} {} boundary {boundary:?}",
                if moore { "moore" } else { "von_neumann" }
            ),
            fields: FieldParams::all(&scene, &PLASMA_UM),
            drugs,
            pd_tables: tables,
            ic50_um: scene.drugs.iter().map(|d| d.ic50_um).collect(),
            n: scene.site_count() as usize,
            sim,
            cpu,
            gpu,
        }
    })
}

impl Case {
    /// Runs `pass` on both backends from the same input.
    fn run(&mut self, pass: Pass, sweep: SweepParams, io: &KernelIo) -> (KernelIo, KernelIo) {
        let (mut c, mut g) = (io.clone(), io.clone());
        self.cpu
            .run_pass(pass, &self.sim, &self.fields, &sweep, &mut c)
            .expect("cpu pass");
        self.gpu
            .run_pass(pass, &self.sim, &self.fields, &sweep, &mut g)
            .expect("gpu pass");
        (c, g)
    }

    /// Residual slots of every field (`max_sweeps` each).
    fn slots(&self) -> usize {
        self.fields[0].max_sweeps as usize * self.fields.len()
    }

    /// Oxygen followed by every drug's levels.
    fn conc(&self, r: &mut Rand) -> Vec<f32> {
        let mut conc = random_oxygen(r, self.n, &self.sim);
        conc.extend(random_drug_levels(r, self.n, &self.ic50_um));
        conc
    }

    /// Exposure counters, some close to saturation.
    fn exposure(&self, r: &mut Rand) -> Vec<u32> {
        (0..self.n * self.ic50_um.len())
            .map(|_| {
                if r.chance(0.05) {
                    u32::MAX - r.below(64)
                } else {
                    r.below(1 << 20)
                }
            })
            .collect()
    }
}

/// Sites, wishes and census identical; oxygen and residual identical unless `field`.
fn assert_discrete_equal(ctx: &str, cpu: &KernelIo, gpu: &KernelIo, field: bool) {
    let mut errors: Vec<String> = [
        first_diff("src", &cpu.src, &gpu.src),
        first_diff("dst", &cpu.dst, &gpu.dst),
        first_diff("wish", &cpu.wish, &gpu.wish),
        first_diff("census", &[cpu.census], &[gpu.census]),
        first_diff("exposure", &cpu.exposure, &gpu.exposure),
        first_diff(
            "lineage",
            &events_sorted(&cpu.lineage),
            &events_sorted(&gpu.lineage),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !field {
        let bits = |v: &[f32]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
        errors.extend(first_diff("conc bits", &bits(&cpu.conc), &bits(&gpu.conc)));
        errors.extend(first_diff("residual", &cpu.residual, &gpu.residual));
    }
    assert!(errors.is_empty(), "{ctx}:\n{}", errors.join("\n"));
}

/// The lineage buffer with its event list sorted: resolve appends events in thread
/// order on the GPU, in site order on the CPU; clone_assign ranks them by site.
fn events_sorted(words: &[u32]) -> Vec<u32> {
    let mut w = words.to_vec();
    let count = (w[word::EVENTS] as usize).min(EVENT_CAP as usize);
    w[EVENTS_AT..EVENTS_AT + count].sort_unstable();
    w
}

/// A lineage buffer with `clones` initial clones (traits cycling through a few
/// combinations) and some mutations already counted.
fn lineage_words(clones: u32) -> Vec<u32> {
    let traits: Vec<u32> = (0..clones)
        .map(|k| [0, 1, 16, 32, 18][k as usize % 5])
        .collect();
    let mut l = Lineage::initial(&traits);
    l.mutations = 7;
    l.unassigned = 2;
    l.to_words()
}

/// Largest |Δc| / max(1, |c|) over sites.
fn worst_relative(cpu: &[f32], gpu: &[f32]) -> (f32, usize) {
    cpu.iter()
        .zip(gpu)
        .enumerate()
        .map(|(i, (c, g))| ((c - g).abs() / c.abs().max(1.0), i))
        .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a })
}

fn field_input(r: &mut Rand, case: &Case, slot: usize, previous: f32) -> KernelIo {
    let n = case.n;
    let mut residual = vec![0u32; case.slots()];
    for v in residual.iter_mut() {
        *v = r.f32_in(0.5, 5.0).to_bits();
    }
    if slot > 0 {
        residual[slot - 1] = previous.to_bits();
    }
    // This slot may already hold the other colour's maximum.
    residual[slot] = r.f32_in(0.0, 1e-6).to_bits();
    let mut conc: Vec<f32> = (0..n).map(|_| r.f32_in(0.0, 60.0)).collect();
    conc.extend(random_drug_levels(r, n, &case.ic50_um));
    KernelIo {
        src: random_sites(r, n, case.sim.anoxic_ticks),
        dst: garbage_sites(r, n),
        wish: (0..n).map(|_| r.u32()).collect(),
        conc,
        residual,
        census: Census::CLEARED,
        exposure: case.exposure(r),
        lineage: lineage_words(3),
    }
}

#[test]
fn field_sweep_matches_cpu_within_tolerance() {
    let mut r = Rand(1);
    let mut worst = 0.0f32;
    for boundary in [None, Some(20.0)] {
        for mut case in cases(boundary) {
            for field in 0..case.fields.len() as u32 {
                let tol = case.fields[field as usize].tolerance;
                let cap = case.fields[0].max_sweeps;
                // (index, residual of the previous sweep): first sweep, a later sweep that
                // runs, and a later sweep that exits early because the previous one converged.
                for (index, previous) in [(0, 0.0), (3, 10.0 * tol), (3, 0.5 * tol), (7, tol)] {
                    for colour in 0..2 {
                        let ctx = format!(
                            "{} field {field} index {index} colour {colour} previous {previous}",
                            case.name
                        );
                        let slot = field * cap + index;
                        let io = field_input(&mut r, &case, slot as usize, previous);
                        let sweep = SweepParams {
                            colour,
                            index,
                            field,
                            residual_slot: slot,
                        };
                        let (c, g) = case.run(Pass::FieldSweep, sweep, &io);
                        assert_discrete_equal(&ctx, &c, &g, true);
                        let skipped = index > 0 && previous < tol;
                        if skipped {
                            assert_eq!(c.conc, io.conc, "{ctx}: cpu should exit early");
                            assert_eq!(g.conc, io.conc, "{ctx}: gpu should exit early");
                            assert_eq!(g.residual, io.residual, "{ctx}: gpu residual touched");
                            continue;
                        }
                        let changed = c.conc.iter().zip(&io.conc).filter(|(a, b)| a != b).count();
                        let mut untouched = c.conc.clone();
                        let range = field as usize * case.n..(field as usize + 1) * case.n;
                        untouched[range.clone()].copy_from_slice(&io.conc[range]);
                        assert_eq!(untouched, io.conc, "{ctx}: other fields touched");
                        assert!(changed > case.n / 4, "{ctx}: only {changed} sites relaxed");
                        let (rel, at) = worst_relative(&c.conc, &g.conc);
                        worst = worst.max(rel);
                        assert!(
                            rel <= REL_TOL,
                            "{ctx}: site {at} cpu {} gpu {} (relative {rel:e})",
                            c.conc[at],
                            g.conc[at]
                        );
                        let scale = c.conc.iter().fold(1.0f32, |m, v| m.max(v.abs()));
                        for (k, (a, b)) in c.residual.iter().zip(&g.residual).enumerate() {
                            let (a, b) = (f32::from_bits(*a), f32::from_bits(*b));
                            if k == slot as usize {
                                assert!(
                                    (a - b).abs() <= REL_TOL * scale,
                                    "{ctx}: residual cpu {a} gpu {b}"
                                );
                            } else {
                                assert_eq!(a.to_bits(), b.to_bits(), "{ctx}: residual slot {k}");
                            }
                        }
                    }
                }
            }
        }
    }
    eprintln!("field_sweep: worst relative difference {worst:e} (tolerance {REL_TOL:e})");
}

/// Random input of the cells pass: sites, fields, exposure; garbage outputs.
fn cells_input(r: &mut Rand, case: &Case) -> KernelIo {
    let n = case.n;
    KernelIo {
        src: random_sites(r, n, case.sim.anoxic_ticks),
        conc: case.conc(r),
        dst: garbage_sites(r, n),
        wish: (0..n).map(|_| r.u32()).collect(),
        residual: vec![0; case.slots()],
        census: Census::CLEARED,
        exposure: case.exposure(r),
        lineage: lineage_words(3),
    }
}

#[test]
fn cells_match_cpu_exactly() {
    let mut r = Rand(2);
    for mut case in cases(None) {
        let (mut wishes, mut apoptosis, mut necrosis, mut quiescent) = (0, 0, 0, 0);
        let (mut persisters_in, mut persisters_out, mut compressed) = (0, 0, 0);
        for round in 0..3 {
            let io = cells_input(&mut r, &case);
            case.sim = case.sim.at_tick(round as u64, 5 + round);
            let (c, g) = case.run(Pass::Cells, SweepParams::default(), &io);
            assert_discrete_equal(&format!("{} round {round}", case.name), &c, &g, false);
            for (before, (after, w)) in io.src.iter().zip(c.dst.iter().zip(&c.wish)) {
                compressed += (after.kind() == Kind::Vessel && after.w1 < before.w1) as u32;
                wishes += (*w != 0) as u32;
                if before.kind() == Kind::Tumour {
                    apoptosis += (after.kind() == Kind::Empty) as u32;
                    necrosis += (after.kind() == Kind::Necrotic) as u32;
                    quiescent += (after.is_quiescent() && !before.is_quiescent()) as u32;
                    if after.kind() == Kind::Tumour {
                        persisters_in += (after.is_persister() && !before.is_persister()) as u32;
                        persisters_out += (!after.is_persister() && before.is_persister()) as u32;
                    }
                }
            }
        }
        // The inputs must exercise every branch, or equality proves little.
        for (what, count) in [
            ("wishes", wishes),
            ("apoptosis or drug kills", apoptosis),
            ("necrosis", necrosis),
            ("quiescence", quiescent),
            ("persister entry", persisters_in),
            ("persister exit", persisters_out),
            ("vessel compression", compressed),
        ] {
            assert!(count > 0, "{}: no {what} in the inputs", case.name);
        }
    }
}

/// The cells pass with the highest-single-agent interaction: one draw per effect
/// against the best drug's threshold, identical on both backends.
#[test]
fn cells_with_highest_single_agent_match_cpu_exactly() {
    let mut r = Rand(6);
    for mut case in cases(None) {
        case.drugs.interaction = oncolattice::model::drug_params::INTERACTION_HIGHEST_SINGLE_AGENT;
        case.cpu
            .configure_drugs(&case.drugs, &case.pd_tables)
            .expect("cpu drugs");
        case.gpu
            .configure_drugs(&case.drugs, &case.pd_tables)
            .expect("gpu drugs");
        let io = cells_input(&mut r, &case);
        let (c, g) = case.run(Pass::Cells, SweepParams::default(), &io);
        assert_discrete_equal(&case.name, &c, &g, false);
        let killed = io
            .src
            .iter()
            .zip(&c.dst)
            .filter(|(a, b)| a.kind() == Kind::Tumour && b.kind() == Kind::Empty)
            .count();
        assert!(killed > 0, "{}: no kill", case.name);
    }
}

#[test]
fn resolve_matches_cpu_exactly() {
    let mut r = Rand(3);
    for mut case in cases(None) {
        let n = case.n;
        let mut contested = 0;
        let mut mutants = 0;
        for variant in ["after cpu cells", "random wishes"] {
            let pre = random_sites(&mut r, n, case.sim.anoxic_ticks);
            let conc = case.conc(&mut r);
            let mut exposure = case.exposure(&mut r);
            let (src, wish) = if variant == "after cpu cells" {
                let mut post = vec![Site::EMPTY; n];
                let mut wish = vec![0; n];
                let input = CellInputs {
                    sim: &case.sim,
                    drugs: &case.drugs,
                    pd_table: &case.pd_tables,
                    src: &pre,
                    conc: &conc,
                    immune: cpu::ImmuneInputs::DISABLED,
                };
                cpu::cells(&input, &mut post, &mut wish, &mut exposure);
                (post, wish)
            } else {
                let wish = random_wishes(&mut r, &case.sim, &pre);
                (pre, wish)
            };
            let mut per_target = std::collections::HashMap::new();
            for (i, w) in wish.iter().enumerate().filter(|(_, w)| **w != 0) {
                let t = wish_target(&case.sim, i as u32, *w);
                *per_target.entry(t).or_insert(0) += 1;
            }
            contested += per_target.values().filter(|&&k| k > 1).count();
            let io = KernelIo {
                src,
                dst: garbage_sites(&mut r, n),
                wish,
                conc,
                residual: vec![0; case.slots()],
                census: Census::CLEARED,
                exposure,
                lineage: lineage_words(3),
            };
            let (c, g) = case.run(Pass::Resolve, SweepParams::default(), &io);
            assert_discrete_equal(&format!("{} {variant}", case.name), &c, &g, false);
            mutants += c.lineage[word::EVENTS];
            let born = io
                .src
                .iter()
                .zip(&c.dst)
                .filter(|(a, b)| a.kind() == Kind::Empty && b.kind() == Kind::Tumour)
                .count();
            assert!(born > 0, "{} {variant}: no division resolved", case.name);
        }
        assert!(contested > 0, "{}: no contested target", case.name);
        assert!(mutants > 0, "{}: no mutant daughter", case.name);
    }
}

#[test]
fn census_matches_cpu_exactly() {
    let mut r = Rand(4);
    for mut case in cases(None) {
        let n = case.n;
        // Clones 0–2 initial, the rest founded by mutation.
        case.sim.initial_clones = 3;
        // Starting from a cleared census and from a partial one whose low word carries.
        let mut partial = Census::CLEARED;
        partial.set_count(Counter::TumourLive, 17);
        // Every field's sums (over all sites and over tumour cells) carry.
        for f in 0..case.fields.len() {
            partial.set_field_sum(f, (3 << 32) | (u32::MAX - 5) as u64);
            partial.set_field_tumour_sum(f, (1 << 32) | (u32::MAX - 2) as u64);
        }
        partial.min = [1, 2, 0];
        partial.max = [3, 3, 0];
        for start in [Census::CLEARED, partial] {
            let mut conc = case.conc(&mut r);
            // A few sites past the per-site cap of the fixed-point sum.
            for k in 0..8 {
                conc[(k * 97) % n] = 20_000.0 + k as f32;
                conc[n + (k * 89) % n] = 300.0 + k as f32;
            }
            let io = KernelIo {
                src: random_sites(&mut r, n, case.sim.anoxic_ticks),
                dst: garbage_sites(&mut r, n),
                wish: (0..n).map(|_| r.u32()).collect(),
                conc,
                residual: vec![0; case.slots()],
                census: start,
                exposure: case.exposure(&mut r),
                lineage: lineage_words(4),
            };
            let (c, g) = case.run(Pass::Census, SweepParams::default(), &io);
            assert_discrete_equal(&format!("{} start {start:?}", case.name), &c, &g, false);
            let alone = cpu::census(&case.sim, &case.fields, &io.src, &io.conc, &io.lineage);
            for f in 0..case.fields.len() {
                assert_eq!(
                    g.census.field_sum(f),
                    start.field_sum(f) + alone.field_sum(f)
                );
                assert_eq!(
                    g.census.field_tumour_sum(f),
                    start.field_tumour_sum(f) + alone.field_tumour_sum(f)
                );
            }
            assert_eq!((g.census.clones, g.census.mutations), (4, 7));
            // Every clone id below 8 and the acquired ones were met, and the acquired
            // count is the live cells past the initial ids, counted here by hand.
            let c_live = &c.census;
            assert!(c_live.clone_live.iter().all(|&k| k > 0), "{c_live:?}");
            let acquired = io
                .src
                .iter()
                .filter(|s| s.kind() == Kind::Tumour && s.clone_id() >= 3)
                .count() as u32;
            assert_eq!(c_live.acquired_live, start.acquired_live + acquired);
            assert_eq!(
                c_live.clone_live[1],
                start.clone_live[1]
                    + io.src
                        .iter()
                        .filter(|s| s.kind() == Kind::Tumour && s.clone_id() == 1)
                        .count() as u32
            );
            assert!(
                c.census.drug_sum(0) > 0
                    && c.census.count(Counter::TraitEfflux) > 0
                    && c.census.count(Counter::Persister) > 0
            );
        }
    }
}

/// The GPU census is compiled per combination of the sums the fields ask for
/// (`FieldParams::census_sums`): each combination gives the CPU's census, and a sum
/// no field asks for stays 0.
#[test]
fn census_sums_in_any_combination_match_cpu() {
    let mut r = Rand(14);
    let mut case = cases(None).next().expect("a case");
    let n = case.n;
    for combination in 0..4u32 {
        for (f, field) in case.fields.iter_mut().enumerate() {
            field.census_sums = (combination + f as u32) % 4;
        }
        let io = KernelIo {
            src: random_sites(&mut r, n, case.sim.anoxic_ticks),
            dst: garbage_sites(&mut r, n),
            wish: vec![0; n],
            conc: case.conc(&mut r),
            residual: vec![0; case.slots()],
            census: Census::CLEARED,
            exposure: case.exposure(&mut r),
            lineage: lineage_words(4),
        };
        let (c, g) = case.run(Pass::Census, SweepParams::default(), &io);
        let ctx = format!("{} sums {combination}", case.name);
        assert_discrete_equal(&ctx, &c, &g, false);
        for (f, field) in case.fields.iter().enumerate() {
            let all = field.census_sums & CENSUS_ALL_SITES != 0;
            let tumour = field.census_sums & CENSUS_TUMOUR_SITES != 0;
            assert_eq!(g.census.field_sum(f) > 0, all, "{ctx}: field {f}");
            assert_eq!(g.census.field_tumour_sum(f) > 0, tumour, "{ctx}: field {f}");
        }
    }
}

/// clone_assign numbers mutants listed in any order by site: from a shuffled list,
/// with ids running out part-way, and with more events than the list holds.
#[test]
fn clone_assign_matches_cpu_exactly() {
    let mut r = Rand(6);
    for mut case in cases(None) {
        let n = case.n;
        for (variant, next, listed, counted) in [
            ("shuffled", 3, 300, 300),
            ("ids run out", MAX_CLONES - 40, 100, 100),
            ("list overflow", 3, 10, EVENT_CAP + 7),
        ] {
            let src = random_sites(&mut r, n, case.sim.anoxic_ticks);
            let dst = random_sites(&mut r, n, case.sim.anoxic_ticks);
            let mut sites: Vec<u32> = (0..n as u32).collect();
            for k in (1..sites.len()).rev() {
                sites.swap(k, r.below(k as u32 + 1) as usize);
            }
            let mut lineage = lineage_words(3);
            lineage[word::NEXT_CLONE] = next;
            lineage[word::EVENTS] = counted;
            lineage[EVENTS_AT..EVENTS_AT + listed].copy_from_slice(&sites[..listed]);
            let io = KernelIo {
                src,
                dst,
                wish: vec![0; n],
                conc: case.conc(&mut r),
                residual: vec![0; case.slots()],
                census: Census::CLEARED,
                exposure: case.exposure(&mut r),
                lineage,
            };
            let (c, g) = case.run(Pass::CloneAssign, SweepParams::default(), &io);
            let ctx = format!("{} {variant}", case.name);
            assert_discrete_equal(&ctx, &c, &g, false);
            assert_eq!(g.lineage[word::EVENTS], 0, "{ctx}: events not cleared");
            assert_eq!(g.lineage[word::MUTATIONS], 7 + counted, "{ctx}");
            let numbered = g.dst.iter().zip(&io.dst).filter(|(a, b)| a != b).count() as u32;
            let expected = match variant {
                "shuffled" => listed as u32,
                "ids run out" => 40,
                _ => 0,
            };
            // (A site whose random clone id equalled its new one would not show as
            // changed; with these seeded inputs none does.)
            assert_eq!(numbered, expected, "{ctx}: mutants numbered");
            let table = Lineage::from_words(&g.lineage).expect("table");
            assert_eq!(table.unassigned, 2 + counted - expected, "{ctx}");
        }
    }
}

/// Regression: with a per-site cap of 2^24 a workgroup of 256 saturated sites summed
/// 2^32 in its u32 partial sum (census.wgsl `wg_o2`) and wrapped to 0; the cap is now
/// 2^24 − 1.
#[test]
fn census_oxygen_sum_of_a_saturated_workgroup() {
    let scene = lattice_scene(16, 16, 1, true, None);
    let sim = SimParams::from_scene(&scene);
    let mut gpu = GpuBackend::new(context(), &scene).expect("GPU backend");
    let n = 256;
    let drugs = DrugSet::from_scene(&scene);
    gpu.configure_drugs(&drugs, &pd_tables(&scene))
        .expect("drugs");
    let mut conc = vec![1.0e5; n];
    conc.extend(vec![0.0; 3 * n]);
    let mut io = KernelIo {
        src: vec![Site::EMPTY; n],
        dst: vec![Site::EMPTY; n],
        wish: vec![0; n],
        conc,
        residual: vec![0; 8],
        census: Census::CLEARED,
        exposure: vec![0; 3 * n],
        lineage: lineage_words(1),
    };
    let fields = FieldParams::all(&scene, &PLASMA_UM);
    let expected = cpu::census(&sim, &fields, &io.src, &io.conc, &io.lineage);
    gpu.run_pass(
        Pass::Census,
        &sim,
        &FieldParams::all(&scene, &PLASMA_UM),
        &SweepParams::default(),
        &mut io,
    )
    .expect("gpu census");
    assert_eq!(io.census, expected);
}

fn tick_scene(three_d: bool) -> Scene {
    gpu_common::scene(&tick_scene_text(three_d))
}

fn tick_scene_text(three_d: bool) -> String {
    let lattice = if three_d {
        "nx = 24\nny = 24\nnz = 24"
    } else {
        "nx = 64\nny = 64"
    };
    let radius = if three_d { 200.0 } else { 300.0 };
    format!(
        "seed = 2024\n[lattice]\n{lattice}\n[time]\nduration_days = 2\nreport_every_h = 1\n\
         [tumour]\nradius_um = {radius}\n[vessels]\nlayout = \"random\"\ndensity = 0.01\n\
         [cells]\napoptosis_per_h = 0.01\nanoxic_duration_h = 4\ncycle_mean_h = 12\n"
    )
}

const TICKS: u64 = 30;

/// Runs `TICKS` ticks, polling without waiting every 7, and returns the reports and
/// the final state.
fn run(
    backend: Box<dyn Backend>,
    scene: &Scene,
) -> Result<(Vec<TickReport>, oncolattice::engine::HostState), EngineError> {
    let mut sim = Simulation::new(scene.clone(), backend)?;
    let mut reports = Vec::new();
    for t in 0..TICKS {
        // Drugs (if the scene has any) reach the blood from tick 5 on.
        if t == 5 {
            sim.set_plasma_um(&PLASMA_UM);
        }
        sim.step()?;
        if t % 7 == 6 {
            reports.extend(sim.poll(false)?);
        }
    }
    reports.extend(sim.poll(true)?);
    assert!(sim.poll(false)?.is_empty());
    let ticks: Vec<u64> = reports.iter().map(|r| r.tick).collect();
    assert_eq!(
        ticks,
        (1..=TICKS).collect::<Vec<_>>(),
        "reports in tick order"
    );
    Ok((reports, sim.state()?))
}

/// Statistical agreement of two runs: vessels identical; live, quiescent, hypoxic and
/// necrotic counts within 3 + 5 % of the CPU's on every tick; mean pO2 within
/// 0.01 mmHg + 1 %. (Oxygen differs by float rounding, so a cell right at a threshold
/// may decide differently and the runs drift apart slowly.)
fn assert_runs_agree(name: &str, cpu: &[TickReport], gpu: &[TickReport], n_sites: u64) {
    let mut identical = 0;
    for (c, g) in cpu.iter().zip(gpu) {
        let (cc, gc) = (c.census, g.census);
        identical += (cc == gc) as u32;
        assert_eq!(
            (cc.count(Counter::Vessel), cc.count(Counter::PerfusedVessel)),
            (gc.count(Counter::Vessel), gc.count(Counter::PerfusedVessel)),
            "{name} tick {}",
            c.tick
        );
        for (what, a, b) in [
            ("live", cc.tumour_live(), gc.tumour_live()),
            (
                "quiescent",
                cc.count(Counter::Quiescent),
                gc.count(Counter::Quiescent),
            ),
            (
                "hypoxic",
                cc.count(Counter::Hypoxic),
                gc.count(Counter::Hypoxic),
            ),
            (
                "necrotic",
                cc.count(Counter::Necrotic),
                gc.count(Counter::Necrotic),
            ),
        ] {
            let allowed = 3.0 + 0.05 * a as f64;
            assert!(
                (a as f64 - b as f64).abs() <= allowed,
                "{name} tick {}: {what} cpu {a} gpu {b}",
                c.tick
            );
        }
        let (a, b) = (cc.o2_mean_mmhg(n_sites), gc.o2_mean_mmhg(n_sites));
        assert!(
            (a - b).abs() <= 0.01 + 0.01 * a,
            "{name} tick {}: mean pO2 cpu {a} gpu {b}",
            c.tick
        );
    }
    let (last_c, last_g) = (cpu[cpu.len() - 1], gpu[gpu.len() - 1]);
    eprintln!(
        "{name}: {identical}/{} report ticks identical; tick {}: live cpu {} gpu {}, necrotic cpu {} gpu {}, sweeps cpu {} gpu {}",
        cpu.len(),
        last_c.tick,
        last_c.census.tumour_live(),
        last_g.census.tumour_live(),
        last_c.census.count(Counter::Necrotic),
        last_g.census.count(Counter::Necrotic),
        last_c.solve.sweeps,
        last_g.solve.sweeps
    );
}

fn full_ticks(three_d: bool) {
    full_ticks_of(
        tick_scene(three_d),
        if three_d { "3D 24³" } else { "2D 64²" },
    );
}

fn full_ticks_of(scene: Scene, name: &str) {
    let t0 = std::time::Instant::now();
    let (cpu, cpu_state) = run(Box::new(CpuBackend::new()), &scene).expect("cpu run");
    let t1 = std::time::Instant::now();
    let gpu_backend = GpuBackend::new(context(), &scene).expect("GPU backend");
    let (gpu, gpu_state) = run(Box::new(gpu_backend), &scene).expect("gpu run");
    eprintln!(
        "{name}: {TICKS} ticks cpu {:?}, gpu {:?}",
        t1 - t0,
        t1.elapsed()
    );
    // The run must exercise division, hypoxia and necrosis (and with drugs, killing),
    // or agreement proves little.
    let (first, last) = (cpu[0].census, cpu[cpu.len() - 1].census);
    let lively = if scene.drugs.is_empty() {
        last.tumour_sites() > first.tumour_sites()
            && last.count(Counter::Hypoxic) > 0
            && last.count(Counter::Necrotic) > 0
    } else {
        last.tumour_live() < first.tumour_live() / 2 && last.count(Counter::Persister) > 0
    };
    assert!(
        lively,
        "{name}: scene too tame: first {first:?} last {last:?}"
    );
    assert_runs_agree(name, &cpu, &gpu, scene.site_count());
    assert_eq!(cpu_state.sites.len(), gpu_state.sites.len());

    // The GPU run again: bit-identical reports, sites and oxygen.
    let again = GpuBackend::new(context(), &scene).expect("GPU backend");
    let (gpu2, gpu2_state) = run(Box::new(again), &scene).expect("gpu rerun");
    assert_eq!(gpu, gpu2, "{name}: GPU census series differ between runs");
    assert!(
        gpu_state.sites == gpu2_state.sites,
        "{name}: GPU sites differ between runs"
    );
    assert_eq!(
        gpu_state.lineage, gpu2_state.lineage,
        "{name}: GPU lineage differs between runs"
    );
    eprintln!(
        "{name}: clones cpu {} gpu {}, lineage identical: {}",
        cpu_state.lineage.clones.len(),
        gpu_state.lineage.clones.len(),
        cpu_state.lineage == gpu_state.lineage
    );
    let bits = |s: &oncolattice::engine::HostState| {
        s.fields.iter().map(|c| c.to_bits()).collect::<Vec<_>>()
    };
    assert!(
        bits(&gpu_state) == bits(&gpu2_state),
        "{name}: GPU oxygen differs between runs"
    );
}

#[test]
fn full_ticks_2d_agree_with_cpu_and_repeat_exactly() {
    full_ticks(false);
}

#[test]
fn full_ticks_3d_agree_with_cpu_and_repeat_exactly() {
    full_ticks(true);
}

/// The 2D run with three drugs dosed from tick 5 and a mix of resistant clones: the
/// drug paths of every kernel in a real run, on both backends.
#[test]
fn full_ticks_with_drugs_agree_with_cpu_and_repeat_exactly() {
    let text = format!(
        "{}{}[[clones]]\nfraction = 0.6\n[[clones]]\nfraction = 0.2\ntraits = [\"efflux\"]\n\
         [[clones]]\nfraction = 0.2\ntraits = [\"target:tki\", \"slow_cycle\"]\n\
         [resistance]\npersister_entry_per_h = 0.05\ntarget_mutation_per_division = 0.01\n\
         efflux_mutation_per_division = 0.01\nslow_cycle_mutation_per_division = 0.01\n",
        tick_scene_text(false),
        gpu_common::DRUGS
    );
    let scene = gpu_common::scene(&text);
    full_ticks_of(scene.clone(), "2D 64² with drugs");
    // The drugs reached the tumour and acted.
    let (reports, state) = run(Box::new(CpuBackend::new()), &scene).expect("cpu run");
    let last = reports[reports.len() - 1].census;
    assert!(last.drug_sum(0) > 0 && last.drug_sum(2) > 0, "{last:?}");
    assert!(
        last.count(Counter::TraitEfflux) > 0
            && last.count(Counter::TraitTarget) > 0
            && last.count(Counter::Persister) > 0,
        "{last:?}"
    );
    assert!(state.exposure.iter().any(|&e| e > 0));
    // Mutations founded clones, and every cell carries its clone's traits.
    let l = &state.lineage;
    assert!(l.clones.len() >= 3 + 5, "{} clones", l.clones.len());
    assert_eq!(last.clones as usize, l.clones.len());
    assert_eq!(
        l.mutations as usize,
        l.clones.len() - 3 + l.unassigned as usize
    );
    for s in state.sites.iter().filter(|s| s.kind() == Kind::Tumour) {
        assert_eq!(s.traits(), l.clones[s.clone_id() as usize].traits, "{s:?}");
    }
}

/// More report ticks in flight than staging slots: the ring waits for the oldest, and
/// every report still arrives once, in order.
#[test]
fn report_ring_overflow_keeps_every_report_in_order() {
    let scene = lattice_scene(37, 29, 1, true, None);
    let sim = SimParams::from_scene(&scene);
    let fields = FieldParams::all(&scene, &PLASMA_UM);
    let mut gpu = GpuBackend::new(context(), &scene).expect("GPU backend");
    gpu.configure_drugs(&DrugSet::from_scene(&scene), &pd_tables(&scene))
        .expect("drugs");
    let sites = oncolattice::model::setup::initial_sites(&scene);
    let oxygen = vec![0.0; sites.len()];
    gpu.upload(&HostState::new(sites, oxygen, 3))
        .expect("upload");
    let n = 3 * oncolattice::engine::gpu::RING_SLOTS as u32 + 1;
    for t in 0..n {
        gpu.tick(&sim.at_tick(scene.seed, t), &fields, t % 3 != 1)
            .expect("tick");
    }
    let ticks: Vec<u64> = gpu
        .poll_reports(true)
        .expect("poll")
        .iter()
        .map(|r| r.tick)
        .collect();
    let expected: Vec<u64> = (0..n)
        .filter(|t| t % 3 != 1)
        .map(|t| t as u64 + 1)
        .collect();
    assert_eq!(ticks, expected);
    assert!(gpu.poll_reports(true).expect("poll").is_empty());
}

#[test]
fn oversized_lattice_is_refused_with_the_numbers() {
    let scene = gpu_common::scene("seed = 1\n[lattice]\nnx = 46000\nny = 46000\n");
    match GpuBackend::new(context(), &scene) {
        Err(EngineError::TooLarge(m)) => {
            assert!(
                m.contains("2116000000 sites") && m.contains("33856000000 bytes"),
                "{m}"
            );
        }
        Err(e) => panic!("expected TooLarge, got {e}"),
        Ok(_) => panic!("a 46000² lattice should not fit"),
    }
}

#[test]
fn adapters_are_listed_and_described() {
    let ctx = context();
    let list = oncolattice::engine::gpu::list_adapters();
    assert!(!list.is_empty());
    let described = ctx.describe();
    assert!(
        list.iter().any(|a| a.summary() == described),
        "{described} not in {list:?}"
    );
    assert!(
        described.ends_with(']') && described.contains(" ["),
        "{described}"
    );
}
