//! The vessel network's files (`output::export::vessels`) end to end: a tiny scene with
//! a living vasculature run on the CPU backend leaves `vessels.vtp`,
//! `vessel_nodes.csv` and `vessel_segments.csv` in its run directory; the CSVs conserve
//! mass at every free node and give Poiseuille's flow on a straight vessel; VTK's own
//! reader reads the VTP back; `render` draws the `vessel_flow` array; `export` writes
//! the files beside a snapshot's; and a scene without `[vasculature]` writes none.

use oncolattice::model::vessel_flow::{blood_viscosity_pa_s, PA_PER_MMHG};
use oncolattice::output::export::vessels::{VESSELS_VTP, VESSEL_NODES_CSV, VESSEL_SEGMENTS_CSV};
use oncolattice::output::{RunOptions, Silent};
use oncolattice::BackendChoice;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

/// 30 × 20 sites of 20 µm, one day: two straight vessels along x at y = 5 and 15
/// (spacing 200 µm, the first at half a spacing), fed from opposite ends
/// (`alternating`), a small tumour below the first whose cells all secrete VEGF, and
/// a network updated every hour. Only vessel sites near the tumour reach the sprouting
/// threshold: the first vessel sprouts (dead ends, and a loop that splits its flow),
/// the second stays straight.
const SCENE: &str = r#"
name = "vessel-export"
seed = 4
[lattice]
nx = 30
ny = 20
[time]
duration_days = 1
report_every_h = 12
[tumour]
radius_um = 40.0
centre_um = [300.0, 40.0, 10.0]
[vessels]
layout = "lines"
axis = "x"
spacing_um = 200.0
[output]
frame_every_h = 0
[[factors]]
name = "vegf"
unit = "nM"
diffusion_um2_per_min = 1000.0
decay_per_min = 0.0116
[[factors.sources]]
kind = "tumour"
secretion_per_min = 0.5
[vasculature]
vegf = "vegf"
update_every_h = 1.0
sprout_max_per_min = 0.002
sprout_threshold_nm = 1.5
tip_speed_um_per_h = 40.0
"#;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `text` in `dir/name` on the CPU backend, without plots.
fn run(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, text).unwrap();
    let out = dir.join(name);
    let opts = RunOptions {
        out_dir: Some(out.clone()),
        backend: BackendChoice::Cpu,
        plots: false,
        ..Default::default()
    };
    oncolattice::run(&file, &opts, &mut Silent).unwrap_or_else(|e| panic!("{name}: {e}"));
    out
}

