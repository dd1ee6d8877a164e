//! A signalling factor (`[[factors]]`) end to end: its steady state against the
//! analytic one, secretion gated by the cells' state, the GPU sweep against the CPU
//! twin with every kind of source and sink, and exact resume through a snapshot.

mod gpu_common;

use gpu_common::{context, garbage_sites, random_sites, Rand};
use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::gpu::GpuBackend;
use oncolattice::engine::{Backend, KernelIo, Pass, Simulation, TickReport};
use oncolattice::model::census::Census;
use oncolattice::model::counters::Counter;
use oncolattice::model::drug_params::{pd_tables, DrugSet};
use oncolattice::model::fields;
use oncolattice::model::lineage::Lineage;
use oncolattice::model::params::{FieldParams, SimParams, SweepParams};
use oncolattice::scene::Scene;
use std::path::Path;
use std::process::Command;

const SECRETION: f64 = 0.6;
const DECAY: f64 = 0.02;

/// A 24 × 24 lattice filled with tumour cells that never die in the first ticks, with
/// oxygen held at the boundary (`o2_boundary`) and a factor made by the cells of
/// `state` and lost by decay only.
fn filled(o2_boundary: f64, state: &str) -> Scene {
    let text = format!(
        "seed = 5\n[lattice]\nnx = 24\nny = 24\n[time]\ntick_h = 1.0\nduration_days = 1\n\
         report_every_h = 1.0\n[tumour]\ncell_count = 576\n[vessels]\nlayout = \"none\"\n\
         [oxygen]\nboundary_mmhg = {o2_boundary}\nuptake_mmhg_per_min = 1.0\n\
         [cells]\napoptosis_per_h = 0.0\nanoxic_duration_h = 48.0\n\
         [[factors]]\nname = \"signal\"\nunit = \"nM\"\ndiffusion_um2_per_min = 200.0\n\
         decay_per_min = {DECAY}\ntolerance = 1e-7\n[[factors.sources]]\nkind = \"tumour\"\n\
         state = \"{state}\"\nsecretion_per_min = {SECRETION}\n"
    );
    Scene::parse(&text, Path::new("factor.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// The reports of the first `ticks` ticks (tick 0 included) on `backend`.
fn reports(scene: &Scene, backend: Box<dyn Backend>, ticks: u64) -> Vec<TickReport> {
    let mut sim = Simulation::new(scene.clone(), backend).expect("simulation");
    let mut out = vec![sim.report_now().expect("tick 0")];
    for _ in 0..ticks {
        sim.step().expect("tick");
    }
    out.extend(sim.poll(true).expect("reports"));
    out
}

fn factor_means(scene: &Scene, r: &TickReport) -> (f64, f64) {
    let f = fields::factor_field(0, 0);
    let scale = fields::list(scene)[f].census_scale;
    (
        r.census.field_mean(f, scale, scene.site_count()),
        r.census.field_tumour_mean(f, scale),
    )
}

#[test]
fn a_uniform_source_with_decay_reaches_its_analytic_steady_state() {
    // Every site secretes S and loses k·c, and no flux leaves: c = S/k everywhere.
    let scene = filled(100.0, "any");
    let expected = SECRETION / DECAY;
    for (name, backend) in [
        ("cpu", Box::new(CpuBackend::new()) as Box<dyn Backend>),
        (
            "gpu",
            Box::new(GpuBackend::new(context(), &scene).expect("GPU backend")),
        ),
    ] {
        let r = reports(&scene, backend, 2);
        for report in &r {
            assert_eq!(
                report.census.tumour_live(),
                576,
                "{name}: the lattice is full"
            );
            let (mean, tumour) = factor_means(&scene, report);
            assert!(
                (mean - expected).abs() < 1e-4 * expected,
                "{name} tick {}: mean {mean}, expected {expected}",
                report.tick
            );
            assert!((tumour - mean).abs() < 1e-9, "{name}: {tumour} vs {mean}");
        }
    }
}

#[test]
fn secretion_gated_by_hypoxia_follows_the_cells_state() {
    // Plenty of oxygen: no cell is hypoxic, so nothing is made.
    let scene = filled(100.0, "hypoxic");
    let r = reports(&scene, Box::new(CpuBackend::new()), 2);
    for report in &r {
        assert_eq!(report.census.count(Counter::Quiescent), 0);
        assert_eq!(factor_means(&scene, report).0, 0.0);
    }
    // No oxygen: after the first cells pass every cell is hypoxic (quiescent), and
    // from the next solve on every site secretes.
    let scene = filled(0.0, "hypoxic");
    let r = reports(&scene, Box::new(CpuBackend::new()), 3);
    assert_eq!(
        factor_means(&scene, &r[0]).0,
        0.0,
        "tick 0: no cell is hypoxic yet"
    );
    let last = r.last().expect("reports");
    assert_eq!(last.census.count(Counter::Quiescent), 576);
    let (mean, _) = factor_means(&scene, last);
    let expected = SECRETION / DECAY;
    assert!((mean - expected).abs() < 1e-4 * expected, "{mean}");
}

#[test]
fn the_gpu_sweep_of_a_factor_matches_the_cpu_twin() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/hypoxia-vegf.toml"),
    )
    .expect("scene");
    let text = text
        .replace("nx = 120", "nx = 37")
        .replace("ny = 120", "ny = 29");
    let scene = Scene::parse(&text, Path::new("hypoxia-vegf.toml")).expect("scene");
    let fields = FieldParams::all(&scene, &[]);
    let f = fields::factor_field(0, 0);
    assert_eq!(
        fields[f].n_terms, 2,
        "secretion by hypoxic cells and binding at vessels"
    );
    let sim = SimParams::from_scene(&scene);
    let n = scene.site_count() as usize;
    let mut cpu = CpuBackend::new();
    let mut gpu = GpuBackend::new(context(), &scene).expect("GPU backend");
    let drugs = DrugSet::from_scene(&scene);
    cpu.configure_drugs(&drugs, &pd_tables(&scene))
        .expect("cpu");
    gpu.configure_drugs(&drugs, &pd_tables(&scene))
        .expect("gpu");
    let mut r = Rand(8);
    let slots = fields[0].max_sweeps as usize * fields.len();
    let mut changed = 0;
    for colour in 0..2 {
        let io = KernelIo {
            src: random_sites(&mut r, n, sim.anoxic_ticks),
            dst: garbage_sites(&mut r, n),
            wish: vec![0; n],
            conc: (0..n * fields.len()).map(|_| r.f32_in(0.0, 30.0)).collect(),
            residual: vec![0; slots],
            census: Census::CLEARED,
            exposure: Vec::new(),
            lineage: Lineage::initial(&[0]).to_words(),
        };
        let sweep = SweepParams {
            colour,
            index: 0,
            field: f as u32,
            residual_slot: (f * fields[0].max_sweeps as usize) as u32,
        };
        let (mut c, mut g) = (io.clone(), io.clone());
        cpu.run_pass(Pass::FieldSweep, &sim, &fields, &sweep, &mut c)
            .expect("cpu sweep");
        gpu.run_pass(Pass::FieldSweep, &sim, &fields, &sweep, &mut g)
            .expect("gpu sweep");
        for i in f * n..(f + 1) * n {
            let (a, b) = (c.conc[i], g.conc[i]);
            assert!(
                (a - b).abs() <= 1e-5 * a.abs().max(1.0),
                "site {i}: cpu {a} gpu {b}"
            );
            changed += (a != io.conc[i]) as usize;
        }
        // Other fields are untouched by a sweep of this one.
        assert_eq!(c.conc[..f * n], io.conc[..f * n]);
        assert_eq!(g.conc[..f * n], io.conc[..f * n]);
    }
    assert!(changed > n / 2, "the sweeps changed {changed} values");
}

#[test]
fn a_run_with_a_factor_resumes_to_the_same_bytes() {
    let bin = env!("CARGO_BIN_EXE_oncolattice");
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/hypoxia-vegf.toml");
    let tmp = tempfile::tempdir().expect("tempdir");
    let whole = tmp.path().join("whole");
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().expect("oncolattice");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let s = scene.to_str().expect("path");
    let w = whole.to_str().expect("path");
    let days = ["--days", "2", "--snapshot-every", "1", "--backend", "cpu"];
    run(&[&["run", s, "--out", w, "-q", "--no-plots"][..], &days[..]].concat());
    let snap = whole.join("snapshots/snapshot_00000024.olsnap");
    let resumed = tmp.path().join("resumed");
    run(&[
        "resume",
        snap.to_str().expect("path"),
        "--out",
        resumed.to_str().expect("path"),
        "-q",
    ]);
    for file in ["timeseries.csv", "summary.json", "lineage.csv"] {
        let a = std::fs::read(whole.join(file)).expect(file);
        let b = std::fs::read(resumed.join(file)).expect(file);
        assert!(a == b, "{file} differs after resume");
    }
    let csv = String::from_utf8(std::fs::read(whole.join("timeseries.csv")).expect("csv"))
        .expect("utf-8");
    let header: Vec<&str> = csv.lines().next().expect("header").split(',').collect();
    let col = header
        .iter()
        .position(|c| *c == "tumour_vegf")
        .expect("tumour_vegf column");
    let last: f64 = csv
        .lines()
        .last()
        .expect("row")
        .split(',')
        .nth(col)
        .expect("value")
        .parse()
        .expect("number");
    assert!(
        last > 0.1,
        "hypoxic cells made VEGF: {last} pM at the tumour"
    );
}
