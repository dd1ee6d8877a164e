//! Snapshots: the whole state of a run at a tick boundary, in one checked file, from
//! which `oncolattice resume` continues and `oncolattice export` converts.
//!
//! A snapshot holds the lattice (`sites`), every field (`oxygen`), and in its header
//! the tick, seed and RNG key, the resolved scene, the backend, the census history and
//! the run directory's bookkeeping (frames and earlier snapshots). The format is in
//! docs/snapshot-format.md; the container is `codec`, the header `header`.

pub mod codec;
mod header;
pub mod resume;

pub use header::{
    BackendRecord, ReportRecord, RngState, RunRecord, SnapshotHeader, SnapshotRecord, SolveRecord,
    CENSUS_WORDS, FORMAT_NAME, RNG_SCHEME,
};

use crate::engine::HostState;
use crate::model::lineage::Lineage;
use crate::model::rng;
use crate::model::site::Site;
use crate::scene::Scene;
use codec::{SectionData, SectionOut, SectionSlice};
use std::path::{Path, PathBuf};

/// The folder of a run directory that holds its snapshots.
pub const SNAPSHOTS: &str = "snapshots";
pub const EXTENSION: &str = "olsnap";
/// Sections of format version 1: the site records and the oxygen field, and for each
/// drug of the scene its field (`drug.NAME`) and per-site exposure (`exposure.NAME`);
/// all required.
pub const SITES: &str = "sites";
pub const OXYGEN: &str = "oxygen";
pub const DRUG_PREFIX: &str = "drug.";
pub const EXPOSURE_PREFIX: &str = "exposure.";
/// Optional: the lineage table as rows of four u32 (`Lineage::to_rows`). A snapshot
/// without it resumes with the scene's initial clones only.
pub const LINEAGE: &str = "lineage";

fn known(name: &str) -> bool {
    name == SITES
        || name == OXYGEN
        || name == LINEAGE
        || name.starts_with(DRUG_PREFIX)
        || name.starts_with(EXPOSURE_PREFIX)
}

/// Why a snapshot cannot be read. Every variant is bad input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    // The message includes the cause, so it is not also a `#[source]` (printed twice).
    #[error("{}: cannot read snapshot: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not an oncolattice snapshot (it does not start with \"OLATSNAP\")", .path.display())]
    Foreign { path: PathBuf },
    #[error("{}: snapshot format version {found} is newer than this oncolattice reads (up to {supported}); use a newer oncolattice", .path.display())]
    FutureVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{}: snapshot is truncated: the file has {found} bytes but needs {expected}", .path.display())]
    Truncated {
        path: PathBuf,
        expected: u64,
        found: u64,
    },
    #[error("{}: snapshot is corrupted: {what}", .path.display())]
    Corrupted { path: PathBuf, what: String },
    #[error("{}: snapshot needs section \"{section}\", which this oncolattice does not know; use a newer oncolattice", .path.display())]
    UnknownSection { path: PathBuf, section: String },
    #[error("{}: snapshot header is invalid: {message}", .path.display())]
    BadHeader { path: PathBuf, message: String },
}

/// A snapshot in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub header: SnapshotHeader,
    /// The scene parsed from `header.scene_toml`.
    pub scene: Scene,
    pub state: HostState,
    /// The file's trailer CRC (what later snapshots record it by).
    pub file_crc: u32,
}

/// `snapshot_<tick, 8 digits>.olsnap`.
pub fn file_name(tick: u64) -> String {
    format!("snapshot_{tick:08}.{EXTENSION}")
}

