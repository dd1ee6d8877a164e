//! Driver noise. Graphics drivers print to the process's stderr while wgpu probes them
//! (Mesa's Vulkan drivers say "XDG_RUNTIME_DIR is invalid or not set" on a machine
//! without a desktop session, once per device), which a quiet run must not show. With
//! `set_quiet_drivers(true)`, `GpuContext::new` points file descriptor 2 at /dev/null
//! while it probes adapters and creates the device, and restores it afterwards; the
//! program's own messages are printed outside that window.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static QUIET: AtomicBool = AtomicBool::new(false);
/// One window at a time: two overlapping ones would restore each other's descriptors.
static WINDOW: Mutex<()> = Mutex::new(());

/// Whether driver output during adapter probing is discarded (the CLI's `--quiet`).
pub fn set_quiet_drivers(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Runs `f` with stderr discarded when quiet drivers were asked for (Unix only).
pub(super) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    if !QUIET.load(Ordering::Relaxed) {
        return f();
    }
    let _window = WINDOW.lock().unwrap_or_else(|e| e.into_inner());
    let saved = redirect::silence();
    let out = f();
    if let Some(saved) = saved {
        redirect::restore(saved);
    }
    out
}

#[cfg(unix)]
mod redirect {
    use std::os::fd::AsRawFd as _;

    extern "C" {
        fn dup(fd: i32) -> i32;
        fn dup2(from: i32, to: i32) -> i32;
        fn close(fd: i32) -> i32;
    }

    const STDERR: i32 = 2;

    /// Points stderr at /dev/null; returns a copy of the old descriptor.
    pub fn silence() -> Option<i32> {
        let null = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .ok()?;
        // SAFETY: plain descriptor calls on descriptors this process owns; `saved` is
        // checked before use and closed by `restore`.
        unsafe {
            let saved = dup(STDERR);
            if saved < 0 {
                return None;
            }
            if dup2(null.as_raw_fd(), STDERR) < 0 {
                close(saved);
                return None;
            }
            Some(saved)
        }
    }

    pub fn restore(saved: i32) {
        // SAFETY: `saved` came from `dup` in `silence` and is closed once.
        unsafe {
            dup2(saved, STDERR);
            close(saved);
        }
    }
}

#[cfg(not(unix))]
mod redirect {
    pub fn silence() -> Option<i32> {
        None
    }
    pub fn restore(_saved: i32) {}
}
