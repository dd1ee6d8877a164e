//! Running batches: summary.csv, a re-run that skips finished runs, a batch killed
//! (SIGKILL) and run again that ends with the same summary.csv bytes, a changed batch
//! file refused, shards that merge into the single-machine summary, a failing run
//! recorded and the batch going on, and bad options refused (exit 2).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/batch")
        .join(name)
}

fn batch(args: &[&str], file: &Path, out: &Path) -> Output {
    Command::new(BIN)
        .arg("batch")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(["--backend", "cpu"])
        .args(args)
        .output()
        .unwrap()
}

/// The small trial with one patient and its scene named by absolute path, for a copy in
/// a temporary directory.
fn one_patient_batch() -> String {
    std::fs::read_to_string(fixture("small-trial.toml"))
        .unwrap()
        .replace(
            "scene = \"small-trial-scene.toml\"",
            &format!("scene = {:?}", fixture("small-trial-scene.toml")),
        )
        .replace("patients = 3", "patients = 1")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The uninterrupted batch everything is compared with (run once per test binary).
fn reference() -> &'static (tempfile::TempDir, String) {
    static REFERENCE: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("b");
        let o = batch(&["--jobs", "2"], &fixture("small-trial.toml"), &out);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
        (tmp, summary)
    })
}

fn column<'a>(header: &'a str, row: &'a str, name: &str) -> &'a str {
    let k = header.split(',').position(|h| h == name).unwrap();
    row.split(',').nth(k).unwrap()
}

#[test]
fn a_batch_writes_one_summary_row_per_run_in_batch_order() {
    let (tmp, summary) = reference();
    let listing = Command::new(BIN)
        .args(["batch", "check"])
        .arg(fixture("small-trial.toml"))
        .output()
        .unwrap();
    let listing = text(&listing.stdout);
    let lines: Vec<&str> = summary.lines().collect();
    let header = lines[0];
    assert_eq!(lines.len(), 1 + 6, "{summary}");
    // The run, arm, patient, replicate, seed and varied values are the listing's.
    for (row, listed) in lines[1..].iter().zip(listing.lines().skip(1)) {
        let n = listed.split(',').count();
        let head: Vec<&str> = row.split(',').take(n).collect();
        assert_eq!(head.join(","), listed);
        assert_eq!(column(header, row, "status"), "done", "{row}");
        assert_eq!(column(header, row, "backend"), "cpu");
        assert_eq!(column(header, row, "simulated_days"), "21");
        let live: u32 = column(header, row, "final_tumor_live").parse().unwrap();
        assert!(live > 0);
        assert!(["PD", "SD", "PR", "CR", ""].contains(&column(header, row, "best_response")));
        let pfs: f64 = column(header, row, "pfs_days").parse().unwrap();
        assert!(pfs > 0.0 && pfs <= 21.0, "{pfs}");
        // Fractions of the survivors add up to 1.
        let k = header
            .split(',')
            .position(|h| h.starts_with("failure_"))
            .unwrap();
        let sum: f64 = row
            .split(',')
            .skip(k)
            .take(11)
            .map(|c| c.parse::<f64>().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-9, "{row}");
    }
    // Each run's directory is a whole run directory whose summary names its run.
    let runs = tmp.path().join("b/runs");
    let s = std::fs::read_to_string(runs.join("daily-p000/summary.json")).unwrap();
    assert!(s.contains("\"completed\": true"), "{s}");
    assert!(s.contains("batch.toml#daily-p000"), "{s}");
    let perf = std::fs::read_to_string(tmp.path().join("b/performance.csv")).unwrap();
    assert_eq!(perf.lines().count(), 7);
    assert!(perf.starts_with("run,status,wall_seconds,ticks_per_s,device\ndaily-p000,done,"));
}

