//! The `oncolattice` binary end to end: run directories, output-directory rules, and
//! every scene in scenes/ checked and run for a few ticks. CPU backend throughout.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

/// 40 × 40 sites, 2 days, a row every 6 h, a frame every 12 h.
const SMALL: &str = r#"
name = "small"
seed = 7
[lattice]
nx = 40
ny = 40
[time]
duration_days = 2
report_every_h = 6
[tumour]
radius_um = 60.0
[output]
frame_every_h = 12
"#;

const REQUIRED: [&str; 8] = [
    "tick",
    "time_h",
    "tumor_live",
    "tumor_quiescent",
    "necrotic",
    "vessel",
    "o2_mean_mmhg",
    "o2_residual",
];

fn oncolattice(cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("the binary starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write_scene(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `scene` into `out` with the CPU backend and extra arguments; asserts success.
fn run_ok(dir: &Path, scene: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        scene.to_str().unwrap(),
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let result = oncolattice(dir, &args);
    assert_eq!(result.status.code(), Some(0), "{}", stderr(&result));
    result
}

struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<f64>>,
}

impl Csv {
    fn read(path: &Path) -> Csv {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        // Therapy scenes add text columns and empty scan cells: those read as NaN; every
        // other value must be a number.
        let text_column = |i: usize| matches!(header[i].as_str(), "status" | "scan_response");
        let rows: Vec<Vec<f64>> = lines
            .map(|l| {
                l.split(',')
                    .enumerate()
                    .map(|(i, v)| {
                        if text_column(i) || (v.is_empty() && header[i] == "scan_mm") {
                            f64::NAN
                        } else {
                            v.parse::<f64>()
                                .unwrap_or_else(|e| panic!("{}: {v:?}: {e}", header[i]))
                        }
                    })
                    .collect()
            })
            .collect();
        for row in &rows {
            assert_eq!(row.len(), header.len());
        }
        Csv { header, rows }
    }

    fn col(&self, name: &str) -> Vec<f64> {
        let i = self.header.iter().position(|h| h == name).unwrap();
        self.rows.iter().map(|r| r[i]).collect()
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The frames of a frames/ folder (`frame_*.png`), without the contact sheet.
fn frame_files(dir: &Path) -> Vec<String> {
    let mut names = files_in(dir);
    names.retain(|n| n.starts_with("frame_"));
    assert!(
        dir.join("contact_sheet.png").is_file(),
        "frames/contact_sheet.png"
    );
    names
}

#[test]
fn run_writes_a_complete_run_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("run");
    let result = run_ok(tmp.path(), &scene, &out, &[]);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(stdout.contains("CPU backend"), "{stdout}");
    assert!(stdout.contains("done: 48 ticks"), "{stdout}");

    assert_eq!(
        files_in(&out),
        [
            ".oncolattice-run",
            "frames",
            "lineage.csv",
            "performance.json",
            "plots",
            "scene.resolved.toml",
            "snapshots",
            "summary.json",
            "timeseries.csv"
        ]
    );
    // Every file was written whole and renamed: no temporary (`.NAME.tmp`) is left in
    // the subfolders either (the listing above would show one at the top).
    for sub in ["frames", "plots", "snapshots"] {
        let names = files_in(&out.join(sub));
        assert!(!names.is_empty(), "{sub} is empty");
        assert!(
            names.iter().all(|n| !n.starts_with('.')),
            "{sub}: {names:?}"
        );
    }

    // The resolved scene is a valid scene with every section filled in.
    let resolved = std::fs::read_to_string(out.join("scene.resolved.toml")).unwrap();
    let reparsed = oncolattice::Scene::parse(&resolved, Path::new("resolved.toml")).unwrap();
    assert_eq!(reparsed.time.duration_days, 2.0);
    for section in [
        "[lattice]",
        "[time]",
        "[tumour]",
        "[vessels]",
        "[oxygen]",
        "[cells]",
        "[output]",
    ] {
        assert!(resolved.contains(section), "{section} missing:\n{resolved}");
    }

    // Time series: required columns first and in order, one row per 6 h plus tick 0.
    let csv = Csv::read(&out.join("timeseries.csv"));
    assert_eq!(&csv.header[..REQUIRED.len()], REQUIRED);
    for extra in [
        "time_days",
        "o2_sweeps",
        "hypoxic",
        "perfused_vessel",
        "tumor_radius_um",
        "tumor_diameter_um",
    ] {
        assert!(csv.header.iter().any(|h| h == extra), "{extra}");
    }
    assert_eq!(csv.rows.len(), 2 * 24 / 6 + 1);
    let ticks = csv.col("tick");
    let expected: Vec<f64> = (0..=8).map(|k| (k * 6) as f64).collect();
    assert_eq!(ticks, expected);
    assert_eq!(csv.col("time_h"), expected, "tick_h is 1 h");
    assert!(csv.col("tumor_live").iter().all(|&n| n > 0.0));
    assert!(csv.col("tumor_radius_um").iter().all(|&r| r > 0.0));
    assert!(csv.col("vessel").iter().all(|&n| n > 0.0));
    let o2 = csv.col("o2_mean_mmhg");
    assert!(o2.iter().all(|&c| c > 0.0 && c < 40.0), "{o2:?}");

    // Summary: parses, describes the run, and its final census is the CSV's last row.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scene"]["name"], "small");
    assert_eq!(summary["scene"]["seed"], 7);
    assert_eq!(summary["backend"]["kind"], "cpu");
    assert!(summary["backend"]["note"].as_str().unwrap().contains("CPU"));
    assert_eq!(summary["completed"], true);
    assert_eq!(summary["ticks"], 48);
    assert_eq!(summary["simulated_days"], 2.0);
    assert_eq!(summary["frames"], 5);
    // Wall-clock figures live in performance.json, so summary.json depends on the
    // simulation alone.
    assert!(summary.get("wall_seconds").is_none());
    let perf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("performance.json")).unwrap())
            .unwrap();
    assert!(perf["wall_seconds"].as_f64().unwrap() > 0.0);
    assert!(perf["ticks_per_s"].as_f64().unwrap() > 0.0);
    assert!(perf["site_updates_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(perf["start_tick"], 0);
    assert_eq!(perf["end_tick"], 48);
    // The final snapshot.
    assert_eq!(
        files_in(&out.join("snapshots")),
        ["snapshot_00000048.olsnap"]
    );
    assert_eq!(summary["initial_solve"]["converged"], true);
    assert!(summary["sweeps_per_tick"]["max"].as_u64().unwrap() >= 1);
    let peak = summary["peak_tumor_live"]["cells"].as_f64().unwrap();
    let live = csv.col("tumor_live");
    assert_eq!(peak, live.iter().copied().fold(0.0, f64::max));
    let last = csv.rows.last().unwrap();
    for (name, value) in csv.header.iter().zip(last) {
        let json = summary["final"][name].as_f64();
        assert_eq!(json, Some(*value), "final.{name}");
    }
    assert!(summary["derived"]["necrotic_fraction"].is_number());

    // Frames at ticks 0, 12, 24, 36 and 48, 15 px per site (600 px), decodable.
    let frames = out.join("frames");
    assert_eq!(
        frame_files(&frames),
        (0..5)
            .map(|i| format!("frame_{i:06}.png"))
            .collect::<Vec<_>>()
    );
    for name in frame_files(&frames) {
        let img = image::open(frames.join(&name)).unwrap();
        assert_eq!((img.width(), img.height()), (600, 600), "{name}");
    }
}

#[test]
fn runs_are_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_ok(tmp.path(), &scene, &a, &["--quiet"]);
    run_ok(tmp.path(), &scene, &b, &["--quiet"]);
    for file in [
        "scene.resolved.toml",
        "timeseries.csv",
        "frames/frame_000000.png",
        "frames/frame_000004.png",
    ] {
        let (x, y) = (std::fs::read(a.join(file)), std::fs::read(b.join(file)));
        assert_eq!(x.unwrap(), y.unwrap(), "{file} differs between runs");
    }
}

#[test]
fn days_option_overrides_the_duration() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("run");
    run_ok(tmp.path(), &scene, &out, &["--days", "0.5"]);
    let csv = Csv::read(&out.join("timeseries.csv"));
    assert_eq!(csv.col("tick"), [0.0, 6.0, 12.0]);
    let resolved = std::fs::read_to_string(out.join("scene.resolved.toml")).unwrap();
    assert!(resolved.contains("duration_days = 0.5"), "{resolved}");
    // Frames at tick 0 and the final state (tick 12 is also a frame tick).
    assert_eq!(frame_files(&out.join("frames")).len(), 2);
}

