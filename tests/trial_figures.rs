//! The trial figures (Kaplan–Meier, waterfall, swimmer): files written, numbers at risk
//! against counts made here from the Gehan CSV, pixels where the data put them, bytes
//! the same when drawn twice, and empty input refused. Set `FIGURES_KEEP=DIR` to keep
//! the figures for a look.

use oncolattice::trial::figures::{
    self, arm_colour, km_figure, render_png, render_svg, response_colour, sort_bars,
    swimmer_figure, waterfall_figure, write_km, write_swimmer, write_waterfall, KmOptions,
    LineSpan, SwimmerLane, SwimmerOptions, WaterfallBar, WaterfallOptions,
};
use oncolattice::trial::{analyse, read_survival_csv, BestResponse, TrialOptions};
use std::path::{Path, PathBuf};

fn keep(files: &[PathBuf]) {
    if let Some(dir) = std::env::var_os("FIGURES_KEEP") {
        for f in files {
            std::fs::copy(f, Path::new(&dir).join(f.file_name().unwrap())).unwrap();
        }
    }
}

fn gehan_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gehan.csv")
}

/// (arm, time) of every Gehan record, read here without the library's reader.
fn gehan_times() -> Vec<(String, f64)> {
    std::fs::read_to_string(gehan_path())
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap())
        })
        .collect()
}

fn near_colour(img: &image::RgbImage, (x, y): (i32, i32), c: [u8; 3]) -> bool {
    (-1..=1).any(|dy| {
        let p = img.get_pixel(x as u32, (y + dy) as u32).0;
        p == c
    })
}

fn rgb(c: plotters::style::RGBColor) -> [u8; 3] {
    [c.0, c.1, c.2]
}

