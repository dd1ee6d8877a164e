//! The run directory: where it goes and whether it may be used.

use super::run_files;
use super::run_lock::RunLock;
use super::RunError;
use std::path::{Path, PathBuf};

/// The file whose presence marks a directory as an oncolattice run directory.
pub const RESOLVED_SCENE: &str = "scene.resolved.toml";
pub const TIMESERIES: &str = "timeseries.csv";
pub const SUMMARY: &str = "summary.json";
pub const FRAMES: &str = "frames";

/// `runs/<scene name>`, with characters that do not belong in a file name replaced.
pub fn default_dir(scene_name: &str) -> PathBuf {
    let mut name: String = scene_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.trim_matches('.').is_empty() {
        name = "scene".into();
    }
    Path::new("runs").join(name)
}

/// What must happen to the output directory before the run writes into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepare {
    /// It does not exist: create it.
    Create,
    /// It exists and is empty, or holds only the marker of a run that wrote nothing
    /// else: use it.
    UseEmpty,
    /// It is an earlier run directory and `--force` was given: delete the run's files.
    Replace,
}

/// Decides, without touching anything, whether `dir` may be used. With `force`, a
/// directory is replaced only if it is marked as a run directory (`run_files::MARKER`,
/// or `scene.resolved.toml` from before the marker) and holds nothing the tool did not
/// write.
pub fn check(dir: &Path, force: bool) -> Result<Prepare, RunError> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Prepare::Create),
        // A parent that is a file, a name too long: nothing can be written there.
        Err(e) => {
            return Err(RunError::OutDirUnusable {
                path: dir.to_path_buf(),
                reason: e.to_string(),
            })
        }
    };
    if !meta.is_dir() {
        return Err(RunError::OutDirNotADir(dir.to_path_buf()));
    }
    if run_files::holds_nothing_of_a_run(dir)? {
        return Ok(Prepare::UseEmpty);
    }
    if !force {
        return Err(RunError::OutDirNotEmpty(dir.to_path_buf()));
    }
    let marked = dir.join(run_files::MARKER).is_file() || dir.join(RESOLVED_SCENE).is_file();
    if !marked {
        return Err(RunError::OutDirForeign(dir.to_path_buf()));
    }
    let unknown = run_files::unknown(dir)?;
    if !unknown.is_empty() {
        return Err(RunError::OutDirUnknownFiles {
            dir: dir.to_path_buf(),
            files: unknown,
        });
    }
    if holds_current_dir(dir) {
        return Err(RunError::OutDirHoldsCwd(dir.to_path_buf()));
    }
    Ok(Prepare::Replace)
}

/// Whether replacing `dir` would delete the working directory (`--out .` inside a run).
fn holds_current_dir(dir: &Path) -> bool {
    match (std::fs::canonicalize(dir), std::env::current_dir()) {
        (Ok(dir), Ok(cwd)) => cwd.starts_with(dir),
        _ => false,
    }
}

/// Makes `dir` ready for a run that `check` allowed (`force` as given to it): creates
/// it with its marker, takes the lock, checks again under the lock (another process
/// may have written there since), and deletes the earlier run's files when replacing.
/// The lock is held until the returned guard is dropped.
pub fn prepare(dir: &Path, force: bool) -> Result<RunLock, RunError> {
    std::fs::create_dir_all(dir).map_err(RunError::io(dir))?;
    let lock = RunLock::acquire(dir)?;
    let how = match check(dir, force) {
        Ok(how) => how,
        Err(e) => {
            if lock.created_marker {
                // Not ours after all: leave the directory as it was found.
                let _ = std::fs::remove_file(dir.join(run_files::MARKER));
            }
            return Err(e);
        }
    };
    if how == Prepare::Replace {
        run_files::remove_owned(dir)?;
    }
    Ok(lock)
}

/// Locks an existing run directory to continue the run in it (`resume` in place).
pub fn lock_existing(dir: &Path) -> Result<RunLock, RunError> {
    RunLock::acquire(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_dir_is_a_single_safe_component() {
        assert_eq!(default_dir("quickstart"), Path::new("runs/quickstart"));
        assert_eq!(default_dir("a/b c"), Path::new("runs/a_b_c"));
        assert_eq!(default_dir(".."), Path::new("runs/scene"));
    }
}
