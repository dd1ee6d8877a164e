//! The Kaplan–Meier figure as journals print it: one step curve per arm with censor
//! ticks and (optionally) its shaded Greenwood band, a legend with each arm's n and
//! median, the log-rank p and the hazard ratios against the reference arm, and the
//! numbers at risk under the plot at the x-axis tick times.

use super::legend::{legend, legend_size, stacked_height, Key, Rows};
use super::{
    arm_colour, font, input, nice_ticks, number_label, p_label, DrawResult, Figure, FigureError,
    PlotMap, Ticked, AXIS, AXIS_LINE, GRID, SMALL,
};
use crate::trial::{KaplanMeier, TrialReport};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How the figure is labelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KmOptions {
    /// Unit of the times, for the x axis "Time (UNIT)"; `None`: "Time".
    pub time_unit: Option<String>,
    /// Y axis title ("Progression-free survival").
    pub y_label: String,
    /// Shade each arm's pointwise Greenwood band.
    pub bands: bool,
    /// Figure width in pixels (the height follows from the number of arms).
    pub width: u32,
}

impl Default for KmOptions {
    fn default() -> Self {
        KmOptions {
            time_unit: None,
            y_label: "Progression-free survival".into(),
            bands: true,
            width: 1000,
        }
    }
}

impl KmOptions {
    pub fn x_label(&self) -> String {
        match &self.time_unit {
            Some(u) if !u.trim().is_empty() => format!("Time ({})", u.trim()),
            _ => "Time".into(),
        }
    }
}

/// One arm's curve and its median (`None`: not reached).
#[derive(Debug, Clone, PartialEq)]
pub struct KmArm {
    pub name: String,
    pub curve: KaplanMeier,
    pub median: Option<f64>,
}

/// What the figure draws.
#[derive(Debug, Clone, PartialEq)]
pub struct KmFigure {
    pub arms: Vec<KmArm>,
    /// Lines under the legend (log-rank p, hazard ratios).
    pub notes: Vec<String>,
    pub options: KmOptions,
}

/// Where the figure put things.
#[derive(Debug, Clone, PartialEq)]
pub struct KmLayout {
    pub map: PlotMap,
    /// The x-axis ticks, which are the columns of the numbers-at-risk table.
    pub ticks: Vec<f64>,
    /// Numbers at risk, one row per arm, one column per tick.
    pub at_risk: Vec<Vec<usize>>,
    /// Each arm's step curve as drawn, in pixels.
    pub curves: Vec<Vec<(i32, i32)>>,
}

const NAME: &str = "Kaplan-Meier";
const PLOT_HEIGHT: u32 = 560;
const ROW: u32 = 24;

/// The figure of a report: its arms, medians, log-rank p and hazard ratios.
pub fn km_figure(report: &TrialReport, options: &KmOptions) -> Result<KmFigure, FigureError> {
    let arms = report
        .arms
        .iter()
        .map(|a| KmArm {
            name: a.arm.clone(),
            curve: a.curve.clone(),
            median: a.median.time,
        })
        .collect();
    let mut notes = Vec::new();
    if let Some(l) = &report.logrank {
        notes.push(format!("Log-rank {}", p_label(l.p_value)));
    }
    let pct = number_label(100.0 * report.conf_level);
    for h in &report.hazard_ratios {
        notes.push(match &h.fit {
            Some(f) => format!(
                "HR {} vs {}: {} ({pct}% CI {} to {})",
                h.arm,
                h.reference,
                number_label(f.hazard_ratio),
                number_label(f.lower),
                number_label(f.upper)
            ),
            None => format!("HR {} vs {}: not estimable", h.arm, h.reference),
        });
    }
    KmFigure::new(arms, notes, options.clone())
}

/// Writes `{stem}.png` and `{stem}.svg` of `figure` into `dir`.
pub fn write_km(dir: &Path, stem: &str, figure: &KmFigure) -> Result<Vec<PathBuf>, FigureError> {
    super::write_figure(figure, dir, stem)
}

impl KmFigure {
    /// Refuses no arms, an arm without steps, and a non-positive width.
    pub fn new(
        arms: Vec<KmArm>,
        notes: Vec<String>,
        options: KmOptions,
    ) -> Result<KmFigure, FigureError> {
        if arms.is_empty() {
            return Err(input(NAME, "no arms to draw"));
        }
        if let Some(a) = arms.iter().find(|a| a.curve.steps.is_empty()) {
            return Err(input(NAME, format!("arm {:?} has no observations", a.name)));
        }
        if options.width < 400 {
            return Err(input(NAME, format!("width {} < 400 pixels", options.width)));
        }
        Ok(KmFigure {
            arms,
            notes,
            options,
        })
    }

