//! Tests of the running protocol on synthetic scan trajectories.

use super::*;

const DAY_H: f64 = 24.0;

fn daily(drug: &str) -> ScheduleRef {
    ScheduleRef {
        drug: drug.into(),
        offset_h: 0.0,
        interval_h: DAY_H,
        doses: None,
    }
}

fn line(name: &str, schedules: Vec<ScheduleRef>) -> Line {
    Line {
        name: name.into(),
        schedules,
        requires: None,
    }
}

fn weekly_scans() -> Scanner {
    Scanner {
        every_days: 7.0,
        first_day: 0.0,
        ..Scanner::default()
    }
}

/// Runs ticks `0..ticks`; the k-th scan measures `trajectory[k]` = (diameter mm, live
/// cells), repeating the last entry when the trajectory runs out.
fn drive(state: &mut ProtocolState, ticks: u64, trajectory: &[(f64, u64)]) -> Vec<TickOutcome> {
    let mut scans = 0;
    (0..ticks)
        .map(|tick| {
            let m = state.scan_due(tick).then(|| {
                let (d, cells) = trajectory[scans.min(trajectory.len() - 1)];
                scans += 1;
                Measurement {
                    time_h: tick as f64 * state.tick_h(),
                    longest_diameter_mm: d,
                    live_cells: cells,
                    live_volume_mm3: 0.0,
                    biomarkers: None,
                }
            });
            state.step(tick, m.as_ref())
        })
        .collect()
}

fn dose_ticks(outs: &[TickOutcome], drug: &str) -> Vec<u64> {
    outs.iter()
        .flat_map(|o| &o.doses)
        .filter(|d| d.drug == drug)
        .map(|d| d.tick)
        .collect()
}

fn skipped_ticks(outs: &[TickOutcome], reason: SkipReason) -> Vec<u64> {
    outs.iter()
        .flat_map(|o| &o.skipped)
        .filter(|s| s.reason == reason)
        .map(|s| s.dose.tick)
        .collect()
}

fn events(outs: &[TickOutcome]) -> Vec<(u64, Event)> {
    outs.iter()
        .flat_map(|o| o.events.iter().map(move |e| (o.tick, e.clone())))
        .collect()
}

