//! Issue 11, item 8: snapshots are validated by meaning, not only by checksum. Each case
//! takes a real run's snapshot apart, changes one header value or section, and writes
//! it back with valid CRCs; `resume` must refuse it with exit 2, saying what is wrong,
//! and leave no directory behind (before this check some panicked with exit 101 and
//! a partial directory, others resumed a different run).

mod snapshot_common;

use oncolattice::output::snapshot::census_record::history_to_json;
use oncolattice::output::snapshot::codec::{Container, SectionData};
use oncolattice::output::snapshot::{Snapshot, SnapshotError};
use serde_json::{json, Value};
use snapshot_common::*;
use std::path::{Path, PathBuf};

/// 40², 1 h ticks for 3 days, a frame every 12 h, a daily dose from the first scan.
const TREATED: &str = r#"
name = "meaning"
seed = 3
[lattice]
nx = 40
ny = 40
[time]
duration_days = 3
report_every_h = 6
[tumour]
radius_um = 100.0
[vessels]
layout = "random"
density = 0.02
[output]
frame_every_h = 12
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
[[therapy.lines]]
name = "tki daily"
[[therapy.lines.doses]]
drug = "tki"
route = { kind = "oral" }
dose = { amount_mg = 150.0 }
interval_days = 1.0
"#;

/// The run's snapshot at tick 48 (of 72), after snapshots at 24.
fn good_snapshot(dir: &Path) -> PathBuf {
    let scene = write_scene(dir, "meaning.toml", TREATED);
    let run = dir.join("run");
    ok(
        dir,
        &[
            "run",
            s(&scene),
            "--backend",
            "cpu",
            "--snapshot-every",
            "1",
            "--no-plots",
            "-q",
            "--out",
            s(&run),
        ],
    );
    run.join("snapshots/snapshot_00000048.olsnap")
}

fn section<'a>(c: &'a mut Container, name: &str) -> &'a mut SectionData {
    &mut c
        .sections
        .iter_mut()
        .find(|(info, _)| info.name == name)
        .unwrap_or_else(|| panic!("no section {name}"))
        .1
}

/// The index of the first tumour site.
fn a_tumour_site(c: &mut Container) -> usize {
    match section(c, "site.kind") {
        SectionData::U8(kinds) => kinds.iter().position(|&k| k == 1).unwrap(),
        other => panic!("{other:?}"),
    }
}

type Edit = fn(&mut Container);

#[test]
fn snapshots_are_validated_by_meaning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = good_snapshot(dir);
    assert!(Snapshot::read(&good).is_ok());
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "frame-every-0",
            |c| c.header["run"]["frame_every_ticks"] = json!(0),
            "run.frame_every_ticks is Some(0); its scene gives Some(12)",
        ),
        (
            "snapshot-every-0",
            |c| c.header["run"]["snapshot_every_ticks"] = json!(0),
            "run.snapshot_every_ticks Some(0) and run.snapshot_every_days Some(1.0) do not describe",
        ),
        (
            "no-drugs",
            |c| c.header["therapy"]["drugs"] = json!([]),
            "therapy.drugs has 0 entries ([\"tki\"]) for the scene's 1 drugs",
        ),
        (
            "empty-history",
            |c| c.header["census_history"] = history_to_json(&[]),
            "census_history has none; a run reporting every 6 ticks has 9 rows, ticks 0 to 48 at tick 48",
        ),
        (
            "nan-oxygen",
            |c| match section(c, "oxygen") {
                SectionData::F32(v) => v[5] = f32::NAN,
                other => panic!("{other:?}"),
            },
            "field oxygen: site 5 holds NaN",
        ),
        (
            "clone-past-lineage",
            |c| {
                let site = a_tumour_site(c);
                match section(c, "site.clone") {
                    SectionData::U16(v) => v[site] = 999,
                    other => panic!("{other:?}"),
                }
            },
            "holds clone 999 with traits",
        ),
        (
            "unknown-traits",
            |c| {
                let site = a_tumour_site(c);
                match section(c, "site.traits") {
                    SectionData::U32(v) => v[site] = 0x8000_0000,
                    other => panic!("{other:?}"),
                }
            },
            "with traits 0x80000000",
        ),
        (
            "time-h",
            |c| c.header["time_h"] = json!(96.0),
            "time_h 96 is not tick 48 × its scene's time.tick_h 1 h",
        ),
        (
            "tick-h-in-scene",
            |c| {
                let toml = c.header["scene_toml"].as_str().unwrap().to_string();
                assert!(toml.contains("tick_h = 1.0"), "{toml}");
                c.header["scene_toml"] = Value::from(toml.replace("tick_h = 1.0", "tick_h = 0.5"));
            },
            "time_h 48 is not tick 48 × its scene's time.tick_h 0.5 h",
        ),
        (
            "short-therapy-log",
            |c| c.header["therapy_log"].as_array_mut().unwrap().truncate(10),
            "therapy_log has 10 entries for 48 ticks",
        ),
        (
            "negative-plasma",
            |c| c.header["plasma_um"] = json!([-1.0]),
            "plasma_um holds -1",
        ),
        (
            "lost-snapshot-record",
            |c| c.header["run"]["snapshots"] = json!([]),
            "run.snapshots lists ticks []; a run with snapshot_every_ticks Some(24) wrote [24]",
        ),
        (
            "lost-frame-record",
            |c| {
                c.header["run"]["frames_crc32"]
                    .as_array_mut()
                    .unwrap()
                    .pop();
            },
            "run.frames_crc32 has 4 frames",
        ),
    ];
    for (name, edit, expected) in cases {
        let mut c = open_container(&good);
        edit(&mut c);
        let bad = dir.join(format!("{name}.olsnap"));
        write_container(&bad, &c);
        match Snapshot::read(&bad) {
            Err(SnapshotError::Inconsistent { what, .. }) => {
                assert!(what.contains(expected), "{name}: {what}")
            }
            Err(SnapshotError::BadHeader { message, .. }) => {
                assert!(message.contains(expected), "{name}: {message}")
            }
            other => panic!("{name}: {other:?}"),
        }
        let out = dir.join(format!("resumed-{name}"));
        let err = refused(dir, &["resume", s(&bad), "--out", s(&out)], expected);
        assert!(err.contains("snapshot is"), "{name}: {err}");
        assert!(!out.exists(), "{name}: resume left {}", out.display());
    }
}

#[test]
fn a_damaged_snapshot_in_place_is_refused_and_the_run_directory_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = good_snapshot(dir);
    let run = good.parent().unwrap().parent().unwrap().to_path_buf();
    let before = files(&run);
    let mut c = open_container(&good);
    c.header["run"]["frame_every_ticks"] = json!(0);
    write_container(&good, &c);
    let mut before = before;
    before.insert(
        "snapshots/snapshot_00000048.olsnap".into(),
        std::fs::read(&good).unwrap(),
    );
    refused(
        dir,
        &["resume", s(&good), "--force"],
        "run.frame_every_ticks is Some(0)",
    );
    assert_eq!(files(&run), before);
}
