//! The reference backend: one Rust function per WGSL kernel, same names, same order,
//! written shader-style so the two read side by side — except `resolve`, which
//! scatters the wishes where the shader gathers them (same result, a fraction of the
//! work on a CPU; see its docs). Parallel over sites with rayon;
//! every output is per site or an integer reduction, so results do not depend on the
//! thread count.

mod cells;
mod census;
mod clone_assign;
mod drugs;
mod field;
mod resolve;
mod shared;

pub use cells::{cells, CellInputs};
pub use census::{census, merge_census};
pub use clone_assign::clone_assign;
pub use drugs::{drug_action, DrugOutcome};
pub use field::{field_guard, field_sweep, field_sweep_fused};
pub use resolve::resolve;

use super::{
    solve_stats, Backend, BackendInfo, EngineError, HostState, KernelIo, Pass, SolveStats,
    TickReport,
};
use crate::model::census::Census;
use crate::model::drug_params::DrugSet;
use crate::model::lineage::Lineage;
use crate::model::params::{FieldParams, SimParams, SweepParams};
use crate::model::pd::PD_TABLE_LEN;
use crate::model::site::Site;
use std::collections::VecDeque;
use std::sync::Arc;

pub struct CpuBackend {
    a: Vec<Site>,
    b: Vec<Site>,
    wish: Vec<u32>,
    /// Every field: oxygen, then each drug.
    conc: Vec<f32>,
    exposure: Vec<u32>,
    /// The lineage buffer, laid out as on the device (`model::lineage`).
    lineage: Vec<u32>,
    residual: Vec<u32>,
    /// Every field's solve of the last tick.
    last_solve: Vec<SolveStats>,
    drugs: DrugSet,
    pd_tables: Vec<u32>,
    reports: VecDeque<TickReport>,
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl CpuBackend {
    /// Runs in the rayon pool of the calling thread when it is a pool's worker (a batch
    /// job's own pool), else in a pool of its own with rayon's default thread count
    /// (all cores, or `RAYON_NUM_THREADS`). Either way the backend's passes start from
    /// a worker of the pool: a pass handed from an outside thread to the pool for every
    /// parallel loop (the global pool's way) costs a wake-up and a context switch each
    /// time, as much as the work of a small lattice (BENCHMARKS.md, "Batches").
    pub fn new() -> CpuBackend {
        let own = rayon::current_thread_index()
            .is_none()
            .then(|| rayon::ThreadPoolBuilder::new().build().ok())
            .flatten();
        CpuBackend {
            pool: own.map(Arc::new),
            ..CpuBackend::outside_any_pool()
        }
    }

    fn outside_any_pool() -> CpuBackend {
        CpuBackend {
            a: Vec::new(),
            b: Vec::new(),
            wish: Vec::new(),
            conc: Vec::new(),
            exposure: Vec::new(),
            lineage: Lineage::default().to_words(),
            residual: Vec::new(),
            last_solve: Vec::new(),
            drugs: DrugSet::default(),
            pd_tables: vec![0; PD_TABLE_LEN],
            reports: VecDeque::new(),
            pool: None,
        }
    }

    /// Uses a pool of exactly `threads` threads (determinism tests vary this).
    pub fn with_threads(threads: usize) -> Result<CpuBackend, EngineError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| EngineError::Device(e.to_string()))?;
        Ok(CpuBackend {
            pool: Some(Arc::new(pool)),
            ..CpuBackend::outside_any_pool()
        })
    }

    fn threads(&self) -> usize {
        self.pool
            .as_ref()
            .map_or_else(rayon::current_num_threads, |p| p.current_num_threads())
    }

    fn install<R: Send>(pool: &Option<Arc<rayon::ThreadPool>>, f: impl FnOnce() -> R + Send) -> R {
        match pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    /// The red-black sweeps of one tick for every field, each stopping at its
    /// tolerance or its cap; returns each field's statistics. Each sweep's two
    /// colours run fused (`field_sweep_fused`: the same bits as two `field_sweep`s).
    fn solve(&mut self, sim: &SimParams, fields: &[FieldParams]) -> Vec<SolveStats> {
        let n = self.a.len();
        let cap = fields
            .iter()
            .map(|f| f.max_sweeps.max(1))
            .max()
            .unwrap_or(1) as usize;
        self.residual.clear();
        self.residual.resize(cap * fields.len(), 0);
        let (a, conc, residual) = (&self.a, &mut self.conc, &mut self.residual);
        let run = move || {
            for (f, field) in fields.iter().enumerate() {
                let conc = &mut conc[f * n..(f + 1) * n];
                let base = (f * cap) as u32;
                for index in 0..field.max_sweeps.max(1) {
                    if index > 0 && !field_guard(field, residual, base + index - 1) {
                        break;
                    }
                    field_sweep_fused(sim, field, index, a, conc, residual, base + index);
                }
            }
        };
        Self::install(&self.pool, run);
        fields
            .iter()
            .enumerate()
            .map(|(f, field)| {
                let sweeps = field.max_sweeps.max(1) as usize;
                solve_stats(&self.residual[f * cap..f * cap + sweeps], field.tolerance)
            })
            .collect()
    }
}

impl Default for CpuBackend {
    fn default() -> Self {
        CpuBackend::new()
    }
}

