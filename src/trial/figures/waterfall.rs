//! The waterfall plot: each patient's best change from baseline as a bar, sorted from
//! the largest increase to the largest decrease, coloured by best response (or by arm),
//! with the RECIST thresholds (+20 % progression, −30 % partial response) dashed. Bars
//! above +100 % are cut at +100 % and marked with a triangle, as journals do. With
//! `split_arms` (the default) each arm gets its own panel, side by side on one y axis,
//! each panel as wide as its number of bars.

use super::legend::{legend, Key};
use super::{
    arm_colour, font, input, response_code, response_colour, DrawResult, Figure, FigureError,
    PlotMap, Ticked, AXIS, AXIS_LINE, GRID, RESPONSES, SMALL,
};
use crate::trial::BestResponse;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One patient's bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaterfallBar {
    pub patient: String,
    pub arm: String,
    /// Best (most negative) change of the target lesions' sum from baseline, in percent.
    pub best_change_percent: f64,
    /// `None`: not evaluable (drawn as NE).
    pub best_response: Option<BestResponse>,
}

/// What colours the bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaterfallColour {
    Response,
    Arm,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaterfallOptions {
    pub colour: WaterfallColour,
    /// One panel per arm (in order of first appearance), else one panel for all.
    pub split_arms: bool,
    /// Bars above this percentage are cut here and marked (100).
    pub clamp_percent: f64,
    /// Figure height in pixels (the width follows from the number of bars).
    pub height: u32,
}

