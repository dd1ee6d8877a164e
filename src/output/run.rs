//! One run of one scene into one run directory, from tick 0 or from a snapshot.
//!
//! Everything that can be refused is checked before the first byte is written: the
//! scene, the options, the output directory, the backend and the initial state. After
//! that, failures keep what was written and leave a `summary.json` that says so.
//!
//! Every file but `performance.json` depends on the simulation alone, so a run resumed
//! from a snapshot (`snapshot::resume`) writes the same bytes as the run that wrote it.

use super::atomic;
use super::rundir::{self, FRAMES, RESOLVED_SCENE, SUMMARY, TIMESERIES};
use super::snapshot::{
    self, codec, BackendRecord, ReportRecord, RngState, RunRecord, SnapshotHeader, SnapshotRecord,
    FORMAT_NAME, RNG_SCHEME, SNAPSHOTS,
};
use super::summary::{
    BackendSummary, Derived, Peak, Performance, SceneInfo, Summary, SweepStats, Unconverged,
    PERFORMANCE,
};
use super::timeseries::{Row, Timeseries};
use super::{frames, lineage, RunError};
use crate::engine::therapy::TherapyTick;
use crate::engine::{
    create_backend, BackendChoice, BackendInfo, EngineError, Simulation, TickReport,
};
use crate::model::params::stopping_tolerance;
use crate::model::rng;
use crate::scene::Scene;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// How to run a scene.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Run directory; default `runs/<scene name>`.
    pub out_dir: Option<PathBuf>,
    pub backend: BackendChoice,
    /// Replaces `time.duration_days`; must be > 0.
    pub days: Option<f64>,
    /// Replace an existing run directory.
    pub force: bool,
    /// Simulated days between snapshots (> 0). A final snapshot is written either way.
    pub snapshot_every_days: Option<f64>,
    /// Checked after every tick: once set, the run writes a snapshot and stops with
    /// `RunError::Interrupted`.
    pub cancel: Option<CancelFlag>,
    /// Write `plots/` and `frames/contact_sheet.png` at the end (`--no-plots` clears it).
    pub plots: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            out_dir: None,
            backend: BackendChoice::Auto,
            days: None,
            force: false,
            snapshot_every_days: None,
            cancel: None,
            plots: true,
        }
    }
}

/// A request to stop a run at the next tick boundary (the CLI sets it on Ctrl-C).
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl PartialEq for CancelFlag {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Told to the observer once the run is set up, before the tick loop.
pub struct RunStart<'a> {
    pub scene: &'a Scene,
    pub out_dir: &'a Path,
    pub backend: &'a BackendInfo,
    /// Which backend was chosen and why.
    pub backend_note: &'a str,
    pub total_ticks: u64,
    /// Ticks already done: 0, or the snapshot's tick for a resumed run.
    pub start_tick: u64,
}

/// Told to the observer after every tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub tick: u64,
    pub total_ticks: u64,
    pub simulated_days: f64,
    /// Live tumour cells at the latest report row.
    pub tumor_live: u32,
    /// Ticks per second of the tick loop so far.
    pub ticks_per_s: f64,
}

