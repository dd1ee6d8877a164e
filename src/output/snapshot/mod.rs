//! Snapshots: the whole state of a run at a tick boundary, in one checked file, from
//! which `oncolattice resume` continues and `oncolattice export` converts.
//!
//! A snapshot holds the lattice (one array per site member, `site.*`), every field
//! (`oxygen`, `drug.*`), and in its header the tick, seed and RNG key, the resolved
//! scene, the backend, the census history by counter name and the run directory's
//! bookkeeping (frames and earlier snapshots). Nothing in a file is raw device words,
//! so a change of packing or of the census cannot make a file unreadable or misread.
//! The format is in docs/snapshot-format.md; the container is `codec`, the header
//! `header`, the site arrays `sites`, the census history `census_record`; `v1` reads
//! format 1, `read` checks a file whole.

pub mod branch;
pub mod census_record;
pub mod codec;
mod header;
mod meaning;
mod read;
pub mod resume;
pub mod sites;
mod v1;

pub use header::{
    BackendRecord, ReportRecord, RngState, RunRecord, SnapshotHeader, SnapshotRecord, SolveRecord,
    FORMAT_NAME, RNG_SCHEME,
};

use crate::engine::HostState;
use crate::scene::Scene;
use codec::{SectionOut, SectionSlice};
use std::path::{Path, PathBuf};

/// The folder of a run directory that holds its snapshots.
pub const SNAPSHOTS: &str = "snapshots";
pub const EXTENSION: &str = "olsnap";
/// Sections: the site arrays (`sites::MEMBERS`), the oxygen field, and for each drug
/// of the scene its field (`drug.NAME`) and per-site exposure (`exposure.NAME`); all
/// marked required, so that a reader that does not know one refuses the file rather
/// than resume without it.
pub const OXYGEN: &str = "oxygen";
pub const DRUG_PREFIX: &str = "drug.";
pub const EXPOSURE_PREFIX: &str = "exposure.";
/// Each signalling factor's field (`factor.NAME`), required like a drug's.
pub const FACTOR_PREFIX: &str = "factor.";
/// Optional: the lineage table as rows of four u32 (`Lineage::to_rows`). A snapshot
/// without it resumes with the scene's initial clones only.
pub const LINEAGE: &str = "lineage";
/// Format 1's site records, four u32 words per site (read by `v1`, never written).
pub const SITES_V1: &str = "sites";

/// The sections a reader of format `version` decodes.
fn known(version: u32, name: &str) -> bool {
    let sites = if version == 1 {
        name == SITES_V1
    } else {
        sites::is_member(name)
    };
    sites
        || name == OXYGEN
        || name == LINEAGE
        || name.starts_with(DRUG_PREFIX)
        || name.starts_with(EXPOSURE_PREFIX)
        || name.starts_with(FACTOR_PREFIX)
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
    /// Its census history has a counter this build lacks: resuming without it would
    /// continue a different run.
    #[error("{}: snapshot's census history has counter \"{counter}\", which this oncolattice does not know; use a newer oncolattice", .path.display())]
    UnknownCounter { path: PathBuf, counter: String },
    #[error("{}: snapshot header is invalid: {message}", .path.display())]
    BadHeader { path: PathBuf, message: String },
    /// Sound checksums and layout, but content no run could have written.
    #[error("{}: snapshot is inconsistent: {what}", .path.display())]
    Inconsistent { path: PathBuf, what: String },
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
/// `names` names the fields of `state` after oxygen, in field order: the scene's
/// drugs, then its factors.
pub fn write(
    path: &Path,
    header: &SnapshotHeader,
    state: &HostState,
    names: &[String],
) -> std::io::Result<u32> {
    let n = state.sites.len();
    if state.check().is_err() || names.len() + 1 != state.n_fields() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "the state has {n} sites, {} field values ({} drugs) and {} exposure values \
                 for {} named fields",
                state.fields.len(),
                state.n_drugs(),
                state.exposure.len(),
                names.len()
            ),
        ));
    }
    let serde_json::Value::Object(map) =
        serde_json::to_value(header).expect("the header serialises")
    else {
        unreachable!("a struct serialises to an object")
    };
    let n64 = n as u64;
    let (drug_names, factor_names) = names.split_at(state.n_drugs());
    let names: Vec<(String, String)> = drug_names
        .iter()
        .map(|d| (format!("{DRUG_PREFIX}{d}"), format!("{EXPOSURE_PREFIX}{d}")))
        .collect();
    let factors: Vec<String> = factor_names
        .iter()
        .map(|f| format!("{FACTOR_PREFIX}{f}"))
        .collect();
    let one = [n64];
    let fills: Vec<_> = sites::MEMBERS
        .iter()
        .map(|m| {
            let sites = &state.sites;
            move |range: std::ops::Range<usize>, out: &mut Vec<u8>| {
                sites::encode(m, &sites[range], out)
            }
        })
        .collect();
    let mut sections: Vec<SectionOut> = sites::MEMBERS
        .iter()
        .zip(&fills)
        .map(|(m, fill)| SectionOut {
            name: m.name,
            shape: &one,
            required: true,
            data: SectionSlice::Computed {
                dtype: m.dtype,
                len: n,
                fill,
            },
        })
        .collect();
    sections.push(SectionOut {
        name: OXYGEN,
        shape: &one,
        required: true,
        data: SectionSlice::F32(state.oxygen()),
    });
    for (k, (drug, exposure)) in names.iter().enumerate() {
        sections.push(SectionOut {
            name: drug,
            shape: &one,
            required: true,
            data: SectionSlice::F32(state.drug(k)),
        });
        sections.push(SectionOut {
            name: exposure,
            shape: &one,
            required: true,
            data: SectionSlice::U32(&state.exposure[k * n..(k + 1) * n]),
        });
    }
    for (k, factor) in factors.iter().enumerate() {
        sections.push(SectionOut {
            name: factor,
            shape: &one,
            required: true,
            data: SectionSlice::F32(state.factor(k)),
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