impl Default for WaterfallOptions {
    fn default() -> Self {
        WaterfallOptions {
            colour: WaterfallColour::Response,
            split_arms: true,
            clamp_percent: 100.0,
            height: 560,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallFigure {
    /// Panels in order: (arm name, or None for all arms together; sorted bars).
    pub panels: Vec<(Option<String>, Vec<WaterfallBar>)>,
    /// Arm names in order of first appearance (for arm colours).
    pub arms: Vec<String>,
    pub options: WaterfallOptions,
}

/// One drawn panel.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallPanel {
    pub arm: Option<String>,
    pub map: PlotMap,
    /// Patients left to right.
    pub patients: Vec<String>,
    /// Patients whose bar was cut at the clamp.
    pub clamped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallLayout {
    pub panels: Vec<WaterfallPanel>,
}

const NAME: &str = "waterfall";

/// Largest increase first, largest decrease last; ties by patient id, then arm.
pub fn sort_bars(bars: &[WaterfallBar]) -> Vec<WaterfallBar> {
    let mut sorted = bars.to_vec();
    sorted.sort_by(|a, b| {
        b.best_change_percent
            .total_cmp(&a.best_change_percent)
            .then_with(|| a.patient.cmp(&b.patient))
            .then_with(|| a.arm.cmp(&b.arm))
    });
    sorted
}

/// The figure of `bars`. Errors: no bars, a change that is not a finite number.
pub fn waterfall_figure(
    bars: &[WaterfallBar],
    options: &WaterfallOptions,
) -> Result<WaterfallFigure, FigureError> {
    if bars.is_empty() {
        return Err(input(NAME, "no patients to draw"));
    }
    if let Some(b) = bars.iter().find(|b| !b.best_change_percent.is_finite()) {
        return Err(input(
            NAME,
            format!(
                "patient {:?}: best change {} is not a finite number",
                b.patient, b.best_change_percent
            ),
        ));
    }
    if !(options.clamp_percent.is_finite() && options.clamp_percent > 20.0) {
        return Err(input(
            NAME,
            format!("clamp {} is not a number above 20 %", options.clamp_percent),
        ));
    }
    let mut arms: Vec<String> = Vec::new();
    for b in bars {
        if !arms.contains(&b.arm) {
            arms.push(b.arm.clone());
        }
    }
    let panels = if options.split_arms {
        arms.iter()
            .map(|a| {
                let mine: Vec<_> = bars.iter().filter(|b| &b.arm == a).cloned().collect();
                (Some(a.clone()), sort_bars(&mine))
            })
            .collect()
    } else {
        vec![(None, sort_bars(bars))]
    };
    Ok(WaterfallFigure {
        panels,
        arms,
        options: options.clone(),
    })
}

/// Writes `{stem}.png` and `{stem}.svg` of `figure` into `dir`.
pub fn write_waterfall(
    dir: &Path,
    stem: &str,
    figure: &WaterfallFigure,
) -> Result<Vec<PathBuf>, FigureError> {
    super::write_figure(figure, dir, stem)
}

const LEFT: u32 = 92;
const PANEL_MIN: u32 = 160;
/// Room right of the last panel for the threshold labels.
const RIGHT: u32 = 52;

impl WaterfallFigure {
    fn total(&self) -> usize {
        self.panels.iter().map(|p| p.1.len()).sum()
    }

    /// Pixel width of one bar slot: wide for a few patients, at least 3 px for many.
    fn slot(&self) -> u32 {
        (1100 / self.total().max(1) as u32).clamp(3, 28)
    }

    fn panel_widths(&self) -> Vec<u32> {
        self.panels
            .iter()
            .map(|p| (p.1.len() as u32 * self.slot() + 40).max(PANEL_MIN))
            .collect()
    }

    fn y_range(&self) -> (f64, f64) {
        let clamp = self.options.clamp_percent;
        let max = self
            .panels
            .iter()
            .flat_map(|p| p.1.iter().map(|b| b.best_change_percent))
            .fold(f64::NEG_INFINITY, f64::max);
        let hi = if max > clamp {
            clamp + 18.0
        } else {
            (max.max(20.0) / 10.0).ceil() * 10.0 + 10.0
        };
        (-100.0, hi)
    }

    fn colour(&self, b: &WaterfallBar) -> RGBColor {
        match self.options.colour {
            WaterfallColour::Response => response_colour(b.best_response),
            WaterfallColour::Arm => {
                arm_colour(self.arms.iter().position(|a| a == &b.arm).unwrap_or(0))
            }
        }
    }

    fn legend_rows(&self) -> Vec<(Key, String)> {
        let mut rows: Vec<(Key, String)> = match self.options.colour {
            WaterfallColour::Response => RESPONSES
                .iter()
                .filter(|r| {
                    self.panels
                        .iter()
                        .any(|p| p.1.iter().any(|b| b.best_response == **r))
                })
                .map(|r| {
                    (
                        Key::Square(response_colour(*r)),
                        response_code(*r).to_string(),
                    )
                })
                .collect(),
            WaterfallColour::Arm => self
                .arms
                .iter()
                .enumerate()
                .map(|(k, a)| (Key::Square(arm_colour(k)), a.clone()))
                .collect(),
        };
        let clamp = self.options.clamp_percent;
        if self
            .panels
            .iter()
            .any(|p| p.1.iter().any(|b| b.best_change_percent > clamp))
        {
            rows.push((Key::Triangle, format!("above +{clamp:.0}% (cut)")));
        }
        rows
    }
}

fn ticks(range: (f64, f64)) -> Vec<f64> {
    let step = if range.1 - range.0 > 260.0 {
        50.0
    } else {
        20.0
    };
    let n = ((range.1 - range.0) / step).floor() as i64;
    (0..=n).map(|k| range.0 + k as f64 * step).collect()
}

impl Figure for WaterfallFigure {
    type Layout = WaterfallLayout;
    const NAME: &'static str = NAME;

    fn size(&self) -> (u32, u32) {
        let w: u32 = self.panel_widths().iter().sum();
        (LEFT + w + RIGHT, self.options.height)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<WaterfallLayout>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let y_range = self.y_range();
        let clamp = self.options.clamp_percent;
        let widths = self.panel_widths();
        let mut panels = Vec::new();
        let mut x = 0;
        for (k, ((arm, bars), pw)) in self.panels.iter().zip(&widths).enumerate() {
            let left = if k == 0 { LEFT } else { 0 };
            let area = root.clone().shrink((x, 0), (left + pw, self.size().1));
            x += left + pw;
            let caption = match arm {
                Some(a) => format!("{a} (n = {})", bars.len()),
                None => format!("All patients (n = {})", bars.len()),
            };
            let n = bars.len() as f64;
            let mut chart = ChartBuilder::on(&area)
                .caption(caption, font(AXIS))
                .margin_top(12)
                .margin_right(if k + 1 == self.panels.len() { 0 } else { 12 })
                .x_label_area_size(44)
                .y_label_area_size(left)
                .build_cartesian_2d(
                    0.0..n.max(1.0),
                    Ticked::new(y_range.0..y_range.1, ticks(y_range)),
                )?;
            let mut mesh = chart.configure_mesh();
            mesh.disable_x_mesh()
                .x_labels(0)
                .x_desc("Patients")
                .y_label_formatter(&|v| format!("{v:+.0}").replace("+0", "0"))
                .label_style(font(SMALL))
                .axis_desc_style(font(AXIS))
                .axis_style(AXIS_LINE)
                .bold_line_style(GRID)
                .light_line_style(TRANSPARENT);
            if k == 0 {
                mesh.y_desc("Best change from baseline (%)");
            }
            mesh.draw()?;
            let map = PlotMap::of(&chart, (0.0, n.max(1.0)), y_range);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (n.max(1.0), 0.0)],
                AXIS_LINE.stroke_width(1),
            )))?;
            let gap = if self.slot() >= 6 { 0.12 } else { 0.0 };
            chart.draw_series(bars.iter().enumerate().map(|(i, b)| {
                let v = b.best_change_percent.clamp(-100.0, clamp);
                Rectangle::new(
                    [(i as f64 + gap, 0.0), (i as f64 + 1.0 - gap, v)],
                    self.colour(b).filled(),
                )
            }))?;
            let clamped: Vec<(usize, &WaterfallBar)> = bars
                .iter()
                .enumerate()
                .filter(|(_, b)| b.best_change_percent > clamp)
                .collect();
            chart.draw_series(clamped.iter().map(|(i, _)| {
                TriangleMarker::new((*i as f64 + 0.5, clamp + 7.0), 6, AXIS_LINE.filled())
            }))?;
            for (level, label) in [(20.0, "+20%"), (-30.0, "-30%")] {
                chart.draw_series(DashedLineSeries::new(
                    vec![(0.0, level), (n.max(1.0), level)],
                    7,
                    5,
                    RGBColor(90, 90, 96).stroke_width(1),
                ))?;
                if k + 1 == self.panels.len() {
                    let (px, py) = map.pixel(n.max(1.0), level);
                    root.draw(&Text::new(
                        label,
                        (px + 5, py),
                        font(SMALL).pos(Pos::new(HPos::Left, VPos::Center)),
                    ))?;
                }
            }
            panels.push(WaterfallPanel {
                arm: arm.clone(),
                map,
                patients: bars.iter().map(|b| b.patient.clone()).collect(),
                clamped: clamped.iter().map(|(_, b)| b.patient.clone()).collect(),
            });
        }
        // Legend top right of the last panel, where the bars are decreases.
        if let Some(last) = panels.last() {
            let corner = last.map.pixel(last.map.x_range.1, y_range.1);
            legend(
                root,
                (corner.0 - 8, corner.1 + 8),
                &self.legend_rows(),
                false,
            )?;
        }
        Ok(WaterfallLayout { panels })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(p: &str, arm: &str, v: f64) -> WaterfallBar {
        WaterfallBar {
            patient: p.into(),
            arm: arm.into(),
            best_change_percent: v,
            best_response: None,
        }
    }

