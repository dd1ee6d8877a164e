//! The tick: a `Simulation` drives a `Backend` through the passes of DESIGN.md —
//! host parameters, fields, cells, resolve, census — in that order, every tick.
//!
//! `cpu` is the reference (one Rust function per WGSL kernel, same names, same
//! order); `gpu` runs the kernels with wgpu. Neither imports the other.

pub mod cpu;
pub mod gpu;
mod simulation;
mod state;
pub mod therapy;

pub use simulation::{Simulation, SolveStats};
pub use state::HostState;

use crate::model::census::Census;
use crate::model::drug_params::DrugSet;
use crate::model::params::{FieldParams, SimParams, SweepParams};
use crate::model::site::Site;

/// Failures at run time (not bad input): exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("no usable GPU adapter: {0}")]
    NoAdapter(String),
    #[error("the GPU device could not be created: {0}")]
    Device(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("GPU error: {0}")]
    Gpu(String),
    #[error("the {field} field became non-finite at tick {tick}")]
    NonFinite { field: String, tick: u64 },
    #[error("the plasma level of drug {drug} became non-finite at tick {tick} ({value}); check its [drugs.pk] values and doses")]
    NonFinitePlasma { drug: String, tick: u64, value: f64 },
    #[error(transparent)]
    Shader(#[from] gpu::shaders::ShaderError),
    #[error("therapy: {0}")]
    Therapy(String),
    #[error("vessel network at tick {tick}: {message}")]
    Vasculature { tick: u64, message: String },
}

/// Which backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// A GPU adapter when one exists, else the CPU backend.
    Auto,
    Gpu,
    Cpu,
}

/// Which backend ran: written as `"gpu"` or `"cpu"` (summary.json, performance.json,
/// bench JSON, snapshot headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Gpu,
    Cpu,
}

impl BackendKind {
    /// The name files record.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Gpu => "gpu",
            BackendKind::Cpu => "cpu",
        }
    }

    /// Reads a recorded name back; `None` for anything else.
    pub fn from_name(name: &str) -> Option<BackendKind> {
        match name {
            "gpu" => Some(BackendKind::Gpu),
            "cpu" => Some(BackendKind::Cpu),
            _ => None,
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `--backend` choice that gets this kind again (what `resume` defaults to).
impl From<BackendKind> for BackendChoice {
    fn from(kind: BackendKind) -> BackendChoice {
        match kind {
            BackendKind::Gpu => BackendChoice::Gpu,
            BackendKind::Cpu => BackendChoice::Cpu,
        }
    }
}

/// What a backend says about itself (for the progress line, summary.json and `info`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BackendInfo {
    pub kind: BackendKind,
    /// Adapter name, or the CPU description.
    pub device: String,
    /// Graphics API or thread count.
    pub detail: String,
}

/// A pass of the tick, for running one kernel alone (tests compare backends with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// One half-sweep of the field solver with the given `SweepParams`.
    FieldSweep,
    Cells,
    Resolve,
    /// Numbers the mutant daughters that resolve listed (one workgroup).
    CloneAssign,
    /// The wishes of one T-cell move (`model::immune`), with the key of the given
    /// `SimParams` (a substep's: `SimParams::at_substep`); only `wish` changes.
    ImmuneMoves,
    Census,
}

/// Every buffer a kernel reads or writes, on the host. `run_pass` uploads all of it,
/// runs one kernel, and reads all of it back.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelIo {
    pub src: Vec<Site>,
    pub dst: Vec<Site>,
    pub wish: Vec<u32>,
    /// Every field, `src.len()` values each: oxygen, then each drug.
    pub conc: Vec<f32>,
    /// Residual slots (max |Δc| as f32 bits); a sweep uses `SweepParams::residual_slot`.
    pub residual: Vec<u32>,
    pub census: Census,
    /// Exposure counters, `src.len()` per drug.
    pub exposure: Vec<u32>,
    /// The lineage buffer (`model::lineage::BUFFER_WORDS` words).
    pub lineage: Vec<u32>,
}

/// The census of a report tick and the field solver's statistics for that tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TickReport {
    /// Ticks completed when the census was taken.
    pub tick: u64,
    pub census: Census,
    pub solve: SolveStats,
}

/// What every backend provides. Implementations hold the state between ticks; the
/// caller passes the per-tick parameters.
pub trait Backend {
    fn info(&self) -> BackendInfo;

    /// Sets the drugs' kernel parameters and PD tables (`drug_params::pd_tables`),
    /// once per run, before `upload`.
    fn configure_drugs(&mut self, set: &DrugSet, pd_tables: &[u32]) -> Result<(), EngineError>;

    /// Sets the T-cell rules and their tables (`model::immune`), once per run, before
    /// `upload`. A backend without the immune passes refuses a scene that has them.
    fn configure_immune(
        &mut self,
        params: &crate::model::immune::ImmuneParams,
        tables: &[u32],
    ) -> Result<(), EngineError>;

    /// Replaces the whole state.
    fn upload(&mut self, state: &HostState) -> Result<(), EngineError>;

