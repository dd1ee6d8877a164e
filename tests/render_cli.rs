//! `oncolattice render` and `oncolattice plot` end to end, and what `run` leaves for
//! them: the contact sheet and plots/ (unless --no-plots). CPU backend throughout.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

/// 40 × 40 sites, 1 day, a row every 6 h, a frame every 12 h.
const SMALL: &str = r#"
name = "small"
seed = 7
[lattice]
nx = 40
ny = 40
[time]
duration_days = 1
report_every_h = 6
[tumour]
radius_um = 60.0
[output]
frame_every_h = 12
"#;

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

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn small_run(dir: &Path, extra: &[&str]) -> PathBuf {
    let scene = dir.join("small.toml");
    std::fs::write(&scene, SMALL).unwrap();
    let out = dir.join("run");
    let mut args = vec![
        "run",
        scene.to_str().unwrap(),
        "--backend",
        "cpu",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&oncolattice(dir, &args));
    out
}

#[test]
fn a_run_ends_with_a_contact_sheet_and_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path(), &[]);
    let sheet = image::open(run.join("frames/contact_sheet.png")).unwrap();
    assert!(sheet.width() > 200 && sheet.height() > 200);
    for f in ["burden.png", "burden.svg", "oxygen.png", "oxygen.svg"] {
        assert!(run.join("plots").join(f).is_file(), "plots/{f}");
    }
    assert!(
        !run.join("plots/drugs.png").exists(),
        "no drug columns, no drug plot"
    );
    let frame = image::open(run.join("frames/frame_000000.png")).unwrap();
    assert_eq!((frame.width(), frame.height()), (600, 600));

    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path(), &["--no-plots"]);
    assert!(!run.join("plots").exists());
    assert!(run.join("frames/contact_sheet.png").is_file());
}

#[test]
fn render_draws_a_run_directory_at_the_size_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path(), &["--no-plots"]);
    let png = tmp.path().join("fig.png");
    let out = oncolattice(
        tmp.path(),
        &[
            "render",
            run.to_str().unwrap(),
            "--panels",
            "cells,field:oxygen",
            "--size",
            "500x240",
            "-o",
            png.to_str().unwrap(),
        ],
    );
    ok(&out);
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (500, 240));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("wrote"), "{stdout}");

    // The same again gives the same bytes.
    let png2 = tmp.path().join("fig2.png");
    ok(&oncolattice(
        tmp.path(),
        &[
            "render",
            run.to_str().unwrap(),
            "--panels",
            "cells,field:oxygen",
            "--size",
            "500x240",
            "-o",
            png2.to_str().unwrap(),
            "--quiet",
        ],
    ));
    assert_eq!(std::fs::read(&png).unwrap(), std::fs::read(&png2).unwrap());

    // Default output: RUN_DIR/render.png.
    ok(&oncolattice(
        tmp.path(),
        &["render", run.to_str().unwrap(), "--quiet"],
    ));
    assert!(run.join("render.png").is_file());
}

#[test]
fn render_refuses_bad_options_with_exit_code_2() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path(), &["--no-plots"]);
    let r = run.to_str().unwrap();
    let out = oncolattice(tmp.path(), &["render", r, "--color", "trait:bogus"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let msg = stderr(&out);
    for name in ["cells", "kind", "clone", "trait:quiescent", "field:oxygen"] {
        assert!(msg.contains(name), "{msg}");
    }
    let out = oncolattice(tmp.path(), &["render", r, "--color", "purple"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = oncolattice(tmp.path(), &["render", r, "--slice", "x=3"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("2D"), "{}", stderr(&out));
    let out = oncolattice(tmp.path(), &["render", r, "--volume"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = oncolattice(tmp.path(), &["render", r, "--size", "10x10"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = oncolattice(tmp.path(), &["render", "no-such-dir"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn render_slices_and_projects_a_3d_run() {
    let tmp = tempfile::tempdir().unwrap();
    let scene = tmp.path().join("cube.toml");
    std::fs::write(
        &scene,
        "seed = 3\n[lattice]\nnx = 24\nny = 20\nnz = 16\n[time]\nduration_days = 0.25\n\
         [tumour]\nradius_um = 80.0\n[vessels]\nlayout = \"none\"\n[oxygen]\nboundary_mmhg = 40.0\n\
         [output]\nframe_every_h = 0\n",
    )
    .unwrap();
    let run = tmp.path().join("cube");
    ok(&oncolattice(
        tmp.path(),
        &[
            "run",
            scene.to_str().unwrap(),
            "--backend",
            "cpu",
            "--quiet",
            "--no-plots",
            "--out",
            run.to_str().unwrap(),
        ],
    ));
    let r = run.to_str().unwrap();
    let png = tmp.path().join("p.png");
    let p = png.to_str().unwrap();
    ok(&oncolattice(
        tmp.path(),
        &["render", r, "--slice", "y=10", "-o", p, "-q"],
    ));
    let img = image::open(&png).unwrap();
    // x by z at the frames' scale (25 px per site for 24 sites).
    assert_eq!((img.width(), img.height()), (24 * 25, 16 * 25));
    ok(&oncolattice(
        tmp.path(),
        &[
            "render",
            r,
            "--project",
            "max",
            "--axis",
            "x",
            "-o",
            p,
            "-q",
        ],
    ));
    let out = oncolattice(tmp.path(), &["render", r, "--slice", "z=16"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("0 to 15"), "{}", stderr(&out));
    ok(&oncolattice(
        tmp.path(),
        &[
            "render",
            r,
            "--volume",
            "--backend",
            "cpu",
            "--size",
            "160x120",
            "-o",
            p,
            "-q",
        ],
    ));
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (160, 120));
}

#[test]
fn plot_writes_png_and_svg_into_the_run_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let run = small_run(tmp.path(), &["--no-plots"]);
    let out = oncolattice(tmp.path(), &["plot", run.to_str().unwrap()]);
    ok(&out);
    for f in ["burden.png", "burden.svg", "oxygen.png", "oxygen.svg"] {
        assert!(run.join("plots").join(f).is_file(), "plots/{f}");
    }
    let out = oncolattice(tmp.path(), &["plot", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
