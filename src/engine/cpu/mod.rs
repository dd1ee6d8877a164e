//! The reference backend: one Rust function per WGSL kernel, same names, same order,
//! written shader-style so the two read side by side — except where a CPU does the
//! same work much cheaper, with the same bits: `resolve` scatters the wishes where the
//! shader gathers them, and a tick resolves in place instead of copying the lattice
//! (`resolve_in_place`); `cells` has a loop of its own for ticks without any drug
//! (`drug_free_chunk`), with the apoptosis draws made a block at a time
//! (`rng::draws`); the T cells' moves visit only the T cells, on the calling thread
//! (`TcellWalk`). Parallel over sites with rayon;
//! every output is per site or an integer reduction, so results do not depend on the
//! thread count.

mod cells;
mod census;
mod clone_assign;
mod drugs;
mod field;
mod immune;
mod neighbours;
mod resolve;
mod rest;
mod shared;
mod tcell_walk;

pub use cells::{cells, CellInputs};
pub use census::{census, merge_census};
pub use clone_assign::clone_assign;
pub use drugs::{drug_action, DrugOutcome};
pub use field::{field_guard, field_sweep, field_sweep_fused};
pub use immune::{immune_moves, ImmuneInputs};
pub use resolve::{resolve, resolve_in_place};
pub use tcell_walk::{TcellWalk, WalkInputs};

use super::{
    solve_stats, Backend, BackendInfo, EngineError, HostState, KernelIo, Pass, SolveStats,
    TickReport,
};
use crate::model::census::Census;
use crate::model::drug_params::DrugSet;
use crate::model::immune::{ImmuneParams, TABLES};
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
    /// The T-cell rules and tables (`model::immune`).
    immune: ImmuneParams,
    immune_tables: Vec<u32>,
    reports: VecDeque<TickReport>,
    exec: Exec,
    /// Each field's rest between ticks (`rest`).
    rest: Vec<rest::Rest>,
    /// Whether the lattice has vessel sites, while no tick may have changed that.
    vessels: rest::Vessels,
    /// The T cells' moves and their buffers.
    walk: TcellWalk,
}

/// A tick of at most this many site updates (sites × (cell passes + the field sweeps
/// of the last tick)) runs whole on the calling thread: handing it to a pool and back
/// costs a wake-up and a context switch per parallel loop, more than the work it
/// shares out. A 100² lattice whose fields are at rest is well under it, a 128² one
/// sweeping oxygen twenty times a tick well over (BENCHMARKS.md, "Small scenes").
pub const SERIAL_MAX_SITE_UPDATES: usize = 1 << 17;

/// Cell passes per tick counted as site updates (cells, resolve, census).
const CELL_PASSES: usize = 3;

/// Where the passes run.
enum Exec {
    /// On the calling thread; split over its pool when it is a pool's worker (a
    /// batch job's own pool), else whole (`shared::in_pool`).
    Caller,
    /// Outside any pool: small ticks whole on the calling thread, others split over
    /// a pool of `threads` threads, built when first needed and entered once a tick.
    Auto {
        threads: usize,
        pool: Option<Arc<rayon::ThreadPool>>,
    },
    /// Split over this pool whatever the size of the tick (`with_threads`).
    Fixed(Arc<rayon::ThreadPool>),
}

impl CpuBackend {
    /// Runs on the calling thread: split over its pool when it is a pool's worker (a
    /// batch job's own pool), whole when the tick is small (`SERIAL_MAX_SITE_UPDATES`),
    /// else over a pool of its own with rayon's default thread count (all cores, or
    /// `RAYON_NUM_THREADS`), entered once per tick.
    pub fn new() -> CpuBackend {
        let exec = match rayon::current_thread_index() {
            Some(_) => Exec::Caller,
            None => Exec::Auto {
                threads: rayon::current_num_threads(),
                pool: None,
            },
        };
        CpuBackend {
            exec,
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
            immune: ImmuneParams::DISABLED,
            immune_tables: Vec::new(),
            reports: VecDeque::new(),
            exec: Exec::Caller,
            rest: Vec::new(),
            vessels: rest::Vessels::default(),
            walk: TcellWalk::new(),
        }
    }

    /// Splits every pass over a pool of exactly `threads` threads, whatever the
    /// lattice size (determinism tests vary this).
    pub fn with_threads(threads: usize) -> Result<CpuBackend, EngineError> {
        Ok(CpuBackend {
            exec: Exec::Fixed(Arc::new(build_pool(threads)?)),
            ..CpuBackend::outside_any_pool()
        })
    }

