//! Plots of a run from its `timeseries.csv`, as PNG and SVG in `plots/`:
//!
//! - `burden`: tumour burden over time, by clone when the CSV has `clone_*` columns,
//!   else live, quiescent and necrotic cells;
//! - `oxygen`: mean pO2, and the perfused share of vessels with the hypoxic share of
//!   live tumour cells;
//! - `drugs` (only when the CSV has `plasma_*` or `tissue_*` columns): drug levels;
//! - `factors` (only with `mean_*` columns): each signalling factor's mean level;
//! - one chart per `PlotAs::Chart` stem of the site counters (`model::counters`).
//!
//! Which counter goes on which chart is declared with the counter.
//!
//! Therapy periods (rows where a `dose_*` column is non-zero) are shaded and scan
//! responses (a non-empty `scan_response` cell) marked, on every chart, when those
//! columns exist; without them nothing is drawn in their place.
//!
//! Text is set in the renderer's embedded font (PNG) or as SVG text, so no system fonts
//! are needed and the same CSV gives the same bytes.

pub mod backend;
pub mod charts;
mod counter_charts;
pub mod table;

use crate::output::atomic::{self, WriteError};
use crate::output::render::palette;
use crate::output::rundir::{FRAMES, RESOLVED_SCENE, TIMESERIES};
use crate::output::RunError;
use backend::Labelled;
use charts::{Chart, Drawn, Series};
use image::RgbImage;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
pub use table::Table;

/// The folder of a run directory that holds the plots.
pub const PLOTS: &str = "plots";
/// The stems of the plot files (`burden.png`, `burden.svg`, …), as `charts` names them.
pub const PLOT_STEMS: [&str; 3] = ["burden", "oxygen", "drugs"];
/// The stem of the chart of the factors' levels.
pub const FACTORS_STEM: &str = "factors";

/// Whether `stem` names a plot `plot` may write: one of `PLOT_STEMS`, the factors', or a
/// counter chart's (`counters::PlotAs::Chart`).
pub fn is_plot_stem(stem: &str) -> bool {
    PLOT_STEMS.contains(&stem)
        || stem == FACTORS_STEM
        || crate::model::counters::SITE_COUNTERS.iter().any(|c| {
            matches!(c.plot, crate::model::counters::PlotAs::Chart { stem: s, .. } if s == stem)
        })
}

/// Size of every plot in pixels.
pub const SIZE: (u32, u32) = (960, 540);

#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Bad input (exit 2): not a run directory, no time series.
    #[error("{0}")]
    Input(String),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot draw: {message}", .path.display())]
    Draw { path: PathBuf, message: String },
}

impl PlotError {
    pub fn is_bad_input(&self) -> bool {
        matches!(self, PlotError::Input(_))
    }
}

/// Series colours beyond the fixed ones (clones, drugs).
fn nth_colour(k: usize) -> [u8; 3] {
    palette::clone_colour(k as u32)
}

fn series(t: &Table, days: &[f64], column: &str, label: &str, colour: [u8; 3]) -> Option<Series> {
    let ys = t.numbers(column)?;
    Some(Series {
        label: label.to_string(),
        colour,
        points: days.iter().copied().zip(ys).collect(),
    })
}

/// Therapy periods: runs of rows where a `dose_*` column is non-zero, each lasting to
/// the next row's time.
pub fn therapy_bands(t: &Table, days: &[f64]) -> Vec<(f64, f64)> {
    let doses: Vec<Vec<f64>> = t
        .with_prefix("dose_")
        .iter()
        .filter_map(|c| t.numbers(c))
        .collect();
    let mut bands: Vec<(f64, f64)> = Vec::new();
    for (i, &day) in days.iter().enumerate() {
        let on = doses.iter().any(|d| d[i].is_finite() && d[i] != 0.0);
        if !on || !day.is_finite() {
            continue;
        }
        let end = days
            .get(i + 1)
            .copied()
            .filter(|d| d.is_finite())
            .unwrap_or(day);
        match bands.last_mut() {
            Some(last) if last.1 >= day => last.1 = last.1.max(end),
            _ => bands.push((day, end)),
        }
    }
    bands
}