    fn last_time(&self) -> f64 {
        self.arms
            .iter()
            .filter_map(|a| a.curve.steps.last().map(|s| s.time))
            .fold(0.0, f64::max)
    }

    /// The x-axis ticks (and at-risk columns): nice steps from 0 past the last time.
    pub fn ticks(&self) -> Vec<f64> {
        nice_ticks(self.last_time(), 8).1
    }

    /// The numbers at risk (time >= t) per arm at each tick.
    pub fn at_risk(&self) -> Vec<Vec<usize>> {
        let ticks = self.ticks();
        self.arms
            .iter()
            .map(|a| {
                ticks
                    .iter()
                    .map(|&t| a.curve.at(t).map_or(0, |p| p.n_risk))
                    .collect()
            })
            .collect()
    }
}

/// The step curve through (0, 1), each event time and the last observed time.
fn step_points(curve: &KaplanMeier) -> Vec<(f64, f64)> {
    let mut points = vec![(0.0, 1.0)];
    let mut s = 1.0;
    for step in &curve.steps {
        if step.n_event > 0 {
            points.push((step.time, s));
            s = step.survival;
            points.push((step.time, s));
        }
    }
    let last = curve.steps.last().map_or(0.0, |s| s.time);
    if points.last().is_some_and(|p| p.0 < last) {
        points.push((last, s));
    }
    points
}

/// The band as rectangles from each step to the next.
fn band_rects(curve: &KaplanMeier) -> Vec<[(f64, f64); 2]> {
    curve
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let next = curve.steps.get(i + 1).map_or(s.time, |n| n.time);
            match (s.lower, s.upper) {
                (Some(lo), Some(up)) if next > s.time && up > lo => {
                    Some([(s.time, lo), (next, up)])
                }
                _ => None,
            }
        })
        .collect()
}

impl KmFigure {
    /// Height of the legend band above the plot: the arms' box at the left, the notes'
    /// at the right, so that no legend hides a curve.
    fn header(&self) -> u32 {
        let rows = self.arms.len().max(self.notes.len());
        (16 + stacked_height(rows)) as u32
    }

    fn legend_rows(&self) -> (Rows, Rows) {
        let arms = self
            .arms
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let median = a.median.map_or("NR".into(), number_label);
                (
                    Key::Line(arm_colour(k)),
                    format!("{} (n = {}), median {median}", a.name, a.curve.n),
                )
            })
            .collect();
        let notes = self.notes.iter().map(|n| (Key::Blank, n.clone())).collect();
        (arms, notes)
    }
}

impl Figure for KmFigure {
    type Layout = KmLayout;
    const NAME: &'static str = NAME;