#[test]
fn runs_of_a_batch_match_the_same_scene_run_alone() {
    let (tmp, _) = reference();
    let b = tmp.path().join("b");
    let alone = tmp.path().join("alone-alternate-day-p002");
    let scene = b.join("runs/alternate-day-p002/scene.resolved.toml");
    let o = Command::new(BIN)
        .arg("run")
        .arg(&scene)
        .arg("--out")
        .arg(&alone)
        .args(["--backend", "cpu", "--quiet", "--no-plots"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for file in ["timeseries.csv", "lineage.csv"] {
        let a = std::fs::read(alone.join(file)).unwrap();
        let b = std::fs::read(b.join("runs/alternate-day-p002").join(file)).unwrap();
        assert!(
            a == b,
            "{file} differs between the batch's run and the run alone"
        );
    }
}

#[test]
fn running_again_skips_what_ended_and_rewrites_the_same_summary() {
    let (tmp, summary) = reference();
    let out = tmp.path().join("b");
    let before = std::fs::metadata(out.join("done/daily-p000.json"))
        .unwrap()
        .modified()
        .unwrap();
    let o = batch(&["--jobs", "2"], &fixture("small-trial.toml"), &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("6 runs, 6 already done, 0 run now"),
        "{}",
        text(&o.stdout)
    );
    let after = std::fs::metadata(out.join("done/daily-p000.json"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "a finished run was run again");
    assert_eq!(
        &std::fs::read_to_string(out.join("summary.csv")).unwrap(),
        summary
    );
}

#[cfg(unix)]
#[test]
fn a_batch_killed_midway_and_run_again_writes_the_same_summary() {
    let (_, summary) = reference();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    let mut child = Command::new(BIN)
        .arg("batch")
        .arg(fixture("small-trial.toml"))
        .arg("--out")
        .arg(&out)
        .args(["--backend", "cpu", "--jobs", "1", "--quiet"])
        .spawn()
        .unwrap();
    let done = |out: &Path| std::fs::read_dir(out.join("done")).map_or(0, |d| d.count());
    let t0 = std::time::Instant::now();
    while done(&out) < 2 {
        assert!(
            t0.elapsed().as_secs() < 240,
            "the batch never finished two runs"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the batch ended before it was killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Into the third run: its directory is being written.
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let ended = done(&out);
    assert!(ended < 6, "the batch finished before it was killed");
    assert!(!out.join("summary.csv").exists());
    let o = batch(&["--jobs", "2"], &fixture("small-trial.toml"), &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let said = text(&o.stdout);
    assert!(said.contains(&format!("{ended} already done")), "{said}");
    assert_eq!(
        &std::fs::read_to_string(out.join("summary.csv")).unwrap(),
        summary
    );
}

#[test]
fn a_changed_batch_file_is_refused_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("trial.toml");
    let original = one_patient_batch();
    std::fs::write(&file, &original).unwrap();
    let out = tmp.path().join("b");
    let o = batch(&["--quiet"], &file, &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    std::fs::write(&file, original.replace("patients = 1", "patients = 2")).unwrap();
    let o = batch(&["--quiet"], &file, &out);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("was started from a different batch"), "{err}");
    assert!(
        err.contains("was `patients = 1`, is now `patients = 2`"),
        "{err}"
    );
    assert!(err.contains("2 run(s) added (first: daily-p001)"), "{err}");
    assert!(err.contains("--force"), "{err}");
    let o = batch(&["--force"], &file, &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("4 runs, 2 already done, 2 run now"),
        "{}",
        text(&o.stdout)
    );
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 5);
}

#[test]
fn shards_run_apart_merge_into_the_single_machine_summary() {
    let (_, summary) = reference();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    for shard in ["2/3", "3/3"] {
        let o = batch(
            &["--shard", shard, "--quiet"],
            &fixture("small-trial.toml"),
            &out,
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    // Shard 1 holds runs 0 and 3: merge names what is missing, and where.
    let merge = |out: &Path| Command::new(BIN).arg("merge").arg(out).output().unwrap();
    let o = merge(&out);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("2 of 6 runs"), "{err}");
    assert!(
        err.contains("first daily-p000 (shard 1/3 of 3)")
            || err.contains("first daily-p000 (shard 1/3"),
        "{err}"
    );
    assert!(!out.join("summary.csv").exists());
    let o = batch(
        &["--shard", "1/3", "--quiet"],
        &fixture("small-trial.toml"),
        &out,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = merge(&out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        &std::fs::read_to_string(out.join("summary.csv")).unwrap(),
        summary
    );
}

#[test]
fn a_failing_run_is_recorded_and_the_batch_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("trial.toml");
    let text_of = one_patient_batch()
        + "\n[[arms]]\nname = \"huge\"\n[arms.set]\n\"lattice.nx\" = 3000\n\"lattice.ny\" = 3000\n";
    std::fs::write(&file, text_of).unwrap();
    let out = tmp.path().join("b");
    let o = Command::new(BIN)
        .arg("batch")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .args(["--backend", "cpu"])
        .env("ONCOLATTICE_MEMORY_LIMIT_BYTES", "200000000")
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("1 of 3 runs failed"), "{err}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with("daily-p000,") && lines[1].contains(",done,"));
    assert!(lines[3].starts_with("huge-p000,huge,0,0,"), "{}", lines[3]);
    assert!(lines[3].contains(",failed,"), "{}", lines[3]);
    assert!(
        lines[3].contains("memory"),
        "the failure's message is kept: {}",
        lines[3]
    );
}

#[test]
fn bad_options_are_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    for (args, says) in [
        (vec!["--shard", "5/4"], "shard 5 of 4 does not exist"),
        (vec!["--shard", "0/4"], "shard 0 of 4 does not exist"),
        (vec!["--jobs", "0"], "--jobs must be at least 1"),
    ] {
        let o = batch(&args, &fixture("small-trial.toml"), &out);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} left {}", out.display());
    }
    // A directory that is not a batch directory is not used.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = batch(&[], &fixture("small-trial.toml"), &out);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("is not a batch directory"));
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        left,
        ["notes.txt"],
        "the refused directory is left as it was"
    );
    // Merging what is not a batch directory.
    let o = Command::new(BIN)
        .arg("merge")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("is not a batch directory"));
}

#[test]
fn a_trial_of_a_batch_directory_is_the_trial_of_its_summary() {
    let (tmp, summary) = reference();
    let dir = tmp.path().join("b");
    let out = tmp.path().join("trial-of-dir");
    let o = Command::new(BIN)
        .arg("trial")
        .arg(&dir)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let said = text(&o.stdout);
    assert!(
        said.contains("daily: n 3,") && said.contains("alternate-day: n 3,"),
        "{said}"
    );
    // The same statistics from summary.csv's arm, pfs_days and progressed columns.
    let lines: Vec<&str> = summary.lines().collect();
    let mut csv = String::from("arm,time,event\n");
    for row in &lines[1..] {
        csv += &format!(
            "{},{},{}\n",
            column(lines[0], row, "arm"),
            column(lines[0], row, "pfs_days"),
            column(lines[0], row, "progressed")
        );
    }
    let file = tmp.path().join("pfs.csv");
    std::fs::write(&file, csv).unwrap();
    let from_csv = tmp.path().join("trial-of-csv");
    let o = Command::new(BIN)
        .args(["trial", "--survival"])
        .arg(&file)
        .arg("--out")
        .arg(&from_csv)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for f in [
        "survival_curves.csv",
        "survival_arms.csv",
        "logrank.csv",
        "hazard_ratios.csv",
    ] {
        assert_eq!(
            std::fs::read_to_string(out.join(f)).unwrap(),
            std::fs::read_to_string(from_csv.join(f)).unwrap(),
            "{f}"
        );
    }
    // Response rates: every patient's best response, counted per arm.
    let responses = std::fs::read_to_string(out.join("responses.csv")).unwrap();
    for arm in ["daily", "alternate-day"] {
        let counted: Vec<&str> = lines[1..]
            .iter()
            .filter(|r| column(lines[0], r, "arm") == arm)
            .map(|r| column(lines[0], r, "best_response"))
            .collect();
        let pd = counted.iter().filter(|r| **r == "PD").count();
        let row = responses
            .lines()
            .find(|l| l.starts_with(&format!("{arm},")))
            .unwrap();
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[1], counted.len().to_string(), "{row}");
        assert_eq!(cells[5], pd.to_string(), "{row}");
        let ne = counted.iter().filter(|r| r.is_empty()).count();
        assert_eq!(cells[6], ne.to_string(), "{row}");
    }
}

