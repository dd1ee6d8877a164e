//! `scenes/treatment-second-line.toml`: a sensitive tumour acquires a target mutation
//! against the first line (erlotinib), progresses, and responds to the second line
//! (osimertinib). Run on a smaller lattice with the scene's own seed, on the CPU
//! backend: deterministic.

mod scene_runs;

use oncolattice::model::site::Kind;
use oncolattice::scene::Scene;
use scene_runs::{run_to_end, shipped};

fn scene() -> Scene {
    let mut scene = shipped("treatment-second-line");
    scene.lattice.nx = 100;
    scene.lattice.ny = 100;
    scene.time.duration_days = 42.0;
    scene
}

#[test]
fn acquired_resistance_fails_the_first_line_and_the_second_line_responds() {
    let scene = scene();
    assert!(
        scene.clones.len() <= 1,
        "the tumour starts without resistant clones"
    );
    let run = run_to_end(scene);
    let (state, report) = (run.state, run.report);
    eprintln!("{}", report.sentence);
    assert_eq!(report.failed_line, Some(1));
    let first = &report.lines[0];
    let failed_day = first.failed_day.expect("the first line failed");
    assert!(failed_day <= 28.0, "first line failed at day {failed_day}");
    // When it failed, the survivors had acquired an altered erlotinib target: born of a
    // mutation after the first dose, not present at the start.
    let at = first.at_failure.as_ref().expect("analysis at failure");
    assert!(at.surviving_cells >= 50, "{at:?}");
    assert!(at.fractions.acquired_target >= 0.9, "{at:?}");
    assert_eq!(at.fractions.pre_existing_target, 0.0);
    // The clones that carry it were founded under treatment.
    let l = &state.lineage;
    assert!(l.clones.len() > 1);
    assert!(l.clones[1..]
        .iter()
        .all(|c| c.birth_tick > 0 && c.traits & 1 == 1));
    // The second line (osimertinib) responds: at the end the tumour is at most a tenth of
    // what it was when the first line failed, and no line after the first has failed.
    let second = &report.lines[1];
    assert!(second.failed_day.is_none(), "{second:?}");
    let live = state
        .sites
        .iter()
        .filter(|s| s.kind() == Kind::Tumour)
        .count() as u64;
    assert!(live * 10 <= at.surviving_cells, "{live} live at the end");
    assert!(
        report.sentence.contains("When it failed:"),
        "{}",
        report.sentence
    );
}
