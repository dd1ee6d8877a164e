//! Issue 11, item 7: memory is checked up front on the CPU backend too. A 30000² scene
//! passed `check` and aborted `run` on a 14.4 GB allocation; now `check` prints what a
//! scene needs per backend and `run` refuses, with the numbers, what the machine (here
//! `ONCOLATTICE_MEMORY_LIMIT_BYTES`, so the test does not depend on the machine)
//! cannot hold, before allocating anything. One test in this file, so that the
//! children's peak memory (`getrusage`) is this test's alone.

mod snapshot_common;

use snapshot_common::*;
use std::process::Command;

const HUGE: &str = r#"
name = "huge"
seed = 1
[lattice]
nx = 30000
ny = 30000
[time]
duration_days = 1
[output]
frame_every_h = 0
"#;

/// The largest resident set of any child waited for so far, in bytes.
#[cfg(unix)]
fn children_peak_rss() -> u64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) },
        0
    );
    usage.ru_maxrss as u64 * 1024
}

#[test]
fn memory_checked_up_front_on_the_cpu_backend_too() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = write_scene(dir, "huge.toml", HUGE);
    let limit = "8000000000";

    let checked = Command::new(BIN)
        .current_dir(dir)
        .args(["check", s(&scene)])
        .env("ONCOLATTICE_MEMORY_LIMIT_BYTES", limit)
        .output()
        .unwrap();
    assert_eq!(checked.status.code(), Some(0));
    let text = stdout(&checked);
    // 900,000,000 sites × (40 B of CPU backend + 20 B of host state); the GPU backend's
    // 44 B/site on the device and one host state.
    assert!(
        text.contains(
            "  memory    CPU backend 50.3 GiB (54000000000 bytes) (60 B/site); \
             GPU backend 36.9 GiB (39600000000 bytes) on the device (44 B/site) and \
             16.8 GiB (18000000000 bytes) on the host; \
             available 7.5 GiB (8000000000 bytes) (ONCOLATTICE_MEMORY_LIMIT_BYTES)"
        ),
        "{text}"
    );

    let out = dir.join("run");
    let ran = Command::new(BIN)
        .current_dir(dir)
        .args(["run", s(&scene), "--backend", "cpu", "--out", s(&out), "-q"])
        .env("ONCOLATTICE_MEMORY_LIMIT_BYTES", limit)
        .output()
        .unwrap();
    let err = stderr(&ran);
    assert_eq!(ran.status.code(), Some(2), "{err}");
    assert_eq!(
        err.trim_end(),
        "error: the scene has 900000000 sites and needs about 50.3 GiB (54000000000 bytes) of \
         memory on the cpu backend (60 B/site), but only 7.5 GiB (8000000000 bytes) is \
         available (ONCOLATTICE_MEMORY_LIMIT_BYTES); use a smaller lattice or the GPU backend"
    );
    assert!(!out.exists(), "nothing written");
    // Nothing allocated: the refused run never held more than a small process does.
    #[cfg(unix)]
    assert!(
        children_peak_rss() < 200 << 20,
        "peak {} bytes",
        children_peak_rss()
    );

    // A limit that is not a number is refused as such.
    let bad = Command::new(BIN)
        .current_dir(dir)
        .args(["run", s(&scene), "--backend", "cpu", "--out", s(&out), "-q"])
        .env("ONCOLATTICE_MEMORY_LIMIT_BYTES", "8 GB")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains(
            "ONCOLATTICE_MEMORY_LIMIT_BYTES must be a whole number of bytes (got \"8 GB\")"
        ),
        "{}",
        stderr(&bad)
    );
    assert!(!out.exists());
}
