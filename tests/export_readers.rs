//! `oncolattice export` read back by the real readers: NumPy's `np.load` for `.npz`
//! and the `vtk` package's `vtkXMLImageDataReader` for `.vti`. Array names, dtypes,
//! shapes, spacing, metadata and every value must equal what the snapshot holds.
//!
//! The readers are required, not optional: `.ci/run` installs them
//! (`pip install numpy vtk`), and these tests fail when they are missing.

mod snapshot_common;

use oncolattice::output::arrays::{site_arrays, ArrayData};
use oncolattice::output::export::npz::{write_entries, NpyEntry};
use oncolattice::output::export::{export, ExportOptions};
use oncolattice::output::snapshot::Snapshot;
use snapshot_common::*;
use std::path::{Path, PathBuf};

/// Reads an export with NumPy and VTK and compares it with expected.json.
const CHECK: &str = r#"
import json, sys
import numpy as np
# The vtk package's XML reader and NumPy bridge (no rendering modules: runs headless).
from vtkmodules.vtkIOXML import vtkXMLImageDataReader
from vtkmodules.util.numpy_support import vtk_to_numpy

expected = json.load(open(sys.argv[1]))
npz_path, vti_path = sys.argv[2], sys.argv[3]
nx, ny, nz = expected["dims"]
h = expected["site_size_um"]

def values(spec):
    v = np.array(spec["values"], dtype=np.uint64)
    if spec["dtype"] == "float32":
        return v.astype(np.uint32).view(np.float32)
    return v.astype(spec["dtype"])

def same(a, b):
    if a.dtype == np.float32:
        return np.array_equal(a.view(np.uint32), b.view(np.uint32))
    return np.array_equal(a, b)

names = [a["name"] for a in expected["arrays"]]

# NumPy
z = np.load(npz_path)
extra = ["metadata", "site_size_um", "tick", "time_h", "dims", "lineage"]
assert sorted(z.files) == sorted(names + extra), z.files
for spec in expected["arrays"]:
    got = z[spec["name"]]
    assert got.shape == (nz, ny, nx), (spec["name"], got.shape)
    assert got.dtype == np.dtype(spec["dtype"]), (spec["name"], got.dtype)
    want = values(spec).reshape(nz, ny, nx)
    assert same(got, want), spec["name"]
meta = json.loads(str(z["metadata"]))
assert [a["name"] for a in meta["arrays"]] == names, meta["arrays"]
assert meta["dims"] == [nx, ny, nz] and meta["tick"] == expected["tick"], meta
assert any(a["unit"] == "mmHg" for a in meta["arrays"])
assert float(z["site_size_um"]) == h
assert int(z["tick"]) == expected["tick"]
assert float(z["time_h"]) == expected["time_h"]
assert list(z["dims"]) == [nx, ny, nz]
lineage = z["lineage"]
assert lineage.dtype == np.uint32 and lineage.shape == (len(expected["lineage"]), 4), lineage.shape
assert lineage.tolist() == expected["lineage"], lineage
assert meta["lineage_columns"] == ["parent", "birth_tick", "traits", "founder_site"]

# VTK
r = vtkXMLImageDataReader()
r.SetFileName(vti_path)
r.Update()
assert r.GetErrorCode() == 0
img = r.GetOutput()
assert img.GetDimensions() == (nx + 1, ny + 1, nz + 1), img.GetDimensions()
assert img.GetSpacing() == (h, h, h), img.GetSpacing()
assert img.GetOrigin() == (0.0, 0.0, 0.0)
assert img.GetNumberOfCells() == nx * ny * nz
cd = img.GetCellData()
got_names = [cd.GetArrayName(i) for i in range(cd.GetNumberOfArrays())]
assert got_names == names, got_names
for spec in expected["arrays"]:
    a = cd.GetArray(spec["name"])
    assert a.GetNumberOfComponents() == 1
    got = vtk_to_numpy(a)
    assert got.dtype == np.dtype(spec["dtype"]), (spec["name"], got.dtype)
    assert same(got, values(spec)), spec["name"]
    # VTK's cell (i, j, k) is site (x, y, z).
    i, j, k = nx - 1, ny // 2, nz - 1
    cell = img.ComputeCellId([i, j, k])
    assert same(got[cell:cell + 1], values(spec)[[i + nx * (j + ny * k)]]), spec["name"]
