//! Plots from time series: the burden curve lies where the data says, therapy periods
//! and scan responses appear only when their columns exist, drug plots only with drug
//! columns, and the same CSV gives the same bytes.

use image::RgbImage;
use oncolattice::output::plot::{self, charts, Table};
use oncolattice::output::render::palette::CYCLING;

/// A CSV with today's columns: live cells grow linearly from 100 to 1100 over 10 days.
fn base_csv(extra_header: &str, extra: impl Fn(usize) -> String) -> String {
    let mut s = format!(
        "tick,time_h,tumor_live,tumor_quiescent,necrotic,vessel,o2_mean_mmhg,o2_residual,\
         time_days,o2_sweeps,hypoxic,perfused_vessel,tumor_radius_um,tumor_diameter_um{extra_header}\n"
    );
    for i in 0..=20 {
        let days = i as f64 * 0.5;
        s += &format!(
            "{},{},{},{},{},40,{},0.001,{days},12,{},{},{},{}{}\n",
            i * 12,
            i * 12,
            100 + 50 * i,
            10 * i,
            2 * i,
            30.0 - i as f64 * 0.4,
            5 * i,
            40 - i,
            100.0 + 10.0 * i as f64,
            200.0 + 20.0 * i as f64,
            extra(i)
        );
    }
    s
}

fn near(img: &RgbImage, (x, y): (i32, i32), c: [u8; 3]) -> bool {
    (-1..=1).any(|dy| {
        (-1..=1).any(|dx| {
            let (px, py) = (x + dx, y + dy);
            px >= 0
                && py >= 0
                && (px as u32) < img.width()
                && (py as u32) < img.height()
                && img.get_pixel(px as u32, py as u32).0 == c
        })
    })
}

#[test]
fn the_burden_curve_lies_where_the_data_says() {
    let table = Table::parse(&base_csv("", |_| String::new()));
    let all = plot::charts(&table).unwrap();
    let (name, stack) = &all[0];
    assert_eq!(*name, "burden");
    assert_eq!(stack[0].series[0].label, "live");
    let (img, drawn) = plot::png(stack, plot::SIZE).unwrap();
    let live = &drawn[0].points[0];
    assert_eq!(live.len(), 21);
    for &p in live {
        assert!(near(&img, p, CYCLING), "no live-curve pixel at {p:?}");
    }
    // Linear data: equal steps in time and value give equal steps in pixels, x right
    // and y up; the last point sits near the top of the plot area, the first low.
    let ((x0, y0), (x1, y1)) = drawn[0].plot_area;
    for w in live.windows(3) {
        assert!((w[2].0 - 2 * w[1].0 + w[0].0).abs() <= 1);
        assert!((w[2].1 - 2 * w[1].1 + w[0].1).abs() <= 1);
        assert!(w[1].0 > w[0].0 && w[1].1 < w[0].1);
    }
    let h = (y1 - y0) as f64;
    assert!(((live[20].1 - y0) as f64) < 0.12 * h, "max near the top");
    assert!(
        ((y1 - live[0].1) as f64) < 0.15 * h,
        "100 of 1100 cells near the bottom"
    );
    assert!((live[0].0 - x0).abs() <= 2 && (live[20].0 - x1).abs() <= 2);
    // A curve pixel halfway between two points, too (the line is drawn, not dots).
    let mid = ((live[4].0 + live[5].0) / 2, (live[4].1 + live[5].1) / 2);
    assert!(near(&img, mid, CYCLING));
}

#[test]
fn therapy_scans_and_drugs_appear_only_with_their_columns() {
    let plain = Table::parse(&base_csv("", |_| String::new()));
    let all = plot::charts(&plain).unwrap();
    let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["burden", "oxygen"]);
    assert!(all[0].1[0].bands.is_empty() && all[0].1[0].marks.is_empty());

    let treated = Table::parse(&base_csv(
        ",dose_cisplatin_mg,plasma_cisplatin_um,tissue_cisplatin_um,scan_response",
        |i| {
            let dose = if (4..=6).contains(&i) { 50 } else { 0 };
            let scan = if i == 12 { "PR" } else { "" };
            format!(
                ",{dose},{},{},{scan}",
                3.0 * (i as f64 * 0.3).sin().abs(),
                0.5 * i as f64
            )
        },
    ));
    let all = plot::charts(&treated).unwrap();
    let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["burden", "oxygen", "drugs"]);
    let burden = &all[0].1[0];
    // Rows 4..=6 dosed: one band from day 2 to day 3.5 (the row after the last).
    assert_eq!(burden.bands, vec![(2.0, 3.5)]);
    assert_eq!(burden.marks, vec![(6.0, "PR".to_string())]);
    let drugs = &all[2].1;
    assert_eq!(drugs.len(), 2, "plasma and tissue charts");
    assert_eq!(drugs[0].series[0].label, "plasma_cisplatin_um");

    // The band is visible: a pixel inside it, away from lines, is tinted blue.
    let (img, drawn) = plot::png(&all[0].1, plot::SIZE).unwrap();
    let ((_, y0), (_, y1)) = drawn[0].plot_area;
    let live = &drawn[0].points[0];
    let x = (live[5].0 + live[6].0) / 2;
    let y = y0 + (y1 - y0) / 3;
    let p = img.get_pixel(x as u32, y as u32).0;
    assert!(
        p[2] > p[0] + 10,
        "band tint expected at ({x}, {y}), got {p:?}"
    );
}

