//! What `oncolattice render` draws: a run directory's latest state.
//!
//! A snapshot file gives its scene, state and tick. A run directory holds
//! `scene.resolved.toml`; its state comes from its latest snapshot
//! (`snapshots/snapshot_*.olsnap`). Without one (a run killed before its first
//! snapshot, or made before snapshots existed), the state is recomputed: the resolved scene
//! is run again on the CPU backend to the run's last tick (from `summary.json`, else
//! the last row of `timeseries.csv`). That is bit-identical to a run made with the CPU
//! backend and statistically equivalent to a GPU run; the note returned says which.

use super::{RenderError, RenderInput};
use crate::engine::cpu::CpuBackend;
use crate::engine::{BackendKind, Simulation};
use crate::output::rundir::{RESOLVED_SCENE, SUMMARY, TIMESERIES};
use crate::output::snapshot::{self, Snapshot};
use crate::scene::Scene;
use std::path::Path;

/// A loaded input and a line saying where its state came from.
pub struct Loaded {
    pub input: RenderInput,
    pub note: String,
}

/// The last tick a run directory reached: `summary.json`'s `ticks`, else the last row
/// of `timeseries.csv`; and the kind of backend that ran, when `summary.json` says.
pub fn last_tick(run_dir: &Path) -> Option<(u64, Option<BackendKind>)> {
    if let Ok(text) = std::fs::read_to_string(run_dir.join(SUMMARY)) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(t) = v.get("ticks").and_then(|t| t.as_u64()) {
                let kind = v["backend"]["kind"]
                    .as_str()
                    .and_then(BackendKind::from_name);
                return Some((t, kind));
            }
        }
    }
    let text = std::fs::read_to_string(run_dir.join(TIMESERIES)).ok()?;
    let last = text.lines().filter(|l| !l.trim().is_empty()).nth_back(0)?;
    let tick = last.split(',').next()?.trim().parse().ok()?;
    Some((tick, None))
}

/// Loads `path`: a snapshot file, or a run directory (its latest snapshot, else its
/// state recomputed).
pub fn load(path: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<Loaded, RenderError> {
    if !path.exists() {
        return Err(RenderError::Input(format!(
            "{}: no such run directory or snapshot",
            path.display()
        )));
    }
    if !path.is_dir() {
        return read_snapshot(path);
    }
    let resolved = path.join(RESOLVED_SCENE);
    if !resolved.is_file() {
        return Err(RenderError::Input(format!(
            "{}: not a run directory (no {RESOLVED_SCENE})",
            path.display()
        )));
    }
    if let Some((_, latest)) = snapshot::list(&path.join(snapshot::SNAPSHOTS)).pop() {
        return read_snapshot(&latest);
    }
    let scene = Scene::load(&resolved)?;
    let (tick, kind) = last_tick(path).unwrap_or((0, None));
    let tick = tick.min(scene.total_ticks());
    recompute(scene, tick, kind, progress)
}

fn read_snapshot(path: &Path) -> Result<Loaded, RenderError> {
    let snap = Snapshot::read(path).map_err(|e| RenderError::Input(e.to_string()))?;
    let tick = snap.header.tick;
    Ok(Loaded {
        input: RenderInput {
            scene: snap.scene,
            state: snap.state,
            tick,
        },
        note: format!("state from snapshot {} (tick {tick})", path.display()),
    })
}

/// Runs `scene` on the CPU backend to `tick`; `backend_kind` is the one the run used,
/// when known.
pub fn recompute(
    scene: Scene,
    tick: u64,
    backend_kind: Option<BackendKind>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Loaded, RenderError> {
    let mut sim = Simulation::new(scene.clone(), Box::new(CpuBackend::new()))?;
    while sim.tick() < tick {
        sim.step()?;
        sim.poll(false)?;
        progress(sim.tick(), tick);
    }
    sim.poll(true)?;
    let state = sim.state()?;
    let same = if backend_kind == Some(BackendKind::Gpu) {
        "the run used the GPU backend, so this state matches it statistically, not site for site"
    } else {
        "identical to a CPU-backend run"
    };
    Ok(Loaded {
        input: RenderInput { scene, state, tick },
        note: format!("no snapshot: state recomputed on the CPU backend to tick {tick} ({same})"),
    })
}
