//! Median (and other quantiles) of a Kaplan–Meier curve with the Brookmeyer–Crowley
//! (1982) confidence interval, exactly as R's `print(survfit(...))` and
//! `quantile.survfit` (survival 3.x) report them.
//!
//! The quantile for probability p (0.5 for the median) is where a horizontal line at
//! S = 1 − p meets the curve; the interval is where it meets the pointwise band of
//! [`kaplan_meier`](mod@super::kaplan_meier) (so with R's default `conf.type = "log"` this is
//! the interval R prints beside the median):
//!
//! - estimate: the first time S(t) <= 1 − p;
//! - lower limit: the same on the lower band, upper limit: the same on the upper band;
//! - if a curve equals 1 − p (within √ε) over a flat stretch, the midpoint of that stretch
//!   (to the next time the curve drops, or to the last observed time when the flat
//!   stretch is the end of the curve);
//! - `None` (R's NA) when the curve never gets that low, e.g. an upper band that stays
//!   above 0.5, or a band that is undefined where it would cross (S = 0 after a last
//!   observation that is an event).
//!
//! R finds the crossing with `approx` on the band values sorted by size, so on a band
//! that rises again (the capped upper band can) it picks the point whose value is the
//! highest at or below 1 − p, not the earliest; this is mirrored so results match R.

use super::kaplan_meier::KaplanMeier;
use super::TrialError;
use serde::{Deserialize, Serialize};

/// R's `tolerance = sqrt(.Machine$double.eps)`.
const TOLERANCE: f64 = 1.490_116_119_384_765_6e-8;

/// A quantile of a survival curve with its confidence interval (None = R's NA).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantileEstimate {
    /// The probability of the event by then (0.5 for the median).
    pub prob: f64,
    pub time: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// Where the curve of event probabilities `cdf` (one value per time, None where
/// undefined) first reaches `p`: R's `findq`.
fn find_quantile(times: &[f64], cdf: &[Option<f64>], p: f64, last_time: f64) -> Option<f64> {
    // Drop repeated values (censoring times, capped band), keeping the first.
    let mut kept: Vec<(f64, Option<f64>)> = Vec::with_capacity(times.len());
    for (&t, &v) in times.iter().zip(cdf) {
        if !kept.iter().any(|&(_, seen)| seen == v) {
            kept.push((t, v));
        }
    }
    let defined: Vec<(usize, f64)> = kept
        .iter()
        .enumerate()
        .filter_map(|(i, &(_, v))| v.map(|v| (i, v)))
        .collect();
    // The point with the smallest value v such that v + shift >= p (approx's constant
    // interpolation, right-continuous, NA below the smallest value).
    let reach = |shift: f64| -> Option<usize> {
        let smallest = defined
            .iter()
            .map(|&(_, v)| v)
            .fold(f64::INFINITY, f64::min);
        if p < smallest + shift {
            return None;
        }
        defined
            .iter()
            .filter(|&&(_, v)| v + shift >= p)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|&(i, _)| i)
    };
    let first = reach(TOLERANCE)?;
    if let Some(&(_, Some(last))) = kept.last() {
        if (p - last).abs() < TOLERANCE {
            return Some((kept[first].0 + last_time) / 2.0);
        }
    }
    let second = reach(-TOLERANCE)?;
    Some((kept[first].0 + kept[second].0) / 2.0)
}

/// The quantile of `km` for event probability `prob` in (0, 1), with its confidence
/// interval from the curve's own band.
pub fn survival_quantile(km: &KaplanMeier, prob: f64) -> Result<QuantileEstimate, TrialError> {
    if !(prob > 0.0 && prob < 1.0) {
        return Err(TrialError::Probability(prob));
    }
    // R starts every curve at (0, S = 1).
    let times: Vec<f64> = std::iter::once(0.0)
        .chain(km.steps.iter().map(|s| s.time))
        .collect();
    let last_time = km.steps.last().map_or(0.0, |s| s.time);
    let curve = |value: &dyn Fn(&super::KmStep) -> Option<f64>| -> Option<f64> {
        let cdf: Vec<Option<f64>> = std::iter::once(Some(0.0))
            .chain(km.steps.iter().map(|s| value(s).map(|v| 1.0 - v)))
            .collect();
        find_quantile(&times, &cdf, prob, last_time)
    };
    Ok(QuantileEstimate {
        prob,
        time: curve(&|s| Some(s.survival)),
        lower: curve(&|s| s.lower),
        upper: curve(&|s| s.upper),
    })
}

