//! Publication figures of a virtual trial, each as PNG and SVG from the same drawing
//! code (plotters on the [`Labelled`] backend, so PNG text needs no system font):
//!
//! - [`km`]: Kaplan–Meier curves with censor ticks, Greenwood bands, a legend with n and
//!   median, the log-rank p and hazard ratios, and the numbers at risk under the plot;
//! - [`waterfall`]: best change from baseline per patient, one panel per arm;
//! - [`swimmer`]: one lane per patient, lines of therapy, progression and ongoing marks.
//!
//! Bytes are deterministic: the inputs' order and values alone decide what is drawn
//! (ties sorted by patient id), nothing reads a clock.

pub mod km;
mod legend;
pub mod swimmer;
pub mod waterfall;

pub use km::{km_figure, write_km, KmArm, KmFigure, KmLayout, KmOptions};
pub use swimmer::{
    sort_lanes, swimmer_figure, write_swimmer, LineSpan, SwimmerFigure, SwimmerLane, SwimmerLayout,
    SwimmerOptions,
};
pub use waterfall::{
    sort_bars, waterfall_figure, write_waterfall, WaterfallBar, WaterfallColour, WaterfallFigure,
    WaterfallLayout, WaterfallOptions, WaterfallPanel,
};

use crate::output::atomic::{self, WriteError};
use crate::output::plot::backend::Labelled;
use crate::trial::BestResponse;
use image::RgbImage;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Why a figure was not made.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    /// Nothing to draw, or a value that cannot be drawn (bad input).
    #[error("{figure} figure: {message}")]
    Input {
        figure: &'static str,
        message: String,
    },
    #[error("{figure} figure: cannot draw: {message}")]
    Draw {
        figure: &'static str,
        message: String,
    },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("{}: cannot create the directory: {source}", .path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl FigureError {
    pub fn is_bad_input(&self) -> bool {
        matches!(self, FigureError::Input { .. })
    }
}

pub(crate) fn input(figure: &'static str, message: impl Into<String>) -> FigureError {
    FigureError::Input {
        figure,
        message: message.into(),
    }
}

/// What a drawing step returns on failure (plotters' errors, boxed).
pub type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A figure drawn the same way on the PNG and the SVG backend.
pub trait Figure {
    /// Where things landed, for tests and callers.
    type Layout;
    /// Name used in errors ("Kaplan-Meier", "waterfall", "swimmer").
    const NAME: &'static str;
    /// Size in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the whole figure on `root` (pixel coordinates, origin top left).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<Self::Layout>
    where
        DB::ErrorType: 'static;
}

fn draw_error<F: Figure>(e: impl std::fmt::Display) -> FigureError {
    FigureError::Draw {
        figure: F::NAME,
        message: e.to_string(),
    }
}

/// The figure as an RGB image, and its layout.
pub fn render_png<F: Figure>(figure: &F) -> Result<(RgbImage, F::Layout), FigureError> {
    let size = figure.size();
    let mut buf = vec![0u8; size.0 as usize * size.1 as usize * 3];
    let layout = {
        let backend = Labelled {
            inner: BitMapBackend::with_buffer(&mut buf, size),
            raster: true,
        };
        let root = backend.into_drawing_area();
        let layout = figure.draw(&root).map_err(draw_error::<F>)?;
        root.present().map_err(draw_error::<F>)?;
        layout
    };
    let img = RgbImage::from_raw(size.0, size.1, buf)
        .ok_or_else(|| draw_error::<F>("image buffer has the wrong size"))?;
    Ok((img, layout))
}

/// The figure as SVG text (same layout as the PNG).
pub fn render_svg<F: Figure>(figure: &F) -> Result<String, FigureError> {
    let mut text = String::new();
    {
        let backend = Labelled {
            inner: SVGBackend::with_string(&mut text, figure.size()),
            raster: false,
        };
        let root = backend.into_drawing_area();
        figure.draw(&root).map_err(draw_error::<F>)?;
        root.present().map_err(draw_error::<F>)?;
    }
    Ok(text)
}

/// The figure's PNG file bytes and SVG text, drawn before anything is written.
pub fn encode<F: Figure>(figure: &F) -> Result<(Vec<u8>, String), FigureError> {
    let (img, _) = render_png(figure)?;
    let png = crate::output::render::png_bytes(&img).map_err(draw_error::<F>)?;
    Ok((png, render_svg(figure)?))
}

/// Writes `{stem}.png` and `{stem}.svg` into `dir` (created if missing), each atomically;
/// returns the two paths.
pub fn write_figure<F: Figure>(
    figure: &F,
    dir: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>, FigureError> {
    let (png, svg) = encode(figure)?;
    std::fs::create_dir_all(dir).map_err(|source| FigureError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    let (p, s) = (
        dir.join(format!("{stem}.png")),
        dir.join(format!("{stem}.svg")),
    );
    atomic::write(&p, &png)?;
    atomic::write(&s, svg.as_bytes())?;
    Ok(vec![p, s])
}

/// The linear map of a plot's data coordinates to backend pixels, exactly as plotters
/// maps them (for tests that sample the PNG, and callers that annotate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotMap {
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    /// Pixel x of `x_range.0` and of `x_range.1`.
    pub x_pixels: (i32, i32),
    /// Pixel y of `y_range.0` and of `y_range.1` (the first is the larger: y grows down).
    pub y_pixels: (i32, i32),
}

fn map_axis(v: f64, range: (f64, f64), pixels: (i32, i32)) -> i32 {
    if range.1 == range.0 {
        return (pixels.1 - pixels.0) / 2;
    }
    let logic = (v - range.0) / (range.1 - range.0);
    let len = pixels.1 - pixels.0;
    if len >= 0 {
        pixels.0 + (len as f64 * logic + 1e-3).floor() as i32
    } else {
        pixels.0 + (len as f64 * logic - 1e-3).ceil() as i32
    }
}

impl PlotMap {
    pub(crate) fn of<DB: DrawingBackend, X, Y>(
        chart: &ChartContext<DB, Cartesian2d<X, Y>>,
        x_range: (f64, f64),
        y_range: (f64, f64),
    ) -> PlotMap
    where
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        let lo = chart.backend_coord(&(x_range.0, y_range.0));
        let hi = chart.backend_coord(&(x_range.1, y_range.1));
        PlotMap {
            x_range,
            y_range,
            x_pixels: (lo.0, hi.0),
            y_pixels: (lo.1, hi.1),
        }
    }

    /// The backend pixel of the data point `(x, y)`.
    pub fn pixel(&self, x: f64, y: f64) -> (i32, i32) {
        (
            map_axis(x, self.x_range, self.x_pixels),
            map_axis(y, self.y_range, self.y_pixels),
        )
    }
}

/// A linear f64 axis whose ticks (labels and grid lines) are exactly `ticks`, so the
/// numbers-at-risk columns and the labels agree.
#[derive(Debug, Clone)]
pub struct Ticked {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl Ticked {
    pub fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> Ticked {
        Ticked { range, ticks }
    }
}

impl Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        plotters::coord::types::RangedCoordf64::from(self.range.clone()).map(value, limit)
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// Arm colours (Okabe & Ito's colour-blind-safe palette), by arm index.
pub fn arm_colour(k: usize) -> RGBColor {
    const ARMS: [RGBColor; 7] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(90, 90, 90),
    ];
    ARMS[k % ARMS.len()]
}

/// Colour of a best response; `None` is "not evaluable" (NE).
pub fn response_colour(r: Option<BestResponse>) -> RGBColor {
    match r {
        Some(BestResponse::Complete) => RGBColor(0, 84, 147),
        Some(BestResponse::Partial) => RGBColor(86, 180, 233),
        Some(BestResponse::Stable) => RGBColor(230, 159, 0),
        Some(BestResponse::Progressive) => RGBColor(200, 60, 30),
        None => RGBColor(170, 170, 170),
    }
}

/// "CR", "PR", "SD", "PD", or "NE" for no response.
pub fn response_code(r: Option<BestResponse>) -> &'static str {
    r.map_or("NE", BestResponse::code)
}

