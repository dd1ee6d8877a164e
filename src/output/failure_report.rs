//! The `failure` section of summary.json: how treatment went (lines, best response,
//! time to progression) and why the surviving cells survived (`model::failure`).

use crate::engine::therapy::treatment_exposure;
use crate::engine::{EngineError, HostState, Simulation};
use crate::model::biomarkers::Biomarkers;
use crate::model::failure::{analyse, FailureBreakdown, FailureFractions};
use crate::model::protocol::Event;
use crate::model::protocol::Response;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineOutcome {
    /// The line's number in the protocol, from 1 (lines skipped by a biomarker rule
    /// leave gaps).
    pub line: u32,
    pub name: String,
    pub started_day: f64,
    /// Best overall response (RECIST), if one was established.
    pub best_response: Option<Response>,
    /// Day of the first RECIST progression (dated at its first PD scan), if any.
    pub progressed_day: Option<f64>,
    /// Day the line failed and treatment moved on (RECIST progression, or the adaptive
    /// rule's own criterion), if it did.
    pub failed_day: Option<f64>,
    /// Days from the line's baseline to progression.
    pub time_to_progression_days: Option<f64>,
    /// Day of the line's baseline assessment (what time to progression counts from).
    pub baseline_day: f64,
    /// Best change of the tumour diameter from the line's baseline, in percent, up to
    /// progression (the waterfall plot's bar), once a scan has been read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_change_percent: Option<f64>,
    /// Why the tumour cells alive when the line failed survived it (the same
    /// classification as the run's end).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_failure: Option<FailureBreakdown>,
    /// The immune biomarkers at the line's baseline scan (scenes with `[immune]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_biomarkers: Option<Biomarkers>,
}

/// A line not given because the tumour did not meet its biomarker rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineSkip {
    /// The line's number in the protocol, from 1.
    pub line: u32,
    pub name: String,
    pub day: f64,
    pub rule: String,
    /// The biomarker's value at that scan.
    pub value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureReport {
    /// Ticks completed when the surviving cells were classified (the end of the run).
    pub analysed_at_tick: u64,
    pub lines: Vec<LineOutcome>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines_skipped: Vec<LineSkip>,
    /// The first line that failed, its number in the protocol (from 1).
    pub failed_line: Option<u32>,
    pub surviving_cells: u64,
    pub fractions: FailureFractions,
    /// One plain sentence for a clinician.
    pub sentence: String,
}

/// Classifies the final state `state` of `sim`; `None` without a therapy.
pub fn failure_report(
    sim: &Simulation,
    state: &HostState,
) -> Result<Option<FailureReport>, EngineError> {
    let Some(therapy) = sim.therapy_state() else {
        return Ok(None);
    };
    let scene = sim.scene().clone();
    let tick_h = scene.time.tick_h;
    let now = sim.tick();
    let log = sim.therapy_log();
    let at_failure = |line: usize| {
        log.iter().find_map(|t| {
            t.events
                .iter()
                .any(|e| matches!(e, Event::LineFailed { line: l, .. } if *l == line))
                .then(|| t.failure_analysis.clone())
                .flatten()
        })
    };
    let lines: Vec<LineOutcome> = therapy
        .protocol()
        .lines_given()
        .iter()
        .map(|r| LineOutcome {
            line: r.line as u32 + 1,
            name: r.name.clone(),
            started_day: r.started_tick as f64 * tick_h / 24.0,
            best_response: r.tracker.best_overall_response(),
            progressed_day: r.tracker.progression_h().map(|h| h / 24.0),
            failed_day: r.failed_h.map(|h| h / 24.0),
            time_to_progression_days: r.tracker.time_to_progression_h().map(|h| h / 24.0),
            baseline_day: r.tracker.baseline_h() / 24.0,
            best_change_percent: r.tracker.best_change_percent(),
            at_failure: at_failure(r.line),
            baseline_biomarkers: r.baseline_biomarkers,
        })
        .collect();
    let lines_skipped: Vec<LineSkip> = log
        .iter()
        .flat_map(|t| &t.events)
        .filter_map(|e| match e {
            Event::LineSkipped {
                line,
                name,
                time_h,
                rule,
                value,
            } => Some(LineSkip {
                line: *line as u32 + 1,
                name: name.clone(),
                day: time_h / 24.0,
                rule: rule.clone(),
                value: *value,
            }),
            _ => None,
        })
        .collect();
    let failed_line = therapy
        .protocol()
        .lines_given()
        .iter()
        .find(|r| r.failed_h.is_some())
        .map(|r| r.line as u32 + 1);
    let exposure = treatment_exposure(scene.drugs.len(), tick_h, log, &state.lineage, now);
    let b = analyse(
        &scene,
        &exposure,
        &state.sites,
        &state.exposure,
        &state.fields,
    );
    let end = b.fractions.sentence(b.surviving_cells);
    let sentence = match failed_line.and_then(|k| Some((k, lines.iter().find(|l| l.line == k)?))) {
        Some((k, line)) => {
            let course = format!(
                "Line {k} ({}) failed at day {:.1} after a best response of {}.",
                line.name,
                line.failed_day.unwrap_or(0.0),
                line.best_response
                    .map_or("none".to_string(), |r| r.to_string())
            );
            match &line.at_failure {
                Some(f) => format!(
                    "{course} When it failed: {} At the end: {end}",
                    f.fractions.sentence(f.surviving_cells)
                ),
                None => format!("{course} {end}"),
            }
        }
        None => end,
    };
    // Lines a biomarker rule withheld come first: the patient lacked their biomarker.
    let skipped: String = lines_skipped
        .iter()
        .map(|l| {
            let value = l.value.map_or("unread".into(), |v| format!("{v:.3}"));
            format!(
                "Line {} ({}) was not given at day {:.1}: it requires {}, and the tumour had {value}. ",
                l.line, l.name, l.day, l.rule
            )
        })
        .collect();
    let sentence = skipped + &sentence;
    Ok(Some(FailureReport {
        analysed_at_tick: now,
        lines,
        lines_skipped,
        failed_line,
        surviving_cells: b.surviving_cells,
        sentence,
        fractions: b.fractions,
    }))
}
