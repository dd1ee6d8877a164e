//! `oncolattice bench --size immune`: the 2D 128² problem with T cells reaches its
//! intended share of them (≈ 5 % of the occupied sites) when timing starts, and the
//! report carries a row for their moves on both backends (the software adapter in
//! CI for the GPU). Numbers are checked for shape, never for speed.

use serde_json::Value;
use std::process::Command;

fn bench(backend: &str) -> (String, Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("bench.json");
    let out = Command::new(env!("CARGO_BIN_EXE_oncolattice"))
        .args(["bench", "--size", "immune", "--repeats", "1", "--quiet"])
        .args(["--backend", backend, "--json"])
        .arg(&json)
        .output()
        .expect("run oncolattice");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bench --size immune --backend {backend} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&json).expect("JSON written");
    (stdout, serde_json::from_str(&text).expect("valid JSON"))
}

fn check(backend: &str) {
    let (table, json) = bench(backend);
    assert_eq!(json["size"], "immune");
    let problems = json["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "one immune problem");
    let p = &problems[0];
    assert_eq!(p["name"], "2d-128-immune");
    assert_eq!(p["sites"], 128 * 128);
    assert_eq!(p["fields"], 4, "oxygen, two drugs and the chemokine");
    let tcells = p["tcells"].as_u64().expect("tcells");
    let occupied = p["occupied_sites"].as_u64().expect("occupied_sites");
    let share = tcells as f64 / occupied as f64;
    assert!(
        (0.04..=0.06).contains(&share),
        "{tcells} T cells of {occupied} occupied sites: {:.1} %",
        100.0 * share
    );
    assert!(
        table.contains(&format!("{tcells} T cells")),
        "the table names the T cells:\n{table}"
    );
    let kernels = p["kernels"].as_array().expect("kernels");
    let labels: Vec<&str> = kernels
        .iter()
        .map(|k| k["kernel"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "field_sweep",
            "cells",
            "resolve",
            "census",
            "immune_moves",
            "tick"
        ]
    );
    let moves = &kernels[4];
    assert_eq!(moves["dispatches_per_tick"], 15, "5 µm/min × 1 h / 20 µm");
    let per_move = moves["median_s"].as_f64().unwrap();
    assert!(per_move.is_finite() && per_move > 0.0, "{per_move}");
    assert!(
        table
            .lines()
            .any(|l| l.trim_start().starts_with("immune_moves")),
        "table lacks immune_moves:\n{table}"
    );
    // The tick's bytes are the kernels' bytes per tick, the moves' among them.
    let sum: u64 = kernels[..5]
        .iter()
        .map(|k| k["bytes_per_tick"].as_u64().unwrap())
        .sum();
    assert_eq!(kernels[5]["bytes_per_tick"].as_u64().unwrap(), sum);
}

#[test]
fn bench_immune_cpu() {
    check("cpu");
}

#[test]
fn bench_immune_gpu() {
    check("gpu");
}
