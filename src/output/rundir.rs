//! The run directory: where it goes and whether it may be used.

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
    /// It exists and is empty: use it.
    UseEmpty,
    /// It is an earlier run directory and `--force` was given: replace it.
    Replace,
}

/// Decides, without touching anything, whether `dir` may be used.
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
    let empty = std::fs::read_dir(dir)
        .map_err(RunError::io(dir))?
        .next()
        .is_none();
    if empty {
        Ok(Prepare::UseEmpty)
    } else if !force {
        Err(RunError::OutDirNotEmpty(dir.to_path_buf()))
    } else if !dir.join(RESOLVED_SCENE).is_file() {
        Err(RunError::OutDirForeign(dir.to_path_buf()))
    } else if holds_current_dir(dir) {
        Err(RunError::OutDirHoldsCwd(dir.to_path_buf()))
    } else {
        Ok(Prepare::Replace)
    }
}

/// Whether replacing `dir` would delete the working directory (`--out .` inside a run).
fn holds_current_dir(dir: &Path) -> bool {
    match (std::fs::canonicalize(dir), std::env::current_dir()) {
        (Ok(dir), Ok(cwd)) => cwd.starts_with(dir),
        _ => false,
    }
}

/// Carries out what `check` decided.
pub fn prepare(dir: &Path, how: Prepare) -> Result<(), RunError> {
    if how == Prepare::Replace {
        std::fs::remove_dir_all(dir).map_err(RunError::io(dir))?;
    }
    std::fs::create_dir_all(dir).map_err(RunError::io(dir))
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
