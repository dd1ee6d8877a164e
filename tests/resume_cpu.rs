//! Resume on the CPU backend: a run resumed from any snapshot — into a new directory,
//! in place, after Ctrl-C, after a cancelled library run — writes the same bytes as
//! the uninterrupted run (performance.json aside).

mod snapshot_common;

use oncolattice::output::{CancelFlag, Observer, Progress, ResumeOptions, RunOptions};
use oncolattice::{BackendChoice, RunError};
use snapshot_common::*;
use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn resumed_runs_match_the_uninterrupted_run() {
    resume_equivalence("cpu");
}

/// Cancels the run once it reaches `at` (what the CLI's Ctrl-C handler does).
struct CancelAt {
    at: u64,
    flag: CancelFlag,
}

impl Observer for CancelAt {
    fn progress(&mut self, p: &Progress) {
        if p.tick == self.at {
            self.flag.cancel();
        }
    }
}

#[test]
fn a_cancelled_run_stops_after_a_whole_tick_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let full = uninterrupted(dir, "cpu");
    let scene = dir.join("small.toml");
    let out = dir.join("cancelled");
    let flag = CancelFlag::new();
    let opts = RunOptions {
        out_dir: Some(out.clone()),
        backend: BackendChoice::Cpu,
        snapshot_every_days: Some(1.0),
        cancel: Some(flag.clone()),
        ..Default::default()
    };
    let err = oncolattice::run(&scene, &opts, &mut CancelAt { at: 31, flag }).unwrap_err();
    let RunError::Interrupted {
        tick,
        ref snapshot,
        ref out_dir,
    } = err
    else {
        panic!("{err}")
    };
    assert_eq!(tick, 31);
    assert_eq!(snapshot, &out.join("snapshots/snapshot_00000031.olsnap"));
    assert_eq!(out_dir, &out);
    assert!(!err.is_bad_input());
    let ticks: Vec<u64> = snapshots(&out).into_iter().map(|(t, _)| t).collect();
    assert_eq!(ticks, [24, 31]);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["completed"], false);
    assert!(summary["error"]
        .as_str()
        .unwrap()
        .contains("oncolattice resume"));

    // Resuming the directory takes its latest snapshot and continues in place.
    let resumed = oncolattice::output::resume(
        &out,
        &ResumeOptions::default(),
        &mut oncolattice::output::Silent,
    )
    .unwrap();
    assert!(resumed.completed);
    // The extra snapshot at tick 31 is the only difference from the uninterrupted run.
    std::fs::remove_file(out.join("snapshots/snapshot_00000031.olsnap")).unwrap();
    assert_same_run(&full, &out);
}

/// A longer run of the same scene, for the Ctrl-C test.
fn long_scene(dir: &Path) -> std::path::PathBuf {
    let text = SMALL
        .replace("nx = 48", "nx = 96")
        .replace("ny = 48", "ny = 96")
        .replace("duration_days = 3", "duration_days = 20");
    write_scene(dir, "long.toml", &text)
}

#[test]
fn ctrl_c_writes_a_snapshot_and_leaves_a_resumable_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = long_scene(dir);
    let (full, out) = (dir.join("full"), dir.join("interrupted"));
    let args = |out: &Path| {
        vec![
            "run".to_string(),
            s(&scene).into(),
            "--backend".into(),
            "cpu".into(),
            "--snapshot-every".into(),
            "2".into(),
            "--out".into(),
            s(out).into(),
        ]
    };
    let mut child = std::process::Command::new(BIN)
        .current_dir(dir)
        .args(args(&out))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the first periodic snapshot (day 2 of 20) is on disk.
    let first = out.join("snapshots/snapshot_00000048.olsnap");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !first.exists() {
        assert!(
            Instant::now() < deadline,
            "the run never wrote its first snapshot"
        );
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(2));
    }
    let pid = child.id().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = child.wait_with_output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(130), "{err}");
    assert!(err.contains("resume with: oncolattice resume"), "{err}");
    let (tick, last) = snapshots(&out).pop().unwrap();
    assert!((48..480).contains(&tick), "interrupted at tick {tick}");
    assert!(err.contains(s(&last)), "{err}");

    // `oncolattice resume DIR` continues the latest snapshot in place, without --force.
    ok(dir, &["resume", s(&out), "-q"]);
    let mut uninterrupted = args(&full);
    uninterrupted.push("-q".into());
    ok(
        dir,
        &uninterrupted.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // The interruption's own snapshot is the only extra file.
    if tick % 48 != 0 {
        std::fs::remove_file(&last).unwrap();
    }
    assert_same_run(&full, &out);
}

