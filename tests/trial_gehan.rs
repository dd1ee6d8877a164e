//! Trial statistics against the Freireich 6-MP leukaemia trial (Gehan 1965; R's
//! `MASS::gehan`), read from `tests/fixtures/gehan.csv` (weeks of remission; 6-MP: 21
//! patients, 9 relapses; placebo: 21 patients, all relapsed).
//!
//! Expected values are what R prints for
//!
//! ```r
//! fit <- survfit(Surv(time, cens) ~ treat, data = gehan)   # conf.type = "log"
//! summary(fit); print(fit)
//! survdiff(Surv(time, cens) ~ treat, data = gehan)
//! coxph(Surv(time, cens) ~ treat, data = gehan)              # ties = "efron"
//! ```
//!
//! compared at the precision R prints them. The placebo curve's values follow from the
//! product-limit and Greenwood formulas by hand (S = ∏(1 − d/n), se = S·√Σ d/(n(n − d)),
//! band S·exp(±1.96·√Σ…)).

use oncolattice::trial::report::{
    arms_csv, at_risk_csv, curves_csv, hazard_ratios_csv, logrank_csv,
};
use oncolattice::trial::{
    analyse, cox_two_arms, kaplan_meier, logrank, median_survival, parse_survival_csv,
    read_survival_csv, Arm, ConfType, SurvivalRecord, TrialOptions,
};
use std::path::Path;

fn gehan() -> Vec<Arm> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gehan.csv");
    read_survival_csv(&path).expect("the fixture reads")
}

fn near(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} is not {expected} ± {tolerance}"
    );
}

#[test]
fn trial_gehan_fixture_reads_as_two_arms() {
    let arms = gehan();
    assert_eq!(arms.len(), 2);
    assert_eq!(
        (arms[0].name.as_str(), arms[1].name.as_str()),
        ("6-MP", "placebo")
    );
    assert_eq!((arms[0].records.len(), arms[0].events()), (21, 9));
    assert_eq!((arms[1].records.len(), arms[1].events()), (21, 21));
    assert_eq!(arms[0].records[3], SurvivalRecord::censored(6.0));
    assert_eq!(arms[1].records[20], SurvivalRecord::event(23.0));
    let total: f64 = arms.iter().flat_map(|a| &a.records).map(|r| r.time).sum();
    assert_eq!(total, 359.0 + 182.0);
}

#[test]
fn trial_gehan_kaplan_meier_matches_survfit() {
    let arms = gehan();
    let km = kaplan_meier("6-MP", &arms[0].records, 0.95, ConfType::Log).unwrap();
    // R: time n.risk n.event survival std.err lower 95% CI upper 95% CI
    let r_summary = [
        (6.0, 21, 3, 0.857, 0.0764, 0.720, 1.000),
        (7.0, 17, 1, 0.807, 0.0869, 0.653, 0.996),
        (10.0, 15, 1, 0.753, 0.0963, 0.586, 0.968),
        (13.0, 12, 1, 0.690, 0.1068, 0.510, 0.935),
        (16.0, 11, 1, 0.627, 0.1141, 0.439, 0.896),
        (22.0, 7, 1, 0.538, 0.1282, 0.337, 0.858),
        (23.0, 6, 1, 0.448, 0.1346, 0.249, 0.807),
    ];
    let steps: Vec<_> = km.event_steps().collect();
    assert_eq!(steps.len(), r_summary.len());
    for (step, &(time, n_risk, n_event, s, se, lower, upper)) in steps.iter().zip(&r_summary) {
        let at = format!("6-MP t={time}");
        assert_eq!(
            (step.time, step.n_risk, step.n_event),
            (time, n_risk, n_event),
            "{at}"
        );
        near(step.survival, s, 5e-4, &at);
        near(step.std_err.unwrap(), se, 5e-5, &at);
        near(step.lower.unwrap(), lower, 5e-4, &at);
        near(step.upper.unwrap(), upper, 5e-4, &at);
    }
    // censoring times are steps too (R's summary(fit, censored = TRUE))
    assert_eq!(km.steps.len(), 16);
    assert_eq!(km.steps.last().unwrap().time, 35.0);

    // Placebo: no censoring, the last observation an event.
    let km = kaplan_meier("placebo", &arms[1].records, 0.95, ConfType::Log).unwrap();
    let by_hand = [
        (1.0, 21, 0.9048, 0.0641, 0.7875, 1.0),
        (4.0, 16, 0.6667, 0.1029, 0.4927, 0.9021),
        (8.0, 12, 0.3810, 0.1060, 0.2208, 0.6571),
        (12.0, 6, 0.1905, 0.0857, 0.0789, 0.4600),
        (22.0, 2, 0.0476, 0.0465, 0.0070, 0.3225),
    ];
    for &(time, n_risk, s, se, lower, upper) in &by_hand {
        let step = km.steps.iter().find(|s| s.time == time).unwrap();
        let at = format!("placebo t={time}");
        assert_eq!(step.n_risk, n_risk, "{at}");
        near(step.survival, s, 5e-5, &at);
        near(step.std_err.unwrap(), se, 5e-5, &at);
        near(step.lower.unwrap(), lower, 5e-5, &at);
        near(step.upper.unwrap(), upper, 5e-5, &at);
    }
    let last = km.steps.last().unwrap();
    assert_eq!((last.time, last.survival), (23.0, 0.0));
    assert_eq!((last.std_err, last.lower, last.upper), (None, None, None));
}

