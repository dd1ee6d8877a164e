//! `timeseries.csv`: one row per report interval, tick 0 included. The whole file is
//! rewritten atomically after every row, so it is valid CSV at every moment.

use super::rundir::write_atomic;
use super::RunError;
use crate::engine::TickReport;
use crate::scene::Scene;
use std::fmt::Write as _;
use std::path::PathBuf;

/// One row. Field names are the CSV column names; `summary.json` reuses them for the
/// final row. Floats are rounded when the row is made, so the CSV and the JSON print
/// the same numbers.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// Ticks completed.
    pub tick: u64,
    /// Simulated hours since the start.
    pub time_h: f64,
    /// Live tumour cells, cycling or quiescent.
    pub tumor_live: u32,
    /// Live tumour cells that have stopped cycling for lack of oxygen.
    pub tumor_quiescent: u32,
    /// Dead tumour cells (necrosis) still occupying their site.
    pub necrotic: u32,
    pub vessel: u32,
    /// Mean pO2 over every site of the lattice.
    pub o2_mean_mmhg: f64,
    /// Largest change of any site in the last sweep of this tick's oxygen solve.
    pub o2_residual: f32,
    pub time_days: f64,
    /// Sweeps of this tick's oxygen solve (tick 0: the initial solve).
    pub o2_sweeps: u32,
    /// Live tumour cells below `cells.hypoxic_mmhg`.
    pub hypoxic: u32,
    /// Vessel sites with flow.
    pub perfused_vessel: u32,
    /// Radius of the disc (2D) or ball (3D) with the tumour's area or volume (live + necrotic).
    pub tumor_radius_um: f64,
    /// Largest extent of the tumour's bounding box.
    pub tumor_diameter_um: f64,
}

/// The CSV header, in column order.
pub const COLUMNS: [&str; 14] = [
    "tick",
    "time_h",
    "tumor_live",
    "tumor_quiescent",
    "necrotic",
    "vessel",
    "o2_mean_mmhg",
    "o2_residual",
    "time_days",
    "o2_sweeps",
    "hypoxic",
    "perfused_vessel",
    "tumor_radius_um",
    "tumor_diameter_um",
];

fn round_to(v: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

impl Row {
    pub fn from_report(scene: &Scene, r: &TickReport) -> Row {
        let c = &r.census;
        let h = scene.lattice.site_size_um;
        let time_h = r.tick as f64 * scene.time.tick_h;
        Row {
            tick: r.tick,
            time_h: round_to(time_h, 6),
            tumor_live: c.tumour_live,
            tumor_quiescent: c.quiescent,
            necrotic: c.necrotic,
            vessel: c.vessel,
            o2_mean_mmhg: round_to(c.o2_mean_mmhg(scene.site_count()), 4),
            o2_residual: r.solve.residual,
            time_days: round_to(time_h / 24.0, 6),
            o2_sweeps: r.solve.sweeps,
            hypoxic: c.hypoxic,
            perfused_vessel: c.perfused_vessel,
            tumor_radius_um: round_to(c.equivalent_radius_um(h, scene.is_3d()), 2),
            tumor_diameter_um: round_to(c.diameter_um(h), 2),
        }
    }

    /// Tumour sites, live or necrotic.
    pub fn tumor_sites(&self) -> u32 {
        self.tumor_live + self.necrotic
    }

    fn write_csv(&self, out: &mut String) {
        // Display of f32/f64 is the shortest exact round trip, as serde_json prints it.
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            self.tick,
            self.time_h,
            self.tumor_live,
            self.tumor_quiescent,
            self.necrotic,
            self.vessel,
            self.o2_mean_mmhg,
            self.o2_residual,
            self.time_days,
            self.o2_sweeps,
            self.hypoxic,
            self.perfused_vessel,
            self.tumor_radius_um,
            self.tumor_diameter_um,
        );
    }
}

/// The rows written so far and the file they go to.
pub struct Timeseries {
    path: PathBuf,
    text: String,
    rows: Vec<Row>,
}

impl Timeseries {
    pub fn new(path: PathBuf) -> Timeseries {
        let mut text = COLUMNS.join(",");
        text.push('\n');
        Timeseries {
            path,
            text,
            rows: Vec::new(),
        }
    }

    /// Appends a row and rewrites the file.
    pub fn push(&mut self, row: Row) -> Result<(), RunError> {
        row.write_csv(&mut self.text);
        self.rows.push(row);
        write_atomic(&self.path, self.text.as_bytes())
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_match_the_header() {
        let row = Row {
            tick: 12,
            time_h: 12.0,
            tumor_live: 3,
            tumor_quiescent: 1,
            necrotic: 0,
            vessel: 9,
            o2_mean_mmhg: 31.25,
            o2_residual: 0.00097,
            time_days: 0.5,
            o2_sweeps: 30,
            hypoxic: 1,
            perfused_vessel: 9,
            tumor_radius_um: 19.54,
            tumor_diameter_um: 40.0,
        };
        let mut s = String::new();
        row.write_csv(&mut s);
        assert_eq!(s, "12,12,3,1,0,9,31.25,0.00097,0.5,30,1,9,19.54,40\n");
        assert_eq!(s.trim_end().split(',').count(), COLUMNS.len());
        let json = serde_json::to_value(row).unwrap();
        assert_eq!(json.as_object().unwrap().len(), COLUMNS.len());
        for col in COLUMNS {
            assert!(json.get(col).is_some(), "{col}");
        }
    }
}
