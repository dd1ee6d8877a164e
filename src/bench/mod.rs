//! `oncolattice bench`: standard problems timed per kernel and per tick, with the
//! bytes each kernel moves (`bytes`), the bandwidth that achieves, and that bandwidth
//! as a fraction of the device's own, measured in the same run (`timing`).
//!
//! Each problem (`problems`, scenes in `scenes/bench/`) is grown a few ticks on the
//! measured backend with both drugs at a constant 1 µM plasma level; its state is then
//! uploaded to a fresh backend and timed:
//!
//! - the whole tick: `Backend::tick` with a census (a report tick) until its report is
//!   back, as a fixed-work tick: every field runs exactly `FIXED_SWEEPS`
//!   sweeps (tolerance 0), so its bytes are known;
//! - each kernel alone: on the CPU, the functions of `engine::cpu` the backend runs,
//!   called directly (a half-sweep is timed as half of a fused two-colour sweep); on the GPU, `GpuBackend::time_pass` (several dispatches in one submit,
//!   timestamp queries when the device has them, else host time until the device
//!   is idle); the whole tick and the reference copy are host-timed.
//!
//! In a scene with T cells (`--size immune`) the kernels include their moves
//! (`immune`): one move is `immune_moves` and resolve, `moves_per_tick` of them a tick.
//!
//! Every number is the median of `repeats` samples after a warm-up.

pub mod batch;
mod bytes;
mod immune;
pub mod peers;
pub mod problems;
pub mod report;
pub mod timing;

pub use problems::Size;
pub use report::BenchReport;

use crate::engine::cpu::{self, CellInputs, CpuBackend};
use crate::engine::gpu::{GpuBackend, GpuContext};
use crate::engine::{Backend, BackendChoice, EngineError, HostState, Pass, Simulation};
use crate::model::drug_params::{pd_tables, DrugSet};
use crate::model::immune::{immune_tables, ImmuneParams};
use crate::model::params::{FieldParams, SimParams};
use crate::scene::Scene;
use report::{Adapter, KernelRow, ProblemResult, Skipped};
use std::sync::Arc;
use std::time::Instant;
use timing::Reference;

/// Sweeps of every field in the fixed-work tick.
pub const FIXED_SWEEPS: u32 = 10;

/// Plasma level of each drug while growing and timing, µM.
pub const PLASMA_UM: f64 = 1.0;

/// GPU dispatches (or copies) recorded per timed submit; CPU kernel calls per sample.
const PER_SUBMIT: u32 = 8;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub backend: BackendChoice,
    pub size: Size,
    /// Timed samples per number (at least 1).
    pub repeats: usize,
}

/// Failures of a bench run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("bench scene {0}")]
    Scene(#[from] crate::scene::SceneError),
}

enum Device {
    Cpu,
    Gpu(Arc<GpuContext>),
}