#[test]
fn trial_gehan_numbers_at_risk() {
    let arms = gehan();
    let options = TrialOptions {
        at_risk_times: vec![0.0, 10.0, 20.0, 30.0],
        ..TrialOptions::default()
    };
    let report = analyse(&arms, &options).unwrap();
    let counts = |arm: &str| -> Vec<usize> {
        report
            .arm(arm)
            .unwrap()
            .at_risk
            .iter()
            .map(|p| p.n_risk)
            .collect()
    };
    assert_eq!(counts("6-MP"), vec![21, 15, 8, 4]);
    assert_eq!(counts("placebo"), vec![21, 8, 2, 0]);
    let at_10 = &report.arm("6-MP").unwrap().at_risk[1];
    near(at_10.survival, 0.753, 5e-4, "6-MP S(10)");
}

#[test]
fn trial_gehan_medians_match_survfit() {
    let arms = gehan();
    // R: n events median 0.95LCL 0.95UCL: 6-MP 21 9 23 16 NA; control 21 21 8 4 12
    let km = kaplan_meier("6-MP", &arms[0].records, 0.95, ConfType::Log).unwrap();
    let m = median_survival(&km);
    assert_eq!((m.time, m.lower, m.upper), (Some(23.0), Some(16.0), None));
    // The placebo's last observation is an event: its band is undefined at S = 0, and
    // the upper band has crossed 0.5 before that, at week 12.
    let km = kaplan_meier("placebo", &arms[1].records, 0.95, ConfType::Log).unwrap();
    let m = median_survival(&km);
    assert_eq!(
        (m.time, m.lower, m.upper),
        (Some(8.0), Some(4.0), Some(12.0))
    );
}

#[test]
fn trial_median_upper_limit_missing_when_the_last_event_ends_the_curve() {
    // Relapses at weeks 1, 2, 3 and nothing after: S = 2/3, 1/3, 0. The upper band is
    // capped at 1 until S = 0, where it is undefined, so it never crosses 0.5 and R
    // prints NA for the upper limit; median 2, lower limit 1 (lower band (2/3)·exp(−1.96·√(1/6)) = 0.2995 at week 1).
    let arms = parse_survival_csv("arm,time,event\nx,3,1\nx,1,1\nx,2,1\n", "small.csv").unwrap();
    let km = kaplan_meier("x", &arms[0].records, 0.95, ConfType::Log).unwrap();
    near(
        km.steps[0].lower.unwrap(),
        0.2995,
        5e-5,
        "lower band at week 1",
    );
    let m = median_survival(&km);
    assert_eq!((m.time, m.lower, m.upper), (Some(2.0), Some(1.0), None));
}

