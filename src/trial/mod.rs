//! Statistics of virtual trials: survival curves, medians, response rates and the
//! comparison of arms, computed the way R's `survival` package reports them so that a
//! virtual arm can be set beside a published clinical one.
//!
//! Pure functions on plain records; no engine, no GPU. The only I/O is the reader of a
//! plain `arm,time,event` CSV ([`survival_csv`]); results render to CSV and JSON text
//! ([`report`]) for the caller to write, and to figures ([`figures`]: Kaplan–Meier with
//! numbers at risk, waterfall, swimmer; PNG and SVG).
//!
//! | method | module | reference |
//! | --- | --- | --- |
//! | Kaplan–Meier, Greenwood variance, pointwise bands | [`kaplan_meier`](mod@kaplan_meier) | Kaplan & Meier (1958); Greenwood (1926); R `survival::survfit` |
//! | median (any quantile) with its CI | [`median`] | Brookmeyer & Crowley (1982); R `quantile.survfit` |
//! | log-rank test, two or more arms | [`logrank`](mod@logrank) | Mantel (1966); Peto & Peto (1972); R `survdiff` |
//! | Cox model, one covariate, Efron ties | [`cox`] | Cox (1972); Efron (1977); R `coxph` |
//! | response rates, Clopper–Pearson CI | [`response`] | Clopper & Pearson (1934); RECIST 1.1 categories |
//! | normal, chi-square, gamma, beta functions | [`distributions`] | Lanczos (1964); Numerical Recipes §6.2, §6.4 |
//!
//! Checked against the Freireich 6-MP leukaemia trial (Gehan 1965; R's `MASS::gehan`),
//! `tests/fixtures/gehan.csv`.
//!
//! Bad input never panics: an empty arm, a negative or non-finite time, too few arms, a
//! model that cannot be fitted are [`TrialError`]s; quantities that do not exist for the
//! data (a median the curve never reaches, a band at a survival of 0) are `None`.

pub mod batch_command;
pub mod command;
pub mod cox;
pub mod distributions;
pub mod figures;
pub mod kaplan_meier;
pub mod logrank;
pub mod median;
pub mod report;
pub mod response;
pub mod survival_csv;

pub use cox::{cox_one_covariate, cox_two_arms, CoxFit};
pub use kaplan_meier::{kaplan_meier, ConfType, KaplanMeier, KmPoint, KmStep};
pub use logrank::{logrank, LogRank};
pub use median::{median_survival, survival_quantile, QuantileEstimate};
pub use report::{analyse, TrialOptions, TrialReport};
pub use response::{response_rates, BestResponse, ResponseRates};
pub use survival_csv::{parse_survival_csv, read_survival_csv};

use serde::{Deserialize, Serialize};

/// One patient's follow-up: the time of the event, or of censoring when `event` is false
/// (e.g. progression-free at the end of simulation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SurvivalRecord {
    pub time: f64,
    pub event: bool,
}

impl SurvivalRecord {
    pub fn event(time: f64) -> Self {
        SurvivalRecord { time, event: true }
    }
    pub fn censored(time: f64) -> Self {
        SurvivalRecord { time, event: false }
    }
}

/// The records of one arm, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    pub name: String,
    pub records: Vec<SurvivalRecord>,
}

impl Arm {
    pub fn new(name: impl Into<String>, records: Vec<SurvivalRecord>) -> Self {
        Arm {
            name: name.into(),
            records,
        }
    }

    /// An arm from (time, event) pairs; `event` false means censored at `time`.
    pub fn from_pairs(name: impl Into<String>, pairs: &[(f64, bool)]) -> Self {
        let records = pairs
            .iter()
            .map(|&(time, event)| SurvivalRecord { time, event })
            .collect();
        Arm::new(name, records)
    }

    pub fn events(&self) -> usize {
        self.records.iter().filter(|r| r.event).count()
    }
}

/// Why a statistic could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    #[error("arm {arm:?} has no records")]
    EmptyArm { arm: String },
    #[error("arm {arm:?}: time {time} is not a finite number >= 0")]
    BadTime { arm: String, time: f64 },
    #[error("{what} needs at least {needs} arm(s), got {got}")]
    TooFewArms {
        what: &'static str,
        needs: usize,
        got: usize,
    },
    #[error("arm name {0:?} appears twice")]
    DuplicateArm(String),
    #[error("unknown arm {0:?}")]
    UnknownArm(String),
    #[error("confidence level {0} is not strictly between 0 and 1")]
    ConfLevel(f64),
    #[error("time {0} for the numbers at risk is not a finite number >= 0")]
    AtRiskTime(f64),
    #[error("probability {0} is not strictly between 0 and 1")]
    Probability(f64),
    #[error("log-rank test: {0}")]
    LogRank(String),
    #[error("Cox model: {0}")]
    Cox(String),
    /// A bad line of an `arm,time,event` file (`line` counts from 1, the header is line 1).
    #[error("{path}:{line}: {message}")]
    Csv {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Checks an arm before any statistic: not empty, every time finite and >= 0.
pub(crate) fn check_arm(name: &str, records: &[SurvivalRecord]) -> Result<(), TrialError> {
    if records.is_empty() {
        return Err(TrialError::EmptyArm {
            arm: name.to_string(),
        });
    }
    if let Some(bad) = records.iter().find(|r| !r.time.is_finite() || r.time < 0.0) {
        return Err(TrialError::BadTime {
            arm: name.to_string(),
            time: bad.time,
        });
    }
    Ok(())
}

pub(crate) fn check_conf_level(level: f64) -> Result<(), TrialError> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(TrialError::ConfLevel(level))
    }
}

/// Records sorted by time, events before censorings at the same time (the order the
/// product-limit estimator and the risk sets assume: a patient censored at t was at risk
/// at t).
pub(crate) fn sorted_by_time(records: &[SurvivalRecord]) -> Vec<SurvivalRecord> {
    let mut sorted = records.to_vec();
    sorted.sort_by(|a, b| a.time.total_cmp(&b.time).then(b.event.cmp(&a.event)));
    sorted
}