/// The tick in a snapshot's file name, if it is one.
pub fn tick_of(name: &str) -> Option<u64> {
    let digits = name
        .strip_prefix("snapshot_")?
        .strip_suffix(&format!(".{EXTENSION}"))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The snapshots in `dir` (a `snapshots/` folder), by tick.
pub fn list(dir: &Path) -> Vec<(u64, PathBuf)> {
    let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            tick_of(&name.to_string_lossy()).map(|t| (t, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// A snapshot file, or for a run directory its latest snapshot.
pub fn locate(path: &Path) -> Result<PathBuf, SnapshotError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    match list(&path.join(SNAPSHOTS)).pop() {
        Some((_, p)) => Ok(p),
        None => Err(SnapshotError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("a directory without snapshots (no {SNAPSHOTS}/snapshot_*.{EXTENSION})"),
            ),
        }),
    }
}

/// The run directory a snapshot belongs to: `<run>/snapshots/<file>` where `<run>`
/// holds scene.resolved.toml.
pub fn run_dir_of(snapshot: &Path) -> Option<PathBuf> {
    let folder = snapshot.parent()?;
    if folder.file_name()? != SNAPSHOTS {
        return None;
    }
    let run = folder
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    run.join(super::rundir::RESOLVED_SCENE)
        .is_file()
        .then(|| run.to_path_buf())
}

/// Writes a snapshot atomically (temporary name, sync, rename); returns its trailer CRC.
/// `drug_names` names the drug fields of `state`, in order (the scene's drugs).
pub fn write(
    path: &Path,
    header: &SnapshotHeader,
    state: &HostState,
    drug_names: &[String],
) -> std::io::Result<u32> {
    let n = state.sites.len();
    if state.oxygen.len() != n
        || state.drugs.len() != n * drug_names.len()
        || state.exposure.len() != state.drugs.len()
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "the state has {n} sites, {} oxygen, {} drug and {} exposure values for {} drugs",
                state.oxygen.len(),
                state.drugs.len(),
                state.exposure.len(),
                drug_names.len()
            ),
        ));
    }
    let serde_json::Value::Object(map) =
        serde_json::to_value(header).expect("the header serialises")
    else {
        unreachable!("a struct serialises to an object")
    };
    let n64 = n as u64;
    let names: Vec<(String, String)> = drug_names
        .iter()
        .map(|d| (format!("{DRUG_PREFIX}{d}"), format!("{EXPOSURE_PREFIX}{d}")))
        .collect();
    let one = [n64];
    let four = [n64, 4];
    let mut sections = vec![
        SectionOut {
            name: SITES,
            shape: &four,
            required: true,
            data: SectionSlice::U32(bytemuck::cast_slice(&state.sites)),
        },
        SectionOut {
            name: OXYGEN,
            shape: &one,
            required: true,
            data: SectionSlice::F32(&state.oxygen),
        },
    ];
    for (k, (drug, exposure)) in names.iter().enumerate() {
        sections.push(SectionOut {
            name: drug,
            shape: &one,
            required: true,
            data: SectionSlice::F32(&state.drugs[k * n..(k + 1) * n]),
        });
        sections.push(SectionOut {
            name: exposure,
            shape: &one,
            required: true,
            data: SectionSlice::U32(&state.exposure[k * n..(k + 1) * n]),
        });
    }
    let lineage = state.lineage.to_rows();
    let lineage_shape = [lineage.len() as u64 / 4, 4];
    sections.push(SectionOut {
        name: LINEAGE,
        shape: &lineage_shape,
        required: false,
        data: SectionSlice::U32(&lineage),
    });
    codec::write(path, &map, &sections)
}

