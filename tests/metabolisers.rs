//! `scenes/treatment-poor-metaboliser.toml` against
//! `scenes/treatment-ultrarapid-metaboliser.toml`: the same tumour and the same daily
//! dose in two patients whose metaboliser phenotype scales the drug's clearance. The
//! ultra-rapid metaboliser's tumour sees a fraction of the level and progresses; the
//! poor metaboliser's does not. 28 of the scenes' 60 days, CPU backend, their seed.

mod scene_runs;

use oncolattice::output::failure_report::FailureReport;
use oncolattice::scene::Scene;
use scene_runs::{run_to_end, shipped};

/// The scene, its failure report and the mean plasma level (µM) over its first two
/// weeks, while both patients are still dosed.
fn run(name: &str) -> (Scene, FailureReport, f64) {
    let mut scene = shipped(name);
    scene.time.duration_days = 28.0;
    let run = run_to_end(scene.clone());
    let first_two_weeks: Vec<f64> = run
        .sim
        .therapy_log()
        .iter()
        .take(14 * 24)
        .map(|t| t.plasma_um[0])
        .collect();
    let mean = first_two_weeks.iter().sum::<f64>() / first_two_weeks.len() as f64;
    (scene, run.report, mean)
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