#[test]
fn the_final_state_gets_a_frame_off_the_frame_interval() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("run");
    run_ok(tmp.path(), &scene, &out, &["--days", "0.75", "--quiet"]);
    // Ticks 0 and 12, then the final tick 18.
    assert_eq!(frame_files(&out.join("frames")).len(), 3);
    let csv = Csv::read(&out.join("timeseries.csv"));
    assert_eq!(csv.col("tick"), [0.0, 6.0, 12.0, 18.0]);
}

#[test]
fn frames_can_be_turned_off_and_scaled() {
    let tmp = tempfile::tempdir().unwrap();
    let off = write_scene(
        tmp.path(),
        "off.toml",
        &SMALL.replace("frame_every_h = 12", "frame_every_h = 0"),
    );
    let out = tmp.path().join("off");
    run_ok(tmp.path(), &off, &out, &["--days", "0.5"]);
    assert!(!out.join("frames").exists());

    let scaled = write_scene(
        tmp.path(),
        "scaled.toml",
        &format!("{SMALL}frame_pixels_per_site = 2\n"),
    );
    let out = tmp.path().join("scaled");
    run_ok(tmp.path(), &scaled, &out, &["--days", "0.5"]);
    let img = image::open(out.join("frames/frame_000000.png")).unwrap();
    assert_eq!((img.width(), img.height()), (80, 80));
}

