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
use crate::model::counters::{self, Counter};
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

/// One row: the CSV's columns, and `summary.json`'s `final` (the same names, in the
/// same order; see `Column`). Floats are rounded when the row is made, so the CSV and
/// the JSON print the same numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Ticks completed.
    pub tick: u64,
    /// Simulated hours since the start.
    pub time_h: f64,
    /// Mean pO2 over every site of the lattice.
    pub o2_mean_mmhg: f64,
    /// Largest change of any site in the last sweep of this tick's oxygen solve.
    pub o2_residual: f32,
    pub time_days: f64,
    /// Sweeps of this tick's oxygen solve (tick 0: the initial solve).
    pub o2_sweeps: u32,
    /// Radius of the disc (2D) or ball (3D) with the tumour's area or volume (live + necrotic).
    pub tumor_radius_um: f64,
    /// Largest extent of the tumour's bounding box.
    pub tumor_diameter_um: f64,
    /// Clones founded so far (the initial ones included) and mutations so far.
    pub clones: u32,
    pub mutations: u32,
    /// The scene's site counters (`model::counters::present`), in table order.
    pub counts: Vec<(Counter, u32)>,
    pub by_clone: Option<CloneRow>,
    pub drugs: Vec<DrugRow>,
    pub factors: Vec<FactorRow>,
    pub therapy: Option<TherapyRow>,
}

/// A column of the part of a row every scene has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Tick,
    TimeH,
    Count(Counter),
    O2Mean,
    O2Residual,
    TimeDays,
    O2Sweeps,
    Radius,
    Diameter,
    Clones,
    Mutations,
}

/// The first columns, in order. Site counters that are not placed here follow
/// `mutations` in table order (only in scenes they are present in).
const FIRST_COLUMNS: [Column; 20] = [
    Column::Tick,
    Column::TimeH,
    Column::Count(Counter::TumourLive),
    Column::Count(Counter::Quiescent),
    Column::Count(Counter::Necrotic),
    Column::Count(Counter::Vessel),
    Column::O2Mean,
    Column::O2Residual,
    Column::TimeDays,
    Column::O2Sweeps,
    Column::Count(Counter::Hypoxic),
    Column::Count(Counter::PerfusedVessel),
    Column::Radius,
    Column::Diameter,
    Column::Count(Counter::Persister),
    Column::Count(Counter::TraitTarget),
    Column::Count(Counter::TraitEfflux),
    Column::Count(Counter::TraitSlowCycle),
    Column::Clones,
    Column::Mutations,
];

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Tick => "tick",
            Column::TimeH => "time_h",
            Column::Count(c) => c.spec().column,
            Column::O2Mean => "o2_mean_mmhg",
            Column::O2Residual => "o2_residual",
            Column::TimeDays => "time_days",
            Column::O2Sweeps => "o2_sweeps",
            Column::Radius => "tumor_radius_um",
            Column::Diameter => "tumor_diameter_um",
            Column::Clones => "clones",
            Column::Mutations => "mutations",
        }
    }
}

/// The leading columns of a row with these counters: `FIRST_COLUMNS` (those of its
/// counters) and then its other counters.
fn leading_columns(counts: &[Counter]) -> Vec<Column> {
    leading_columns_after(&FIRST_COLUMNS, counts)
}

fn leading_columns_after(first: &[Column], counts: &[Counter]) -> Vec<Column> {
    let placed = |c: &Counter| first.contains(&Column::Count(*c));
    first
        .iter()
        .copied()
        .filter(|col| match col {
            Column::Count(c) => counts.contains(c),
            _ => true,
        })
        .chain(
            counts
                .iter()
                .filter(|c| !placed(c))
                .map(|&c| Column::Count(c)),
        )
        .collect()
}

/// One value of a row, as the CSV and the JSON print it.
enum Value {
    U64(u64),
    F64(f64),
    F32(f32),
}

impl Value {
    fn write(&self, out: &mut String) {
        // Display of f32/f64 is the shortest exact round trip, as serde_json prints it.
        let _ = match self {
            Value::U64(v) => write!(out, "{v}"),
            Value::F64(v) => write!(out, "{v}"),
            Value::F32(v) => write!(out, "{v}"),
        };
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Value::U64(v) => s.serialize_u64(v),
            Value::F64(v) => s.serialize_f64(v),
            Value::F32(v) => s.serialize_f32(v),
        }
    }
}

/// The names of the columns every row has (with today's counters, which every scene
/// has), in order.
pub fn first_columns() -> Vec<&'static str> {
    FIRST_COLUMNS.iter().map(|c| c.name()).collect()
}