/// Watches a run (the CLI draws its progress bar with this).
pub trait Observer {
    fn started(&mut self, _start: &RunStart) {}
    fn progress(&mut self, _progress: &Progress) {}
    /// Something the user should know that does not stop the run.
    fn note(&mut self, _note: &str) {}
    fn finished(&mut self, _summary: &Summary, _performance: &Performance) {}
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {}

/// Checks `--days` and puts it into the scene.
fn apply_days(scene: &mut Scene, days: f64) -> Result<(), RunError> {
    if !(days.is_finite() && days > 0.0) {
        return Err(RunError::Option(format!("--days must be > 0 (got {days})")));
    }
    if days * 24.0 / scene.time.tick_h > u32::MAX as f64 / 2.0 {
        return Err(RunError::Option(format!(
            "--days {days} needs more ticks than supported at time.tick_h = {} h",
            scene.time.tick_h
        )));
    }
    scene.time.duration_days = days;
    Ok(())
}

/// Checks `--snapshot-every` and converts it to ticks.
fn snapshot_ticks(scene: &Scene, days: f64) -> Result<u64, RunError> {
    if !(days.is_finite() && days > 0.0) {
        return Err(RunError::Option(format!(
            "--snapshot-every must be > 0 days (got {days})"
        )));
    }
    Ok((days * 24.0 / scene.time.tick_h).round().max(1.0) as u64)
}

/// Runs the scene at `scene_path` into a run directory and returns its summary.
pub fn run(
    scene_path: &Path,
    opts: &RunOptions,
    observer: &mut dyn Observer,
) -> Result<Summary, RunError> {
    let wall = Instant::now();
    let scene = Scene::load(scene_path)?;
    run_scene(
        scene,
        &scene_path.display().to_string(),
        opts,
        observer,
        wall,
    )
}

/// Runs a loaded scene; `scene_file` is how summary.json names its file.
pub(crate) fn run_scene(
    scene: Scene,
    scene_file: &str,
    opts: &RunOptions,
    observer: &mut dyn Observer,
    wall: Instant,
) -> Result<Summary, RunError> {
    run_scene_on(scene, scene_file, opts, observer, wall, None)
}

/// `run_scene` on a given backend (a batch's lane of a GPU pack, with the note the
/// run records), or on the one `opts.backend` chooses when `None`.
pub(crate) fn run_scene_on(
    mut scene: Scene,
    scene_file: &str,
    opts: &RunOptions,
    observer: &mut dyn Observer,
    wall: Instant,
    given: Option<(Box<dyn crate::engine::Backend>, String)>,
) -> Result<Summary, RunError> {
    if let Some(days) = opts.days {
        apply_days(&mut scene, days)?;
    }
    let snapshot_every = opts
        .snapshot_every_days
        .map(|d| snapshot_ticks(&scene, d))
        .transpose()?;
    let out_dir = match &opts.out_dir {
        Some(d) if d.as_os_str().is_empty() => {
            return Err(RunError::Option("--out must not be empty".into()))
        }
        Some(d) => d.clone(),
        None => rundir::default_dir(&scene.name),
    };
    rundir::check(&out_dir, opts.force)?;
    let (backend, note) = match given {
        Some(given) => given,
        None => create_backend(opts.backend, &scene)?,
    };
    super::memory::check(&scene, backend.info().kind)?;
    let sim = Simulation::new(scene.clone(), backend)?;
    let info = sim.backend_info();

    // Held to the end of the run, end phase included.
    let _lock = rundir::prepare(&out_dir, opts.force)?;
    let mut w = Writer::new(
        out_dir,
        scene,
        scene_file.to_string(),
        BackendRecord {
            kind: info.kind.as_str().into(),
            device: info.device.clone(),
            detail: info.detail.clone(),
            note: note.clone(),
        },
        opts.cancel.clone(),
    );
    w.snapshot_every = snapshot_every;
    w.snapshot_every_days = opts.snapshot_every_days;
    w.plots = opts.plots;
    let plots = opts.plots;
    let end = move |dir: &Path, last_tick: u64, _: &mut dyn Observer| {
        super::plot::end_of_run(dir, plots, last_tick)
    };
    execute(w, sim, &note, observer, wall, end)
}

/// Drives `sim` to the end (or an interruption) writing into `w`, then writes the
/// final outputs (lineage.csv, scans.csv, the vessel network's files, and what `end`
/// writes: the contact sheet and the plots), then performance.json, and summary.json
/// last, whatever happened: it says `"completed": true` only when every one of them
/// was written.
pub(crate) fn execute<'a>(
    mut w: Writer,
    mut sim: Simulation,
    note: &str,
    observer: &mut dyn Observer,
    wall: Instant,
    end: impl FnOnce(&Path, u64, &mut dyn Observer) -> Result<(), RunError> + 'a,
) -> Result<Summary, RunError> {
    let info = sim.backend_info();
    let start_tick = sim.tick();
    observer.started(&RunStart {
        scene: &w.scene,
        out_dir: &w.out_dir,
        backend: &info,
        backend_note: note,
        total_ticks: sim.total_ticks(),
        start_tick,
    });
    let mut failure = None;
    let mut lineage_summary = None;
    let mut immune = None;
    let outcome = w.drive(&mut sim, observer).and_then(|()| {
        let state = sim.state()?;
        immune = crate::model::biomarkers::of_state(&w.scene, &state.sites, &state.fields);
        let start = crate::engine::therapy::treatment_start_tick(sim.therapy_log());
        failure = super::failure_report::failure_report(&sim, &state)?;
        lineage_summary = Some(lineage::summary(&state, start));
        let csv = lineage::csv(&w.scene, &state, start);
        atomic::write(&w.out_dir.join(lineage::LINEAGE_CSV), csv.as_bytes())?;
        if let Some(csv) = super::scans::csv(&w.scene, sim.therapy_log()) {
            atomic::write(&w.out_dir.join(super::scans::SCANS_CSV), csv.as_bytes())?;
        }
        // Scenes with [vasculature]: the final network (vessels.vtp and its two CSVs).
        super::export::vessels::write(
            &w.scene,
            sim.tick(),
            &state.sites,
            &super::export::vessels::paths(&w.out_dir),
        )?;
        end(&w.out_dir, sim.tick(), observer)
    });
    let error = outcome.as_ref().err().map(|e| e.to_string());
    let mut summary = w.summary(&sim, error);
    summary.failure = failure;
    summary.lineage = lineage_summary;
    summary.immune = immune;
    let performance = w.performance(info, start_tick, sim.tick(), wall);
    // A failed run still gets its summary, written last; the first error is the one
    // reported.
    let written = w
        .write_json(PERFORMANCE, &performance)
        .and_then(|()| w.write_json(SUMMARY, &summary));
    outcome?;
    written?;
    observer.finished(&summary, &performance);
    Ok(summary)
}

