//! Cytotoxic T cells (`model::immune`): each rule against its closed form on
//! constructed lattices, then whole runs (kill cap, determinism, exact resume).

mod snapshot_common;

use oncolattice::engine::cpu::{self, CellInputs, CpuBackend, ImmuneInputs};
use oncolattice::engine::{HostState, Simulation};
use oncolattice::model::action::{self, Action};
use oncolattice::model::drug_params::{pd_tables, DrugSet, TRAIT_ANTIGEN_LOSS, TRAIT_PDL1};
use oncolattice::model::immune::{immune_tables, kill_probability, recognition, ImmuneParams};
use oncolattice::model::params::SimParams;
use oncolattice::model::site::{
    Kind, Site, ENGAGED_BIT, EXHAUSTED_BIT, KILLS_SHIFT, LOW16, TARGET_SLOT_SHIFT,
};
use oncolattice::scene::Scene;
use snapshot_common::{assert_same_run, ok, s, write_scene};
use std::path::Path;

/// A scene of `nx`×`ny` sites with a chemokine factor (field 1, or 2 with a drug) and
/// `[immune]` with `extra` keys; `before` goes ahead of `[immune]` (drugs).
fn scene(nx: u32, ny: u32, before: &str, extra: &str) -> Scene {
    let text = format!(
        "seed = 7\n[lattice]\nnx = {nx}\nny = {ny}\n[vessels]\nlayout = \"none\"\n\
         [oxygen]\nboundary_mmhg = 40.0\n{before}\n[[factors]]\nname = \"cxcl9\"\n\
         diffusion_um2_per_min = 100.0\ndecay_per_min = 0.01\n[immune]\nchemokine = \"cxcl9\"\n{extra}"
    );
    Scene::parse(&text, Path::new("immune.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Everything the cells pass reads, for one scene.
struct Rig {
    scene: Scene,
    drugs: DrugSet,
    pd: Vec<u32>,
    params: ImmuneParams,
    tables: Vec<u32>,
}

impl Rig {
    fn new(scene: Scene) -> Rig {
        Rig {
            drugs: DrugSet::from_scene(&scene),
            pd: pd_tables(&scene),
            params: ImmuneParams::from_scene(&scene),
            tables: immune_tables(&scene),
            scene,
        }
    }

    fn sim(&self, tick: u32) -> SimParams {
        SimParams::from_scene(&self.scene).at_tick(self.scene.seed, tick)
    }

    fn immune(&self) -> ImmuneInputs<'_> {
        ImmuneInputs {
            params: &self.params,
            tables: &self.tables,
        }
    }

    /// The cells pass of tick `tick` on `src` with fields `conc`: next state, wishes.
    fn cells(&self, tick: u32, src: &[Site], conc: &[f32]) -> (Vec<Site>, Vec<u32>) {
        let sim = self.sim(tick);
        let n = src.len();
        let input = CellInputs {
            sim: &sim,
            drugs: &self.drugs,
            pd_table: &self.pd,
            src,
            conc,
            immune: self.immune(),
        };
        let (mut dst, mut wish) = (vec![Site::EMPTY; n], vec![0; n]);
        let mut exposure = vec![0; n * self.scene.drugs.len()];
        cpu::cells(&input, &mut dst, &mut wish, &mut exposure);
        (dst, wish)
    }

    fn fields(&self) -> usize {
        1 + self.scene.drugs.len() + self.scene.factors.len()
    }
}

fn tcell() -> Site {
    Site::TCELL
}

fn tumour(traits: u32) -> Site {
    Site {
        w3: traits,
        ..Site::tumour(0, 0, 20)
    }
}

/// Binomial agreement: `hits` of `n` within 4.5 standard deviations of `p`.
fn assert_binomial(what: &str, hits: usize, n: usize, p: f64) {
    let got = hits as f64 / n as f64;
    let sd = (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (got - p).abs() <= 4.5 * sd + 1e-9,
        "{what}: {hits}/{n} = {got:.4}, expected {p:.4} ± {:.4}",
        4.5 * sd
    );
}

#[test]
fn recruitment_happens_only_at_perfused_vessels_at_the_stated_rate() {
    // Vessels of perfusion 0, 0.5 and 1 alone in empty tissue, chemokine at its
    // half-maximum everywhere: the per-tick probability at full perfusion is
    // 1 − exp(−r·Δt·½), r = 24 per day (so that events are many).
    let rig = Rig::new(scene(
        30,
        30,
        "",
        "recruitment_per_vessel_per_day = 24.0\ncompetence = 1.0",
    ));
    let n = 900;
    let mut src = vec![Site::EMPTY; n];
    let mut perfusion = vec![None; n];
    for k in 0..75 {
        let (x, y) = (1 + (k % 10) * 3, 1 + (k / 10) * 3);
        let p = [0.0, 0.5, 1.0][k % 3];
        let i = y * 30 + x;
        src[i] = Site::vessel(p);
        perfusion[i] = Some(k % 3);
    }
    let mut conc = vec![0.0f32; n * rig.fields()];
    conc[..n].fill(40.0);
    conc[n..2 * n].fill(1.0);
    let mut recruits = [0usize; 3];
    let ticks = 400;
    for t in 0..ticks {
        let (dst, wish) = rig.cells(t, &src, &conc);
        for i in 0..n {
            if let Some((a, _)) = action::decode(wish[i]) {
                assert_eq!(a, Action::Recruit, "site {i}");
                let class = perfusion[i].expect("only vessels recruit");
                recruits[class] += 1;
            }
            assert_eq!(dst[i].kind(), src[i].kind());
        }
    }
    let sites = 25 * ticks as usize;
    assert_eq!(recruits[0], 0, "an unperfused vessel recruited");
    let p_full = 1.0 - (-24.0f64 / 24.0 * 0.5).exp();
    assert_binomial("full perfusion", recruits[2], sites, p_full);
    // Half perfusion halves the threshold (16-bit perfusion × threshold).
    assert_binomial("half perfusion", recruits[1], sites, p_full * 0.5);
}

#[test]
fn recruitment_needs_chemokine_and_falls_with_age() {
    let young = Rig::new(scene(12, 12, "", "recruitment_per_vessel_per_day = 24.0"));
    let mut old = young.scene.clone();
    old.patient.age_years = 90.0;
    let old = Rig::new(old);
    let n = 144;
    let mut src = vec![Site::EMPTY; n];
    src[6 * 12 + 6] = Site::vessel(1.0);
    let mut conc = vec![0.0f32; n * young.fields()];
    conc[..n].fill(40.0);
    let count = |rig: &Rig, conc: &[f32]| {
        (0..4000)
            .filter(|&t| rig.cells(t, &src, conc).1[6 * 12 + 6] != 0)
            .count()
    };
    assert_eq!(count(&young, &conc), 0, "no chemokine, no recruitment");
    conc[n..].fill(1.0);
    let p = 1.0 - (-0.5f64).exp();
    assert_binomial("age 40", count(&young, &conc), 4000, p);
    // Competence 0.5 at 90 years (model::immune::competence_at_age).
    assert_binomial("age 90", count(&old, &conc), 4000, 1.0 - (-0.25f64).exp());
}

#[test]
fn walkers_drift_up_a_fixed_gradient_by_the_bias() {
    // A linear chemokine gradient along x; T cells far apart, every neighbour free:
    // a biased move goes to x + 1 (the three uphill neighbours tie), a random one
    // averages 0, so the mean step is `bias` in x and 0 in y.
    for bias in [0.0, 0.3, 0.8] {
        let rig = Rig::new(scene(60, 60, "", &format!("chemotaxis_bias = {bias}")));
        let n = 3600;
        let mut src = vec![Site::EMPTY; n];
        let walkers: Vec<usize> = (0..100)
            .map(|k| (5 + (k / 10) * 5) * 60 + 5 + (k % 10) * 5)
            .collect();
        for &i in &walkers {
            src[i] = tcell();
        }
        let mut conc = vec![0.0f32; n * rig.fields()];
        for i in 0..n {
            conc[n + i] = 0.01 * (i % 60) as f32;
        }
        let (mut sum, mut sum_y, mut moves) = (0i64, 0i64, 0usize);
        let mut wish = vec![0u32; n];
        for t in 0..120 {
            let sim = rig.sim(t).at_substep(t % 7);
            cpu::immune_moves(&sim, rig.immune(), &conc, &src, &mut wish);
            for (i, &w) in wish.iter().enumerate() {
                match action::decode(w) {
                    Some((Action::Move, d)) => {
                        assert!(walkers.contains(&i));
                        sum += d[0] as i64;
                        sum_y += d[1] as i64;
                        moves += 1;
                    }
                    None => assert!(!walkers.contains(&i), "a free walker at {i} stayed"),
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(moves, 12_000);
        let drift = sum as f64 / moves as f64;
        // Per move, dx is +1 with probability b + (1 − b)·3/8 and −1 with (1 − b)·3/8.
        let q = (1.0 - bias) * 3.0 / 8.0;
        let var = (bias + q) + q - bias * bias;
        let tol = 4.5 * (var / moves as f64).sqrt();
        assert!(
            (drift - bias).abs() <= tol,
            "bias {bias}: drift {drift} ± {tol}"
        );
        let drift_y = sum_y as f64 / moves as f64;
        assert!(
            drift_y.abs() <= 4.5 * (0.75 / moves as f64).sqrt(),
            "bias {bias}: y drift {drift_y}"
        );
    }
}

#[test]
fn moves_are_carried_out_by_resolve_and_conserve_t_cells() {
    let rig = Rig::new(scene(20, 20, "", ""));
    let n = 400;
    let mut src = vec![Site::EMPTY; n];
    for k in 0..60 {
        src[(k * 37) % n] = tcell();
    }
    src[210] = tumour(0);
    let conc = vec![0.0f32; n * rig.fields()];
    let mut wish = vec![0u32; n];
    let before: Vec<Site> = src.clone();
    let mut lineage = oncolattice::model::lineage::Lineage::initial(&[0]).to_words();
    for m in 0..10 {
        let sim = rig.sim(3).at_substep(m);
        cpu::immune_moves(&sim, rig.immune(), &conc, &src, &mut wish);
        cpu::resolve_in_place(&sim, &rig.drugs, &mut src, &wish, &mut [], &mut lineage);
    }
    let count = |v: &[Site], k: Kind| v.iter().filter(|s| s.kind() == k).count();
    assert_eq!(count(&src, Kind::TCell), 60);
    assert_eq!(src[210], before[210], "the tumour cell is not moved");
    assert_ne!(src, before, "T cells moved");
}

/// Isolated pairs: a T cell with one tumour neighbour (traits `traits`) to its east;
/// the fraction of contacts that engage over `ticks` independent ticks.
fn contact_fraction(rig: &Rig, traits: u32, drug_um: f32, ticks: u32) -> (usize, usize) {
    let (nx, ny) = (40, 40);
    let n = nx * ny;
    let mut src = vec![Site::EMPTY; n];
    let mut pairs = Vec::new();
    for y in (1..ny - 1).step_by(3) {
        for x in (1..nx - 2).step_by(4) {
            let i = y * nx + x;
            src[i] = tcell();
            src[i + 1] = tumour(traits);
            pairs.push(i);
        }
    }
    let mut conc = vec![0.0f32; n * rig.fields()];
    conc[..n].fill(40.0);
    if rig.scene.drugs.len() == 1 {
        conc[n..2 * n].fill(drug_um);
    }
    let mut engaged = 0;
    for t in 0..ticks {
        let (dst, wish) = rig.cells(t, &src, &conc);
        for &i in &pairs {
            assert_eq!(wish[i], 0, "a first contact kills nothing yet");
            if dst[i].w0 & ENGAGED_BIT != 0 {
                engaged += 1;
                assert_eq!(dst[i].w2 & LOW16, rig.params.kill_ticks);
                assert_eq!(dst[i].w2 >> TARGET_SLOT_SHIFT, action::slot_of([1, 0, 0]));
            }
        }
    }
    (engaged, pairs.len() * ticks as usize)
}

const CHECKPOINT: &str = "[[drugs]]\nname = \"nivolumab\"\nclass = \"checkpoint\"\n\
                          emax_per_h = 0.0\nic50_um = 0.003\n";

#[test]
fn a_contact_kills_with_the_competing_risk_probability() {
    let rig = Rig::new(scene(40, 40, "", ""));
    let im = rig.scene.immune.clone().unwrap();
    // PhysiCell's rates at antigenicity 1: 0.571 (≥ 10⁴ contacts).
    let (hits, n) = contact_fraction(&rig, 0, 0.0, 80);
    assert!(n >= 10_000, "{n}");
    let p = kill_probability(&im, recognition(&im, 1.0));
    assert!((p - 0.5714).abs() < 5e-4);
    assert_binomial("antigenicity 1", hits, n, p);
    // Constitutive PD-L1 leaves 10 % of the kill rate.
    let (hits, n) = contact_fraction(&rig, TRAIT_PDL1, 0.0, 60);
    assert_binomial(
        "PD-L1",
        hits,
        n,
        kill_probability(&im, recognition(&im, 1.0) * 0.1),
    );
    // Antigen loss: never recognised.
    assert_eq!(contact_fraction(&rig, TRAIT_ANTIGEN_LOSS, 0.0, 10).0, 0);
}

#[test]
fn a_checkpoint_inhibitor_restores_killing_only_where_pd_l1_blocked_it() {
    let rig = Rig::new(scene(40, 40, CHECKPOINT, ""));
    let im = rig.scene.immune.clone().unwrap();
    let full = kill_probability(&im, recognition(&im, 1.0));
    // Far above the half-blocking level: PD-L1 cells are killed as if they had none.
    let (hits, n) = contact_fraction(&rig, TRAIT_PDL1, 3.0, 60);
    assert_binomial("PD-L1 blocked", hits, n, full);
    // Cells without PD-L1 are killed exactly as without the drug, draw for draw.
    assert_eq!(
        contact_fraction(&rig, 0, 3.0, 30),
        contact_fraction(&rig, 0, 0.0, 30)
    );
    // At the half-blocking level half of PD-L1 is left, which removes 45 % of the rate.
    let (hits, n) = contact_fraction(&rig, TRAIT_PDL1, 0.003, 60);
    let m = recognition(&im, 1.0) * (1.0 - 0.9 * 0.5);
    assert_binomial("half blocked", hits, n, kill_probability(&im, m));
}

#[test]
fn an_engagement_kills_its_target_after_the_kill_time_and_counts_the_kill() {
    let rig = Rig::new(scene(
        8,
        8,
        "",
        "kill_rate_per_min = 1000.0\nkill_duration_h = 3.0\nmax_kills = 2\ndivisions_per_kill = 0",
    ));
    let n = 64;
    let mut src = vec![Site::EMPTY; n];
    src[27] = tcell();
    src[28] = tumour(0);
    let mut conc = vec![0.0f32; n * rig.fields()];
    conc[..n].fill(40.0);
    // Tick 0: contact (P ≈ 1). Ticks 1, 2: engaged. Tick 3: the kill wish.
    let mut state = src.clone();
    let mut wishes = Vec::new();
    for t in 0..4 {
        let (dst, wish) = rig.cells(t, &state, &conc);
        state = dst;
        state[28] = tumour(0);
        wishes.push(wish[27]);
    }
    assert_eq!(wishes[..3], [0, 0, 0]);
    assert_eq!(wishes[3], action::wish(Action::Kill, [1, 0, 0]));
    let t = state[27];
    assert_eq!(t.w0 & ENGAGED_BIT, 0);
    assert_eq!(t.w1 >> KILLS_SHIFT & 0xff, 1);
    assert_eq!(t.w1 & LOW16, 4, "age in ticks");
    // The second kill reaches the cap of 2: exhausted, and no further contact.
    for tick in 4..8 {
        let (dst, _) = rig.cells(tick, &state, &conc);
        state = dst;
        state[28] = tumour(0);
    }
    assert_ne!(state[27].w0 & EXHAUSTED_BIT, 0, "{:?}", state[27]);
    for tick in 8..20 {
        let (dst, _) = rig.cells(tick, &state, &conc);
        assert_eq!(dst[27].w0 & ENGAGED_BIT, 0);
        state = dst;
    }
}

#[test]
fn t_cells_die_at_the_end_of_their_lifespan() {
    let rig = Rig::new(scene(8, 8, "", "lifespan_days = 0.5"));
    let mut state = vec![Site::EMPTY; 64];
    state[27] = tcell();
    let conc = vec![0.0f32; 64 * rig.fields()];
    for t in 0..11 {
        state = rig.cells(t, &state, &conc).0;
        assert_eq!(state[27].kind(), Kind::TCell, "tick {t}");
    }
    assert_eq!(rig.cells(11, &state, &conc).0[27], Site::EMPTY);
}

const HOT: &str = "seed = 5\n[lattice]\nnx = 48\nny = 48\n[time]\nduration_days = 6\n\
    report_every_h = 12.0\n[tumour]\nradius_um = 200.0\n[vessels]\nlayout = \"random\"\n\
    density = 0.03\nperfusion = 0.7\n[[factors]]\nname = \"cxcl9\"\ndiffusion_um2_per_min = 6000.0\n\
    decay_per_min = 0.02\n[[factors.sources]]\nkind = \"tumour\"\nsecretion_per_min = 0.05\n\
    [[factors]]\nname = \"ifng\"\nunit = \"ng/mL\"\ndiffusion_um2_per_min = 6000.0\ndecay_per_min = 0.005\n\
    [[factors.sources]]\nkind = \"tcell\"\nstate = \"engaged\"\nsecretion_per_min = 0.5\n\
    [immune]\nchemokine = \"cxcl9\"\nifng = \"ifng\"\nrecruitment_per_vessel_per_day = 2.0\n\
    max_kills = 3\nantigen_loss_mutation_per_division = 0.01\n";

fn run_hot(backend: CpuBackend, ticks: u64) -> (Vec<oncolattice::engine::TickReport>, HostState) {
    let scene = Scene::parse(HOT, Path::new("hot.toml")).unwrap();
    let mut sim = Simulation::new(scene, Box::new(backend)).unwrap();
    let mut reports = Vec::new();
    for _ in 0..ticks {
        sim.step().unwrap();
        reports.extend(sim.poll(false).unwrap());
    }
    reports.extend(sim.poll(true).unwrap());
    (reports, sim.state().unwrap())
}

#[test]
fn whole_runs_keep_the_kill_cap_and_do_not_depend_on_threads() {
    let (reports, state) = run_hot(CpuBackend::with_threads(1).unwrap(), 96);
    let (reports2, state2) = run_hot(CpuBackend::with_threads(2).unwrap(), 96);
    assert_eq!(state.sites, state2.sites);
    assert_eq!(state.fields, state2.fields);
    assert_eq!(reports.len(), reports2.len());
    for (a, b) in reports.iter().zip(&reports2) {
        assert_eq!(a.census, b.census);
    }
    let tcells: Vec<Site> = state
        .sites
        .iter()
        .copied()
        .filter(|s| s.kind() == Kind::TCell)
        .collect();
    assert!(tcells.len() > 10, "{} T cells", tcells.len());
    let mut exhausted = 0;
    for t in &tcells {
        let f = t.unpack();
        assert!(f.kills <= 3, "{f:?}");
        assert_eq!(f.exhausted, f.kills == 3, "{f:?}");
        exhausted += f.exhausted as usize;
    }
    assert!(exhausted > 0, "some T cell reached its cap");
    // Counted in the census as on the lattice.
    let last = reports.last().unwrap();
    use oncolattice::model::counters::Counter;
    assert_eq!(last.census.count(Counter::TCell) as usize, tcells.len());
    assert_eq!(
        last.census.count(Counter::TCellExhausted) as usize,
        exhausted
    );
}

#[test]
fn a_run_with_t_cells_resumes_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let text = HOT.replace("duration_days = 6", "duration_days = 3");
    let scene = write_scene(dir, "hot.toml", &text);
    let full = dir.join("full");
    ok(
        dir,
        &[
            "run",
            s(&scene),
            "--backend",
            "cpu",
            "--snapshot-every",
            "1",
            "--out",
            s(&full),
            "-q",
        ],
    );
    let csv = std::fs::read_to_string(full.join("timeseries.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "tcell")
        .expect("a tcell column");
    let last: Vec<&str> = csv.lines().last().unwrap().split(',').collect();
    assert!(
        last[col].parse::<u32>().unwrap() > 0,
        "T cells present at the snapshot"
    );
    let resumed = dir.join("resumed");
    let snap = full.join("snapshots/snapshot_00000024.olsnap");
    ok(dir, &["resume", s(&snap), "--out", s(&resumed), "-q"]);
    assert_same_run(&full, &resumed);
}

#[test]
fn the_gpu_backend_runs_t_cells() {
    // (tests/gpu_immune.rs holds each GPU kernel to its CPU twin; this is the CLI run.)
    let tmp = tempfile::tempdir().unwrap();
    let text = HOT.replace("duration_days = 6", "duration_days = 1");
    let scene = write_scene(tmp.path(), "hot.toml", &text);
    let out = tmp.path().join("g");
    ok(
        tmp.path(),
        &["run", s(&scene), "--backend", "gpu", "--out", s(&out), "-q"],
    );
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "tcell")
        .expect("a tcell column");
    let last: Vec<&str> = csv.lines().last().unwrap().split(',').collect();
    assert!(
        last[col].parse::<u32>().unwrap() > 0,
        "T cells recruited on the GPU"
    );
}

/// scenes/immune-chemo-anti-pd1.toml, `days` long with a scan every `scan_days`, written
/// into `dir`.
fn chemo_scene(dir: &Path, days: u32, scan_days: f64) -> std::path::PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/immune-chemo-anti-pd1.toml");
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("duration_days = 30", &format!("duration_days = {days}"))
        .replace(
            "scan_every_days = 14.0",
            &format!("scan_every_days = {scan_days:?}"),
        );
    write_scene(dir, "chemo.toml", &text)
}

/// A run whose scans read biomarkers and whose first line a biomarker rule skips
/// resumes exactly: from a snapshot after the baseline (the biomarkers restored with the
/// therapy) and scans read after the resume.
#[test]
fn a_run_with_biomarker_scans_resumes_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = chemo_scene(dir, 4, 1.0);
    let full = dir.join("full");
    let run = [
        "run",
        s(&scene),
        "--backend",
        "cpu",
        "--snapshot-every",
        "1",
        "--out",
        s(&full),
        "-q",
    ];
    ok(dir, &run);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(full.join("summary.json")).unwrap()).unwrap();
    let skipped = &summary["failure"]["lines_skipped"][0];
    assert_eq!(skipped["line"], 1, "{summary}");
    let tps = skipped["value"].as_f64().unwrap();
    assert!(tps < 50.0);
    // scans.csv: a row per daily scan, the baseline's TPS the rule's reading.
    let scans = std::fs::read_to_string(full.join("scans.csv")).unwrap();
    let rows: Vec<Vec<&str>> = scans.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 1 + 4, "{scans}");
    let col = |name: &str| rows[0].iter().position(|h| *h == name).unwrap();
    let baseline = &rows[1];
    assert_eq!(baseline[col("baseline")], "1");
    assert_eq!(baseline[col("line")], "2", "line 1 was skipped");
    let read: f64 = baseline[col("pdl1_tps_percent")].parse().unwrap();
    assert!((read - tps).abs() < 1e-3, "{read} vs {tps}");
    assert_eq!(baseline[col("phenotype")], "desert");
    assert!(rows[1..].iter().all(|r| r.len() == rows[0].len()));
    let resumed = dir.join("resumed");
    let snap = full.join("snapshots/snapshot_00000048.olsnap");
    ok(dir, &["resume", s(&snap), "--out", s(&resumed), "-q"]);
    assert_same_run(&full, &resumed);
}

/// A batch's summary.csv holds each run's baseline biomarkers: two arms of the chemo
/// scene, one with the constitutive PD-L1 clone (TPS ≈ 33 %) and one without (0 %).
#[test]
fn a_batch_reports_the_baseline_biomarkers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = chemo_scene(dir, 1, 14.0);
    let batch = dir.join("b.toml");
    std::fs::write(
        &batch,
        format!(
            "name = \"b\"\nseed = 3\nscene = {:?}\n[[arms]]\nname = \"mixed\"\n[[arms]]\n\
             name = \"negative\"\n[arms.set]\n\"clones[1].traits\" = []\n",
            s(&scene)
        ),
    )
    .unwrap();
    let out = dir.join("out");
    ok(
        dir,
        &["batch", s(&batch), "--out", s(&out), "--backend", "cpu"],
    );
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let col = |name: &str| {
        rows[0]
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no {name}: {csv}"))
    };
    let (arm, tps, phenotype) = (
        col("arm"),
        col("baseline_pdl1_tps_percent"),
        col("baseline_phenotype"),
    );
    assert_eq!(rows.len(), 3, "{csv}");
    for r in &rows[1..] {
        let v: f64 = r[tps].parse().unwrap();
        match r[arm] {
            "mixed" => assert!((25.0..40.0).contains(&v), "{csv}"),
            _ => assert_eq!(v, 0.0, "{csv}"),
        }
        assert_eq!(r[phenotype], "desert");
    }
}
