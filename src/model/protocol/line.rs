//! Lines of therapy: which drugs a line gives and on what calendar. Amounts and routes
//! are not here: a dose due names the line and the index of its schedule, and the lead
//! maps that to a pharmacokinetic dose event.

use crate::model::biomarkers::Biomarkers;
use serde::{Deserialize, Serialize};

/// One line of therapy (first line, second line, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub name: String,
    pub schedules: Vec<ScheduleRef>,
    /// Given only to a tumour whose biomarkers at the scan that would start it meet
    /// this rule; otherwise the line is skipped for the next one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<BiomarkerRule>,
}

/// A biomarker a line may require (`model::biomarkers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Biomarker {
    Pdl1TpsPercent,
    MeanAntigenicity,
    Cd8CorePerMm2,
    Cd8MarginPerMm2,
    Cd8StromaPerMm2,
}

impl Biomarker {
    pub const ALL: [Biomarker; 5] = [
        Biomarker::Pdl1TpsPercent,
        Biomarker::MeanAntigenicity,
        Biomarker::Cd8CorePerMm2,
        Biomarker::Cd8MarginPerMm2,
        Biomarker::Cd8StromaPerMm2,
    ];

    /// The name in scenes and in summary.json's `immune`.
    pub fn name(self) -> &'static str {
        match self {
            Biomarker::Pdl1TpsPercent => "pdl1_tps_percent",
            Biomarker::MeanAntigenicity => "mean_antigenicity",
            Biomarker::Cd8CorePerMm2 => "cd8_core_per_mm2",
            Biomarker::Cd8MarginPerMm2 => "cd8_margin_per_mm2",
            Biomarker::Cd8StromaPerMm2 => "cd8_stroma_per_mm2",
        }
    }

    pub fn value(self, b: &Biomarkers) -> f64 {
        match self {
            Biomarker::Pdl1TpsPercent => b.pdl1_tps_percent,
            Biomarker::MeanAntigenicity => b.mean_antigenicity,
            Biomarker::Cd8CorePerMm2 => b.cd8_core_per_mm2,
            Biomarker::Cd8MarginPerMm2 => b.cd8_margin_per_mm2,
            Biomarker::Cd8StromaPerMm2 => b.cd8_stroma_per_mm2,
        }
    }
}

/// `biomarker` ≥ `at_least` and < `below` (either bound may be absent), e.g.
/// pembrolizumab monotherapy for NSCLC with PD-L1 TPS ≥ 50 % (KEYNOTE-024, Reck et al.
/// 2016, N Engl J Med 375:1823).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BiomarkerRule {
    pub biomarker: Biomarker,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
}

impl BiomarkerRule {
    /// Whether the tumour's biomarkers meet the rule; never without biomarkers.
    pub fn holds(&self, b: Option<&Biomarkers>) -> bool {
        let Some(b) = b else { return false };
        let v = self.biomarker.value(b);
        self.at_least.is_none_or(|lo| v >= lo) && self.below.is_none_or(|hi| v < hi)
    }

    /// The rule as a scene writes it, e.g. "pdl1_tps_percent ≥ 50".
    pub fn describe(&self) -> String {
        let name = self.biomarker.name();
        match (self.at_least, self.below) {
            (Some(lo), Some(hi)) => format!("{lo} ≤ {name} < {hi}"),
            (Some(lo), None) => format!("{name} ≥ {lo}"),
            (None, Some(hi)) => format!("{name} < {hi}"),
            (None, None) => format!("{name} (any value)"),
        }
    }
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
