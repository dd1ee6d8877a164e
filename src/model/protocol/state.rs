//! The protocol as it runs: which line is current, where each dosing calendar stands,
//! whether dosing is paused, and what happened. Serialisable, so a snapshot holds it.
//!
//! Within a tick, in this order: the scan (if one is passed) is judged, which may start
//! treatment, fail the line and start the next, or pause/resume dosing; then the
//! holiday calendar is read; then the current line's slots that fall in the tick are
//! given or skipped.

use super::adaptive::AdaptiveDecision;
use super::line::{DoseDue, SkipReason, SkippedDose};
use super::recist::Response;
use super::scan::{tick_of, Measurement, ScanRecord};
use super::tracker::ResponseTracker;
use super::{Protocol, ProtocolError};
use crate::model::biomarkers::Biomarkers;
use serde::{Deserialize, Serialize};

/// Where treatment stands after a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// No scan has found a measurable lesion yet: nothing given.
    AwaitingBaseline,
    /// A line is current and dosing.
    On,
    /// The adaptive rule has paused dosing.
    Paused,
    /// In the off part of a holiday cycle.
    Holiday,
    /// Every slot of the line's finite schedules has passed; scans continue and
    /// progression still moves on to the next line.
    Observation,
    /// Every line has failed: no more doses or scans.
    Finished,
}

/// Something the time series and summary should record. `time_h` is the tick's time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    LineStarted {
        line: usize,
        name: String,
        time_h: f64,
        baseline_mm: f64,
        baseline_cells: u64,
    },
    /// A PD that does not yet make confirmed progression (only with `switch_on.scans` ≥ 2).
    ProgressionSuspected {
        line: usize,
        time_h: f64,
        consecutive_pd: u32,
    },
    /// Confirmed progression: the line is abandoned. `progression_h` dates the first PD
    /// of the confirming run.
    LineFailed {
        line: usize,
        name: String,
        time_h: f64,
        progression_h: f64,
        best_response: Option<Response>,
    },
    AdaptivePaused {
        line: usize,
        time_h: f64,
        burden_fraction: f64,
    },
    AdaptiveResumed {
        line: usize,
        time_h: f64,
        burden_fraction: f64,
    },
    HolidayStarted {
        line: usize,
        time_h: f64,
    },
    HolidayEnded {
        line: usize,
        time_h: f64,
    },
    /// The last slot of the line's finite schedules has passed.
    CourseCompleted {
        line: usize,
        time_h: f64,
    },
    AllLinesExhausted {
        time_h: f64,
    },
    /// A line not given: the tumour's biomarkers at the scan that would have started it
    /// did not meet its rule (`value` is `None` when the scan read no biomarkers).
    LineSkipped {
        line: usize,
        name: String,
        time_h: f64,
        rule: String,
        value: Option<f64>,
    },
}

/// What one tick produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TickOutcome {
    pub tick: u64,
    pub status: Status,
    pub doses: Vec<DoseDue>,
    pub skipped: Vec<SkippedDose>,
    pub events: Vec<Event>,
    pub scan: Option<ScanRecord>,
}

/// One line as given: when it started, its baseline and its response so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineRecord {
    pub line: usize,
    pub name: String,
    pub started_tick: u64,
    /// Live cells at the line's baseline scan (the adaptive rule's reference).
    pub baseline_cells: u64,
    /// The immune biomarkers at the line's baseline scan (scenes with `[immune]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_biomarkers: Option<Biomarkers>,
    pub tracker: ResponseTracker,
    /// Tick time at which the line was abandoned for confirmed progression.
    pub failed_h: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Phase {
    AwaitingBaseline,
    Line(usize),
    Finished,
}

/// The running protocol. Create with [`ProtocolState::new`], then per tick: if
/// [`scan_due`](Self::scan_due), measure the lattice; call [`step`](Self::step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtocolState {
    protocol: Protocol,
    tick_h: f64,
    phase: Phase,
    records: Vec<LineRecord>,
    line_start_tick: u64,
    /// Next slot index of each schedule of the current line.
    next_slot: Vec<u32>,
    course_complete: bool,
    paused: bool,
    in_holiday: bool,
    next_scan: u64,
    last_tick: Option<u64>,
    status: Status,
}