/// Median survival with its confidence interval (Brookmeyer–Crowley, as R prints it).
pub fn median_survival(km: &KaplanMeier) -> QuantileEstimate {
    survival_quantile(km, 0.5).expect("0.5 is a valid probability")
}

#[cfg(test)]
mod tests {
    use super::super::kaplan_meier::{kaplan_meier, ConfType};
    use super::super::SurvivalRecord;
    use super::*;

    fn km(times: &[(f64, bool)]) -> KaplanMeier {
        let records: Vec<SurvivalRecord> = times
            .iter()
            .map(|&(time, event)| SurvivalRecord { time, event })
            .collect();
        kaplan_meier("a", &records, 0.95, ConfType::Log).unwrap()
    }

    #[test]
    fn trial_median_flat_at_half_takes_the_midpoint() {
        // survfit(Surv(1:4) ~ 1): S = .75, .5, .25, 0 -> median 2.5
        let fit = km(&[(1.0, true), (2.0, true), (3.0, true), (4.0, true)]);
        assert_eq!(median_survival(&fit).time, Some(2.5));
        // a flat at 0.5 that is the end of the curve: midpoint to the last time
        let fit = km(&[(1.0, true), (3.0, false)]);
        assert_eq!(median_survival(&fit).time, Some(2.0));
    }

    #[test]
    fn trial_median_last_observation_event_has_no_upper_limit() {
        // 1, 2, 3 all events: S = 2/3, 1/3, 0. The upper band is capped at 1 until S = 0,
        // where it is undefined: R prints median 2, lower 1, upper NA.
        let fit = km(&[(1.0, true), (2.0, true), (3.0, true)]);
        let m = median_survival(&fit);
        assert_eq!((m.time, m.lower, m.upper), (Some(2.0), Some(1.0), None));
    }

    #[test]
    fn trial_median_not_reached() {
        let fit = km(&[(1.0, true), (2.0, false), (3.0, false), (4.0, false)]);
        let m = median_survival(&fit);
        assert_eq!((m.time, m.upper), (None, None));
        let fit = km(&[(5.0, false)]);
        assert_eq!(median_survival(&fit).time, None);
        assert_eq!(median_survival(&fit).lower, None);
    }

    #[test]
    fn trial_quantile_on_a_band_that_rises_again_follows_r() {
        // 1 − band: 0, 0.1, 0.6, 0.55, 0.7. R's approx sorts the values, so the crossing
        // of 0.5 is at the smallest value above it, 0.55 at t = 3, not the first at t = 2.
        let times = [0.0, 1.0, 2.0, 3.0, 4.0];
        let cdf = [Some(0.0), Some(0.1), Some(0.6), Some(0.55), Some(0.7)];
        assert_eq!(find_quantile(&times, &cdf, 0.5, 4.0), Some(3.0));
        // undefined values take no part; a curve that never gets there has no quantile
        let cdf = [Some(0.0), Some(0.1), None, Some(0.4), None];
        assert_eq!(find_quantile(&times, &cdf, 0.5, 4.0), None);
    }

    #[test]
    fn trial_quantile_refuses_bad_probability() {
        let fit = km(&[(1.0, true)]);
        for p in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(matches!(
                survival_quantile(&fit, p),
                Err(TrialError::Probability(_))
            ));
        }
        let q = survival_quantile(
            &km(&[(1.0, true), (2.0, true), (3.0, true), (4.0, true)]),
            0.25,
        )
        .unwrap();
        assert_eq!(q.time, Some(1.5));
    }
}
