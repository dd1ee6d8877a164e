//! `oncolattice trial DIR`: the survival and response statistics of a batch directory's
//! arms (read by `batch::trial_input`), written as CSV and JSON like `trial --survival`,
//! plus the response rates.

use super::command::{TrialCommandError, FILES};
use super::report::{analyse, responses_csv, TrialOptions, TrialReport};
use super::{Arm, BestResponse};
use crate::output::atomic;
use std::path::Path;

/// The responses table `write` adds to the `trial --survival` files.
pub const RESPONSES_CSV: &str = "responses.csv";

/// Analyses `arms` with the arms' `responses` and writes every table into `out`;
/// returns the report and the names of the files written.
pub fn write(
    arms: &[Arm],
    responses: &[(String, Vec<BestResponse>)],
    out: &Path,
    options: &TrialOptions,
) -> Result<(TrialReport, Vec<&'static str>), TrialCommandError> {
    let mut report = analyse(arms, options)?;
    for (arm, r) in responses.iter().filter(|(_, r)| !r.is_empty()) {
        report.add_responses(arm, r)?;
    }
    std::fs::create_dir_all(out).map_err(|source| TrialCommandError::Dir {
        path: out.to_path_buf(),
        source,
    })?;
    let texts = [
        super::report::curves_csv(&report),
        super::report::arms_csv(&report),
        super::report::at_risk_csv(&report),
        super::report::logrank_csv(&report),
        super::report::hazard_ratios_csv(&report),
    ];
    let mut written = Vec::new();
    for (name, text) in FILES.iter().zip(&texts) {
        atomic::write(&out.join(name), text.as_bytes())?;
        written.push(*name);
    }
    atomic::write(&out.join(RESPONSES_CSV), responses_csv(&report).as_bytes())?;
    written.push(RESPONSES_CSV);
    // trial.json last, as `trial --survival` writes it.
    let json = FILES[FILES.len() - 1];
    atomic::write(&out.join(json), report.to_json().as_bytes())?;
    written.push(json);
    Ok((report, written))
}