impl ProtocolState {
    /// Validates the protocol for ticks of `tick_h` hours.
    pub fn new(protocol: Protocol, tick_h: f64) -> Result<Self, ProtocolError> {
        protocol.validate_for_tick(tick_h)?;
        Ok(ProtocolState {
            protocol,
            tick_h,
            phase: Phase::AwaitingBaseline,
            records: Vec::new(),
            line_start_tick: 0,
            next_slot: Vec::new(),
            course_complete: false,
            paused: false,
            in_holiday: false,
            next_scan: 0,
            last_tick: None,
            status: Status::AwaitingBaseline,
        })
    }

    pub fn protocol(&self) -> &Protocol {
        &self.protocol
    }

    /// This state under `protocol`, which may differ from this one only in the lines
    /// not yet begun (after the current one; any line before the baseline scan): what
    /// has happened so far is then the same under either, so the run goes on exactly
    /// as if it had started with `protocol` (a "what would have worked" branch).
    pub fn with_later_lines(&self, protocol: Protocol) -> Result<ProtocolState, String> {
        // Lines up to the last one started have begun (or were skipped for it).
        let begun = self.records.last().map_or(0, |r| r.line + 1);
        let rest = |p: &Protocol| Protocol {
            lines: Vec::new(),
            ..p.clone()
        };
        if rest(&protocol) != rest(&self.protocol) {
            return Err(
                "the scans, response criteria, holidays or adaptive rule differ; only the lines                  not yet begun may"
                    .into(),
            );
        }
        if protocol.lines.len() < begun || protocol.lines[..begun] != self.protocol.lines[..begun] {
            return Err(format!(
                "line(s) 1 to {begun} have begun, so they must stay as they were; only later                  lines may change"
            ));
        }
        protocol
            .validate_for_tick(self.tick_h)
            .map_err(|e| e.to_string())?;
        Ok(ProtocolState {
            protocol,
            ..self.clone()
        })
    }

    pub fn tick_h(&self) -> f64 {
        self.tick_h
    }

    /// Status after the last step.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Index of the current line, if one is being given.
    pub fn current_line(&self) -> Option<usize> {
        match self.phase {
            Phase::Line(l) => Some(l),
            _ => None,
        }
    }

    /// Every line started so far, the current one last.
    pub fn lines_given(&self) -> &[LineRecord] {
        &self.records
    }

    /// The current line's response tracker.
    pub fn tracker(&self) -> Option<&ResponseTracker> {
        self.current_line()
            .and(self.records.last())
            .map(|r| &r.tracker)
    }

    /// Tick of the next scheduled scan; `None` once finished.
    pub fn next_scan_tick(&self) -> Option<u64> {
        if self.phase == Phase::Finished {
            return None;
        }
        Some(tick_of(
            self.protocol.scanner.scan_time_h(self.next_scan),
            self.tick_h,
        ))
    }

    /// Whether `step(tick, …)` expects a measurement. A scan whose tick has passed
    /// without one stays due until the next step.
    pub fn scan_due(&self, tick: u64) -> bool {
        self.next_scan_tick().is_some_and(|t| t <= tick)
    }

    /// Advances to `tick`, judging `scan` if given (every measurement passed is a scan).
    /// Ticks must increase; a tick at or before the last one changes nothing and returns
    /// an empty outcome. After a gap, slots in the skipped ticks are handled now, under
    /// the pause state of this tick.
    pub fn step(&mut self, tick: u64, scan: Option<&Measurement>) -> TickOutcome {
        let mut out = TickOutcome {
            tick,
            status: self.status,
            doses: Vec::new(),
            skipped: Vec::new(),
            events: Vec::new(),
            scan: None,
        };
        if self.last_tick.is_some_and(|last| tick <= last) {
            return out;
        }
        self.last_tick = Some(tick);
        while tick_of(
            self.protocol.scanner.scan_time_h(self.next_scan),
            self.tick_h,
        ) <= tick
        {
            self.next_scan += 1;
        }
        if let Some(m) = scan {
            self.judge_scan(tick, m, &mut out);
        }
        if let Phase::Line(line) = self.phase {
            if !self.course_complete {
                self.follow_holiday(line, tick, &mut out);
                self.give_doses(line, tick, &mut out);
            }
        }
        self.status = match self.phase {
            Phase::AwaitingBaseline => Status::AwaitingBaseline,
            Phase::Finished => Status::Finished,
            Phase::Line(_) if self.course_complete => Status::Observation,
            Phase::Line(_) if self.paused => Status::Paused,
            Phase::Line(_) if self.in_holiday => Status::Holiday,
            Phase::Line(_) => Status::On,
        };
        out.status = self.status;
        out
    }