#[test]
fn doses_follow_start_interval_count() {
    let sched = ScheduleRef {
        drug: "x".into(),
        offset_h: 2.0,
        interval_h: 8.0,
        doses: Some(3),
    };
    let mut p = Protocol::new(vec![line("only", vec![sched])]);
    p.scanner = Scanner {
        every_days: 28.0,
        first_day: 1.0,
        ..Scanner::default()
    };
    let mut state = ProtocolState::new(p, 1.0).unwrap();
    let outs = drive(&mut state, 60, &[(20.0, 1000)]);
    // Baseline at day 1 = tick 24; slots at +2, +10, +18 h.
    assert_eq!(dose_ticks(&outs, "x"), [26, 34, 42]);
    let doses: Vec<_> = outs.iter().flat_map(|o| &o.doses).collect();
    assert_eq!(doses.iter().map(|d| d.slot).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(doses[1].time_h, 34.0);
    assert_eq!(outs[23].status, Status::AwaitingBaseline);
    assert_eq!(outs[24].status, Status::On);
    assert_eq!(outs[41].status, Status::On);
    assert_eq!(outs[42].status, Status::Observation);
    assert_eq!(outs[59].status, Status::Observation);
    let ev = events(&outs);
    assert_eq!(ev.len(), 2);
    assert!(matches!(
        ev[0],
        (
            24,
            Event::LineStarted {
                line: 0,
                baseline_mm: 20.0,
                baseline_cells: 1000,
                ..
            }
        )
    ));
    assert!(matches!(
        ev[1],
        (42, Event::CourseCompleted { line: 0, .. })
    ));
}

#[test]
fn fractional_ticks_land_on_the_right_tick() {
    let sched = ScheduleRef {
        drug: "x".into(),
        offset_h: 2.4,
        interval_h: 0.3,
        doses: Some(2),
    };
    let mut state = ProtocolState::new(Protocol::new(vec![line("l", vec![sched])]), 0.1).unwrap();
    let outs = drive(&mut state, 40, &[(20.0, 1000)]);
    assert_eq!(dose_ticks(&outs, "x"), [24, 27]);
}

#[test]
fn waits_for_a_measurable_lesion() {
    let mut p = Protocol::new(vec![line("l", vec![daily("x")])]);
    p.scanner = weekly_scans();
    let mut state = ProtocolState::new(p, DAY_H).unwrap();
    let outs = drive(&mut state, 16, &[(3.0, 10), (8.0, 100), (12.0, 500)]);
    let first = outs[0].scan.as_ref().unwrap();
    assert!(!first.detected);
    assert_eq!(first.recorded_mm, 0.0);
    assert_eq!(outs[7].scan.as_ref().unwrap().line, None);
    assert_eq!(outs[13].status, Status::AwaitingBaseline);
    assert!(outs[14].scan.as_ref().unwrap().baseline);
    assert_eq!(dose_ticks(&outs, "x"), [14, 15]);
}

#[test]
fn adaptive_pauses_and_resumes_on_burden() {
    let mut p = Protocol::new(vec![line("abiraterone", vec![daily("abiraterone")])]);
    p.scanner = weekly_scans();
    p.adaptive = Some(Adaptive::default());
    let mut state = ProtocolState::new(p, DAY_H).unwrap();
    // Diameter constant: RECIST stays SD, only the burden moves. Scans at ticks 0, 7, …
    let cells = [1000, 700, 450, 600, 1000, 800, 490];
    let trajectory: Vec<(f64, u64)> = cells.iter().map(|&c| (20.0, c)).collect();
    let outs = drive(&mut state, 49, &trajectory);
    let given = dose_ticks(&outs, "abiraterone");
    let expected: Vec<u64> = (0..14).chain(28..42).collect();
    assert_eq!(given, expected);
    let paused: Vec<u64> = (14..28).chain(42..49).collect();
    assert_eq!(
        skipped_ticks(&outs, SkipReason::Paused),
        paused,
        "paused slots are skipped, not delayed"
    );
    let ev: Vec<(u64, f64, bool)> = events(&outs)
        .into_iter()
        .filter_map(|(t, e)| match e {
            Event::AdaptivePaused {
                burden_fraction, ..
            } => Some((t, burden_fraction, true)),
            Event::AdaptiveResumed {
                burden_fraction, ..
            } => Some((t, burden_fraction, false)),
            _ => None,
        })
        .collect();
    assert_eq!(ev, [(14, 0.45, true), (28, 1.0, false), (42, 0.49, true)]);
    assert_eq!(outs[13].status, Status::On);
    assert_eq!(outs[14].status, Status::Paused);
    assert_eq!(outs[27].status, Status::Paused);
    assert_eq!(outs[28].status, Status::On);
    assert!(outs
        .iter()
        .filter_map(|o| o.scan.as_ref())
        .skip(1)
        .all(|s| s.response == Some(Response::Sd)));
}

/// With `progression_above_fraction`, regrowth during a pause (RECIST PD over the
/// nadir) does not fail the line; growth past the fraction while dosing does.
#[test]
fn adaptive_progression_is_growth_despite_dosing() {
    let mut p = Protocol::new(vec![line("abiraterone", vec![daily("abiraterone")])]);
    p.scanner = weekly_scans();
    p.adaptive = Some(Adaptive {
        progression_above_fraction: Some(1.2),
        ..Adaptive::default()
    });
    let mut state = ProtocolState::new(p, DAY_H).unwrap();
    // Scans at ticks 0, 7, …: shrink (pause at 14), regrow to baseline during the pause
    // — RECIST PD over the nadir —, resume at 28, then grow past 1.2 × baseline while
    // dosing: the line fails at tick 42, not before.
    let trajectory = [
        (20.0, 1000),
        (16.0, 600),
        (12.0, 400),
        (18.0, 700),
        (20.0, 1000),
        (21.0, 1100),
        (23.0, 1300),
    ];
    let outs = drive(&mut state, 49, &trajectory);
    let failed: Vec<u64> = events(&outs)
        .into_iter()
        .filter_map(|(t, e)| matches!(e, Event::LineFailed { .. }).then_some(t))
        .collect();
    assert_eq!(failed, [42]);
    assert_eq!(outs[21].scan.as_ref().unwrap().response, Some(Response::Pd));
    assert_eq!(outs[21].status, Status::Paused);
    assert_eq!(outs[42].status, Status::Finished);
}

#[test]
fn holidays_switch_on_and_off() {
    let mut p = Protocol::new(vec![line("cape", vec![daily("capecitabine")])]);
    p.scanner = Scanner {
        every_days: 56.0,
        ..Scanner::default()
    };
    p.holidays = Some(Holiday {
        on_days: 2.0,
        off_days: 1.0,
    });
    let mut state = ProtocolState::new(p, 1.0).unwrap();
    let outs = drive(&mut state, 160, &[(20.0, 1000)]);
    assert_eq!(dose_ticks(&outs, "capecitabine"), [0, 24, 72, 96, 144]);
    assert_eq!(skipped_ticks(&outs, SkipReason::Holiday), [48, 120]);
    let ev: Vec<(u64, bool)> = events(&outs)
        .into_iter()
        .filter_map(|(t, e)| match e {
            Event::HolidayStarted { .. } => Some((t, true)),
            Event::HolidayEnded { .. } => Some((t, false)),
            _ => None,
        })
        .collect();
    assert_eq!(ev, [(48, true), (72, false), (120, true), (144, false)]);
    assert_eq!(outs[47].status, Status::On);
    assert_eq!(outs[48].status, Status::Holiday);
    assert_eq!(outs[71].status, Status::Holiday);
    assert_eq!(outs[72].status, Status::On);
}

fn two_lines(confirm_scans: u32) -> ProtocolState {
    let mut p = Protocol::new(vec![
        line("first", vec![daily("a")]),
        line("second", vec![daily("b")]),
    ]);
    p.scanner = weekly_scans();
    p.switch_on = ConfirmedProgression {
        scans: confirm_scans,
    };
    ProtocolState::new(p, DAY_H).unwrap()
}

const GROWING: [(f64, u64); 6] = [
    (20.0, 1000),
    (30.0, 2000),
    (36.0, 3000),
    (44.0, 4000),
    (53.0, 5000),
    (64.0, 6000),
];

#[test]
fn switches_line_on_first_pd() {
    let mut state = two_lines(1);
    let outs = drive(&mut state, 35, &GROWING);
    assert_eq!(dose_ticks(&outs, "a"), (0..7).collect::<Vec<_>>());
    // Line 2 starts on the scan that failed line 1 (baseline 30 mm), then fails at
    // 36 mm: exactly +20 % and +6 mm over its nadir.
    assert_eq!(dose_ticks(&outs, "b"), (7..14).collect::<Vec<_>>());
    let ev = events(&outs);
    assert!(matches!(
        ev[1],
        (
            7,
            Event::LineFailed {
                line: 0,
                progression_h: 168.0,
                best_response: Some(Response::Pd),
                ..
            }
        )
    ));
    assert!(matches!(
        ev[2],
        (
            7,
            Event::LineStarted {
                line: 1,
                baseline_mm: 30.0,
                ..
            }
        )
    ));
    assert!(matches!(
        ev[3],
        (
            14,
            Event::LineFailed {
                line: 1,
                progression_h: 336.0,
                ..
            }
        )
    ));
    assert!(matches!(
        ev[4],
        (14, Event::AllLinesExhausted { time_h: 336.0 })
    ));
    assert_eq!(ev.len(), 5);
    let given = state.lines_given();
    assert_eq!(given.len(), 2);
    assert_eq!(given[0].tracker.time_to_progression_h(), Some(7.0 * DAY_H));
    assert_eq!(given[1].tracker.baseline_mm(), 30.0);
    assert_eq!(given[1].failed_h, Some(14.0 * DAY_H));
}

#[test]
fn two_scan_confirmation_delays_the_switch() {
    let mut state = two_lines(2);
    let outs = drive(&mut state, 35, &GROWING);
    assert_eq!(dose_ticks(&outs, "a"), (0..14).collect::<Vec<_>>());
    assert_eq!(dose_ticks(&outs, "b"), (14..28).collect::<Vec<_>>());
    let ev = events(&outs);
    assert!(matches!(
        ev[1],
        (
            7,
            Event::ProgressionSuspected {
                line: 0,
                consecutive_pd: 1,
                ..
            }
        )
    ));
    // Progression is dated at the first PD (day 7), the switch happens at day 14.
    assert!(matches!(
        ev[2],
        (
            14,
            Event::LineFailed {
                line: 0,
                progression_h: 168.0,
                ..
            }
        )
    ));
    assert!(matches!(
        ev[3],
        (
            14,
            Event::LineStarted {
                line: 1,
                baseline_mm: 36.0,
                ..
            }
        )
    ));
    assert!(matches!(
        ev[4],
        (21, Event::ProgressionSuspected { line: 1, .. })
    ));
    assert!(matches!(
        ev[5],
        (
            28,
            Event::LineFailed {
                line: 1,
                progression_h: 504.0,
                ..
            }
        )
    ));
    assert!(matches!(ev[6], (28, Event::AllLinesExhausted { .. })));
}

#[test]
fn exhausted_lines_finish_treatment() {
    let mut state = two_lines(1);
    let outs = drive(&mut state, 35, &GROWING);
    assert_eq!(state.status(), Status::Finished);
    assert_eq!(state.current_line(), None);
    assert_eq!(state.next_scan_tick(), None);
    assert!(!state.scan_due(100));
    assert!(outs[14..]
        .iter()
        .all(|o| o.status == Status::Finished && o.doses.is_empty() && o.skipped.is_empty()));
    assert!(outs[15..]
        .iter()
        .all(|o| o.scan.is_none() && o.events.is_empty()));
}

#[test]
fn repeated_tick_changes_nothing() {
    let mut state = two_lines(1);
    let m = Measurement {
        time_h: 0.0,
        longest_diameter_mm: 20.0,
        live_cells: 10,
        live_volume_mm3: 1.0,
        biomarkers: None,
    };
    let first = state.step(0, Some(&m));
    assert_eq!(first.doses.len(), 1);
    let before = state.clone();
    let again = state.step(0, Some(&m));
    assert!(again.doses.is_empty() && again.events.is_empty() && again.scan.is_none());
    assert_eq!(state, before);
}

#[test]
fn snapshot_round_trip_continues_identically() -> anyhow::Result<()> {
    let mut p = Protocol::new(vec![
        line("first", vec![daily("a")]),
        line("second", vec![daily("b")]),
    ]);
    p.scanner = weekly_scans();
    p.adaptive = Some(Adaptive::default());
    p.holidays = Some(Holiday {
        on_days: 5.0,
        off_days: 2.0,
    });
    let trajectory = [
        (20.0, 1000),
        (18.0, 400),
        (19.0, 700),
        (24.0, 1200),
        (30.0, 1500),
    ];
    let mut a = ProtocolState::new(p, DAY_H)?;
    drive(&mut a, 10, &trajectory);
    let json = serde_json::to_string(&a)?;
    let mut b: ProtocolState = serde_json::from_str(&json)?;
    assert_eq!(a, b);
    let m = Measurement {
        time_h: 14.0 * DAY_H,
        longest_diameter_mm: 19.0,
        live_cells: 700,
        live_volume_mm3: 0.0,
        biomarkers: None,
    };
    for tick in 10..30 {
        let scan = (tick == 14).then_some(&m);
        assert_eq!(a.step(tick, scan), b.step(tick, scan));
    }
    Ok(())
}

#[test]
fn validation_names_the_field() {
    let ok = Protocol::new(vec![line("l", vec![daily("x")])]);
    assert_eq!(ok.validate(), Ok(()));
    let field = |p: Protocol| p.validate().unwrap_err().field;
    let mut p = ok.clone();
    p.lines.clear();
    assert_eq!(field(p), "lines");
    let mut p = ok.clone();
    p.lines.push(line("empty", vec![]));
    let err = p.validate().unwrap_err();
    assert_eq!(err.field, "lines[1].schedules");
    assert_eq!(
        err.to_string(),
        "lines[1].schedules line \"empty\" has no drugs: give it at least one schedule"
    );
    let mut p = ok.clone();
    p.lines[0].schedules[0].interval_h = 0.0;
    assert_eq!(field(p), "lines[0].schedules[0].interval_h");
    let mut p = ok.clone();
    p.lines[0].schedules[0].doses = Some(0);
    assert_eq!(field(p), "lines[0].schedules[0].doses");
    let mut p = ok.clone();
    p.lines[0].schedules[0] = ScheduleRef {
        interval_h: 0.0,
        doses: Some(1),
        ..daily("x")
    };
    assert_eq!(p.validate(), Ok(()), "a single dose needs no interval");
    let mut p = ok.clone();
    p.scanner.every_days = 0.0;
    assert_eq!(field(p), "scanner.every_days");
    let mut p = ok.clone();
    p.scanner.measurable_min_mm = 4.0;
    assert_eq!(field(p), "scanner.measurable_min_mm");
    let mut p = ok.clone();
    p.adaptive = Some(Adaptive {
        pause_below_fraction: 1.5,
        resume_at_fraction: 1.0,
        progression_above_fraction: None,
    });
    assert_eq!(field(p), "adaptive.pause_below_fraction");
    let mut p = ok.clone();
    p.adaptive = Some(Adaptive {
        pause_below_fraction: 0.5,
        resume_at_fraction: 0.0,
        progression_above_fraction: None,
    });
    assert_eq!(field(p), "adaptive.resume_at_fraction");
    let mut p = ok.clone();
    p.adaptive = Some(Adaptive {
        pause_below_fraction: 0.5,
        resume_at_fraction: 0.4,
        progression_above_fraction: None,
    });
    let err = p.validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "adaptive.resume_at_fraction must be ≥ adaptive.pause_below_fraction (0.5), got 0.4"
    );
    let mut p = ok.clone();
    p.switch_on.scans = 0;
    assert_eq!(field(p), "switch_on.scans");
    let mut p = ok.clone();
    p.holidays = Some(Holiday {
        on_days: 14.0,
        off_days: f64::NAN,
    });
    assert_eq!(field(p), "holidays.off_days");
    let mut p = ok.clone();
    p.criteria.pr_decrease_fraction = 1.0;
    assert_eq!(field(p), "criteria.pr_decrease_fraction");
    assert_eq!(
        ProtocolState::new(ok.clone(), 0.0).unwrap_err().field,
        "tick_h"
    );
    let mut p = ok;
    p.holidays = Some(Holiday {
        on_days: 0.5,
        off_days: 1.0,
    });
    assert_eq!(
        ProtocolState::new(p, DAY_H).unwrap_err().field,
        "holidays.on_days"
    );
}
