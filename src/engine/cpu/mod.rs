//! The reference backend: one Rust function per WGSL kernel, same names, same order,
//! written shader-style so the two read side by side. Parallel over sites with rayon;
//! every output is per site or an integer reduction, so results do not depend on the
//! thread count.

mod cells;
mod census;
mod field;
mod shared;

pub use cells::{cells, resolve};
pub use census::{census, merge_census};
pub use field::{field_guard, field_sweep};

use super::{
    solve_stats, Backend, BackendInfo, EngineError, HostState, KernelIo, Pass, SolveStats,
    TickReport,
};
use crate::model::params::{FieldParams, SimParams, SweepParams};
use crate::model::site::Site;
use std::collections::VecDeque;
use std::sync::Arc;

pub struct CpuBackend {
    a: Vec<Site>,
    b: Vec<Site>,
    wish: Vec<u32>,
    conc: Vec<f32>,
    residual: Vec<u32>,
    reports: VecDeque<TickReport>,
    ticks_done: u64,
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
            residual: Vec::new(),
            reports: VecDeque::new(),
            ticks_done: 0,
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

    fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    /// The red-black sweeps of one tick, stopping at the tolerance or the cap.
    fn solve(&mut self, sim: &SimParams, field: &FieldParams) -> SolveStats {
        let n = field.max_sweeps.max(1) as usize;
        self.residual.clear();
        self.residual.resize(n, 0);
        let (a, conc, residual) = (&self.a, &mut self.conc, &mut self.residual);
        let mut run = move || {
            for index in 0..n as u32 {
                if index > 0 && !field_guard(field, residual, index - 1) {
                    break;
                }
                for colour in 0..2 {
                    let sweep = SweepParams {
                        colour,
                        index,
                        _pad: [0; 2],
                    };
                    field_sweep(sim, field, &sweep, a, conc, residual);
                }
            }
        };
        match &self.pool {
            Some(pool) => pool.install(run),
            None => run(),
        }
        solve_stats(&self.residual, field.tolerance)
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

    fn upload(&mut self, state: &HostState) -> Result<(), EngineError> {
        self.a = state.sites.clone();
        self.b = state.sites.clone();
        self.wish = vec![0; state.sites.len()];
        self.conc = state.oxygen.clone();
        Ok(())
    }

    fn download(&mut self) -> Result<HostState, EngineError> {
        Ok(HostState {
            sites: self.a.clone(),
            oxygen: self.conc.clone(),
        })
    }

    fn solve_blocking(
        &mut self,
        sim: &SimParams,
        field: &FieldParams,
    ) -> Result<SolveStats, EngineError> {
        Ok(self.solve(sim, field))
    }

    fn tick(
        &mut self,
        sim: &SimParams,
        field: &FieldParams,
        report: bool,
    ) -> Result<(), EngineError> {
        let solve = self.solve(sim, field);
        let (a, b, wish, conc) = (&mut self.a, &mut self.b, &mut self.wish, &self.conc);
        let census = match &self.pool {
            Some(pool) => pool.install(|| step(sim, a, b, wish, conc, report)),
            None => step(sim, a, b, wish, conc, report),
        };
        self.ticks_done += 1;
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
        field: &FieldParams,
        sweep: &SweepParams,
        io: &mut KernelIo,
    ) -> Result<(), EngineError> {
        self.install(|| match pass {
            Pass::FieldSweep => {
                field_sweep(sim, field, sweep, &io.src, &mut io.conc, &mut io.residual)
            }
            Pass::Cells => cells(sim, &io.src, &io.conc, &mut io.dst, &mut io.wish),
            Pass::Resolve => resolve(sim, &io.src, &io.wish, &mut io.dst),
            Pass::Census => io.census = merge_census(io.census, census(sim, &io.src, &io.conc)),
        });
        Ok(())
    }
}

/// Cells then resolve (A → B → A), then the census when asked.
fn step(
    sim: &SimParams,
    a: &mut [Site],
    b: &mut [Site],
    wish: &mut [u32],
    conc: &[f32],
    report: bool,
) -> Option<crate::model::census::Census> {
    cells(sim, a, conc, b, wish);
    resolve(sim, b, wish, a);
    report.then(|| census(sim, a, conc))
}