/// Two runs at once on the GPU backend (a device each) give the CPU backend's rows: the
/// backends agree bit for bit on this scene, and running side by side changes nothing.
#[test]
fn a_gpu_batch_with_two_jobs_matches_the_cpu_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("trial.toml");
    let text_of = one_patient_batch();
    std::fs::write(&file, text_of).unwrap();
    let run = |backend: &str, jobs: &str| {
        let out = tmp.path().join(backend);
        let o = Command::new(BIN)
            .arg("batch")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .args(["--backend", backend, "--jobs", jobs, "--quiet"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{backend}: {}", text(&o.stderr));
        std::fs::read_to_string(out.join("summary.csv")).unwrap()
    };
    let gpu = run("gpu", "2");
    let cpu = run("cpu", "1");
    assert_eq!(gpu.lines().count(), 3, "{gpu}");
    assert!(
        gpu.lines().skip(1).all(|l| l.contains(",done,gpu,")),
        "{gpu}"
    );
    assert_eq!(gpu.replace(",gpu,", ",cpu,"), cpu);
}

#[test]
fn jobs_default_to_one_per_core_for_small_cpu_scenes_only() {
    use oncolattice::batch::runner::auto_jobs;
    use oncolattice::batch::Batch;
    use oncolattice::BackendChoice;
    let cores = rayon::current_num_threads();
    let small = Batch::load(&fixture("small-trial.toml")).unwrap();
    let runs = small.runs().unwrap();
    assert_eq!(auto_jobs(&runs, &small, BackendChoice::Cpu), cores);
    assert_eq!(auto_jobs(&runs, &small, BackendChoice::Gpu), 1);
    assert_eq!(auto_jobs(&runs, &small, BackendChoice::Auto), 1);
    let text = one_patient_batch()
        + "\n[[arms]]\nname = \"wide\"\n[arms.set]\n\"lattice.nx\" = 257\n\"lattice.ny\" = 256\n";
    let big = Batch::parse(&text, &fixture("big.toml")).unwrap();
    let runs = big.runs().unwrap();
    assert_eq!(auto_jobs(&runs, &big, BackendChoice::Cpu), 1);
}

/// On a GPU the runs of one lattice shape are packed into the same dispatches
/// (issue 13): each packed run's time series and lineage are the bytes of the same
/// scene run alone on the GPU, its summary says it was packed, and `--jobs` changes
/// nothing.
#[test]
fn a_gpu_batch_packs_its_runs_and_each_matches_its_run_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("trial.toml");
    // One patient, two arms: two runs that differ in seed and therapy.
    std::fs::write(&file, one_patient_batch()).unwrap();
    let run = |jobs: &str| {
        let out = tmp.path().join(format!("gpu-{jobs}"));
        let o = Command::new(BIN)
            .arg("batch")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .args(["--backend", "gpu", "--jobs", jobs, "--quiet"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        out
    };
    let one = run("1");
    let two = run("2");
    let summary = std::fs::read_to_string(one.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 3, "{summary}");
    assert_eq!(
        summary,
        std::fs::read_to_string(two.join("summary.csv")).unwrap()
    );
    let runs: Vec<PathBuf> = std::fs::read_dir(one.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 2);
    for dir in &runs {
        let s = std::fs::read_to_string(dir.join("summary.json")).unwrap();
        assert!(s.contains("; packed)"), "{s}");
        let alone = tmp.path().join("alone");
        let o = Command::new(BIN)
            .arg("run")
            .arg(dir.join("scene.resolved.toml"))
            .arg("--out")
            .arg(&alone)
            .args(["--backend", "gpu", "--quiet", "--no-plots", "--force"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        for file in ["timeseries.csv", "lineage.csv"] {
            let a = std::fs::read(alone.join(file)).unwrap();
            let b = std::fs::read(dir.join(file)).unwrap();
            assert!(a == b, "{}: {file} differs packed and alone", dir.display());
        }
    }
}
