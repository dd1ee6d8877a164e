//! `scenes/treatment-poor-metaboliser.toml` against
//! `scenes/treatment-ultrarapid-metaboliser.toml`: the same tumour and the same daily
//! dose in two patients whose metaboliser phenotype scales the drug's clearance. The
//! ultra-rapid metaboliser's tumour sees a fraction of the level and progresses; the
//! poor metaboliser's does not. 28 of the scenes' 60 days, CPU backend, their seed.

use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::Simulation;
use oncolattice::output::failure_report::{failure_report, FailureReport};
use oncolattice::scene::Scene;
use std::path::Path;

/// The failure report and the mean plasma level (µM) over the run.
fn run(name: &str) -> (Scene, FailureReport, f64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenes/{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut scene = Scene::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    scene.time.duration_days = 28.0;
    let mut sim = Simulation::new(scene.clone(), Box::new(CpuBackend::new())).expect("simulation");
    while !sim.is_done() {
        sim.step().expect("tick");
        sim.poll(false).expect("poll");
    }
    sim.poll(true).expect("poll");
    let log = sim.therapy_log();
    // Over the first 14 days, while both patients are still dosed.
    let first_two_weeks: Vec<f64> = log.iter().take(14 * 24).map(|t| t.plasma_um[0]).collect();
    let mean = first_two_weeks.iter().sum::<f64>() / first_two_weeks.len() as f64;
    let state = sim.state().expect("state");
    let report = failure_report(&sim, &state).unwrap().expect("a therapy");
    (scene, report, mean)
}

#[test]
fn the_ultrarapid_metaboliser_progresses_and_the_poor_metaboliser_does_not() {
    let (poor_scene, poor, poor_plasma) = run("treatment-poor-metaboliser");
    let (rapid_scene, rapid, rapid_plasma) = run("treatment-ultrarapid-metaboliser");
    // One patient factor apart.
    let mut same = rapid_scene.clone();
    same.name = poor_scene.name.clone();
    same.patient = poor_scene.patient.clone();
    assert_eq!(same, poor_scene, "the scenes differ beyond the patient");
    eprintln!("plasma: poor {poor_plasma:.3} µM, ultra-rapid {rapid_plasma:.3} µM");
    // Clearance × 0.3 against × 2; the poor metaboliser is still accumulating.
    assert!(
        poor_plasma > 3.0 * rapid_plasma,
        "{poor_plasma} vs {rapid_plasma}"
    );
    let failed = rapid.lines[0]
        .failed_day
        .expect("ultra-rapid: the line fails");
    assert!(failed <= 21.0, "ultra-rapid failed at day {failed}");
    assert!(poor.lines[0].failed_day.is_none(), "{:?}", poor.lines[0]);
    // Under-exposure is why the ultra-rapid metaboliser's tumour survived: mostly the
    // whole tumour's (the blood carried too little), the rest far from vessels.
    let at = rapid.lines[0]
        .at_failure
        .as_ref()
        .expect("analysis at failure");
    let f = &at.fractions;
    assert!(
        f.low_systemic_exposure > f.pharmacological_sanctuary
            && f.low_systemic_exposure + f.pharmacological_sanctuary >= 0.95,
        "{at:?}"
    );
}
