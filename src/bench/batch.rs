//! `oncolattice bench --batch`: throughput of many small scenes, as batches and virtual
//! trials run them. For K scenes of one lattice (100² and 256² of the peer
//! competitive-release model, each its own seed, the drug given throughout), the wall
//! time of K runs of `ticks` ticks, one per core side by side on the CPU backend, all
//! K in one pack on a GPU (`engine::gpu::GpuPack`, as `oncolattice batch` packs
//! them), as scene-ticks per second, with the memory each scene takes; and virtual
//! patients per hour: whole competitive-release runs (10,000 ticks) side by side on
//! the CPU, `GPU_PATIENTS` in one pack on a GPU. Set-up (lattice, initial solve) is part of every run's time, as in a batch.

use super::peers::{drive_on, drive_seeded, side_by_side, PeerRun, PEER_COMPETITIVE_SCENE};
use super::BenchError;
use crate::engine::gpu::{GpuContext, GpuPack};
use crate::engine::{requested_gpu, BackendChoice, BackendKind, EngineError};
use crate::output::memory::Needs;
use crate::scene::Scene;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// The scene counts and lattices measured.
pub const SCENE_COUNTS: [usize; 4] = [1, 10, 100, 1000];
pub const QUICK_SCENE_COUNTS: [usize; 2] = [1, 10];
pub const LATTICES: [u32; 2] = [100, 256];
/// Virtual patients packed onto a GPU for the patients-per-hour figure.
pub const GPU_PATIENTS: usize = 100;

/// One batch measured: K scenes of one lattice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchPoint {
    pub backend: String,
    /// Sites along each side (square 2D lattices).
    pub side: u32,
    pub scenes: usize,
    pub ticks_per_scene: u64,
    /// Runs side by side.
    pub jobs: usize,
    pub wall_s: f64,
    pub scene_ticks_per_s: f64,
    /// Bytes one scene takes on the backend's host (CPU) or device (GPU).
    pub bytes_per_scene: u64,
}

/// Whole competitive-release runs side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatientRate {
    pub backend: String,
    pub patients: usize,
    pub ticks_per_patient: u64,
    pub jobs: usize,
    pub wall_s: f64,
    pub patients_per_hour: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchBench {
    pub points: Vec<BatchPoint>,
    pub patients: PatientRate,
}

/// The peer scene on a `side`² lattice with the tumour scaled to it.
fn scene_of_side(side: u32) -> Result<Scene, BenchError> {
    let text = PEER_COMPETITIVE_SCENE
        .replace("nx = 100\n", &format!("nx = {side}\n"))
        .replace("ny = 100\n", &format!("ny = {side}\n"));
    Ok(Scene::parse(
        &text,
        std::path::Path::new("peer-competitive.toml"),
    )?)
}

/// Runs side by side for a backend: one per core on the CPU, one at a time on a GPU.
fn jobs_for(backend: BackendChoice, scenes: usize) -> usize {
    match backend {
        BackendChoice::Cpu => rayon::current_num_threads().min(scenes).max(1),
        _ => 1,
    }
}

/// The GPU a batch bench packs its scenes onto, when it runs on one.
fn pack_device(backend: BackendChoice) -> Option<Arc<GpuContext>> {
    match backend {
        BackendChoice::Cpu => None,
        BackendChoice::Gpu => requested_gpu().ok().map(Arc::new),
        BackendChoice::Auto => GpuContext::new(false).ok().map(Arc::new),
    }
}

/// `scenes` runs in one GPU pack (`engine::gpu::GpuPack`), each on its own thread,
/// as `oncolattice batch` runs them.
fn measure_packed(
    ctx: Arc<GpuContext>,
    scene: &Scene,
    scenes: usize,
    ticks: u64,
) -> Result<(f64, String, usize), BenchError> {
    let start = Instant::now();
    let lanes = GpuPack::lanes(ctx, scene, scenes)?;
    let runs: Vec<Result<PeerRun, BenchError>> = std::thread::scope(|s| {
        let handles: Vec<_> = lanes
            .into_iter()
            .enumerate()
            .map(|(k, lane)| {
                s.spawn(move || {
                    drive_on(scene, k as u64 + 1, Box::new(lane), Some(ticks), &|_| 1.0)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(BenchError::Engine(EngineError::Gpu(
                        "a packed run panicked".into(),
                    )))
                })
            })
            .collect()
    });
    let wall = start.elapsed().as_secs_f64();
    let mut label = String::new();
    for run in runs {
        label = format!("{} (packed)", run?.backend);
    }
    Ok((wall, label, scenes))
}

