//! Issue 11, items 3 to 6: run directories that never collide or get stuck, `--force`
//! that replaces only what the tool wrote, and an end phase whose failure is not
//! "completed". The binary end to end, CPU backend.

mod snapshot_common;

use snapshot_common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// 200² for 10 days of 1 h ticks, no frames: a few seconds, so that runs started
/// together overlap.
const LONGER: &str = r#"
name = "longer"
seed = 9
[lattice]
nx = 200
ny = 200
[time]
duration_days = 10
report_every_h = 6
[tumour]
radius_um = 150.0
[vessels]
layout = "random"
density = 0.02
[output]
frame_every_h = 0
"#;

fn spawn(cwd: &Path, args: &[&str]) -> Child {
    Command::new(BIN)
        .current_dir(cwd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

fn run_args<'a>(scene: &'a Path, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["run", s(scene), "--backend", "cpu", "--out", s(out), "-q"];
    args.extend_from_slice(extra);
    args
}

fn summary(run: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(run.join("summary.json")).unwrap()).unwrap()
}

/// Every path under `dir`, relative, sorted (hidden files included).
fn tree(dir: &Path) -> Vec<String> {
    files(dir).into_keys().collect()
}

#[test]
fn one_run_per_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = write_scene(dir, "longer.toml", LONGER);
    let out = dir.join("shared");
    let children: Vec<Child> = (0..4)
        .map(|_| spawn(dir, &run_args(&scene, &out, &["--no-plots"])))
        .collect();
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    let results: Vec<(Option<i32>, String)> = children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .collect();
    let winners: Vec<usize> = (0..4).filter(|&i| results[i].0 == Some(0)).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let winner = pids[winners[0]];
    for (i, (code, err)) in results.iter().enumerate() {
        if i == winners[0] {
            continue;
        }
        assert_eq!(*code, Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "is in use by another oncolattice process (pid {winner})"
            )),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    // The survivor's results are whole: the same bytes as the run alone.
    let alone = dir.join("alone");
    ok(dir, &run_args(&scene, &alone, &["--no-plots"]));
    assert_same_run(&alone, &out);
    assert_eq!(summary(&out)["completed"], true);
    // The lock went with the process: the directory can be run again.
    ok(
        dir,
        &run_args(&scene, &out, &["--no-plots", "--force", "--days", "0.5"]),
    );
}

#[test]
fn no_stuck_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = write_scene(dir, "longer.toml", LONGER);
    // Killed at several moments of its start, before or after the first files: the
    // directory is either absent, empty, or marked as a run directory.
    for (k, delay_ms) in [0u64, 1, 3, 10, 30, 100, 300].into_iter().enumerate() {
        let out = dir.join(format!("killed-{k}"));
        let mut child = spawn(dir, &run_args(&scene, &out, &[]));
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if out.exists() {
            let names = tree(&out);
            assert!(
                names.is_empty() || names.iter().any(|n| n == ".oncolattice-run"),
                "killed after {delay_ms} ms: {names:?}"
            );
        }
        ok(dir, &run_args(&scene, &out, &["--force", "--days", "0.25"]));
        assert_eq!(
            summary(&out)["completed"],
            true,
            "killed after {delay_ms} ms"
        );
    }

    // `resume --out` killed while copying the history: replaced with --force.
    let source = dir.join("source");
    ok(
        dir,
        &run_args(
            &scene,
            &source,
            &["--days", "3", "--snapshot-every", "1", "--no-plots"],
        ),
    );
    let snap = source.join("snapshots/snapshot_00000048.olsnap");
    for (k, delay_ms) in [0u64, 2, 5, 20, 60].into_iter().enumerate() {
        let out = dir.join(format!("copy-{k}"));
        let mut child = spawn(dir, &["resume", s(&snap), "--out", s(&out), "-q"]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        ok(
            dir,
            &["resume", s(&snap), "--out", s(&out), "--force", "-q"],
        );
        assert_same_run(&source, &out);
    }

    // A directory that holds only the marker (a run killed right after making it) is
    // used as an empty one, without --force.
    let marked = dir.join("marked");
    std::fs::create_dir(&marked).unwrap();
    std::fs::write(marked.join(".oncolattice-run"), "").unwrap();
    ok(dir, &run_args(&scene, &marked, &["--days", "0.25"]));
}

#[test]
fn force_replaces_only_what_the_tool_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = write_scene(dir, "longer.toml", LONGER);
    let out = dir.join("run");
    ok(dir, &run_args(&scene, &out, &["--days", "0.5"]));
    std::fs::create_dir(out.join("analysis")).unwrap();
    std::fs::write(out.join("analysis/notes.md"), "years of work").unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::write(out.join("snapshots/fit.csv"), "mine too").unwrap();
    let before = files(&out);
    let err = refused(
        dir,
        &run_args(&scene, &out, &["--force", "--days", "0.25"]),
        "holds files oncolattice did not write: analysis, notes.txt, snapshots/fit.csv; \
         refusing to replace it even with --force",
    );
    assert!(err.contains(&out.display().to_string()), "{err}");
    assert_eq!(files(&out), before, "nothing was touched");

    // Without them, --force replaces the run, and only the run's files were there.
    std::fs::remove_dir_all(out.join("analysis")).unwrap();
    std::fs::remove_file(out.join("notes.txt")).unwrap();
    std::fs::remove_file(out.join("snapshots/fit.csv")).unwrap();
    ok(dir, &run_args(&scene, &out, &["--force", "--days", "0.25"]));
    let alone = dir.join("alone");
    ok(dir, &run_args(&scene, &alone, &["--days", "0.25"]));
    assert_same_run(&alone, &out);
}

/// Every temporary file (`.NAME.tmp`) under `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p: PathBuf = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".tmp") {
                found.push(p.display().to_string());
            }
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    found
}

#[test]
fn a_failed_end_phase_is_not_completed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = write_scene(dir, "small.toml", SMALL);
    let run = dir.join("run");
    ok(dir, &run_args(&scene, &run, &["--snapshot-every", "1"]));
    assert_eq!(summary(&run)["completed"], true);
    let snap = run.join("snapshots/snapshot_00000048.olsnap");
    // A directory (not empty, so a rename cannot replace it) where the end phase must
    // write a file: the plots, then the contact sheet. The run is resumed in place
    // from its day-2 snapshot and reaches the end phase with every tick done.
    for blocked in ["plots/burden.png", "frames/contact_sheet.png"] {
        let path = run.join(blocked);
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("in-the-way"), "").unwrap();
        let out = oncolattice(dir, &["resume", s(&snap), "--force", "-q"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{blocked}: {err}");
        assert!(
            err.contains(&path.display().to_string()),
            "{blocked}: {err}"
        );
        let sum = summary(&run);
        assert_eq!(sum["completed"], false, "{blocked}");
        assert!(
            sum["error"].as_str().unwrap().contains(blocked),
            "{blocked}: {}",
            sum["error"]
        );
        assert_eq!(sum["ticks"], 72, "{blocked}: every tick ran");
        assert_eq!(temporaries(&run), Vec::<String>::new(), "{blocked}");
        std::fs::remove_dir_all(&path).unwrap();
        ok(dir, &["resume", s(&snap), "--force", "-q"]);
        assert_eq!(summary(&run)["completed"], true, "{blocked}");
    }
}
