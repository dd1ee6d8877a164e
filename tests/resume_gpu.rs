//! Resume on the GPU backend (Mesa's lavapipe without a GPU; fails, never skips,
//! without an adapter): resumed runs write the same bytes as the uninterrupted run, and
//! a GPU snapshot can be continued on the CPU backend.

mod snapshot_common;

use snapshot_common::*;

#[test]
fn gpu_resumed_runs_match_the_uninterrupted_run() {
    resume_equivalence("gpu");
}

#[test]
fn a_gpu_snapshot_continues_on_the_cpu_backend() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let full = uninterrupted(dir, "gpu");
    let snap = full.join("snapshots/snapshot_00000048.olsnap");
    let out = dir.join("on-cpu");
    ok(
        dir,
        &[
            "resume",
            s(&snap),
            "--backend",
            "cpu",
            "--out",
            s(&out),
            "-q",
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["completed"], true);
    assert_eq!(summary["backend"]["kind"], "cpu");
    let note = summary["backend"]["note"].as_str().unwrap();
    assert!(
        note.contains("resumed at tick 48 from a snapshot computed by the gpu backend"),
        "{note}"
    );
    // The history up to the snapshot is the GPU run's.
    let (a, b) = (files(&full), files(&out));
    for name in [
        "frames/frame_000004.png",
        "snapshots/snapshot_00000024.olsnap",
    ] {
        assert_eq!(a[name], b[name], "{name}");
    }
}
