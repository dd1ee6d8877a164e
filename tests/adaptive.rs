//! `scenes/treatment-mtd.toml` against `scenes/treatment-adaptive.toml`: the same
//! tumour with a 2 % pre-existing resistant clone, dosed every day or adaptively.
//! Continuous dosing releases the resistant clone (competitive release); adaptive
//! dosing keeps sensitive cells competing and fails later. The shipped scenes run for
//! 42 days instead of 60, on the CPU backend with their own seed: deterministic.

mod scene_runs;

use oncolattice::output::failure_report::FailureReport;
use oncolattice::scene::Scene;
use scene_runs::{run_to_end, shipped};

fn run(mut scene: Scene) -> FailureReport {
    scene.time.duration_days = 42.0;
    run_to_end(scene).report
}

#[test]
fn adaptive_dosing_outlasts_continuous_dosing() {
    let (mtd, adaptive) = (shipped("treatment-mtd"), shipped("treatment-adaptive"));
    // The same tumour and drug: only the protocol differs.
    let mut same = adaptive.clone();
    same.name = mtd.name.clone();
    same.therapy = mtd.therapy.clone();
    assert_eq!(same, mtd, "the two scenes differ beyond name and protocol");

    let continuous = run(mtd);
    let line = &continuous.lines[0];
    let failed = line.failed_day.expect("continuous dosing fails");
    assert!(failed <= 21.0, "continuous dosing failed at day {failed}");
    // Competitive release: the survivors at failure carry the pre-existing target.
    let at = line.at_failure.as_ref().expect("analysis at failure");
    assert!(at.fractions.pre_existing_target >= 0.8, "{at:?}");

    let adaptive = run(adaptive);
    let adaptive_failed = adaptive.lines[0].failed_day.unwrap_or(f64::INFINITY);
    eprintln!("continuous: day {failed}; adaptive: day {adaptive_failed}");
    assert!(
        adaptive_failed >= 1.5 * failed && adaptive_failed >= failed + 14.0,
        "adaptive failed at day {adaptive_failed}, continuous at {failed}"
    );
}