impl Snapshot {
    /// Reads a snapshot and checks it whole: container, header, scene and sections.
    pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
        let c = codec::read(path, &known)?;
        let bad = |message: String| SnapshotError::BadHeader {
            path: path.to_path_buf(),
            message,
        };
        let header: SnapshotHeader = serde_json::from_value(serde_json::Value::Object(c.header))
            .map_err(|e| bad(e.to_string()))?;
        if header.format != FORMAT_NAME {
            return Err(bad(format!(
                "format is {:?}, not {FORMAT_NAME:?}",
                header.format
            )));
        }
        if header.format_version != c.version {
            return Err(bad(format!(
                "format_version {} differs from the file's version {}",
                header.format_version, c.version
            )));
        }
        let scene = Scene::parse(&header.scene_toml, Path::new("scene_toml"))
            .map_err(|e| bad(format!("its scene does not validate: {e}")))?;
        let [nx, ny, nz] = header.dims;
        let n = nx as u64 * ny as u64 * nz as u64;
        if [nx, ny, nz] != [scene.lattice.nx, scene.lattice.ny, scene.lattice.nz]
            || n != header.n_sites
        {
            return Err(bad(format!(
                "dims {:?} and n_sites {} do not match its scene ({} × {} × {})",
                header.dims, header.n_sites, scene.lattice.nx, scene.lattice.ny, scene.lattice.nz
            )));
        }
        if header.seed != scene.seed {
            return Err(bad(format!(
                "seed {} differs from its scene's seed {}",
                header.seed, scene.seed
            )));
        }
        if header.tick > scene.total_ticks() || header.tick > u32::MAX as u64 {
            return Err(bad(format!(
                "tick {} is past the end of its scene ({} ticks)",
                header.tick,
                scene.total_ticks()
            )));
        }
        if header.rng.scheme != RNG_SCHEME
            || header.rng.next_tick_key != rng::tick_key(header.seed, header.tick as u32)
        {
            return Err(bad(format!(
                "rng {:?} does not match seed {} at tick {} (scheme {RNG_SCHEME:?})",
                header.rng, header.seed, header.tick
            )));
        }
        if let Some(r) = header
            .census_history
            .iter()
            .find(|r| r.census.len() != header::CENSUS_WORDS)
        {
            return Err(bad(format!(
                "census_history: the census of tick {} has {} words; this oncolattice's census has {}",
                r.tick,
                r.census.len(),
                header::CENSUS_WORDS
            )));
        }
        let drug_names: Vec<&str> = scene.drugs.iter().map(|d| d.name.as_str()).collect();
        let n_drugs = drug_names.len();
        let has_therapy = crate::engine::therapy::TherapyHost::new(&scene)
            .map_err(|e| bad(format!("its scene's therapy cannot start: {e}")))?
            .is_some();
        if has_therapy != header.therapy.is_some() {
            return Err(bad(format!(
                "its scene {} a therapy but the header {} therapy state",
                if has_therapy { "has" } else { "has no" },
                if header.therapy.is_some() {
                    "holds"
                } else {
                    "holds no"
                }
            )));
        }
        if header.plasma_um.len() != n_drugs {
            return Err(bad(format!(
                "plasma_um has {} values for {n_drugs} drugs",
                header.plasma_um.len()
            )));
        }
        let n_usize = n as usize;
        let mut sites = None;
        let mut oxygen = None;
        let mut lineage = None;
        let mut drugs: Vec<Option<Vec<f32>>> = vec![None; n_drugs];
        let mut exposure: Vec<Option<Vec<u32>>> = vec![None; n_drugs];
        let drug_index = |name: &str, prefix: &str| {
            let drug = name.strip_prefix(prefix)?;
            drug_names.iter().position(|d| *d == drug)
        };
        for (info, data) in c.sections {
            let want: &[u64] = if info.name == SITES { &[n, 4] } else { &[n] };
            if info.name == LINEAGE {
                let rows = match (&data, info.shape.as_slice()) {
                    (SectionData::U32(words), [_, 4]) => Lineage::from_rows(words),
                    _ => Err(format!(
                        "shape {:?} ({:?}), expected [clones + 1, 4] (U32)",
                        info.shape, info.dtype
                    )),
                };
                lineage = Some(rows.map_err(|e| bad(format!("section {LINEAGE}: {e}")))?);
                continue;
            }
            if info.shape != want {
                return Err(bad(format!(
                    "section {} has shape {:?}, expected {want:?}",
                    info.name, info.shape
                )));
            }
            let name = info.name.as_str();
            match (
                data,
                drug_index(name, DRUG_PREFIX),
                drug_index(name, EXPOSURE_PREFIX),
            ) {
                (SectionData::U32(words), _, _) if name == SITES => {
                    sites = Some(
                        words
                            .chunks_exact(4)
                            .map(|w| Site {
                                w0: w[0],
                                w1: w[1],
                                w2: w[2],
                                w3: w[3],
                            })
                            .collect::<Vec<_>>(),
                    )
                }
                (SectionData::F32(values), _, _) if name == OXYGEN => oxygen = Some(values),
                (SectionData::F32(values), Some(k), _) => drugs[k] = Some(values),
                (SectionData::U32(values), _, Some(k)) => exposure[k] = Some(values),
                _ => {
                    return Err(bad(format!(
                        "section {name} ({:?}) is not a field of its scene (drugs: {drug_names:?})",
                        info.dtype
                    )))
                }
            }
        }
        let missing = |what: &str| bad(format!("section {what} is missing"));
        let sites = sites.ok_or_else(|| missing(SITES))?;
        let oxygen = oxygen.ok_or_else(|| missing(OXYGEN))?;
        let mut state = HostState::new(sites, oxygen, n_drugs);
        state.lineage = lineage.unwrap_or_else(|| {
            Lineage::initial(&crate::model::setup::initial_clone_traits(&scene))
        });
        for k in 0..n_drugs {
            let field = drugs[k]
                .take()
                .ok_or_else(|| missing(&format!("{DRUG_PREFIX}{}", drug_names[k])))?;
            let auc = exposure[k]
                .take()
                .ok_or_else(|| missing(&format!("{EXPOSURE_PREFIX}{}", drug_names[k])))?;
            state.drugs[k * n_usize..(k + 1) * n_usize].copy_from_slice(&field);
            state.exposure[k * n_usize..(k + 1) * n_usize].copy_from_slice(&auc);
        }
        Ok(Snapshot {
            header,
            scene,
            state,
            file_crc: c.file_crc,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_carry_the_tick() {
        assert_eq!(file_name(120), "snapshot_00000120.olsnap");
        assert_eq!(tick_of("snapshot_00000120.olsnap"), Some(120));
        assert_eq!(tick_of("snapshot_123456789.olsnap"), Some(123_456_789));
        assert_eq!(tick_of("snapshot_.olsnap"), None);
        assert_eq!(tick_of("snapshot_12.vti"), None);
        assert_eq!(tick_of(".snapshot_00000120.olsnap.tmp"), None);
    }
}