/// The run directory being written and everything needed to continue it.
pub(crate) struct Writer {
    pub(crate) out_dir: PathBuf,
    scene: Scene,
    /// scene.resolved.toml, byte for byte.
    scene_toml: String,
    /// The scene file as summary.json names it.
    scene_file: String,
    backend: BackendRecord,
    timeseries: Timeseries,
    reports: Vec<ReportRecord>,
    frames_dir: PathBuf,
    frame_every: Option<u64>,
    frames_crc32: Vec<u32>,
    last_frame_tick: Option<u64>,
    snapshots_dir: PathBuf,
    snapshot_every: Option<u64>,
    snapshot_every_days: Option<f64>,
    /// The snapshots at the cadence and the final one, which later snapshots record;
    /// one written on an interruption is left out, so that a resumed run's snapshots
    /// are the same bytes as the uninterrupted run's.
    snapshots: Vec<SnapshotRecord>,
    last_snapshot_tick: Option<u64>,
    cancel: Option<CancelFlag>,
    /// Whether the run ends with plots/ (recorded in snapshots for the resumed run).
    pub(crate) plots: bool,
    /// The snapshot's tick when continuing one; `None` from tick 0.
    resumed_from: Option<u64>,
    loop_start: Option<Instant>,
    snapshots_written: u32,
    snapshot_seconds: f64,
}

impl Writer {
    /// A writer for a run from tick 0.
    pub(crate) fn new(
        out_dir: PathBuf,
        scene: Scene,
        scene_file: String,
        backend: BackendRecord,
        cancel: Option<CancelFlag>,
    ) -> Writer {
        Writer {
            timeseries: Timeseries::new(out_dir.join(TIMESERIES), &scene),
            frames_dir: out_dir.join(FRAMES),
            snapshots_dir: out_dir.join(SNAPSHOTS),
            frame_every: scene.frame_every_ticks(),
            scene_toml: scene.to_resolved_toml(),
            scene,
            scene_file,
            backend,
            reports: Vec::new(),
            frames_crc32: Vec::new(),
            last_frame_tick: None,
            snapshot_every: None,
            snapshot_every_days: None,
            snapshots: Vec::new(),
            last_snapshot_tick: None,
            cancel,
            plots: true,
            resumed_from: None,
            loop_start: None,
            snapshots_written: 0,
            snapshot_seconds: 0.0,
            out_dir,
        }
    }

