//! The response of one line of therapy over time: baseline, nadir, each assessment's
//! RECIST 1.1 response, confirmed progression, time to progression and best overall
//! response (Eisenhauer et al. 2009, Eur J Cancer 45:228, §4.4).

use super::recist::{Criteria, Response, BOUNDARY_TOLERANCE_MM};
use serde::{Deserialize, Serialize};

/// How many consecutive PD assessments make progression. 1 is RECIST 1.1; 2 asks for a
/// confirming scan, as iRECIST does for immunotherapy pseudo-progression (Seymour et al.
/// 2017, Lancet Oncol 18:e143). Progression is dated at the first PD of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmedProgression {
    pub scans: u32,
}

impl Default for ConfirmedProgression {
    fn default() -> Self {
        ConfirmedProgression { scans: 1 }
    }
}

/// One assessment after baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub time_h: f64,
    /// Recorded longest diameter (0 = not detected).
    pub diameter_mm: f64,
    /// Nadir this assessment was judged against.
    pub nadir_mm: f64,
    pub response: Response,
}

/// Baseline, nadir and the assessments of one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseTracker {
    criteria: Criteria,
    confirm: ConfirmedProgression,
    baseline_h: f64,
    baseline_mm: f64,
    nadir_mm: f64,
    prior_cr: bool,
    pd_streak: u32,
    progression_h: Option<f64>,
    history: Vec<Assessment>,
}

impl ResponseTracker {
    /// A tracker whose baseline is the recorded diameter at `baseline_h`.
    pub fn new(
        baseline_h: f64,
        baseline_mm: f64,
        criteria: Criteria,
        confirm: ConfirmedProgression,
    ) -> Self {
        ResponseTracker {
            criteria,
            confirm,
            baseline_h,
            baseline_mm,
            nadir_mm: baseline_mm,
            prior_cr: false,
            pd_streak: 0,
            progression_h: None,
            history: Vec::new(),
        }
    }

    /// Judges the recorded diameter at `time_h` against baseline and nadir, then lowers
    /// the nadir. Assessments after confirmed progression are still classified and kept,
    /// but progression time and best response no longer change.
    pub fn record(&mut self, time_h: f64, diameter_mm: f64) -> Assessment {
        let response =
            self.criteria
                .classify(self.baseline_mm, self.nadir_mm, diameter_mm, self.prior_cr);
        let assessment = Assessment {
            time_h,
            diameter_mm,
            nadir_mm: self.nadir_mm,
            response,
        };
        self.history.push(assessment);
        self.nadir_mm = self.nadir_mm.min(diameter_mm);
        self.prior_cr |= response == Response::Cr;
        if response == Response::Pd {
            self.pd_streak += 1;
        } else {
            self.pd_streak = 0;
        }
        if self.progression_h.is_none() && self.pd_streak >= self.confirm.scans.max(1) {
            let first = self.history.len() - self.pd_streak as usize;
            self.progression_h = Some(self.history[first].time_h);
        }
        assessment
    }

    pub fn baseline_h(&self) -> f64 {
        self.baseline_h
    }

    pub fn baseline_mm(&self) -> f64 {
        self.baseline_mm
    }

    /// Smallest recorded diameter so far, baseline included.
    pub fn nadir_mm(&self) -> f64 {
        self.nadir_mm
    }

    pub fn history(&self) -> &[Assessment] {
        &self.history
    }

    /// Consecutive PD assessments ending with the latest.
    pub fn pd_streak(&self) -> u32 {
        self.pd_streak
    }

    /// Whether progression is confirmed.
    pub fn progressed(&self) -> bool {
        self.progression_h.is_some()
    }

    /// Time of the first PD of the confirming run.
    pub fn progression_h(&self) -> Option<f64> {
        self.progression_h
    }

    /// Time from baseline to progression.
    pub fn time_to_progression_h(&self) -> Option<f64> {
        self.progression_h.map(|t| t - self.baseline_h)
    }

    /// The best (most negative) change of the recorded diameter from baseline over the
    /// assessments up to and including the progression date, in percent: what a
    /// waterfall plot shows per patient. `None` before the first assessment.
    pub fn best_change_percent(&self) -> Option<f64> {
        if self.baseline_mm <= 0.0 {
            return None;
        }
        self.history
            .iter()
            .filter(|a| self.progression_h.is_none_or(|p| a.time_h <= p))
            .map(|a| (a.diameter_mm / self.baseline_mm - 1.0) * 100.0)
            .reduce(f64::min)
    }

