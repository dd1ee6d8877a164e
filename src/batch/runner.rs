//! Runs a batch into a batch directory (`directory`): every run not yet done, `jobs`
//! at a time, each through the same path as `oncolattice run`; a run that fails is
//! recorded with its message and the batch goes on. A run's record in `done/` is
//! written last, after its run directory is whole, so a batch killed at any moment and
//! started again redoes exactly the runs that had not ended.

use super::branch::BranchOf;
use super::directory::{BatchDir, DoneRecord, Manifest, SummaryCounts, BATCH_COPY, LOCK_PREFIX};
use super::row::{line_spans, RunRow, RunTiming, Status};
use super::shard::Shard;
use super::{Batch, RunSpec};
use crate::engine::{Backend, BackendChoice};
use crate::output::run_lock::RunLock;
use crate::output::snapshot::{self, branch::run_branch, SNAPSHOTS};
use crate::output::{
    error_text, run_scene_on, CancelFlag, Observer, Performance, RunError, RunOptions, Summary,
};
use crate::scene::Scene;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub out_dir: PathBuf,
    pub backend: BackendChoice,
    /// Runs at a time (≥ 1); `None`: `auto_jobs`.
    pub jobs: Option<usize>,
    /// Go on in a directory started with a different batch file.
    pub force: bool,
    pub shard: Option<Shard>,
    /// Plots and contact sheet per run (off by default in batches).
    pub plots: bool,
    pub cancel: Option<CancelFlag>,
}

/// Told what the batch does, on the calling thread.
pub trait BatchObserver {
    /// `runs` in this batch (or shard), of which `done` had already ended.
    fn started(&mut self, _runs: usize, _done: usize) {}
    /// A run began (`RunSpec::id`).
    fn run_started(&mut self, _id: &str) {}
    fn run_ended(&mut self, _row: &RunRow) {}
}

pub struct Quiet;
impl BatchObserver for Quiet {}

/// How a batch (or shard) ended.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome {
    /// Runs in this batch or shard.
    pub runs: usize,
    /// Runs found done from an earlier invocation, and skipped.
    pub skipped: usize,
    /// Runs run now, and those of them that failed.
    pub ran: usize,
    pub failed_now: usize,
    /// The whole batch's tally when summary.csv was written (every run ended; a shard
    /// writes it only when it finishes last).
    pub summary: Option<SummaryCounts>,
    /// Stopped by the cancel flag: some runs have not ended.
    pub interrupted: bool,
    /// Runs at a time, as asked or as `auto_jobs` chose.
    pub jobs: usize,
}

/// Runs `batch` as `opts` say. Bad input (the batch, the options, a directory started
/// with another batch) is refused before any run starts.
pub fn run_batch(
    batch: &Batch,
    opts: &BatchOptions,
    observer: &mut dyn BatchObserver,
) -> Result<BatchOutcome, RunError> {
    if opts.jobs == Some(0) {
        return Err(RunError::Option("--jobs must be at least 1".into()));
    }
    if opts.out_dir.as_os_str().is_empty() {
        return Err(RunError::Option("--out must not be empty".into()));
    }
    let runs = batch.runs()?;
    let jobs = opts
        .jobs
        .unwrap_or_else(|| auto_jobs(&runs, batch, opts.backend));
    let manifest = Manifest::of(batch, &runs);
    let dir = BatchDir::new(&opts.out_dir);
    let lock_name = match opts.shard {
        Some(s) => format!("{LOCK_PREFIX}-{}-of-{}", s.index, s.count),
        None => LOCK_PREFIX.to_string(),
    };
    let _lock = lock_and_start(&dir, batch, &manifest, opts.force, &lock_name)?;

    // A branch run goes with its source run (it needs the source's snapshots).
    let index: std::collections::HashMap<&str, usize> = runs
        .iter()
        .enumerate()
        .map(|(k, r)| (r.id.as_str(), k))
        .collect();
    let position = |k: usize| {
        runs[k]
            .branch
            .as_ref()
            .and_then(|b| index.get(b.source.as_str()).copied())
            .unwrap_or(k)
    };
    let mine: Vec<&RunSpec> = runs
        .iter()
        .enumerate()
        .filter(|(k, _)| opts.shard.is_none_or(|s| s.holds(position(*k))))
        .map(|(_, r)| r)
        .collect();
    let pending: Vec<&RunSpec> = mine
        .iter()
        .copied()
        .filter(|r| {
            dir.done(&r.id, &r.fingerprint)
                .is_none_or(|d| d.row.status == Status::Failed)
        })
        .collect();
    observer.started(mine.len(), mine.len() - pending.len());

    let stop = opts.cancel.clone().unwrap_or_default();
    let mut tally = Tally::default();
    // Branch runs after every source run has ended.
    let (sources, branches): (Vec<&RunSpec>, Vec<&RunSpec>) =
        pending.iter().partition(|r| r.branch.is_none());
    // On a GPU, runs of one lattice shape advance together in packs (`pack`); the
    // runs left over, and every branch run, go one by one as below.
    let (packs, sources) = super::pack::plan(batch, sources, opts.backend);
    for group in &packs.groups {
        if stop.is_cancelled() {
            break;
        }
        let (tx, rx) = mpsc::channel::<Message>();
        std::thread::scope(|scope| {
            super::pack::run_pack(scope, &packs, group, &tx, |spec, lane| {
                run_one(batch, &dir, spec, opts, &stop, lane)
            });
            drop(tx);
            tally.drain(rx, observer, &stop);
        });
    }
    for pending in [sources, branches] {
        if stop.is_cancelled() {
            break;
        }
        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<Message>();
        std::thread::scope(|scope| {
            for _ in 0..jobs.min(pending.len()) {
                let tx = tx.clone();
                let (next, pending, dir, stop) = (&next, &pending, &dir, &stop);
                scope.spawn(move || {
                    // Runs side by side split the cores between them (no nested
                    // parallelism: a small scene's passes are too short to hand round).
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(threads_per_job(jobs))
                        .build()
                        .ok();
                    loop {
                        if stop.is_cancelled() {
                            break;
                        }
                        let k = next.fetch_add(1, Ordering::SeqCst);
                        let Some(spec) = pending.get(k) else { break };
                        let _ = tx.send(Message::Started(spec.id.clone()));
                        let run = || run_one(batch, dir, spec, opts, stop, None);
                        let ended = match &pool {
                            Some(p) => p.install(run),
                            None => run(),
                        };
                        let _ = tx.send(Message::Ended(Box::new(ended)));
                    }
                });
            }
            drop(tx);
            tally.drain(rx, observer, &stop);
        });
    }
    if let Some(e) = tally.first_error {
        return Err(e);
    }
    let interrupted = stop.is_cancelled();
    let complete = manifest
        .runs
        .iter()
        .all(|r| dir.done(&r.id, &r.scene).is_some());

    let summary = if complete && !interrupted {
        Some(dir.write_summary(&manifest)?)
    } else {
        None
    };
    Ok(BatchOutcome {
        runs: mine.len(),
        skipped: mine.len() - pending.len(),
        ran: tally.ran,
        failed_now: tally.failed_now,
        summary,
        interrupted,
        jobs,
    })
}

