//! Fuzzing the scene reader through the command line, deterministically (one seed, the
//! same cases every run). Each example scene in `scenes/`, shrunk to a small lattice,
//! is damaged many ways — a key deleted or duplicated, a value of another type, an
//! extreme or non-finite number, a number scaled by a power of ten, bytes flipped,
//! inserted, cut or the file truncated — and:
//!
//! - `check` never panics and exits 0 (accepted) or 2 (refused) only;
//! - a refusal names the file, line and column (`bad.toml:12:5:`);
//! - every accepted scene small enough to run quickly runs a few ticks on the CPU
//!   backend (`--days` set for three ticks), exits 0 and writes only finite numbers
//!   into `timeseries.csv`, with `"completed": true` in `summary.json`.
//!
//! About 30 s in release on two cores. FUZZ_CASES=N and FUZZ_SEED=S change the number
//! of cases per scene and the seed (the defaults are what CI runs), for longer hunts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");
const SEED: u64 = 0x0011_5eed_f022;
/// Cases per example scene.
const CASES: usize = 48;
/// Accepted scenes larger than this (sites × sweep cap) are only checked, not run.
const RUN_BUDGET: f64 = 2e6;

/// SplitMix64: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Numbers that break naive readers: limits of every integer and float type.
const EXTREMES: &[&str] = &[
    "0",
    "-0.0",
    "-1",
    "1",
    "2",
    "0.5",
    "1e308",
    "-1e308",
    "5e-324",
    "1e-9",
    "1e9",
    "nan",
    "+inf",
    "-inf",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "3.4e38",
    "1.2e-38",
];

/// Values of other types.
const OTHER_TYPES: &[&str] = &[
    "\"x\"",
    "\"\"",
    "true",
    "[]",
    "[1, 2]",
    "{}",
    "{ kind = \"oral\" }",
    "1979-05-27",
    "3",
    "3.5",
];

/// The example scenes, each shrunk so that a run of a few ticks takes a moment.
fn base_scenes() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "example scenes missing from {dir:?}");
    paths
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, shrink(&std::fs::read_to_string(p).unwrap()))
        })
        .collect()
}

/// Lattices of at most 30 × 30 (× 8), tumours of at most 120 µm radius at the
/// lattice's centre (a `centre_um` of the full lattice may lie outside the shrunk one).
fn shrink(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("centre_um") {
            continue;
        }
        let cap = |key: &str, max: f64| -> Option<String> {
            let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?;
            let value: f64 = rest.split('#').next()?.trim().parse().ok()?;
            (value > max).then(|| format!("{key} = {max}"))
        };
        let replaced = cap("nx", 30.0)
            .or_else(|| cap("ny", 30.0))
            .or_else(|| cap("nz", 8.0))
            .or_else(|| cap("radius_um", 120.0));
        out.push_str(replaced.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// Byte ranges of the numbers in a `key = value` line's value (comments left out).
fn numbers(line: &str) -> Vec<(usize, usize)> {
    let Some(eq) = line.find('=') else {
        return Vec::new();
    };
    let end = line.find('#').unwrap_or(line.len()).max(eq);
    let b = line.as_bytes();
    let mut spans = Vec::new();
    let mut i = eq + 1;
    while i < end {
        let starts = b[i].is_ascii_digit()
            || (matches!(b[i], b'-' | b'+') && i + 1 < end && b[i + 1].is_ascii_digit());
        let after_word = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if starts && !after_word {
            let s = i;
            i += 1;
            while i < end && (b[i].is_ascii_alphanumeric() || b"._+-".contains(&b[i])) {
                i += 1;
            }
            spans.push((s, i));
        } else {
            i += 1;
        }
    }
    spans
}

fn is_assignment(line: &str) -> bool {
    let t = line.trim_start();
    !t.starts_with('#') && !t.starts_with('[') && t.contains('=')
}

/// One damaged copy of `text` (bytes: byte damage may leave invalid UTF-8).
fn mutate(text: &str, rng: &mut Rng) -> Vec<u8> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let assignments: Vec<usize> = (0..lines.len())
        .filter(|&k| is_assignment(&lines[k]))
        .collect();
    let with_numbers: Vec<usize> = assignments
        .iter()
        .copied()
        .filter(|&k| !numbers(&lines[k]).is_empty())
        .collect();
    let kind = rng.below(100);
    match kind {
        // A number replaced by an extreme one (the most common case).
        0..=34 => {
            let k = *rng.pick(&with_numbers);
            let spans = numbers(&lines[k]);
            let (s, e) = *rng.pick(&spans);
            let value = *rng.pick(EXTREMES);
            lines[k].replace_range(s..e, value);
        }
        // A number scaled by a power of ten: plausible values, often accepted.
        35..=59 => {
            let k = *rng.pick(&with_numbers);
            let spans = numbers(&lines[k]);
            let (s, e) = *rng.pick(&spans);
            if let Ok(v) = lines[k][s..e].replace('_', "").parse::<f64>() {
                let p = rng.below(7) as i32 - 3;
                let scaled = v * 10f64.powi(p);
                let shown = if lines[k][s..e].contains(['.', 'e']) || p < 0 {
                    format!("{scaled:?}")
                } else {
                    format!("{}", scaled as i64)
                };
                lines[k].replace_range(s..e, &shown);
            }
        }
        // A key deleted.
        60..=71 => {
            let k = *rng.pick(&assignments);
            lines.remove(k);
        }
        // A value of another type.
        72..=81 => {
            let k = *rng.pick(&assignments);
            let eq = lines[k].find('=').unwrap();
            let key = lines[k][..eq].to_string();
            let value = *rng.pick(OTHER_TYPES);
            lines[k] = format!("{key}= {value}");
        }
        // A line (key or table header) duplicated.
        82..=85 => {
            let k = rng.below(lines.len());
            let line = lines[k].clone();
            lines.insert(k, line);
        }
        _ => {}
    }
    let mut bytes = (lines.join("\n") + "\n").into_bytes();
    if kind >= 86 {
        let n = bytes.len();
        match rng.below(4) {
            0 => {
                let at = rng.below(n);
                bytes[at] ^= 1 << rng.below(8);
            }
            1 => {
                let at = rng.below(n);
                let len = 1 + rng.below(40.min(n - at));
                bytes.drain(at..at + len);
            }
            2 => {
                let at = rng.below(n);
                let junk: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, junk);
            }
            _ => bytes.truncate(rng.below(n)),
        }
    }
    bytes
}

