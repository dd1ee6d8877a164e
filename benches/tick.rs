//! Throughput of the tick and of the field solver, in site-updates per second.
//!
//! Two lattices, 2D 512² and 3D 128³, each holding a grown tumour among randomly
//! placed vessels (built once on the CPU backend, then uploaded to every backend):
//!
//! - `field_sweep/<backend>/<lattice>`: `SWEEPS` red-black sweeps with a tolerance no
//!   sweep meets, so none exits early; throughput counts sites × sweeps.
//! - `tick/<backend>/<lattice>`: one whole tick (solve from the previous tick's field
//!   to the scene's tolerance, cells, resolve, census) until its report is back;
//!   throughput counts sites. The mean sweeps per tick is printed.
//!
//! Before those, the CPU field solve on 1 thread and on every core is timed
//! interleaved, which on a busy machine gives a fairer speed-up than two separate
//! criterion runs.
//!
//! Backends: the CPU backend on 1 thread and on every core, and the GPU backend on
//! whatever adapter `GpuContext::new(true)` finds (software adapters included; on those
//! the 3D tick, ~7 s each on llvmpipe, is skipped). Without an adapter the GPU
//! benchmarks say why and are skipped.
//!
//! Run: `cargo bench --bench tick` (a few minutes on 2 cores); filter as usual, e.g.
//! `cargo bench --bench tick -- field_sweep/cpu`.

use criterion::{Criterion, SamplingMode, Throughput};
use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::gpu::{GpuBackend, GpuContext};
use oncolattice::engine::{Backend, HostState, Simulation};
use oncolattice::model::counters::Counter;
use oncolattice::model::params::{FieldParams, SimParams};
use oncolattice::scene::Scene;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sweeps per measured field solve.
const SWEEPS: u32 = 10;

struct Case {
    label: &'static str,
    scene: Scene,
    state: HostState,
    /// Tick the grown state was taken at.
    tick: u32,
}

/// The scene: default biology and oxygen, 1 % random vessels, a tumour filling a
/// ball (disc) of `radius_um`, grown for `grow_ticks` ticks before measuring.
fn case(label: &'static str, dims: &str, radius_um: f64, grow_ticks: u32) -> Case {
    let text = format!(
        "seed = 7
[lattice]
{dims}
[tumour]
radius_um = {radius_um}
[vessels]
layout = \"random\"
density = 0.01
perfusion_spread = 0.3
"
    );
    let scene = Scene::parse(&text, Path::new("bench.toml")).expect("bench scene");
    let t0 = Instant::now();
    let mut sim = Simulation::new(scene.clone(), Box::new(CpuBackend::new())).expect("simulation");
    let initial = sim.initial_solve();
    for _ in 0..grow_ticks {
        sim.step().expect("tick");
        sim.poll(false).expect("poll");
    }
    let census = sim.report_now().expect("census").census;
    eprintln!(
        "{label}: {} sites, initial solve {} sweeps, grown {grow_ticks} ticks in {:.1} s: \
         {} live ({} quiescent, {} hypoxic), {} necrotic, {} vessel sites",
        scene.site_count(),
        initial.sweeps,
        t0.elapsed().as_secs_f64(),
        census.tumour_live(),
        census.count(Counter::Quiescent),
        census.count(Counter::Hypoxic),
        census.count(Counter::Necrotic),
        census.count(Counter::Vessel),
    );
    let state = sim.state().expect("state");
    Case {
        label,
        scene,
        state,
        tick: grow_ticks,
    }
}