/// Runs ended so far, and the first error writing the batch directory itself.
#[derive(Default)]
struct Tally {
    ran: usize,
    failed_now: usize,
    first_error: Option<RunError>,
}

impl Tally {
    /// Tells the observer of each run's start and end until every sender is gone, and
    /// counts them; an error writing the batch directory stops the batch.
    fn drain(
        &mut self,
        rx: mpsc::Receiver<Message>,
        observer: &mut dyn BatchObserver,
        stop: &CancelFlag,
    ) {
        for message in rx {
            match message {
                Message::Ended(ended) => match *ended {
                    Ok(Some(row)) => {
                        self.ran += 1;
                        self.failed_now += usize::from(row.status == Status::Failed);
                        observer.run_ended(&row);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        stop.cancel();
                        self.first_error.get_or_insert(e);
                    }
                },
                Message::Started(id) => observer.run_started(&id),
            }
        }
    }
}

/// Takes the batch's (or shard's) lock, then starts or checks the directory under it,
/// so that a batch file changed under `--force` never rewrites a directory another
/// batch process is running in. A directory refused is left as it was found.
fn lock_and_start(
    dir: &BatchDir,
    batch: &Batch,
    manifest: &Manifest,
    force: bool,
    lock_name: &str,
) -> Result<RunLock, RunError> {
    let root = &dir.root;
    if std::fs::symlink_metadata(root).is_ok_and(|m| !m.is_dir()) {
        return Err(RunError::OutDirNotADir(root.clone()));
    }
    let created_dir = !root.exists();
    std::fs::create_dir_all(root).map_err(RunError::io(root))?;
    let lock = RunLock::acquire_named(root, lock_name)?;
    if let Err(e) = dir.start(batch, manifest, force) {
        if lock.created_marker {
            let _ = std::fs::remove_file(root.join(lock_name));
        }
        if created_dir {
            let _ = std::fs::remove_dir(root);
        }
        return Err(e);
    }
    Ok(lock)
}

/// Lattices up to this many sites run one per core on the CPU backend when `--jobs` is
/// not given: their passes are too short to split well (BENCHMARKS.md, "Batches": 100²
/// runs give 1.24× the runs per hour one per core as two threads each).
pub const SMALL_SCENE_SITES: u64 = 1 << 16;

/// `--jobs` when not given: on the CPU backend one run per core when every run's
/// lattice is small (`SMALL_SCENE_SITES`), else one run at a time using every core; on
/// a GPU (or `auto`, which picks one when there is a GPU adapter) one at a time.
pub fn auto_jobs(runs: &[RunSpec], batch: &Batch, backend: BackendChoice) -> usize {
    if backend != BackendChoice::Cpu {
        return 1;
    }
    let small = runs.iter().all(|r| {
        Scene::parse(&r.scene_text, &batch.scene_file).is_ok_and(|s| {
            let l = &s.lattice;
            u64::from(l.nx) * u64::from(l.ny) * u64::from(l.nz) <= SMALL_SCENE_SITES
        })
    });
    if small {
        rayon::current_num_threads()
    } else {
        1
    }
}

