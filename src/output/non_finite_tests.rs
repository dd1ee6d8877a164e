//! Issue 11, item 1 (at run time): a non-finite plasma level or field ends the run with
//! a runtime error naming what, which field or drug and which tick; the snapshots
//! before it are kept, none is written of the bad state, and summary.json does not say
//! completed. The scene is valid but for one dose, set after validation (the scene
//! checks refuse such a dose in a file), so the run diverges for real, mid-run.

use super::run::run_scene;
use super::{RunError, RunOptions, Silent};
use crate::engine::{BackendChoice, EngineError};
use crate::model::pk::Dose;
use crate::scene::Scene;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// 40², a daily oral dose from the first scan on day 1, four days.
const SCENE: &str = r#"
name = "diverging"
seed = 11
[lattice]
nx = 40
ny = 40
[time]
duration_days = 4
report_every_h = 12
[tumour]
radius_um = 100.0
[vessels]
layout = "random"
density = 0.02
[output]
frame_every_h = 0
[[drugs]]
name = "tki"
class = "targeted"
emax_per_h = 0.06
ic50_um = 0.1
[drugs.pk]
molecular_weight_g_per_mol = 393.4
clearance_l_per_h = 4.0
central_volume_l = 230.0
absorption_per_h = 0.95
bioavailability = 0.6
[therapy]
scan_every_days = 1.0
first_scan_day = 1.0
[[therapy.lines]]
name = "tki daily"
[[therapy.lines.doses]]
drug = "tki"
route = { kind = "oral" }
dose = { amount_mg = 150.0 }
interval_days = 1.0
"#;

fn scene_with_dose(amount_mg: f64) -> Scene {
    let mut scene = Scene::parse(SCENE, Path::new("diverging.toml")).unwrap();
    let therapy = scene.therapy.as_mut().unwrap();
    therapy.lines[0].doses[0].dose = Dose::Mg { amount_mg };
    scene
}

fn run_into(out: &Path, scene: Scene) -> RunError {
    let opts = RunOptions {
        out_dir: Some(out.to_path_buf()),
        backend: BackendChoice::Cpu,
        snapshot_every_days: Some(0.5),
        plots: false,
        ..RunOptions::default()
    };
    run_scene(scene, "diverging.toml", &opts, &mut Silent, Instant::now()).unwrap_err()
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn snapshots(out: &Path) -> Vec<PathBuf> {
    super::snapshot::list(&out.join("snapshots"))
        .into_iter()
        .map(|(_, p)| p.file_name().unwrap().into())
        .collect()
}

#[test]
fn non_finite_values_never_yield_a_completed_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // 1e300 mg is a finite plasma level (f64) that no f32 field holds: the drug's
    // field becomes infinite, then NaN, in the first tick after the first dose.
    let err = run_into(&out, scene_with_dose(1e300));
    assert!(
        matches!(&err, RunError::Engine(EngineError::NonFinite { field, tick: 25 }) if field == "tki"),
        "{err:?}"
    );
    assert!(!err.is_bad_input());
    assert_eq!(
        err.to_string(),
        "the tki field became non-finite at tick 25"
    );
    let s = summary(&out);
    assert_eq!(s["completed"], false);
    assert_eq!(s["error"], "the tki field became non-finite at tick 25");
    // The last good state is on disk; nothing was written of the bad one.
    assert_eq!(
        snapshots(&out),
        [
            PathBuf::from("snapshot_00000012.olsnap"),
            PathBuf::from("snapshot_00000024.olsnap")
        ]
    );
    // Read as a container (its scene holds the dose that scene files refuse, so it
    // does not resume): every float section of the last snapshot is finite.
    let last =
        super::snapshot::codec::read(&out.join("snapshots/snapshot_00000024.olsnap"), &|_, _| {
            true
        })
        .unwrap();
    let floats: Vec<&Vec<f32>> = last
        .sections
        .iter()
        .filter_map(|(_, d)| match d {
            super::snapshot::codec::SectionData::F32(v) => Some(v),
            _ => None,
        })
        .collect();
    assert!(floats.len() >= 2, "oxygen and the drug field");
    assert!(floats.iter().all(|v| v.iter().all(|x| x.is_finite())));
}

#[test]
fn a_non_finite_plasma_level_ends_the_run_naming_the_drug() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // A molecular weight of 5e-324 g/mol (the smallest double) turns the first dose's
    // mg/L into an infinite level in µM.
    let mut scene = scene_with_dose(150.0);
    scene.drugs[0]
        .pk
        .as_mut()
        .unwrap()
        .molecular_weight_g_per_mol = 5e-324;
    let err = run_into(&out, scene);
    match &err {
        RunError::Engine(EngineError::NonFinitePlasma { drug, tick, value }) => {
            assert_eq!((drug.as_str(), *tick), ("tki", 24));
            assert!(!value.is_finite());
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.starts_with("the plasma level of drug tki became non-finite at tick 24"),
        "{message}"
    );
    assert_eq!(summary(&out)["completed"], false);
    assert_eq!(summary(&out)["error"], message.as_str());
    assert_eq!(snapshots(&out).len(), 2);
}
