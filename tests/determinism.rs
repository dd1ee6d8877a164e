//! The determinism contract of DESIGN.md on the CPU backend: the same scene and seed
//! give bit-identical census series, sites and oxygen, run after run and on any
//! thread count; another seed gives another run.

mod common_numerics;

use common_numerics::{run_to_end, scene};
use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::{Backend, HostState, Simulation, TickReport};
use oncolattice::model::counters::Counter;
use oncolattice::scene::Scene;

/// Everything a run produces, with floats as bits so equality is bit-for-bit.
#[derive(Debug, PartialEq, Eq)]
struct Trace {
    /// (tick, census, sweeps, residual bits) per report row.
    rows: Vec<(u64, oncolattice::model::census::Census, u32, u32)>,
    sites: Vec<oncolattice::model::site::Site>,
    oxygen_bits: Vec<u32>,
}

fn trace(rows: &[TickReport], state: &HostState) -> Trace {
    Trace {
        rows: rows
            .iter()
            .map(|r| (r.tick, r.census, r.solve.sweeps, r.solve.residual.to_bits()))
            .collect(),
        sites: state.sites.clone(),
        oxygen_bits: state.oxygen().iter().map(|c| c.to_bits()).collect(),
    }
}

fn run(scene: &Scene, backend: Box<dyn Backend>) -> Trace {
    let mut sim = Simulation::new(scene.clone(), backend).expect("simulation");
    let rows = run_to_end(&mut sim);
    trace(&rows, &sim.state().expect("state"))
}

/// Two days of a tumour among randomly placed, unevenly perfused vessels with default
/// biology: divisions compete for sites, cells turn quiescent, some die.
fn busy_scene(seed: u64, dims: &str, radius_um: f64) -> Scene {
    scene(&format!(
        "seed = {seed}
[lattice]
{dims}
[time]
duration_days = 2.0
report_every_h = 6.0
[tumour]
radius_um = {radius_um}
[vessels]
layout = \"random\"
density = 0.01
perfusion = 0.7
perfusion_spread = 0.3
[cells]
apoptosis_per_h = 0.01
"
    ))
}

fn scenes() -> [Scene; 2] {
    [
        busy_scene(21, "nx = 96\nny = 96", 200.0),
        busy_scene(22, "nx = 32\nny = 32\nnz = 32", 100.0),
    ]
}

/// The run did something worth comparing: cells divided and the field varies.
fn assert_busy(t: &Trace) {
    let first = t.rows.first().unwrap().1;
    let last = t.rows.last().unwrap().1;
    assert_ne!(first.tumour_live(), last.tumour_live(), "nothing happened");
    assert!(last.count(Counter::Vessel) > 0);
    let o2: Vec<f32> = t.oxygen_bits.iter().map(|b| f32::from_bits(*b)).collect();
    let lo = o2.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = o2.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    assert!(hi - lo > 1.0, "flat field {lo}..{hi}");
}

#[test]
fn same_seed_same_run() {
    for s in scenes() {
        let a = run(&s, Box::new(CpuBackend::new()));
        let b = run(&s, Box::new(CpuBackend::new()));
        assert_busy(&a);
        eprintln!(
            "{}D: {} rows, final census {:?}",
            if s.is_3d() { 3 } else { 2 },
            a.rows.len(),
            a.rows.last().unwrap().1
        );
        assert!(a == b, "two runs of the same scene differ");
    }
}

#[test]
fn another_seed_another_run() {
    for s in scenes() {
        let mut other = s.clone();
        other.seed += 1000;
        let a = run(&s, Box::new(CpuBackend::new()));
        let b = run(&other, Box::new(CpuBackend::new()));
        assert_ne!(
            a.sites, b.sites,
            "seeds {} and {} agree",
            s.seed, other.seed
        );
        assert_ne!(a.rows, b.rows);
    }
}

#[test]
fn thread_count_does_not_change_the_run() {
    for s in scenes() {
        let one = run(&s, Box::new(CpuBackend::with_threads(1).expect("pool")));
        // A small lattice outside any pool runs every pass whole on the calling thread.
        let serial = run(&s, Box::new(CpuBackend::new()));
        assert!(one == serial, "the serial run differs from a pool's");
        for threads in [2, 3] {
            let many = run(
                &s,
                Box::new(CpuBackend::with_threads(threads).expect("pool")),
            );
            assert!(
                one == many,
                "{}D run differs between 1 and {threads} threads",
                if s.is_3d() { 3 } else { 2 }
            );
        }
    }
}

/// The same contract on the GPU backend. Fails (does not skip) without an adapter:
/// software adapters such as llvmpipe count.
#[test]
fn gpu_same_seed_same_run() {
    use oncolattice::engine::gpu::{GpuBackend, GpuContext};
    use std::sync::Arc;
    let ctx = Arc::new(GpuContext::new(true).expect("a GPU adapter (software is fine)"));
    eprintln!("GPU determinism on {}", ctx.describe());
    // Shorter runs with a lower sweep cap keep this quick on a software adapter.
    for mut s in scenes() {
        s.time.duration_days = 1.0;
        s.oxygen.max_sweeps_per_tick = 60;
        let backend = || Box::new(GpuBackend::new(ctx.clone(), &s).expect("GPU backend"));
        let a = run(&s, backend());
        let b = run(&s, backend());
        assert_busy(&a);
        assert!(
            a == b,
            "{}D: two GPU runs of the same scene differ",
            if s.is_3d() { 3 } else { 2 }
        );
    }
}

/// The GPU backend offers each tick's sweeps in chunks and asks the device between
/// them (src/engine/gpu/solve_plan.rs); offering every sweep at once must give the
/// same run, bit for bit. At the default cap of 200 sweeps, and the first solve needs
/// more than one chunk.
#[test]
fn gpu_solve_in_chunks_changes_nothing() {
    use oncolattice::engine::gpu::solve_plan::FIRST_CHUNK_UNKNOWN;
    use oncolattice::engine::gpu::{GpuBackend, GpuContext};
    use std::sync::Arc;
    let ctx = Arc::new(GpuContext::new(true).expect("a GPU adapter (software is fine)"));
    for mut s in scenes() {
        s.time.duration_days = 1.0;
        assert_eq!(s.oxygen.max_sweeps_per_tick, 200);
        let chunked = run(&s, Box::new(GpuBackend::new(ctx.clone(), &s).unwrap()));
        let mut whole = GpuBackend::new(ctx.clone(), &s).unwrap();
        whole.set_chunked_solve(false);
        let whole = run(&s, Box::new(whole));
        assert_busy(&chunked);
        assert!(
            chunked.rows[0].2 > FIRST_CHUNK_UNKNOWN,
            "the first solve took {} sweeps",
            chunked.rows[0].2
        );
        assert!(
            chunked == whole,
            "{}D: the solve in chunks changed the run",
            if s.is_3d() { 3 } else { 2 }
        );
    }
}
