//! Lines chosen by a biomarker rule: skipped at the baseline, chosen at a switch, and
//! every line skipped.

use super::*;
use crate::model::biomarkers::{Biomarkers, Phenotype};

const TICK_H: f64 = 24.0;

fn tumour(tps: f64) -> Biomarkers {
    Biomarkers {
        pdl1_tps_percent: tps,
        mean_antigenicity: 1.0,
        cd8_core_per_mm2: 0.0,
        cd8_margin_per_mm2: 0.0,
        cd8_stroma_per_mm2: 0.0,
        phenotype: Phenotype::Desert,
    }
}

fn tps_at_least(percent: f64) -> Option<BiomarkerRule> {
    Some(BiomarkerRule {
        biomarker: Biomarker::Pdl1TpsPercent,
        at_least: Some(percent),
        below: None,
    })
}

fn line(name: &str, requires: Option<BiomarkerRule>) -> Line {
    Line {
        name: name.into(),
        schedules: vec![ScheduleRef {
            drug: name.into(),
            offset_h: 0.0,
            interval_h: 7.0 * 24.0,
            doses: None,
        }],
        requires,
    }
}

/// Weekly scans, switching on the first PD.
fn state(lines: Vec<Line>) -> ProtocolState {
    let mut p = Protocol::new(lines);
    p.scanner.every_days = 7.0;
    ProtocolState::new(p, TICK_H).unwrap()
}

/// Steps through day `days`, scans reading (diameter mm, TPS %) from `scans` in turn.
fn drive(s: &mut ProtocolState, days: u64, scans: &[(f64, Option<f64>)]) -> Vec<TickOutcome> {
    let mut k = 0;
    (0..days)
        .map(|tick| {
            let m = s.scan_due(tick).then(|| {
                let (d, tps) = scans[k.min(scans.len() - 1)];
                k += 1;
                Measurement {
                    time_h: tick as f64 * TICK_H,
                    longest_diameter_mm: d,
                    live_cells: 100,
                    live_volume_mm3: 0.0,
                    biomarkers: tps.map(tumour),
                }
            });
            s.step(tick, m.as_ref())
        })
        .collect()
}

fn skips(outs: &[TickOutcome]) -> Vec<(usize, Option<f64>)> {
    outs.iter()
        .flat_map(|o| &o.events)
        .filter_map(|e| match e {
            Event::LineSkipped { line, value, .. } => Some((*line, *value)),
            _ => None,
        })
        .collect()
}

fn doses(outs: &[TickOutcome]) -> Vec<String> {
    outs.iter()
        .flat_map(|o| &o.doses)
        .map(|d| d.drug.clone())
        .collect()
}

#[test]
fn a_tps_low_tumour_skips_the_anti_pd1_line_at_baseline() {
    let mut s = state(vec![
        line("pembrolizumab", tps_at_least(50.0)),
        line("chemo", None),
    ]);
    let outs = drive(&mut s, 1, &[(20.0, Some(20.0))]);
    assert_eq!(skips(&outs), vec![(0, Some(20.0))]);
    assert_eq!(doses(&outs), vec!["chemo"]);
    let scan = outs[0].scan.as_ref().unwrap();
    assert!(scan.baseline);
    assert_eq!(scan.line, Some(1));
    assert_eq!(scan.biomarkers, Some(tumour(20.0)));
    assert_eq!(s.current_line(), Some(1));
    let given = s.lines_given();
    assert_eq!(given.len(), 1);
    assert_eq!(given[0].line, 1);
    assert_eq!(given[0].baseline_biomarkers, Some(tumour(20.0)));
    // The rule's boundary belongs to the line: 50 % is "≥ 50".
    let mut s = state(vec![line("pembrolizumab", tps_at_least(50.0))]);
    let outs = drive(&mut s, 1, &[(20.0, Some(50.0))]);
    assert!(skips(&outs).is_empty());
    assert_eq!(doses(&outs), vec!["pembrolizumab"]);
}

#[test]
fn at_a_switch_the_next_line_is_chosen_by_the_rule() {
    let lines = || {
        vec![
            line("chemo", None),
            line("pembrolizumab", tps_at_least(50.0)),
            line("docetaxel", None),
        ]
    };
    // Baseline 20 mm; PD at day 7 (26 mm); PD-L1 induced by then (TPS 60 %).
    let mut s = state(lines());
    let outs = drive(&mut s, 8, &[(20.0, Some(10.0)), (26.0, Some(60.0))]);
    assert!(skips(&outs).is_empty());
    assert_eq!(s.current_line(), Some(1));
    // The same course with TPS 10 % at the switch goes to docetaxel.
    let mut s = state(lines());
    let outs = drive(&mut s, 8, &[(20.0, Some(10.0)), (26.0, Some(10.0))]);
    assert_eq!(skips(&outs), vec![(1, Some(10.0))]);
    assert_eq!(s.current_line(), Some(2));
    assert_eq!(doses(&outs).last().map(String::as_str), Some("docetaxel"));
    // Lines up to the one started have begun, the skipped one too.
    let mut changed = s.protocol().clone();
    changed.lines[1].name = "atezolizumab".into();
    assert!(s.with_later_lines(changed).is_err());
}

#[test]
fn a_tumour_meeting_no_rule_gets_no_treatment() {
    let mut s = state(vec![
        line("pembrolizumab", tps_at_least(50.0)),
        line("ipilimumab", tps_at_least(1.0)),
    ]);
    // No biomarkers read (a scene without [immune] cannot get here: validation).
    let outs = drive(&mut s, 15, &[(20.0, None)]);
    assert_eq!(skips(&outs), vec![(0, None), (1, None)]);
    assert!(doses(&outs).is_empty());
    assert_eq!(s.status(), Status::Finished);
    assert!(outs[0]
        .events
        .iter()
        .any(|e| matches!(e, Event::AllLinesExhausted { .. })));
    assert!(s.next_scan_tick().is_none());
}

#[test]
fn rules_read_bounds_and_describe_themselves() {
    let r = BiomarkerRule {
        biomarker: Biomarker::Cd8CorePerMm2,
        at_least: Some(100.0),
        below: Some(500.0),
    };
    let at = |v: f64| Biomarkers {
        cd8_core_per_mm2: v,
        ..tumour(0.0)
    };
    assert!(!r.holds(Some(&at(99.9))));
    assert!(r.holds(Some(&at(100.0))));
    assert!(!r.holds(Some(&at(500.0))));
    assert!(!r.holds(None));
    assert_eq!(r.describe(), "100 ≤ cd8_core_per_mm2 < 500");
    let names: Vec<&str> = Biomarker::ALL.iter().map(|b| b.name()).collect();
    for name in names {
        let json = serde_json::to_value(tumour(1.0)).unwrap();
        assert!(json.get(name).is_some(), "{name} is a summary.json name");
    }
}