    /// A writer that continues the run a snapshot was taken from. `snapshots` lists the
    /// snapshots up to and including this one, as the run directory holds them.
    pub(crate) fn resumed(
        out_dir: PathBuf,
        snap: &snapshot::Snapshot,
        backend: BackendRecord,
        cancel: Option<CancelFlag>,
    ) -> Writer {
        let h = &snap.header;
        let mut w = Writer::new(
            out_dir,
            snap.scene.clone(),
            h.scene_file.clone(),
            backend,
            cancel,
        );
        w.scene_toml = h.scene_toml.clone();
        w.reports = h.census_history.clone();
        w.frame_every = h.run.frame_every_ticks;
        w.frames_crc32 = h.run.frames_crc32.clone();
        w.last_frame_tick = h.run.last_frame_tick;
        w.snapshot_every = h.run.snapshot_every_ticks;
        w.snapshot_every_days = h.run.snapshot_every_days;
        w.snapshots = h.run.snapshots.clone();
        w.plots = h.run.plots;
        if h.run
            .snapshot_every_ticks
            .is_some_and(|every| h.tick % every == 0)
            || h.tick == h.run.total_ticks
        {
            w.snapshots.push(SnapshotRecord {
                tick: h.tick,
                crc32: snap.file_crc,
            });
        }
        w.last_snapshot_tick = Some(h.tick);
        w.resumed_from = Some(h.tick);
        w
    }

