//! Whole-file writes for everything oncolattice leaves on disk (DESIGN.md, "Nothing
//! lost"): the content goes to a temporary name in the target's directory, is synced,
//! and is renamed over the target; then the directory is synced, so that after a crash
//! or a kill the target holds either its old or its new bytes, never a mixture, and a
//! completed write survives a power cut. On any error the temporary file is removed and
//! the error names the target.
//!
//! The temporary name is `.NAME.tmp`: hidden, so listings of frames and snapshots pass
//! over it, and fixed, so a run killed mid-write leaves at most one stale file per target,
//! which the next write of that target replaces.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A write that did not happen; the target is as it was.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", .path.display())]
pub struct WriteError {
    /// The file being written (not its temporary name), or the source of a copy that
    /// could not be read.
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl WriteError {
    fn at(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
        move |source| WriteError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    // No buffer: one `write_all` of the whole content goes straight to the file.
    commit(path, 0, |w| w.write_all(bytes))
}

/// Writes `path` atomically from `fill`, which streams the content into a buffered
/// writer (for files too large to build in memory) and may return a value, such as a
/// checksum of what it wrote.
pub fn write_with<T>(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<T>,
) -> Result<T, WriteError> {
    commit(path, 1 << 20, fill)
}

/// Copies `from` to `to` atomically; returns the bytes copied.
pub fn copy(from: &Path, to: &Path) -> Result<u64, WriteError> {
    // Opened first, so a missing source is reported as such and no temporary is made.
    let mut source = File::open(from).map_err(WriteError::at(from))?;
    commit(to, 1 << 20, |w| std::io::copy(&mut source, w))
}

/// `.NAME.tmp` beside `path`.
fn temp_path(path: &Path) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(".tmp");
    Ok(path.with_file_name(tmp))
}

fn commit<T>(
    path: &Path,
    buffer: usize,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<T>,
) -> Result<T, WriteError> {
    let tmp = temp_path(path).map_err(WriteError::at(path))?;
    let written = (|| {
        let mut w = BufWriter::with_capacity(buffer, File::create(&tmp)?);
        let value = fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        Ok(value)
    })();
    match written {
        Ok(value) => {
            sync_dir(path).map_err(WriteError::at(path))?;
            Ok(value)
        }
        Err(e) => {
            // Best effort: the error that matters is the write's, and a temporary that
            // cannot be removed is replaced by the next write of the same target.
            let _ = std::fs::remove_file(&tmp);
            Err(WriteError::at(path)(e))
        }
    }
}

/// Makes the rename durable: a directory entry reaches the disk only when the
/// directory itself is synced.
#[cfg(unix)]
fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match File::open(dir).and_then(|d| d.sync_all()) {
        // Some file systems (certain FUSE and network mounts) cannot sync a directory;
        // the rename has happened, and there is nothing more this process can do.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::InvalidInput | std::io::ErrorKind::Unsupported
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// Windows cannot open a directory as a file; its renames are journaled by NTFS.
#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        write(&path, b"{}\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{}\n");
        assert_eq!(names(dir.path()), ["summary.json"]);
    }

    #[test]
    fn replaces_the_target_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timeseries.csv");
        write(&path, b"tick,time_h\n0,0\n1,2\n2,4\n").unwrap();
        // Shorter than before: nothing of the old content may remain after it.
        write(&path, b"tick\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"tick\n");
        let n = write_with(&path, |w| {
            w.write_all(b"a")?;
            w.write_all(b"bc")?;
            Ok(3)
        })
        .unwrap();
        assert_eq!(n, 3);
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        assert_eq!(names(dir.path()), ["timeseries.csv"]);
    }

    #[test]
    fn a_failed_fill_keeps_the_old_file_and_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.vti");
        write(&path, b"old").unwrap();
        let e = write_with(&path, |w| {
            w.write_all(b"half of the new")?;
            Err::<(), _>(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(e.path, path);
        assert_eq!(e.to_string(), format!("{}: disk full", path.display()));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["x.vti"]);
    }

    #[test]
    fn a_failed_rename_removes_the_temporary() {
        // A non-empty directory in the target's place: the rename fails after the
        // content was written and synced (also as root, unlike a read-only directory).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("frames");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("frame_000000.png"), b"png").unwrap();
        let e = write(&path, b"bytes").unwrap_err();
        assert_eq!(e.path, path);
        assert_eq!(names(dir.path()), ["frames"]);
        assert_eq!(names(&path), ["frame_000000.png"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/summary.json");
        let e = write(&path, b"{}").unwrap_err();
        assert_eq!(e.path, path);
        assert_eq!(e.source.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(names(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn a_path_without_a_file_name_is_an_error() {
        let e = write(Path::new("/"), b"x").unwrap_err();
        assert_eq!(e.source.kind(), std::io::ErrorKind::InvalidInput);
        let e = write(Path::new("runs/.."), b"x").unwrap_err();
        assert_eq!(e.path, Path::new("runs/.."));
    }

    #[test]
    fn copies_whole_files_and_names_a_missing_source() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("a.olsnap");
        let to = dir.path().join("b.olsnap");
        std::fs::write(&from, b"snapshot bytes").unwrap();
        std::fs::write(&to, b"an older and longer snapshot").unwrap();
        assert_eq!(copy(&from, &to).unwrap(), 14);
        assert_eq!(std::fs::read(&to).unwrap(), b"snapshot bytes");
        let missing = dir.path().join("missing.olsnap");
        let e = copy(&missing, &to).unwrap_err();
        assert_eq!(e.path, missing);
        assert_eq!(std::fs::read(&to).unwrap(), b"snapshot bytes");
        assert_eq!(names(dir.path()), ["a.olsnap", "b.olsnap"]);
    }

    #[test]
    fn the_temporary_is_hidden_beside_the_target() {
        assert_eq!(
            temp_path(Path::new("bench.json")).unwrap(),
            Path::new(".bench.json.tmp")
        );
        assert_eq!(
            temp_path(Path::new("runs/q/summary.json")).unwrap(),
            Path::new("runs/q/.summary.json.tmp")
        );
    }
}