    fn time_h(&self, tick: u64) -> f64 {
        tick as f64 * self.tick_h
    }

    fn judge_scan(&mut self, tick: u64, m: &Measurement, out: &mut TickOutcome) {
        let scanner = &self.protocol.scanner;
        let mut record = ScanRecord {
            tick,
            time_h: m.time_h,
            line: self.current_line(),
            measured_mm: m.longest_diameter_mm,
            recorded_mm: scanner.recorded_mm(m),
            detected: scanner.detects(m),
            live_cells: m.live_cells,
            live_volume_mm3: m.live_volume_mm3,
            baseline: false,
            response: None,
            biomarkers: m.biomarkers,
        };
        let time_h = self.time_h(tick);
        match self.phase {
            Phase::AwaitingBaseline => {
                if scanner.measurable(m) {
                    record.baseline = true;
                    record.line = self.start_first_eligible(0, tick, m, out);
                }
            }
            Phase::Line(line) => {
                let Some(current) = self.records.last_mut() else {
                    return;
                };
                let assessment = current.tracker.record(m.time_h, record.recorded_mm);
                record.response = Some(assessment.response);
                // An adaptive rule with its own progression criterion replaces RECIST's:
                // growth past the fraction of baseline in a scan taken while dosing.
                let adaptive_limit = self
                    .protocol
                    .adaptive
                    .as_ref()
                    .and_then(|a| a.progression_above_fraction);
                let progression_h = match adaptive_limit {
                    Some(limit) => (!self.paused
                        && m.live_cells as f64 > limit * current.baseline_cells as f64)
                        .then_some(m.time_h),
                    None => current.tracker.progression_h(),
                };
                if let Some(progression_h) = progression_h {
                    current.failed_h = Some(time_h);
                    out.events.push(Event::LineFailed {
                        line,
                        name: current.name.clone(),
                        time_h,
                        progression_h,
                        best_response: current.tracker.best_overall_response(),
                    });
                    self.end_holiday(line, time_h, out);
                    self.paused = false;
                    self.start_first_eligible(line + 1, tick, m, out);
                } else {
                    if assessment.response == Response::Pd {
                        out.events.push(Event::ProgressionSuspected {
                            line,
                            time_h,
                            consecutive_pd: current.tracker.pd_streak(),
                        });
                    }
                    let baseline_cells = current.baseline_cells;
                    self.follow_adaptive(line, time_h, baseline_cells, m.live_cells, out);
                }
            }
            Phase::Finished => {}
        }
        out.scan = Some(record);
    }

    /// Starts the first line from `from` on whose biomarker rule (if any) the scan `m`
    /// meets, recording the lines skipped; with none left, treatment is finished.
    fn start_first_eligible(
        &mut self,
        from: usize,
        tick: u64,
        m: &Measurement,
        out: &mut TickOutcome,
    ) -> Option<usize> {
        let time_h = self.time_h(tick);
        for line in from..self.protocol.lines.len() {
            match self.protocol.lines[line].requires {
                Some(rule) if !rule.holds(m.biomarkers.as_ref()) => {
                    out.events.push(Event::LineSkipped {
                        line,
                        name: self.protocol.lines[line].name.clone(),
                        time_h,
                        rule: rule.describe(),
                        value: m.biomarkers.map(|b| rule.biomarker.value(&b)),
                    });
                }
                _ => {
                    self.start_line(line, tick, m, out);
                    return Some(line);
                }
            }
        }
        self.phase = Phase::Finished;
        self.paused = false;
        out.events.push(Event::AllLinesExhausted { time_h });
        None
    }

