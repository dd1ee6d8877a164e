//! `oncolattice bench --size small` on the CPU backend and on the GPU backend (the
//! software adapter in CI; without an adapter the GPU test fails, as every GPU test
//! does): exit 0, a table on stdout, and JSON carrying every field of the table.

use serde_json::Value;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

const KERNEL_FIELDS: [&str; 8] = [
    "kernel",
    "dispatches_per_tick",
    "median_s",
    "site_updates_per_s",
    "bytes_per_dispatch",
    "bytes_per_tick",
    "bandwidth_gb_s",
    "fraction_of_reference",
];

fn bench(backend: &str) -> (String, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("bench.json");
    let out = Command::new(BIN)
        .args([
            "bench",
            "--size",
            "small",
            "--repeats",
            "2",
            "--backend",
            backend,
            "--json",
        ])
        .arg(&json)
        .output()
        .expect("run oncolattice");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bench --backend {backend} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&json).expect("JSON written");
    let value: Value = serde_json::from_str(&text).expect("valid JSON");
    (stdout, value)
}

fn positive(v: &Value, what: &str) -> f64 {
    let x = v
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"));
    assert!(x.is_finite() && x > 0.0, "{what} = {x}");
    x
}

fn check(backend: &str, kind: &str) -> Value {
    let (table, json) = bench(backend);
    for key in [
        "version",
        "size",
        "repeats",
        "timing",
        "backend",
        "adapter",
        "reference",
        "problems",
        "skipped",
    ] {
        assert!(json.get(key).is_some(), "JSON lacks {key}");
    }
    assert_eq!(json["size"], "small");
    assert_eq!(json["backend"]["kind"], kind);
    for key in ["kind", "device", "detail"] {
        assert!(json["backend"][key].is_string(), "backend.{key}");
    }
    positive(&json["reference"]["bandwidth_gb_s"], "reference bandwidth");
    positive(&json["reference"]["median_s"], "reference time");
    let problems = json["problems"].as_array().expect("problems");
    let names: Vec<&str> = problems
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2d-128", "3d-32"], "small runs both problems");
    for p in problems {
        for key in ["dims", "sites", "fields", "sweeps_per_field", "tumour_live"] {
            assert!(p.get(key).is_some(), "problem lacks {key}");
        }
        assert_eq!(p["fields"], 3, "oxygen and two drugs");
        positive(&p["to_tolerance_oxygen_sweeps"], "sweeps to tolerance");
        positive(&p["to_tolerance_tick_s"], "tick to tolerance");
        // The GPU also times the realistic tick with every sweep offered at once.
        let unchunked = &p["to_tolerance_unchunked_tick_s"];
        if kind == "gpu" {
            positive(unchunked, "unchunked tick to tolerance");
        } else {
            assert!(unchunked.is_null(), "the CPU solve has no chunks");
        }
        assert_eq!(
            table.contains("every sweep offered at once"),
            kind == "gpu",
            "the table shows the unchunked tick on the GPU only"
        );
        let kernels = p["kernels"].as_array().expect("kernels");
        let labels: Vec<&str> = kernels
            .iter()
            .map(|k| k["kernel"].as_str().unwrap())
            .collect();
        assert_eq!(
            labels,
            ["field_sweep", "cells", "resolve", "census", "tick"]
        );
        for k in kernels {
            for key in KERNEL_FIELDS {
                assert!(k.get(key).is_some(), "kernel row lacks {key}");
            }
            for key in [
                "median_s",
                "site_updates_per_s",
                "bandwidth_gb_s",
                "fraction_of_reference",
            ] {
                positive(&k[key], key);
            }
            // The table shows the same rows.
            let label = k["kernel"].as_str().unwrap();
            assert!(
                table.lines().any(|l| l.trim_start().starts_with(label)),
                "table lacks {label}"
            );
        }
        // The tick's bytes are the kernels' bytes per tick added up.
        let sum: u64 = kernels[..4]
            .iter()
            .map(|k| k["bytes_per_tick"].as_u64().unwrap())
            .sum();
        assert_eq!(kernels[4]["bytes_per_tick"].as_u64().unwrap(), sum);
    }
    json
}

#[test]
fn bench_small_cpu() {
    let json = check("cpu", "cpu");
    assert_eq!(json["reference"]["kind"], "cpu_stream_triad");
    assert!(json["adapter"].is_null());
}

#[test]
fn bench_small_gpu() {
    let json = check("gpu", "gpu");
    assert_eq!(json["reference"]["kind"], "gpu_buffer_copy");
    for key in [
        "name",
        "backend",
        "device_type",
        "driver",
        "timestamp_query",
        "max_buffer_size",
    ] {
        assert!(json["adapter"].get(key).is_some(), "adapter lacks {key}");
    }
}

