//! A whole trial analysed at once, and its results rendered as CSV and JSON text.
//!
//! [`analyse`] computes, per arm, the Kaplan–Meier curve with its band, the median with
//! its CI and the curve at the chosen times (numbers at risk); between arms the log-rank
//! test over all arms and the Cox hazard ratio of every other arm against the reference
//! arm (the first unless named). Response rates are added per arm with
//! [`TrialReport::add_responses`]. A comparison that cannot be computed (no events, a
//! hazard ratio that runs off to infinity) is kept as its error message so the rest of
//! the report still stands.
//!
//! CSV: a header row, one row per item, numbers in full precision (exponent form below
//! 1e-4), `NA` where a value does not exist (as R writes it); fields quoted when needed.
//! JSON: the [`TrialReport`] itself, `null` where a value does not exist.

use super::cox::{cox_two_arms, CoxFit};
use super::kaplan_meier::{kaplan_meier, ConfType, KaplanMeier, KmPoint};
use super::logrank::{logrank, LogRank};
use super::median::{median_survival, QuantileEstimate};
use super::response::{response_rates, BestResponse, ResponseRates};
use super::{check_conf_level, Arm, TrialError};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// What to compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialOptions {
    /// Level of every interval (0.95).
    pub conf_level: f64,
    /// Band of the curves and so of the median's CI (R's default, "log").
    pub conf_type: ConfType,
    /// Times at which to read each curve and count those at risk (for KM figures).
    pub at_risk_times: Vec<f64>,
    /// Arm the hazard ratios are against; the first arm when None.
    pub reference_arm: Option<String>,
}

impl Default for TrialOptions {
    fn default() -> Self {
        TrialOptions {
            conf_level: 0.95,
            conf_type: ConfType::Log,
            at_risk_times: Vec::new(),
            reference_arm: None,
        }
    }
}

/// One arm's survival.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmSurvival {
    pub arm: String,
    pub n: usize,
    pub events: usize,
    pub censored: usize,
    pub median: QuantileEstimate,
    pub at_risk: Vec<KmPoint>,
    pub curve: KaplanMeier,
}

/// The hazard ratio of `arm` against `reference`, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HazardRatio {
    pub reference: String,
    pub arm: String,
    pub fit: Option<CoxFit>,
    pub error: Option<String>,
}

/// Everything [`analyse`] computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialReport {
    pub conf_level: f64,
    pub conf_type: ConfType,
    pub arms: Vec<ArmSurvival>,
    /// None with a single arm or when the test cannot be computed (see `logrank_error`).
    pub logrank: Option<LogRank>,
    pub logrank_error: Option<String>,
    pub hazard_ratios: Vec<HazardRatio>,
    pub responses: Vec<ResponseRates>,
}

/// Analyses `arms`. Errors: no arms, an empty arm, a bad time, two arms of one name, an
/// unknown reference arm, a bad confidence level or at-risk time.
pub fn analyse(arms: &[Arm], options: &TrialOptions) -> Result<TrialReport, TrialError> {
    if arms.is_empty() {
        return Err(TrialError::TooFewArms {
            what: "a trial analysis",
            needs: 1,
            got: 0,
        });
    }
    check_conf_level(options.conf_level)?;
    for (i, arm) in arms.iter().enumerate() {
        if arms[..i].iter().any(|a| a.name == arm.name) {
            return Err(TrialError::DuplicateArm(arm.name.clone()));
        }
    }
    if let Some(&bad) = options
        .at_risk_times
        .iter()
        .find(|t| !t.is_finite() || **t < 0.0)
    {
        return Err(TrialError::AtRiskTime(bad));
    }
    let reference = match &options.reference_arm {
        Some(name) => arms
            .iter()
            .position(|a| &a.name == name)
            .ok_or_else(|| TrialError::UnknownArm(name.clone()))?,
        None => 0,
    };

    let mut survival = Vec::with_capacity(arms.len());
    for arm in arms {
        let curve = kaplan_meier(
            &arm.name,
            &arm.records,
            options.conf_level,
            options.conf_type,
        )?;
        let at_risk = options
            .at_risk_times
            .iter()
            .filter_map(|&t| curve.at(t))
            .collect();
        survival.push(ArmSurvival {
            arm: arm.name.clone(),
            n: curve.n,
            events: curve.events,
            censored: curve.n - curve.events,
            median: median_survival(&curve),
            at_risk,
            curve,
        });
    }
    let (logrank, logrank_error) = if arms.len() < 2 {
        (None, None)
    } else {
        match logrank(arms) {
            Ok(test) => (Some(test), None),
            Err(e) => (None, Some(e.to_string())),
        }
    };
    let hazard_ratios = arms
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != reference)
        .map(|(_, arm)| {
            let fit = cox_two_arms(&arms[reference], arm, options.conf_level);
            HazardRatio {
                reference: arms[reference].name.clone(),
                arm: arm.name.clone(),
                error: fit.as_ref().err().map(|e| e.to_string()),
                fit: fit.ok(),
            }
        })
        .collect();
    Ok(TrialReport {
        conf_level: options.conf_level,
        conf_type: options.conf_type,
        arms: survival,
        logrank,
        logrank_error,
        hazard_ratios,
        responses: Vec::new(),
    })
}

