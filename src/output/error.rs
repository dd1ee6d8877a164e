//! Why a run did not happen or did not finish.

use super::snapshot::SnapshotError;
use crate::engine::EngineError;
use crate::scene::SceneError;
use std::path::PathBuf;

/// A refused run (bad input, nothing written) or a failed one (runtime, files kept).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Scene(#[from] SceneError),
    /// An option such as `--days` is out of range.
    #[error("{0}")]
    Option(String),
    #[error("output directory {} exists and is not empty; use --force to replace it", .0.display())]
    OutDirNotEmpty(PathBuf),
    #[error("output directory {} is not an oncolattice run directory (neither .oncolattice-run nor scene.resolved.toml); refusing to replace it even with --force", .0.display())]
    OutDirForeign(PathBuf),
    /// `--force` on a run directory that also holds files the tool did not write.
    #[error("output directory {} holds files oncolattice did not write: {}; refusing to replace it even with --force (move them out, or choose another --out)", .dir.display(), list(.files))]
    OutDirUnknownFiles { dir: PathBuf, files: Vec<PathBuf> },
    /// Another process runs in the directory (it holds the lock).
    #[error("output directory {} is in use by another oncolattice process ({}); wait for it to finish, or choose another --out", .dir.display(), holder(.pid))]
    OutDirLocked { dir: PathBuf, pid: Option<u32> },
    /// The scene needs more memory than the machine has available.
    #[error("{0}")]
    Memory(String),
    #[error("output directory {} holds the working directory; refusing to replace it", .0.display())]
    OutDirHoldsCwd(PathBuf),
    #[error("output path {} exists and is not a directory", .0.display())]
    OutDirNotADir(PathBuf),
    /// The output path cannot name a directory: a parent is a regular file, or a name
    /// is longer than the file system allows. Found before anything is written.
    #[error("output directory {} cannot be used: {reason}", .path.display())]
    OutDirUnusable { path: PathBuf, reason: String },
    /// A snapshot that cannot be read (missing, damaged, foreign, future version).
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// A resume that would lose or mix up results (the message says which and why).
    #[error("{0}")]
    Resume(String),
    /// Stopped on request (Ctrl-C) after a whole tick; the state is in `snapshot`.
    #[error("interrupted at tick {tick}; the state is saved in {}; resume with: oncolattice resume {}", .snapshot.display(), .out_dir.display())]
    Interrupted {
        tick: u64,
        snapshot: PathBuf,
        out_dir: PathBuf,
    },
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot encode frame: {source}", .path.display())]
    Frame {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
}

impl RunError {
    /// Whether the input (scene, options, output directory) was refused before anything
    /// was written; otherwise the run failed while running.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            RunError::Scene(_)
                | RunError::Option(_)
                | RunError::OutDirNotEmpty(_)
                | RunError::OutDirForeign(_)
                | RunError::OutDirUnknownFiles { .. }
                | RunError::OutDirLocked { .. }
                | RunError::Memory(_)
                | RunError::OutDirHoldsCwd(_)
                | RunError::OutDirNotADir(_)
                | RunError::OutDirUnusable { .. }
                | RunError::Snapshot(_)
                | RunError::Resume(_)
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> RunError {
        let path = path.into();
        move |source| RunError::Io { path, source }
    }
}

/// At most ten paths, comma-separated, and how many more.
fn list(files: &[PathBuf]) -> String {
    let mut text: Vec<String> = files
        .iter()
        .take(10)
        .map(|f| f.display().to_string())
        .collect();
    if files.len() > 10 {
        text.push(format!("and {} more", files.len() - 10));
    }
    text.join(", ")
}

fn holder(pid: &Option<u32>) -> String {
    match pid {
        Some(pid) => format!("pid {pid}"),
        None => "pid unknown".into(),
    }
}

/// A failed atomic write is an I/O failure at the file being written.
impl From<super::atomic::WriteError> for RunError {
    fn from(e: super::atomic::WriteError) -> RunError {
        RunError::Io {
            path: e.path,
            source: e.source,
        }
    }
}

/// An error and its causes as one line, `a: b: c` like anyhow's `{:#}`, leaving out a
/// cause whose text the line already holds (`path: No such file (os error 2)` is not
/// followed by `: No such file (os error 2)` again).
pub fn error_text(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_names_a_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = anyhow::Error::new(RunError::io("a/b")(io));
        assert_eq!(error_text(&e), "a/b: gone");
        let e = anyhow::Error::new(std::io::Error::other("inner")).context("outer");
        assert_eq!(error_text(&e), "outer: inner");
    }
}
