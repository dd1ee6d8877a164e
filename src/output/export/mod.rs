//! `oncolattice export`: a snapshot as files the usual tools read — VTK XML ImageData
//! (`.vti`, ParaView, VisIt, the `vtk` Python package) and NumPy (`.npz`). Both hold
//! every array of `output::arrays::site_arrays` under its name; the VTI as cell data
//! (one voxel per site, spacing in µm), the NPZ as arrays indexed `[z, y, x]`.
//!
//! A scene with `[vasculature]` also gets its vessel network beside them
//! (`<stem>.vessels.vtp`, `<stem>.vessel_nodes.csv`, `<stem>.vessel_segments.csv`;
//! `vessels` describes them), whichever of the two formats is asked for.
//!
//! Each file is written to a temporary name and renamed, so a failed export leaves
//! nothing half-written.

pub mod npz;
pub mod vessels;
pub mod vti;

use super::arrays::{site_arrays, ArrayData, ArrayRole, NamedArray};
use super::snapshot::{self, Snapshot};
use super::RunError;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to export and where.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportOptions {
    pub vti: bool,
    pub npz: bool,
    /// Output path without extension (`.vti`/`.npz` are added; a given one is
    /// replaced), or an existing directory to write `<snapshot stem>.vti|.npz` into.
    /// Default: beside the snapshot, with its stem.
    pub out: Option<PathBuf>,
}

/// How far an export has come, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExportProgress<'a> {
    pub file: &'a Path,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// Describes the state for both formats: the NPZ's `metadata` entry, and the source of
/// the VTI's field data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    pub oncolattice_version: &'static str,
    /// The snapshot's file name.
    pub snapshot: String,
    pub scene_name: String,
    pub seed: u64,
    pub tick: u64,
    pub time_h: f64,
    /// Lattice size in sites, x y z.
    pub dims: [u32; 3],
    pub site_size_um: f64,
    /// NumPy arrays are indexed like this.
    pub npz_axes: &'static str,
    pub backend: String,
    pub arrays: Vec<ArrayMeta>,
    /// The NPZ's `lineage` entry: one row per clone id, these columns.
    pub lineage_columns: [&'static str; 4],
    /// The scene as run (scene.resolved.toml).
    pub scene_toml: String,
}

/// Columns of the NPZ's `lineage` (uint32, one row per clone id, as lineage.csv); the
/// parent and founder site of an initial clone are 4294967295.
pub const LINEAGE_COLUMNS: [&str; 4] = ["parent", "birth_tick", "traits", "founder_site"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArrayMeta {
    pub name: String,
    pub unit: String,
    /// "category", "trait" or "field".
    pub role: &'static str,
    pub dtype: &'static str,
    pub description: &'static str,
}

fn dtype_name(data: &ArrayData) -> &'static str {
    match data {
        ArrayData::U8(_) => "uint8",
        ArrayData::U16(_) => "uint16",
        ArrayData::U32(_) => "uint32",
        ArrayData::F32(_) => "float32",
    }
}

impl Metadata {
    pub fn new(snapshot_path: &Path, snap: &Snapshot, arrays: &[NamedArray]) -> Metadata {
        let h = &snap.header;
        Metadata {
            oncolattice_version: env!("CARGO_PKG_VERSION"),
            snapshot: snapshot_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            scene_name: snap.scene.name.clone(),
            seed: h.seed,
            tick: h.tick,
            time_h: h.tick as f64 * snap.scene.time.tick_h,
            dims: h.dims,
            site_size_um: snap.scene.lattice.site_size_um,
            npz_axes: "z, y, x",
            backend: format!("{} ({})", h.backend.kind, h.backend.device),
            arrays: arrays
                .iter()
                .map(|a| ArrayMeta {
                    name: a.name.clone(),
                    unit: a.unit.clone(),
                    role: match a.role {
                        ArrayRole::Category => "category",
                        ArrayRole::Trait => "trait",
                        ArrayRole::Field => "field",
                    },
                    dtype: dtype_name(&a.data),
                    description: a.description,
                })
                .collect(),
            lineage_columns: LINEAGE_COLUMNS,
            scene_toml: h.scene_toml.clone(),
        }
    }
}

/// Bytes per value of an array.
pub(crate) fn value_size(data: &ArrayData) -> u64 {
    match data {
        ArrayData::U8(_) => 1,
        ArrayData::U16(_) => 2,
        ArrayData::U32(_) | ArrayData::F32(_) => 4,
    }
}

pub(crate) fn byte_len(data: &ArrayData) -> u64 {
    data.len() as u64 * value_size(data)
}

/// Writes an array's values little-endian in chunks, calling `done` with the bytes of
/// each chunk.
pub(crate) fn stream(
    data: &ArrayData,
    w: &mut dyn Write,
    done: &mut dyn FnMut(u64),
) -> std::io::Result<()> {
    const VALUES: usize = 1 << 18;
    let mut buf = Vec::with_capacity(VALUES * 4);
    fn chunks<T: Copy, const N: usize>(
        v: &[T],
        to_le: impl Fn(T) -> [u8; N],
        buf: &mut Vec<u8>,
        w: &mut dyn Write,
        done: &mut dyn FnMut(u64),
    ) -> std::io::Result<()> {
        for chunk in v.chunks(VALUES) {
            buf.clear();
            for &x in chunk {
                buf.extend_from_slice(&to_le(x));
            }
            w.write_all(buf)?;
            done(buf.len() as u64);
        }
        Ok(())
    }
    match data {
        ArrayData::U8(v) => chunks(v, |x: u8| [x], &mut buf, w, done),
        ArrayData::U16(v) => chunks(v, u16::to_le_bytes, &mut buf, w, done),
        ArrayData::U32(v) => chunks(v, u32::to_le_bytes, &mut buf, w, done),
        ArrayData::F32(v) => chunks(v, f32::to_le_bytes, &mut buf, w, done),
    }
}

