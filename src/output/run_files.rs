//! Which files of a run directory oncolattice wrote, so that `--force` deletes those and
//! nothing else: a directory holding anything else (a user's notes, an `analysis/`
//! folder) is refused, with what is unknown named.
//!
//! A run's own files are the marker (`MARKER`), the files `run` writes at the top
//! (scene.resolved.toml, timeseries.csv, summary.json, performance.json, lineage.csv,
//! scans.csv, and with `[vasculature]` vessels.vtp, vessel_nodes.csv,
//! vessel_segments.csv),
//! `render`'s default `render.png`, the frames and contact sheet in `frames/`, the
//! snapshots in `snapshots/` with what `export` and `render` write beside them by
//! default (`.vti`, `.npz`, `.png`, `.vessels.vtp`, `.vessel_nodes.csv`,
//! `.vessel_segments.csv` of the same stem), the plots in `plots/`, and the
//! temporary name (`.NAME.tmp`, `atomic`) of any of them. Anything else, a file of
//! an expected name that is not a regular file, or a symbolic link, is unknown.

use super::export::vessels::{VESSELS_VTP, VESSEL_NODES_CSV, VESSEL_SEGMENTS_CSV};
use super::lineage::LINEAGE_CSV;
use super::plot::{is_plot_stem, PLOTS};
use super::render::contact;
use super::rundir::{FRAMES, RESOLVED_SCENE, SUMMARY, TIMESERIES};
use super::scans::SCANS_CSV;
use super::snapshot::{self, SNAPSHOTS};
use super::summary::PERFORMANCE;
use super::RunError;
use std::path::{Path, PathBuf};

/// Marks a directory as an oncolattice run directory: created before anything else is
/// written into it, so that a run killed at any moment leaves a directory that `run
/// --force` may replace. It is also the lock (`run_lock`) and holds the pid of the
/// process that runs, or last ran, there.
pub const MARKER: &str = ".oncolattice-run";

/// The files `run` writes at the top of its directory.
const TOP_FILES: [&str; 11] = [
    MARKER,
    RESOLVED_SCENE,
    TIMESERIES,
    SUMMARY,
    PERFORMANCE,
    LINEAGE_CSV,
    SCANS_CSV,
    "render.png",
    VESSELS_VTP,
    VESSEL_NODES_CSV,
    VESSEL_SEGMENTS_CSV,
];

/// What `export` and `render` write beside a snapshot, after its stem and a dot.
const SNAPSHOT_EXPORTS: [&str; 7] = [
    "olsnap",
    "vti",
    "npz",
    "png",
    VESSELS_VTP,
    VESSEL_NODES_CSV,
    VESSEL_SEGMENTS_CSV,
];

/// `NAME` for `.NAME.tmp`, the temporary name `atomic` writes through.
fn temp_target(name: &str) -> Option<&str> {
    name.strip_prefix('.')?.strip_suffix(".tmp")
}

/// Whether `name` in the folder `folder` (`None`: the top) is a file the tool writes.
fn owned_file(folder: Option<&str>, name: &str) -> bool {
    let name = temp_target(name).unwrap_or(name);
    match folder {
        None => TOP_FILES.contains(&name),
        Some(FRAMES) => {
            name == contact::FILE
                || name
                    .strip_prefix("frame_")
                    .and_then(|n| n.strip_suffix(".png"))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        }
        Some(SNAPSHOTS) => SNAPSHOT_EXPORTS.iter().any(|ext| {
            name.strip_suffix(ext)
                .and_then(|stem| stem.strip_suffix('.'))
                .is_some_and(|stem| {
                    snapshot::tick_of(&format!("{stem}.{}", snapshot::EXTENSION)).is_some()
                })
        }),
        Some(PLOTS) => [".png", ".svg"]
            .iter()
            .any(|ext| name.strip_suffix(ext).is_some_and(is_plot_stem)),
        Some(_) => false,
    }
}

/// The folders the tool writes into.
const FOLDERS: [&str; 3] = [FRAMES, SNAPSHOTS, PLOTS];

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Result<Vec<String>, RunError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(RunError::io(dir))? {
        let entry = entry.map_err(RunError::io(dir))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Whether `path` is a regular file (a symbolic link is not).
fn is_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

fn is_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_dir())
}

