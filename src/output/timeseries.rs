//! `timeseries.csv`: one row per report interval, tick 0 included. The whole file is
//! rewritten atomically after every row, so it is valid CSV at every moment.
//!
//! The first columns are always present (`COLUMNS`). A scene with `[[clones]]` or
//! drugs adds the live cells of each initial clone, `clone_0` … (the first eight), and
//! of the clones founded by mutation, `clone_acquired`; a scene with drugs adds, per
//! drug NAME, `plasma_um_NAME`, `tissue_um_NAME` and `dose_mg_NAME`; a scene with
//! `[[factors]]` adds, per factor NAME, `mean_NAME` (over every site) and `tumour_NAME`
//! (over the live tumour cells' sites), in the factor's unit; a scene with a therapy
//! adds `line`, `status`, `scan_mm` and `scan_response`.

use super::atomic;
use super::RunError;
use crate::engine::therapy::TherapyTick;
use crate::engine::TickReport;
use crate::model::census::CENSUS_CLONES;
use crate::model::fields::{self, FieldRole};
use crate::scene::Scene;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Live tumour cells by clone: each initial clone's (`clone_K`) and those of clones
/// founded by mutation (`clone_acquired`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CloneRow {
    pub initial: Vec<u32>,
    pub acquired: u32,
}

/// Initial clones with a column of their own, when the CSV has clone columns: for
/// scenes with `[[clones]]` or drugs (heterogeneity, or treatment that selects and
/// mutants that resist it).
pub fn clone_columns(scene: &Scene) -> Option<usize> {
    (!scene.clones.is_empty() || !scene.drugs.is_empty())
        .then(|| scene.clones.len().clamp(1, CENSUS_CLONES))
}

/// One drug's columns of a row.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DrugRow {
    pub name: String,
    /// Plasma level averaged over the last tick before the row (µM).
    pub plasma_um: f64,
    /// Mean level at the live tumour cells' sites (µM).
    pub tissue_um: f64,
    /// Amount given since the previous row (mg).
    pub dose_mg: f64,
}

/// One signalling factor's columns of a row, in the factor's unit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FactorRow {
    pub name: String,
    /// Mean over every site of the lattice.
    pub mean: f64,
    /// Mean at the live tumour cells' sites (0 without cells).
    pub tumour: f64,
}

/// The therapy's columns of a row.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TherapyRow {
    /// Current line of therapy, counted from 1; 0 before the first or after the last.
    pub line: u32,
    /// `awaiting_baseline`, `on`, `paused`, `holiday`, `observation` or `finished`.
    pub status: String,
    /// Longest diameter recorded by the last scan since the previous row (0 = not
    /// detected), if there was one.
    pub scan_mm: Option<f64>,
    /// Its RECIST response (`CR`, `PR`, `SD`, `PD`); empty for a baseline.
    pub scan_response: Option<String>,
}

/// One row. Field names are the CSV column names; `summary.json` reuses them for the
/// final row. Floats are rounded when the row is made, so the CSV and the JSON print
/// the same numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Live tumour cells in the drug-tolerant persister state.
    pub persister: u32,
    /// Live tumour cells with an altered drug target, efflux pumps, slow cycling.
    pub trait_target: u32,
    pub trait_efflux: u32,
    pub trait_slow_cycle: u32,
    /// Clones founded so far (the initial ones included) and mutations so far.
    #[serde(default)]
    pub clones: u32,
    #[serde(default)]
    pub mutations: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_clone: Option<CloneRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drugs: Vec<DrugRow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<FactorRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub therapy: Option<TherapyRow>,
}

/// The columns every row has, in order.
pub const COLUMNS: [&str; 20] = [
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
    "persister",
    "trait_target",
    "trait_efflux",
    "trait_slow_cycle",
    "clones",
    "mutations",
];

/// Every column of a scene's CSV, in order.
pub fn columns(scene: &Scene) -> Vec<String> {
    let mut out: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    if let Some(n) = clone_columns(scene) {
        out.extend((0..n).map(|k| format!("clone_{k}")));
        out.push("clone_acquired".into());
    }
    for d in &scene.drugs {
        for prefix in ["plasma_um", "tissue_um", "dose_mg"] {
            out.push(format!("{prefix}_{}", d.name));
        }
    }
    for f in &scene.factors {
        out.push(format!("mean_{}", f.name));
        out.push(format!("tumour_{}", f.name));
    }
    if scene.therapy.is_some() {
        out.extend(["line", "status", "scan_mm", "scan_response"].map(String::from));
    }
    out
}