/// Every column of a scene's CSV, in order.
pub fn columns(scene: &Scene) -> Vec<String> {
    let mut out: Vec<String> = leading_columns(&counters::present(scene))
        .iter()
        .map(|c| c.name().to_string())
        .collect();
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
            o2_mean_mmhg: round_to(c.o2_mean_mmhg(scene.site_count()), 4),
            o2_residual: r.solve.residual,
            time_days: round_to(time_h / 24.0, 6),
            o2_sweeps: r.solve.sweeps,
            tumor_radius_um: round_to(c.equivalent_radius_um(h, scene.is_3d()), 2),
            tumor_diameter_um: round_to(c.diameter_um(h), 2),
            clones: c.clones,
            mutations: c.mutations,
            counts: counters::present(scene)
                .into_iter()
                .map(|k| (k, c.count(k)))
                .collect(),
            by_clone: clone_columns(scene).map(|n| CloneRow {
                initial: c.clone_live[..n].to_vec(),
                acquired: c.acquired_live,
            }),
            drugs,
            factors,
            therapy,
        }
    }

    /// Sites counted by `c` (0 when the row does not have the counter).
    pub fn count(&self, c: Counter) -> u32 {
        self.counts
            .iter()
            .find(|(k, _)| *k == c)
            .map_or(0, |&(_, n)| n)
    }

    /// Live tumour cells, cycling or quiescent.
    pub fn tumor_live(&self) -> u32 {
        self.count(Counter::TumourLive)
    }

    /// Tumour sites, live or necrotic.
    pub fn tumor_sites(&self) -> u32 {
        self.tumor_live() + self.count(Counter::Necrotic)
    }

    fn value(&self, col: Column) -> Value {
        match col {
            Column::Tick => Value::U64(self.tick),
            Column::TimeH => Value::F64(self.time_h),
            Column::Count(c) => Value::U64(self.count(c) as u64),
            Column::O2Mean => Value::F64(self.o2_mean_mmhg),
            Column::O2Residual => Value::F32(self.o2_residual),
            Column::TimeDays => Value::F64(self.time_days),
            Column::O2Sweeps => Value::U64(self.o2_sweeps as u64),
            Column::Radius => Value::F64(self.tumor_radius_um),
            Column::Diameter => Value::F64(self.tumor_diameter_um),
            Column::Clones => Value::U64(self.clones as u64),
            Column::Mutations => Value::U64(self.mutations as u64),
        }
    }

    fn leading(&self) -> Vec<Column> {
        let counts: Vec<Counter> = self.counts.iter().map(|(k, _)| *k).collect();
        leading_columns(&counts)
    }

    fn write_csv(&self, out: &mut String) {
        for (k, col) in self.leading().into_iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            self.value(col).write(out);
        }
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

impl serde::Serialize for Row {
    /// The CSV's columns by name, in its order, then the clone, drug, factor and
    /// therapy members when the row has them.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for col in self.leading() {
            m.serialize_entry(col.name(), &self.value(col))?;
        }
        if let Some(c) = &self.by_clone {
            m.serialize_entry("by_clone", c)?;
        }
        if !self.drugs.is_empty() {
            m.serialize_entry("drugs", &self.drugs)?;
        }
        if !self.factors.is_empty() {
            m.serialize_entry("factors", &self.factors)?;
        }
        if let Some(t) = &self.therapy {
            m.serialize_entry("therapy", t)?;
        }
        m.end()
    }
}

