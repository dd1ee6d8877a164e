//! The `failure` section of summary.json: how treatment went (lines, best response,
//! time to progression) and why the surviving cells survived (`model::failure`).

use crate::engine::{EngineError, HostState, Simulation};
use crate::model::failure::{analyse, FailureFractions, TreatmentExposure};
use crate::model::protocol::Response;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineOutcome {
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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureReport {
    /// Ticks completed when the surviving cells were classified (the end of the run).
    pub analysed_at_tick: u64,
    pub lines: Vec<LineOutcome>,
    /// The first line that failed, counted from 1.
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
    let hours_since_first_dose = (0..scene.drugs.len())
        .map(|d| {
            log.iter()
                .find(|t| t.doses_mg.get(d).is_some_and(|&mg| mg > 0.0))
                .map(|t| (now - t.tick) as f64 * tick_h)
        })
        .collect();
    let lines: Vec<LineOutcome> = therapy
        .protocol()
        .lines_given()
        .iter()
        .map(|r| LineOutcome {
            name: r.name.clone(),
            started_day: r.started_tick as f64 * tick_h / 24.0,
            best_response: r.tracker.best_overall_response(),
            progressed_day: r.tracker.progression_h().map(|h| h / 24.0),
            failed_day: r.failed_h.map(|h| h / 24.0),
            time_to_progression_days: r.tracker.time_to_progression_h().map(|h| h / 24.0),
        })
        .collect();
    let failed_line = therapy
        .protocol()
        .lines_given()
        .iter()
        .position(|r| r.failed_h.is_some())
        .map(|k| k as u32 + 1);
    let start = super::lineage::treatment_start_tick(log);
    let exposure = TreatmentExposure {
        hours_since_first_dose,
        pre_treatment_clones: state.lineage.founded_before(start),
    };
    let b = analyse(&scene, &exposure, &state.sites, &state.exposure);
    let course = match (
        failed_line,
        lines.get(failed_line.unwrap_or(1) as usize - 1),
    ) {
        (Some(k), Some(line)) => format!(
            "Line {k} ({}) failed at day {:.1} after a best response of {}. ",
            line.name,
            line.failed_day.unwrap_or(0.0),
            line.best_response
                .map_or("none".to_string(), |r| r.to_string())
        ),
        _ => String::new(),
    };
    Ok(Some(FailureReport {
        analysed_at_tick: now,
        lines,
        failed_line,
        surviving_cells: b.surviving_cells,
        sentence: format!("{course}{}", b.fractions.sentence(b.surviving_cells)),
        fractions: b.fractions,
    }))
}
