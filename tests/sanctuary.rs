//! `scenes/treatment-sanctuary.toml`: a poorly perfused tumour. Its surviving cells are
//! out of the drug's reach (pharmacological sanctuary: their exposure is below a tenth
//! of the plasma's), far more of them than in the same tumour among well-perfused
//! vessels. 14 of the scene's 40 days, CPU backend, its seed.

mod scene_runs;

use scene_runs::{run_to_end, shipped};

#[test]
fn poor_perfusion_makes_a_pharmacological_sanctuary() {
    let mut poor = shipped("treatment-sanctuary");
    poor.time.duration_days = 14.0;
    // The same tumour among the vessels of the other treatment scenes: 2 % of the
    // sites, full flow.
    let mut good = poor.clone();
    good.vessels.density = 0.02;
    good.vessels.perfusion = 1.0;
    good.vessels.perfusion_spread = 0.0;
    let (poor, good) = (run_to_end(poor).report, run_to_end(good).report);
    eprintln!(
        "poorly perfused: {}\nwell perfused: {}",
        poor.sentence, good.sentence
    );
    assert!(poor.surviving_cells >= 20, "{}", poor.sentence);
    let (p, g) = (
        poor.fractions.pharmacological_sanctuary,
        good.fractions.pharmacological_sanctuary,
    );
    assert!(p >= 0.9, "poorly perfused: {:?}", poor.fractions);
    assert!(
        p >= g + 0.2,
        "sanctuary share {p} vs {g} with good perfusion"
    );
}