/// `scenes` runs of `ticks` ticks each, seeds 1..=scenes, drug given throughout: in
/// one pack on a GPU, side by side on the CPU.
fn measure(
    scene: &Scene,
    backend: BackendChoice,
    scenes: usize,
    ticks: u64,
) -> Result<(f64, String, usize), BenchError> {
    if let Some(ctx) = pack_device(backend) {
        return measure_packed(ctx, scene, scenes, ticks);
    }
    let jobs = jobs_for(backend, scenes);
    let seeds: Vec<u64> = (1..=scenes as u64).collect();
    let start = Instant::now();
    let runs = side_by_side(jobs, &seeds, |&seed| {
        drive_seeded(scene, seed, backend, Some(ticks), &|_| 1.0)
    });
    let wall = start.elapsed().as_secs_f64();
    let mut label = String::new();
    for run in runs {
        label = run?.backend;
    }
    Ok((wall, label, jobs))
}

pub fn run_batch_bench(
    backend: BackendChoice,
    quick: bool,
    ticks: u64,
    log: &mut dyn FnMut(&str),
) -> Result<BatchBench, BenchError> {
    let counts: &[usize] = if quick {
        &QUICK_SCENE_COUNTS
    } else {
        &SCENE_COUNTS
    };
    let mut points = Vec::new();
    for side in LATTICES {
        let scene = scene_of_side(side)?;
        let needs = Needs::of(&scene);
        for &k in counts {
            log(&format!("batch: {k} scenes of {side}², {ticks} ticks each"));
            let (wall_s, label, jobs) = measure(&scene, backend, k, ticks)?;
            let gpu = label.starts_with(&BackendKind::Gpu.to_string());
            points.push(BatchPoint {
                backend: label,
                side,
                scenes: k,
                ticks_per_scene: ticks,
                jobs,
                wall_s,
                scene_ticks_per_s: (k as u64 * ticks) as f64 / wall_s.max(f64::MIN_POSITIVE),
                bytes_per_scene: if gpu {
                    needs.gpu_device
                } else {
                    needs.cpu_host
                },
            });
        }
    }
    let scene = scene_of_side(100)?;
    // A GPU takes its patients as one pack; the CPU one per core.
    let patients = match (pack_device(backend).is_some(), quick) {
        (true, true) => 4,
        (true, false) => GPU_PATIENTS,
        (false, _) => jobs_for(backend, usize::MAX).max(2),
    };
    let per_patient = if quick {
        super::peers::QUICK_TICKS
    } else {
        scene.total_ticks()
    };
    log(&format!(
        "batch: {patients} virtual patients of peer-competitive, {per_patient} ticks each"
    ));
    let (wall_s, label, jobs) = measure(&scene, backend, patients, per_patient)?;
    Ok(BatchBench {
        points,
        patients: PatientRate {
            backend: label,
            patients,
            ticks_per_patient: per_patient,
            jobs,
            wall_s,
            patients_per_hour: patients as f64 * 3600.0 / wall_s.max(f64::MIN_POSITIVE),
        },
    })
}

impl BatchBench {
    pub fn table(&self) -> String {
        let mut s = String::from(
            "lattice  scenes  ticks each  side by side     wall s   scene-ticks/s   MiB per scene\n",
        );
        for p in &self.points {
            s.push_str(&format!(
                "{:>4}²   {:>6}  {:>10}  {:>12}  {:>9.3}  {:>14.0}  {:>14.2}\n",
                p.side,
                p.scenes,
                p.ticks_per_scene,
                p.jobs,
                p.wall_s,
                p.scene_ticks_per_s,
                p.bytes_per_scene as f64 / (1 << 20) as f64
            ));
        }
        let r = &self.patients;
        s.push_str(&format!(
            "virtual patients (peer-competitive, {} ticks each): {} in {:.3} s, {} side by side: {:.0} per hour on {}\n",
            r.ticks_per_patient, r.patients, r.wall_s, r.jobs, r.patients_per_hour, r.backend
        ));
        s
    }
}
