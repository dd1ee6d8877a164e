//! `oncolattice trial DIR`: the survival and response statistics of a batch directory's
//! arms (gathered by `batch::trial_input`), written as `trial --survival` writes them,
//! plus the response rates, a waterfall plot of each patient's best change in tumour
//! size and a swimmer plot of the time on each line of therapy.

use super::command::{TrialCommandError, FILES};
use super::figures::{
    self, km_figure, swimmer_figure, waterfall_figure, KmOptions, SwimmerLane, SwimmerOptions,
    WaterfallBar, WaterfallOptions,
};
use super::report::{analyse, responses_csv, TrialOptions, TrialReport};
use super::{Arm, BestResponse};
use crate::output::atomic;
use std::path::Path;

/// What a batch's trial is computed and drawn from.
#[derive(Debug, Clone, Default)]
pub struct BatchTrialData {
    /// Progression-free survival per arm.
    pub arms: Vec<Arm>,
    /// Best overall responses per arm, `None` for a patient not evaluable.
    pub responses: Vec<(String, Vec<Option<BestResponse>>)>,
    /// One bar per patient with a scan after baseline.
    pub waterfall: Vec<WaterfallBar>,
    /// One lane per patient.
    pub swimmer: Vec<SwimmerLane>,
}

pub const RESPONSES_CSV: &str = "responses.csv";
pub const WATERFALL: &str = "waterfall";
pub const SWIMMER: &str = "swimmer";

/// Analyses `data` and writes every table and figure into `out` (`trial.json` last);
/// returns the report and the names of the files written. Everything is computed and
/// drawn before the first file is written.
pub fn write(
    data: &BatchTrialData,
    out: &Path,
    options: &TrialOptions,
    km: &KmOptions,
) -> Result<(TrialReport, Vec<String>), TrialCommandError> {
    let mut report = analyse(&data.arms, options)?;
    for (arm, r) in data.responses.iter().filter(|(_, r)| !r.is_empty()) {
        report.add_responses(arm, r)?;
    }
    let km = KmOptions {
        time_unit: Some(km.time_unit.clone().unwrap_or_else(|| "days".into())),
        ..km.clone()
    };
    let mut files: Vec<(String, Vec<u8>)> = FILES[..5]
        .iter()
        .zip([
            super::report::curves_csv(&report),
            super::report::arms_csv(&report),
            super::report::at_risk_csv(&report),
            super::report::logrank_csv(&report),
            super::report::hazard_ratios_csv(&report),
        ])
        .map(|(name, text)| (name.to_string(), text.into_bytes()))
        .collect();
    files.push((RESPONSES_CSV.into(), responses_csv(&report).into_bytes()));
    let mut figure = |stem: &str, (png, svg): (Vec<u8>, String)| {
        files.push((format!("{stem}.png"), png));
        files.push((format!("{stem}.svg"), svg.into_bytes()));
    };
    figure("km", figures::encode(&km_figure(&report, &km)?)?);
    if !data.waterfall.is_empty() {
        let w = waterfall_figure(&data.waterfall, &WaterfallOptions::default())?;
        figure(WATERFALL, figures::encode(&w)?);
    }
    if !data.swimmer.is_empty() {
        let s = swimmer_figure(&data.swimmer, &SwimmerOptions::default())?;
        figure(SWIMMER, figures::encode(&s)?);
    }
    files.push((FILES[FILES.len() - 1].into(), report.to_json().into_bytes()));
    std::fs::create_dir_all(out).map_err(|source| TrialCommandError::Dir {
        path: out.to_path_buf(),
        source,
    })?;
    for (name, bytes) in &files {
        atomic::write(&out.join(name), bytes)?;
    }
    Ok((report, files.into_iter().map(|(n, _)| n).collect()))
}
