//! Therapy protocol and response monitoring: lines of therapy, their dosing calendars,
//! monitoring scans judged by RECIST 1.1, switching line on confirmed progression,
//! treatment holidays and adaptive therapy. Pure and deterministic: no randomness, no
//! clock, no files. [`ProtocolState::step`] runs once per tick and says which doses are
//! due; the lead turns them into pharmacokinetic dose events. Semantics and sources:
//! docs/protocols.md.

mod adaptive;
mod line;
mod recist;
mod scan;
mod state;
mod tracker;
mod validate;

#[cfg(test)]
mod biomarker_tests;
#[cfg(test)]
mod state_tests;

pub use adaptive::{Adaptive, AdaptiveDecision, Holiday};
pub use line::{Biomarker, BiomarkerRule, DoseDue, Line, ScheduleRef, SkipReason, SkippedDose};
pub use recist::{classify, Criteria, Response, BOUNDARY_TOLERANCE_MM};
pub use scan::{tick_of, Measurement, ScanRecord, Scanner};
pub use state::{Event, LineRecord, ProtocolState, Status, TickOutcome};
pub use tracker::{Assessment, ConfirmedProgression, ResponseTracker};
pub use validate::ProtocolError;

use serde::{Deserialize, Serialize};

/// A treatment plan: lines of therapy given in order, each until confirmed progression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    pub lines: Vec<Line>,
    pub scanner: Scanner,
    pub criteria: Criteria,
    pub switch_on: ConfirmedProgression,
    pub holidays: Option<Holiday>,
    pub adaptive: Option<Adaptive>,
}

impl Protocol {
    /// A protocol with the given lines and RECIST 1.1 defaults elsewhere: scans every 8
    /// weeks from day 0, switching on the first PD, no holidays, no adaptive rule.
    pub fn new(lines: Vec<Line>) -> Self {
        Protocol {
            lines,
            scanner: Scanner::default(),
            criteria: Criteria::RECIST_1_1,
            switch_on: ConfirmedProgression::default(),
            holidays: None,
            adaptive: None,
        }
    }

    /// Checks every field; the error names the first offending one.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        validate::protocol(self)
    }

    /// `validate`, and every calendar period spans at least one tick of `tick_h` hours:
    /// what [`ProtocolState::new`] refuses.
    pub fn validate_for_tick(&self, tick_h: f64) -> Result<(), ProtocolError> {
        validate::protocol(self)?;
        validate::with_tick(self, tick_h)
    }
}