/// A CSV as rows of named cells.
fn csv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{l}");
            header
                .iter()
                .cloned()
                .zip(cells.iter().map(|c| c.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &HashMap<String, String>, key: &str) -> f64 {
    row[key]
        .parse()
        .unwrap_or_else(|_| panic!("{key} = {:?}", row[key]))
}

/// Fails (never skips) without Python's VTK, as tests/export_readers.rs does.
fn python(args: &[&str]) -> String {
    let out = Command::new("python3")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("python3 is required for the VTP test: {e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("No module named"),
        "the VTP test needs NumPy and VTK: run `python3 -m pip install numpy vtk` \
         (scripts/test does)\n{err}"
    );
    assert!(out.status.success(), "python3 {}: {err}", args.join(" "));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Reads a VTP with vtkXMLPolyDataReader and prints what the test compares.
const READ_VTP: &str = r#"
import json, sys, math
from vtkmodules.vtkIOXML import vtkXMLPolyDataReader
r = vtkXMLPolyDataReader()
r.SetFileName(sys.argv[1])
r.Update()
assert r.GetErrorCode() == 0, r.GetErrorCode()
pd = r.GetOutput()
lines = pd.GetLines()
cells = []
for c in range(pd.GetNumberOfCells()):
    ids = pd.GetCell(c).GetPointIds()
    cells.append([ids.GetId(k) for k in range(ids.GetNumberOfIds())])
def arrays(data):
    out = {}
    for i in range(data.GetNumberOfArrays()):
        a = data.GetArray(i)
        out[a.GetName()] = [None if math.isnan(v) else v for v in (a.GetValue(k) for k in range(a.GetNumberOfTuples()))]
    return out
print(json.dumps({
    "points": pd.GetNumberOfPoints(),
    "lines": pd.GetNumberOfLines(),
    "cells": cells,
    "coords": [list(pd.GetPoint(i)) for i in range(pd.GetNumberOfPoints())],
    "point_data": arrays(pd.GetPointData()),
    "cell_data": arrays(pd.GetCellData()),
    "time": pd.GetFieldData().GetArray("TimeValue").GetValue(0),
}))
"#;

#[test]
fn a_vasculature_run_writes_its_network_and_the_files_hold_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = run(dir, "vessel-export", SCENE);
    for f in [VESSELS_VTP, VESSEL_NODES_CSV, VESSEL_SEGMENTS_CSV] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let nodes = csv(&out.join(VESSEL_NODES_CSV));
    let segments = csv(&out.join(VESSEL_SEGMENTS_CSV));
    assert!(
        nodes.len() >= 4 && segments.len() >= 2,
        "{nodes:?} {segments:?}"
    );
    for (k, n) in nodes.iter().enumerate() {
        assert_eq!(num(n, "node"), k as f64);
    }

    // (a) Mass is conserved at every free node.
    let flow: Vec<f64> = segments
        .iter()
        .map(|r| num(r, "flow_um3_per_min"))
        .collect();
    let largest = flow.iter().fold(0.0f64, |m, q| m.max(q.abs()));
    assert!(largest > 0.0, "blood flows");
    let mut net = vec![0.0f64; nodes.len()];
    let mut degree = vec![0u32; nodes.len()];
    for (r, q) in segments.iter().zip(&flow) {
        let (a, b) = (num(r, "node_a") as usize, num(r, "node_b") as usize);
        net[a] -= q;
        net[b] += q;
        degree[a] += 1;
        degree[b] += 1;
    }
    // Blood through node n: the flows leaving it.
    let net_out_of = |n: usize| -> f64 {
        segments
            .iter()
            .zip(&flow)
            .map(
                |(r, q)| match (num(r, "node_a") as usize, num(r, "node_b") as usize) {
                    (a, _) if a == n => q.max(0.0),
                    (_, b) if b == n => (-q).max(0.0),
                    _ => 0.0,
                },
            )
            .sum()
    };
    let free: Vec<usize> = (0..nodes.len())
        .filter(|&n| nodes[n]["boundary"].is_empty())
        .collect();
    assert!(
        free.iter().any(|&n| degree[n] >= 3 && net_out_of(n) > 0.0),
        "a sprout made a junction that carries flow: degrees {degree:?}"
    );
    for &n in &free {
        assert!(
            net[n].abs() <= 1e-9 * largest,
            "node {n}: net inflow {} of {largest}",
            net[n]
        );
    }

    // ... and a straight vessel from inlet to outlet carries πr⁴ΔP/(8μL).
    let scene = oncolattice::scene::Scene::parse(SCENE, Path::new("v.toml")).unwrap();
    let v = scene.vasculature.as_ref().unwrap();
    let h = scene.lattice.site_size_um;
    let straight = segments
        .iter()
        .find(|r| {
            let ends = [
                &nodes[num(r, "node_a") as usize],
                &nodes[num(r, "node_b") as usize],
            ];
            ends.iter().any(|n| n["boundary"] == "inlet")
                && ends.iter().any(|n| n["boundary"] == "outlet")
        })
        .expect("a vessel unbroken from inlet to outlet");
    let (r_um, l_um) = (num(straight, "radius_um"), num(straight, "length_um"));
    assert_eq!(l_um, 29.0 * h, "across the lattice");
    assert_eq!(num(straight, "sites"), 28.0);
    let mu = blood_viscosity_pa_s(2.0 * r_um, v.haematocrit).unwrap();
    assert!((num(straight, "viscosity_mpa_s") / (mu * 1e3) - 1.0).abs() < 1e-12);
    let dp = (v.inlet_pressure_mmhg - v.outlet_pressure_mmhg) * PA_PER_MMHG;
    let q_m3_s = std::f64::consts::PI * (r_um * 1e-6).powi(4) * dp / (8.0 * mu * l_um * 1e-6);
    let want = q_m3_s * 1e18 * 60.0;
    let got = num(straight, "flow_um3_per_min").abs();
    assert!((got / want - 1.0).abs() < 1e-6, "{got} vs {want} µm³/min");

    // (b) VTK reads the VTP back: one point per node, one line per segment.
    let script = dir.join("read_vtp.py");
    std::fs::write(&script, READ_VTP).unwrap();
    let text = python(&[s(&script), s(&out.join(VESSELS_VTP))]);
    let got: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(got["points"], nodes.len());
    assert_eq!(got["lines"], segments.len());
    let cells = got["cells"].as_array().unwrap();
    let cd = &got["cell_data"];
    let pd = &got["point_data"];
    for (k, r) in segments.iter().enumerate() {
        assert_eq!(
            cells[k],
            serde_json::json!([num(r, "node_a") as u64, num(r, "node_b") as u64])
        );
        assert_eq!(cd["flow_um3_per_min"][k].as_f64().unwrap(), flow[k]);
        assert_eq!(
            cd["abs_flow_um3_per_min"][k].as_f64().unwrap(),
            flow[k].abs()
        );
        assert_eq!(cd["radius_um"][k].as_f64().unwrap(), num(r, "radius_um"));
        assert_eq!(
            cd["wall_shear_stress_dyn_per_cm2"][k].as_f64().unwrap(),
            num(r, "wall_shear_stress_dyn_per_cm2")
        );
    }
    for (k, n) in nodes.iter().enumerate() {
        let p = &pd["pressure_mmhg"][k];
        match n["pressure_mmhg"].as_str() {
            "" => assert!(p.is_null(), "node {k}: NaN where undefined"),
            text => assert_eq!(p.as_f64().unwrap(), text.parse::<f64>().unwrap()),
        }
        assert_eq!(pd["fixed"][k], u64::from(!n["boundary"].is_empty()));
        let xyz = [num(n, "x_um"), num(n, "y_um"), num(n, "z_um")];
        assert_eq!(got["coords"][k], serde_json::json!(xyz));
    }
    assert_eq!(got["time"].as_f64().unwrap(), 24.0);

    // (c) render draws the flow, alone and beside the cells.
    for (color, png) in [
        (vec!["--color", "field:vessel_flow"], "flow.png"),
        (
            vec!["--panels", "cells,field:vessel_pressure"],
            "pressure.png",
        ),
    ] {
        let png = dir.join(png);
        let mut args = vec!["render", s(&out)];
        args.extend(color);
        args.extend(["-o", s(&png), "-q"]);
        let res = Command::new(BIN).args(&args).output().unwrap();
        assert!(
            res.status.success(),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
        let img = image::open(&png).unwrap();
        assert!(img.width() >= 30 && img.height() >= 20);
    }

    // export: the vessel files beside the snapshot's, the same as the run's (the
    // final snapshot is the final state).
    let res = Command::new(BIN)
        .args(["export", s(&out), "--vti", "-q"])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let snaps = out.join("snapshots");
    for f in [VESSELS_VTP, VESSEL_NODES_CSV, VESSEL_SEGMENTS_CSV] {
        let beside = snaps.join(format!("snapshot_00000024.{f}"));
        assert_eq!(
            std::fs::read(&beside).unwrap(),
            std::fs::read(out.join(f)).unwrap(),
            "{f}"
        );
    }
    // The VTI carries the two arrays (its XML head, before the raw data).
    let vti = std::fs::read(snaps.join("snapshot_00000024.vti")).unwrap();
    let head = String::from_utf8_lossy(&vti[..vti.len().min(8192)]).into_owned();
    for name in ["vessel_flow", "vessel_pressure"] {
        assert!(head.contains(&format!("Name=\"{name}\"")), "{name}");
    }

    // `--force` knows the files as the tool's: the run is replaced.
    let file = dir.join("vessel-export.toml");
    let opts = RunOptions {
        out_dir: Some(out.clone()),
        backend: BackendChoice::Cpu,
        plots: false,
        force: true,
        days: Some(0.25),
        ..Default::default()
    };
    oncolattice::run(&file, &opts, &mut Silent).unwrap();
    assert!(out.join(VESSELS_VTP).is_file());
    assert!(!snaps.join("snapshot_00000024.vessels.vtp").exists());
}

#[test]
fn a_scene_without_vasculature_writes_no_vessel_files() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "name = \"plain\"\nseed = 1\n[lattice]\nnx = 12\nny = 12\n[time]\n\
                duration_days = 0.25\n[tumour]\nradius_um = 40.0\n[output]\nframe_every_h = 0\n";
    let out = run(tmp.path(), "plain", text);
    assert!(out.join("summary.json").is_file());
    for f in [VESSELS_VTP, VESSEL_NODES_CSV, VESSEL_SEGMENTS_CSV] {
        assert!(!out.join(f).exists(), "{f}");
    }
}