    fn size(&self) -> (u32, u32) {
        let table = 16 + ROW * (self.arms.len() as u32 + 1) + 12;
        (self.options.width, self.header() + PLOT_HEIGHT + table)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<KmLayout>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (w, _) = self.size();
        let (head, rest) = root.split_vertically(self.header());
        let (top, bottom) = rest.split_vertically(PLOT_HEIGHT);
        let ticks = self.ticks();
        // A little room past the last tick, so marks at the last time stay clear of the frame.
        let x_end = *ticks.last().expect("at least two ticks") * 1.015;
        let small = font(SMALL);
        // Room at the left for the y labels and for the arm names of the at-risk table.
        let mut name_w = 0;
        for a in &self.arms {
            name_w = name_w.max(root.estimate_text_size(&a.name, &small)?.0);
        }
        let left = (name_w + 40).max(84).min(w / 3);
        let y_ticks: Vec<f64> = (0..=5).map(|k| k as f64 * 0.2).collect();
        let y_range = (0.0, 1.02);
        let mut chart = ChartBuilder::on(&top)
            .margin_top(8)
            .margin_right(28)
            .margin_left(12)
            .x_label_area_size(52)
            .y_label_area_size(left)
            .build_cartesian_2d(
                Ticked::new(0.0..x_end, ticks.clone()),
                Ticked::new(y_range.0..y_range.1, y_ticks),
            )?;
        chart
            .configure_mesh()
            .x_desc(self.options.x_label())
            .y_desc(&self.options.y_label)
            .x_label_formatter(&|v| number_label(*v))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .label_style(font(SMALL))
            .axis_desc_style(font(AXIS))
            .axis_style(AXIS_LINE)
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .draw()?;
        let map = PlotMap::of(&chart, (0.0, x_end), y_range);
        if self.options.bands {
            for (k, a) in self.arms.iter().enumerate() {
                let c = arm_colour(k).mix(0.16).filled();
                chart.draw_series(
                    band_rects(&a.curve)
                        .into_iter()
                        .map(|r| Rectangle::new(r, c)),
                )?;
            }
        }
        let mut curves = Vec::new();
        for (k, a) in self.arms.iter().enumerate() {
            let c = arm_colour(k);
            let points = step_points(&a.curve);
            curves.push(points.iter().map(|p| chart.backend_coord(p)).collect());
            chart.draw_series(LineSeries::new(points, c.stroke_width(2)))?;
            let censored = a.curve.steps.iter().filter(|s| s.n_censor > 0);
            chart.draw_series(censored.map(|s| {
                EmptyElement::at((s.time, s.survival))
                    + PathElement::new(vec![(0, -6), (0, 6)], c.stroke_width(2))
            }))?;
        }
        // Legends above the plot: arms at the left, tests at the right; when both do not
        // fit side by side, the tests go inside the plot's top-right corner.
        let (arm_rows, note_rows) = self.legend_rows();
        let (_, head_y) = head.get_base_pixel();
        let (aw, _) = legend_size(root, &arm_rows, false)?;
        let (nw, _) = legend_size(root, &note_rows, false)?;
        let (x0, x1) = (map.x_pixels.0, map.x_pixels.1);
        legend(root, (x0 + aw, head_y + 8), &arm_rows, false)?;
        if aw + 16 + nw <= x1 - x0 {
            legend(root, (x1, head_y + 8), &note_rows, false)?;
        } else {
            let corner = map.pixel(x_end, y_range.1);
            legend(root, (corner.0 - 10, corner.1 + 10), &note_rows, false)?;
        }
        // Numbers at risk: rows of arms, columns at the x ticks.
        let at_risk = self.at_risk();
        let (_, y0) = bottom.get_base_pixel();
        let header = y0 + 12;
        root.draw(&Text::new(
            "Number at risk",
            (12, header),
            font(SMALL).pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        for (k, (a, row)) in self.arms.iter().zip(&at_risk).enumerate() {
            let y = header + (ROW * (k as u32 + 1)) as i32;
            let c = arm_colour(k);
            root.draw(&Text::new(
                a.name.clone(),
                (12, y),
                font(SMALL).color(&c).pos(Pos::new(HPos::Left, VPos::Top)),
            ))?;
            for (t, n) in ticks.iter().zip(row) {
                root.draw(&Text::new(
                    n.to_string(),
                    (map.pixel(*t, 0.0).0, y),
                    font(SMALL).pos(Pos::new(HPos::Center, VPos::Top)),
                ))?;
            }
        }
        Ok(KmLayout {
            map,
            ticks,
            at_risk,
            curves,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trial::{kaplan_meier, ConfType, SurvivalRecord};

    fn km(pairs: &[(f64, bool)]) -> KaplanMeier {
        let records: Vec<_> = pairs
            .iter()
            .map(|&(time, event)| SurvivalRecord { time, event })
            .collect();
        kaplan_meier("a", &records, 0.95, ConfType::Log).unwrap()
    }

    #[test]
    fn the_step_curve_drops_at_events_and_runs_to_the_last_time() {
        let c = km(&[(2.0, true), (3.0, false), (5.0, true), (9.0, false)]);
        let p = step_points(&c);
        assert_eq!(
            p,
            vec![
                (0.0, 1.0),
                (2.0, 1.0),
                (2.0, 0.75),
                (5.0, 0.75),
                (5.0, 0.375),
                (9.0, 0.375)
            ]
        );
    }

    #[test]
    fn bands_span_from_each_step_to_the_next() {
        let c = km(&[(2.0, true), (3.0, false), (5.0, true), (9.0, false)]);
        let r = band_rects(&c);
        assert!(!r.is_empty());
        for [(t0, lo), (t1, up)] in r {
            assert!(
                t1 > t0 && up > lo && (0.0..=1.0).contains(&lo),
                "{t0} {t1} {lo} {up}"
            );
        }
    }

    #[test]
    fn no_arms_is_an_error() {
        let e = KmFigure::new(vec![], vec![], KmOptions::default()).unwrap_err();
        assert!(e.is_bad_input() && e.to_string().contains("no arms"), "{e}");
    }
}
