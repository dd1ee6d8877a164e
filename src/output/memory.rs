//! The memory a run of a scene needs, per backend, checked against what the machine
//! has before anything is allocated (a 30000² lattice would otherwise abort on a
//! failed allocation of gigabytes).
//!
//! Host bytes per site, with D drugs and F factors (`N = 1 + D + F` fields):
//! - the state as the host holds it (`HostState`: set-up, frames, snapshots, the end
//!   of the run): 16 B of site record + 4·N B of fields + 4·D B of exposure counters;
//! - the CPU backend's own copy: two site arrays (32 B), the wish (4 B), the fields and
//!   the exposure counters: 36 + 4·N + 4·D B;
//! - with frames, three more copies of the state (the download, the render's copy and
//!   the drawing) and 4 B per pixel of the frame.
//!
//! A CPU run needs the backend's copy plus one state (plus the frames' share); a GPU
//! run needs one state on the host (plus the frames' share) and `gpu::bytes_per_site`
//! on the device, which the GPU backend checks against the adapter's limits. Measured:
//! a 2000² scene without drugs peaks at 61 B/site without frames and 116 B/site with
//! one-pixel frames (maximum resident set size), against 60 and 124 B/site here.
//!
//! What the machine can hold is `MemAvailable` of /proc/meminfo, or the number of
//! bytes in the environment variable `ONCOLATTICE_MEMORY_LIMIT_BYTES` when it is set
//! (for tests, and for a share of a node smaller than what the kernel reports free).
//! Where neither exists, nothing is checked.

use super::{frames, RunError};
use crate::engine::{gpu, BackendKind};
use crate::scene::Scene;

/// Overrides the bytes the machine is taken to have available.
pub const LIMIT_ENV: &str = "ONCOLATTICE_MEMORY_LIMIT_BYTES";

/// Bytes a run of a scene needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub sites: u64,
    /// Host bytes of a run on the CPU backend.
    pub cpu_host: u64,
    /// Host bytes of a run on the GPU backend.
    pub gpu_host: u64,
    /// Device bytes of a run on the GPU backend.
    pub gpu_device: u64,
}

impl Needs {
    pub fn of(scene: &Scene) -> Needs {
        let sites = scene.site_count();
        let drugs = scene.drugs.len() as u64;
        let factors = scene.factors.len() as u64;
        let fields = 1 + drugs + factors;
        let state = 16 + 4 * fields + 4 * drugs;
        let cpu_backend = 36 + 4 * fields + 4 * drugs;
        let frames = match scene.frame_every_ticks() {
            Some(_) => {
                let scale = frames::scale(scene) as u64;
                3 * state + 4 * scale * scale
            }
            None => 0,
        };
        Needs {
            sites,
            cpu_host: sites.saturating_mul(cpu_backend + state + frames),
            gpu_host: sites.saturating_mul(state + frames),
            gpu_device: sites.saturating_mul(gpu::bytes_per_site(drugs, factors)),
        }
    }

    /// Host bytes of a run on `kind`.
    pub fn host(&self, kind: BackendKind) -> u64 {
        match kind {
            BackendKind::Cpu => self.cpu_host,
            BackendKind::Gpu => self.gpu_host,
        }
    }

    fn per_site(&self, bytes: u64) -> u64 {
        bytes / self.sites.max(1)
    }
}

/// Bytes as GiB with one decimal, and the exact count.
pub fn gib(bytes: u64) -> String {
    format!(
        "{:.1} GiB ({bytes} bytes)",
        bytes as f64 / (1u64 << 30) as f64
    )
}

/// What the machine can hold and where the number comes from; `None` when unknown.
pub fn available() -> Result<Option<(u64, String)>, RunError> {
    if let Some(text) = std::env::var_os(LIMIT_ENV) {
        let text = text.to_string_lossy();
        return match text.trim().parse::<u64>() {
            Ok(bytes) => Ok(Some((bytes, LIMIT_ENV.to_string()))),
            Err(_) => Err(RunError::Option(format!(
                "{LIMIT_ENV} must be a whole number of bytes (got {text:?})"
            ))),
        };
    }
    let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") else {
        return Ok(None);
    };
    Ok(mem_available(&meminfo).map(|b| (b, "MemAvailable in /proc/meminfo".into())))
}

/// `MemAvailable` of a /proc/meminfo text, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Refuses a run on `kind` that needs more host memory than is available, with the
/// numbers.
pub fn check(scene: &Scene, kind: BackendKind) -> Result<(), RunError> {
    let needs = Needs::of(scene);
    let need = needs.host(kind);
    match available()? {
        Some((have, source)) if need > have => Err(RunError::Memory(format!(
            "the scene has {} sites and needs about {} of memory on the {kind} backend \
             ({} B/site), but only {} is available ({source}); use a smaller lattice{}",
            needs.sites,
            gib(need),
            needs.per_site(need),
            gib(have),
            match kind {
                BackendKind::Cpu => " or the GPU backend",
                BackendKind::Gpu => "",
            }
        ))),
        _ => Ok(()),
    }
}

/// `check`'s line: the memory a scene needs on each backend, and what is available.
pub fn describe(scene: &Scene) -> String {
    let n = Needs::of(scene);
    let have = match available() {
        Ok(Some((bytes, source))) => format!("; available {} ({source})", gib(bytes)),
        Ok(None) => String::new(),
        Err(e) => format!("; {e}"),
    };
    format!(
        "CPU backend {} ({} B/site); GPU backend {} on the device ({} B/site) and {} on the host{have}",
        gib(n.cpu_host),
        n.per_site(n.cpu_host),
        gib(n.gpu_device),
        n.per_site(n.gpu_device),
        gib(n.gpu_host),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn mem_available_is_read_in_kib() {
        let text = "MemTotal:       131072 kB\nMemFree:  100 kB\nMemAvailable:   24234728 kB\n";
        assert_eq!(mem_available(text), Some(24234728 * 1024));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn needs_follow_the_bytes_per_site() {
        let text =
            "name = \"m\"\nseed = 1\n[lattice]\nnx = 100\nny = 100\n[output]\nframe_every_h = 0\n";
        let scene = Scene::parse(text, Path::new("m.toml")).unwrap();
        let n = Needs::of(&scene);
        assert_eq!(n.sites, 10_000);
        assert_eq!(n.cpu_host, 10_000 * (40 + 20));
        assert_eq!(n.gpu_host, 10_000 * 20);
        assert_eq!(n.gpu_device, 10_000 * gpu::BYTES_PER_SITE);
    }
}
