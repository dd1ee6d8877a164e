//! Issue 11, bad input: every PK and dose key has physical bounds; `check` refuses
//! everything `run` refuses, with the scene's own key names and `file:line:col`; a few
//! exit codes and messages of the command line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

/// A small treated scene, valid as it stands; cases replace one `key = value` line.
const SCENE: &str = r#"seed = 3
[lattice]
nx = 16
ny = 16
[time]
duration_days = 1
[tumour]
radius_um = 60.0
[vessels]
layout = "random"
density = 0.03
[output]
frame_every_h = 0

[[drugs]]
name = "chemo"
class = "nonspecific"
emax_per_h = 0.05
ic50_um = 0.5
[drugs.pk]
molecular_weight_g_per_mol = 499.6
clearance_l_per_h = 36.0
central_volume_l = 8.0
peripheral_volume_l = 100.0
intercompartmental_clearance_l_per_h = 10.0
absorption_per_h = 0.4
bioavailability = 0.6
renal_fraction = 0.2

[patient]
weight_kg = 70.0
serum_creatinine_mg_per_dl = 1.0

[therapy]
scan_every_days = 2.0
confirm_progression_scans = 1
[therapy.holidays]
on_days = 5.0
off_days = 2.0
[[therapy.lines]]
name = "first"
[[therapy.lines.doses]]
drug = "chemo"
route = { kind = "infusion", duration_h = 1.0 }
dose = { amount_mg_per_m2 = 75.0 }
start_day = 0.0
interval_days = 7.0
cycles = 4
"#;

struct Case {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Case {
    fn new(text: &str) -> Case {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        std::fs::write(dir.join("bad.toml"), text).unwrap();
        Case { _tmp: tmp, dir }
    }

    fn cmd(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .current_dir(&self.dir)
            .args(args)
            .output()
            .unwrap()
    }