#[test]
fn three_d_frames_show_the_mid_plane() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(
        tmp.path(),
        "cube.toml",
        "seed = 3\n[lattice]\nnx = 20\nny = 12\nnz = 8\n[tumour]\nradius_um = 60.0\n[vessels]\nlayout = \"none\"\n[oxygen]\nboundary_mmhg = 40.0\n[output]\nframe_pixels_per_site = 4\n",
    );
    let out = tmp.path().join("run");
    run_ok(tmp.path(), &scene, &out, &["--days", "0.25"]);
    let img = image::open(out.join("frames/frame_000000.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!((img.width(), img.height()), (80, 48));
    // The tumour sits at the centre of the mid-plane; the corners are tissue.
    assert_ne!(img.get_pixel(40, 24), img.get_pixel(0, 0));
}

#[test]
fn default_out_dir_is_runs_slash_scene_name() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let result = oncolattice(
        tmp.path(),
        &[
            "run",
            scene.to_str().unwrap(),
            "--backend",
            "cpu",
            "--days",
            "0.25",
        ],
    );
    assert_eq!(result.status.code(), Some(0), "{}", stderr(&result));
    assert!(tmp.path().join("runs/small/summary.json").is_file());
}

#[test]
fn an_existing_non_empty_dir_is_refused_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("taken");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let result = oncolattice(
        tmp.path(),
        &[
            "run",
            scene.to_str().unwrap(),
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(result.status.code(), Some(2));
    let err = stderr(&result);
    assert!(err.contains("exists and is not empty"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(files_in(&out), ["notes.txt"]);
}

#[test]
fn an_empty_dir_is_used() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("empty");
    std::fs::create_dir(&out).unwrap();
    run_ok(tmp.path(), &scene, &out, &["--days", "0.25"]);
    assert!(out.join("timeseries.csv").is_file());
}

#[test]
fn force_replaces_a_run_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("run");
    run_ok(tmp.path(), &scene, &out, &["--days", "1"]);
    let again = oncolattice(
        tmp.path(),
        &[
            "run",
            scene.to_str().unwrap(),
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
            "--days",
            "0.5",
        ],
    );
    assert_eq!(again.status.code(), Some(2), "refused without --force");
    run_ok(tmp.path(), &scene, &out, &["--days", "0.5", "--force"]);
    assert_eq!(Csv::read(&out.join("timeseries.csv")).rows.len(), 3);
    // The longer run's later frames and snapshots are gone with it.
    assert_eq!(frame_files(&out.join("frames")).len(), 2);
    assert_eq!(
        files_in(&out.join("snapshots")),
        ["snapshot_00000012.olsnap"]
    );
}

#[test]
fn force_refuses_a_dir_that_is_not_a_run_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("precious");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("thesis.tex"), "years of work").unwrap();
    let result = oncolattice(
        tmp.path(),
        &[
            "run",
            scene.to_str().unwrap(),
            "--backend",
            "cpu",
            "--out",
            out.to_str().unwrap(),
            "--force",
        ],
    );
    assert_eq!(result.status.code(), Some(2));
    let err = stderr(&result);
    assert!(err.contains("not an oncolattice run directory"), "{err}");
    assert_eq!(files_in(&out), ["thesis.tex"]);
}

#[test]
fn quiet_prints_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let result = run_ok(
        tmp.path(),
        &scene,
        &tmp.path().join("run"),
        &["--days", "0.25", "-q"],
    );
    assert!(result.stdout.is_empty());
    assert!(result.stderr.is_empty());
}

fn shipped_scenes() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let mut scenes: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    scenes.sort();
    assert!(scenes.len() >= 2, "{scenes:?}");
    scenes
}