/// Scan responses: rows with a non-empty `scan_response`.
pub fn scan_marks(t: &Table, days: &[f64]) -> Vec<(f64, String)> {
    let Some(col) = t.text("scan_response") else {
        return Vec::new();
    };
    col.iter()
        .zip(days)
        .filter(|(v, d)| {
            let v = v.trim();
            d.is_finite()
                && !v.is_empty()
                && !matches!(v.to_ascii_lowercase().as_str(), "0" | "nan" | "none" | "-")
        })
        .map(|(v, d)| (*d, v.trim().to_string()))
        .collect()
}

/// The charts a time series makes, by file stem; each is a list of stacked charts.
pub fn charts(t: &Table) -> Result<Vec<(&'static str, Vec<Chart>)>, String> {
    let days = t
        .days()
        .ok_or("the time series has neither a time_days nor a time_h column")?;
    let bands = therapy_bands(t, &days);
    let marks = scan_marks(t, &days);
    let with = |mut c: Chart| {
        c.bands = bands.clone();
        c.marks = marks.clone();
        c
    };
    let mut out = Vec::new();

    let clones = t.with_prefix("clone_");
    let mut burden: Vec<Series> = if clones.is_empty() {
        counter_charts::burden_totals(t, &days)
    } else {
        clones
            .iter()
            .enumerate()
            .filter_map(|(k, c)| {
                let label = match c.trim_start_matches("clone_") {
                    "acquired" => "acquired clones".to_string(),
                    id => format!("clone {id}"),
                };
                series(t, &days, c, &label, nth_colour(k))
            })
            .collect()
    };
    if !clones.is_empty() {
        burden.extend(series(t, &days, "tumor_live", "all live", [40, 40, 48]));
    }
    // Live cells carrying each resistance trait (or the persister state), when any do:
    // the rise of a resistant clone under treatment. Colours after the clone lines'
    // (or the three totals').
    burden.extend(counter_charts::burden_carried(
        t,
        &days,
        clones.len().max(3),
    ));
    if !burden.is_empty() {
        out.push((
            PLOT_STEMS[0],
            vec![with(Chart {
                title: "tumour burden".into(),
                y_label: "cells".into(),
                series: burden,
                ..Chart::default()
            })],
        ));
    }

    let mut oxygen = Vec::new();
    if let Some(s) = series(t, &days, "o2_mean_mmhg", "mean pO2", [40, 90, 170]) {
        oxygen.push(with(Chart {
            title: "oxygen".into(),
            y_label: "pO2 (mmHg)".into(),
            series: vec![s],
            ..Chart::default()
        }));
    }
    let shares = counter_charts::shares(t, &days);
    if !shares.is_empty() {
        oxygen.push(with(Chart {
            title: "perfusion and hypoxia".into(),
            y_label: "percent".into(),
            series: shares,
            y_range: Some((0.0, 105.0)),
            ..Chart::default()
        }));
    }
    if !oxygen.is_empty() {
        out.push((PLOT_STEMS[1], oxygen));
    }

    let mut drugs = Vec::new();
    for (prefix, title) in [
        ("plasma_", "plasma drug levels"),
        ("tissue_", "tissue drug levels"),
    ] {
        let cols = t.with_prefix(prefix);
        let s: Vec<Series> = cols
            .iter()
            .enumerate()
            .filter_map(|(k, c)| series(t, &days, c, c, nth_colour(k)))
            .collect();
        if !s.is_empty() {
            drugs.push(with(Chart {
                title: title.into(),
                y_label: "concentration".into(),
                series: s,
                ..Chart::default()
            }));
        }
    }
    if !drugs.is_empty() {
        out.push((PLOT_STEMS[2], drugs));
    }
    let factors = counter_charts::factor_charts(t, &days);
    if !factors.is_empty() {
        out.push((FACTORS_STEM, factors.into_iter().map(with).collect()));
    }
    for (stem, chart) in counter_charts::own_charts(t, &days) {
        out.push((stem, vec![with(chart)]));
    }
    Ok(out)
}

