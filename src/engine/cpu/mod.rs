//! The reference backend: one Rust function per WGSL kernel, same names, same order,
//! written shader-style so the two read side by side. Parallel over sites with rayon;
//! every output is per site or an integer reduction, so results do not depend on the
//! thread count.

mod cells;
mod census;
mod drugs;
mod field;
mod shared;

pub use cells::{cells, resolve, CellInputs};
pub use census::{census, merge_census};
pub use drugs::{drug_action, DrugOutcome};
pub use field::{field_guard, field_sweep};

use super::{
    solve_stats, Backend, BackendInfo, EngineError, HostState, KernelIo, Pass, SolveStats,
    TickReport,
};
use crate::model::census::Census;
use crate::model::drug_params::DrugSet;
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
    residual: Vec<u32>,
    drugs: DrugSet,
    pd_tables: Vec<u32>,
    reports: VecDeque<TickReport>,
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl CpuBackend {
    /// Uses rayon's global pool (all cores).
    pub fn new() -> CpuBackend {
        CpuBackend {
            a: Vec::new(),
            b: Vec::new(),
            wish: Vec::new(),
            conc: Vec::new(),
            exposure: Vec::new(),
            residual: Vec::new(),
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
            ..CpuBackend::new()
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
    /// tolerance or its cap; returns the oxygen solve's statistics.
    fn solve(&mut self, sim: &SimParams, fields: &[FieldParams]) -> SolveStats {
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
                    for colour in 0..2 {
                        let sweep = SweepParams {
                            colour,
                            index,
                            field: f as u32,
                            residual_slot: base + index,
                        };
                        field_sweep(sim, field, &sweep, a, conc, residual);
                    }
                }
            }
        };
        Self::install(&self.pool, run);
        let oxygen = fields.first().map_or(1, |f| f.max_sweeps.max(1)) as usize;
        solve_stats(
            &self.residual[..oxygen],
            fields.first().map_or(0.0, |f| f.tolerance),
        )
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
            kind: "cpu".into(),
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
        self.conc = state.fields();
        self.exposure = state.exposure.clone();
        Ok(())
    }

    fn download(&mut self) -> Result<HostState, EngineError> {
        let n = self.a.len();
        Ok(HostState {
            sites: self.a.clone(),
            oxygen: self.conc[..n].to_vec(),
            drugs: self.conc[n..].to_vec(),
            exposure: self.exposure.clone(),
        })
    }

    fn solve_blocking(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<SolveStats, EngineError> {
        Ok(self.solve(sim, fields))
    }

    fn tick(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
        report: bool,
    ) -> Result<(), EngineError> {
        let solve = self.solve(sim, fields);
        let (a, b, wish, conc, exposure) = (
            &mut self.a,
            &mut self.b,
            &mut self.wish,
            &self.conc,
            &mut self.exposure,
        );
        let (drugs, pd) = (&self.drugs, &self.pd_tables);
        let census = Self::install(&self.pool, || {
            step(sim, drugs, pd, a, b, wish, conc, exposure, report)
        });
        if let Some(census) = census {
            self.reports.push_back(TickReport {
                tick: sim.tick as u64 + 1,
                census,
                solve,
            });
        }
        Ok(())
    }

    fn poll_reports(&mut self, _wait: bool) -> Result<Vec<TickReport>, EngineError> {
        Ok(self.reports.drain(..).collect())
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
            Pass::Resolve => resolve(sim, drugs, &io.src, &io.wish, &mut io.dst, &mut io.exposure),
            Pass::Census => {
                io.census = merge_census(io.census, census(sim, drugs, &io.src, &io.conc))
            }
        });
        Ok(())
    }
}

/// Cells then resolve (A → B → A), then the census when asked.
#[allow(clippy::too_many_arguments)]
fn step(
    sim: &SimParams,
    drugs: &DrugSet,
    pd_table: &[u32],
    a: &mut [Site],
    b: &mut [Site],
    wish: &mut [u32],
    conc: &[f32],
    exposure: &mut [u32],
    report: bool,
) -> Option<Census> {
    let input = CellInputs {
        sim,
        drugs,
        pd_table,
        src: a,
        conc,
    };
    cells(&input, b, wish, exposure);
    resolve(sim, drugs, b, wish, a, exposure);
    report.then(|| census(sim, drugs, a, conc))
}