#[test]
fn the_gehan_km_figure_has_its_arms_numbers_at_risk_and_curves_where_they_belong() {
    let arms = read_survival_csv(&gehan_path()).unwrap();
    let report = analyse(&arms, &TrialOptions::default()).unwrap();
    let options = KmOptions {
        time_unit: Some("weeks".into()),
        ..KmOptions::default()
    };
    let fig = km_figure(&report, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = write_km(dir.path(), "km", &fig).unwrap();
    keep(&files);
    assert_eq!(
        files,
        [dir.path().join("km.png"), dir.path().join("km.svg")]
    );
    let svg = std::fs::read_to_string(&files[1]).unwrap();
    for text in [
        "6-MP (n = 21), median 23",
        "placebo (n = 21), median 8",
        "Log-rank p = 0.0000417",
        "HR placebo vs 6-MP: 4.82 (95% CI 2.15 to 10.8)",
        "Number at risk",
        "Time (weeks)",
        "Progression-free survival",
    ] {
        assert!(svg.contains(text), "{text}");
    }

    let (img, layout) = render_png(&fig).unwrap();
    assert_eq!(layout.ticks, [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0]);
    let times = gehan_times();
    for (k, arm) in ["6-MP", "placebo"].iter().enumerate() {
        let counted: Vec<usize> = layout
            .ticks
            .iter()
            .map(|&t| times.iter().filter(|(a, x)| a == arm && *x >= t).count())
            .collect();
        assert_eq!(layout.at_risk[k], counted, "{arm}");
    }
    // t = 0, 10, 20 (columns 0, 2, 4): R's summary(survfit(...), times = c(0, 10, 20)).
    assert_eq!([0, 2, 4].map(|c| layout.at_risk[0][c]), [21, 15, 8]);
    assert_eq!([0, 2, 4].map(|c| layout.at_risk[1][c]), [21, 8, 2]);

    // 6-MP is flat at 0.4482 from week 23 to its last censoring at 35; placebo at 8/21
    // from week 8 to 11. Censor ticks rise above the curve at 6-MP's censorings at 32.
    let s_6mp: f64 = [
        18.0 / 21.0,
        16.0 / 17.0,
        14.0 / 15.0,
        11.0 / 12.0,
        10.0 / 11.0,
    ]
    .iter()
    .product::<f64>()
        * (6.0 / 7.0)
        * (5.0 / 6.0);
    assert!((s_6mp - 0.4482).abs() < 1e-4);
    let blue = rgb(arm_colour(0));
    let orange = rgb(arm_colour(1));
    assert!(near_colour(&img, layout.map.pixel(28.0, s_6mp), blue));
    assert!(near_colour(&img, layout.map.pixel(9.5, 8.0 / 21.0), orange));
    let tick = layout.map.pixel(32.0, s_6mp);
    assert!(near_colour(&img, (tick.0, tick.1 - 5), blue));
    assert!(!near_colour(&img, layout.map.pixel(28.0, 0.1), blue));
    assert!(!near_colour(&img, layout.map.pixel(9.5, 0.1), orange));

    // Same bytes when drawn again.
    let (again, _) = render_png(&fig).unwrap();
    assert_eq!(img.as_raw(), again.as_raw());
    assert_eq!(render_svg(&fig).unwrap(), svg);
}

fn patients() -> Vec<WaterfallBar> {
    let responses = [
        BestResponse::Complete,
        BestResponse::Partial,
        BestResponse::Stable,
        BestResponse::Progressive,
    ];
    (0..36)
        .map(|i| {
            let change = ((i * 37) % 140) as f64 - 100.0 + if i == 5 { 160.0 } else { 0.0 };
            let response = match change {
                c if c <= -100.0 => Some(responses[0]),
                c if c <= -30.0 => Some(responses[1]),
                c if c < 20.0 => Some(responses[2]),
                _ if i % 7 == 0 => None,
                _ => Some(responses[3]),
            };
            WaterfallBar {
                patient: format!("P{i:03}"),
                arm: if i % 3 == 0 { "control" } else { "TKI" }.into(),
                best_change_percent: change,
                best_response: response,
            }
        })
        .collect()
}

#[test]
fn the_waterfall_orders_its_bars_cuts_them_at_100_percent_and_draws_the_same_twice() {
    let bars = patients();
    let fig = waterfall_figure(&bars, &WaterfallOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = write_waterfall(dir.path(), "waterfall", &fig).unwrap();
    keep(&files);
    let svg = std::fs::read_to_string(&files[1]).unwrap();
    assert!(svg.contains("TKI (n = 24)") && svg.contains("control (n = 12)"));
    assert!(svg.contains("Best change from baseline (%)"));

    let (img, layout) = render_png(&fig).unwrap();
    assert_eq!(layout.panels.len(), 2);
    for p in &layout.panels {
        let arm = p.arm.as_deref().unwrap();
        let mut mine: Vec<&WaterfallBar> = bars.iter().filter(|b| b.arm == arm).collect();
        mine.sort_by(|a, b| {
            b.best_change_percent
                .partial_cmp(&a.best_change_percent)
                .unwrap()
                .then(a.patient.cmp(&b.patient))
        });
        let expected: Vec<&str> = mine.iter().map(|b| b.patient.as_str()).collect();
        assert_eq!(p.patients, expected, "{arm}");
        let changes: Vec<f64> = mine.iter().map(|b| b.best_change_percent).collect();
        assert!(changes.windows(2).all(|w| w[0] >= w[1]));
    }
    // P005 (+120 %) is cut at +100 % with a marker above it.
    let tki = &layout.panels[1];
    assert_eq!(tki.clamped, ["P005"]);
    assert_eq!(tki.patients[0], "P005");
    let pd = rgb(response_colour(Some(BestResponse::Progressive)));
    let (x, y99) = tki.map.pixel(0.5, 98.0);
    assert_eq!(img.get_pixel(x as u32, y99 as u32).0, pd);
    let (_, y_above) = tki.map.pixel(0.5, 102.0);
    assert_ne!(
        img.get_pixel(x as u32, y_above as u32).0,
        pd,
        "no bar past 100 %"
    );
    let (_, y_mark) = tki.map.pixel(0.5, 107.0);
    assert_eq!(
        img.get_pixel(x as u32, y_mark as u32).0,
        [40, 40, 40],
        "marker"
    );

    let (again, _) = render_png(&fig).unwrap();
    assert_eq!(img.as_raw(), again.as_raw());
    assert_eq!(render_svg(&fig).unwrap(), svg);
}

#[test]
fn sorting_bars_puts_ties_in_patient_order_whatever_the_input_order() {
    let mut bars = patients();
    let a = sort_bars(&bars);
    bars.reverse();
    assert_eq!(sort_bars(&bars), a);
}

fn lanes(n: usize) -> Vec<SwimmerLane> {
    (0..n)
        .map(|i| {
            let first = 30.0 + ((i * 53) % 300) as f64;
            let second = (i % 3 != 0).then(|| first + 20.0 + ((i * 17) % 150) as f64);
            let mut lines = vec![LineSpan {
                name: "1L osimertinib".into(),
                start_day: 0.0,
                end_day: first,
                progressed_day: Some(first),
                best_response: Some(BestResponse::Partial),
            }];
            if let Some(end) = second {
                lines.push(LineSpan {
                    name: "2L chemotherapy".into(),
                    start_day: first + 7.0,
                    end_day: end,
                    progressed_day: (i % 2 == 0).then_some(end - 5.0),
                    best_response: Some(BestResponse::Stable),
                });
            }
            let end = second.unwrap_or(first) + (i % 4) as f64 * 15.0;
            SwimmerLane {
                patient: format!("P{i:03}"),
                arm: "TKI".into(),
                lines,
                end_day: end,
                ongoing: i % 5 == 1,
            }
        })
        .collect()
}

#[test]
fn the_swimmer_sorts_its_lanes_marks_progression_and_ongoing_and_grows_with_lanes() {
    let input = lanes(14);
    let fig = swimmer_figure(&input, &SwimmerOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = write_swimmer(dir.path(), "swimmer", &fig).unwrap();
    keep(&files);
    let svg = std::fs::read_to_string(&files[1]).unwrap();
    assert!(svg.contains("1L osimertinib") && svg.contains("2L chemotherapy"));
    assert!(svg.contains("Time since treatment start (days)"));

    let (img, layout) = render_png(&fig).unwrap();
    let total = |l: &SwimmerLane| l.lines.iter().map(|s| s.end_day).fold(l.end_day, f64::max);
    let totals: Vec<f64> = layout
        .patients
        .iter()
        .map(|p| total(input.iter().find(|l| &l.patient == p).unwrap()))
        .collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
    assert_eq!(layout.patients.len(), 14);

    let n = layout.patients.len() as f64;
    for (i, p) in layout.patients.iter().enumerate() {
        let lane = input.iter().find(|l| &l.patient == p).unwrap();
        let y = n - i as f64 - 0.5;
        // The first line's colour in the middle of its segment.
        let mid = layout.map.pixel(lane.lines[0].end_day / 2.0, y);
        assert_eq!(
            img.get_pixel(mid.0 as u32, mid.1 as u32).0,
            rgb(arm_colour(0)),
            "{p}"
        );
        let pd = layout.map.pixel(lane.lines[0].progressed_day.unwrap(), y);
        assert_eq!(
            img.get_pixel(pd.0 as u32, pd.1 as u32).0,
            [0, 0, 0],
            "{p} progression"
        );
        if lane.ongoing {
            let end = layout.map.pixel(total(lane), y);
            assert_eq!(
                img.get_pixel(end.0 as u32 + 4, end.1 as u32).0,
                [0, 0, 0],
                "{p} arrow"
            );
        }
    }

    let (again, _) = render_png(&fig).unwrap();
    assert_eq!(img.as_raw(), again.as_raw());
    assert_eq!(render_svg(&fig).unwrap(), svg);

    let many = swimmer_figure(&lanes(200), &SwimmerOptions::default()).unwrap();
    let (big, big_layout) = render_png(&many).unwrap();
    assert!(big.height() > img.height());
    assert!(big_layout.lane_px < layout.lane_px && big_layout.lane_px >= 5);
    if std::env::var_os("FIGURES_KEEP").is_some() {
        keep(&write_swimmer(dir.path(), "swimmer200", &many).unwrap());
    }
}

#[test]
fn empty_inputs_are_refused_with_a_message() {
    let e = waterfall_figure(&[], &WaterfallOptions::default()).unwrap_err();
    assert!(
        e.is_bad_input() && e.to_string().contains("no patients"),
        "{e}"
    );
    let e = swimmer_figure(&[], &SwimmerOptions::default()).unwrap_err();
    assert!(
        e.is_bad_input() && e.to_string().contains("no patients"),
        "{e}"
    );
    let e = figures::KmFigure::new(vec![], vec![], KmOptions::default()).unwrap_err();
    assert!(e.is_bad_input() && e.to_string().contains("no arms"), "{e}");
}

#[test]
fn three_arms_over_two_years_get_a_row_each_and_two_hazard_ratios() {
    use oncolattice::trial::Arm;
    let arm = |name: &str, scale: f64| {
        let pairs: Vec<(f64, bool)> = (0..40)
            .map(|i| {
                let t = scale * (1.0 + (i * 29 % 40) as f64) / 40.0;
                (t.round(), i % 4 != 0)
            })
            .collect();
        Arm::from_pairs(name, &pairs)
    };
    let arms = [
        arm("standard of care", 300.0),
        arm("TKI", 520.0),
        arm("TKI + adaptive", 700.0),
    ];
    let report = analyse(&arms, &TrialOptions::default()).unwrap();
    let options = KmOptions {
        time_unit: Some("days".into()),
        ..KmOptions::default()
    };
    let fig = km_figure(&report, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = write_km(dir.path(), "km3", &fig).unwrap();
    keep(&files);
    let (_, layout) = render_png(&fig).unwrap();
    assert_eq!(layout.at_risk.len(), 3);
    assert_eq!(layout.ticks.last(), Some(&700.0));
    assert!(layout.at_risk.iter().all(|row| row[0] == 40));
    let svg = std::fs::read_to_string(&files[1]).unwrap();
    assert!(svg.contains("HR TKI vs standard of care"));
    assert!(svg.contains("HR TKI + adaptive vs standard of care"));
    assert!(svg.contains("Time (days)"));
}

#[test]
fn a_waterfall_of_many_patients_in_one_panel_takes_the_arm_colours() {
    use oncolattice::trial::figures::WaterfallColour;
    let bars: Vec<WaterfallBar> = (0..180)
        .map(|i| WaterfallBar {
            patient: format!("V{i:03}"),
            arm: ["virtual A", "virtual B"][i % 2].into(),
            best_change_percent: ((i * 71) % 190) as f64 - 95.0,
            best_response: None,
        })
        .collect();
    let options = WaterfallOptions {
        colour: WaterfallColour::Arm,
        split_arms: false,
        ..WaterfallOptions::default()
    };
    let fig = waterfall_figure(&bars, &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    keep(&write_waterfall(dir.path(), "waterfall180", &fig).unwrap());
    let (img, layout) = render_png(&fig).unwrap();
    assert_eq!(layout.panels.len(), 1);
    let p = &layout.panels[0];
    assert_eq!(p.patients.len(), 180);
    assert!(p.clamped.is_empty());
    // The first bar is the largest increase (+94 %), in its arm's colour.
    let first = bars.iter().find(|b| b.patient == p.patients[0]).unwrap();
    assert_eq!(first.best_change_percent, 94.0);
    let k = ["virtual A", "virtual B"]
        .iter()
        .position(|a| *a == first.arm)
        .unwrap();
    let (x, y) = p.map.pixel(0.5, 50.0);
    assert_eq!(img.get_pixel(x as u32, y as u32).0, rgb(arm_colour(k)));
}