    fn threads(&self) -> usize {
        match &self.exec {
            Exec::Caller if shared::in_pool() => rayon::current_num_threads(),
            Exec::Caller => 1,
            Exec::Auto { threads, .. } => *threads,
            Exec::Fixed(pool) => pool.current_num_threads(),
        }
    }

    /// Where the coming tick runs: `Some(pool)` to split over it, `None` on the caller.
    /// `sweeps` is the field sweeps expected (those of the last tick).
    fn pool_for(&mut self, sweeps: usize) -> Result<Option<Arc<rayon::ThreadPool>>, EngineError> {
        let updates = self.a.len() * (CELL_PASSES + sweeps);
        match &mut self.exec {
            Exec::Caller => Ok(None),
            Exec::Fixed(pool) => Ok(Some(pool.clone())),
            Exec::Auto { threads, pool } => {
                if *threads <= 1 || updates <= SERIAL_MAX_SITE_UPDATES {
                    return Ok(None);
                }
                if pool.is_none() {
                    *pool = Some(Arc::new(build_pool(*threads)?));
                }
                Ok(pool.clone())
            }
        }
    }

    fn install<R: Send>(pool: &Option<Arc<rayon::ThreadPool>>, f: impl FnOnce() -> R + Send) -> R {
        match pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    /// The red-black sweeps of one tick for every field (`sweep_fields`); returns
    /// each field's statistics.
    fn solve(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
    ) -> Result<Vec<SolveStats>, EngineError> {
        let cap = sweep_cap(fields);
        let pool = self.pool_for(cap * fields.len())?;
        self.residual.clear();
        self.residual.resize(cap * fields.len(), 0);
        self.rest.resize(fields.len(), rest::Rest::default());
        let (a, conc, residual) = (&self.a, &mut self.conc, &mut self.residual);
        let (rest, vessels) = (&mut self.rest, &mut self.vessels);
        Self::install(&pool, || {
            sweep_fields(sim, fields, a, conc, residual, rest, vessels)
        });
        Ok(self.solve_stats(fields))
    }

    fn solve_stats(&self, fields: &[FieldParams]) -> Vec<SolveStats> {
        let cap = sweep_cap(fields);
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

/// The most sweeps any field may take in one tick: each field's residual slots.
fn sweep_cap(fields: &[FieldParams]) -> usize {
    fields
        .iter()
        .map(|f| f.max_sweeps.max(1))
        .max()
        .unwrap_or(1) as usize
}

/// The red-black sweeps of one tick for every field, each stopping at its tolerance
/// or its cap, into `residual` (`sweep_cap` slots per field, cleared). Each sweep's
/// two colours run fused (`field_sweep_fused`: the same bits as two `field_sweep`s).
/// A field at rest (`rest`) is not swept: its first slot keeps the 0 the sweep would
/// have written. `vessels` is whether `a` has vessel sites.
fn sweep_fields(
    sim: &SimParams,
    fields: &[FieldParams],
    a: &[Site],
    conc: &mut [f32],
    residual: &mut [u32],
    rest: &mut [rest::Rest],
    vessels: &mut rest::Vessels,
) {
    let n = a.len();
    let cap = sweep_cap(fields);
    for (f, field) in fields.iter().enumerate() {
        let conc = &mut conc[f * n..(f + 1) * n];
        if rest[f].holds(field, &mut || vessels.any(a), conc) {
            continue;
        }
        let base = (f * cap) as u32;
        let mut last = base;
        for index in 0..field.max_sweeps.max(1) {
            if index > 0 && !field_guard(field, residual, base + index - 1) {
                break;
            }
            field_sweep_fused(sim, field, index, a, conc, residual, base + index);
            last = base + index;
        }
        rest[f].after_sweep(field, residual[last as usize], &mut || vessels.any(a));
    }
}

fn build_pool(threads: usize) -> Result<rayon::ThreadPool, EngineError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| EngineError::Device(e.to_string()))
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

    fn configure_immune(
        &mut self,
        params: &ImmuneParams,
        tables: &[u32],
    ) -> Result<(), EngineError> {
        if params.enabled != 0 && tables.len() < TABLES * PD_TABLE_LEN {
            return Err(EngineError::Gpu(format!(
                "{} immune table entries, {} needed",
                tables.len(),
                TABLES * PD_TABLE_LEN
            )));
        }
        self.immune = *params;
        self.immune_tables = tables.to_vec();
        Ok(())
    }

    fn upload(&mut self, state: &HostState) -> Result<(), EngineError> {
        state.check()?;
        self.rest.clear();
        self.vessels.forget();
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
        self.solve(sim, fields)
    }

    fn tick(
        &mut self,
        sim: &SimParams,
        fields: &[FieldParams],
        report: bool,
    ) -> Result<(), EngineError> {
        let cap = sweep_cap(fields);
        let expected: u32 = match self.last_solve.len() {
            0 => cap as u32,
            _ => self.last_solve.iter().map(|s| s.sweeps).sum(),
        };
        let pool = self.pool_for(expected as usize)?;
        self.residual.clear();
        self.residual.resize(cap * fields.len(), 0);
        let state = StepState {
            a: &mut self.a,
            b: &mut self.b,
            wish: &mut self.wish,
            conc: &mut self.conc,
            exposure: &mut self.exposure,
            lineage: &mut self.lineage,
            walk: &mut self.walk,
        };
        self.rest.resize(fields.len(), rest::Rest::default());
        let (drugs, pd, residual) = (&self.drugs, &self.pd_tables, &mut self.residual);
        let (rest, vessels) = (&mut self.rest, &mut self.vessels);
        let rules = Rules {
            drugs,
            pd_table: pd,
            immune: ImmuneInputs {
                params: &self.immune,
                tables: &self.immune_tables,
            },
        };
        // One entry into the pool per tick: the solve, then the cell passes.
        let (census, vessels_touched) = Self::install(&pool, || {
            sweep_fields(sim, fields, state.a, state.conc, residual, rest, vessels);
            step(sim, fields, rules, state, report)
        });
        std::mem::swap(&mut self.a, &mut self.b);
        if vessels_touched {
            self.vessels.forget();
        }
        self.last_solve = self.solve_stats(fields);
        let solve = self.last_solve[0];
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
        let pool = self.pool_for(0)?;
        let (a, conc, lineage) = (&self.a, &self.conc, &self.lineage);
        Ok(Self::install(&pool, || {
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
        let pool = self.pool_for(0)?;
        let (drugs, pd) = (&self.drugs, &self.pd_tables);
        let immune = ImmuneInputs {
            params: &self.immune,
            tables: &self.immune_tables,
        };
        let n = io.src.len();
        Self::install(&pool, || match pass {
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
                    immune,
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
            Pass::ImmuneMoves => immune_moves(sim, immune, &io.conc, &io.src, &mut io.wish),
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
    conc: &'a mut [f32],
    exposure: &'a mut [u32],
    lineage: &'a mut [u32],
    walk: &'a mut TcellWalk,
}

/// What the cell passes read besides the state: the drugs and the T-cell rules.
#[derive(Clone, Copy)]
struct Rules<'a> {
    drugs: &'a DrugSet,
    pd_table: &'a [u32],
    immune: ImmuneInputs<'a>,
}

/// Cells (A → B), resolve in place on B (`resolve_in_place`: the result of the
/// shader's B → A without the copy), clone_assign, the T cells' moves of the tick
/// (`TcellWalk`: `immune_moves`, each settled in place), then the census when asked. The lattice
/// after the tick is in B: the caller swaps the two. Also says whether the tick may
/// have made, moved or removed a vessel site (`resolve_in_place`).
fn step(
    sim: &SimParams,
    fields: &[FieldParams],
    rules: Rules,
    s: StepState,
    report: bool,
) -> (Option<Census>, bool) {
    let Rules {
        drugs,
        pd_table,
        immune,
    } = rules;
    let input = CellInputs {
        sim,
        drugs,
        pd_table,
        src: s.a,
        conc: s.conc,
        immune,
    };
    cells(&input, s.b, s.wish, s.exposure);
    let mut vessels_touched = resolve_in_place(sim, drugs, s.b, s.wish, s.exposure, s.lineage);
    clone_assign(s.lineage, s.b, sim.tick + 1);
    let walk = WalkInputs {
        sim,
        drugs,
        immune,
        conc: s.conc,
    };
    vessels_touched |= s.walk.run(&walk, s.b, s.exposure, s.lineage);
    let census = report.then(|| census(sim, fields, s.b, s.conc, s.lineage));
    (census, vessels_touched)
}
