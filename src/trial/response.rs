//! Response rates per arm: counts of best overall response in the RECIST 1.1 categories
//! (Eisenhauer et al. 2009) — complete response (CR), partial response (PR), stable
//! disease (SD), progressive disease (PD) — and the objective response rate (CR + PR) and
//! disease control rate (CR + PR + SD) over all patients of the arm, those not
//! evaluable (NE) included, as RECIST 1.1 §4.4 reports them.
//!
//! The intervals are **Clopper–Pearson** (1934) exact intervals, the ones R's
//! `binom.test` prints: the lower limit is the α/2 quantile of Beta(x, n − x + 1) (0 when
//! x = 0), the upper the 1 − α/2 quantile of Beta(x + 1, n − x) (1 when x = n).

use super::distributions::beta_quantile;
use super::{check_conf_level, TrialError};
use serde::{Deserialize, Serialize};

/// A patient's best overall response (RECIST 1.1 category).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BestResponse {
    #[serde(rename = "CR")]
    Complete,
    #[serde(rename = "PR")]
    Partial,
    #[serde(rename = "SD")]
    Stable,
    #[serde(rename = "PD")]
    Progressive,
}

impl BestResponse {
    /// "CR", "PR", "SD" or "PD".
    pub fn code(self) -> &'static str {
        match self {
            BestResponse::Complete => "CR",
            BestResponse::Partial => "PR",
            BestResponse::Stable => "SD",
            BestResponse::Progressive => "PD",
        }
    }

    /// Parses "CR", "PR", "SD" or "PD" (any case).
    pub fn from_code(code: &str) -> Option<BestResponse> {
        match code.trim().to_ascii_uppercase().as_str() {
            "CR" => Some(BestResponse::Complete),
            "PR" => Some(BestResponse::Partial),
            "SD" => Some(BestResponse::Stable),
            "PD" => Some(BestResponse::Progressive),
            _ => None,
        }
    }
}

/// One arm's response counts and rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseRates {
    pub arm: String,
    pub n: usize,
    pub complete: usize,
    pub partial: usize,
    pub stable: usize,
    pub progressive: usize,
    /// Patients without an evaluable best response (in `n`, in no category).
    #[serde(default)]
    pub not_evaluable: usize,
    /// Objective response rate (CR + PR)/n and its interval.
    pub orr: f64,
    pub orr_lower: f64,
    pub orr_upper: f64,
    /// Disease control rate (CR + PR + SD)/n and its interval.
    pub dcr: f64,
    pub dcr_lower: f64,
    pub dcr_upper: f64,
    pub conf_level: f64,
    /// Always "clopper-pearson".
    pub method: String,
}

/// The Clopper–Pearson interval for `successes` out of `n` trials (n > 0).
pub fn clopper_pearson(successes: usize, n: usize, conf_level: f64) -> (f64, f64) {
    let alpha = 1.0 - conf_level;
    let (x, n) = (successes as f64, n as f64);
    let lower = if successes == 0 {
        0.0
    } else {
        beta_quantile(alpha / 2.0, x, n - x + 1.0)
    };
    let upper = if x >= n {
        1.0
    } else {
        beta_quantile(1.0 - alpha / 2.0, x + 1.0, n - x)
    };
    (lower, upper)
}