fn oncolattice(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// A failing case, with what is needed to reproduce it.
fn fail(what: &str, case: &str, scene: &[u8], out: &Output) -> ! {
    panic!(
        "{what} ({case})\nexit {:?}\nstderr:\n{}\nscene:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(scene)
    )
}

/// What a three-tick run of `text` costs, or `None` if it is too big to run here.
fn run_plan(text: &str) -> Option<f64> {
    let scene = oncolattice::Scene::parse(text, Path::new("bad.toml")).ok()?;
    let cost = scene.site_count() as f64 * f64::from(scene.oxygen.max_sweeps_per_tick);
    (cost <= RUN_BUDGET).then_some(3.0 * scene.time.tick_h / 24.0)
}

/// Every number of `timeseries.csv` is finite; the summary says the run completed.
fn outputs_are_finite(run_dir: &Path) -> Result<(), String> {
    let csv = std::fs::read_to_string(run_dir.join("timeseries.csv")).map_err(|e| e.to_string())?;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    for (row, line) in lines.enumerate() {
        for (col, cell) in line.split(',').enumerate() {
            let lower = cell.to_ascii_lowercase();
            let bad = lower.contains("nan")
                || lower.contains("inf")
                || cell.parse::<f64>().is_ok_and(|v| !v.is_finite());
            if bad {
                let name = header.get(col).unwrap_or(&"?");
                return Err(format!("timeseries row {row}, {name} = {cell}"));
            }
        }
    }
    let summary =
        std::fs::read_to_string(run_dir.join("summary.json")).map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_str(&summary).map_err(|e| e.to_string())?;
    if json["completed"] != serde_json::Value::Bool(true) {
        return Err(format!("summary.json: completed = {}", json["completed"]));
    }
    Ok(())
}

#[test]
fn mutated_example_scenes_are_refused_cleanly_or_run_with_finite_outputs() {
    let cases: usize = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CASES);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let mut rng = Rng(seed);
    let (mut accepted, mut refused, mut ran) = (0, 0, 0);
    let started = std::time::Instant::now();
    for (name, base) in base_scenes() {
        // The shrunk scene itself is valid and runs.
        let base_days = run_plan(&base).unwrap_or_else(|| panic!("{name} shrunk is refused"));
        for i in 0..=cases {
            let scene = if i == 0 {
                base.clone().into_bytes()
            } else {
                mutate(&base, &mut rng)
            };
            let case = format!("{name}, case {i}");
            std::fs::write(dir.join("bad.toml"), &scene).unwrap();
            let out = oncolattice(dir, &["check", "bad.toml"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            if stderr.contains("panicked") {
                fail("check panicked", &case, &scene, &out);
            }
            match out.status.code() {
                Some(0) => accepted += 1,
                Some(2) => {
                    refused += 1;
                    if !stderr.starts_with("error: bad.toml") {
                        fail("refusal does not name the file", &case, &scene, &out);
                    }
                    // Parsed or not, a refused file is located (not only named).
                    if stderr.starts_with("error: bad.toml: ") {
                        fail("refusal without line:col", &case, &scene, &out);
                    }
                    continue;
                }
                _ => fail("check exited neither 0 nor 2", &case, &scene, &out),
            }
            let text = String::from_utf8(scene.clone()).expect("accepted scenes are UTF-8");
            let Some(days) = (if i == 0 {
                Some(base_days)
            } else {
                run_plan(&text)
            }) else {
                continue;
            };
            let run_dir = dir.join(format!("run{ran}"));
            let out = oncolattice(
                dir,
                &[
                    "run",
                    "bad.toml",
                    "--backend",
                    "cpu",
                    "--quiet",
                    "--no-plots",
                    "--days",
                    &format!("{days:e}"),
                    "--out",
                    run_dir.to_str().unwrap(),
                ],
            );
            if out.status.code() != Some(0) {
                fail(
                    "check accepted a scene that run refused or failed",
                    &case,
                    &scene,
                    &out,
                );
            }
            if let Err(why) = outputs_are_finite(&run_dir) {
                fail(&format!("non-finite output: {why}"), &case, &scene, &out);
            }
            std::fs::remove_dir_all(&run_dir).unwrap();
            ran += 1;
        }
    }
    println!(
        "fuzz: {accepted} accepted ({ran} run), {refused} refused in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        ran > accepted / 4,
        "too few accepted scenes ran: {ran} of {accepted}"
    );
    assert!(
        refused > accepted / 4,
        "too few mutations were refused: {refused}"
    );
}
