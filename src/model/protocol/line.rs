//! Lines of therapy: which drugs a line gives and on what calendar. Amounts and routes
//! are not here: a dose due names the line and the index of its schedule, and the lead
//! maps that to a pharmacokinetic dose event.

use serde::{Deserialize, Serialize};

/// One line of therapy (first line, second line, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub name: String,
    pub schedules: Vec<ScheduleRef>,
}

/// The calendar of one drug within a line: slot k (0-based) falls at
/// `offset_h + k · interval_h` after the line starts, for k < `doses` (or forever while
/// the line lasts when `doses` is `None`). A slot that falls in an adaptive pause or a
/// holiday is skipped, not delayed, and still counts towards `doses`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleRef {
    pub drug: String,
    pub offset_h: f64,
    pub interval_h: f64,
    /// Number of slots; `None` = until the line ends (continuous dosing).
    pub doses: Option<u32>,
}

impl ScheduleRef {
    /// Hours after the line's start of slot `k`.
    pub fn slot_h(&self, k: u32) -> f64 {
        self.offset_h + f64::from(k) * self.interval_h
    }

    /// Whether slot `k` exists.
    pub fn has_slot(&self, k: u32) -> bool {
        self.doses.is_none_or(|n| k < n)
    }
}

/// A dose the protocol wants given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoseDue {
    /// Index of the line in the protocol.
    pub line: usize,
    /// Index of the schedule in the line's `schedules`.
    pub schedule: usize,
    pub drug: String,
    /// Slot index k within the schedule.
    pub slot: u32,
    /// Tick the slot falls in.
    pub tick: u64,
    /// Scheduled time of the slot, hours since the simulation start.
    pub time_h: f64,
}

/// Why a slot was not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipReason {
    /// The adaptive rule had paused dosing.
    Paused,
    /// The slot fell in the off part of a holiday cycle.
    Holiday,
}

/// A slot that came due but was skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedDose {
    pub dose: DoseDue,
    pub reason: SkipReason,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_offset_interval_count() {
        let s = ScheduleRef {
            drug: "cisplatin".into(),
            offset_h: 12.0,
            interval_h: 504.0,
            doses: Some(3),
        };
        assert_eq!(s.slot_h(0), 12.0);
        assert_eq!(s.slot_h(2), 12.0 + 1008.0);
        assert!(s.has_slot(2));
        assert!(!s.has_slot(3));
        let daily = ScheduleRef {
            doses: None,
            interval_h: 24.0,
            ..s
        };
        assert!(daily.has_slot(1_000_000));
    }
}