/// Threads each of `jobs` runs side by side uses on the CPU backend: the threads rayon
/// would use (all cores, or `RAYON_NUM_THREADS`) shared out, at least one.
pub fn threads_per_job(jobs: usize) -> usize {
    let cores = rayon::current_num_threads();
    (cores / jobs.max(1)).max(1)
}

/// A batch stopped by Ctrl-C (exit 130); the same command finishes it.
#[derive(Debug, thiserror::Error)]
#[error("interrupted: some runs did not end; run the same command again to finish them")]
pub struct Interrupted;

pub(super) enum Message {
    Started(String),
    /// The run's row once its record is written; `None` when it was interrupted.
    Ended(Box<Result<Option<RunRow>, RunError>>),
}

/// Keeps the performance a run reports at its end.
#[derive(Default)]
struct Timing(Option<RunTiming>);

impl Observer for Timing {
    fn finished(&mut self, _summary: &Summary, performance: &Performance) {
        self.0 = Some(RunTiming::from_performance(performance));
    }
}

/// Runs one run into its directory and writes its record; `Ok(None)` when it was
/// interrupted (no record: the next invocation redoes it).
fn run_one(
    batch: &Batch,
    dir: &BatchDir,
    spec: &RunSpec,
    opts: &BatchOptions,
    stop: &CancelFlag,
    lane: Option<(Box<dyn Backend>, String)>,
) -> Result<Option<RunRow>, RunError> {
    let wall = Instant::now();
    let run_opts = RunOptions {
        out_dir: Some(dir.run_dir(&spec.id)),
        backend: opts.backend,
        days: None,
        // The directory of a run that did not end is this batch's to replace.
        force: true,
        snapshot_every_days: None,
        cancel: Some(stop.clone()),
        plots: opts.plots,
    };
    let mut timing = Timing::default();
    let scene_file = format!("{BATCH_COPY}#{}", spec.id);
    // A panic is a bug, not the batch's end: the run is recorded as failed with it.
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Scene::parse(&spec.scene_text, &batch.scene_file)
            .map_err(RunError::from)
            .and_then(|scene| match &spec.branch {
                Some(b) => {
                    let snapshot = branch_point(dir, b, &scene)?;
                    run_branch(&snapshot, scene, &scene_file, &run_opts, &mut timing)
                }
                None => {
                    let every = spec
                        .snapshot_every_ticks
                        .map(|t| t as f64 * scene.time.tick_h / 24.0);
                    let run_opts = RunOptions {
                        snapshot_every_days: every,
                        ..run_opts.clone()
                    };
                    run_scene_on(scene, &scene_file, &run_opts, &mut timing, wall, lane)
                }
            })
    }));
    let (row, lines) = match attempt {
        Ok(Ok(summary)) => (RunRow::finished(spec, &summary), line_spans(&summary)),
        Ok(Err(RunError::Interrupted { .. })) => return Ok(None),
        Ok(Err(e)) => (
            RunRow::failed(spec, error_text(&anyhow::Error::from(e))),
            Vec::new(),
        ),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let message = format!("internal error (a bug; please report it): {what}");
            (RunRow::failed(spec, message), Vec::new())
        }
    };
    let timing = timing.0.or(Some(RunTiming {
        wall_seconds: wall.elapsed().as_secs_f64(),
        ticks_per_s: 0.0,
        device: String::new(),
    }));
    dir.write_done(&DoneRecord {
        format: super::directory::FORMAT,
        scene: spec.fingerprint.clone(),
        row: row.clone(),
        lines,
        timing,
    })?;
    Ok(Some(row))
}

/// The source run's snapshot a branch starts from: the one before the scan at which
/// the source's line `first_new_line - 1` failed, or the source's last when that line
/// never failed.
fn branch_point(dir: &BatchDir, b: &BranchOf, scene: &Scene) -> Result<PathBuf, RunError> {
    let source = dir.run_dir(&b.source);
    let failed = |why: &str| RunError::Resume(format!("its source run {} {why}", b.source));
    let record = std::fs::read_to_string(dir.done_path(&b.source))
        .ok()
        .and_then(|t| serde_json::from_str::<DoneRecord>(&t).ok())
        .ok_or_else(|| failed("has not ended"))?;
    if record.row.status == Status::Failed {
        return Err(failed("failed"));
    }
    let failed_day = record
        .lines
        .get(b.first_new_line - 1)
        .and_then(|l| l.failed_day);
    match failed_day {
        Some(day) => {
            let tick = (day * 24.0 / scene.time.tick_h).round() as u64;
            let path = source.join(SNAPSHOTS).join(snapshot::file_name(tick));
            if path.is_file() {
                Ok(path)
            } else {
                Err(failed(&format!(
                    "has no snapshot at tick {tick}, the scan at which line {} failed",
                    b.first_new_line
                )))
            }
        }
        None => Ok(snapshot::locate(&source)?),
    }
}