    /// `check` and `run` both refuse with exit 2, the same first line, and no output.
    fn refused(&self) -> String {
        let check = self.cmd(&["check", "bad.toml"]);
        let check_err = String::from_utf8_lossy(&check.stderr).into_owned();
        assert_eq!(check.status.code(), Some(2), "check: {check_err}");
        let run = self.cmd(&["run", "bad.toml", "--backend", "cpu", "--out", "out", "-q"]);
        let run_err = String::from_utf8_lossy(&run.stderr).into_owned();
        assert_eq!(run.status.code(), Some(2), "run: {run_err}");
        assert_eq!(check_err, run_err, "check and run disagree");
        assert!(!self.dir.join("out").exists(), "run left a directory");
        assert!(!check_err.contains("panicked"), "{check_err}");
        check_err
    }
}

/// `SCENE` with the line `key = …` (the first one) replaced by `key = value`, and the
/// 1-based (line, column) of the new value.
fn with(key: &str, value: &str) -> (String, usize, usize) {
    let mut found = None;
    let lines: Vec<String> = SCENE
        .lines()
        .enumerate()
        .map(|(n, l)| {
            if found.is_none() && l.starts_with(&format!("{key} = ")) {
                found = Some(n + 1);
                format!("{key} = {value}")
            } else {
                l.to_string()
            }
        })
        .collect();
    let line = found.unwrap_or_else(|| panic!("no line {key} in SCENE"));
    (lines.join("\n") + "\n", line, key.len() + 4)
}

/// Refuses `value` for `key` at its line and column, naming `full_key` and `allowed`.
fn assert_value_refused(key: &str, full_key: &str, value: &str, allowed: &str) {
    let (text, line, col) = with(key, value);
    let stderr = Case::new(&text).refused();
    let at = format!("error: bad.toml:{line}:{col}: {full_key} ");
    assert!(
        stderr.starts_with(&at),
        "{key} = {value}: expected {at:?} in:\n{stderr}"
    );
    assert!(
        stderr.contains(allowed),
        "{key} = {value}: expected {allowed:?} in:\n{stderr}"
    );
}

const ABSURD: [&str; 6] = ["1e308", "5e-324", "-1.0", "0.0", "nan", "inf"];

#[test]
fn the_base_scene_is_valid() {
    let c = Case::new(SCENE);
    let out = c.cmd(&["check", "bad.toml"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pk_keys_out_of_range_are_refused_with_location() {
    for (key, allowed) in [
        ("molecular_weight_g_per_mol", "between 1 and 1000000 g/mol"),
        ("clearance_l_per_h", "between 0.0001 and 10000 L/h"),
        ("central_volume_l", "between 0.1 and 100000 L"),
        ("peripheral_volume_l", "between 0.1 and 100000 L"),
        (
            "intercompartmental_clearance_l_per_h",
            "between 0.0001 and 10000 L/h",
        ),
        ("absorption_per_h", "between 0.0001 and 100 1/h"),
        ("bioavailability", "between 0.0001 and 1 "),
    ] {
        for value in ABSURD {
            assert_value_refused(key, &format!("drugs[0].pk.{key}"), value, allowed);
        }
    }
    for value in ["1.5", "-0.1", "nan"] {
        assert_value_refused(
            "renal_fraction",
            "drugs[0].pk.renal_fraction",
            value,
            "between 0 and 1",
        );
    }
    // What the message shows of the value: the value, not hundreds of digits.
    let (text, _, _) = with("central_volume_l", "1e308");
    assert!(Case::new(&text).refused().contains("(got 1e308)"));
    // Phenotype multipliers, given as a table of their own.
    let text = SCENE.replace(
        "renal_fraction = 0.2\n",
        "renal_fraction = 0.2\n[drugs.pk.phenotype_clearance_multipliers]\n\
         poor = 0.3\nintermediate = 0.6\nnormal = 1.0\nultra_rapid = 1e300\n",
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("ultra_rapid"))
        .unwrap()
        + 1;
    let stderr = Case::new(&text).refused();
    assert!(
        stderr.starts_with(&format!(
            "error: bad.toml:{line}:15: drugs[0].pk.phenotype_clearance_multipliers.ultra_rapid must be between 0.001 and 100"
        )),
        "{stderr}"
    );
}

#[test]
fn dose_keys_out_of_range_are_refused_with_location() {
    let dose = "therapy.lines[0].doses[0]";
    // Inline tables: the value inside `{ … }` is located.
    for (value, key, allowed) in [
        (
            "{ amount_mg = 1e308 }",
            "amount_mg",
            "between 1e-6 and 100000 mg",
        ),
        (
            "{ amount_mg = 5e-324 }",
            "amount_mg",
            "between 1e-6 and 100000 mg",
        ),
        (
            "{ amount_mg = nan }",
            "amount_mg",
            "between 1e-6 and 100000 mg (got NaN)",
        ),
        (
            "{ amount_mg_per_m2 = -75 }",
            "amount_mg_per_m2",
            "between 1e-6 and 50000 mg/m² (got -75)",
        ),
        (
            "{ amount_mg_per_kg = inf }",
            "amount_mg_per_kg",
            "between 1e-8 and 2000 mg/kg (got inf)",
        ),
    ] {
        let (text, line, _) = with("dose", value);
        let col = "dose = { ".len() + key.len() + 4;
        let stderr = Case::new(&text).refused();
        let at = format!("error: bad.toml:{line}:{col}: {dose}.dose.{key} must be {allowed}");
        assert!(stderr.starts_with(&at), "expected {at:?} in:\n{stderr}");
    }
    for value in ["0.0", "-1", "1e308", "nan"] {
        let (text, line, _) = with(
            "route",
            &format!("{{ kind = \"infusion\", duration_h = {value} }}"),
        );
        let col = "route = { kind = \"infusion\", duration_h = ".len() + 1;
        let stderr = Case::new(&text).refused();
        let at = format!(
            "error: bad.toml:{line}:{col}: {dose}.route.duration_h must be between 0.01 and 2160 h"
        );
        assert!(stderr.starts_with(&at), "expected {at:?} in:\n{stderr}");
    }
    for value in ["-1.0", "1e308", "nan"] {
        assert_value_refused(
            "start_day",
            &format!("{dose}.start_day"),
            value,
            "between 0 and 36525 days",
        );
    }
    for value in ["0.01", "0.0", "-7", "1e308", "inf"] {
        assert_value_refused(
            "interval_days",
            &format!("{dose}.interval_days"),
            value,
            "must be at least one tick (1 h) and at most 36525 days",
        );
    }
}

#[test]
fn patient_keys_out_of_range_are_refused_with_location() {
    for value in ["0.0", "1e308", "5e-324", "nan"] {
        assert_value_refused(
            "serum_creatinine_mg_per_dl",
            "patient.serum_creatinine_mg_per_dl",
            value,
            "between 0.1 and 20 mg/dL",
        );
    }
    for value in ["1e308", "-70", "nan"] {
        assert_value_refused("weight_kg", "patient.weight_kg", value, "20 … 400 kg");
    }
}

#[test]
fn periods_shorter_than_a_tick_are_refused_by_check_with_scene_keys() {
    for (key, full_key) in [
        ("scan_every_days", "therapy.scan_every_days"),
        ("on_days", "therapy.holidays.on_days"),
        ("off_days", "therapy.holidays.off_days"),
    ] {
        let (text, line, col) = with(key, "0.01");
        let stderr = Case::new(&text).refused();
        assert!(
            stderr.starts_with(&format!(
                "error: bad.toml:{line}:{col}: {full_key} must be at least one tick (1 h)"
            )),
            "{stderr}"
        );
        assert!(
            !stderr.contains("scanner") && !stderr.contains("_h,"),
            "{stderr}"
        );
    }
}

#[test]
fn protocol_errors_name_the_keys_the_scene_has() {
    let dose = "therapy.lines[0].doses[0]";
    for (key, value, full_key) in [
        ("cycles", "0", format!("{dose}.cycles")),
        (
            "confirm_progression_scans",
            "0",
            "therapy.confirm_progression_scans".to_string(),
        ),
        ("interval_days", "0", format!("{dose}.interval_days")),
        ("name", "\" \"", "therapy.lines[0].name".to_string()),
    ] {
        let text = if key == "name" {
            SCENE.replace("name = \"first\"", "name = \" \"")
        } else {
            with(key, value).0
        };
        let stderr = Case::new(&text).refused();
        assert!(
            stderr.contains(&format!(": {full_key} ")),
            "{key}: expected {full_key} in:\n{stderr}"
        );
        for internal in [
            "schedules",
            "switch_on",
            "interval_h",
            "offset_h",
            ".doses ",
        ] {
            assert!(
                !stderr.contains(internal),
                "{key}: {internal} in:\n{stderr}"
            );
        }
        assert!(stderr.contains("bad.toml:"), "{stderr}");
        assert!(!stderr.contains("bad.toml: "), "no line:col in {stderr}");
    }
}

#[test]
fn integers_beyond_i64_keep_line_and_column() {
    // Documented as valid (seed is any u64); the scene still checks.
    let big = SCENE.replace("seed = 3", "seed = 18446744073709551615");
    let out = Case::new(&big).cmd(&["check", "bad.toml"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("seed 18446744073709551615"));
    // A later error keeps its location and key.
    let bad = big.replace("emax_per_h = 0.05", "emax_per_h = -1");
    let stderr = Case::new(&bad).refused();
    assert!(
        stderr.starts_with("error: bad.toml:18:14: drugs[0].emax_per_h must be between"),
        "{stderr}"
    );
    // So does a type error after one.
    let bad = big.replace("nx = 16", "nx = \"sixteen\"");
    let stderr = Case::new(&bad).refused();
    assert!(
        stderr.starts_with("error: bad.toml:3:6: lattice.nx must be a non-negative integer"),
        "{stderr}"
    );
    // A too-large integer where a u32 goes is located too.
    let bad = SCENE.replace("nx = 16", "nx = 99999999999999999999");
    let stderr = Case::new(&bad).refused();
    assert!(
        stderr.starts_with("error: bad.toml:3:6: lattice.nx "),
        "{stderr}"
    );
}

#[test]
fn cycle_sd_errors_name_cycle_sd() {
    for value in ["1e300", "inf", "nan", "-1", "7"] {
        let text = format!("{SCENE}[cells]\ncycle_mean_h = 20.0\ncycle_sd_h = {value}\n");
        let line = text.lines().count();
        let stderr = Case::new(&text).refused();
        assert!(
            stderr.starts_with(&format!(
                "error: bad.toml:{line}:14: cells.cycle_sd_h must be"
            )),
            "{value}: {stderr}"
        );
    }
}

#[test]
fn out_under_a_regular_file_exits_2() {
    let c = Case::new(SCENE);
    std::fs::write(c.dir.join("file"), "x").unwrap();
    for out in ["file/run", "file/a/b"] {
        let o = c.cmd(&["run", "bad.toml", "--backend", "cpu", "-q", "--out", out]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("output directory {out} cannot be used:")),
            "{stderr}"
        );
    }
    assert_eq!(std::fs::read_to_string(c.dir.join("file")).unwrap(), "x");
}

#[test]
fn scene_name_longer_than_255_bytes_exits_2() {
    let long = "n".repeat(256);
    let c = Case::new(&format!("name = \"{long}\"\n{SCENE}"));
    let stderr = c.refused();
    assert!(
        stderr.starts_with("error: bad.toml:1:8: name must be at most 255 bytes"),
        "{stderr}"
    );
    assert!(!c.dir.join("runs").exists());
    // 255 bytes are fine (multi-byte characters count as their bytes).
    let ok = "é".repeat(127) + "n";
    let c = Case::new(&format!("name = \"{ok}\"\n{SCENE}"));
    assert_eq!(c.cmd(&["check", "bad.toml"]).status.code(), Some(0));
}

#[test]
fn io_errors_are_printed_once() {
    let c = Case::new(SCENE);
    for args in [
        vec!["resume", "missing.olsnap"],
        vec!["export", "--npz", "missing.olsnap"],
    ] {
        let o = c.cmd(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.matches("(os error").count(), 1, "{stderr}");
    }
    std::fs::write(c.dir.join("file"), "x").unwrap();
    let o = c.cmd(&["run", "bad.toml", "--backend", "cpu", "--out", "file/x"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(stderr.matches("(os error").count(), 1, "{stderr}");
}

/// Loader and EGL logging on: any GPU probe would print on stderr.
fn probe_logging(cmd: &mut Command) -> &mut Command {
    cmd.env("VK_LOADER_DEBUG", "error,warn,info")
        .env("EGL_LOG_LEVEL", "debug")
        .env_remove("XDG_RUNTIME_DIR")
}

fn quiet_stderr(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let o = probe_logging(Command::new(BIN).current_dir(dir).args(args))
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn check_and_cpu_runs_probe_no_gpu_and_quiet_runs_print_nothing() {
    let c = Case::new(SCENE);
    let cases: [&[&str]; 4] = [
        &["check", "bad.toml"],
        &[
            "run",
            "bad.toml",
            "--backend",
            "cpu",
            "--days",
            "0.2",
            "--out",
            "a",
        ],
        &[
            "run",
            "bad.toml",
            "--backend",
            "cpu",
            "-q",
            "--days",
            "0.2",
            "--out",
            "b",
        ],
        // `auto` probes; a quiet run keeps whatever the drivers say to itself.
        &[
            "run",
            "bad.toml",
            "--backend",
            "auto",
            "-q",
            "--days",
            "0.2",
            "--out",
            "c",
        ],
    ];
    for args in cases {
        let (code, stderr) = quiet_stderr(&c.dir, args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?} wrote on stderr");
    }
}

#[test]
fn scene_that_is_not_utf8_is_refused_with_location() {
    let mut bytes = SCENE.as_bytes().to_vec();
    let at = SCENE.find("16\nny").unwrap() + 1;
    bytes[at] = 0xff;
    let c = Case::new("");
    std::fs::write(c.dir.join("bad.toml"), bytes).unwrap();
    assert!(
        c.refused()
            .starts_with("error: bad.toml:3:7: is not UTF-8 text (a scene file must be UTF-8)"),
        "not located"
    );
}
