//! Kaplan–Meier (product-limit) estimate of survival, Greenwood's variance and pointwise
//! confidence bands, as R's `survival::survfit(Surv(time, event) ~ 1)` computes them.
//!
//! At each distinct time t_j with n_j at risk (time >= t_j) and d_j events:
//!
//! - S(t) = ∏_{t_j <= t} (1 − d_j / n_j)  (Kaplan & Meier 1958);
//! - Var(log S(t)) = Σ_{t_j <= t} d_j / (n_j (n_j − d_j))  (Greenwood 1926); its root is
//!   `std_err_log` (R's `fit$std.err`), and `std_err` = S · that root is the standard error
//!   of S that `summary(fit)` prints;
//! - the band is R's `conf.type`: **"log" is the default here, as in `survfit`**:
//!   S·exp(±z·se_log), the upper limit capped at 1. "log-log" (exp(−exp(log(−log S) ±
//!   z·se_log/log S))) and "plain" (S ± z·S·se_log, clipped to [0, 1]) are there too.
//!
//! Ties are exact equal times; a patient censored at an event time counts as at risk at
//! it. Once S reaches 0 (n_j = d_j) the variance is infinite: `std_err`, `lower` and
//! `upper` are `None` there (R prints NaN and NA). Log-log bands are also `None` where
//! S = 1, as in R.

use super::distributions::normal_quantile;
use super::{check_arm, check_conf_level, sorted_by_time, SurvivalRecord, TrialError};
use serde::{Deserialize, Serialize};

/// How the pointwise band is built (R's `survfit(conf.type = …)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfType {
    /// S ± z·se(S), clipped to [0, 1].
    Plain,
    /// exp(log S ± z·se(log S)), upper limit capped at 1: R's default.
    #[default]
    Log,
    /// exp(−exp(log(−log S) ± z·se(log S)/log S)).
    LogLog,
}

impl ConfType {
    /// R's name for it: "plain", "log", "log-log".
    pub fn r_name(self) -> &'static str {
        match self {
            ConfType::Plain => "plain",
            ConfType::Log => "log",
            ConfType::LogLog => "log-log",
        }
    }

    /// Parses R's name.
    pub fn from_r_name(name: &str) -> Option<ConfType> {
        match name {
            "plain" => Some(ConfType::Plain),
            "log" => Some(ConfType::Log),
            "log-log" => Some(ConfType::LogLog),
            _ => None,
        }
    }
}

/// The curve at one distinct observed time (an event time or a censoring time), as a row
/// of R's `summary(fit, censored = TRUE)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KmStep {
    pub time: f64,
    /// At risk just before `time`: the records with time >= `time`.
    pub n_risk: usize,
    pub n_event: usize,
    pub n_censor: usize,
    /// S(time), the value from `time` on.
    pub survival: f64,
    /// Greenwood standard error of S (None once S = 0).
    pub std_err: Option<f64>,
    /// Standard error of log S (R's `fit$std.err`; None once S = 0).
    pub std_err_log: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// The curve read at a chosen time (R's `summary(fit, times = t, extend = TRUE)`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KmPoint {
    pub time: f64,
    /// Records with time >= `time` (the numbers at risk printed under KM figures).
    pub n_risk: usize,
    pub survival: f64,
    pub std_err: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// A Kaplan–Meier curve with its Greenwood band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KaplanMeier {
    pub n: usize,
    pub events: usize,
    pub conf_level: f64,
    pub conf_type: ConfType,
    /// One step per distinct time, increasing.
    pub steps: Vec<KmStep>,
}

/// The pointwise band at survival `s` with `se_log` = se(log S).
pub(crate) fn band(
    s: f64,
    se_log: Option<f64>,
    z: f64,
    conf_type: ConfType,
) -> (Option<f64>, Option<f64>) {
    let Some(se) = se_log else {
        return (None, None);
    };
    if s <= 0.0 {
        return (None, None);
    }
    match conf_type {
        ConfType::Plain => {
            let half = z * se * s;
            (Some((s - half).max(0.0)), Some((s + half).min(1.0)))
        }
        ConfType::Log => (
            Some((s.ln() - z * se).exp()),
            Some((s.ln() + z * se).exp().min(1.0)),
        ),
        ConfType::LogLog => {
            if s >= 1.0 {
                return (None, None);
            }
            let centre = (-s.ln()).ln();
            let half = z * se / s.ln();
            (
                Some((-(centre - half).exp()).exp()),
                Some((-(centre + half).exp()).exp()),
            )
        }
    }
}