    /// Best overall response so far (RECIST 1.1 §4.4), over assessments up to and
    /// including the progression date:
    /// CR or PR if a run of consecutive assessments at that level or better spans at
    /// least `confirm_days` (so PR then CR confirms PR, CR then CR confirms CR);
    /// else SD if any non-PD assessment came at least `sd_min_days` after baseline
    /// (an unconfirmed PR or CR counts as SD); else PD if progression is confirmed;
    /// else `None` (not evaluable yet).
    pub fn best_overall_response(&self) -> Option<Response> {
        let window: Vec<&Assessment> = self
            .history
            .iter()
            .filter(|a| self.progression_h.is_none_or(|p| a.time_h <= p))
            .collect();
        let confirm_h = self.criteria.confirm_days * 24.0;
        for level in [Response::Cr, Response::Pr] {
            let mut run_start: Option<f64> = None;
            for a in &window {
                if a.response >= level {
                    let start = *run_start.get_or_insert(a.time_h);
                    if a.time_h - start >= confirm_h - BOUNDARY_TOLERANCE_MM {
                        return Some(level);
                    }
                } else {
                    run_start = None;
                }
            }
        }
        let sd_h = self.criteria.sd_min_days * 24.0;
        let stable = window.iter().any(|a| {
            a.response != Response::Pd && a.time_h - self.baseline_h >= sd_h - BOUNDARY_TOLERANCE_MM
        });
        if stable {
            Some(Response::Sd)
        } else if self.progressed() {
            Some(Response::Pd)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Response::{Cr, Pd, Pr, Sd};

    const DAY_H: f64 = 24.0;

    fn run(
        baseline_mm: f64,
        scans: &[(f64, f64)],
        confirm: u32,
        criteria: Criteria,
    ) -> ResponseTracker {
        let mut t = ResponseTracker::new(
            0.0,
            baseline_mm,
            criteria,
            ConfirmedProgression { scans: confirm },
        );
        for &(day, mm) in scans {
            t.record(day * DAY_H, mm);
        }
        t
    }

    fn responses(t: &ResponseTracker) -> Vec<Response> {
        t.history().iter().map(|a| a.response).collect()
    }

    #[test]
    fn shrink_then_regrow_from_nadir_is_progression() {
        let t = run(
            50.0,
            &[(56.0, 30.0), (112.0, 28.0), (168.0, 20.0), (224.0, 25.0)],
            1,
            Criteria::RECIST_1_1,
        );
        assert_eq!(responses(&t), [Pr, Pr, Pr, Pd]);
        assert_eq!(t.history()[3].nadir_mm, 20.0);
        assert_eq!(t.nadir_mm(), 20.0);
        assert_eq!(t.progression_h(), Some(224.0 * DAY_H));
        assert_eq!(t.time_to_progression_h(), Some(224.0 * DAY_H));
        assert_eq!(
            t.best_overall_response(),
            Some(Pr),
            "PR at day 56 confirmed at day 112"
        );
    }

    #[test]
    fn ttp_is_measured_from_baseline() {
        let mut t = ResponseTracker::new(
            100.0,
            40.0,
            Criteria::RECIST_1_1,
            ConfirmedProgression::default(),
        );
        t.record(100.0 + 56.0 * DAY_H, 50.0);
        assert_eq!(t.progression_h(), Some(100.0 + 56.0 * DAY_H));
        assert_eq!(t.time_to_progression_h(), Some(56.0 * DAY_H));
        assert_eq!(t.best_overall_response(), Some(Pd));
    }

    #[test]
    fn unconfirmed_pr_then_pd_is_sd_or_pd_by_sd_duration() {
        // PR at day 56 (≥ 42 days after baseline), PD next: SD.
        let t = run(
            50.0,
            &[(56.0, 30.0), (112.0, 40.0)],
            1,
            Criteria::RECIST_1_1,
        );
        assert_eq!(responses(&t), [Pr, Pd]);
        assert_eq!(t.best_overall_response(), Some(Sd));
        // PR at day 28 (< 42 days), PD at day 56: PD.
        let t = run(50.0, &[(28.0, 30.0), (56.0, 40.0)], 1, Criteria::RECIST_1_1);
        assert_eq!(t.best_overall_response(), Some(Pd));
    }

    #[test]
    fn confirmation_needs_four_weeks() {
        // PR at days 56 and 70: 14 days apart, unconfirmed, counts as SD.
        let t = run(50.0, &[(56.0, 30.0), (70.0, 30.0)], 1, Criteria::RECIST_1_1);
        assert_eq!(t.best_overall_response(), Some(Sd));
        // Days 56 and 84: exactly 28 days, confirmed.
        let t = run(50.0, &[(56.0, 30.0), (84.0, 30.0)], 1, Criteria::RECIST_1_1);
        assert_eq!(t.best_overall_response(), Some(Pr));
        // Without confirmation (randomised trial) one PR is enough.
        let randomised = Criteria {
            confirm_days: 0.0,
            ..Criteria::RECIST_1_1
        };
        let t = run(50.0, &[(56.0, 30.0)], 1, randomised);
        assert_eq!(t.best_overall_response(), Some(Pr));
        // A single early SD is not evaluable yet.
        let t = run(50.0, &[(14.0, 48.0)], 1, Criteria::RECIST_1_1);
        assert_eq!(t.best_overall_response(), None);
    }

    #[test]
    fn complete_response_and_reappearance() {
        // CR, CR four weeks later: confirmed CR.
        let t = run(50.0, &[(56.0, 0.0), (84.0, 0.0)], 1, Criteria::RECIST_1_1);
        assert_eq!(responses(&t), [Cr, Cr]);
        assert_eq!(t.best_overall_response(), Some(Cr));
        // PR then CR: PR confirmed, CR not.
        let t = run(50.0, &[(56.0, 30.0), (112.0, 0.0)], 1, Criteria::RECIST_1_1);
        assert_eq!(t.best_overall_response(), Some(Pr));
        // CR then the lesion reappears at 6 mm: PD although far below baseline.
        let t = run(50.0, &[(56.0, 0.0), (112.0, 6.0)], 1, Criteria::RECIST_1_1);
        assert_eq!(responses(&t), [Cr, Pd]);
        assert_eq!(t.progression_h(), Some(112.0 * DAY_H));
        assert_eq!(
            t.best_overall_response(),
            Some(Sd),
            "unconfirmed CR at day 56 counts as SD"
        );
    }

    #[test]
    fn two_scan_confirmation_of_progression() {
        // PD then SD: not progression, streak resets.
        let t = run(
            40.0,
            &[(56.0, 50.0), (112.0, 44.0)],
            2,
            Criteria::RECIST_1_1,
        );
        assert_eq!(responses(&t), [Pd, Sd]);
        assert_eq!(t.pd_streak(), 0);
        assert!(!t.progressed());
        assert_eq!(t.best_overall_response(), Some(Sd));
        // PD, PD: progression dated at the first.
        let t = run(
            40.0,
            &[(56.0, 44.0), (112.0, 50.0), (168.0, 60.0)],
            2,
            Criteria::RECIST_1_1,
        );
        assert_eq!(responses(&t), [Sd, Pd, Pd]);
        assert_eq!(t.progression_h(), Some(112.0 * DAY_H));
        assert_eq!(t.time_to_progression_h(), Some(112.0 * DAY_H));
        assert_eq!(t.best_overall_response(), Some(Sd));
    }

    #[test]
    fn later_assessments_do_not_change_progression() {
        let mut t = run(40.0, &[(56.0, 50.0)], 1, Criteria::RECIST_1_1);
        t.record(112.0 * DAY_H, 10.0);
        t.record(140.0 * DAY_H, 10.0);
        assert_eq!(t.progression_h(), Some(56.0 * DAY_H));
        assert_eq!(
            t.best_overall_response(),
            Some(Pd),
            "PR after progression does not count"
        );
    }

    #[test]
    fn best_change_is_the_deepest_shrinkage_up_to_progression() {
        // 50 mm baseline: 40 (−20 %), 30 (−40 %), then regrowth to 40 and 45 (PD
        // +33 % over the 30 mm nadir), then a later 10 mm that comes after progression.
        let scans = [(42.0, 40.0), (84.0, 30.0), (126.0, 40.0), (168.0, 10.0)];
        let t = run(50.0, &scans, 1, Criteria::RECIST_1_1);
        assert!(t.progressed());
        let best = t.best_change_percent().unwrap();
        assert!((best - -40.0).abs() < 1e-9, "{best}");
        let fresh = run(50.0, &[], 1, Criteria::RECIST_1_1);
        assert_eq!(fresh.best_change_percent(), None);
        let grew = run(50.0, &[(42.0, 55.0)], 2, Criteria::RECIST_1_1);
        assert!((grew.best_change_percent().unwrap() - 10.0).abs() < 1e-9);
    }
}
