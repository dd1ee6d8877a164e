//! Damaged snapshots are refused, each kind with its own message, by the library and
//! by `resume` and `export` (exit code 2, nothing written): truncated anywhere,
//! corrupted anywhere (a flipped byte, bytes appended), a foreign file, a future
//! format version, a missing file.

mod snapshot_common;

use oncolattice::output::snapshot::{Snapshot, SnapshotError};
use snapshot_common::*;
use std::path::{Path, PathBuf};

/// A real snapshot from a short CPU run, and the header length inside it.
fn good_snapshot(dir: &Path) -> (PathBuf, usize) {
    let scene = write_scene(dir, "small.toml", SMALL);
    let run = dir.join("run");
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
            s(&run),
            "-q",
        ],
    );
    let (tick, path) = snapshots(&run).pop().expect("a final snapshot");
    assert_eq!(tick, 12);
    let bytes = std::fs::read(&path).unwrap();
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    (path, header_len)
}

/// Writes `bytes` as a damaged snapshot and checks the library's verdict and both
/// commands' refusal.
fn check(dir: &Path, name: &str, bytes: &[u8], expected: &str, is: fn(&SnapshotError) -> bool) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let e = Snapshot::read(&path).unwrap_err();
    assert!(is(&e), "{name}: wrong kind of error: {e}");
    assert!(e.to_string().contains(expected), "{name}: {e}");
    assert!(
        e.to_string().contains(name),
        "{name}: the message names the file: {e}"
    );

    let before: Vec<String> = files(dir).into_keys().collect();
    let out = dir.join(format!("{name}.resumed"));
    refused(dir, &["resume", s(&path), "--out", s(&out)], expected);
    assert!(!out.exists(), "{name}: resume created {}", out.display());
    let export = dir.join(format!("{name}.export"));
    refused(
        dir,
        &["export", s(&path), "--vti", "--npz", "--out", s(&export)],
        expected,
    );
    refused(dir, &["export", s(&path), "--npz"], expected);
    let after: Vec<String> = files(dir).into_keys().collect();
    assert_eq!(before, after, "{name}: a refused command wrote something");
}

fn truncated(e: &SnapshotError) -> bool {
    matches!(e, SnapshotError::Truncated { .. })
}
fn corrupted(e: &SnapshotError) -> bool {
    matches!(e, SnapshotError::Corrupted { .. })
}
fn foreign(e: &SnapshotError) -> bool {
    matches!(e, SnapshotError::Foreign { .. })
}
fn future(e: &SnapshotError) -> bool {
    matches!(e, SnapshotError::FutureVersion { .. })
}

#[test]
fn truncated_snapshots_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, h) = good_snapshot(tmp.path());
    let bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    for (what, cut) in [
        ("empty", 0),
        ("in-magic", 5),
        ("in-prefix", 12),
        ("in-header", 16 + h / 2),
        ("in-header-check", 16 + h + 2),
        ("in-sites", 20 + h + 100),
        ("in-oxygen", n - 100),
        ("in-trailer", n - 2),
    ] {
        check(
            tmp.path(),
            &format!("truncated-{what}.olsnap"),
            &bytes[..cut],
            "snapshot is truncated",
            truncated,
        );
    }
}

#[test]
fn corrupted_snapshots_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, h) = good_snapshot(tmp.path());
    let bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    for (what, at) in [
        ("header", 16 + h / 2),
        ("header-check", 16 + h + 1),
        ("sites", 20 + h + 1000),
        ("oxygen", n - 200),
        ("trailer", n - 1),
    ] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        check(
            tmp.path(),
            &format!("flipped-{what}.olsnap"),
            &damaged,
            "snapshot is corrupted",
            corrupted,
        );
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"garbage");
    check(
        tmp.path(),
        "appended.olsnap",
        &longer,
        "snapshot is corrupted",
        corrupted,
    );
}

#[test]
fn foreign_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, _) = good_snapshot(tmp.path());
    let run = path.parent().unwrap().parent().unwrap();
    let png = std::fs::read(run.join("frames/frame_000000.png")).unwrap();
    check(
        tmp.path(),
        "frame.olsnap",
        &png,
        "not an oncolattice snapshot",
        foreign,
    );
    check(
        tmp.path(),
        "scene.olsnap",
        SMALL.as_bytes(),
        "not an oncolattice snapshot",
        foreign,
    );
}

#[test]
fn future_versions_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, _) = good_snapshot(tmp.path());
    let mut bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[8..12], &2u32.to_le_bytes(), "written in format 2");
    bytes[8..12].copy_from_slice(&3u32.to_le_bytes());
    check(
        tmp.path(),
        "future.olsnap",
        &bytes,
        "snapshot format version 3 is newer than this oncolattice reads (up to 2)",
        future,
    );
}

#[test]
fn missing_snapshots_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nothing-here.olsnap");
    refused(
        tmp.path(),
        &["resume", s(&missing), "--out", s(&tmp.path().join("out"))],
        "cannot read snapshot",
    );
    refused(
        tmp.path(),
        &["export", s(&missing), "--npz"],
        "cannot read snapshot",
    );
    // A directory without snapshots is not a snapshot either.
    refused(
        tmp.path(),
        &["export", s(tmp.path()), "--npz"],
        "a directory without snapshots",
    );
    assert_eq!(files(tmp.path()).len(), 0, "nothing was written");
}