/// `bench --peers --quick` runs both peer workloads (shortened) and reports them.
#[test]
fn peer_workloads_run_and_report() {
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("peers.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oncolattice"))
        .args([
            "bench",
            "--peers",
            "--quick",
            "--backend",
            "cpu",
            "--quiet",
            "--json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("peer-75") && stdout.contains("(pulsed)"),
        "{stdout}"
    );
    let runs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 4);
    assert_eq!(runs[0]["workload"], "peer-75");
    assert!((18_000..=19_000).contains(&runs[0]["initial_live"].as_u64().unwrap()));
    let arms: Vec<&str> = runs[1..]
        .iter()
        .map(|r| r["arm"].as_str().unwrap())
        .collect();
    assert_eq!(arms, ["none", "continuous", "pulsed"]);
    for r in runs {
        assert!(r["wall_s"].as_f64().unwrap() > 0.0);
        assert!(r["wall_s_per_simulated_h"].as_f64().unwrap() > 0.0);
    }
    // HAL's start: a disc of 317 cells; the three arms ran as one batch.
    let batch_wall = runs[1]["batch_wall_s"].as_f64().unwrap();
    for r in &runs[1..] {
        assert_eq!(r["initial_live"], 317);
        assert_eq!(r["ticks"], 720);
        assert_eq!(r["batch_wall_s"].as_f64().unwrap(), batch_wall);
        assert!(batch_wall >= r["wall_s"].as_f64().unwrap());
    }
    // Half the initial tumour is resistant; a drug that spares only it, given from day
    // 20 through the boundary, leaves it the larger share by day 60.
    let resistant_share = |r: &serde_json::Value| {
        r["final_resistant"].as_f64().unwrap() / r["final_live"].as_f64().unwrap()
    };
    assert!(resistant_share(&runs[2]) > resistant_share(&runs[1]) + 0.2);
}

/// `bench --batch --quick` measures K = 1 and 10 scenes of 100² and 256² and a rate of
/// virtual patients, and says what each scene takes in memory.
#[test]
fn batch_throughput_runs_and_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("batch.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oncolattice"))
        .args([
            "bench",
            "--batch",
            "--quick",
            "--ticks",
            "5",
            "--backend",
            "cpu",
            "--quiet",
            "--json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("scene-ticks/s") && stdout.contains("per hour"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let points = report["points"].as_array().unwrap();
    let shape: Vec<(u64, u64)> = points
        .iter()
        .map(|p| (p["side"].as_u64().unwrap(), p["scenes"].as_u64().unwrap()))
        .collect();
    assert_eq!(shape, [(100, 1), (100, 10), (256, 1), (256, 10)]);
    for p in points {
        let side = p["side"].as_u64().unwrap();
        let (k, wall) = (p["scenes"].as_f64().unwrap(), p["wall_s"].as_f64().unwrap());
        assert_eq!(p["ticks_per_scene"], 5);
        let rate = p["scene_ticks_per_s"].as_f64().unwrap();
        assert!((rate - k * 5.0 / wall).abs() <= 1e-6 * rate, "{p}");
        // The CPU backend's copy and one host state: 76 B per site with one drug.
        assert_eq!(p["bytes_per_scene"].as_u64().unwrap(), 76 * side * side);
        assert!(p["jobs"].as_u64().unwrap() >= 1);
    }
    let patients = &report["patients"];
    assert_eq!(patients["ticks_per_patient"], 720);
    let n = patients["patients"].as_f64().unwrap();
    let wall = patients["wall_s"].as_f64().unwrap();
    assert!(n >= 2.0);
    let per_hour = patients["patients_per_hour"].as_f64().unwrap();
    assert!((per_hour - n * 3600.0 / wall).abs() <= 1e-6 * per_hour);
}

/// `--quick` shortens a workload; alone it is refused as a bad option.
#[test]
fn quick_without_a_workload_is_refused() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oncolattice"))
        .args(["bench", "--quick"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--peers"));
}

/// On a GPU `bench --batch` packs its K scenes into one pack (issue 13): every point
/// says so, has all K side by side, and the virtual patients run as one pack of four.
#[test]
fn batch_throughput_packs_the_scenes_on_a_gpu() {
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("batch-gpu.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oncolattice"))
        .args([
            "bench",
            "--batch",
            "--quick",
            "--ticks",
            "5",
            "--backend",
            "gpu",
            "--quiet",
            "--json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for p in report["points"].as_array().unwrap() {
        assert!(p["backend"].as_str().unwrap().ends_with("(packed)"), "{p}");
        assert_eq!(p["jobs"], p["scenes"], "{p}");
        assert!(p["scene_ticks_per_s"].as_f64().unwrap() > 0.0, "{p}");
    }
    let patients = &report["patients"];
    assert_eq!(patients["patients"], 4);
    assert_eq!(patients["jobs"], 4);
    assert!(patients["backend"].as_str().unwrap().ends_with("(packed)"));
}