/// What `dir` holds that the tool did not write, as paths relative to `dir`, sorted; an
/// unknown folder is named, not its contents.
pub fn unknown(dir: &Path) -> Result<Vec<PathBuf>, RunError> {
    let mut found = Vec::new();
    for name in names(dir)? {
        let path = dir.join(&name);
        if FOLDERS.contains(&name.as_str()) && is_dir(&path) {
            for inner in names(&path)? {
                if !(owned_file(Some(&name), &inner) && is_file(&path.join(&inner))) {
                    found.push(Path::new(&name).join(inner));
                }
            }
        } else if !(owned_file(None, &name) && is_file(&path)) {
            found.push(PathBuf::from(name));
        }
    }
    Ok(found)
}

/// Whether `dir` holds nothing but the marker: no run has written anything there.
pub fn holds_nothing_of_a_run(dir: &Path) -> Result<bool, RunError> {
    Ok(names(dir)?.iter().all(|n| n == MARKER))
}

/// Deletes the run's own files from `dir`, all but the marker (which the caller holds
/// as the lock), and then the emptied folders. The caller has checked that `unknown`
/// finds nothing; a file that appeared since is left in place, with its folder.
pub fn remove_owned(dir: &Path) -> Result<(), RunError> {
    let remove = |path: &Path| std::fs::remove_file(path).map_err(RunError::io(path));
    for name in names(dir)? {
        let path = dir.join(&name);
        if FOLDERS.contains(&name.as_str()) && is_dir(&path) {
            for inner in names(&path)? {
                let file = path.join(&inner);
                if owned_file(Some(&name), &inner) && is_file(&file) {
                    remove(&file)?;
                }
            }
            if names(&path)?.is_empty() {
                std::fs::remove_dir(&path).map_err(RunError::io(&path))?;
            }
        } else if name != MARKER && owned_file(None, &name) && is_file(&path) {
            remove(&path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tools_names_are_owned_and_others_are_not() {
        for name in [MARKER, "summary.json", ".summary.json.tmp", "render.png"] {
            assert!(owned_file(None, name), "{name}");
        }
        for name in ["notes.txt", "analysis", ".tmp", "..tmp", "summary.json.bak"] {
            assert!(!owned_file(None, name), "{name}");
        }
        assert!(owned_file(Some(FRAMES), "frame_000012.png"));
        assert!(owned_file(Some(FRAMES), ".frame_000012.png.tmp"));
        assert!(owned_file(Some(FRAMES), "contact_sheet.png"));
        assert!(!owned_file(Some(FRAMES), "frame_.png"));
        assert!(!owned_file(Some(FRAMES), "frame_12a.png"));
        assert!(owned_file(Some(SNAPSHOTS), "snapshot_00000720.olsnap"));
        assert!(owned_file(Some(SNAPSHOTS), "snapshot_00000720.vti"));
        assert!(owned_file(Some(SNAPSHOTS), "snapshot_00000720.npz"));
        assert!(owned_file(Some(SNAPSHOTS), "snapshot_00000720.png"));
        assert!(!owned_file(Some(SNAPSHOTS), "snapshot_00000720.csv"));
        // The vessel network's files ([vasculature]), at the top and beside a snapshot.
        for name in ["vessels.vtp", "vessel_nodes.csv", "vessel_segments.csv"] {
            assert!(owned_file(None, name), "{name}");
            assert!(owned_file(None, &format!(".{name}.tmp")), "{name}");
            let beside = format!("snapshot_00000720.{name}");
            assert!(owned_file(Some(SNAPSHOTS), &beside), "{beside}");
        }
        assert!(!owned_file(Some(SNAPSHOTS), "snapshot_00000720.vtp"));
        assert!(!owned_file(Some(SNAPSHOTS), "mine.vessels.vtp"));
        assert!(!owned_file(Some(SNAPSHOTS), "mine.olsnap"));
        assert!(owned_file(Some(PLOTS), "burden.svg"));
        // The factors' chart and the counters' own charts (the immune scenes' plots).
        for name in ["factors.png", "factors.svg", "immune.png", "immune.svg"] {
            assert!(owned_file(Some(PLOTS), name), "{name}");
        }
        assert!(owned_file(None, "scans.csv"));
        assert!(!owned_file(Some(PLOTS), "burden.pdf"));
        assert!(!owned_file(Some(PLOTS), "mine.png"));
        assert!(!owned_file(Some("analysis"), "summary.json"));
    }
}