#[test]
fn check_accepts_every_shipped_scene() {
    let tmp = tempfile::tempdir().unwrap();
    for scene in shipped_scenes() {
        let result = oncolattice(tmp.path(), &["check", scene.to_str().unwrap()]);
        assert_eq!(
            result.status.code(),
            Some(0),
            "{}: {}",
            scene.display(),
            stderr(&result)
        );
        let stdout = String::from_utf8_lossy(&result.stdout);
        assert!(stdout.contains(": ok"), "{stdout}");
        assert!(stdout.contains("lattice"), "{stdout}");
    }
    assert!(files_in(tmp.path()).is_empty(), "check writes nothing");
}

/// `check` reads a treatment scene back: drugs, combination rule, mutation rates, the
/// patient, every line and the scans.
#[test]
fn check_summarises_the_treatment() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/treatment-second-line.toml");
    let result = oncolattice(tmp.path(), &["check", scene.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&result.stdout);
    for row in [
        "  drug      erlotinib: targeted, Emax 0.06/h, IC50 0.1 µM\n",
        "  drug      osimertinib: targeted, Emax 0.06/h, IC50 0.015 µM\n",
        "  combined  Bliss independence\n",
        "  mutation  per division: target 1e-7 (erlotinib 0.004), efflux 1e-7, slow cycle 1e-7\n",
        "  patient   70 kg, 170 cm, 40 years\n",
        "  line      1: first line: erlotinib — erlotinib 150 mg oral every 1 d\n",
        "  line      2: second line: osimertinib — osimertinib 80 mg oral every 1 d\n",
        "  scans     every 7 d from day 0\n",
    ] {
        assert!(stdout.contains(row), "missing {row:?} in:\n{stdout}");
    }
}

#[test]
fn every_shipped_scene_runs_a_few_ticks() {
    let tmp = tempfile::tempdir().unwrap();
    for scene in shipped_scenes() {
        let out = tmp.path().join(scene.file_stem().unwrap());
        run_ok(tmp.path(), &scene, &out, &["--days", "0.125", "--quiet"]);
        let csv = Csv::read(&out.join("timeseries.csv"));
        assert_eq!(csv.col("tick"), [0.0, 3.0], "{}", scene.display());
        assert!(csv.col("tumor_live").iter().all(|&n| n > 0.0));
        assert!(out.join("frames/frame_000000.png").is_file());
    }
}

/// Breaks the run directory mid-run: `frames/` becomes a file at tick 10.
struct Saboteur {
    out: PathBuf,
}

impl oncolattice::Observer for Saboteur {
    fn progress(&mut self, p: &oncolattice::output::Progress) {
        if p.tick == 10 {
            let frames = self.out.join("frames");
            std::fs::remove_dir_all(&frames).unwrap();
            std::fs::write(&frames, "not a directory").unwrap();
        }
    }
}

#[test]
fn a_runtime_failure_keeps_what_was_written() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("run");
    let opts = oncolattice::RunOptions {
        out_dir: Some(out.clone()),
        backend: oncolattice::BackendChoice::Cpu,
        ..Default::default()
    };
    let err = oncolattice::run(&scene, &opts, &mut Saboteur { out: out.clone() }).unwrap_err();
    assert!(!err.is_bad_input(), "{err}");
    assert!(err.to_string().contains("frame_000001.png"), "{err}");
    // The time series is whole up to the failure, and the summary says what happened.
    let csv = Csv::read(&out.join("timeseries.csv"));
    assert_eq!(csv.col("tick"), [0.0, 6.0, 12.0]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["completed"], false);
    assert!(summary["error"]
        .as_str()
        .unwrap()
        .contains("frame_000001.png"));
    assert_eq!(summary["final"]["tick"], 12);
}

#[test]
fn info_lists_adapters() {
    let tmp = tempfile::tempdir().unwrap();
    let text = oncolattice(tmp.path(), &["info"]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    assert!(String::from_utf8_lossy(&text.stdout).contains("adapter"));
    let json = oncolattice(tmp.path(), &["info", "--json"]);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let list: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    for adapter in list.as_array().unwrap() {
        assert!(adapter["name"].is_string(), "{adapter}");
    }
}

#[test]
fn force_never_replaces_the_working_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = write_scene(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("run");
    run_ok(tmp.path(), &scene, &out, &["--days", "0.25"]);
    let result = oncolattice(
        &out,
        &[
            "run",
            scene.to_str().unwrap(),
            "--backend",
            "cpu",
            "--out",
            ".",
            "--force",
        ],
    );
    assert_eq!(result.status.code(), Some(2));
    assert!(stderr(&result).contains("holds the working directory"));
    assert!(out.join("timeseries.csv").is_file());
}