fn draw_stack<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    stack: &[Chart],
) -> Result<Vec<Drawn>, String> {
    let areas = root.split_evenly((stack.len().max(1), 1));
    let mut drawn = Vec::new();
    for (area, chart) in areas.iter().zip(stack) {
        drawn.push(charts::draw(area, chart).map_err(|e| e.to_string())?);
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(drawn)
}

/// The PNG of a stack of charts, and where each series' points landed.
pub fn png(stack: &[Chart], size: (u32, u32)) -> Result<(RgbImage, Vec<Drawn>), String> {
    let mut buf = vec![0u8; size.0 as usize * size.1 as usize * 3];
    let drawn = {
        let backend = Labelled {
            inner: BitMapBackend::with_buffer(&mut buf, size),
            raster: true,
        };
        draw_stack(backend.into_drawing_area(), stack)?
    };
    let img = RgbImage::from_raw(size.0, size.1, buf).ok_or("plot buffer has the wrong size")?;
    Ok((img, drawn))
}

/// The SVG text of a stack of charts.
pub fn svg(stack: &[Chart], size: (u32, u32)) -> Result<String, String> {
    let mut text = String::new();
    {
        let backend = Labelled {
            inner: SVGBackend::with_string(&mut text, size),
            raster: false,
        };
        draw_stack(backend.into_drawing_area(), stack)?;
    }
    Ok(text)
}

impl From<WriteError> for PlotError {
    fn from(e: WriteError) -> PlotError {
        PlotError::Io {
            path: e.path,
            source: e.source,
        }
    }
}

/// Writes `plots/*.png` and `plots/*.svg` for the run directory `run_dir` into
/// `out_dir` (default `run_dir/plots`); returns the files written.
pub fn plot_run(run_dir: &Path, out_dir: Option<&Path>) -> Result<Vec<PathBuf>, PlotError> {
    let csv = run_dir.join(TIMESERIES);
    if !run_dir.join(RESOLVED_SCENE).is_file() {
        return Err(PlotError::Input(format!(
            "{}: not a run directory (no {RESOLVED_SCENE})",
            run_dir.display()
        )));
    }
    let table = Table::read(&csv)
        .map_err(|source| PlotError::Input(format!("{}: {source}", csv.display())))?;
    if table.rows.is_empty() {
        return Err(PlotError::Input(format!(
            "{}: no rows to plot",
            csv.display()
        )));
    }
    let all = charts(&table).map_err(|m| PlotError::Input(format!("{}: {m}", csv.display())))?;
    let dir = out_dir.map_or_else(|| run_dir.join(PLOTS), Path::to_path_buf);
    std::fs::create_dir_all(&dir).map_err(|source| PlotError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut written = Vec::new();
    for (stem, stack) in &all {
        let size = (SIZE.0, SIZE.1 * stack.len().max(1) as u32 * 3 / 4).max(SIZE);
        let size = (size.0, size.1.max(SIZE.1));
        let p = dir.join(format!("{stem}.png"));
        let draw_err = |path: &Path, message: String| PlotError::Draw {
            path: path.to_path_buf(),
            message,
        };
        let (img, _) = png(stack, size).map_err(|m| draw_err(&p, m))?;
        let bytes =
            crate::output::render::png_bytes(&img).map_err(|e| draw_err(&p, e.to_string()))?;
        atomic::write(&p, &bytes)?;
        written.push(p);
        let p = dir.join(format!("{stem}.svg"));
        let text = svg(stack, size).map_err(|m| draw_err(&p, m))?;
        atomic::write(&p, text.as_bytes())?;
        written.push(p);
    }
    Ok(written)
}

/// The end of a run at tick `last`: `frames/contact_sheet.png` when there are frames,
/// and the plots unless `plots` is false. (Before summary.json is written: the run's
/// summary is written last, and an earlier run's may still be there.)
pub fn end_of_run(run_dir: &Path, plots: bool, last: u64) -> Result<(), RunError> {
    let frames_dir = run_dir.join(FRAMES);
    if frames_dir.is_dir() {
        let scene = crate::scene::Scene::load(&run_dir.join(RESOLVED_SCENE))?;
        let mut files: Vec<String> = std::fs::read_dir(&frames_dir)
            .map_err(RunError::io(&frames_dir))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("frame_") && n.ends_with(".png"))
            .collect();
        files.sort();
        let every = scene.frame_every_ticks().unwrap_or(1);
        let ticks: Vec<u64> = (0..files.len() as u64)
            .map(|i| {
                if i + 1 == files.len() as u64 {
                    last
                } else {
                    (i * every).min(last)
                }
            })
            .collect();
        crate::output::frames::write_contact_sheet(&scene, &frames_dir, &ticks)?;
    }
    if plots {
        plot_run(run_dir, None).map_err(|e| match e {
            PlotError::Io { path, source } => RunError::Io { path, source },
            other => RunError::Io {
                path: run_dir.join(PLOTS),
                source: std::io::Error::other(other.to_string()),
            },
        })?;
    }
    Ok(())
}
