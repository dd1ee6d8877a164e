//! One run's line of a batch's `summary.csv`, and the record a finished run leaves in
//! `done/` (the row, the lines of therapy for the swimmer plot, and its timing).
//!
//! Every cell depends on the simulation alone (the run's scene, seed and backend), so
//! a batch killed and re-run, or run in shards and merged, writes the same bytes as one
//! run straight through. Wall-clock figures go to `performance.csv` instead (the
//! batch's counterpart of a run's performance.json).

use crate::model::biomarkers::Biomarkers;
use crate::model::failure::FailureFractions;
use crate::model::protocol::Biomarker;
use crate::output::{Performance, Summary};
use serde::{Deserialize, Serialize};

/// Whether a run finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Failed => "failed",
        }
    }
}

/// One line of therapy as the swimmer plot draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineSpan {
    pub name: String,
    pub started_day: f64,
    /// The day treatment moved on, or the end of the simulation for the last line.
    pub ended_day: f64,
    pub progressed_day: Option<f64>,
    /// The day the line was given up for progression, if it was.
    #[serde(default)]
    pub failed_day: Option<f64>,
    /// RECIST abbreviation (CR, PR, SD, PD) of the best overall response.
    pub best_response: Option<String>,
    /// Best change of the diameter from the line's baseline (%), once scanned.
    #[serde(default)]
    pub best_change_percent: Option<f64>,
}

/// What a finished run says, for `summary.csv` and `trial`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    pub run: String,
    pub arm: String,
    pub patient: Option<u32>,
    pub replicate: u32,
    pub seed: u64,
    /// The varied values as `batch check` lists them, by key, in batch order.
    pub values: Vec<(String, String)>,
    pub status: Status,
    pub backend: Option<String>,
    pub ticks: Option<u64>,
    pub simulated_days: Option<f64>,
    pub final_tumor_live: Option<u32>,
    pub final_tumor_sites: Option<u32>,
    pub final_tumor_radius_um: Option<f64>,
    pub fold_change: Option<f64>,
    /// First line of therapy: best overall response, best change of the diameter from
    /// baseline (%), and progression-free survival from its baseline scan: the days to
    /// progression, or to the end of the simulation (censored) when it did not progress.
    pub best_response: Option<String>,
    pub best_change_percent: Option<f64>,
    pub pfs_days: Option<f64>,
    pub progressed: Option<bool>,
    pub failed_line: Option<u32>,
    pub failed_line_name: Option<String>,
    pub lines_given: Option<u32>,
    /// The immune biomarkers at the first line's baseline scan (scenes with
    /// `[immune]`): a virtual cohort's baseline biopsy.
    #[serde(default)]
    pub baseline_biomarkers: Option<Biomarkers>,
    /// Why the cells alive at the end survived (`failure.fractions` of summary.json).
    pub fractions: Option<FailureFractions>,
    pub error: Option<String>,
}

/// The fixed columns before the varied values, and after them.
const HEAD: [&str; 5] = ["run", "arm", "patient", "replicate", "seed"];
const TAIL: [&str; 16] = [
    "status",
    "backend",
    "ticks",
    "simulated_days",
    "final_tumor_live",
    "final_tumor_sites",
    "final_tumor_radius_um",
    "fold_change",
    "best_response",
    "best_change_percent",
    "pfs_days",
    "progressed",
    "failed_line",
    "failed_line_name",
    "lines_given",
    "error",
];

/// The header of `summary.csv` for a batch varying `keys`.
pub fn header(keys: &[String]) -> String {
    let fractions = FailureFractions::default();
    let mut cells: Vec<String> = HEAD.iter().map(|s| s.to_string()).collect();
    cells.extend(keys.iter().map(|k| csv_field(k)));
    let (before_error, error) = TAIL.split_at(TAIL.len() - 1);
    cells.extend(before_error.iter().map(|s| s.to_string()));
    cells.extend(
        Biomarker::ALL
            .iter()
            .map(|b| format!("baseline_{}", b.name()))
            .chain(["baseline_phenotype".to_string()]),
    );
    cells.extend(
        fractions
            .named()
            .iter()
            .map(|(name, _)| format!("failure_{name}")),
    );
    cells.extend(error.iter().map(|s| s.to_string()));
    cells.join(",") + "\n"
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or(String::new(), |v| v.to_string())
}

impl RunRow {
    /// A row for a run that finished with `summary`.
    pub fn finished(spec: &super::RunSpec, summary: &Summary) -> RunRow {
        let mut row = RunRow::failed(spec, String::new());
        row.status = Status::Done;
        row.error = None;
        row.backend = Some(summary.backend.info.kind.as_str().to_string());
        row.ticks = Some(summary.ticks);
        row.simulated_days = Some(summary.simulated_days);
        if let Some(r) = &summary.final_row {
            row.final_tumor_live = Some(r.tumor_live());
            row.final_tumor_sites = Some(r.tumor_sites());
            row.final_tumor_radius_um = Some(r.tumor_radius_um);
        }
        row.fold_change = summary.derived.map(|d| d.fold_change);
        if let Some(f) = &summary.failure {
            if let Some(first) = f.lines.first() {
                row.best_response = first.best_response.map(|r| r.abbrev().to_string());
                row.best_change_percent = first.best_change_percent;
                let progressed = first.time_to_progression_days.is_some();
                row.progressed = Some(progressed);
                row.pfs_days = Some(
                    first
                        .time_to_progression_days
                        .unwrap_or(summary.simulated_days - first.baseline_day),
                );
            }
            row.failed_line = f.failed_line;
            row.failed_line_name = f
                .failed_line
                .and_then(|k| f.lines.iter().find(|l| l.line == k))
                .map(|l| l.name.clone());
            row.lines_given = Some(f.lines.len() as u32);
            row.baseline_biomarkers = f.lines.first().and_then(|l| l.baseline_biomarkers);
            row.fractions = Some(f.fractions.clone());
        }
        row
    }