/// Runs the problems of `opts.size`; `log` receives progress lines.
pub fn run(opts: &BenchOptions, log: &mut dyn FnMut(&str)) -> Result<BenchReport, BenchError> {
    let repeats = opts.repeats.max(1);
    let device = match opts.backend {
        BackendChoice::Cpu => Device::Cpu,
        BackendChoice::Gpu => Device::Gpu(Arc::new(crate::engine::requested_gpu()?)),
        BackendChoice::Auto => match GpuContext::new(false) {
            Ok(ctx) => Device::Gpu(Arc::new(ctx)),
            Err(_) => Device::Cpu,
        },
    };
    // The immune problem is small too: 128².
    let small = matches!(opts.size, Size::Small | Size::Immune);
    let (backend_info, adapter, reference, timing) = match &device {
        Device::Cpu => {
            // Three arrays of 2^21 (small) or 2^24 f64: 48 MiB or 384 MiB, past caches.
            let len = if small { 1 << 21 } else { 1 << 24 };
            log(&format!("STREAM triad over 3 × {len} f64"));
            let reference = timing::cpu_triad(len, repeats.max(5));
            (
                CpuBackend::new().info(),
                None,
                reference,
                format!("host time of {PER_SUBMIT} calls of each CPU kernel back to back (a half-sweep: half of a fused two-colour sweep); tick: host time"),
            )
        }
        Device::Gpu(ctx) => {
            let size = if small { 16 << 20 } else { 256 << 20 };
            log(&format!(
                "buffer copy of {} MiB on {}",
                size >> 20,
                ctx.describe()
            ));
            let reference = timing::gpu_copy(ctx, size, PER_SUBMIT, repeats.max(5))?;
            let info = ctx.info();
            let backend_info = crate::engine::BackendInfo {
                kind: crate::engine::BackendKind::Gpu,
                device: info.name.clone(),
                detail: format!("{:?}, {:?}", info.backend, info.device_type),
            };
            (
                backend_info,
                Some(Adapter::of(ctx)),
                reference,
                if ctx
                    .device()
                    .features()
                    .contains(wgpu::Features::TIMESTAMP_QUERY)
                {
                    format!(
                        "kernels: timestamp queries around {PER_SUBMIT} dispatches in one compute pass; \
                         tick and copy: host time around a completed submission"
                    )
                } else {
                    format!(
                        "host time around a completed submission ({PER_SUBMIT} dispatches per submit for kernels)"
                    )
                },
            )
        }
    };
    let timing = if opts.size == Size::Immune {
        format!("{timing}; immune_moves: one sample is a tick's moves back to back, per move")
    } else {
        timing
    };
    let mut report = BenchReport {
        version: env!("CARGO_PKG_VERSION").into(),
        size: opts.size,
        repeats,
        timing,
        backend: backend_info,
        adapter,
        reference,
        problems: Vec::new(),
        skipped: Vec::new(),
    };
    for problem in problems::problems(opts.size) {
        let scene = problem.scene()?;
        log(&format!(
            "{}: {} sites, growing {} ticks",
            problem.name,
            scene.site_count(),
            problem.grow_ticks
        ));
        let made = match &device {
            Device::Cpu => Ok(Box::new(CpuBackend::new()) as Box<dyn Backend>),
            Device::Gpu(ctx) => GpuBackend::new(ctx.clone(), &scene).map(|b| Box::new(b) as _),
        };
        let backend = match made {
            Ok(b) => b,
            Err(EngineError::TooLarge(why)) => {
                log(&format!("{}: skipped: {why}", problem.name));
                report.skipped.push(Skipped {
                    problem: problem.name.into(),
                    reason: why,
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let (state, tick) = grow(&scene, backend, problem.grow_ticks)?;
        let result = match &device {
            Device::Cpu => measure(
                problem.name,
                &scene,
                &state,
                tick,
                repeats,
                &report.reference,
                Box::new(CpuBackend::new()),
                |pass, sim, fields, _b| {
                    Ok(match pass {
                        Pass::ImmuneMoves => immune::cpu_move(sim, &scene, &state, &state.fields),
                        _ => cpu_pass(pass, sim, fields, &scene, &state),
                    })
                },
                None,
                bytes::SiteAccess::Record,
            )?,
            Device::Gpu(ctx) => measure(
                problem.name,
                &scene,
                &state,
                tick,
                repeats,
                &report.reference,
                Box::new(GpuBackend::new(ctx.clone(), &scene)?),
                |pass, sim, fields, b: &mut GpuBackend| {
                    // One sample of the moves: a tick's worth in one submit.
                    let reps = match pass {
                        Pass::ImmuneMoves => immune::moves_per_tick(&scene),
                        _ => PER_SUBMIT,
                    };
                    b.time_pass(pass, sim, fields, 0, reps)
                },
                Some(GpuBackend::set_chunked_solve),
                bytes::SiteAccess::Code,
            )?,
        };
        report.problems.push(result);
    }
    Ok(report)
}

/// Grows the problem's tumour on `backend`: the initial solve, then `ticks` ticks.
fn grow(
    scene: &Scene,
    backend: Box<dyn Backend>,
    ticks: u32,
) -> Result<(HostState, u32), EngineError> {
    let mut sim = Simulation::new(scene.clone(), backend)?;
    sim.set_plasma_um(&vec![PLASMA_UM; scene.drugs.len()]);
    for _ in 0..ticks {
        sim.step()?;
        sim.poll(true)?;
    }
    Ok((sim.state()?, ticks))
}

/// The fields of a fixed-work tick: every field runs exactly `FIXED_SWEEPS` sweeps.
fn fixed_work_fields(scene: &Scene) -> Vec<FieldParams> {
    let mut fields = FieldParams::all(scene, &vec![PLASMA_UM; scene.drugs.len()]);
    for f in &mut fields {
        f.tolerance = 0.0;
        f.max_sweeps = FIXED_SWEEPS;
    }
    fields
}

fn dims(scene: &Scene) -> [u32; 3] {
    let l = &scene.lattice;
    [l.nx, l.ny, l.nz]
}

const PASSES: [(Pass, &str); 4] = [
    (Pass::FieldSweep, "field_sweep"),
    (Pass::Cells, "cells"),
    (Pass::Resolve, "resolve"),
    (Pass::Census, "census"),
];

/// Times the whole tick on `backend`, then each pass with `time_pass` (median of
/// `repeats` calls, each returning seconds per dispatch).
#[allow(clippy::too_many_arguments)]
fn measure<B: Backend + ?Sized>(
    name: &str,
    scene: &Scene,
    state: &HostState,
    tick: u32,
    repeats: usize,
    reference: &Reference,
    mut backend: Box<B>,
    mut time_pass: impl FnMut(Pass, &SimParams, &[FieldParams], &mut B) -> Result<f64, EngineError>,
    chunked_solve: Option<fn(&mut B, bool)>,
    access: bytes::SiteAccess,
) -> Result<ProblemResult, EngineError> {
    let dims = dims(scene);
    let sites = scene.site_count();
    let fields = fixed_work_fields(scene);
    let n_fields = fields.len() as u64;
    let sweeps = FIXED_SWEEPS;
    let base = SimParams::from_scene(scene);
    backend.configure_drugs(&DrugSet::from_scene(scene), &pd_tables(scene))?;
    backend.configure_immune(&ImmuneParams::from_scene(scene), &immune_tables(scene))?;
    backend.upload(state)?;
    let (tcells, occupied) = immune::tcells_and_occupied(&state.sites);
    let moves = immune::moves_per_tick(scene);
    let live = cpu::census(
        &base.at_tick(scene.seed, tick),
        &fields,
        &state.sites,
        &state.fields,
        &state.lineage.header(),
    )
    .tumour_live() as u64;

    // The whole tick, warm-up first, every sweep offered at once (a GPU solve in
    // chunks would add a readback per tick to a tick whose sweep count is fixed).
    if let Some(set) = chunked_solve {
        set(&mut backend, false);
    }
    let mut samples = Vec::new();
    let mut t = tick;
    for k in 0..=repeats {
        let sim = base.at_tick(scene.seed, t);
        let t0 = Instant::now();
        backend.tick(&sim, &fields, true)?;
        let reports = backend.poll_reports(true)?;
        let dt = t0.elapsed().as_secs_f64();
        if let Some(r) = reports.first() {
            if r.solve.sweeps != sweeps {
                return Err(EngineError::Gpu(format!(
                    "the fixed-work tick ran {} oxygen sweeps, not {sweeps}",
                    r.solve.sweeps
                )));
            }
        }
        if k > 0 {
            samples.push(dt);
        }
        t += 1;
    }
    let tick_s = timing::median(&samples);

    // A realistic tick: every field to its own tolerance from the previous tick, as
    // `run` does it (on the GPU in chunks); on the GPU alternating with ticks that
    // offer every sweep at once, for the comparison.
    let real = FieldParams::all(scene, &vec![PLASMA_UM; scene.drugs.len()]);
    let (mut tol_s, mut tol_sweeps, mut unchunked_s) = (Vec::new(), Vec::new(), Vec::new());
    let modes: &[bool] = if chunked_solve.is_some() {
        &[true, false]
    } else {
        &[true]
    };
    for _ in 0..repeats {
        for &chunked in modes {
            if let Some(set) = chunked_solve {
                set(&mut backend, chunked);
            }
            let sim = base.at_tick(scene.seed, t);
            let t0 = Instant::now();
            backend.tick(&sim, &real, true)?;
            let reports = backend.poll_reports(true)?;
            let dt = t0.elapsed().as_secs_f64();
            if chunked {
                tol_s.push(dt);
                tol_sweeps.extend(reports.iter().map(|r| r.solve.sweeps as f64));
            } else {
                unchunked_s.push(dt);
            }
            t += 1;
        }
    }

    let sim = base.at_tick(scene.seed, t);
    let mut kernels = Vec::new();
    // The T cells' moves last: on the GPU they leave the state moved.
    let immune_pass = (moves > 0).then_some((Pass::ImmuneMoves, "immune_moves"));
    for (pass, label) in PASSES.into_iter().chain(immune_pass) {
        if pass == Pass::ImmuneMoves {
            // From the grown state, as the CPU's moves (the ticks above moved on).
            backend.upload(state)?;
        }
        let mut samples = Vec::new();
        for k in 0..=repeats {
            let dt = time_pass(pass, &sim, &fields, &mut backend)?;
            if k > 0 {
                samples.push(dt);
            }
        }
        let median_s = timing::median(&samples);
        let (per_tick, updates, moved) = match pass {
            Pass::FieldSweep => (
                2 * sweeps as u64 * n_fields,
                bytes::colour_sites(dims, 0),
                bytes::field_half_sweep(dims, 0, access).total(),
            ),
            Pass::Cells => (1, sites, bytes::cells(sites, n_fields).total()),
            Pass::Resolve => (1, sites, bytes::resolve(sites, access).total()),
            Pass::Census => (1, sites, bytes::census(sites).total()),
            Pass::ImmuneMoves => (
                moves as u64,
                sites,
                bytes::immune_move(sites, access).total(),
            ),
            // One workgroup over the tick's few mutants: not timed.
            Pass::CloneAssign => (1, 0, 0),
        };
        kernels.push(KernelRow::new(
            label, per_tick, median_s, updates, moved, reference,
        ));
    }
    let tick_bytes = bytes::tick(dims, n_fields, sweeps as u64, moves as u64, access).total();
    kernels.push(KernelRow::new(
        "tick", 1, tick_s, sites, tick_bytes, reference,
    ));
    Ok(ProblemResult {
        name: name.into(),
        dims,
        sites,
        fields: n_fields,
        sweeps_per_field: sweeps,
        tumour_live: live,
        tcells,
        occupied_sites: occupied,
        to_tolerance_oxygen_sweeps: timing::median(&tol_sweeps),
        to_tolerance_tick_s: timing::median(&tol_s),
        to_tolerance_unchunked_tick_s: (!unchunked_s.is_empty())
            .then(|| timing::median(&unchunked_s)),
        kernels,
    })
}

/// Seconds of one call of the CPU reference kernel of `pass` on `state` (oxygen for
/// a sweep), on rayon's global pool: the mean of `PER_SUBMIT` calls back to back on
/// the same buffers, as the GPU's dispatches in one submit. Works on copies, so
/// `state` is unchanged.
fn cpu_pass(
    pass: Pass,
    sim: &SimParams,
    fields: &[FieldParams],
    scene: &Scene,
    state: &HostState,
) -> f64 {
    let n = state.sites.len();
    let rules = CpuRules::of(scene);
    let drugs = &rules.drugs;
    let mut conc = state.fields.clone();
    let mut exposure = state.exposure.clone();
    let mut dst = state.sites.clone();
    let mut wish = vec![0u32; n];
    let mut residual = vec![0u32; 1];
    let mut lineage = state.lineage.to_words();
    if pass == Pass::Resolve {
        // Resolve works on what the cells pass wrote.
        cpu::cells(
            &rules.cell_inputs(sim, state, &conc),
            &mut dst,
            &mut wish,
            &mut exposure,
        );
    }
    let moved = dst.clone();
    // Inside rayon's global pool: the kernels split their work only on a pool's
    // worker (`engine::cpu::shared::in_pool`), as the backend's ticks do.
    let elapsed = rayon::scope(|_| {
        let t0 = Instant::now();
        for _ in 0..PER_SUBMIT {
            match pass {
                // The CPU backend runs a sweep's two colours fused; half of that is its
                // time per half-sweep (divided below).
                Pass::FieldSweep => cpu::field_sweep_fused(
                    sim,
                    &fields[0],
                    0,
                    &state.sites,
                    &mut conc[..n],
                    &mut residual,
                    0,
                ),
                Pass::Cells => cpu::cells(
                    &rules.cell_inputs(sim, state, &conc),
                    &mut dst,
                    &mut wish,
                    &mut exposure,
                ),
                Pass::Resolve => {
                    cpu::resolve(
                        sim,
                        drugs,
                        &moved,
                        &wish,
                        &mut dst,
                        &mut exposure,
                        &mut lineage,
                    );
                    // Each repetition starts from an empty event list.
                    lineage[crate::model::lineage::word::EVENTS] = 0;
                }
                Pass::CloneAssign => cpu::clone_assign(&mut lineage, &mut dst, sim.tick + 1),
                // Timed by `immune::cpu_move` (see `cpu_pass`'s caller).
                Pass::ImmuneMoves => {}
                Pass::Census => {
                    std::hint::black_box(cpu::census(sim, fields, &state.sites, &conc, &lineage));
                }
            }
        }
        t0.elapsed()
    });
    let mut dt = elapsed.as_secs_f64() / PER_SUBMIT as f64;
    if pass == Pass::FieldSweep {
        dt /= 2.0;
    }
    std::hint::black_box((&conc, &dst, &wish));
    dt
}

/// The drugs, PD tables and T-cell rules of a scene, as the CPU backend holds them.
struct CpuRules {
    drugs: DrugSet,
    pd: Vec<u32>,
    immune: ImmuneParams,
    immune_tables: Vec<u32>,
}

impl CpuRules {
    fn of(scene: &Scene) -> CpuRules {
        CpuRules {
            drugs: DrugSet::from_scene(scene),
            pd: pd_tables(scene),
            immune: ImmuneParams::from_scene(scene),
            immune_tables: immune_tables(scene),
        }
    }

    fn cell_inputs<'a>(
        &'a self,
        sim: &'a SimParams,
        state: &'a HostState,
        conc: &'a [f32],
    ) -> CellInputs<'a> {
        CellInputs {
            sim,
            drugs: &self.drugs,
            pd_table: &self.pd,
            src: &state.sites,
            conc,
            immune: cpu::ImmuneInputs {
                params: &self.immune,
                tables: &self.immune_tables,
            },
        }
    }
}
