//! Branch arms ("what would have worked"): a run that continues its source run's
//! snapshot at the scan where line 1 failed, with another second line, is exactly the
//! run of its own scene from tick 0 — the same up to the branch point as its source,
//! and the same bytes as that scene run alone; bad branches are refused (exit 2).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/batch")
        .join(name)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn oncolattice(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

#[test]
fn a_branch_is_its_own_scene_run_from_tick_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    let file = fixture("second-line.toml");
    let o = oncolattice(&[
        "batch".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--backend".as_ref(),
        "cpu".as_ref(),
        "--quiet".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let source = out.join("runs/then-osimertinib-p001");
    let branch = out.join("runs/then-erlotinib-300-p001");
    // The source wrote a snapshot before every weekly scan; the branch only its last.
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d.join("snapshots"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names(&source),
        [
            "snapshot_00000168.olsnap",
            "snapshot_00000336.olsnap",
            "snapshot_00000504.olsnap",
            "snapshot_00000672.olsnap",
            "snapshot_00000840.olsnap"
        ]
    );
    assert_eq!(names(&branch), ["snapshot_00000840.olsnap"]);
    let summary = std::fs::read_to_string(branch.join("summary.json")).unwrap();
    assert!(
        summary.contains("branching from") && summary.contains("at tick 336 (day 14)"),
        "the branch starts at the scan where line 1 failed (day 14): {summary}"
    );

    // Up to the branch point the branch is its source; then it is not.
    let rows = |d: &Path| -> Vec<String> {
        std::fs::read_to_string(d.join("timeseries.csv"))
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    };
    let (s, b) = (rows(&source), rows(&branch));
    let tick_col = s[0].split(',').position(|h| h == "tick").unwrap();
    let tick = |r: &String| r.split(',').nth(tick_col).unwrap().parse::<u64>().unwrap();
    let shared = s
        .iter()
        .take_while(|r| r.starts_with("tick") || tick(r) <= 336)
        .count();
    assert!(shared > 20, "{shared}");
    assert_eq!(s[..shared], b[..shared]);
    assert_ne!(
        s.last(),
        b.last(),
        "osimertinib and doubled erlotinib end alike"
    );

    // The branch's scene run alone from tick 0: the same bytes.
    let alone = tmp.path().join("alone");
    let scene = branch.join("scene.resolved.toml");
    let o = oncolattice(&[
        "run".as_ref(),
        scene.as_os_str(),
        "--out".as_ref(),
        alone.as_os_str(),
        "--backend".as_ref(),
        "cpu".as_ref(),
        "--quiet".as_ref(),
        "--no-plots".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for f in [
        "timeseries.csv",
        "lineage.csv",
        "scans.csv",
        "frames/frame_000000.png",
        "frames/frame_000005.png",
        "frames/contact_sheet.png",
    ] {
        assert!(
            std::fs::read(alone.join(f)).unwrap() == std::fs::read(branch.join(f)).unwrap(),
            "{f} differs between the branch and its scene run alone"
        );
    }
    // The second lines compared: osimertinib holds both patients to the end, doubled
    // erlotinib does not; on line 1 the arms are the same patients.
    let trial = |line: &str| {
        let o = oncolattice(&[
            "trial".as_ref(),
            out.as_os_str(),
            "--line".as_ref(),
            line.as_ref(),
            "--out".as_ref(),
            tmp.path().join(format!("trial-{line}")).as_os_str(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        text(&o.stdout)
    };
    let line2 = trial("2");
    assert!(line2.contains("then-osimertinib: n 2, 0 events"), "{line2}");
    assert!(
        line2.contains("then-erlotinib-300: n 2, 2 events"),
        "{line2}"
    );
    let line1 = trial("1");
    assert!(
        line1.contains("then-osimertinib: n 2, 2 events, median 14 "),
        "{line1}"
    );
    assert!(
        line1.contains("then-erlotinib-300: n 2, 2 events, median 14 "),
        "{line1}"
    );
    let svg = std::fs::read_to_string(tmp.path().join("trial-2/km.svg")).unwrap();
    assert!(svg.contains("Progression-free survival on line 2"));
    assert!(tmp.path().join("trial-2/swimmer.png").is_file());
    assert!(tmp.path().join("trial-2/waterfall.png").is_file());

    // And the batch's summary has the branch's own outcome.
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with("then-erlotinib-300-p001,"))
        .unwrap();
    assert!(row.contains(",done,"), "{row}");
}

fn refused(edit: impl Fn(&str) -> String, says: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("b.toml");
    let base = std::fs::read_to_string(fixture("second-line.toml"))
        .unwrap()
        .replace(
            "scene = \"second-line-scene.toml\"",
            &format!("scene = {:?}", fixture("second-line-scene.toml")),
        );
    std::fs::write(&file, edit(&base)).unwrap();
    let o = oncolattice(&["batch".as_ref(), "check".as_ref(), file.as_os_str()]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(says), "expected {says:?} in: {err}");
    assert!(err.contains("b.toml:"), "{err}");
}

#[test]
fn bad_branches_are_refused_with_their_location() {
    refused(
        |t| {
            t.replace(
                "branch_from = \"then-osimertinib\"",
                "branch_from = \"nobody\"",
            )
        },
        "arms[1].branch_from \"nobody\" is not an arm listed before this one",
    );
    refused(
        |t| t.replace("seed = 11\n", "seed = 11\ncommon_random_numbers = false\n"),
        "needs common_random_numbers = true",
    );
    refused(
        |t| {
            t.replace(
                "\"therapy.lines[1].name\"",
                "\"therapy.lines[0].doses[0].dose.amount_mg\" = 100.0\n\"therapy.lines[1].name\"",
            )
        },
        "changes line 1",
    );
    refused(
        |t| {
            t.replace(
                "\"therapy.lines[1].name\"",
                "\"lattice.nx\" = 41\n\"therapy.lines[1].name\"",
            )
        },
        "but it changes lattice.nx",
    );
}