    /// A row for a run that failed with `error`.
    pub fn failed(spec: &super::RunSpec, error: String) -> RunRow {
        RunRow {
            run: spec.id.clone(),
            arm: spec.arm.clone(),
            patient: spec.patient,
            replicate: spec.replicate,
            seed: spec.seed,
            values: spec
                .values
                .iter()
                .map(|(k, v)| (k.clone(), super::plain(v)))
                .collect(),
            status: Status::Failed,
            backend: None,
            ticks: None,
            simulated_days: None,
            final_tumor_live: None,
            final_tumor_sites: None,
            final_tumor_radius_um: None,
            fold_change: None,
            best_response: None,
            best_change_percent: None,
            pfs_days: None,
            progressed: None,
            failed_line: None,
            failed_line_name: None,
            lines_given: None,
            baseline_biomarkers: None,
            fractions: None,
            error: Some(error),
        }
    }

    /// The row's line of `summary.csv` (with `keys`, the batch's varied keys).
    pub fn csv_line(&self, keys: &[String]) -> String {
        let mut cells = vec![
            self.run.clone(),
            csv_field(&self.arm),
            opt(&self.patient),
            self.replicate.to_string(),
            self.seed.to_string(),
        ];
        for k in keys {
            let v = self.values.iter().find(|(key, _)| key == k);
            cells.push(v.map_or(String::new(), |(_, v)| csv_field(v)));
        }
        cells.extend([
            self.status.as_str().to_string(),
            opt(&self.backend),
            opt(&self.ticks),
            opt(&self.simulated_days),
            opt(&self.final_tumor_live),
            opt(&self.final_tumor_sites),
            opt(&self.final_tumor_radius_um),
            opt(&self.fold_change),
            opt(&self.best_response),
            opt(&self.best_change_percent),
            opt(&self.pfs_days),
            opt(&self.progressed.map(u8::from)),
            opt(&self.failed_line),
            csv_field(&opt(&self.failed_line_name)),
            opt(&self.lines_given),
        ]);
        let baseline = self.baseline_biomarkers.as_ref();
        for b in Biomarker::ALL {
            cells.push(baseline.map_or(String::new(), |v| b.value(v).to_string()));
        }
        cells.push(baseline.map_or(String::new(), |v| v.phenotype.name().to_string()));
        let fractions = self.fractions.as_ref().map(FailureFractions::named);
        for k in 0..FailureFractions::default().named().len() {
            cells.push(fractions.map_or(String::new(), |f| f[k].1.to_string()));
        }
        cells.push(csv_field(&opt(&self.error)));
        cells.join(",") + "\n"
    }
}

/// Timing of one run, for `performance.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunTiming {
    pub wall_seconds: f64,
    pub ticks_per_s: f64,
    pub device: String,
}

impl RunTiming {
    pub fn from_performance(p: &Performance) -> RunTiming {
        RunTiming {
            wall_seconds: p.wall_seconds,
            ticks_per_s: p.ticks_per_s,
            device: p.backend.device.clone(),
        }
    }
}

/// The lines of therapy of a finished run, for the swimmer plot.
pub fn line_spans(summary: &Summary) -> Vec<LineSpan> {
    let Some(f) = &summary.failure else {
        return Vec::new();
    };
    f.lines
        .iter()
        .enumerate()
        .map(|(k, l)| LineSpan {
            name: l.name.clone(),
            started_day: l.started_day,
            ended_day: f
                .lines
                .get(k + 1)
                .map_or(summary.simulated_days, |next| next.started_day),
            progressed_day: l.progressed_day,
            failed_day: l.failed_day,
            best_response: l.best_response.map(|r| r.abbrev().to_string()),
            best_change_percent: l.best_change_percent,
        })
        .collect()
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_and_a_failed_line_have_the_same_number_of_cells() {
        let keys = vec!["patient.age_years".to_string(), "a,b".to_string()];
        let h = header(&keys);
        assert!(h.starts_with("run,arm,patient,replicate,seed,patient.age_years,\"a,b\",status,"));
        assert!(
            h.ends_with(",failure_exclusion,failure_exhaustion,error\n"),
            "{h}"
        );
        let row = RunRow {
            values: vec![("a,b".into(), "x".into())],
            ..RunRow::failed(
                &crate::batch::RunSpec {
                    id: "arm-p001".into(),
                    arm: "arm".into(),
                    grid_point: None,
                    sample: None,
                    patient: Some(1),
                    replicate: 0,
                    seed: 7,
                    values: vec![],
                    scene_text: String::new(),
                    branch: None,
                    snapshot_every_ticks: None,
                    fingerprint: String::new(),
                },
                "oxygen went \"NaN\", at tick 3".into(),
            )
        };
        let line = row.csv_line(&keys);
        assert_eq!(
            line,
            "arm-p001,arm,1,0,7,,x,failed,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\"oxygen went \"\"NaN\"\", at tick 3\"\n"
        );
        // 5 + 2 + 15 + 6 + 17 + 1 cells, as the header has.
        assert_eq!(h.trim_end().split(',').count(), 5 + 3 + 15 + 6 + 17 + 1);
    }
}
