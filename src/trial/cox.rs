//! Cox proportional hazards model with one covariate (Cox 1972), ties handled by Efron's
//! approximation (Efron 1977), fitted by Newton–Raphson: what R's
//! `survival::coxph(Surv(time, event) ~ x)` does by default (`ties = "efron"`).
//!
//! With risk set R_j and d_j events D_j at the j-th distinct event time, w_i = exp(β x_i),
//! S_k = Σ_{R_j} w_i x_iᵏ and E_k the same sum over D_j, the Efron log partial likelihood is
//!
//!   ℓ(β) = Σ_j [ Σ_{D_j} β x_i − Σ_{r=0}^{d_j−1} log(S_0 − (r/d_j) E_0) ]
//!
//! with score and information from the same terms. As in R the covariate is centred on
//! its mean first (β does not change; the sums stay in range), Newton steps that lower ℓ
//! are halved, and the standard error is the root of the inverse information at β̂. The
//! interval is Wald's: exp(β̂ ± z·se). The likelihood-ratio, Wald and score tests are
//! those `summary(coxph)` prints.
//!
//! When the likelihood keeps rising as |β| grows (monotone likelihood, e.g. one arm has no
//! events) R warns that the coefficient may be infinite; here that is an error.

use super::distributions::{chi_square_sf, normal_quantile, normal_sf};
use super::{check_arm, check_conf_level, Arm, SurvivalRecord, TrialError};
use serde::{Deserialize, Serialize};

const MAX_ITERATIONS: usize = 50;
const MAX_STEP_HALVINGS: usize = 40;
/// |β| times the largest |centred x| beyond which the hazard ratio is taken as infinite.
const DIVERGED: f64 = 100.0;

/// A fitted one-covariate Cox model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoxFit {
    pub n: usize,
    pub events: usize,
    /// Always "efron".
    pub ties: String,
    pub coef: f64,
    pub se: f64,
    /// exp(coef): the hazard at x + 1 over the hazard at x.
    pub hazard_ratio: f64,
    pub conf_level: f64,
    pub lower: f64,
    pub upper: f64,
    /// Wald z = coef/se and its two-sided p-value.
    pub z: f64,
    pub p_value: f64,
    pub loglik_null: f64,
    pub loglik: f64,
    pub lr_chi_square: f64,
    pub lr_p_value: f64,
    pub score_chi_square: f64,
    pub score_p_value: f64,
    pub iterations: usize,
}

/// x > 0, false for NaN.
fn positive(x: f64) -> bool {
    x > 0.0
}

/// The new log-likelihood is at least the old one (false for NaN).
fn no_worse(new: f64, old: f64) -> bool {
    new >= old
}

struct Subject {
    time: f64,
    event: bool,
    x: f64,
}

/// Whether the likelihood is monotone in β, so that β̂ is ±∞: every event has the
/// largest covariate of its risk set (β → +∞), or every event the smallest (β → −∞) —
/// e.g. two arms where one has no events, or all of one arm's events come after the
/// other arm has left follow-up. `subjects` are sorted by time, latest first.
fn monotone(subjects: &[Subject]) -> bool {
    let (mut all_max, mut all_min) = (true, true);
    let (mut max, mut min) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut i = 0;
    while i < subjects.len() {
        let t = subjects[i].time;
        let group = subjects[i..].iter().take_while(|s| s.time == t).count();
        let tied = &subjects[i..i + group];
        // The risk set at t: everyone followed to t or later, the tied group included.
        for s in tied {
            max = max.max(s.x);
            min = min.min(s.x);
        }
        for s in tied.iter().filter(|s| s.event) {
            all_max &= s.x >= max;
            all_min &= s.x <= min;
        }
        i += group;
    }
    all_max || all_min
}

/// ℓ(β), U(β) = dℓ/dβ and I(β) = −d²ℓ/dβ² with Efron ties. `subjects` are sorted by
/// time, latest first.
fn efron(subjects: &[Subject], beta: f64) -> (f64, f64, f64) {
    let (mut loglik, mut score, mut info) = (0.0, 0.0, 0.0);
    let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
    let mut i = 0;
    while i < subjects.len() {
        let time = subjects[i].time;
        let group = subjects[i..].iter().take_while(|s| s.time == time).count();
        let (mut e0, mut e1, mut e2, mut d, mut x_events) = (0.0, 0.0, 0.0, 0usize, 0.0);
        for s in &subjects[i..i + group] {
            let w = (beta * s.x).exp();
            s0 += w;
            s1 += w * s.x;
            s2 += w * s.x * s.x;
            if s.event {
                e0 += w;
                e1 += w * s.x;
                e2 += w * s.x * s.x;
                d += 1;
                x_events += s.x;
            }
        }
        if d > 0 {
            loglik += beta * x_events;
            score += x_events;
            for r in 0..d {
                let f = r as f64 / d as f64;
                let a0 = s0 - f * e0;
                let mean = (s1 - f * e1) / a0;
                loglik -= a0.ln();
                score -= mean;
                info += (s2 - f * e2) / a0 - mean * mean;
            }
        }
        i += group;
    }
    (loglik, score, info)
}