/// Benchmarks one backend on one case; the whole tick only when `ticks` is set.
fn bench_backend(
    c: &mut Criterion,
    name: &str,
    case: &Case,
    mut backend: Box<dyn Backend>,
    ticks: bool,
) {
    let sites = case.scene.site_count();
    let sim = SimParams::from_scene(&case.scene);
    let field = FieldParams::oxygen(&case.scene);
    let seed = case.scene.seed;

    let mut fixed = field;
    fixed.max_sweeps = SWEEPS;
    fixed.tolerance = f32::MIN_POSITIVE;
    backend.upload(&case.state).expect("upload");
    let mut group = c.benchmark_group("field_sweep");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(sites * SWEEPS as u64));
    let at = sim.at_tick(seed, case.tick);
    group.bench_function(format!("{name}/{}", case.label), |b| {
        b.iter(|| {
            let stats = backend
                .solve_blocking(&at, std::slice::from_ref(&fixed))
                .expect("solve");
            assert_eq!(stats[0].sweeps, SWEEPS);
            black_box(stats)
        })
    });
    group.finish();
    if !ticks {
        return;
    }

    // Whole ticks from the grown state; the state keeps evolving across iterations.
    backend.upload(&case.state).expect("upload");
    let mut tick = case.tick;
    let (mut done, mut sweeps) = (0u64, 0u64);
    let mut group = c.benchmark_group("tick");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(sites));
    group.bench_function(format!("{name}/{}", case.label), |b| {
        b.iter(|| {
            backend
                .tick(&sim.at_tick(seed, tick), std::slice::from_ref(&field), true)
                .expect("tick");
            let reports = backend.poll_reports(true).expect("poll");
            tick += 1;
            for r in &reports {
                done += 1;
                sweeps += r.solve.sweeps as u64;
            }
            black_box(reports)
        })
    });
    group.finish();
    if done > 0 {
        eprintln!(
            "tick/{name}/{}: {:.1} sweeps per tick on average over {done} ticks",
            case.label,
            sweeps as f64 / done as f64
        );
    }
}

/// CPU thread scaling of the field solve, measured interleaved (1 thread, all cores,
/// 1 thread, ...) so that load from other processes on a shared machine hits both
/// alike. Prints the median of 15 solves of `SWEEPS` sweeps each.
fn thread_scaling(case: &Case, cores: usize) {
    let sim = SimParams::from_scene(&case.scene).at_tick(case.scene.seed, case.tick);
    let mut fixed = FieldParams::oxygen(&case.scene);
    fixed.max_sweeps = SWEEPS;
    fixed.tolerance = f32::MIN_POSITIVE;
    let mut backends = [1, cores].map(|n| {
        let mut b = CpuBackend::with_threads(n).expect("thread pool");
        b.upload(&case.state).expect("upload");
        b
    });
    let mut times = [Vec::new(), Vec::new()];
    for _ in 0..15 {
        for (b, t) in backends.iter_mut().zip(&mut times) {
            let start = Instant::now();
            black_box(
                b.solve_blocking(&sim, std::slice::from_ref(&fixed))
                    .expect("solve"),
            );
            t.push(start.elapsed().as_secs_f64());
        }
    }
    let [one, all] = times.map(|mut t| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    });
    eprintln!(
        "thread scaling, {} sweeps on {}: 1 thread {:.1} ms, {cores} threads {:.1} ms, \
         speed-up {:.2}",
        SWEEPS,
        case.label,
        one * 1e3,
        all * 1e3,
        one / all
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cases = [
        case("2d-512", "nx = 512\nny = 512", 1600.0, 48),
        case("3d-128", "nx = 128\nny = 128\nnz = 128", 600.0, 24),
    ];
    if cores > 1 {
        for case in &cases {
            thread_scaling(case, cores);
        }
    }
    let gpu = match GpuContext::new(true) {
        Ok(ctx) => {
            eprintln!("GPU adapter: {}", ctx.describe());
            let software = ctx.info().device_type == wgpu::DeviceType::Cpu;
            Some((Arc::new(ctx), software))
        }
        Err(e) => {
            eprintln!("GPU benchmarks skipped: {e}");
            None
        }
    };
    for case in &cases {
        for threads in [1, cores] {
            let backend = CpuBackend::with_threads(threads).expect("thread pool");
            let name = format!("cpu-{threads}t");
            bench_backend(&mut c, &name, case, Box::new(backend), true);
            if cores == 1 {
                break;
            }
        }
        if let Some((ctx, software)) = &gpu {
            // A 3D tick takes ~7 s on llvmpipe: ten samples would double the run.
            let ticks = !(*software && case.scene.is_3d());
            if !ticks {
                eprintln!("tick/gpu/{} skipped on a software adapter", case.label);
            }
            match GpuBackend::new(ctx.clone(), &case.scene) {
                Ok(backend) => bench_backend(&mut c, "gpu", case, Box::new(backend), ticks),
                Err(e) => eprintln!("GPU benchmarks on {} skipped: {e}", case.label),
            }
        }
    }
    c.final_summary();
}
