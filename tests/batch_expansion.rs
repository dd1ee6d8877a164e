//! Batch files: sweep expansion and seed derivation against committed golden lists,
//! seeds that follow a run's identity rather than its position, and bad batch files
//! refused with their location (exit 2).

use oncolattice::batch::Batch;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/batch")
        .join(name)
}

fn check(path: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(["batch", "check"])
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn expansions_match_the_golden_lists() {
    for name in ["cohort-trial", "sweep"] {
        let (code, listing, err) = check(&fixture(&format!("{name}.toml")));
        assert_eq!(code, Some(0), "{err}");
        let golden = std::fs::read_to_string(fixture(&format!("{name}.runs.csv"))).unwrap();
        assert_eq!(
            listing, golden,
            "{name}: the listing changed (seeds or values)"
        );
    }
    let (_, _, err) = check(&fixture("cohort-trial.toml"));
    assert!(
        err.contains("32 runs")
            && err.contains("2 arm(s) × 2 grid point(s) × 4 patient(s) × 2 replicate(s)"),
        "{err}"
    );
}

/// The seed chain written out independently: FNV-1a 64 of the identity, the batch
/// seed xor'ed in, SplitMix64's finaliser, the top bit dropped.
fn seed_of(batch_seed: u64, identity: &str) -> u64 {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    };
    let fnv = identity.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    mix(batch_seed ^ mix(fnv)) >> 1
}

#[test]
fn seeds_follow_identity_not_position() {
    let b = Batch::load(&fixture("cohort-trial.toml")).unwrap();
    let runs = b.runs().unwrap();
    assert_eq!(runs.len(), 32);
    // Common random numbers: patient 2, replicate 1 has one seed in every arm and at
    // every grid point.
    let p2r1: Vec<u64> = runs
        .iter()
        .filter(|r| r.patient == Some(2) && r.replicate == 1)
        .map(|r| r.seed)
        .collect();
    assert_eq!(p2r1.len(), 4);
    assert!(
        p2r1.iter().all(|&s| s == seed_of(2026, "p2/r1")),
        "{p2r1:?}"
    );
    // The run's scene carries the seed, its name and the values.
    let r = &runs[0];
    let scene: toml::Value = toml::from_str(&r.scene_text).unwrap();
    assert_eq!(scene["seed"].as_integer(), Some(r.seed as i64));
    assert_eq!(scene["name"].as_str(), Some(r.id.as_str()));
    assert_eq!(scene["oxygen"]["vessel_po2_mmhg"].as_float(), Some(30.0));
    let resistant = scene["clones"][1]["fraction"].as_float().unwrap();
    let sensitive = scene["clones"][0]["fraction"].as_float().unwrap();
    assert!((0.01..=0.1).contains(&resistant), "{resistant}");
    assert_eq!(resistant + sensitive, 1.0);
    let half = runs.iter().find(|r| r.arm == "half-dose").unwrap();
    let scene: toml::Value = toml::from_str(&half.scene_text).unwrap();
    assert_eq!(
        scene["therapy"]["lines"][0]["doses"][0]["dose"]["amount_mg"].as_float(),
        Some(75.0)
    );

    // A third arm and a third grid value: every existing run keeps its id, seed and
    // values.
    let text = std::fs::read_to_string(fixture("cohort-trial.toml"))
        .unwrap()
        .replace("values = [30.0, 50.0]", "values = [30.0, 40.0, 50.0]")
        + "\n[[arms]]\nname = \"low\"\n[arms.set]\n\"therapy.lines[0].doses[0].dose.amount_mg\" = 10.0\n";
    let bigger = Batch::parse(&text, &fixture("cohort-trial.toml")).unwrap();
    let more = bigger.runs().unwrap();
    assert_eq!(more.len(), 3 * 3 * 4 * 2);
    for r in &runs {
        let same = more.iter().find(|m| m.id == r.id).expect(&r.id);
        assert_eq!((same.seed, &same.values), (r.seed, &r.values), "{}", r.id);
    }
}