#[test]
fn trial_gehan_logrank_matches_survdiff() {
    let arms = gehan();
    let test = logrank(&arms).unwrap();
    // R: Chisq= 16.8 on 1 degrees of freedom, p= 4e-05 (16.79, 4.17e-05 unrounded)
    near(test.chi_square, 16.79, 0.005, "chi-square");
    assert_eq!(test.df, 1);
    near(test.p_value, 4.17e-5, 0.005e-5, "p");
    // R: N Observed Expected (O-E)^2/E (O-E)^2/V
    //    treat=6-MP    21  9 19.3 5.46 16.8
    //    treat=control 21 21 10.7 9.77 16.8
    let (mp, placebo) = (&test.arms[0], &test.arms[1]);
    assert_eq!((mp.n, mp.observed, placebo.observed), (21, 9, 21));
    near(mp.expected, 19.3, 0.05, "E 6-MP");
    near(placebo.expected, 10.7, 0.05, "E placebo");
    near(mp.chi_e, 5.46, 0.005, "(O-E)^2/E 6-MP");
    near(placebo.chi_e, 9.77, 0.005, "(O-E)^2/E placebo");
    near(mp.chi_v, 16.8, 0.05, "(O-E)^2/V");
}

#[test]
fn trial_gehan_cox_efron_matches_coxph() {
    let arms = gehan();
    let fit = cox_two_arms(&arms[0], &arms[1], 0.95).unwrap();
    // R: coef exp(coef) se(coef) z p: 1.572 4.817 0.412 3.81 0.00014
    //    summary: lower .95 2.147, upper .95 10.81; Likelihood ratio test = 16.4 on 1 df
    near(fit.coef, 1.572, 5e-4, "coef");
    near(fit.hazard_ratio, 4.817, 5e-4, "exp(coef)");
    near(fit.se, 0.412, 5e-4, "se(coef)");
    near(fit.z, 3.81, 5e-3, "z");
    near(fit.p_value, 0.00014, 5e-6, "p");
    near(fit.lower, 2.147, 5e-4, "lower .95");
    near(fit.upper, 10.81, 5e-3, "upper .95");
    near(fit.lr_chi_square, 16.4, 0.05, "likelihood ratio test");
    assert_eq!((fit.n, fit.events, fit.ties.as_str()), (42, 30, "efron"));
    // 6-MP against placebo: the reciprocal
    let back = cox_two_arms(&arms[1], &arms[0], 0.95).unwrap();
    near(
        back.hazard_ratio * fit.hazard_ratio,
        1.0,
        1e-9,
        "reciprocal",
    );
}

#[test]
fn trial_gehan_report_writes_csv_and_json() {
    let arms = gehan();
    let options = TrialOptions {
        at_risk_times: vec![0.0, 10.0],
        ..TrialOptions::default()
    };
    let report = analyse(&arms, &options).unwrap();
    assert_eq!(
        arms_csv(&report),
        "arm,n,events,censored,median,median_lower,median_upper\n\
         6-MP,21,9,12,23,16,NA\n\
         placebo,21,21,0,8,4,12\n"
    );
    let curves = curves_csv(&report);
    assert_eq!(curves.lines().count(), 1 + 16 + 12);
    assert!(curves.lines().any(|l| l == "placebo,23,1,1,0,0,NA,NA,NA"));
    assert!(at_risk_csv(&report).contains("\nplacebo,10,8,"));
    let lr = logrank_csv(&report);
    assert!(lr.lines().nth(1).unwrap().starts_with("6-MP,21,9,"));
    let hr = hazard_ratios_csv(&report);
    let row: Vec<&str> = hr.lines().nth(1).unwrap().split(',').collect();
    assert_eq!((row[0], row[1]), ("6-MP", "placebo"));
    near(
        row[6].parse().unwrap(),
        4.817,
        5e-4,
        "hazard ratio in the CSV",
    );

    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["conf_type"], "log");
    assert_eq!(json["arms"][0]["median"]["time"], 23.0);
    assert!(json["arms"][0]["median"]["upper"].is_null());
    near(
        json["logrank"]["chi_square"].as_f64().unwrap(),
        16.79,
        0.005,
        "chi-square in the JSON",
    );
    near(
        json["hazard_ratios"][0]["fit"]["coef"].as_f64().unwrap(),
        1.572,
        5e-4,
        "coef in the JSON",
    );
    // the JSON reads back into the same report
    let back: oncolattice::trial::TrialReport = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(back, report);
}