fn round_to(v: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

/// 6 significant digits: drug levels span many decades.
fn round_sig(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 5 - v.abs().log10().floor() as i32;
    round_to(v, digits)
}

impl Row {
    /// The row of report `r`. `log` is the whole therapy log; the row covers the host
    /// passes of ticks from `since` (the previous row's tick) up to `r.tick`.
    pub fn from_report(scene: &Scene, r: &TickReport, log: &[TherapyTick], since: u64) -> Row {
        let c = &r.census;
        let h = scene.lattice.site_size_um;
        let time_h = r.tick as f64 * scene.time.tick_h;
        let interval: Vec<&TherapyTick> = log
            .iter()
            .filter(|t| t.tick >= since && t.tick < r.tick)
            .collect();
        let last = interval.last();
        let drugs = scene
            .drugs
            .iter()
            .enumerate()
            .map(|(d, drug)| DrugRow {
                name: drug.name.clone(),
                plasma_um: round_sig(last.map_or(0.0, |t| t.plasma_um[d])),
                tissue_um: round_sig(c.drug_mean_um(d)),
                // `+ 0.0`: an empty float sum is −0.0, which would print as "-0".
                dose_mg: round_to(interval.iter().map(|t| t.doses_mg[d]).sum::<f64>() + 0.0, 6),
            })
            .collect();
        let factors = fields::list(scene)
            .into_iter()
            .enumerate()
            .filter(|(_, f)| matches!(f.role, FieldRole::Factor(_)))
            .map(|(k, f)| FactorRow {
                mean: round_sig(c.field_mean(k, f.census_scale, scene.site_count())),
                tumour: round_sig(c.field_tumour_mean(k, f.census_scale)),
                name: f.name,
            })
            .collect();
        let therapy = scene.therapy.as_ref().map(|_| {
            let scan = interval.iter().rev().find_map(|t| t.scan.as_ref());
            TherapyRow {
                line: last.and_then(|t| t.line).map_or(0, |l| l as u32 + 1),
                status: last.map_or("awaiting_baseline".into(), |t| status_name(t.status)),
                scan_mm: scan.map(|s| round_to(s.recorded_mm, 4)),
                scan_response: scan.and_then(|s| s.response.map(|r| r.to_string())),
            }
        });
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
            persister: c.persister,
            trait_target: c.trait_target,
            trait_efflux: c.trait_efflux,
            trait_slow_cycle: c.trait_slow_cycle,
            clones: c.clones,
            mutations: c.mutations,
            by_clone: clone_columns(scene).map(|n| CloneRow {
                initial: c.clone_live[..n].to_vec(),
                acquired: c.acquired_live,
            }),
            drugs,
            factors,
            therapy,
        }
    }

    /// Tumour sites, live or necrotic.
    pub fn tumor_sites(&self) -> u32 {
        self.tumor_live + self.necrotic
    }

    fn write_csv(&self, out: &mut String) {
        // Display of f32/f64 is the shortest exact round trip, as serde_json prints it.
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
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
            self.persister,
            self.trait_target,
            self.trait_efflux,
            self.trait_slow_cycle,
            self.clones,
            self.mutations,
        );
        if let Some(c) = &self.by_clone {
            for n in &c.initial {
                let _ = write!(out, ",{n}");
            }
            let _ = write!(out, ",{}", c.acquired);
        }
        for d in &self.drugs {
            let _ = write!(out, ",{},{},{}", d.plasma_um, d.tissue_um, d.dose_mg);
        }
        for f in &self.factors {
            let _ = write!(out, ",{},{}", f.mean, f.tumour);
        }
        if let Some(t) = &self.therapy {
            let scan = t.scan_mm.map(|v| v.to_string()).unwrap_or_default();
            let response = t.scan_response.clone().unwrap_or_default();
            let _ = write!(out, ",{},{},{scan},{response}", t.line, t.status);
        }
        out.push('\n');
    }
}

fn status_name(s: crate::model::protocol::Status) -> String {
    use crate::model::protocol::Status;
    match s {
        Status::AwaitingBaseline => "awaiting_baseline",
        Status::On => "on",
        Status::Paused => "paused",
        Status::Holiday => "holiday",
        Status::Observation => "observation",
        Status::Finished => "finished",
    }
    .into()
}

