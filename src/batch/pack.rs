//! Packing a batch's runs onto a GPU (issue 13, DESIGN.md "Many scenes per device"):
//! runs whose scenes share a lattice shape and kernels (`engine::gpu::pack_key`)
//! advance in the same dispatches, each on its own thread with a lane of one
//! `GpuPack`; each run's outputs are those of the run alone. Used when the batch
//! runs on a GPU (`--backend gpu`, or `auto` with a hardware adapter); runs that fit
//! no pack, branch runs, and a pack the device refuses go one at a time as before.

use super::row::RunRow;
use super::runner::Message;
use super::{Batch, RunSpec};
use crate::engine::gpu::{pack_key, GpuContext, GpuPack};
use crate::engine::{requested_gpu, Backend, BackendChoice};
use crate::output::RunError;
use crate::scene::Scene;
use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::sync::Arc;

/// Scenes in one pack at most: past a few hundred small scenes a GPU is full
/// (BENCHMARKS.md), and each scene has a thread of its own on the host.
pub const PACK_MAX_SCENES: usize = 256;

/// The packs a batch runs, on one device.
pub(super) struct Packs<'a> {
    ctx: Option<Arc<GpuContext>>,
    /// What each run's summary.json says of its backend.
    note: String,
    /// Each pack's runs, with the first one's scene (the pack's shape).
    pub groups: Vec<(Scene, Vec<&'a RunSpec>)>,
}

/// Splits `sources` into packs (two or more runs with the same key, at most
/// `PACK_MAX_SCENES` each, in batch order) and the runs left to go one at a time.
pub(super) fn plan<'a>(
    batch: &Batch,
    sources: Vec<&'a RunSpec>,
    backend: BackendChoice,
) -> (Packs<'a>, Vec<&'a RunSpec>) {
    let (ctx, how) = match backend {
        BackendChoice::Cpu => (None, ""),
        BackendChoice::Gpu => (requested_gpu().ok(), "requested"),
        BackendChoice::Auto => (GpuContext::new(false).ok(), "auto"),
    };
    let Some(ctx) = ctx else {
        let none = Packs {
            ctx: None,
            note: String::new(),
            groups: Vec::new(),
        };
        return (none, sources);
    };
    let mut by_key: BTreeMap<String, (Scene, Vec<&RunSpec>)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut alone = Vec::new();
    for spec in sources {
        match Scene::parse(&spec.scene_text, &batch.scene_file) {
            Ok(scene) => {
                let key = pack_key(&scene);
                if !by_key.contains_key(&key) {
                    order.push(key.clone());
                }
                by_key
                    .entry(key)
                    .or_insert_with(|| (scene, Vec::new()))
                    .1
                    .push(spec);
            }
            // Its run reports the error.
            Err(_) => alone.push(spec),
        }
    }
    let mut groups = Vec::new();
    for key in order {
        let Some((scene, runs)) = by_key.remove(&key) else {
            continue;
        };
        if runs.len() < 2 {
            alone.extend(runs);
            continue;
        }
        groups.extend(
            runs.chunks(PACK_MAX_SCENES)
                .map(|chunk| (scene.clone(), chunk.to_vec())),
        );
    }
    let note = format!("GPU backend on {} ({how}; packed)", ctx.describe());
    let ctx = Some(Arc::new(ctx));
    (Packs { ctx, note, groups }, alone)
}

/// Runs one pack: a thread per run, each with its lane, reporting through `tx`. When
/// the device refuses the pack (too large), its runs go one at a time instead.
pub(super) fn run_pack<'scope, 'env, F>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    packs: &'env Packs<'env>,
    group: &'env (Scene, Vec<&'env RunSpec>),
    tx: &Sender<Message>,
    run: F,
) where
    F: Fn(&RunSpec, Option<(Box<dyn Backend>, String)>) -> Result<Option<RunRow>, RunError>
        + Send
        + Sync
        + Copy
        + 'env,
{
    let (shape, group) = (&group.0, &group.1);
    let lanes = packs
        .ctx
        .as_ref()
        .and_then(|ctx| GpuPack::lanes(Arc::clone(ctx), shape, group.len()).ok());
    let Some(lanes) = lanes else {
        for &spec in group {
            let _ = tx.send(Message::Started(spec.id.clone()));
            let _ = tx.send(Message::Ended(Box::new(run(spec, None))));
        }
        return;
    };
    for (&spec, lane) in group.iter().zip(lanes) {
        let tx = tx.clone();
        let note = packs.note.clone();
        scope.spawn(move || {
            let _ = tx.send(Message::Started(spec.id.clone()));
            let lane: Box<dyn Backend> = Box::new(lane);
            let _ = tx.send(Message::Ended(Box::new(run(spec, Some((lane, note))))));
        });
    }
}
