//! `oncolattice trial --survival FILE.csv`: the Gehan data through the command, its
//! files and summary, and bad files refused with their line (exit 2).

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

fn trial(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN).arg("trial").args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_gehan_data_give_rs_numbers_through_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let gehan = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gehan.csv");
    let out = dir.path().join("report");
    let (code, stdout, err) = trial(&[
        "--survival",
        gehan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--at-risk",
        "0,10,20,30",
        "--reference",
        "6-MP",
        "--time-unit",
        "weeks",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        stdout.contains("6-MP: n 21, 9 events, median 23 (95% CI 16 to NA)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("placebo: n 21, 21 events, median 8 (95% CI 4 to 12)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("log-rank: chi-square 16.7929 on 1 df"),
        "{stdout}"
    );
    assert!(
        stdout.contains("hazard ratio placebo vs 6-MP: 4.8169"),
        "{stdout}"
    );
    for f in oncolattice::trial::command::FILES {
        assert!(out.join(f).is_file(), "{f}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("trial.json")).unwrap()).unwrap();
    assert_eq!(json["logrank"]["df"], 1);
    let at_risk = std::fs::read_to_string(out.join("at_risk.csv")).unwrap();
    assert!(at_risk.lines().count() >= 9, "{at_risk}");
    let svg = std::fs::read_to_string(out.join("km.svg")).unwrap();
    for text in [
        "Time (weeks)",
        "Progression-free survival",
        "6-MP (n = 21), median 23",
        "Log-rank p = 0.0000417",
        "Number at risk",
    ] {
        assert!(svg.contains(text), "{text}");
    }
    let png = image::open(out.join("km.png")).unwrap();
    assert!(png.width() >= 400 && png.height() > png.width() / 2);
}

#[test]
fn the_km_figure_takes_its_axis_titles_from_the_options() {
    let dir = tempfile::tempdir().unwrap();
    let gehan = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gehan.csv");
    let out = dir.path().join("report");
    let (code, _, err) = trial(&[
        "--survival",
        gehan.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--endpoint",
        "Remission",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains(&format!("wrote 8 files to {}", out.display())),
        "{err}"
    );
    let svg = std::fs::read_to_string(out.join("km.svg")).unwrap();
    assert!(svg.contains(">\nTime\n<") && svg.contains("Remission"));
    assert!(!svg.contains("Time ("), "no unit given");
}

#[test]
fn bad_survival_files_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "arm,time,event\na,3,1\na,-2,1\n").unwrap();
    let (code, _, err) = trial(&["--survival", path.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bad.csv:3:"), "{err}");
    assert!(!dir.path().join("bad-trial").exists(), "nothing written");
}