/// Counts and rates for one arm; `None` is a patient not evaluable for response. Errors:
/// no patients, a confidence level outside (0, 1).
pub fn response_rates(
    arm: &str,
    responses: &[Option<BestResponse>],
    conf_level: f64,
) -> Result<ResponseRates, TrialError> {
    check_conf_level(conf_level)?;
    if responses.is_empty() {
        return Err(TrialError::EmptyArm {
            arm: arm.to_string(),
        });
    }
    let count = |kind: BestResponse| responses.iter().filter(|&&r| r == Some(kind)).count();
    let (complete, partial, stable, progressive) = (
        count(BestResponse::Complete),
        count(BestResponse::Partial),
        count(BestResponse::Stable),
        count(BestResponse::Progressive),
    );
    let n = responses.len();
    let (orr_lower, orr_upper) = clopper_pearson(complete + partial, n, conf_level);
    let (dcr_lower, dcr_upper) = clopper_pearson(complete + partial + stable, n, conf_level);
    Ok(ResponseRates {
        arm: arm.to_string(),
        n,
        complete,
        partial,
        stable,
        progressive,
        not_evaluable: responses.iter().filter(|r| r.is_none()).count(),
        orr: (complete + partial) as f64 / n as f64,
        orr_lower,
        orr_upper,
        dcr: (complete + partial + stable) as f64 / n as f64,
        dcr_lower,
        dcr_upper,
        conf_level,
        method: "clopper-pearson".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trial_clopper_pearson_matches_binom_test() {
        // R: binom.test(682, 925)$conf.int = 0.7076683 0.7654066
        let (lo, hi) = clopper_pearson(682, 925, 0.95);
        assert!((lo - 0.707_668_264_079_039).abs() < 1e-10);
        assert!((hi - 0.765_406_558_241_478_1).abs() < 1e-10);
        // R: binom.test(7, 20)$conf.int = 0.1539092 0.5921885
        let (lo, hi) = clopper_pearson(7, 20, 0.95);
        assert!((lo - 0.153_909_204_784_541_2).abs() < 1e-10);
        assert!((hi - 0.592_188_534_532_828_3).abs() < 1e-10);
    }

    #[test]
    fn trial_clopper_pearson_closed_forms_at_the_edges() {
        let n = 12;
        let (lo, hi) = clopper_pearson(0, n, 0.95);
        assert_eq!(lo, 0.0);
        assert!((hi - (1.0 - 0.025_f64.powf(1.0 / n as f64))).abs() < 1e-12);
        let (lo, hi) = clopper_pearson(n, n, 0.95);
        assert!((lo - 0.025_f64.powf(1.0 / n as f64)).abs() < 1e-12);
        assert_eq!(hi, 1.0);
        let (lo, _) = clopper_pearson(1, n, 0.95);
        assert!((lo - (1.0 - 0.975_f64.powf(1.0 / n as f64))).abs() < 1e-12);
    }

    #[test]
    fn trial_response_counts_and_rates() {
        use BestResponse::*;
        let r = [
            Complete,
            Partial,
            Partial,
            Stable,
            Progressive,
            Progressive,
            Stable,
            Partial,
        ]
        .map(Some);
        let rates = response_rates("a", &r, 0.95).unwrap();
        assert_eq!(
            (
                rates.complete,
                rates.partial,
                rates.stable,
                rates.progressive
            ),
            (1, 3, 2, 2)
        );
        assert_eq!((rates.orr, rates.dcr), (0.5, 0.75));
        assert!(rates.orr_lower < 0.5 && rates.orr_upper > 0.5);
        assert!(matches!(
            response_rates("none", &[], 0.95),
            Err(TrialError::EmptyArm { .. })
        ));
        assert_eq!(BestResponse::from_code(" pd"), Some(Progressive));
        assert_eq!(Stable.code(), "SD");
        assert_eq!(BestResponse::from_code("NE"), None);
        // Not evaluable counts in the denominator: 4 responders of 8 + 2 NE.
        let with_ne: Vec<Option<BestResponse>> = r.iter().copied().chain([None, None]).collect();
        let rates = response_rates("a", &with_ne, 0.95).unwrap();
        assert_eq!((rates.n, rates.not_evaluable), (10, 2));
        assert_eq!((rates.orr, rates.dcr), (0.4, 0.6));
        let (lo, hi) = clopper_pearson(4, 10, 0.95);
        assert_eq!((rates.orr_lower, rates.orr_upper), (lo, hi));
    }
}