fd = img.GetFieldData()
assert fd.GetArray("TimeValue").GetValue(0) == expected["time_h"]
assert fd.GetArray("tick").GetValue(0) == expected["tick"]
assert fd.GetArray("site_size_um").GetValue(0) == h
print("readers ok:", len(names), "arrays")
"#;

/// Fails (never skips) without Python's readers.
fn python(args: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is required for the export tests (.ci/run installs it): {e}")
        });
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("No module named"),
        "the export tests need NumPy and VTK: run `python3 -m pip install numpy vtk` (.ci/run does)\n{err}"
    );
    assert!(out.status.success(), "python3 {}: {err}", args.join(" "));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the snapshot holds, as expected.json for CHECK (f32 as bit patterns).
fn expected(snapshot: &Path, dir: &Path) -> PathBuf {
    let snap = Snapshot::read(snapshot).unwrap();
    let arrays: Vec<serde_json::Value> = site_arrays(&snap.scene, &snap.state)
        .into_iter()
        .map(|a| {
            let (dtype, values): (&str, Vec<u64>) = match &a.data {
                ArrayData::U8(v) => ("uint8", v.iter().map(|&x| x as u64).collect()),
                ArrayData::U16(v) => ("uint16", v.iter().map(|&x| x as u64).collect()),
                ArrayData::U32(v) => ("uint32", v.iter().map(|&x| x as u64).collect()),
                ArrayData::F32(v) => ("float32", v.iter().map(|x| x.to_bits() as u64).collect()),
            };
            serde_json::json!({"name": a.name, "dtype": dtype, "values": values})
        })
        .collect();
    let json = serde_json::json!({
        "dims": snap.header.dims,
        "site_size_um": snap.scene.lattice.site_size_um,
        "tick": snap.header.tick,
        "time_h": snap.header.tick as f64 * snap.scene.time.tick_h,
        "arrays": arrays,
        "lineage": snap.state.lineage.clones.iter().map(|c| c.words()).collect::<Vec<_>>(),
    });
    let path = dir.join("expected.json");
    std::fs::write(&path, json.to_string()).unwrap();
    path
}

fn check_with_readers(dir: &Path, snapshot: &Path, npz: &Path, vti: &Path) {
    let expected = expected(snapshot, dir);
    let snap = Snapshot::read(snapshot).unwrap();
    let n = site_arrays(&snap.scene, &snap.state).len();
    assert!(n >= 8, "kind, clone, traits and fields: {n} arrays");
    let script = dir.join("check.py");
    std::fs::write(&script, CHECK).unwrap();
    let out = python(&[s(&script), s(&expected), s(npz), s(vti)]);
    assert!(out.contains(&format!("readers ok: {n} arrays")), "{out}");
}

#[test]
fn a_2d_export_reads_back_with_numpy_and_vtk() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = write_scene(dir, "small.toml", SMALL);
    let run = dir.join("run");
    ok(
        dir,
        &[
            "run",
            s(&scene),
            "--backend",
            "cpu",
            "--days",
            "1",
            "--out",
            s(&run),
            "-q",
        ],
    );
    // A run directory exports its latest snapshot, beside it with the same stem.
    let out = ok(dir, &["export", s(&run), "--vti", "--npz"]);
    let snap = run.join("snapshots/snapshot_00000024.olsnap");
    let (npz, vti) = (snap.with_extension("npz"), snap.with_extension("vti"));
    let text = stdout(&out);
    assert!(text.contains(s(&npz)) && text.contains(s(&vti)), "{text}");
    check_with_readers(dir, &snap, &npz, &vti);
}

