//! Bad input: every kind of refused scene or option exits with code 2, says exactly
//! what is wrong and where (`file:line:col: key message`), never panics, and leaves
//! no output directory behind.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

/// A scene that is fine on its own; cases append to it or replace parts of it.
const BASE: &str = "seed = 1\n[lattice]\nnx = 40\nny = 40\n";

struct Case {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    scene: PathBuf,
}

fn case(text: &str) -> Case {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let scene = dir.join("bad.toml");
    std::fs::write(&scene, text).unwrap();
    Case {
        _tmp: tmp,
        dir,
        scene,
    }
}

impl Case {
    /// Runs `oncolattice run bad.toml --out out` in the case's directory (relative paths,
    /// so messages name `bad.toml`) and checks the common contract. Returns stderr.
    fn refused(&self, extra: &[&str]) -> String {
        let mut args = vec!["run", "bad.toml", "--out", "out"];
        if !extra.contains(&"--backend") {
            args.extend(["--backend", "cpu"]);
        }
        args.extend_from_slice(extra);
        let out = Command::new(BIN)
            .current_dir(&self.dir)
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            !self.dir.join("out").exists(),
            "an output directory was created"
        );
        assert!(
            !self.dir.join("runs").exists(),
            "a runs directory was created"
        );
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    /// `check` refuses the same scene with the same message.
    fn check_refuses(&self, expected: &str) {
        let out = Command::new(BIN)
            .current_dir(&self.dir)
            .args(["check", "bad.toml"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }

    fn scene_path(&self) -> &Path {
        &self.scene
    }
}

/// Asserts the run and the check both refuse with `expected` in the message.
fn assert_refused(text: &str, expected: &str) {
    let c = case(text);
    assert!(c.scene_path().is_file());
    let stderr = c.refused(&[]);
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in:\n{stderr}"
    );
    c.check_refuses(expected);
}

#[test]
fn unknown_key() {
    assert_refused(
        &format!("{BASE}[oxygen]\ndifusion_um2_per_min = 3.0\n"),
        "bad.toml:6:1: oxygen.difusion_um2_per_min is not a known key; allowed: diffusion_um2_per_min, ",
    );
}

#[test]
fn unknown_table() {
    assert_refused(
        &format!("{BASE}[oxigen]\ndecay_per_min = 3.0\n"),
        "bad.toml:5:2: oxigen is not a known key; allowed: name, seed, lattice, ",
    );
}

#[test]
fn wrong_type() {
    assert_refused(
        "seed = 1\n[lattice]\nnx = \"forty\"\nny = 40\n",
        "bad.toml:3:6: lattice.nx must be a non-negative integer (got string \"forty\")",
    );
}

#[test]
fn out_of_range_value() {
    assert_refused(
        &format!("{BASE}\n[oxygen]\ndiffusion_um2_per_min = -3\n"),
        "bad.toml:7:25: oxygen.diffusion_um2_per_min must be > 0 (got -3)",
    );
}

#[test]
fn missing_seed() {
    assert_refused(
        "[lattice]\nnx = 40\nny = 40\n",
        "bad.toml:1:1: seed is required",
    );
}

#[test]
fn missing_key_in_a_table() {
    assert_refused(
        "seed = 1\n[lattice]\nny = 40\n",
        "bad.toml:2:1: lattice.nx is required",
    );
}

#[test]
fn unknown_choice() {
    assert_refused(
        "seed = 1\n[lattice]\nnx = 40\nny = 40\nneighbourhood = \"hex\"\n",
        "bad.toml:5:17: lattice.neighbourhood must be one of von_neumann or moore (got \"hex\")",
    );
}

#[test]
fn toml_syntax_error() {
    assert_refused(
        "seed = 1\n[lattice\nnx = 40\nny = 40\n",
        "bad.toml:2:9: unclosed table, expected `]`",
    );
}

#[test]
fn radius_and_cell_count_both_given() {
    assert_refused(
        &format!("{BASE}[tumour]\nradius_um = 60.0\ncell_count = 30\n"),
        "bad.toml:7:14: tumour.cell_count cannot be given together with tumour.radius_um; choose one",
    );
}

#[test]
fn sor_omega_outside_the_convergent_range() {
    assert_refused(
        &format!("{BASE}[oxygen]\nsor_omega = 2.5\n"),
        "bad.toml:6:13: oxygen.sor_omega must be between 0.5 and 1.99 (got 2.5): SOR diverges at 2 and above, and below 0.5 under-relaxation only slows the solve (1.5, the default, suits these lattices)",
    );
}

#[test]
fn apoptosis_too_fast_for_the_tick() {
    assert_refused(
        &format!("{BASE}[cells]\napoptosis_per_h = 0.9\n"),
        "bad.toml:6:19: cells.apoptosis_per_h gives a death probability of 0.90 per tick; the per-tick probability must stay <= 0.5",
    );
}

#[test]
fn report_interval_shorter_than_a_tick() {
    assert_refused(
        &format!("{BASE}[time]\ntick_h = 2.0\nreport_every_h = 1.0\n"),
        "bad.toml:7:18: time.report_every_h must be at least one tick (2 h) (got 1)",
    );
}

#[test]
fn nz_of_two() {
    assert_refused(
        &format!("{BASE}nz = 2\n"),
        "bad.toml:5:6: lattice.nz must be 1 (2D) or between 3 and 65535 (got 2)",
    );
}

#[test]
fn missing_scene_file() {
    let c = case(BASE);
    std::fs::remove_file(c.scene_path()).unwrap();
    let stderr = c.refused(&[]);
    assert!(
        stderr.contains("bad.toml: cannot read scene file:"),
        "{stderr}"
    );
    c.check_refuses("bad.toml: cannot read scene file:");
}

#[test]
fn days_zero() {
    let c = case(BASE);
    let stderr = c.refused(&["--days", "0"]);
    assert!(stderr.contains("--days must be > 0 (got 0)"), "{stderr}");
}

#[test]
fn days_negative() {
    let c = case(BASE);
    let stderr = c.refused(&["--days", "-2"]);
    assert!(stderr.contains("--days must be > 0 (got -2)"), "{stderr}");
}

#[test]
fn days_not_a_number() {
    let c = case(BASE);
    let stderr = c.refused(&["--days", "ten"]);
    assert!(
        stderr.contains("invalid value 'ten' for '--days"),
        "{stderr}"
    );
}

#[test]
fn unknown_backend() {
    let c = case(BASE);
    let stderr = c.refused(&["--backend", "tpu"]);
    assert!(stderr.contains("invalid value 'tpu'"), "{stderr}");
    assert!(stderr.contains("auto, gpu, cpu"), "{stderr}");
}

#[test]
fn output_path_is_a_file() {
    let c = case(BASE);
    let blocker = c.dir.join("blocker");
    std::fs::write(&blocker, "x").unwrap();
    let out = Command::new(BIN)
        .current_dir(&c.dir)
        .args(["run", "bad.toml", "--backend", "cpu", "--out", "blocker"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("exists and is not a directory"), "{stderr}");
    assert_eq!(std::fs::read_to_string(blocker).unwrap(), "x");
}

#[test]
fn mutation_rate_above_one_half() {
    assert_refused(
        &format!("{BASE}[resistance]\nefflux_mutation_per_division = 0.9\n"),
        "bad.toml:6:32: resistance.efflux_mutation_per_division must be between 0 and 0.5 (got 0.9)",
    );
}

#[test]
fn negative_per_drug_mutation_rate() {
    assert_refused(
        &format!(
            "{BASE}[[drugs]]\nname = \"tki\"\nclass = \"targeted\"\nemax_per_h = 0.1\nic50_um = 0.3\n\
             target_mutation_per_division = -1e-3\n"
        ),
        "bad.toml:10:32: drugs[0].target_mutation_per_division must be between 0 and 0.5 (got -0.001)",
    );
}

/// A valid factor; the factor cases change one thing in it.
const FACTOR: &str = "[[factors]]\nname = \"vegf\"\ndiffusion_um2_per_min = 6000.0\n\
    decay_per_min = 0.02\n[[factors.sources]]\nkind = \"tumour\"\nsecretion_per_min = 0.5\n";

#[test]
fn factor_with_a_taken_name() {
    let text = format!("{BASE}{}", FACTOR.replace("\"vegf\"", "\"oxygen\""));
    assert_refused(
        &text,
        "bad.toml:6:8: factors[0].name \"oxygen\" is taken: oxygen, each drug and each factor need their own name",
    );
}

#[test]
fn factor_source_without_a_rate_or_with_two() {
    let none = format!("{BASE}{}", FACTOR.replace("secretion_per_min = 0.5\n", ""));
    assert_refused(
        &none,
        "bad.toml:9:1: factors[0].sources[0] give exactly one of secretion_per_min, uptake_per_min, uptake_max_per_min",
    );
    let two = format!("{BASE}{FACTOR}uptake_per_min = 0.1\n");
    assert_refused(
        &two,
        "factors[0].sources[0] give exactly one of secretion_per_min, uptake_per_min, uptake_max_per_min",
    );
    let saturable = format!(
        "{BASE}{}",
        FACTOR.replace("secretion_per_min = 0.5", "uptake_max_per_min = 0.5")
    );
    assert_refused(
        &saturable,
        "factors[0].sources[0].uptake_max_per_min needs uptake_half_max",
    );
}

#[test]
fn factor_source_of_an_unknown_kind_or_state() {
    let kind = format!("{BASE}{}", FACTOR.replace("\"tumour\"", "\"t_cell\""));
    assert_refused(&kind, "bad.toml:10:8: factors[0].sources[0].kind");
    assert_refused(&kind, "t_cell");
    let state = format!("{BASE}{FACTOR}state = \"asleep\"\n");
    assert_refused(&state, "factors[0].sources[0].state");
}

#[test]
fn factor_without_a_steady_state() {
    let text = format!(
        "{BASE}{}",
        FACTOR.replace("decay_per_min = 0.02", "decay_per_min = 0.0")
    );
    assert_refused(
        &text,
        "factors[0].decay_per_min a factor with no decay, no vessel exchange, no fixed boundary and no uptake has no steady state",
    );
}

#[test]
fn more_fields_than_the_engine_holds() {
    let mut text = BASE.to_string();
    for k in 0..8 {
        text += &FACTOR.replace("\"vegf\"", &format!("\"f{k}\""));
    }
    assert_refused(
        &text,
        "a scene holds at most 8 fields (oxygen, drugs and factors); this one has 9: 1 oxygen, 0 drugs, 8 factors",
    );
}

/// A living-vasculature scene that is fine; cases below break one thing of it.
const VASCULAR: &str = "seed = 1\n[lattice]\nnx = 40\nny = 40\n[vessels]\nlayout = \"lines\"\n\
     [[factors]]\nname = \"vegf\"\nunit = \"nM\"\ndiffusion_um2_per_min = 1400.0\n\
     decay_per_min = 0.0116\n[vasculature]\nvegf = \"vegf\"\n";

#[test]
fn vasculature_naming_no_factor() {
    assert_refused(
        &VASCULAR.replace("vegf = \"vegf\"", "vegf = \"vgf\""),
        "bad.toml:13:8: vasculature.vegf names \"vgf\", which is not a [[factors]] entry; factors: vegf",
    );
}

#[test]
fn vasculature_vegf_not_in_nanomolar() {
    assert_refused(
        &VASCULAR.replace("unit = \"nM\"", "unit = \"pM\""),
        "vasculature.vegf names factor \"vegf\" of unit \"pM\"; VEGF thresholds are in nM, so its unit must be \"nM\"",
    );
}

#[test]
fn vasculature_on_scattered_capillaries() {
    assert_refused(
        &VASCULAR.replace("layout = \"lines\"", "layout = \"random\""),
        "vessels.layout must be \"lines\" or \"grid\" with [vasculature]",
    );
}

#[test]
fn vasculature_pressures_reversed() {
    assert_refused(
        &format!("{VASCULAR}inlet_pressure_mmhg = 10.0\n"),
        "vasculature.inlet_pressure_mmhg must be above outlet_pressure_mmhg (15) for blood to flow (got 10)",
    );
}

#[test]
fn anti_angiogenic_drug_without_a_vasculature() {
    assert_refused(
        &format!(
            "{BASE}[[drugs]]\nname = \"bev\"\nclass = \"anti_angiogenic\"\nemax_per_h = 0.0\n\
             ic50_um = 0.001\n"
        ),
        "drugs[0].class an anti-angiogenic drug acts on a living vessel network: the scene needs [vasculature]",
    );
}
