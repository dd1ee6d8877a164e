//! What `oncolattice trial DIR` reads from a batch directory: per arm, every finished
//! run's progression-free survival on one line of therapy (the first by default: from
//! the line's baseline scan to RECIST progression, censored at the end of the
//! simulation) and its best overall response; runs that failed, and patients who never
//! reached the line, are left out and counted.

use super::directory::{BatchDir, DoneRecord, MANIFEST};
use super::row::Status;
use crate::output::RunError;
use crate::trial::batch_command::BatchTrialData;
use crate::trial::figures::{LineSpan, SwimmerLane, WaterfallBar};
use crate::trial::{Arm, BestResponse, SurvivalRecord};
use std::path::Path;

#[derive(Debug, Clone)]
pub struct TrialInput {
    /// Arms in batch order, each with its patients in batch order; their responses,
    /// waterfall bars and swimmer lanes.
    pub data: BatchTrialData,
    /// Patients per arm whose response could not be evaluated (no confirmed response,
    /// no stable disease long enough and no progression by the end).
    pub not_evaluable: Vec<(String, usize)>,
    pub failed_runs: Vec<String>,
    /// Patients per arm who never began the line analysed (lines after the first).
    pub not_reached: Vec<(String, usize)>,
}

/// What line `line` (from 1) of a finished run gives: progression-free survival
/// (days, progressed), best response and best change; `None` when the run never began
/// that line. Line 1 is summary.csv's columns.
fn line_outcome(
    record: &DoneRecord,
    line: usize,
) -> Option<(f64, bool, Option<String>, Option<f64>)> {
    let row = &record.row;
    if line == 1 {
        return Some((
            row.pfs_days?,
            row.progressed?,
            row.best_response.clone(),
            row.best_change_percent,
        ));
    }
    let l = record.lines.get(line - 1)?;
    let end = row.simulated_days?;
    let time = l.progressed_day.unwrap_or(end) - l.started_day;
    Some((
        time,
        l.progressed_day.is_some(),
        l.best_response.clone(),
        l.best_change_percent,
    ))
}

/// Reads the batch directory `dir` for the outcome of line `line` (from 1).
pub fn read(dir: &Path, line: usize) -> Result<TrialInput, RunError> {
    if line == 0 {
        return Err(RunError::Option("--line counts from 1".into()));
    }
    let batch_dir = BatchDir::new(dir);
    let Some(manifest) = batch_dir.manifest()? else {
        return Err(RunError::Option(format!(
            "{} is not a batch directory (no {MANIFEST}); for an arm,time,event CSV use \
             `oncolattice trial --survival FILE.csv`",
            dir.display()
        )));
    };
    let mut input = TrialInput {
        data: BatchTrialData::default(),
        not_evaluable: Vec::new(),
        failed_runs: Vec::new(),
        not_reached: Vec::new(),
    };
    let mut missing = Vec::new();
    for run in &manifest.runs {
        let Some(record) = batch_dir.done(&run.id, &run.scene) else {
            missing.push(run.id.clone());
            continue;
        };
        let row = &record.row;
        if row.status == Status::Failed {
            input.failed_runs.push(row.run.clone());
            continue;
        }
        if row.progressed.is_none() {
            return Err(RunError::Option(format!(
                "run {} of {} has no line of therapy with scans, so no progression-free \
                 survival: a trial needs a [therapy] with scan_every_days",
                row.run,
                dir.display()
            )));
        }
        let Some((time, progressed, best, change)) = line_outcome(&record, line) else {
            match input.not_reached.iter_mut().find(|(a, _)| *a == row.arm) {
                Some((_, n)) => *n += 1,
                None => input.not_reached.push((row.arm.clone(), 1)),
            }
            continue;
        };
        let data = &mut input.data;
        let k = match data.arms.iter().position(|a| a.name == row.arm) {
            Some(k) => k,
            None => {
                data.arms.push(Arm::new(row.arm.clone(), Vec::new()));
                data.responses.push((row.arm.clone(), Vec::new()));
                input.not_evaluable.push((row.arm.clone(), 0));
                data.arms.len() - 1
            }
        };
        data.arms[k].records.push(SurvivalRecord {
            time,
            event: progressed,
        });
        let best = best.as_deref().and_then(BestResponse::from_code);
        data.responses[k].1.push(best);
        if best.is_none() {
            input.not_evaluable[k].1 += 1;
        }
        if let Some(change) = change {
            data.waterfall.push(WaterfallBar {
                patient: row.run.clone(),
                arm: row.arm.clone(),
                best_change_percent: change,
                best_response: best,
            });
        }
        data.swimmer.push(lane(&record));
    }
    if let Some(first) = missing.first() {
        return Err(RunError::Option(format!(
            "{} of {} runs in {} have not ended (first: {first}); finish the batch (or merge \
             its shards) first",
            missing.len(),
            manifest.runs.len(),
            dir.display()
        )));
    }
    if input.data.arms.is_empty() {
        return Err(RunError::Option(format!(
            "no run in {} {}; there is nothing to analyse",
            dir.display(),
            if line == 1 {
                "finished".to_string()
            } else {
                format!("reached line {line}")
            }
        )));
    }
    Ok(input)
}

/// A finished run's swimmer lane: its lines of therapy, still on the last one at the end
/// unless that line failed too.
fn lane(record: &DoneRecord) -> SwimmerLane {
    let end_day = record.row.simulated_days.unwrap_or(0.0);
    SwimmerLane {
        patient: record.row.run.clone(),
        arm: record.row.arm.clone(),
        lines: record
            .lines
            .iter()
            .map(|l| LineSpan {
                name: l.name.clone(),
                start_day: l.started_day,
                end_day: l.ended_day.max(l.started_day),
                progressed_day: l.progressed_day,
                best_response: l.best_response.as_deref().and_then(BestResponse::from_code),
            })
            .collect(),
        end_day,
        ongoing: record.lines.last().is_some_and(|l| l.failed_day.is_none()),
    }
}