#[test]
fn factors_get_a_chart_each_and_counters_their_declared_lines() {
    let t = Table::parse(&base_csv(
        ",trait_efflux,persister,mean_vegf,tumour_vegf,mean_il6,tumour_il6",
        |i| format!(",{},0,{},{},0.5,1", 3 * i, 0.1 * i as f64, 0.2 * i as f64),
    ));
    let all = plot::charts(&t).unwrap();
    let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["burden", "oxygen", "factors"]);
    let factors = &all[2].1;
    let titles: Vec<&str> = factors.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["factor vegf", "factor il6"], "in column order");
    let vegf = &factors[0].series;
    assert_eq!(vegf.len(), 2);
    assert_eq!(vegf[0].points[10], (5.0, 1.0));
    assert_eq!(vegf[1].points[10], (5.0, 2.0));
    // The burden chart: the three totals (declared `BurdenTotal`), then the carried
    // traits that some row counts (efflux; never a persister).
    let labels: Vec<&str> = all[0].1[0]
        .series
        .iter()
        .map(|s| s.label.as_str())
        .collect();
    assert_eq!(labels, ["live", "quiescent", "necrotic", "efflux"]);
    // Shares (`ShareOf`): hypoxic of live, perfused of vessels, in percent.
    let shares = &all[1].1[1].series;
    let share = |label: &str| &shares.iter().find(|s| s.label == label).unwrap().points;
    assert_eq!(
        share("hypoxic live tumour cells")[2],
        (1.0, 100.0 * 10.0 / 200.0)
    );
    assert_eq!(share("perfused vessels")[4], (2.0, 100.0 * 36.0 / 40.0));
}

#[test]
fn per_clone_columns_replace_the_totals() {
    let t = Table::parse(&base_csv(",clone_0,clone_1,clone_acquired", |i| {
        format!(",{},{},{}", 100 + 30 * i, 20 * i, 3 * i)
    }));
    let all = plot::charts(&t).unwrap();
    let labels: Vec<&str> = all[0].1[0]
        .series
        .iter()
        .map(|s| s.label.as_str())
        .collect();
    assert_eq!(
        labels,
        ["clone 0", "clone 1", "acquired clones", "all live"]
    );
}

#[test]
fn plots_are_deterministic_and_svg_is_text() {
    let t = Table::parse(&base_csv("", |_| String::new()));
    let stack = &plot::charts(&t).unwrap()[1].1;
    let a = plot::png(stack, (480, 400)).unwrap().0;
    let b = plot::png(stack, (480, 400)).unwrap().0;
    assert_eq!(a, b);
    let s1 = plot::svg(stack, (480, 400)).unwrap();
    assert_eq!(s1, plot::svg(stack, (480, 400)).unwrap());
    assert!(s1.starts_with("<svg") && s1.contains("<text") && s1.contains("<polyline"));
    assert!(s1.contains("perfusion and hypoxia"));
    // SVG text names the font PNG text is drawn in, first.
    assert!(s1.contains(r#"font-family="DejaVu Sans, "#));
    assert!(!s1.contains(r#"font-family="sans-serif""#));
    // PNG text is anti-aliased: greys between the black ticks' labels and white.
    let greys = a
        .pixels()
        .filter(|p| p.0[0] == p.0[1] && p.0[1] == p.0[2] && (40..200).contains(&p.0[0]))
        .count();
    assert!(greys > 200, "{greys} grey pixels");
}

#[test]
fn non_finite_values_break_the_line() {
    let c = charts::Chart {
        title: "gap".into(),
        y_label: "v".into(),
        series: vec![charts::Series {
            label: "s".into(),
            colour: [200, 0, 0],
            points: vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 2.0)],
        }],
        ..Default::default()
    };
    let (_, drawn) = plot::png(&[c], (320, 240)).unwrap();
    assert_eq!(drawn[0].points[0].len(), 3);
}

#[test]
fn plot_run_writes_png_and_svg_and_refuses_non_run_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let err = plot::plot_run(tmp.path(), None).unwrap_err();
    assert!(err.is_bad_input(), "{err}");
    std::fs::write(tmp.path().join("scene.resolved.toml"), "").unwrap();
    std::fs::write(
        tmp.path().join("timeseries.csv"),
        base_csv("", |_| String::new()),
    )
    .unwrap();
    let files = plot::plot_run(tmp.path(), None).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["burden.png", "burden.svg", "oxygen.png", "oxygen.svg"]
    );
    let img = image::open(tmp.path().join("plots/burden.png")).unwrap();
    assert_eq!((img.width(), img.height()), plot::SIZE);
}
