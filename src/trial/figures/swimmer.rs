//! The swimmer plot: one horizontal lane per patient, longest on top, its segments
//! coloured by line of therapy, a diamond at each progression, a thin line for
//! follow-up off treatment, and an arrow head at the end of a patient still on
//! treatment. Lanes are 24 px high for a few patients and thin down to 5 px for many;
//! the image grows with the lanes up to 2400 px, past which the lanes are thinner still.
//! Patient ids label the lanes while they are at least 10 px apart. A lane's `arm` and a
//! line's `best_response` are carried for callers but not drawn (yet).

use super::legend::{legend, Key};
use super::{
    arm_colour, font, input, nice_ticks, number_label, DrawResult, Figure, FigureError, PlotMap,
    Ticked, AXIS, AXIS_LINE, GRID, SMALL,
};
use crate::trial::BestResponse;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One line of therapy of one patient, in days since the start of treatment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineSpan {
    pub name: String,
    pub start_day: f64,
    pub end_day: f64,
    /// Progression on this line, if any.
    pub progressed_day: Option<f64>,
    pub best_response: Option<BestResponse>,
}

/// One patient's lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwimmerLane {
    pub patient: String,
    pub arm: String,
    pub lines: Vec<LineSpan>,
    /// End of follow-up (death, last scan or end of simulation).
    pub end_day: f64,
    /// Still on treatment at `end_day` (censored): drawn with an arrow.
    pub ongoing: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwimmerOptions {
    /// X axis title.
    pub x_label: String,
    pub width: u32,
}