/// The Kaplan–Meier estimate for one arm. Errors: an empty arm, a time that is negative
/// or not finite, a confidence level outside (0, 1). An arm with no events gives a flat
/// curve at 1.
pub fn kaplan_meier(
    arm: &str,
    records: &[SurvivalRecord],
    conf_level: f64,
    conf_type: ConfType,
) -> Result<KaplanMeier, TrialError> {
    check_arm(arm, records)?;
    check_conf_level(conf_level)?;
    let z = normal_quantile(1.0 - (1.0 - conf_level) / 2.0);
    let sorted = sorted_by_time(records);
    let mut steps = Vec::new();
    let mut survival = 1.0_f64;
    let mut greenwood = 0.0_f64;
    let mut at_risk = sorted.len();
    let mut i = 0;
    while i < sorted.len() {
        let time = sorted[i].time;
        let group = sorted[i..].iter().take_while(|r| r.time == time).count();
        let n_event = sorted[i..i + group].iter().filter(|r| r.event).count();
        if n_event > 0 {
            let (n, d) = (at_risk as f64, n_event as f64);
            survival *= 1.0 - d / n;
            greenwood = if at_risk > n_event {
                greenwood + d / (n * (n - d))
            } else {
                f64::INFINITY
            };
        }
        let std_err_log = greenwood.is_finite().then(|| greenwood.sqrt());
        let (lower, upper) = band(survival, std_err_log, z, conf_type);
        steps.push(KmStep {
            time,
            n_risk: at_risk,
            n_event,
            n_censor: group - n_event,
            survival,
            std_err: std_err_log.map(|se| se * survival),
            std_err_log,
            lower,
            upper,
        });
        at_risk -= group;
        i += group;
    }
    Ok(KaplanMeier {
        n: records.len(),
        events: records.iter().filter(|r| r.event).count(),
        conf_level,
        conf_type,
        steps,
    })
}

impl KaplanMeier {
    /// The steps at event times only (R's `summary(fit)` without `censored = TRUE`).
    pub fn event_steps(&self) -> impl Iterator<Item = &KmStep> {
        self.steps.iter().filter(|s| s.n_event > 0)
    }

