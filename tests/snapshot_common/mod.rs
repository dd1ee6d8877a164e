//! Helpers shared by the snapshot, resume and export tests: the binary, scenes on
//! disk, and byte-for-byte comparison of run directories.

#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]

pub mod synthetic;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

/// 48 × 48 sites of 20 µm, 3 days of 1 h ticks, a row every 6 h, a frame every 12 h:
/// random capillaries and a tumour that grows, turns hypoxic and loses cells.
pub const SMALL: &str = r#"
name = "resume-small"
seed = 5
[lattice]
nx = 48
ny = 48
[time]
duration_days = 3
report_every_h = 6
[tumour]
radius_um = 120.0
[vessels]
layout = "random"
density = 0.02
perfusion = 0.7
perfusion_spread = 0.3
[cells]
apoptosis_per_h = 0.01
[output]
frame_every_h = 12
# Frequent mutations, so that the lineage table grows across the snapshots.
[resistance]
efflux_mutation_per_division = 0.02
slow_cycle_mutation_per_division = 0.02
"#;

/// Runs the binary in `cwd`; fails the test on a panic.
pub fn oncolattice(cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("the binary starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs and asserts exit code 0.
pub fn ok(cwd: &Path, args: &[&str]) -> Output {
    let out = oncolattice(cwd, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "oncolattice {}: {}",
        args.join(" "),
        stderr(&out)
    );
    out
}

/// Runs and asserts exit code 2 (bad input) with `expected` in the message; returns it.
pub fn refused(cwd: &Path, args: &[&str], expected: &str) -> String {
    let out = oncolattice(cwd, args);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "oncolattice {}: {err}",
        args.join(" ")
    );
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
    err
}

pub fn write_scene(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 test path")
}

/// Every file under `dir`, by path relative to it, with its bytes.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts that two run directories hold the same files with the same bytes, apart
/// from performance.json (wall-clock figures), which both must have.
pub fn assert_same_run(expected: &Path, actual: &Path) {
    let mut a = files(expected);
    let mut b = files(actual);
    assert!(
        a.remove("performance.json").is_some(),
        "{}",
        expected.display()
    );
    assert!(
        b.remove("performance.json").is_some(),
        "{}",
        actual.display()
    );
    // The marker holds the pid of the process that ran there last.
    let marker = oncolattice::output::run_files::MARKER;
    for (dir, files) in [(expected, &mut a), (actual, &mut b)] {
        let pid = files.remove(marker);
        assert!(
            pid.is_some_and(|p| String::from_utf8_lossy(&p).trim().parse::<u32>().is_ok()),
            "{}",
            dir.display()
        );
    }
    let names_a: Vec<&String> = a.keys().collect();
    let names_b: Vec<&String> = b.keys().collect();
    assert_eq!(
        names_a, names_b,
        "the two run directories hold different files"
    );
    for (name, bytes) in &a {
        if bytes != &b[name] {
            let text = |v: &[u8]| {
                String::from_utf8_lossy(v)
                    .chars()
                    .take(3000)
                    .collect::<String>()
            };
            let detail =
                if name.ends_with(".csv") || name.ends_with(".json") || name.ends_with(".toml") {
                    format!(
                        "\n--- expected\n{}\n--- actual\n{}",
                        text(bytes),
                        text(&b[name])
                    )
                } else {
                    format!(" ({} vs {} bytes)", bytes.len(), b[name].len())
                };
            panic!(
                "{name} differs between {} and {}{detail}",
                expected.display(),
                actual.display()
            );
        }
    }
}

/// The snapshot files of a run directory, by tick.
pub fn snapshots(run: &Path) -> Vec<(u64, PathBuf)> {
    oncolattice::output::snapshot::list(&run.join("snapshots"))
}

/// Runs SMALL uninterrupted on `backend` with a snapshot every day into `<dir>/full`.
pub fn uninterrupted(dir: &Path, backend: &str) -> PathBuf {
    uninterrupted_scene(dir, backend, "small.toml", SMALL)
}

/// Runs the 3-day scene `text` (written as `<dir>/<name>`) uninterrupted on `backend`
/// with a snapshot every day into `<dir>/full`.
pub fn uninterrupted_scene(dir: &Path, backend: &str, name: &str, text: &str) -> PathBuf {
    let scene = write_scene(dir, name, text);
    let full = dir.join("full");
    ok(
        dir,
        &[
            "run",
            s(&scene),
            "--backend",
            backend,
            "--snapshot-every",
            "1",
            "--out",
            s(&full),
            "-q",
        ],
    );
    let ticks: Vec<u64> = snapshots(&full).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        ticks,
        [24, 48, 72],
        "a snapshot every day, the last one final"
    );
    full
}

/// Resumes from the middle snapshot into a new directory and in place (a copy of the
/// full run rolled back with --force), and checks both against the uninterrupted run.
pub fn resume_equivalence(backend: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let full = uninterrupted(dir, backend);

    // Into a new directory, from the day-1 snapshot: it receives the history first.
    let snap = full.join("snapshots/snapshot_00000024.olsnap");
    let resumed = dir.join("resumed");
    let out = ok(dir, &["resume", s(&snap), "--out", s(&resumed)]);
    let text = stdout(&out);
    assert!(text.contains("from tick 24 to 72"), "{text}");
    assert_same_run(&full, &resumed);
    let perf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(resumed.join("performance.json")).unwrap()).unwrap();
    assert_eq!(perf["start_tick"], 24);
    assert_eq!(perf["end_tick"], 72);
    assert_eq!(perf["backend"]["kind"], backend);

    // In place, from the day-2 snapshot of a completed run: refused without --force.
    let copy = dir.join("copy");
    std::fs::create_dir(&copy).unwrap();
    for (name, bytes) in files(&full) {
        let path = copy.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let snap = copy.join("snapshots/snapshot_00000048.olsnap");
    refused(dir, &["resume", s(&snap)], "past the snapshot's tick 48");
    assert_same_run(&full, &copy);
    ok(dir, &["resume", s(&snap), "--force", "-q"]);
    assert_same_run(&full, &copy);
}

/// A snapshot's container as read (every section decoded), for tests that take a
/// file apart and write it back changed.
pub fn open_container(path: &Path) -> oncolattice::output::snapshot::codec::Container {
    oncolattice::output::snapshot::codec::read(path, &|_, _| true).expect("a readable container")
}

/// Writes `c` (header and sections, in order) as a new file at `path`.
pub fn write_container(path: &Path, c: &oncolattice::output::snapshot::codec::Container) {
    use oncolattice::output::snapshot::codec::{self, SectionData, SectionOut, SectionSlice};
    let sections: Vec<SectionOut> = c
        .sections
        .iter()
        .map(|(info, data)| SectionOut {
            name: &info.name,
            shape: &info.shape,
            required: info.required,
            data: match data {
                SectionData::U8(v) => SectionSlice::U8(v),
                SectionData::U16(v) => SectionSlice::U16(v),
                SectionData::U32(v) => SectionSlice::U32(v),
                SectionData::F32(v) => SectionSlice::F32(v),
            },
        })
        .collect();
    codec::write(path, &c.header, &sections).expect("the container writes");
}