impl Default for SwimmerOptions {
    fn default() -> Self {
        SwimmerOptions {
            x_label: "Time since treatment start (days)".into(),
            width: 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SwimmerFigure {
    /// Lanes sorted, longest first (drawn on top).
    pub lanes: Vec<SwimmerLane>,
    /// Line names in order of first appearance (their colours).
    pub line_names: Vec<String>,
    pub options: SwimmerOptions,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SwimmerLayout {
    pub map: PlotMap,
    /// Lane pitch in pixels.
    pub lane_px: u32,
    /// Patients top to bottom; lane `i` is centred at y = n − i − 0.5.
    pub patients: Vec<String>,
}

const NAME: &str = "swimmer";
const MAX_LANE: u32 = 24;
const MIN_LANE: u32 = 5;
const MAX_HEIGHT: u32 = 2400;
/// Pixels above and below the lanes (caption margin, axis, legend).
const FRAME: u32 = 150;

/// A patient's total time: the end of follow-up or of the last line, whichever is later.
fn total(l: &SwimmerLane) -> f64 {
    l.lines.iter().map(|s| s.end_day).fold(l.end_day, f64::max)
}

/// Longest total time first; ties by patient id, then arm.
pub fn sort_lanes(lanes: &[SwimmerLane]) -> Vec<SwimmerLane> {
    let mut sorted = lanes.to_vec();
    sorted.sort_by(|a, b| {
        total(b)
            .total_cmp(&total(a))
            .then_with(|| a.patient.cmp(&b.patient))
            .then_with(|| a.arm.cmp(&b.arm))
    });
    sorted
}

/// The figure of `lanes`. Errors: no lanes, a day that is negative or not finite, a line
/// that ends before it starts.
pub fn swimmer_figure(
    lanes: &[SwimmerLane],
    options: &SwimmerOptions,
) -> Result<SwimmerFigure, FigureError> {
    if lanes.is_empty() {
        return Err(input(NAME, "no patients to draw"));
    }
    let bad = |d: f64| !d.is_finite() || d < 0.0;
    for l in lanes {
        let days = l
            .lines
            .iter()
            .flat_map(|s| [s.start_day, s.end_day].into_iter().chain(s.progressed_day));
        if let Some(d) = std::iter::once(l.end_day).chain(days).find(|d| bad(*d)) {
            return Err(input(
                NAME,
                format!(
                    "patient {:?}: day {d} is not a finite number >= 0",
                    l.patient
                ),
            ));
        }
        if let Some(s) = l.lines.iter().find(|s| s.end_day < s.start_day) {
            return Err(input(
                NAME,
                format!(
                    "patient {:?}: line {:?} ends (day {}) before it starts (day {})",
                    l.patient, s.name, s.end_day, s.start_day
                ),
            ));
        }
    }
    let mut line_names: Vec<String> = Vec::new();
    for s in lanes.iter().flat_map(|l| &l.lines) {
        if !line_names.contains(&s.name) {
            line_names.push(s.name.clone());
        }
    }
    Ok(SwimmerFigure {
        lanes: sort_lanes(lanes),
        line_names,
        options: options.clone(),
    })
}

/// Writes `{stem}.png` and `{stem}.svg` of `figure` into `dir`.
pub fn write_swimmer(
    dir: &Path,
    stem: &str,
    figure: &SwimmerFigure,
) -> Result<Vec<PathBuf>, FigureError> {
    super::write_figure(figure, dir, stem)
}

impl SwimmerFigure {
    /// Pixels per lane: 24 for a few lanes, thinner for many, within the height cap.
    pub fn lane_px(&self) -> u32 {
        let n = self.lanes.len() as u32;
        let fit = (MAX_HEIGHT - FRAME) / n.max(1);
        (720 / n.max(1)).clamp(MIN_LANE, MAX_LANE).min(fit.max(1))
    }

    fn colour(&self, line: &str) -> RGBColor {
        arm_colour(self.line_names.iter().position(|n| n == line).unwrap_or(0))
    }
}

impl Figure for SwimmerFigure {
    type Layout = SwimmerLayout;
    const NAME: &'static str = NAME;

    fn size(&self) -> (u32, u32) {
        let lanes = self.lane_px() * self.lanes.len() as u32;
        (self.options.width.max(500), (lanes + FRAME).max(360))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<SwimmerLayout>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let n = self.lanes.len();
        let lane_px = self.lane_px();
        let last = self.lanes.iter().map(total).fold(0.0, f64::max);
        let (_, ticks) = nice_ticks(last * 1.03, 8);
        let x_end = *ticks.last().expect("at least two ticks");
        let label = lane_px >= 10;
        let small = font(SMALL);
        let mut name_w = 0;
        if label {
            for l in &self.lanes {
                name_w = name_w.max(root.estimate_text_size(&l.patient, &small)?.0);
            }
        }
        let y_range = (0.0, n as f64);
        let centres: Vec<f64> = (0..n).map(|i| n as f64 - i as f64 - 0.5).collect();
        let legend_h = 44;
        let mut chart = ChartBuilder::on(root)
            .margin_top(legend_h)
            .margin_right(28)
            .margin_left(12)
            .x_label_area_size(52)
            .y_label_area_size(name_w + 44)
            .build_cartesian_2d(
                Ticked::new(0.0..x_end, ticks),
                Ticked::new(y_range.0..y_range.1, if label { centres } else { vec![] }),
            )?;
        let lanes = &self.lanes;
        let lane_name = |v: &f64| {
            let i = n as f64 - v - 0.5;
            let k = i.round();
            if (i - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < n {
                lanes[k as usize].patient.clone()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_desc(&self.options.x_label)
            .y_desc(if label { "" } else { "Patients" })
            .x_label_formatter(&|v| number_label(*v))
            .y_label_formatter(&lane_name)
            .disable_y_mesh()
            .label_style(font(SMALL))
            .axis_desc_style(font(AXIS))
            .axis_style(AXIS_LINE)
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .draw()?;
        let map = PlotMap::of(&chart, (0.0, x_end), y_range);
        let half = if lane_px >= 8 { 0.34 } else { 0.42 };
        let marker = ((lane_px as f64 * 0.36).round() as i32).clamp(2, 7);
        for (i, l) in lanes.iter().enumerate() {
            let y = n as f64 - i as f64 - 0.5;
            let on_treatment = l.lines.iter().map(|s| s.end_day).fold(0.0, f64::max);
            if l.end_day > on_treatment {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(on_treatment, y), (l.end_day, y)],
                    RGBColor(150, 150, 156).stroke_width(1),
                )))?;
            }
            chart.draw_series(l.lines.iter().map(|s| {
                Rectangle::new(
                    [(s.start_day, y - half), (s.end_day, y + half)],
                    self.colour(&s.name).filled(),
                )
            }))?;
            chart.draw_series(l.lines.iter().filter_map(|s| s.progressed_day).map(|d| {
                EmptyElement::at((d, y))
                    + Polygon::new(
                        vec![(0, -marker), (marker, 0), (0, marker), (-marker, 0)],
                        BLACK.filled(),
                    )
            }))?;
            if l.ongoing {
                let end = total(l);
                let m = marker + 1;
                chart.draw_series(std::iter::once(
                    EmptyElement::at((end, y))
                        + Polygon::new(vec![(2, -m), (2 + m + 2, 0), (2, m)], BLACK.filled()),
                ))?;
            }
        }
        // Legend: lines of therapy, then the marks, in one row above the plot.
        let mut rows: Vec<(Key, String)> = self
            .line_names
            .iter()
            .map(|s| (Key::Square(self.colour(s)), s.clone()))
            .collect();
        rows.push((Key::Diamond, "progression".into()));
        rows.push((Key::Arrow, "ongoing".into()));
        legend(root, (map.x_pixels.1, 8), &rows, true)?;
        Ok(SwimmerLayout {
            map,
            lane_px,
            patients: lanes.iter().map(|l| l.patient.clone()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn lane(p: &str, end: f64, ongoing: bool) -> SwimmerLane {
        SwimmerLane {
            patient: p.into(),
            arm: "a".into(),
            lines: vec![LineSpan {
                name: "1L".into(),
                start_day: 0.0,
                end_day: end * 0.6,
                progressed_day: (!ongoing).then_some(end * 0.6),
                best_response: None,
            }],
            end_day: end,
            ongoing,
        }
    }

    #[test]
    fn lanes_sort_longest_first_ties_by_patient() {
        let lanes = [
            lane("b", 100.0, false),
            lane("c", 300.0, true),
            lane("a", 100.0, false),
            lane("d", 50.0, true),
        ];
        let order: Vec<_> = sort_lanes(&lanes).into_iter().map(|l| l.patient).collect();
        assert_eq!(order, ["c", "a", "b", "d"]);
    }

    #[test]
    fn lanes_thin_out_and_the_image_grows_up_to_its_cap() {
        let fig = |n: usize| {
            let lanes: Vec<_> = (0..n)
                .map(|i| lane(&format!("p{i:03}"), 10.0 + i as f64, i % 2 == 0))
                .collect();
            swimmer_figure(&lanes, &SwimmerOptions::default()).unwrap()
        };
        let (f10, f50, f200, f2000) = (fig(10), fig(50), fig(200), fig(2000));
        assert_eq!(f10.lane_px(), MAX_LANE);
        assert!(f50.lane_px() < f10.lane_px());
        assert!(f200.size().1 > f50.size().1 && f50.size().1 > f10.size().1);
        assert!(f2000.size().1 <= MAX_HEIGHT);
    }

    #[test]
    fn bad_days_are_refused() {
        let o = SwimmerOptions::default();
        assert!(swimmer_figure(&[], &o).unwrap_err().is_bad_input());
        let mut l = lane("p7", 10.0, false);
        l.lines[0].end_day = -1.0;
        let e = swimmer_figure(&[l], &o).unwrap_err();
        assert!(e.to_string().contains("p7"), "{e}");
    }
}
