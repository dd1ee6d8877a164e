//! The series that the site counters' declarations (`model::counters::PlotAs`) and the
//! scene's factors put on the charts.

use super::{nth_colour, series, Table};
use crate::model::counters::{PlotAs, Tint, SITE_COUNTERS};
use crate::output::plot::charts::{Chart, Series};
use crate::output::render::palette;

pub fn tint(t: Tint) -> [u8; 3] {
    match t {
        Tint::Cycling => palette::CYCLING,
        Tint::Quiescent => palette::QUIESCENT,
        Tint::Necrotic => palette::NECROTIC,
        Tint::Vessel => palette::VESSEL,
        Tint::Hypoxic => [30, 40, 110],
    }
}

/// The burden chart's totals (for a time series without clone columns).
pub fn burden_totals(t: &Table, days: &[f64]) -> Vec<Series> {
    SITE_COUNTERS
        .iter()
        .filter_map(|c| match c.plot {
            PlotAs::BurdenTotal { label, colour } => series(t, days, c.column, label, tint(colour)),
            _ => None,
        })
        .collect()
}

/// Live cells of each counter shown once carried (resistance traits, persisters),
/// for counters that count a cell in some row; colours follow the `first_colour`
/// lines already on the chart.
pub fn burden_carried(t: &Table, days: &[f64], first_colour: usize) -> Vec<Series> {
    SITE_COUNTERS
        .iter()
        .filter_map(|c| match c.plot {
            PlotAs::BurdenCarried { label } => Some((c.column, label)),
            _ => None,
        })
        .filter(|(column, _)| {
            t.numbers(column)
                .is_some_and(|v| v.iter().any(|&x| x > 0.0))
        })
        .enumerate()
        .filter_map(|(k, (column, label))| {
            series(t, days, column, label, nth_colour(k + first_colour))
        })
        .collect()
}

/// Each `ShareOf` counter as a percentage of its reference (NaN where that is 0).
pub fn shares(t: &Table, days: &[f64]) -> Vec<Series> {
    SITE_COUNTERS
        .iter()
        .filter_map(|c| match c.plot {
            PlotAs::ShareOf { of, label, colour } => {
                let (n, d) = (t.numbers(c.column)?, t.numbers(of.spec().column)?);
                let points = days
                    .iter()
                    .zip(n.iter().zip(&d))
                    .map(|(&x, (a, b))| (x, if *b > 0.0 { 100.0 * a / b } else { f64::NAN }))
                    .collect();
                Some(Series {
                    label: label.into(),
                    colour: tint(colour),
                    points,
                })
            }
            _ => None,
        })
        .collect()
}

/// Charts of their own, by file stem, from `PlotAs::Chart` counters present in the
/// time series, in table order.
pub fn own_charts(t: &Table, days: &[f64]) -> Vec<(&'static str, Chart)> {
    let mut out: Vec<(&'static str, Chart)> = Vec::new();
    for c in &SITE_COUNTERS {
        let PlotAs::Chart { stem, title, label } = c.plot else {
            continue;
        };
        let k = out.iter().position(|(s, _)| *s == stem).unwrap_or_else(|| {
            out.push((
                stem,
                Chart {
                    title: title.into(),
                    y_label: "cells".into(),
                    ..Chart::default()
                },
            ));
            out.len() - 1
        });
        let colour = nth_colour(out[k].1.series.len());
        if let Some(s) = series(t, days, c.column, label, colour) {
            out[k].1.series.push(s);
        }
    }
    out.retain(|(_, chart)| !chart.series.is_empty());
    out
}

/// One chart per signalling factor (`mean_NAME` and `tumour_NAME` columns): its
/// mean over the lattice and over the live tumour cells' sites.
pub fn factor_charts(t: &Table, days: &[f64]) -> Vec<Chart> {
    t.with_prefix("mean_")
        .iter()
        .filter_map(|column| {
            let name = column.strip_prefix("mean_")?;
            let mut lines = vec![series(
                t,
                days,
                column,
                "mean over the lattice",
                nth_colour(0),
            )?];
            lines.extend(series(
                t,
                days,
                &format!("tumour_{name}"),
                "mean at live tumour cells",
                nth_colour(1),
            ));
            Some(Chart {
                title: format!("factor {name}"),
                y_label: "level (factor's unit)".into(),
                series: lines,
                ..Chart::default()
            })
        })
        .collect()
}