#[test]
fn without_common_random_numbers_every_run_has_its_own_seed() {
    let b = Batch::load(&fixture("sweep.toml")).unwrap();
    let runs = b.runs().unwrap();
    let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
    seeds.sort();
    seeds.dedup();
    assert_eq!(seeds.len(), 15);
    // Latin hypercube: each sampled axis has one point in each fifth of its range.
    for (k, key) in ["cells.cycle_mean_h", "oxygen.uptake_mmhg_per_min"]
        .iter()
        .enumerate()
    {
        let mut strata: Vec<usize> = runs[..5]
            .iter()
            .map(|r| {
                let v = r
                    .values
                    .iter()
                    .find(|(k2, _)| k2 == key)
                    .unwrap()
                    .1
                    .as_float()
                    .unwrap();
                let u = if k == 0 {
                    (v - 14.0) / 16.0
                } else {
                    v.ln() / 100f64.ln()
                };
                (u * 5.0) as usize
            })
            .collect();
        strata.sort();
        assert_eq!(strata, [0, 1, 2, 3, 4], "{key}");
    }
}

#[test]
fn the_shipped_example_batch_expands() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/batches/tki-virtual-trial.toml");
    let (code, listing, err) = check(&path);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(listing.lines().count(), 1 + 2 * 20, "{listing}");
    assert!(
        err.contains("40 runs") && err.contains("2 arm(s) × 20 patient(s)"),
        "{err}"
    );
}

#[test]
fn the_shipped_branch_example_expands() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/batches/second-line-what-if.toml");
    let (code, listing, err) = check(&path);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(listing.lines().count(), 1 + 3 * 20, "{listing}");
    assert!(err.contains("60 runs"), "{err}");
    // A branch run shares its source's seed (the same tumour).
    let seed_of = |id: &str| {
        listing
            .lines()
            .find(|l| l.starts_with(&format!("{id},")))
            .map(|l| l.split(',').nth(4).unwrap().to_string())
            .unwrap()
    };
    assert_eq!(
        seed_of("then-osimertinib-p007"),
        seed_of("then-erlotinib-300-p007")
    );
}

fn refused(edit: impl Fn(&str) -> String, at: &str, says: &str) {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(fixture("cohort-trial.toml")).unwrap();
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/treatment-mtd.toml");
    let text = edit(&base).replace(
        "scene = \"../../../scenes/treatment-mtd.toml\"",
        &format!("scene = {:?}", scene.display().to_string()),
    );
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let (code, out, err) = check(&path);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty(), "nothing listed: {out}");
    assert!(err.contains(&format!("bad.toml:{at}")), "{err}");
    assert!(err.contains(says), "{err}");
}

#[test]
fn bad_batch_files_are_refused_with_their_location() {
    refused(
        |t| t.replace("dose.amount_mg\" = 75.0", "dose.amount_gm\" = 75.0"),
        "15:1:",
        "arms[1].set.\"therapy.lines[0].doses[0].dose.amount_gm\" in run half-dose-",
    );
    refused(
        |t| t.replace("key = \"oxygen.vessel_po2_mmhg\"", "key = \"oxygen.po2\""),
        "18:7:",
        "oxygen.po2 is not a known key",
    );
    refused(
        |t| t.replace("values = [30.0, 50.0]", "values = []"),
        "19:10:",
        "axes[0].values is empty",
    );
    refused(
        |t| t.replace("sd = 11.0", "sd = -1.0"),
        "24:1:",
        "normal needs a finite mean and sd > 0",
    );
    refused(
        |t| t.replace("min = 0.01, max = 0.1", "min = 0.5, max = 1.5"),
        "28:1:",
        "needs min ≥ 0 and max ≤ 1",
    );
    refused(
        |t| t.replace("\"clones[1].fraction\"", "\"clones[4].fraction\""),
        "28:1:",
        "the scene has no clones[4] (clones has 2 entries",
    );
    refused(
        |t| t.replace("patients = 4", "patients = 0"),
        "22:12:",
        "must be 1 … 100000",
    );
    refused(
        |t| t.replace("replicates = 2", "replicates = 2\nrepeats = 3"),
        "8:1:",
        "repeats is not a known key",
    );
    refused(
        |t| t.replace("name = \"mtd\"", "name = \"half-dose\""),
        "13:8:",
        "\"half-dose\" names two arms",
    );
}