/// The rows written so far and the file they go to.
pub struct Timeseries {
    path: PathBuf,
    text: String,
    rows: Vec<Row>,
}

impl Timeseries {
    pub fn new(path: PathBuf, scene: &Scene) -> Timeseries {
        let mut text = columns(scene).join(",");
        text.push('\n');
        Timeseries {
            path,
            text,
            rows: Vec::new(),
        }
    }

    /// Starts with `rows` already in it (a resumed run) and writes the file once.
    pub fn with_rows(path: PathBuf, scene: &Scene, rows: Vec<Row>) -> Result<Timeseries, RunError> {
        let mut t = Timeseries::new(path, scene);
        for row in &rows {
            row.write_csv(&mut t.text);
        }
        t.rows = rows;
        atomic::write(&t.path, t.text.as_bytes())?;
        Ok(t)
    }

    /// Appends a row and rewrites the file.
    pub fn push(&mut self, row: Row) -> Result<(), RunError> {
        row.write_csv(&mut self.text);
        self.rows.push(row);
        Ok(atomic::write(&self.path, self.text.as_bytes())?)
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Tick of the last row (where the next row's interval starts).
    pub fn last_tick(&self) -> u64 {
        self.rows.last().map_or(0, |r| r.tick)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        Row {
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
            persister: 0,
            trait_target: 0,
            trait_efflux: 2,
            trait_slow_cycle: 0,
            clones: 1,
            mutations: 0,
            by_clone: None,
            drugs: Vec::new(),
            factors: Vec::new(),
            therapy: None,
        }
    }

    #[test]
    fn clone_columns_for_heterogeneous_or_treated_scenes() {
        let parse = |toml: &str| Scene::parse(toml, std::path::Path::new("t.toml")).unwrap();
        let plain = parse("seed = 1\n[lattice]\nnx = 8\nny = 8\n");
        assert_eq!(clone_columns(&plain), None);
        assert!(!columns(&plain).iter().any(|c| c.starts_with("clone_")));
        let two = parse(
            "seed = 1\n[lattice]\nnx = 8\nny = 8\n[[clones]]\nfraction = 0.5\n\
             [[clones]]\nfraction = 0.5\ntraits = [\"efflux\"]\n",
        );
        assert_eq!(clone_columns(&two), Some(2));
        let cols = columns(&two);
        let first = cols.iter().position(|c| c == "clone_0").unwrap();
        assert_eq!(
            cols[first..],
            ["clone_0", "clone_1", "clone_acquired"].map(String::from)
        );
    }

    #[test]
    fn csv_fields_match_the_header() {
        let row = row();
        let mut s = String::new();
        row.write_csv(&mut s);
        assert_eq!(
            s,
            "12,12,3,1,0,9,31.25,0.00097,0.5,30,1,9,19.54,40,0,0,2,0,1,0\n"
        );
        assert_eq!(s.trim_end().split(',').count(), COLUMNS.len());
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json.as_object().unwrap().len(), COLUMNS.len());
        for col in COLUMNS {
            assert!(json.get(col).is_some(), "{col}");
        }
    }

    #[test]
    fn clone_drug_and_therapy_columns_follow_the_header() {
        let mut row = row();
        row.by_clone = Some(CloneRow {
            initial: vec![2, 1],
            acquired: 4,
        });
        row.drugs.push(DrugRow {
            name: "x".into(),
            plasma_um: 1.5,
            tissue_um: 0.25,
            dose_mg: 100.0,
        });
        row.therapy = Some(TherapyRow {
            line: 1,
            status: "on".into(),
            scan_mm: Some(0.48),
            scan_response: Some("SD".into()),
        });
        let mut s = String::new();
        row.write_csv(&mut s);
        assert!(
            s.ends_with(",0,0,2,0,1,0,2,1,4,1.5,0.25,100,1,on,0.48,SD\n"),
            "{s}"
        );
        assert_eq!(s.trim_end().split(',').count(), COLUMNS.len() + 3 + 3 + 4);
        assert_eq!(round_sig(0.000123456789), 0.000123457);
        assert_eq!(round_sig(1234567.0), 1234570.0);
    }
}
