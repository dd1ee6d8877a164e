//! The combination scenes: `scenes/treatment-combination.toml` (osimertinib +
//! tepotinib) and its two monotherapy arms, the same tumour given one drug each. Each
//! drug alone releases the pre-existing clone that resists it; together each kills the
//! clone that resists the other. The arms run here on a smaller lattice for fewer days,
//! on the CPU backend, with the scenes' own seed: deterministic.

mod scene_runs;

use oncolattice::model::site::Kind;
use oncolattice::output::failure_report::FailureReport;
use oncolattice::scene::Scene;
use scene_runs::{run_to_end, shipped};

const COMBINATION: &str = "treatment-combination";
const MONO_OSIMERTINIB: &str = "treatment-combination-mono-osimertinib";
const MONO_TEPOTINIB: &str = "treatment-combination-mono-tepotinib";

/// Days the small arms run: five weekly scans after the baseline.
const SMALL_DAYS: f64 = 35.0;

/// The shipped scene on 100 × 100 sites (2 mm, the same 300 µm tumour) for 35 days.
fn small(name: &str) -> Scene {
    let mut scene = shipped(name);
    scene.lattice.nx = 100;
    scene.lattice.ny = 100;
    scene.time.duration_days = SMALL_DAYS;
    scene
}

struct Outcome {
    report: FailureReport,
    live: u64,
    /// Live cells carrying the altered target of drug d (trait bit d).
    resistant_to: [u64; 2],
}

impl Outcome {
    fn ttp(&self) -> Option<f64> {
        self.report.lines[0].time_to_progression_days
    }

    /// Share of the live cells that resist drug `d`.
    fn share_resistant_to(&self, d: usize) -> f64 {
        self.resistant_to[d] as f64 / self.live.max(1) as f64
    }
}

fn run(scene: Scene) -> Outcome {
    let run = run_to_end(scene);
    let (state, report) = (run.state, run.report);
    let live: Vec<u32> = state
        .sites
        .iter()
        .filter(|s| s.kind() == Kind::Tumour)
        .map(|s| s.w3)
        .collect();
    let resistant_to = [0, 1].map(|d| live.iter().filter(|&&w3| w3 & (1 << d) != 0).count() as u64);
    assert_eq!(report.surviving_cells, live.len() as u64);
    Outcome {
        report,
        live: live.len() as u64,
        resistant_to,
    }
}

#[test]
fn the_three_arms_differ_only_in_the_drugs_given() {
    let combination = shipped(COMBINATION);
    let mono = [shipped(MONO_OSIMERTINIB), shipped(MONO_TEPOTINIB)];
    // Drug d is osimertinib (0) or tepotinib (1), the trait bit of its resistant clone.
    let names: Vec<&str> = combination.drugs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["osimertinib", "tepotinib"]);
    let lines = |s: &Scene| s.therapy.as_ref().expect("therapy").lines.clone();
    let given = lines(&combination)[0].doses.clone();
    assert_eq!(given.len(), 2);
    for (d, arm) in mono.iter().enumerate() {
        // One line giving exactly the combination's schedule of drug d.
        let arm_lines = lines(arm);
        assert_eq!(arm_lines.len(), 1);
        assert_eq!(arm_lines[0].doses, [given[d].clone()], "{}", arm.name);
        // Everything else (seed, lattice, vessels, tumour, clones, drugs, resistance,
        // scans) is the combination's.
        let mut same = arm.clone();
        same.name = combination.name.clone();
        same.therapy.as_mut().unwrap().lines = lines(&combination);
        assert_eq!(same, combination, "{}", arm.name);
    }
}

#[test]
fn the_combination_outlasts_either_drug_alone() {
    let combination = run(small(COMBINATION));
    let mono = [run(small(MONO_OSIMERTINIB)), run(small(MONO_TEPOTINIB))];
    for (d, arm) in mono.iter().enumerate() {
        // Each drug alone: RECIST progression within four weeks, by the clone that
        // resists it: at least 90 % of the surviving cells carry that drug's altered
        // target (3 % of the tumour at the start), which the failure analysis reports as
        // pre-existing target resistance.
        let ttp = arm.ttp();
        assert!(
            ttp.is_some_and(|t| t <= 28.0),
            "drug {d}: time to progression {ttp:?}, {}",
            arm.report.sentence
        );
        assert_eq!(arm.report.failed_line, Some(1));
        assert!(
            arm.share_resistant_to(d) >= 0.9,
            "drug {d}: {} of {} live cells resist it",
            arm.resistant_to[d],
            arm.live
        );
        assert!(
            arm.report.fractions.pre_existing_target >= 0.9,
            "drug {d}: {:?}",
            arm.report.fractions
        );
        // The clone that resists the other drug is killed by this one.
        assert!(
            arm.share_resistant_to(1 - d) < 0.05,
            "drug {d}: {} of {} live cells resist the other drug",
            arm.resistant_to[1 - d],
            arm.live
        );
        assert!(arm.live >= 300, "drug {d}: {} live cells", arm.live);
    }
    // Together: no progression within the run, and at the end at most a tenth of the
    // tumour burden of either arm (here every cell is killed: no cell resists both).
    assert_eq!(
        combination.ttp(),
        None,
        "combination: {}",
        combination.report.sentence
    );
    assert_eq!(combination.report.failed_line, None);
    for (d, arm) in mono.iter().enumerate() {
        assert!(
            combination.live * 10 <= arm.live,
            "combination {} live cells, drug {d} alone {}",
            combination.live,
            arm.live
        );
    }
    assert_eq!(
        combination.resistant_to,
        [0, 0],
        "resistant clones survived the combination"
    );
}