    /// The curve at `time`: the last step at or before it (S = 1 before the first), and
    /// the numbers at risk there. Beyond the last observation the last value is carried
    /// on (R's `extend = TRUE`) with 0 at risk. None for a negative or non-finite time.
    pub fn at(&self, time: f64) -> Option<KmPoint> {
        if !time.is_finite() || time < 0.0 {
            return None;
        }
        let n_risk = self
            .steps
            .iter()
            .find(|s| s.time >= time)
            .map_or(0, |s| s.n_risk);
        let point = match self.steps.iter().rev().find(|s| s.time <= time) {
            Some(s) => KmPoint {
                time,
                n_risk,
                survival: s.survival,
                std_err: s.std_err,
                lower: s.lower,
                upper: s.upper,
            },
            None => {
                let z = normal_quantile(1.0 - (1.0 - self.conf_level) / 2.0);
                let (lower, upper) = band(1.0, Some(0.0), z, self.conf_type);
                KmPoint {
                    time,
                    n_risk,
                    survival: 1.0,
                    std_err: Some(0.0),
                    lower,
                    upper,
                }
            }
        };
        Some(point)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(times: &[(f64, bool)]) -> Vec<SurvivalRecord> {
        times
            .iter()
            .map(|&(time, event)| SurvivalRecord { time, event })
            .collect()
    }

    #[test]
    fn trial_km_by_hand_with_ties_and_censoring() {
        // 1, 2, 2, 2+, 3+, 4: S = 5/6 at t = 1 (6 at risk), × 3/5 at t = 2 (5 at risk)
        let data = records(&[
            (2.0, true),
            (1.0, true),
            (2.0, false),
            (2.0, true),
            (3.0, false),
            (4.0, true),
        ]);
        let km = kaplan_meier("a", &data, 0.95, ConfType::Log).unwrap();
        let times: Vec<f64> = km.steps.iter().map(|s| s.time).collect();
        assert_eq!(times, vec![1.0, 2.0, 3.0, 4.0]);
        let s2 = &km.steps[1];
        assert_eq!((s2.n_risk, s2.n_event, s2.n_censor), (5, 2, 1));
        assert!((s2.survival - 5.0 / 6.0 * 3.0 / 5.0).abs() < 1e-15);
        let gw: f64 = 1.0 / (6.0 * 5.0) + 2.0 / (5.0 * 3.0);
        assert!((s2.std_err.unwrap() - s2.survival * gw.sqrt()).abs() < 1e-15);
        // the last record is an event with one at risk: S = 0, no variance, no band
        let last = km.steps.last().unwrap();
        assert_eq!(last.survival, 0.0);
        assert_eq!((last.std_err, last.lower, last.upper), (None, None, None));
    }

    #[test]
    fn trial_km_at_chosen_times() {
        let data = records(&[(1.0, true), (2.0, false), (3.0, true), (5.0, false)]);
        let km = kaplan_meier("a", &data, 0.95, ConfType::Log).unwrap();
        let at0 = km.at(0.0).unwrap();
        assert_eq!((at0.n_risk, at0.survival), (4, 1.0));
        assert_eq!((at0.lower, at0.upper), (Some(1.0), Some(1.0)));
        let at = km.at(2.5).unwrap();
        assert_eq!(at.n_risk, 2);
        assert!((at.survival - 0.75).abs() < 1e-15);
        assert_eq!(km.at(3.0).unwrap().n_risk, 2);
        assert!((km.at(3.0).unwrap().survival - 0.375).abs() < 1e-15);
        let beyond = km.at(9.0).unwrap();
        assert_eq!((beyond.n_risk, beyond.survival), (0, 0.375));
        assert!(km.at(-1.0).is_none() && km.at(f64::NAN).is_none());
    }

    #[test]
    fn trial_km_all_censored_and_single_record() {
        let km = kaplan_meier(
            "a",
            &records(&[(3.0, false), (1.0, false)]),
            0.95,
            ConfType::Log,
        )
        .unwrap();
        assert!(km.steps.iter().all(|s| s.survival == 1.0));
        assert_eq!(km.events, 0);
        let one = kaplan_meier("a", &records(&[(2.0, true)]), 0.95, ConfType::Log).unwrap();
        assert_eq!(one.steps.len(), 1);
        assert_eq!(one.steps[0].survival, 0.0);
    }

    #[test]
    fn trial_km_refuses_bad_input() {
        assert!(matches!(
            kaplan_meier("empty", &[], 0.95, ConfType::Log),
            Err(TrialError::EmptyArm { .. })
        ));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let r = kaplan_meier("a", &records(&[(bad, true)]), 0.95, ConfType::Log);
            assert!(matches!(r, Err(TrialError::BadTime { .. })), "{bad}");
        }
        let r = kaplan_meier("a", &records(&[(1.0, true)]), 1.0, ConfType::Log);
        assert!(matches!(r, Err(TrialError::ConfLevel(_))));
    }

    #[test]
    fn trial_km_band_types() {
        let z = 1.959_963_984_540_054;
        let (lo, hi) = band(0.6, Some(0.2), z, ConfType::Plain);
        assert!((lo.unwrap() - (0.6 - z * 0.12)).abs() < 1e-15);
        assert!((hi.unwrap() - (0.6 + z * 0.12)).abs() < 1e-15);
        let (lo, hi) = band(0.6, Some(0.2), z, ConfType::LogLog);
        let l = 0.6_f64.ln();
        let expect_lo = 0.6_f64.powf((-z * 0.2 / l).exp());
        let expect_hi = 0.6_f64.powf((z * 0.2 / l).exp());
        assert!((lo.unwrap() - expect_lo).abs() < 1e-14);
        assert!((hi.unwrap() - expect_hi).abs() < 1e-14);
        assert!(lo.unwrap() < 0.6 && hi.unwrap() > 0.6);
        assert_eq!(band(1.0, Some(0.0), z, ConfType::LogLog), (None, None));
        assert_eq!(ConfType::from_r_name("log-log"), Some(ConfType::LogLog));
        assert_eq!(ConfType::default().r_name(), "log");
    }
}