/// The output path for `ext` ("vti", "npz", or a vessel file's name such as
/// "vessels.vtp").
fn output_path(snapshot_path: &Path, out: Option<&Path>, ext: &str) -> PathBuf {
    let stem_of = |p: &Path| {
        let known = p
            .extension()
            .is_some_and(|e| e == "vti" || e == "npz" || e == snapshot::EXTENSION);
        if known {
            p.with_extension("")
        } else {
            p.to_path_buf()
        }
    };
    let base = match out {
        Some(dir) if dir.is_dir() => dir.join(
            stem_of(snapshot_path)
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("snapshot")),
        ),
        Some(p) => stem_of(p),
        None => stem_of(snapshot_path),
    };
    let mut name = base.into_os_string();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// Exports `snapshot` (a file, or a run directory for its latest snapshot) and returns
/// the files written. Bad input (no format, a damaged snapshot, a missing output
/// folder) is refused before anything is written.
pub fn export(
    snapshot: &Path,
    opts: &ExportOptions,
    progress: &mut dyn FnMut(ExportProgress),
) -> Result<Vec<PathBuf>, RunError> {
    if !opts.vti && !opts.npz {
        return Err(RunError::Option(
            "export needs a format: --vti (ParaView), --npz (NumPy) or both".into(),
        ));
    }
    if opts.out.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
        return Err(RunError::Option("--out must not be empty".into()));
    }
    let path = snapshot::locate(snapshot)?;
    let snap = Snapshot::read(&path)?;
    let mut targets = Vec::new();
    if opts.vti {
        targets.push(("vti", output_path(&path, opts.out.as_deref(), "vti")));
    }
    if opts.npz {
        targets.push(("npz", output_path(&path, opts.out.as_deref(), "npz")));
    }
    // The vessel network, solved before anything is written.
    let vessel = match vessels::flow_of(&snap.scene, &snap.state.sites) {
        None => None,
        Some(flow) => {
            let flow = flow.map_err(|e| {
                RunError::Engine(crate::engine::EngineError::Vasculature {
                    tick: snap.header.tick,
                    message: e.to_string(),
                })
            })?;
            let to = vessels::FILES.map(|name| output_path(&path, opts.out.as_deref(), name));
            Some((flow, to))
        }
    };
    let vessel_targets = vessel.iter().flat_map(|(_, to)| to.iter());
    for target in targets.iter().map(|(_, t)| t).chain(vessel_targets) {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(RunError::Option(format!(
                "cannot write {}: directory {} does not exist",
                target.display(),
                parent.display()
            )));
        }
        if target.is_dir() {
            return Err(RunError::Option(format!(
                "cannot write {}: it is a directory",
                target.display()
            )));
        }
    }
    let arrays = site_arrays(&snap.scene, &snap.state);
    let meta = Metadata::new(&path, &snap, &arrays);
    for (kind, target) in &targets {
        let total: u64 = arrays.iter().map(|a| byte_len(&a.data)).sum();
        let mut done = 0u64;
        let mut tick = |n: u64| {
            done += n;
            progress(ExportProgress {
                file: target,
                bytes_done: done,
                bytes_total: total,
            });
        };
        let written = match *kind {
            "vti" => vti::write(target, &meta, &arrays, &mut tick),
            _ => npz::write(target, &meta, &arrays, &snap.state.lineage, &mut tick),
        };
        written?;
    }
    let mut written: Vec<PathBuf> = targets.into_iter().map(|(_, p)| p).collect();
    if let Some((flow, to)) = vessel {
        vessels::write_flow(&snap.scene, snap.header.tick, &flow, &to)?;
        written.extend(to);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_go_beside_the_snapshot_or_where_asked() {
        let snap = Path::new("runs/x/snapshots/snapshot_00000012.olsnap");
        assert_eq!(
            output_path(snap, None, "vti"),
            Path::new("runs/x/snapshots/snapshot_00000012.vti")
        );
        assert_eq!(
            output_path(snap, Some(Path::new("out/day5.npz")), "vti"),
            Path::new("out/day5.vti")
        );
        assert_eq!(
            output_path(snap, Some(Path::new("out/run.day5")), "npz"),
            Path::new("out/run.day5.npz")
        );
        assert_eq!(
            output_path(snap, None, vessels::VESSELS_VTP),
            Path::new("runs/x/snapshots/snapshot_00000012.vessels.vtp")
        );
        assert_eq!(
            output_path(
                snap,
                Some(Path::new("out/day5.vti")),
                vessels::VESSEL_NODES_CSV
            ),
            Path::new("out/day5.vessel_nodes.csv")
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            output_path(snap, Some(dir.path()), "npz"),
            dir.path().join("snapshot_00000012.npz")
        );
    }
}