    /// A writer for a branch of the run `snap` belongs to: its history up to the
    /// snapshot, then `scene` (whose therapy differs in lines not yet begun), with no
    /// snapshots but the final one, as a run of `scene` from tick 0 would have.
    pub(crate) fn branched(
        out_dir: PathBuf,
        snap: &snapshot::Snapshot,
        scene: Scene,
        scene_file: String,
        backend: BackendRecord,
        cancel: Option<CancelFlag>,
        plots: bool,
    ) -> Writer {
        let mut w = Writer::resumed(out_dir, snap, backend, cancel);
        w.scene_toml = scene.to_resolved_toml();
        w.timeseries = Timeseries::new(w.out_dir.join(TIMESERIES), &scene);
        w.frame_every = scene.frame_every_ticks();
        w.scene = scene;
        w.scene_file = scene_file;
        w.snapshot_every = None;
        w.snapshot_every_days = None;
        w.snapshots.clear();
        w.last_snapshot_tick = None;
        w.plots = plots;
        w
    }

    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancelFlag::is_cancelled)
    }

    fn push(&mut self, report: TickReport, log: &[TherapyTick]) -> Result<(), RunError> {
        self.reports.push(ReportRecord::from(&report));
        let since = self.timeseries.last_tick();
        self.timeseries
            .push(Row::from_report(&self.scene, &report, log, since))
    }

    fn collect(&mut self, sim: &mut Simulation, wait: bool) -> Result<(), RunError> {
        for report in sim.poll(wait)? {
            self.push(report, sim.therapy_log())?;
        }
        Ok(())
    }

    /// Writes the resolved scene and the first state (or the history of a resumed
    /// run), then ticks to the end writing rows, frames and snapshots.
    fn drive(&mut self, sim: &mut Simulation, observer: &mut dyn Observer) -> Result<(), RunError> {
        atomic::write(
            &self.out_dir.join(RESOLVED_SCENE),
            self.scene_toml.as_bytes(),
        )?;
        if self.frame_every.is_some() {
            std::fs::create_dir_all(&self.frames_dir).map_err(RunError::io(&self.frames_dir))?;
        }
        if self.resumed_from.is_none() {
            if self.frame_every.is_some() {
                self.frame(sim)?;
            }
            let first = sim.report_now()?;
            self.push(first, sim.therapy_log())?;
        } else {
            let log = sim.therapy_log();
            let mut since = 0;
            let rows = self
                .reports
                .iter()
                .filter_map(ReportRecord::to_report)
                .map(|r| {
                    let row = Row::from_report(&self.scene, &r, log, since);
                    since = r.tick;
                    row
                })
                .collect();
            self.timeseries =
                Timeseries::with_rows(self.out_dir.join(TIMESERIES), &self.scene, rows)?;
        }

        let start_tick = sim.tick();
        let loop_start = Instant::now();
        self.loop_start = Some(loop_start);
        loop {
            if self.cancelled() {
                return Err(self.interrupt(sim)?);
            }
            if sim.is_done() {
                break;
            }
            sim.step()?;
            self.collect(sim, false)?;
            let tick = sim.tick();
            if self.frame_every.is_some_and(|every| tick % every == 0) {
                self.frame(sim)?;
            }
            // The final snapshot is written after the final frame, below.
            if self.snapshot_every.is_some_and(|every| tick % every == 0) && !sim.is_done() {
                self.snapshot(sim, true)?;
            }
            let secs = loop_start.elapsed().as_secs_f64();
            observer.progress(&Progress {
                tick,
                total_ticks: sim.total_ticks(),
                simulated_days: tick as f64 * self.scene.time.tick_h / 24.0,
                tumor_live: self.timeseries.rows().last().map_or(0, |r| r.tumor_live()),
                ticks_per_s: (tick - start_tick) as f64 / secs.max(1e-9),
            });
        }
        self.collect(sim, true)?;
        if self.frame_every.is_some() && self.last_frame_tick != Some(sim.tick()) {
            self.frame(sim)?;
        }
        if self.last_snapshot_tick != Some(sim.tick()) {
            self.snapshot(sim, true)?;
        }
        Ok(())
    }

    /// Stops after a whole tick: collects its reports and saves the state.
    fn interrupt(&mut self, sim: &mut Simulation) -> Result<RunError, RunError> {
        self.collect(sim, true)?;
        let tick = sim.tick();
        if self.last_snapshot_tick != Some(tick) {
            self.snapshot(sim, false)?;
        }
        Ok(RunError::Interrupted {
            tick,
            snapshot: self.snapshots_dir.join(snapshot::file_name(tick)),
            out_dir: self.out_dir.clone(),
        })
    }

    /// Writes the current state as the next frame.
    fn frame(&mut self, sim: &mut Simulation) -> Result<(), RunError> {
        let state = sim.state()?;
        let path = frames::path(&self.frames_dir, self.frames_crc32.len() as u32);
        frames::write(&self.scene, &state, sim.tick(), &path)?;
        let bytes = std::fs::read(&path).map_err(RunError::io(&path))?;
        self.frames_crc32.push(crc32fast::hash(&bytes));
        self.last_frame_tick = Some(sim.tick());
        Ok(())
    }

    /// Writes a snapshot of the current state, after every report up to now is in;
    /// `recorded` puts it in the list that later snapshots carry.
    fn snapshot(&mut self, sim: &mut Simulation, recorded: bool) -> Result<(), RunError> {
        let started = Instant::now();
        self.collect(sim, true)?;
        let state = sim.state()?;
        // A snapshot is a good state to resume from, or none is written.
        if let Some((f, _)) = state.non_finite() {
            return Err(EngineError::NonFinite {
                field: crate::model::fields::list(&self.scene)[f].name.clone(),
                tick: sim.tick(),
            }
            .into());
        }
        let header = self.header(sim);
        std::fs::create_dir_all(&self.snapshots_dir).map_err(RunError::io(&self.snapshots_dir))?;
        let path = self.snapshots_dir.join(snapshot::file_name(sim.tick()));
        let names: Vec<String> = crate::model::fields::list(&self.scene)
            .into_iter()
            .skip(1)
            .map(|f| f.name)
            .collect();
        let crc32 = snapshot::write(&path, &header, &state, &names).map_err(RunError::io(&path))?;
        if recorded {
            self.snapshots.push(SnapshotRecord {
                tick: sim.tick(),
                crc32,
            });
        }
        self.last_snapshot_tick = Some(sim.tick());
        self.snapshots_written += 1;
        self.snapshot_seconds += started.elapsed().as_secs_f64();
        Ok(())
    }

    fn header(&self, sim: &Simulation) -> SnapshotHeader {
        let s = &self.scene;
        let tick = sim.tick();
        SnapshotHeader {
            format: FORMAT_NAME.into(),
            format_version: codec::FORMAT_VERSION,
            oncolattice_version: env!("CARGO_PKG_VERSION").into(),
            tick,
            time_h: tick as f64 * s.time.tick_h,
            seed: s.seed,
            rng: RngState {
                scheme: RNG_SCHEME.into(),
                next_tick_key: rng::tick_key(s.seed, tick as u32),
            },
            dims: [s.lattice.nx, s.lattice.ny, s.lattice.nz],
            n_sites: s.site_count(),
            site_size_um: s.lattice.site_size_um,
            scene_toml: self.scene_toml.clone(),
            scene_file: self.scene_file.clone(),
            backend: self.backend.clone(),
            initial_solve: sim.initial_solve().into(),
            run: RunRecord {
                total_ticks: sim.total_ticks(),
                report_every_ticks: s.report_every_ticks(),
                frame_every_ticks: self.frame_every,
                snapshot_every_ticks: self.snapshot_every,
                snapshot_every_days: self.snapshot_every_days,
                last_frame_tick: self.last_frame_tick,
                frames_crc32: self.frames_crc32.clone(),
                snapshots: self.snapshots.clone(),
                plots: self.plots,
            },
            census_history: self.reports.clone(),
            plasma_um: sim.plasma_um().to_vec(),
            therapy: sim.therapy_state().cloned(),
            therapy_log: sim.therapy_log().to_vec(),
        }
    }

    fn summary(&self, sim: &Simulation, error: Option<String>) -> Summary {
        let rows = self.timeseries.rows();
        let s = &self.scene;
        Summary {
            oncolattice_version: env!("CARGO_PKG_VERSION"),
            scene: SceneInfo {
                name: s.name.clone(),
                file: self.scene_file.clone(),
                seed: s.seed,
                nx: s.lattice.nx,
                ny: s.lattice.ny,
                nz: s.lattice.nz,
                site_size_um: s.lattice.site_size_um,
                sites: s.site_count(),
            },
            // The record's kind, device and detail were taken from this backend's
            // info (by `run`, or by `resume` for the backend that continues).
            backend: BackendSummary {
                info: sim.backend_info(),
                note: self.backend.note.clone(),
            },
            completed: error.is_none() && sim.is_done(),
            error,
            ticks: rows.last().map_or(0, |r| r.tick),
            tick_h: s.time.tick_h,
            simulated_days: rows.last().map_or(0.0, |r| r.time_days),
            initial_solve: sim.initial_solve(),
            sweeps_per_tick: SweepStats::from_rows(rows),
            unconverged_solves: Unconverged::from_rows(
                rows,
                stopping_tolerance(s.oxygen.tolerance_mmhg, s.oxygen.sor_omega),
            ),
            peak_tumor_live: Peak::from_rows(rows),
            final_row: rows.last().cloned(),
            derived: rows
                .first()
                .zip(rows.last())
                .map(|(a, b)| Derived::from_rows(a, b)),
            frames: self.frames_crc32.len() as u32,
            failure: None,
            lineage: None,
            immune: None,
        }
    }

    fn performance(
        &self,
        backend: BackendInfo,
        start_tick: u64,
        end_tick: u64,
        wall: Instant,
    ) -> Performance {
        let loop_seconds = self.loop_start.map_or(0.0, |t| t.elapsed().as_secs_f64());
        let ticks = end_tick.saturating_sub(start_tick) as f64;
        let per_s = |n: f64| {
            if loop_seconds > 0.0 {
                n / loop_seconds
            } else {
                0.0
            }
        };
        Performance {
            oncolattice_version: env!("CARGO_PKG_VERSION"),
            backend,
            start_tick,
            end_tick,
            wall_seconds: wall.elapsed().as_secs_f64(),
            loop_seconds,
            ticks_per_s: per_s(ticks),
            site_updates_per_s: per_s(ticks * self.scene.site_count() as f64),
            snapshots_written: self.snapshots_written,
            snapshot_seconds: self.snapshot_seconds,
        }
    }

    fn write_json(&self, name: &str, value: &impl serde::Serialize) -> Result<(), RunError> {
        let mut json = serde_json::to_string_pretty(value).expect("the value serialises");
        json.push('\n');
        Ok(atomic::write(&self.out_dir.join(name), json.as_bytes())?)
    }
}
