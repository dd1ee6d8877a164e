//! The log-rank test of equal survival in two or more arms (Mantel 1966; Peto & Peto
//! 1972), as R's `survival::survdiff(Surv(time, event) ~ arm)` computes it (rho = 0).
//!
//! At each distinct event time with n at risk and d events in all arms, arm g with n_g at
//! risk is expected to have d·n_g/n of them; over all times O_g and E_g are the observed
//! and expected events and
//!
//!   V_gh = Σ d (n − d)/(n − 1) · (n_g/n) (δ_gh − n_h/n)
//!
//! the hypergeometric covariance. The statistic is (O − E)ᵀ V⁻¹ (O − E) over all arms but
//! the first, chi-square with (arms − 1) degrees of freedom. As in R, an arm with no one
//! at risk at any event time (E = 0) takes no part and lowers the degrees of freedom.

use super::distributions::chi_square_sf;
use super::{check_arm, Arm, TrialError};
use serde::{Deserialize, Serialize};

/// One arm's row of R's `survdiff` printout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRankArm {
    pub arm: String,
    pub n: usize,
    pub observed: usize,
    pub expected: f64,
    /// (O − E)²/E
    pub chi_e: f64,
    /// (O − E)²/V, V the arm's own variance
    pub chi_v: f64,
}

/// A log-rank test across arms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRank {
    pub arms: Vec<LogRankArm>,
    pub chi_square: f64,
    pub df: usize,
    pub p_value: f64,
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; None when singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let scale = (0..n).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        let size = a[pivot][col].abs();
        if size.is_nan() || size <= 1e-12 * scale {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let factor = a[row][col] / pivot_row[col];
            for (value, above) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *value -= factor * above;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    Some(x)
}