impl TrialReport {
    /// The survival of the arm named `name`.
    pub fn arm(&self, name: &str) -> Option<&ArmSurvival> {
        self.arms.iter().find(|a| a.arm == name)
    }

    /// Adds (or replaces) the response rates of arm `arm`, at the report's level.
    pub fn add_responses(
        &mut self,
        arm: &str,
        responses: &[Option<BestResponse>],
    ) -> Result<(), TrialError> {
        let rates = response_rates(arm, responses, self.conf_level)?;
        self.responses.retain(|r| r.arm != arm);
        self.responses.push(rates);
        Ok(())
    }

    /// The whole report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report is plain data")
    }
}

/// A number as CSV text: full precision, exponent form for tiny or huge values, NA when
/// not finite.
fn num(x: f64) -> String {
    if !x.is_finite() {
        "NA".into()
    } else if x != 0.0 && (x.abs() < 1e-4 || x.abs() >= 1e15) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "NA".into(), num)
}

/// A text field, quoted when it holds a comma, a quote or a line break.
fn text(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn table(header: &str, rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut out = String::from(header);
    out.push('\n');
    for row in rows {
        let _ = writeln!(out, "{}", row.join(","));
    }
    out
}

/// Every step of every curve: `arm,time,n_risk,n_event,n_censor,survival,std_err,lower,upper`.
pub fn curves_csv(report: &TrialReport) -> String {
    table(
        "arm,time,n_risk,n_event,n_censor,survival,std_err,lower,upper",
        report.arms.iter().flat_map(|a| {
            a.curve.steps.iter().map(|s| {
                vec![
                    text(&a.arm),
                    num(s.time),
                    s.n_risk.to_string(),
                    s.n_event.to_string(),
                    s.n_censor.to_string(),
                    num(s.survival),
                    opt(s.std_err),
                    opt(s.lower),
                    opt(s.upper),
                ]
            })
        }),
    )
}

/// One row per arm: `arm,n,events,censored,median,median_lower,median_upper`.
pub fn arms_csv(report: &TrialReport) -> String {
    table(
        "arm,n,events,censored,median,median_lower,median_upper",
        report.arms.iter().map(|a| {
            vec![
                text(&a.arm),
                a.n.to_string(),
                a.events.to_string(),
                a.censored.to_string(),
                opt(a.median.time),
                opt(a.median.lower),
                opt(a.median.upper),
            ]
        }),
    )
}

/// The curves at the chosen times: `arm,time,n_risk,survival,std_err,lower,upper`.
pub fn at_risk_csv(report: &TrialReport) -> String {
    table(
        "arm,time,n_risk,survival,std_err,lower,upper",
        report.arms.iter().flat_map(|a| {
            a.at_risk.iter().map(|p| {
                vec![
                    text(&a.arm),
                    num(p.time),
                    p.n_risk.to_string(),
                    num(p.survival),
                    opt(p.std_err),
                    opt(p.lower),
                    opt(p.upper),
                ]
            })
        }),
    )
}

/// The log-rank test, one row per arm with the test repeated on each:
/// `arm,n,observed,expected,chi_e,chi_v,chi_square,df,p_value` (header only when there
/// is no test).
pub fn logrank_csv(report: &TrialReport) -> String {
    let header = "arm,n,observed,expected,chi_e,chi_v,chi_square,df,p_value";
    let Some(test) = &report.logrank else {
        return table(header, std::iter::empty());
    };
    table(
        header,
        test.arms.iter().map(|r| {
            vec![
                text(&r.arm),
                r.n.to_string(),
                r.observed.to_string(),
                num(r.expected),
                num(r.chi_e),
                num(r.chi_v),
                num(test.chi_square),
                test.df.to_string(),
                num(test.p_value),
            ]
        }),
    )
}

/// One row per arm against the reference:
/// `reference,arm,n,events,coef,se,hazard_ratio,lower,upper,conf_level,z,p_value,lr_chi_square,lr_p_value,score_chi_square,score_p_value,ties,error`.
pub fn hazard_ratios_csv(report: &TrialReport) -> String {
    table(
        "reference,arm,n,events,coef,se,hazard_ratio,lower,upper,conf_level,z,p_value,\
         lr_chi_square,lr_p_value,score_chi_square,score_p_value,ties,error",
        report.hazard_ratios.iter().map(|h| {
            let mut row = vec![text(&h.reference), text(&h.arm)];
            match &h.fit {
                Some(f) => {
                    row.push(f.n.to_string());
                    row.push(f.events.to_string());
                    row.extend(
                        [
                            f.coef,
                            f.se,
                            f.hazard_ratio,
                            f.lower,
                            f.upper,
                            f.conf_level,
                            f.z,
                            f.p_value,
                            f.lr_chi_square,
                            f.lr_p_value,
                            f.score_chi_square,
                            f.score_p_value,
                        ]
                        .map(num),
                    );
                    row.push(f.ties.clone());
                    row.push("NA".into());
                }
                None => {
                    row.extend(std::iter::repeat_n("NA".to_string(), 15));
                    row.push(text(h.error.as_deref().unwrap_or("")));
                }
            }
            row
        }),
    )
}

/// One row per arm with responses:
/// `arm,n,cr,pr,sd,pd,ne,orr,orr_lower,orr_upper,dcr,dcr_lower,dcr_upper,conf_level,method`.
pub fn responses_csv(report: &TrialReport) -> String {
    table(
        "arm,n,cr,pr,sd,pd,ne,orr,orr_lower,orr_upper,dcr,dcr_lower,dcr_upper,conf_level,method",
        report.responses.iter().map(|r| {
            let mut row = vec![
                text(&r.arm),
                r.n.to_string(),
                r.complete.to_string(),
                r.partial.to_string(),
                r.stable.to_string(),
                r.progressive.to_string(),
                r.not_evaluable.to_string(),
            ];
            row.extend(
                [
                    r.orr,
                    r.orr_lower,
                    r.orr_upper,
                    r.dcr,
                    r.dcr_lower,
                    r.dcr_upper,
                    r.conf_level,
                ]
                .map(num),
            );
            row.push(r.method.clone());
            row
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm(name: &str, times: &[(f64, bool)]) -> Arm {
        Arm::from_pairs(name, times)
    }

    #[test]
    fn trial_report_keeps_failed_comparisons_as_messages() {
        let a = arm("a", &[(1.0, true), (2.0, true), (3.0, true)]);
        let b = arm("b, censored", &[(1.5, false), (2.5, false)]);
        let report = analyse(&[a, b], &TrialOptions::default()).unwrap();
        assert!(report.logrank.is_some());
        assert!(report.hazard_ratios[0].fit.is_none());
        assert!(report.hazard_ratios[0]
            .error
            .as_ref()
            .unwrap()
            .contains("monotone"));
        let csv = hazard_ratios_csv(&report);
        assert!(csv
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("a,\"b, censored\",NA,"));
        assert!(csv.lines().nth(1).unwrap().split(',').count() >= 18);
        let arms = arms_csv(&report);
        assert_eq!(
            arms.lines().nth(2).unwrap(),
            "\"b, censored\",2,0,2,NA,NA,NA"
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert!(json["arms"][1]["median"]["time"].is_null());
    }

    #[test]
    fn trial_report_single_arm_and_bad_options() {
        let a = arm("a", &[(1.0, true), (2.0, false)]);
        let options = TrialOptions {
            at_risk_times: vec![0.0, 1.5, 10.0],
            ..TrialOptions::default()
        };
        let report = analyse(std::slice::from_ref(&a), &options).unwrap();
        assert!(report.logrank.is_none() && report.logrank_error.is_none());
        assert!(report.hazard_ratios.is_empty());
        let n_risk: Vec<usize> = report.arms[0].at_risk.iter().map(|p| p.n_risk).collect();
        assert_eq!(n_risk, vec![2, 1, 0]);
        assert_eq!(logrank_csv(&report).lines().count(), 1);

        assert!(matches!(
            analyse(&[], &options),
            Err(TrialError::TooFewArms { .. })
        ));
        let twice = [a.clone(), a.clone()];
        assert!(matches!(
            analyse(&twice, &options),
            Err(TrialError::DuplicateArm(_))
        ));
        let unknown = TrialOptions {
            reference_arm: Some("z".into()),
            ..TrialOptions::default()
        };
        assert!(matches!(
            analyse(std::slice::from_ref(&a), &unknown),
            Err(TrialError::UnknownArm(_))
        ));
        let bad_time = TrialOptions {
            at_risk_times: vec![-1.0],
            ..TrialOptions::default()
        };
        assert!(matches!(
            analyse(std::slice::from_ref(&a), &bad_time),
            Err(TrialError::AtRiskTime(_))
        ));
    }

    #[test]
    fn trial_report_numbers_as_csv_text() {
        assert_eq!(num(4.17e-5), "4.17e-5");
        assert_eq!(num(23.0), "23");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(f64::NAN), "NA");
        assert_eq!(opt(None), "NA");
        assert_eq!(text("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