#[test]
fn a_snapshot_outside_its_run_directory_resumes_with_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let full = uninterrupted(dir, "cpu");
    let alone = dir.join("alone.olsnap");
    std::fs::copy(full.join("snapshots/snapshot_00000048.olsnap"), &alone).unwrap();
    refused(dir, &["resume", s(&alone)], "is not inside a run directory");
    let out = dir.join("from-alone");
    let result = ok(dir, &["resume", s(&alone), "--out", s(&out)]);
    let err = stderr(&result);
    assert!(
        err.contains("note: 0 of 5 frames and 0 of 1 earlier snapshots")
            || err.contains("were not found"),
        "{err}"
    );
    // Everything computed from the snapshot on is the same as in the full run.
    let (a, b) = (files(&full), files(&out));
    for name in [
        "timeseries.csv",
        "summary.json",
        "scene.resolved.toml",
        "snapshots/snapshot_00000048.olsnap",
        "snapshots/snapshot_00000072.olsnap",
        "frames/frame_000005.png",
        "frames/frame_000006.png",
    ] {
        assert_eq!(a[name], b[name], "{name}");
    }
    assert!(!b.contains_key("frames/frame_000000.png"));
}

#[test]
fn resume_refuses_what_it_must_not_touch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let full = uninterrupted(dir, "cpu");
    let snap = full.join("snapshots/snapshot_00000024.olsnap");
    // An existing non-empty --out directory, as for `run`.
    let busy = dir.join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("keep.txt"), "x").unwrap();
    refused(
        dir,
        &["resume", s(&snap), "--out", s(&busy)],
        "exists and is not empty",
    );
    refused(
        dir,
        &["resume", s(&snap), "--out", s(&busy), "--force"],
        "not an oncolattice run directory",
    );
    assert!(busy.join("keep.txt").is_file());
    // A run directory whose scene is not the snapshot's.
    let other = dir.join("other");
    std::fs::create_dir_all(other.join("snapshots")).unwrap();
    std::fs::copy(&snap, other.join("snapshots/snapshot_00000024.olsnap")).unwrap();
    std::fs::write(other.join("scene.resolved.toml"), "seed = 1\n").unwrap();
    refused(
        dir,
        &[
            "resume",
            s(&other.join("snapshots/snapshot_00000024.olsnap")),
        ],
        "holds another run",
    );
}

#[test]
fn every_run_ends_with_a_snapshot_and_bad_intervals_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = write_scene(dir, "small.toml", SMALL);
    let out = dir.join("plain");
    ok(
        dir,
        &[
            "run",
            s(&scene),
            "--backend",
            "cpu",
            "--days",
            "0.5",
            "--out",
            s(&out),
            "-q",
        ],
    );
    let ticks: Vec<u64> = snapshots(&out).into_iter().map(|(t, _)| t).collect();
    assert_eq!(ticks, [12]);
    for bad in ["0", "-1", "nan"] {
        let out = dir.join(format!("bad{bad}"));
        refused(
            dir,
            &[
                "run",
                s(&scene),
                "--backend",
                "cpu",
                "--snapshot-every",
                bad,
                "--out",
                s(&out),
            ],
            "--snapshot-every must be > 0",
        );
        assert!(!out.exists());
    }
}

/// SMALL with a drug, its pharmacokinetics and a protocol: four daily infusions and a
/// scan every day (the scene of tests/therapy.rs, smaller).
const TREATED: &str = r#"
[[drugs]]
name = "taxane"
class = "cycle_specific"
efflux_substrate = true
emax_per_h = 0.15
ic50_um = 0.01
[drugs.pk]
molecular_weight_g_per_mol = 807.9
clearance_l_per_h = 38.0
central_volume_l = 10.0
peripheral_volume_l = 100.0
intercompartmental_clearance_l_per_h = 10.0
[therapy]
scan_every_days = 1
measurable_min_mm = 0.1
detection_limit_mm = 0.05
[[therapy.lines]]
name = "taxane"
[[therapy.lines.doses]]
drug = "taxane"
route = { kind = "infusion", duration_h = 1.0 }
dose = { amount_mg_per_m2 = 75.0 }
interval_days = 1
cycles = 4
"#;

#[test]
fn treated_runs_resume_with_their_drugs_pharmacokinetics_and_protocol() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = write_scene(dir, "treated.toml", &format!("{SMALL}{TREATED}"));
    let full = dir.join("full");
    ok(
        dir,
        &[
            "run",
            s(&scene),
            "--backend",
            "cpu",
            "--snapshot-every",
            "0.5",
            "--out",
            s(&full),
            "-q",
        ],
    );
    // Between two doses (tick 36) and on a dose and scan tick (tick 48).
    for tick in [36, 48] {
        let snap = full.join(format!("snapshots/snapshot_{tick:08}.olsnap"));
        let header = oncolattice::output::snapshot::Snapshot::read(&snap)
            .unwrap()
            .header;
        assert!(header.therapy.is_some());
        assert_eq!(header.therapy_log.len(), tick as usize);
        assert!(header.therapy_log.iter().any(|t| t.doses_mg[0] > 0.0));
        let clones = oncolattice::output::snapshot::Snapshot::read(&snap)
            .unwrap()
            .state
            .lineage
            .clones
            .len();
        assert!(clones > 3, "tick {tick}: {clones} clones");
        let out = dir.join(format!("from-{tick}"));
        ok(dir, &["resume", s(&snap), "--out", s(&out), "-q"]);
        assert_same_run(&full, &out);
    }
}