    fn start_line(&mut self, line: usize, tick: u64, m: &Measurement, out: &mut TickOutcome) {
        let p = &self.protocol;
        let baseline_mm = p.scanner.recorded_mm(m);
        let name = p.lines[line].name.clone();
        self.records.push(LineRecord {
            line,
            name: name.clone(),
            started_tick: tick,
            baseline_cells: m.live_cells,
            baseline_biomarkers: m.biomarkers,
            tracker: ResponseTracker::new(m.time_h, baseline_mm, p.criteria, p.switch_on),
            failed_h: None,
        });
        self.next_slot = vec![0; p.lines[line].schedules.len()];
        self.phase = Phase::Line(line);
        self.line_start_tick = tick;
        self.course_complete = false;
        self.paused = false;
        out.events.push(Event::LineStarted {
            line,
            name,
            time_h: self.time_h(tick),
            baseline_mm,
            baseline_cells: m.live_cells,
        });
    }

    fn follow_adaptive(
        &mut self,
        line: usize,
        time_h: f64,
        baseline: u64,
        burden: u64,
        out: &mut TickOutcome,
    ) {
        let Some(rule) = &self.protocol.adaptive else {
            return;
        };
        let burden_fraction = if baseline == 0 {
            0.0
        } else {
            burden as f64 / baseline as f64
        };
        match rule.decide(baseline, burden, self.paused) {
            AdaptiveDecision::Pause => {
                self.paused = true;
                out.events.push(Event::AdaptivePaused {
                    line,
                    time_h,
                    burden_fraction,
                });
            }
            AdaptiveDecision::Resume => {
                self.paused = false;
                out.events.push(Event::AdaptiveResumed {
                    line,
                    time_h,
                    burden_fraction,
                });
            }
            AdaptiveDecision::Keep => {}
        }
    }

    fn follow_holiday(&mut self, line: usize, tick: u64, out: &mut TickOutcome) {
        let off = self
            .protocol
            .holidays
            .as_ref()
            .is_some_and(|h| h.is_off(self.tick_h, self.line_start_tick, tick));
        let time_h = self.time_h(tick);
        if off && !self.in_holiday {
            self.in_holiday = true;
            out.events.push(Event::HolidayStarted { line, time_h });
        } else if !off {
            self.end_holiday(line, time_h, out);
        }
    }

    fn end_holiday(&mut self, line: usize, time_h: f64, out: &mut TickOutcome) {
        if self.in_holiday {
            self.in_holiday = false;
            out.events.push(Event::HolidayEnded { line, time_h });
        }
    }

    fn give_doses(&mut self, line: usize, tick: u64, out: &mut TickOutcome) {
        let schedules = &self.protocol.lines[line].schedules;
        let start_h = self.line_start_tick as f64 * self.tick_h;
        for (index, s) in schedules.iter().enumerate() {
            while s.has_slot(self.next_slot[index]) {
                let slot = self.next_slot[index];
                let slot_tick = self.line_start_tick + tick_of(s.slot_h(slot), self.tick_h);
                if slot_tick > tick {
                    break;
                }
                self.next_slot[index] += 1;
                let dose = DoseDue {
                    line,
                    schedule: index,
                    drug: s.drug.clone(),
                    slot,
                    tick: slot_tick,
                    time_h: start_h + s.slot_h(slot),
                };
                let on_holiday = self
                    .protocol
                    .holidays
                    .as_ref()
                    .is_some_and(|h| h.is_off(self.tick_h, self.line_start_tick, slot_tick));
                if self.paused {
                    out.skipped.push(SkippedDose {
                        dose,
                        reason: SkipReason::Paused,
                    });
                } else if on_holiday {
                    out.skipped.push(SkippedDose {
                        dose,
                        reason: SkipReason::Holiday,
                    });
                } else {
                    out.doses.push(dose);
                }
            }
        }
        let done = schedules
            .iter()
            .zip(&self.next_slot)
            .all(|(s, &k)| !s.has_slot(k));
        if done {
            self.course_complete = true;
            let time_h = self.time_h(tick);
            out.events.push(Event::CourseCompleted { line, time_h });
            self.end_holiday(line, time_h, out);
        }
    }
}
