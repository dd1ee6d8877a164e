//! One run per directory: an exclusive lock on the run directory's marker
//! (`run_files::MARKER`) for the life of a `run` or `resume`.
//!
//! The lock is `flock(2)` on the marker, so the kernel releases it when the process
//! ends, however it ends (a `kill -9` included): a lock is never stale. The holder
//! writes its pid into the marker, so that a second process refused the lock can say
//! who holds it. On platforms without `flock` the lock is not taken.

use super::run_files::MARKER;
use super::RunError;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::Path;

/// Held while a run writes its directory; dropping it (or the process ending)
/// releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _marker: File,
    /// Whether this process created the marker (a new directory, or one a run was
    /// killed in before the marker was made).
    pub created_marker: bool,
}

impl RunLock {
    /// Creates the marker in the existing directory `dir` if it is not there (in one
    /// step: it exists whole or not at all), locks it, and writes this process's pid
    /// into it. Refuses with `RunError::OutDirLocked` while another process holds it.
    pub fn acquire(dir: &Path) -> Result<RunLock, RunError> {
        RunLock::acquire_named(dir, MARKER)
    }

    /// The same lock on the file `name` in `dir` (a batch directory locks its own).
    pub fn acquire_named(dir: &Path, name: &str) -> Result<RunLock, RunError> {
        let path = dir.join(name);
        // A marker removed and made again between our open and our lock (a run that
        // found the directory taken after all removes the marker it made) would leave
        // us holding a lock on a file nobody else opens: open again until the file
        // locked is the one at the path.
        for _ in 0..10 {
            let lock = RunLock::acquire_once(dir, &path)?;
            if same_file(&lock._marker, &path) {
                return lock.stamped(&path);
            }
        }
        Err(RunError::io(&path)(std::io::Error::other(
            "the marker keeps being replaced by another process",
        )))
    }

    fn acquire_once(dir: &Path, path: &Path) -> Result<RunLock, RunError> {
        let (file, created) = match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(f) => (f, true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => (
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(path)
                    .map_err(RunError::io(path))?,
                false,
            ),
            Err(e) => return Err(RunError::io(path)(e)),
        };
        if !try_lock(&file).map_err(RunError::io(path))? {
            return Err(RunError::OutDirLocked {
                dir: dir.to_path_buf(),
                pid: holder(path),
            });
        }
        Ok(RunLock {
            _marker: file,
            created_marker: created,
        })
    }

    /// Writes this process's pid into the marker it holds.
    fn stamped(mut self, path: &Path) -> Result<RunLock, RunError> {
        let pid = format!("{}\n", std::process::id());
        let file = &mut self._marker;
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()))
            .map_err(RunError::io(path))?;
        Ok(self)
    }
}

/// Whether the open `file` is the file now at `path`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.is_file()
}

/// The pid written in the marker by the process that holds the lock. It writes it just
/// after taking the lock, so an empty marker is read again for a moment.
fn holder(path: &Path) -> Option<u32> {
    for _ in 0..100 {
        let mut text = String::new();
        if let Ok(mut f) = File::open(path) {
            let _ = f.read_to_string(&mut text);
        }
        if let Ok(pid) = text.trim().parse() {
            return Some(pid);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    None
}

/// Takes the exclusive lock without waiting; `false` when another process holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    loop {
        // SAFETY: flock on a descriptor this `File` owns and keeps open.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        assert!(first.created_marker);
        let marker = std::fs::read_to_string(dir.path().join(MARKER)).unwrap();
        assert_eq!(marker, format!("{}\n", std::process::id()));
        // flock locks belong to the open file description: a second open in this
        // process conflicts like another process's would.
        match RunLock::acquire(dir.path()) {
            Err(RunError::OutDirLocked { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        drop(first);
        let again = RunLock::acquire(dir.path()).unwrap();
        assert!(!again.created_marker);
    }
}