    /// Reads the whole state back (blocking).
    fn download(&mut self) -> Result<HostState, EngineError>;

    /// Solves every field (in `model::fields` order) up to its tolerance or
    /// `max_sweeps` sweeps and returns each field's statistics, blocking. Used before
    /// the first tick.
    fn solve_blocking(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Vec<SolveStats>, EngineError>;

    /// Runs one tick: fields, cells, resolve, clone_assign; and the census when
    /// `report` is set.
    /// Reports arrive later through `poll_reports`.
    fn tick(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
        report: bool,
    ) -> Result<(), EngineError>;

    /// Every field's solve statistics of the last `tick`, in field order; empty where
    /// the backend did not read them back (the GPU backend offering every sweep at
    /// once). What `Simulation` checks for non-finite fields after every tick.
    fn last_solve(&self) -> &[SolveStats] {
        &[]
    }

    /// Reports that are ready, oldest first. With `wait`, blocks until all requested
    /// reports have arrived.
    fn poll_reports(&mut self, wait: bool) -> Result<Vec<TickReport>, EngineError>;

    /// The census of the current state, counted where the state lives (on the device
    /// for the GPU backend: only the census travels back), blocking. What scans read.
    fn census_now(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Census, EngineError>;

    /// Runs a single pass on `io` (uploads it, runs, reads it all back). A field sweep
    /// works on field `sweep.field` with `fields[sweep.field]`.
    fn run_pass(
        &mut self,
        pass: Pass,
        sim: &SimParams,
        fields: &[FieldParams],
        sweep: &SweepParams,
        io: &mut KernelIo,
    ) -> Result<(), EngineError>;
}

/// Iterations and final residual of a field solve, from its per-sweep residuals.
pub fn solve_stats(residual_bits: &[u32], tolerance: f32) -> SolveStats {
    let residuals = residual_bits.iter().map(|b| f32::from_bits(*b));
    let mut last = f32::NAN;
    for (k, r) in residuals.enumerate() {
        last = r;
        if r < tolerance {
            return SolveStats {
                sweeps: k as u32 + 1,
                residual: r,
                converged: true,
            };
        }
    }
    SolveStats {
        sweeps: residual_bits.len() as u32,
        residual: last,
        converged: false,
    }
}

/// The GPU context for `--backend gpu`: any adapter, software ones included. Without
/// one, the error says how to run anyway.
pub fn requested_gpu() -> Result<gpu::GpuContext, EngineError> {
    gpu::GpuContext::new(true).map_err(|e| match e {
        EngineError::NoAdapter(why) => {
            EngineError::NoAdapter(format!("{why}; --backend cpu runs without a GPU"))
        }
        other => other,
    })
}

/// Picks and creates the backend. `Auto` takes a hardware GPU adapter when one exists
/// and otherwise the CPU backend (a software rasteriser such as llvmpipe is slower than
/// the CPU backend, so `auto` passes it over; `gpu` accepts it). The returned note says
/// what was chosen and why.
pub fn create_backend(
    choice: BackendChoice,
    scene: &crate::scene::Scene,
) -> Result<(Box<dyn Backend>, String), EngineError> {
    match choice {
        BackendChoice::Cpu => Ok((
            Box::new(cpu::CpuBackend::new()),
            "CPU backend (requested)".into(),
        )),
        BackendChoice::Gpu => {
            let ctx = requested_gpu()?;
            let note = format!("GPU backend on {} (requested)", ctx.describe());
            Ok((
                Box::new(gpu::GpuBackend::new(std::sync::Arc::new(ctx), scene)?),
                note,
            ))
        }
        BackendChoice::Auto => match gpu::GpuContext::new(false) {
            Ok(ctx) => {
                let desc = ctx.describe();
                match gpu::GpuBackend::new(std::sync::Arc::new(ctx), scene) {
                    Ok(b) => Ok((Box::new(b), format!("GPU backend on {desc} (auto)"))),
                    Err(e) => Ok((
                        Box::new(cpu::CpuBackend::new()),
                        format!("CPU backend (auto: the GPU {desc} cannot run this scene: {e})"),
                    )),
                }
            }
            Err(e) => Ok((
                Box::new(cpu::CpuBackend::new()),
                format!("CPU backend (auto: {e})"),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_kinds_are_written_as_before() {
        // summary.json, performance.json and snapshot headers hold these names.
        for (kind, name) in [(BackendKind::Gpu, "gpu"), (BackendKind::Cpu, "cpu")] {
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{name}\""));
            assert_eq!(kind.to_string(), name);
            assert_eq!(BackendKind::from_name(name), Some(kind));
            let back: BackendKind = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(back, kind);
        }
        assert_eq!(BackendKind::from_name("GPU"), None);
        assert_eq!(BackendKind::from_name(""), None);
        assert_eq!(BackendChoice::from(BackendKind::Gpu), BackendChoice::Gpu);
        assert_eq!(BackendChoice::from(BackendKind::Cpu), BackendChoice::Cpu);
    }
}