#[test]
fn a_3d_export_reads_back_with_numpy_and_vtk() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = write_scene(
        dir,
        "cube.toml",
        "seed = 3\n[lattice]\nnx = 11\nny = 7\nnz = 5\nsite_size_um = 15\n\
         [time]\nduration_days = 0.5\n[tumour]\nradius_um = 30\n\
         [vessels]\nlayout = \"random\"\ndensity = 0.05\nperfusion_spread = 0.5\n",
    );
    let run = dir.join("cube");
    ok(
        dir,
        &["run", s(&scene), "--backend", "cpu", "--out", s(&run), "-q"],
    );
    let snap = snapshots(&run).pop().unwrap().1;
    let base = dir.join("exports/cube-final.vti");
    std::fs::create_dir(base.parent().unwrap()).unwrap();
    ok(
        dir,
        &[
            "export",
            s(&snap),
            "--npz",
            "--vti",
            "--out",
            s(&base),
            "-q",
        ],
    );
    check_with_readers(dir, &snap, &base.with_extension("npz"), &base);
}

#[test]
fn zip64_archives_read_with_numpy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = ArrayData::F32((0..24).map(|i| i as f32 * 0.5).collect());
    let small = ArrayData::U16(vec![7, 8, 9]);
    let path = dir.join("forced.npz");
    write_entries(
        &path,
        &[
            NpyEntry::array("grid", &[2, 3, 4], &data),
            NpyEntry::array("small", &[3], &small),
        ],
        true,
        &mut |_| {},
    )
    .unwrap();
    let script = format!(
        "import zipfile, numpy as np\n\
         assert zipfile.ZipFile({p:?}).testzip() is None\n\
         z = np.load({p:?})\n\
         assert z['grid'].shape == (2, 3, 4) and z['grid'][1, 2, 3] == 11.5\n\
         assert list(z['small']) == [7, 8, 9]\n\
         print('zip64 ok')",
        p = s(&path)
    );
    assert!(python(&["-c", &script]).contains("zip64 ok"));
}

#[test]
fn export_options_and_progress() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scene = write_scene(dir, "small.toml", SMALL);
    let run = dir.join("run");
    ok(
        dir,
        &[
            "run",
            s(&scene),
            "--backend",
            "cpu",
            "--days",
            "0.25",
            "--out",
            s(&run),
            "-q",
        ],
    );
    let snap = snapshots(&run).pop().unwrap().1;
    refused(dir, &["export", s(&snap)], "export needs a format");
    refused(
        dir,
        &[
            "export",
            s(&snap),
            "--npz",
            "--out",
            s(&dir.join("no/such/dir/x")),
        ],
        "does not exist",
    );
    // --out an existing directory: the snapshot's stem inside it.
    let into = dir.join("into");
    std::fs::create_dir(&into).unwrap();
    ok(dir, &["export", s(&snap), "--npz", "--out", s(&into), "-q"]);
    assert!(into.join("snapshot_00000006.npz").is_file());

    // The library reports progress up to the total for each file.
    let mut seen: Vec<(PathBuf, u64, u64)> = Vec::new();
    let written = export(
        &snap,
        &ExportOptions {
            vti: true,
            npz: true,
            out: Some(dir.join("lib")),
        },
        &mut |p| seen.push((p.file.to_path_buf(), p.bytes_done, p.bytes_total)),
    )
    .unwrap();
    assert_eq!(written, [dir.join("lib.vti"), dir.join("lib.npz")]);
    for file in &written {
        let last = seen.iter().rfind(|(f, _, _)| f == file).expect("progress");
        assert_eq!(last.1, last.2, "{}", file.display());
        assert!(last.2 >= 48 * 48 * 18, "{}", last.2);
    }
    // Exports carry no timestamps: the same snapshot gives the same bytes.
    ok(
        dir,
        &[
            "export",
            s(&snap),
            "--npz",
            "--vti",
            "--out",
            s(&dir.join("again")),
            "-q",
        ],
    );
    for ext in ["npz", "vti"] {
        assert_eq!(
            std::fs::read(dir.join(format!("lib.{ext}"))).unwrap(),
            std::fs::read(dir.join(format!("again.{ext}"))).unwrap(),
            "{ext}"
        );
    }
}