impl Backend for CpuBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            kind: super::BackendKind::Cpu,
            device: "CPU reference backend".into(),
            detail: format!("{} threads", self.threads()),
        }
    }

    fn configure_drugs(&mut self, set: &DrugSet, pd_tables: &[u32]) -> Result<(), EngineError> {
        if pd_tables.len() < PD_TABLE_LEN * set.n_drugs as usize {
            return Err(EngineError::Gpu(format!(
                "{} PD thresholds for {} drugs",
                pd_tables.len(),
                set.n_drugs
            )));
        }
        self.drugs = *set;
        self.pd_tables = pd_tables.to_vec();
        Ok(())
    }

    fn upload(&mut self, state: &HostState) -> Result<(), EngineError> {
        state.check()?;
        self.a = state.sites.clone();
        self.b = state.sites.clone();
        self.wish = vec![0; state.sites.len()];
        self.conc = state.fields.clone();
        self.exposure = state.exposure.clone();
        self.lineage = state.lineage.to_words();
        Ok(())
    }

    fn download(&mut self) -> Result<HostState, EngineError> {
        Ok(HostState {
            sites: self.a.clone(),
            fields: self.conc.clone(),
            n_drugs: self.exposure.len().checked_div(self.a.len()).unwrap_or(0),
            exposure: self.exposure.clone(),
            lineage: Lineage::from_words(&self.lineage).map_err(EngineError::Gpu)?,
        })
    }

    fn solve_blocking(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Vec<SolveStats>, EngineError> {
        Ok(self.solve(sim, fields))
    }

    fn tick(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
        report: bool,
    ) -> Result<(), EngineError> {
        self.last_solve = self.solve(sim, fields);
        let solve = self.last_solve[0];
        let state = StepState {
            a: &mut self.a,
            b: &mut self.b,
            wish: &mut self.wish,
            conc: &self.conc,
            exposure: &mut self.exposure,
            lineage: &mut self.lineage,
        };
        let (drugs, pd) = (&self.drugs, &self.pd_tables);
        let census = Self::install(&self.pool, || step(sim, fields, drugs, pd, state, report));
        if let Some(census) = census {
            self.reports.push_back(TickReport {
                tick: sim.tick as u64 + 1,
                census,
                solve,
            });
        }
        Ok(())
    }

    fn last_solve(&self) -> &[SolveStats] {
        &self.last_solve
    }

    fn poll_reports(&mut self, _wait: bool) -> Result<Vec<TickReport>, EngineError> {
        Ok(self.reports.drain(..).collect())
    }

    fn census_now(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Census, EngineError> {
        let (a, conc, lineage) = (&self.a, &self.conc, &self.lineage);
        Ok(Self::install(&self.pool, || {
            census(sim, fields, a, conc, lineage)
        }))
    }

    fn run_pass(
        &mut self,
        pass: Pass,
        sim: &SimParams,
        fields: &[FieldParams],
        sweep: &SweepParams,
        io: &mut KernelIo,
    ) -> Result<(), EngineError> {
        let (drugs, pd) = (&self.drugs, &self.pd_tables);
        let n = io.src.len();
        Self::install(&self.pool, || match pass {
            Pass::FieldSweep => {
                let f = sweep.field as usize;
                field_sweep(
                    sim,
                    &fields[f],
                    sweep,
                    &io.src,
                    &mut io.conc[f * n..(f + 1) * n],
                    &mut io.residual,
                )
            }
            Pass::Cells => {
                let input = CellInputs {
                    sim,
                    drugs,
                    pd_table: pd,
                    src: &io.src,
                    conc: &io.conc,
                };
                cells(&input, &mut io.dst, &mut io.wish, &mut io.exposure)
            }
            Pass::Resolve => resolve(
                sim,
                drugs,
                &io.src,
                &io.wish,
                &mut io.dst,
                &mut io.exposure,
                &mut io.lineage,
            ),
            Pass::CloneAssign => clone_assign(&mut io.lineage, &mut io.dst, sim.tick + 1),
            Pass::Census => {
                let counts = census(sim, fields, &io.src, &io.conc, &io.lineage);
                io.census = merge_census(io.census, counts)
            }
        });
        Ok(())
    }
}

/// The buffers one tick of the CPU backend works on.
struct StepState<'a> {
    a: &'a mut [Site],
    b: &'a mut [Site],
    wish: &'a mut [u32],
    conc: &'a [f32],
    exposure: &'a mut [u32],
    lineage: &'a mut [u32],
}

/// Cells then resolve (A → B → A), clone_assign, then the census when asked.
fn step(
    sim: &SimParams,
    fields: &[FieldParams],
    drugs: &DrugSet,
    pd_table: &[u32],
    s: StepState,
    report: bool,
) -> Option<Census> {
    let input = CellInputs {
        sim,
        drugs,
        pd_table,
        src: s.a,
        conc: s.conc,
    };
    cells(&input, s.b, s.wish, s.exposure);
    resolve(sim, drugs, s.b, s.wish, s.a, s.exposure, s.lineage);
    clone_assign(s.lineage, s.a, sim.tick + 1);
    report.then(|| census(sim, fields, s.a, s.conc, s.lineage))
}