/// Fits the model to (record, covariate) pairs. Errors: no records, a bad time or a
/// covariate that is not finite, no events, a covariate that carries no information
/// (constant within every risk set), or a coefficient that runs off to infinity.
pub fn cox_one_covariate(
    data: &[(SurvivalRecord, f64)],
    conf_level: f64,
) -> Result<CoxFit, TrialError> {
    let records: Vec<SurvivalRecord> = data.iter().map(|(r, _)| *r).collect();
    check_arm("all arms", &records)?;
    check_conf_level(conf_level)?;
    if data.iter().any(|(_, x)| !x.is_finite()) {
        return Err(TrialError::Cox("a covariate value is not finite".into()));
    }
    let events = records.iter().filter(|r| r.event).count();
    if events == 0 {
        return Err(TrialError::Cox("there are no events".into()));
    }
    let mean = data.iter().map(|(_, x)| x).sum::<f64>() / data.len() as f64;
    let mut subjects: Vec<Subject> = data
        .iter()
        .map(|(r, x)| Subject {
            time: r.time,
            event: r.event,
            x: x - mean,
        })
        .collect();
    subjects.sort_by(|a, b| b.time.total_cmp(&a.time));
    let spread = subjects.iter().map(|s| s.x.abs()).fold(0.0, f64::max);

    let (loglik_null, score_null, info_null) = efron(&subjects, 0.0);
    if !positive(info_null) {
        return Err(TrialError::Cox(
            "the covariate carries no information (the same value in every risk set)".into(),
        ));
    }
    let diverged = || {
        TrialError::Cox(
            "the coefficient does not converge: the likelihood keeps rising as it grows \
             (monotone likelihood, e.g. an arm with no events); the hazard ratio is 0 or infinite"
                .into(),
        )
    };
    if monotone(&subjects) {
        return Err(diverged());
    }
    let (mut beta, mut loglik, mut score, mut info) = (0.0, loglik_null, score_null, info_null);
    let mut iterations = 0;
    loop {
        if iterations == MAX_ITERATIONS {
            return Err(diverged());
        }
        iterations += 1;
        if !positive(info) {
            return Err(diverged());
        }
        let mut step = score / info;
        let mut next = efron(&subjects, beta + step);
        let mut halvings = 0;
        while !no_worse(next.0, loglik) && halvings < MAX_STEP_HALVINGS {
            step /= 2.0;
            next = efron(&subjects, beta + step);
            halvings += 1;
        }
        if !no_worse(next.0, loglik) {
            // No step improves ℓ: β is at the maximum to working precision.
            break;
        }
        beta += step;
        if (beta * spread).abs() > DIVERGED {
            return Err(diverged());
        }
        (loglik, score, info) = next;
        if step.abs() <= 1e-10 * beta.abs().max(1.0) {
            break;
        }
    }
    if !positive(info) {
        return Err(diverged());
    }
    let se = (1.0 / info).sqrt();
    let z_crit = normal_quantile(1.0 - (1.0 - conf_level) / 2.0);
    let z = beta / se;
    let lr = (2.0 * (loglik - loglik_null)).max(0.0);
    let score_chi = score_null * score_null / info_null;
    Ok(CoxFit {
        n: data.len(),
        events,
        ties: "efron".into(),
        coef: beta,
        se,
        hazard_ratio: beta.exp(),
        conf_level,
        lower: (beta - z_crit * se).exp(),
        upper: (beta + z_crit * se).exp(),
        z,
        p_value: 2.0 * normal_sf(z.abs()),
        loglik_null,
        loglik,
        lr_chi_square: lr,
        lr_p_value: chi_square_sf(lr, 1.0),
        score_chi_square: score_chi,
        score_p_value: chi_square_sf(score_chi, 1.0),
        iterations,
    })
}