impl<'de> serde::Deserialize<'de> for Row {
    /// What `serialize` writes; a counter column is read when present (format-1
    /// snapshots stored rows this way).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Row, D::Error> {
        use serde::de::Error;
        let mut m = std::collections::BTreeMap::<String, serde_json::Value>::deserialize(d)?;
        fn take<T: serde::de::DeserializeOwned, E: Error>(
            m: &mut std::collections::BTreeMap<String, serde_json::Value>,
            key: &str,
            required: bool,
        ) -> Result<Option<T>, E> {
            match m.remove(key) {
                Some(v) => serde_json::from_value(v)
                    .map(Some)
                    .map_err(|e| E::custom(format!("{key}: {e}"))),
                None if required => Err(E::custom(format!("missing column {key}"))),
                None => Ok(None),
            }
        }
        let counts = counters::SITE_COUNTERS
            .iter()
            .filter_map(|c| match take::<u32, D::Error>(&mut m, c.column, false) {
                Ok(Some(n)) => Some(Ok((c.id, n))),
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let row = Row {
            tick: take(&mut m, "tick", true)?.unwrap_or_default(),
            time_h: take(&mut m, "time_h", true)?.unwrap_or_default(),
            o2_mean_mmhg: take(&mut m, "o2_mean_mmhg", true)?.unwrap_or_default(),
            o2_residual: take(&mut m, "o2_residual", true)?.unwrap_or_default(),
            time_days: take(&mut m, "time_days", true)?.unwrap_or_default(),
            o2_sweeps: take(&mut m, "o2_sweeps", true)?.unwrap_or_default(),
            tumor_radius_um: take(&mut m, "tumor_radius_um", true)?.unwrap_or_default(),
            tumor_diameter_um: take(&mut m, "tumor_diameter_um", true)?.unwrap_or_default(),
            clones: take(&mut m, "clones", false)?.unwrap_or_default(),
            mutations: take(&mut m, "mutations", false)?.unwrap_or_default(),
            counts,
            by_clone: take(&mut m, "by_clone", false)?,
            drugs: take(&mut m, "drugs", false)?.unwrap_or_default(),
            factors: take(&mut m, "factors", false)?.unwrap_or_default(),
            therapy: take(&mut m, "therapy", false)?,
        };
        match m.keys().next() {
            Some(k) => Err(D::Error::custom(format!("unknown column {k}"))),
            None => Ok(row),
        }
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
    use crate::model::counters::SITE_COUNTERS;

    fn row() -> Row {
        Row {
            tick: 12,
            time_h: 12.0,
            o2_mean_mmhg: 31.25,
            o2_residual: 0.00097,
            time_days: 0.5,
            o2_sweeps: 30,
            tumor_radius_um: 19.54,
            tumor_diameter_um: 40.0,
            clones: 1,
            mutations: 0,
            // The counters of a scene without T cells and a living vasculature.
            counts: counters::SITE_COUNTERS
                .iter()
                .filter(|c| c.kind != crate::model::site::Kind::TCell)
                .filter(|c| {
                    !matches!(
                        c.id,
                        Counter::TraitAntigenLoss
                            | Counter::TraitPdl1
                            | Counter::VesselTip
                            | Counter::ImmatureVessel
                            | Counter::GrownVessel
                    )
                })
                .map(|c| {
                    let n = match c.id {
                        Counter::TumourLive => 3,
                        Counter::Quiescent | Counter::Hypoxic => 1,
                        Counter::Vessel | Counter::PerfusedVessel => 9,
                        Counter::TraitEfflux => 2,
                        _ => 0,
                    };
                    (c.id, n)
                })
                .collect(),
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
    fn counters_follow_their_declaration_into_the_columns() {
        // A counter the fixed columns do not place comes after them, in table order;
        // one a scene lacks has no column.
        let first: Vec<Column> = FIRST_COLUMNS
            .iter()
            .copied()
            .filter(|c| *c != Column::Count(Counter::Vessel))
            .collect();
        let names = |cols: Vec<Column>| cols.iter().map(|c| c.name()).collect::<Vec<_>>();
        let all: Vec<Counter> = SITE_COUNTERS.iter().map(|c| c.id).collect();
        let cols = names(leading_columns_after(&first, &all));
        assert_eq!(cols.len(), 28);
        assert_eq!(
            cols[18..],
            [
                "mutations",
                "vessel",
                "tcell",
                "tcell_engaged",
                "tcell_exhausted",
                "trait_antigen_loss",
                "trait_pdl1",
                "vessel_tip",
                "immature_vessel",
                "grown_vessel"
            ]
        );
        let without = [Counter::TumourLive, Counter::Necrotic];
        let cols = names(leading_columns(&without));
        assert_eq!(cols[..4], ["tick", "time_h", "tumor_live", "necrotic"]);
        assert_eq!(cols.len(), 12);
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
        let first = first_columns();
        assert_eq!(s.trim_end().split(',').count(), first.len());
        let json = serde_json::to_string(&row).unwrap();
        let keys: Vec<String> = first.iter().map(|c| format!("\"{c}\":")).collect();
        let at: Vec<usize> = keys.iter().map(|k| json.find(k).expect(k)).collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "JSON keys in CSV order: {json}"
        );
        let back: Row = serde_json::from_str(&json).unwrap();
        assert_eq!(back, row);
        let short = serde_json::from_str::<Row>(r#"{"tick": 1}"#).unwrap_err();
        assert!(
            short.to_string().contains("missing column time_h"),
            "{short}"
        );
        let extra = json.replacen('{', r#"{"bogus": 1, "#, 1);
        let extra = serde_json::from_str::<Row>(&extra).unwrap_err();
        assert!(
            extra.to_string().contains("unknown column bogus"),
            "{extra}"
        );
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
        assert_eq!(
            s.trim_end().split(',').count(),
            first_columns().len() + 3 + 3 + 4
        );
        let back: Row = serde_json::from_value(serde_json::to_value(&row).unwrap()).unwrap();
        assert_eq!(back, row);
        assert_eq!(round_sig(0.000123456789), 0.000123457);
        assert_eq!(round_sig(1234567.0), 1234570.0);
    }
}
