//! Treatment through the whole tick: the protocol's doses reach the blood through
//! pharmacokinetics, the drug field through perfused vessels, and the cells through
//! pharmacodynamics, on the CPU backend.

use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::{Simulation, TickReport};
use oncolattice::model::counters::Counter;
use oncolattice::model::drug_params::TRAIT_EFFLUX;
use oncolattice::model::site::Kind;
use oncolattice::scene::Scene;
use std::path::Path;

/// A 2D tumour in well-vascularised tissue, treated from the first scan with a
/// docetaxel-like cycle-specific drug: four daily 1 h infusions.
fn scene(extra: &str, with_therapy: bool) -> Scene {
    let therapy = if with_therapy {
        "[therapy]\nscan_every_days = 2\nmeasurable_min_mm = 0.1\ndetection_limit_mm = 0.05\n\
         [[therapy.lines]]\nname = \"taxane\"\n[[therapy.lines.doses]]\ndrug = \"taxane\"\n\
         route = { kind = \"infusion\", duration_h = 1.0 }\ndose = { amount_mg_per_m2 = 75.0 }\n\
         interval_days = 1\ncycles = 4\n"
    } else {
        ""
    };
    let text = format!(
        "seed = 5\n[lattice]\nnx = 80\nny = 80\n[time]\nduration_days = 12\nreport_every_h = 6\n\
         [tumour]\nradius_um = 240.0\n[vessels]\nlayout = \"grid\"\nspacing_um = 200.0\n\
         [cells]\ncycle_mean_h = 18\n\
         [[drugs]]\nname = \"taxane\"\nclass = \"cycle_specific\"\nefflux_substrate = true\n\
         emax_per_h = 0.15\nic50_um = 0.01\n\
         [drugs.pk]\nmolecular_weight_g_per_mol = 807.9\nclearance_l_per_h = 38.0\n\
         central_volume_l = 10.0\nperipheral_volume_l = 100.0\nintercompartmental_clearance_l_per_h = 10.0\n\
         {extra}{therapy}"
    );
    Scene::parse(&text, Path::new("therapy.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn run(scene: Scene) -> (Simulation, Vec<TickReport>) {
    let mut sim = Simulation::new(scene, Box::new(CpuBackend::new())).expect("simulation");
    let mut reports = vec![sim.report_now().expect("census")];
    while !sim.is_done() {
        sim.step().expect("tick");
        reports.extend(sim.poll(false).expect("poll"));
    }
    reports.extend(sim.poll(true).expect("poll"));
    (sim, reports)
}

#[test]
fn doses_follow_the_schedule_and_plasma_the_pharmacokinetics() {
    let (sim, _) = run(scene("", true));
    let log = sim.therapy_log();
    assert_eq!(log.len() as u64, sim.total_ticks());
    let dosed: Vec<u64> = log
        .iter()
        .filter(|t| t.doses_mg[0] > 0.0)
        .map(|t| t.tick)
        .collect();
    // The baseline scan at tick 0 starts the line: four daily doses.
    assert_eq!(dosed, vec![0, 24, 48, 72]);
    // 75 mg/m² for the reference patient's 1.818 m².
    let bsa = (170.0f64 * 70.0 / 3600.0).sqrt();
    assert!((log[0].doses_mg[0] - 75.0 * bsa).abs() < 1e-9);
    // During the infusion hour the plasma level is micromolar; 23 h later far lower.
    let peak = log[0].plasma_um[0];
    assert!(peak > 1.0 && peak < 50.0, "peak {peak} µM");
    let later = log[23].plasma_um[0];
    assert!(later < 0.1 * peak && later > 0.0, "23 h: {later} µM");
    // Scans every 2 days, the first being the baseline, until the line fails on
    // regrowth after the course; with no second line, treatment then ends.
    let scans: Vec<u64> = log
        .iter()
        .filter_map(|t| t.scan.as_ref().map(|s| s.tick))
        .collect();
    assert!(
        scans.len() >= 3 && scans.iter().enumerate().all(|(k, &t)| t == 48 * k as u64),
        "{scans:?}"
    );
    assert!(log[0].scan.as_ref().unwrap().baseline);
    let responses: Vec<_> = log
        .iter()
        .filter_map(|t| t.scan.as_ref().and_then(|s| s.response))
        .collect();
    // Partial response (≥ 30 % smaller diameter) under the course, then progression over
    // the nadir once it ends, which fails the line.
    use oncolattice::model::protocol::{Event, Response};
    assert_eq!(responses.first(), Some(&Response::Pr), "{responses:?}");
    assert_eq!(responses.last(), Some(&Response::Pd), "{responses:?}");
    assert!(log
        .iter()
        .flat_map(|t| &t.events)
        .any(|e| matches!(e, Event::LineFailed { .. })));
}

#[test]
fn treatment_shrinks_the_tumour_that_grows_untreated() {
    let (_, treated) = run(scene("", true));
    let (_, untreated) = run(scene("", false));
    // Day 4, the end of the course (reports every 6 h).
    let live = |r: &[TickReport]| r[16].census.tumour_live();
    assert_eq!(treated[16].tick, 96);
    let start = treated[0].census.tumour_live();
    assert!(
        live(&untreated) > start,
        "untreated {} from {start}",
        live(&untreated)
    );
    assert!(
        live(&treated) * 2 < live(&untreated),
        "treated {} untreated {}",
        live(&treated),
        live(&untreated)
    );
    // The drug reached the tumour: mean level over live cells at the first report.
    assert!(
        treated[1].census.drug_mean_um(0) > 0.01,
        "{:?}",
        treated[1].census
    );
}

#[test]
fn efflux_clone_survives_a_substrate_drug() {
    let clones = "[[clones]]\nfraction = 0.8\n[[clones]]\nfraction = 0.2\ntraits = [\"efflux\"]\n";
    let (mut sim, reports) = run(scene(clones, true));
    let first = reports[0].census;
    let last = reports[16].census;
    let share = |c: &oncolattice::model::census::Census| {
        c.count(Counter::TraitEfflux) as f64 / c.tumour_live().max(1) as f64
    };
    assert!(share(&first) > 0.1 && share(&first) < 0.3, "{first:?}");
    // Competitive release: the pump clone takes over under treatment.
    assert!(
        share(&last) > 2.0 * share(&first),
        "efflux share {} -> {}",
        share(&first),
        share(&last)
    );
    let state = sim.state().expect("state");
    let pumps = state
        .sites
        .iter()
        .filter(|s| s.kind() == Kind::Tumour && s.w3 & TRAIT_EFFLUX != 0)
        .count();
    assert_eq!(
        pumps as u32,
        reports.last().unwrap().census.count(Counter::TraitEfflux)
    );
}

/// Each live cell's mean intracellular level over `hours` of treatment (µM), with its
/// distance in sites to the nearest perfused vessel.
fn exposure_by_distance(scene: &Scene, sim: &mut Simulation, hours: f64) -> Vec<(f64, f64)> {
    let state = sim.state().expect("state");
    let grid = oncolattice::model::lattice::Grid::from_scene(scene);
    let vessels: Vec<[u32; 3]> = (0..state.sites.len() as u32)
        .filter(|&i| {
            let s = state.sites[i as usize];
            s.kind() == Kind::Vessel && s.perfusion() > 0.0
        })
        .map(|i| grid.coords(i))
        .collect();
    let scale = oncolattice::model::drug_params::AUC_SCALE_PER_UM_H;
    (0..state.sites.len() as u32)
        .filter(|&i| state.sites[i as usize].kind() == Kind::Tumour)
        .map(|i| {
            let c = grid.coords(i);
            let d = vessels
                .iter()
                .map(|v| (v[0] as f64 - c[0] as f64).hypot(v[1] as f64 - c[1] as f64))
                .fold(f64::INFINITY, f64::min);
            (d, state.exposure[i as usize] as f64 / scale / hours)
        })
        .collect()
}

#[test]
fn exposure_falls_with_distance_from_perfused_vessels() {
    // Sparse rigid vessels (so distances measured at the end held throughout), two days
    // of daily doses: the mean intracellular level falls with distance from a vessel.
    let mut sc = scene("", true);
    sc.time.duration_days = 2.0;
    sc.vessels.layout = oncolattice::scene::VesselLayout::Random;
    sc.vessels.density = 0.01;
    sc.vessels.compression_onset = 1.0;
    sc.vessels.compression_collapse = 1.0;
    let (mut sim, _) = run(sc.clone());
    let cells = exposure_by_distance(&sc, &mut sim, 48.0);
    let mean = |lo: f64, hi: f64| {
        let v: Vec<f64> = cells
            .iter()
            .filter(|(d, _)| *d >= lo && *d < hi)
            .map(|(_, e)| *e)
            .collect();
        assert!(v.len() > 5, "only {} cells in [{lo}, {hi})", v.len());
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (near, mid, far) = (mean(0.0, 1.5), mean(1.5, 3.0), mean(4.0, 100.0));
    eprintln!("mean level: near {near} µM, 1.5–3 sites {mid} µM, ≥ 4 sites {far} µM");
    assert!(
        near > mid && mid > far,
        "near {near}, mid {mid}, far {far} µM"
    );
    assert!(near > 1.5 * far, "near {near} µM, far {far} µM");
}

#[test]
fn collapsing_vessels_cut_the_drug_reaching_the_tumour() {
    // The same treated tumour with and without vessel compression: with it, vessels
    // inside the tumour lose flow and the tumour's cells see less drug.
    let mut base = scene("", true);
    base.vessels.layout = oncolattice::scene::VesselLayout::Random;
    base.vessels.density = 0.03;
    let mut rigid = base.clone();
    rigid.vessels.compression_onset = 1.0;
    rigid.vessels.compression_collapse = 1.0;
    let (mut sim_c, compressible) = run(base);
    let (mut sim_r, rigid) = run(rigid);
    let flow = |sim: &mut Simulation| -> f64 {
        let state = sim.state().expect("state");
        state
            .sites
            .iter()
            .filter(|s| s.kind() == Kind::Vessel)
            .map(|s| s.perfusion() as f64)
            .sum()
    };
    let (flow_c, flow_r) = (flow(&mut sim_c), flow(&mut sim_r));
    assert!(
        flow_c < 0.95 * flow_r,
        "total perfusion {flow_c} vs {flow_r}"
    );
    let at = 4; // day 1, while the drug is given
    let (c, r) = (compressible[at].census, rigid[at].census);
    assert!(
        c.drug_mean_um(0) < 0.9 * r.drug_mean_um(0),
        "tissue level {} vs {}",
        c.drug_mean_um(0),
        r.drug_mean_um(0)
    );
}