/// The hazard ratio of `comparison` against `reference` (covariate 1 in `comparison`, 0
/// in `reference`). Errors as [`cox_one_covariate`], and an empty arm.
pub fn cox_two_arms(
    reference: &Arm,
    comparison: &Arm,
    conf_level: f64,
) -> Result<CoxFit, TrialError> {
    check_arm(&reference.name, &reference.records)?;
    check_arm(&comparison.name, &comparison.records)?;
    let data: Vec<(SurvivalRecord, f64)> = reference
        .records
        .iter()
        .map(|r| (*r, 0.0))
        .chain(comparison.records.iter().map(|r| (*r, 1.0)))
        .collect();
    cox_one_covariate(&data, conf_level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm(name: &str, times: &[(f64, bool)]) -> Arm {
        Arm::from_pairs(name, times)
    }

    #[test]
    fn trial_cox_score_at_zero_is_the_logrank_without_ties() {
        // Without tied event times the score test at β = 0 is the log-rank statistic.
        let a = arm("a", &[(1.0, true), (3.0, true), (5.0, false), (6.0, true)]);
        let b = arm("b", &[(2.0, true), (4.0, true), (7.0, true), (8.0, false)]);
        let fit = cox_two_arms(&a, &b, 0.95).unwrap();
        let lr = super::super::logrank::logrank(&[a, b]).unwrap();
        assert!((fit.score_chi_square - lr.chi_square).abs() < 1e-12);
        // at the maximum the score is zero and the LR test is positive
        assert!(fit.lr_chi_square >= 0.0 && fit.se > 0.0);
        assert!((fit.hazard_ratio - fit.coef.exp()).abs() < 1e-15);
    }

    #[test]
    fn trial_cox_swapping_arms_negates_the_coefficient() {
        let a = arm(
            "a",
            &[
                (1.0, true),
                (2.0, true),
                (2.0, true),
                (5.0, false),
                (6.0, true),
            ],
        );
        let b = arm(
            "b",
            &[
                (2.0, true),
                (4.0, true),
                (7.0, true),
                (8.0, false),
                (9.0, true),
            ],
        );
        let ab = cox_two_arms(&a, &b, 0.95).unwrap();
        let ba = cox_two_arms(&b, &a, 0.95).unwrap();
        assert!((ab.coef + ba.coef).abs() < 1e-9);
        assert!((ab.se - ba.se).abs() < 1e-9);
        assert!((ab.lower * ba.upper - 1.0).abs() < 1e-8);
    }

    #[test]
    fn trial_cox_sees_monotone_likelihood_with_many_ties() {
        // A virtual trial's shape: every patient of one arm progresses at one of a few
        // scan days, none of the reference arm does (R: "coefficient may be infinite").
        let days = [7.0, 7.0, 7.0, 14.0, 14.0, 14.0, 14.0, 21.0, 7.0, 14.0];
        let progressed: Vec<(f64, bool)> = days.iter().map(|&d| (d, true)).collect();
        let held: Vec<(f64, bool)> = vec![(35.0, false); 10];
        for (a, b) in [(&progressed, &held), (&held, &progressed)] {
            match cox_two_arms(&arm("a", a), &arm("b", b), 0.95) {
                Err(TrialError::Cox(m)) => assert!(m.contains("monotone"), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        // One arm's only event comes after the other arm has left follow-up: still
        // monotone (every event has the largest covariate of its risk set).
        let a = arm("a", &[(1.0, true), (2.0, true), (3.0, false)]);
        let b = arm("b", &[(1.5, false), (5.0, true)]);
        assert!(matches!(
            cox_two_arms(&a, &b, 0.95),
            Err(TrialError::Cox(_))
        ));
        // Overlapping events: a finite fit.
        let b = arm("b", &[(1.5, true), (5.0, true)]);
        assert!(cox_two_arms(&a, &b, 0.95).is_ok());
    }

    #[test]
    fn trial_cox_refuses_what_it_cannot_fit() {
        let events = arm("e", &[(1.0, true), (2.0, true), (3.0, true)]);
        let none = arm("n", &[(1.5, false), (2.5, false), (3.5, false)]);
        assert!(matches!(
            cox_two_arms(&events, &none, 0.95),
            Err(TrialError::Cox(_))
        ));
        let censored = arm("c", &[(1.0, false)]);
        assert!(matches!(
            cox_two_arms(&censored, &none, 0.95),
            Err(TrialError::Cox(_))
        ));
        let empty = arm("x", &[]);
        assert!(matches!(
            cox_two_arms(&events, &empty, 0.95),
            Err(TrialError::EmptyArm { .. })
        ));
        let data = [(SurvivalRecord::event(1.0), f64::NAN)];
        assert!(matches!(
            cox_one_covariate(&data, 0.95),
            Err(TrialError::Cox(_))
        ));
        let same = [
            (SurvivalRecord::event(1.0), 2.0),
            (SurvivalRecord::event(2.0), 2.0),
        ];
        assert!(matches!(
            cox_one_covariate(&same, 0.95),
            Err(TrialError::Cox(_))
        ));
    }
}
