//! Line charts over simulated time with plotters: series, shaded therapy periods and
//! marked scan responses. One function draws on any plotters backend, so the PNG and
//! the SVG of a plot come from the same code.

use crate::output::render::colormap::tick_label;
use crate::output::render::font;
use plotters::coord::Shift;
use plotters::prelude::*;

/// One line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub colour: [u8; 3],
    /// (time in days, value); non-finite values break the line.
    pub points: Vec<(f64, f64)>,
}

/// One chart: lines against time in days, with optional bands and marks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chart {
    pub title: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Shaded time intervals (therapy periods), in days.
    pub bands: Vec<(f64, f64)>,
    /// Vertical marks with a label (scan responses), in days.
    pub marks: Vec<(f64, String)>,
    /// Fixed y range; `None`: 0 to 8 % above the largest value.
    pub y_range: Option<(f64, f64)>,
}

/// Plotters font sizes (em = size / 1.24 px, see `backend::em`): ticks and legend
/// about 13 px, axis titles 14.5, chart titles 19.
pub const TICK_SIZE: u32 = 16;
pub const AXIS_SIZE: u32 = 18;
pub const TITLE_SIZE: u32 = 24;

fn text_font(size: u32) -> FontDesc<'static> {
    (font::SVG_FAMILY, size).into_font()
}

pub const BAND: RGBColor = RGBColor(120, 170, 230);
pub const MARK: RGBColor = RGBColor(90, 40, 120);

/// Where each series' points landed, in backend pixels (for tests and callers).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Drawn {
    pub points: Vec<Vec<(i32, i32)>>,
    pub plot_area: ((i32, i32), (i32, i32)),
}

fn x_range(c: &Chart) -> (f64, f64) {
    let xs = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(c.bands.iter().flat_map(|b| [b.0, b.1]))
        .chain(c.marks.iter().map(|m| m.0))
        .filter(|x| x.is_finite());
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    if lo.is_finite() && hi > lo {
        (lo, hi)
    } else if lo.is_finite() {
        (lo, lo + 1.0)
    } else {
        (0.0, 1.0)
    }
}

fn y_range(c: &Chart) -> (f64, f64) {
    if let Some(r) = c.y_range {
        return r;
    }
    let (lo, hi) = c
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|y| y.is_finite())
        .fold((0.0f64, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
    if hi > lo {
        (lo, hi + (hi - lo) * 0.08)
    } else {
        (lo, lo + 1.0)
    }
}

/// Splits a series at non-finite values into drawable runs.
fn runs(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut out = vec![Vec::new()];
    for &p in points {
        if p.0.is_finite() && p.1.is_finite() {
            out.last_mut().expect("never empty").push(p);
        } else if !out.last().expect("never empty").is_empty() {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

type Err<DB> = DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>;

/// Draws `c` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Chart,
) -> Result<Drawn, Err<DB>> {
    area.fill(&WHITE)?;
    let (x0, x1) = x_range(c);
    let (y0, y1) = y_range(c);
    let mut chart = ChartBuilder::on(area)
        .caption(&c.title, text_font(TITLE_SIZE))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("time (days)")
        .y_desc(&c.y_label)
        .x_label_formatter(&|v| tick_label(*v))
        .y_label_formatter(&|v| tick_label(*v))
        .label_style(text_font(TICK_SIZE))
        .axis_desc_style(text_font(AXIS_SIZE))
        .bold_line_style(RGBColor(225, 225, 230))
        .light_line_style(RGBColor(244, 244, 246))
        .draw()?;
    for &(a, b) in &c.bands {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(a.max(x0), y0), (b.min(x1), y1)],
            BAND.mix(0.25).filled(),
        )))?;
    }
    for (t, label) in &c.marks {
        chart.draw_series(DashedLineSeries::new(
            vec![(*t, y0), (*t, y1)],
            6,
            4,
            MARK.stroke_width(1),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (*t, y1),
            text_font(TICK_SIZE).color(&MARK),
        )))?;
    }
    let mut drawn = Drawn::default();
    for s in &c.series {
        let colour = RGBColor(s.colour[0], s.colour[1], s.colour[2]);
        let mut labelled = false;
        for run in runs(&s.points) {
            let series = chart.draw_series(LineSeries::new(run, colour.stroke_width(2)))?;
            if !labelled {
                series.label(s.label.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
                labelled = true;
            }
        }
        drawn.points.push(
            s.points
                .iter()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .map(|p| chart.backend_coord(p))
                .collect(),
        );
    }
    if !c.series.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 170))
            .label_font(text_font(TICK_SIZE))
            .draw()?;
    }
    let (px, py) = chart.plotting_area().get_pixel_range();
    drawn.plot_area = ((px.start, py.start), (px.end, py.end));
    Ok(drawn)
}