/// The responses in legend order.
pub(crate) const RESPONSES: [Option<BestResponse>; 5] = [
    Some(BestResponse::Complete),
    Some(BestResponse::Partial),
    Some(BestResponse::Stable),
    Some(BestResponse::Progressive),
    None,
];

/// Text sizes: small (ticks, tables, legends), axis titles, panel titles.
pub(crate) const SMALL: f64 = 13.0;
pub(crate) const AXIS: f64 = 15.0;
pub(crate) const AXIS_LINE: RGBColor = RGBColor(40, 40, 40);
pub(crate) const GRID: RGBColor = RGBColor(232, 232, 236);

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&AXIS_LINE)
}

/// `count` evenly spaced "nice" ticks from 0 covering `max`: (step, ticks); the last tick
/// is at or above `max`.
pub fn nice_ticks(max: f64, target: usize) -> (f64, Vec<f64>) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let n = (max / step - 1e-9).ceil().max(1.0) as usize;
    (step, (0..=n).map(|k| k as f64 * step).collect())
}

/// A number for a label: integers without decimals, else three significant digits.
pub fn number_label(v: f64) -> String {
    if !v.is_finite() {
        return "NA".into();
    }
    if (v - v.round()).abs() < 1e-9 * v.abs().max(1.0) {
        return format!("{}", v.round() as i64);
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A p-value with three significant digits in plain decimals ("p = 0.0000417"); below
/// 1e-12 "p < 1e-12".
pub fn p_label(p: f64) -> String {
    if !p.is_finite() {
        "p = NA".into()
    } else if p < 1e-12 {
        "p < 1e-12".into()
    } else if p >= 0.9995 {
        "p = 1.00".into()
    } else if p < 1e-6 {
        format!("p = {p:.2e}")
    } else {
        let digits = (2 - p.log10().floor() as i32).max(0) as usize;
        format!("p = {p:.digits$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_cover_the_range() {
        assert_eq!(nice_ticks(35.0, 6).1, vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(
            nice_ticks(30.0, 6).1,
            vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
        );
        assert_eq!(nice_ticks(0.0, 6).1.last(), Some(&1.0));
        let (step, t) = nice_ticks(730.0, 6);
        assert_eq!(step, 200.0);
        assert_eq!(t.last(), Some(&800.0));
    }

    #[test]
    fn labels_read_as_a_journal_prints_them() {
        assert_eq!(number_label(23.0), "23");
        assert_eq!(number_label(10.84), "10.8");
        assert_eq!(number_label(2.1456), "2.15");
        assert_eq!(number_label(0.5), "0.5");
        assert_eq!(p_label(4.17e-5), "p = 0.0000417");
        assert_eq!(p_label(0.0342), "p = 0.0342");
        assert_eq!(p_label(0.5), "p = 0.500");
        assert_eq!(p_label(1e-20), "p < 1e-12");
        assert_eq!(p_label(2.72e-8), "p = 2.72e-8");
    }

    #[test]
    fn the_map_agrees_with_plotters() {
        let mut buf = vec![0u8; 300 * 200 * 3];
        let backend = BitMapBackend::with_buffer(&mut buf, (300, 200));
        let root = backend.into_drawing_area();
        let chart = ChartBuilder::on(&root)
            .margin(7)
            .x_label_area_size(20)
            .y_label_area_size(30)
            .build_cartesian_2d(0.0..35.0, 0.0..1.02)
            .unwrap();
        let map = PlotMap::of(&chart, (0.0, 35.0), (0.0, 1.02));
        for (x, y) in [
            (0.0, 0.0),
            (3.3, 0.71),
            (17.0, 0.5),
            (35.0, 1.02),
            (34.9, 0.01),
        ] {
            assert_eq!(map.pixel(x, y), chart.backend_coord(&(x, y)), "{x} {y}");
        }
    }
}
