//! `summary.json`: what ran and the final state with metrics derived from it; and
//! `performance.json`: how fast. summary.json depends on the simulation alone, so an
//! uninterrupted run and one resumed from a snapshot write the same bytes; wall-clock
//! figures live in performance.json.

use super::timeseries::Row;
use crate::engine::{BackendInfo, SolveStats};
use crate::model::counters::Counter;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub oncolattice_version: &'static str,
    pub scene: SceneInfo,
    pub backend: BackendSummary,
    /// False when the run stopped on an error; `error` then says why.
    pub completed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Ticks completed.
    pub ticks: u64,
    pub tick_h: f64,
    pub simulated_days: f64,
    pub initial_solve: SolveStats,
    pub sweeps_per_tick: SweepStats,
    /// Report rows whose oxygen solve stopped at `oxygen.max_sweeps_per_tick` without
    /// converging; absent when every one converged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unconverged_solves: Option<Unconverged>,
    pub peak_tumor_live: Peak,
    /// The last row of timeseries.csv.
    #[serde(rename = "final")]
    pub final_row: Option<Row>,
    pub derived: Option<Derived>,
    pub frames: u32,
    /// How treatment went and why surviving cells survived (scenes with a therapy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<super::failure_report::FailureReport>,
    /// Clones and mutations (also in lineage.csv); absent when the run stopped on an
    /// error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lineage: Option<super::lineage::LineageSummary>,
    /// The immune biomarkers of the final state (scenes with `[immune]`;
    /// `model::biomarkers`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub immune: Option<crate::model::biomarkers::Biomarkers>,
}

/// The file performance.json.
pub const PERFORMANCE: &str = "performance.json";

/// `performance.json`: timings of this process's part of the run (a resumed run times
/// only the ticks it ran).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Performance {
    pub oncolattice_version: &'static str,
    pub backend: BackendInfo,
    /// Ticks completed when this process started ticking: 0, or a snapshot's tick.
    pub start_tick: u64,
    /// Ticks completed when it stopped.
    pub end_tick: u64,
    /// From the start of set-up to the last file written.
    pub wall_seconds: f64,
    /// Seconds in the tick loop (set-up and the initial solve excluded; frames and
    /// snapshots included).
    pub loop_seconds: f64,
    /// Ticks per second of the tick loop.
    pub ticks_per_s: f64,
    /// Sites × ticks per second of the tick loop.
    pub site_updates_per_s: f64,
    /// Snapshots this process wrote, and the seconds spent writing them.
    pub snapshots_written: u32,
    pub snapshot_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SceneInfo {
    pub name: String,
    pub file: String,
    pub seed: u64,
    pub nx: u32,
    pub ny: u32,
    pub nz: u32,
    pub site_size_um: f64,
    pub sites: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackendSummary {
    #[serde(flatten)]
    pub info: BackendInfo,
    /// Which backend was chosen and why (the `--backend auto` decision).
    pub note: String,
}

/// Oxygen sweeps per tick over the report ticks (tick 0's initial solve excluded).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct SweepStats {
    pub mean: f64,
    pub max: u32,
    /// Number of ticks the statistics are taken over.
    pub sampled_ticks: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Peak {
    pub cells: u32,
    pub tick: u64,
}

/// Metrics of the final state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Derived {
    /// Necrotic / (live + necrotic) tumour sites.
    pub necrotic_fraction: f64,
    /// Quiescent / live tumour cells.
    pub quiescent_fraction: f64,
    /// Hypoxic / live tumour cells.
    pub hypoxic_fraction: f64,
    /// Tumour sites (live + necrotic) at the end over those at tick 0.
    pub fold_change: f64,
    /// Volume doubling time from the first and last rows, when the tumour grew.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doubling_time_days: Option<f64>,
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Derived {
    pub fn from_rows(first: &Row, last: &Row) -> Derived {
        let fold_change = ratio(last.tumor_sites(), first.tumor_sites());
        let days = last.time_days - first.time_days;
        let doubling_time_days =
            (fold_change > 1.0 && days > 0.0).then(|| days * 2f64.ln() / fold_change.ln());
        Derived {
            necrotic_fraction: ratio(last.count(Counter::Necrotic), last.tumor_sites()),
            quiescent_fraction: ratio(last.count(Counter::Quiescent), last.tumor_live()),
            hypoxic_fraction: ratio(last.count(Counter::Hypoxic), last.tumor_live()),
            fold_change,
            doubling_time_days,
        }
    }
}

/// Solves that hit the sweep cap: the rule is to finish the run, say so here and on
/// stderr, and leave the judgement to the user (the field then lags its steady state
/// by up to the residual per tick; raise `max_sweeps_per_tick` or the tolerance).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Unconverged {
    /// Report rows after tick 0 whose solve did not converge …
    pub rows: u32,
    /// … of this many.
    pub of_rows: u32,
    pub first_tick: u64,
    /// The largest final residual among them (mmHg), and what it had to stay below
    /// (`oxygen.tolerance_mmhg` × min(ω, 1)).
    pub largest_residual_mmhg: f32,
    pub tolerance_mmhg: f32,
}

impl Unconverged {
    /// From the rows (tick 0's initial solve excluded: `initial_solve` reports it) and
    /// oxygen's stopping tolerance. A NaN residual counts as not converged.
    pub fn from_rows(rows: &[Row], tolerance_mmhg: f32) -> Option<Unconverged> {
        let later: Vec<&Row> = rows.iter().filter(|r| r.tick > 0).collect();
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        let bad: Vec<&&Row> = later
            .iter()
            .filter(|r| !(r.o2_residual < tolerance_mmhg))
            .collect();
        let first = bad.first()?;
        Some(Unconverged {
            rows: bad.len() as u32,
            of_rows: later.len() as u32,
            first_tick: first.tick,
            largest_residual_mmhg: bad.iter().map(|r| r.o2_residual).fold(0.0, f32::max),
            tolerance_mmhg,
        })
    }

    /// The warning `run` prints.
    pub fn warning(&self) -> String {
        format!(
            "warning: the oxygen solve did not converge in {} of {} report rows (first at \
             tick {}; largest residual {} mmHg, tolerance {} mmHg): raise \
             oxygen.max_sweeps_per_tick or oxygen.tolerance_mmhg",
            self.rows,
            self.of_rows,
            self.first_tick,
            self.largest_residual_mmhg,
            self.tolerance_mmhg
        )
    }
}

impl SweepStats {
    /// Over every row but tick 0, whose sweeps are the initial solve's.
    pub fn from_rows(rows: &[Row]) -> SweepStats {
        let ticks: Vec<u32> = rows
            .iter()
            .filter(|r| r.tick > 0)
            .map(|r| r.o2_sweeps)
            .collect();
        if ticks.is_empty() {
            return SweepStats::default();
        }
        SweepStats {
            mean: ticks.iter().map(|&s| s as f64).sum::<f64>() / ticks.len() as f64,
            max: ticks.iter().copied().max().unwrap_or(0),
            sampled_ticks: ticks.len() as u32,
        }
    }
}

impl Peak {
    pub fn from_rows(rows: &[Row]) -> Peak {
        rows.iter().fold(Peak::default(), |p, r| {
            if r.tumor_live() > p.cells {
                Peak {
                    cells: r.tumor_live(),
                    tick: r.tick,
                }
            } else {
                p
            }
        })
    }
}