/// The log-rank test between `arms`. Errors: fewer than two arms, an empty arm, a bad
/// time, no events at all, or fewer than two arms with anyone at risk at an event time.
pub fn logrank(arms: &[Arm]) -> Result<LogRank, TrialError> {
    if arms.len() < 2 {
        return Err(TrialError::TooFewArms {
            what: "the log-rank test",
            needs: 2,
            got: arms.len(),
        });
    }
    for arm in arms {
        check_arm(&arm.name, &arm.records)?;
    }
    let k = arms.len();
    let mut pooled: Vec<(f64, bool, usize)> = arms
        .iter()
        .enumerate()
        .flat_map(|(g, arm)| arm.records.iter().map(move |r| (r.time, r.event, g)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    if !pooled.iter().any(|r| r.1) {
        return Err(TrialError::LogRank("no events in any arm".into()));
    }

    let mut at_risk: Vec<f64> = arms.iter().map(|a| a.records.len() as f64).collect();
    let mut observed = vec![0usize; k];
    let mut expected = vec![0.0; k];
    let mut var = vec![vec![0.0; k]; k];
    let mut i = 0;
    while i < pooled.len() {
        let time = pooled[i].0;
        let group = pooled[i..].iter().take_while(|r| r.0 == time).count();
        let mut deaths = vec![0usize; k];
        let mut leaving = vec![0usize; k];
        for &(_, event, g) in &pooled[i..i + group] {
            leaving[g] += 1;
            if event {
                deaths[g] += 1;
            }
        }
        let d: f64 = deaths.iter().sum::<usize>() as f64;
        let n: f64 = at_risk.iter().sum();
        if d > 0.0 {
            for g in 0..k {
                observed[g] += deaths[g];
                expected[g] += d * at_risk[g] / n;
            }
            if n > 1.0 {
                let w = d * (n - d) / (n - 1.0);
                for g in 0..k {
                    for h in 0..k {
                        let delta = if g == h { 1.0 } else { 0.0 };
                        var[g][h] += w * (at_risk[g] / n) * (delta - at_risk[h] / n);
                    }
                }
            }
        }
        for g in 0..k {
            at_risk[g] -= leaving[g] as f64;
        }
        i += group;
    }

    let taking_part: Vec<usize> = (0..k).filter(|&g| expected[g] > 0.0).collect();
    if taking_part.len() < 2 {
        return Err(TrialError::LogRank(
            "fewer than two arms have anyone at risk at an event time".into(),
        ));
    }
    let kept = &taking_part[1..];
    let diff: Vec<f64> = kept
        .iter()
        .map(|&g| observed[g] as f64 - expected[g])
        .collect();
    let v: Vec<Vec<f64>> = kept
        .iter()
        .map(|&g| kept.iter().map(|&h| var[g][h]).collect())
        .collect();
    let solved = solve(v, diff.clone()).ok_or_else(|| {
        TrialError::LogRank("the variance matrix is singular (no information to compare)".into())
    })?;
    let chi_square: f64 = solved.iter().zip(&diff).map(|(x, d)| x * d).sum();
    let df = kept.len();
    let rows = arms
        .iter()
        .enumerate()
        .map(|(g, arm)| {
            let oe = observed[g] as f64 - expected[g];
            LogRankArm {
                arm: arm.name.clone(),
                n: arm.records.len(),
                observed: observed[g],
                expected: expected[g],
                chi_e: if expected[g] > 0.0 {
                    oe * oe / expected[g]
                } else {
                    0.0
                },
                chi_v: if var[g][g] > 0.0 {
                    oe * oe / var[g][g]
                } else {
                    0.0
                },
            }
        })
        .collect();
    Ok(LogRank {
        arms: rows,
        chi_square,
        df,
        p_value: chi_square_sf(chi_square, df as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm(name: &str, times: &[(f64, bool)]) -> Arm {
        Arm::from_pairs(name, times)
    }

    #[test]
    fn trial_logrank_by_hand_two_arms() {
        // a: 1, 3; b: 2, 4+. Times 1 (n 4, a 2 at risk), 2 (n 3, a 1), 3 (n 2, a 1).
        let a = arm("a", &[(1.0, true), (3.0, true)]);
        let b = arm("b", &[(2.0, true), (4.0, false)]);
        let t = logrank(&[a, b]).unwrap();
        let e_a = 2.0 / 4.0 + 1.0 / 3.0 + 1.0 / 2.0;
        let v = 0.25 + 2.0 / 9.0 + 0.25;
        assert!((t.arms[0].expected - e_a).abs() < 1e-14);
        assert!((t.chi_square - (2.0 - e_a).powi(2) / v).abs() < 1e-13);
        assert_eq!(t.df, 1);
    }

    #[test]
    fn trial_logrank_three_arms_and_symmetry() {
        let a = arm("a", &[(1.0, true), (4.0, true), (6.0, false), (7.0, true)]);
        let b = arm("b", &[(2.0, true), (3.0, true), (5.0, true)]);
        let c = arm("c", &[(8.0, true), (9.0, false), (10.0, true)]);
        let abc = logrank(&[a.clone(), b.clone(), c.clone()]).unwrap();
        let cba = logrank(&[c, b, a]).unwrap();
        assert_eq!(abc.df, 2);
        assert!((abc.chi_square - cba.chi_square).abs() < 1e-10);
        let total_o: usize = abc.arms.iter().map(|r| r.observed).sum();
        let total_e: f64 = abc.arms.iter().map(|r| r.expected).sum();
        assert!((total_o as f64 - total_e).abs() < 1e-12);
    }

    #[test]
    fn trial_logrank_refuses_what_it_cannot_test() {
        let a = arm("a", &[(1.0, true)]);
        assert!(matches!(
            logrank(std::slice::from_ref(&a)),
            Err(TrialError::TooFewArms { .. })
        ));
        let censored = arm("c", &[(1.0, false), (2.0, false)]);
        let also = arm("d", &[(3.0, false)]);
        assert!(matches!(
            logrank(&[censored, also]),
            Err(TrialError::LogRank(_))
        ));
        let empty = arm("e", &[]);
        assert!(matches!(
            logrank(&[a.clone(), empty]),
            Err(TrialError::EmptyArm { .. })
        ));
        // an arm that has left before the first event takes no part
        let early = arm("early", &[(0.5, false)]);
        assert!(matches!(
            logrank(&[early.clone(), a.clone()]),
            Err(TrialError::LogRank(_))
        ));
        let b = arm("b", &[(2.0, true), (3.0, false)]);
        let t = logrank(&[early, a, b]).unwrap();
        assert_eq!((t.df, t.arms[0].expected), (1, 0.0));
    }
}
