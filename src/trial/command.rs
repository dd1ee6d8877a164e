//! `oncolattice trial --survival FILE.csv`: the survival statistics of an `arm,time,event`
//! file (a published arm beside a virtual one, or any other), written as CSV and JSON
//! into a directory with the Kaplan–Meier figure (PNG and SVG), and a short summary for
//! the terminal.

use super::figures::{self, km_figure, FigureError, KmOptions};
use super::report::{
    analyse, arms_csv, at_risk_csv, curves_csv, hazard_ratios_csv, logrank_csv, TrialOptions,
    TrialReport,
};
use super::survival_csv::read_survival_csv;
use super::TrialError;
use crate::output::atomic::{self, WriteError};
use std::path::{Path, PathBuf};

/// The files `write_report` writes, in the order written (`trial.json` last).
pub const FILES: [&str; 8] = [
    "survival_curves.csv",
    "survival_arms.csv",
    "at_risk.csv",
    "logrank.csv",
    "hazard_ratios.csv",
    "km.png",
    "km.svg",
    "trial.json",
];

#[derive(Debug, thiserror::Error)]
pub enum TrialCommandError {
    /// Bad input (exit 2): the file, or what it asks for.
    #[error(transparent)]
    Input(#[from] TrialError),
    #[error(transparent)]
    Figure(#[from] FigureError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("{}: cannot create the output directory: {source}", .path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl TrialCommandError {
    pub fn is_bad_input(&self) -> bool {
        match self {
            TrialCommandError::Input(_) => true,
            TrialCommandError::Figure(e) => e.is_bad_input(),
            _ => false,
        }
    }
}

/// Reads `survival` and writes the report's files into `out`, the Kaplan–Meier figure
/// labelled by `km`; returns the report. Everything is computed and drawn before the
/// first file is written.
pub fn write_report(
    survival: &Path,
    out: &Path,
    options: &TrialOptions,
    km: &KmOptions,
) -> Result<TrialReport, TrialCommandError> {
    let arms = read_survival_csv(survival)?;
    let report = analyse(&arms, options)?;
    let (km_png, km_svg) = figures::encode(&km_figure(&report, km)?)?;
    std::fs::create_dir_all(out).map_err(|source| TrialCommandError::Dir {
        path: out.to_path_buf(),
        source,
    })?;
    let texts = [
        curves_csv(&report).into_bytes(),
        arms_csv(&report).into_bytes(),
        at_risk_csv(&report).into_bytes(),
        logrank_csv(&report).into_bytes(),
        hazard_ratios_csv(&report).into_bytes(),
        km_png,
        km_svg.into_bytes(),
        report.to_json().into_bytes(),
    ];
    for (name, bytes) in FILES.iter().zip(&texts) {
        atomic::write(&out.join(name), bytes)?;
    }
    Ok(report)
}

fn time(t: Option<f64>) -> String {
    t.map_or("NA".into(), |t| format!("{t}"))
}

/// A few lines for the terminal: each arm's median with its CI, the log-rank test and
/// the hazard ratios.
pub fn summary_text(r: &TrialReport) -> String {
    let pct = 100.0 * r.conf_level;
    let mut out = String::new();
    for a in &r.arms {
        out += &format!(
            "{}: n {}, {} events, median {} ({pct}% CI {} to {})\n",
            a.arm,
            a.n,
            a.events,
            time(a.median.time),
            time(a.median.lower),
            time(a.median.upper)
        );
    }
    match (&r.logrank, &r.logrank_error) {
        (Some(l), _) => {
            out += &format!(
                "log-rank: chi-square {:.4} on {} df, p = {:.4e}\n",
                l.chi_square, l.df, l.p_value
            )
        }
        (None, Some(e)) => out += &format!("log-rank: {e}\n"),
        (None, None) => {}
    }
    for h in &r.hazard_ratios {
        match (&h.fit, &h.error) {
            (Some(f), _) => {
                out += &format!(
                    "hazard ratio {} vs {}: {:.4} ({pct}% CI {:.4} to {:.4}), Cox with {} ties\n",
                    h.arm, h.reference, f.hazard_ratio, f.lower, f.upper, f.ties
                )
            }
            (None, Some(e)) => out += &format!("hazard ratio {} vs {}: {e}\n", h.arm, h.reference),
            (None, None) => {}
        }
    }
    out
}