    #[test]
    fn bars_go_from_largest_increase_to_largest_decrease_ties_by_patient() {
        let bars = [
            bar("p3", "a", -40.0),
            bar("p1", "a", 10.0),
            bar("p4", "a", 10.0),
            bar("p2", "a", 150.0),
            bar("p0", "a", -100.0),
            bar("p5", "a", 10.0),
        ];
        let order: Vec<_> = sort_bars(&bars).into_iter().map(|b| b.patient).collect();
        assert_eq!(order, ["p2", "p1", "p4", "p5", "p3", "p0"]);
    }

    #[test]
    fn panels_follow_the_arms_first_appearance() {
        let bars = [bar("x", "b", 1.0), bar("y", "a", 2.0), bar("z", "b", 3.0)];
        let f = waterfall_figure(&bars, &WaterfallOptions::default()).unwrap();
        let names: Vec<_> = f.panels.iter().map(|p| p.0.clone().unwrap()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(f.panels[0].1[0].patient, "z");
        let one = WaterfallOptions {
            split_arms: false,
            ..WaterfallOptions::default()
        };
        assert_eq!(waterfall_figure(&bars, &one).unwrap().panels.len(), 1);
    }

    #[test]
    fn bad_input_is_refused() {
        let o = WaterfallOptions::default();
        assert!(waterfall_figure(&[], &o).unwrap_err().is_bad_input());
        let e = waterfall_figure(&[bar("p9", "a", f64::NAN)], &o).unwrap_err();
        assert!(e.to_string().contains("p9"), "{e}");
    }
}
