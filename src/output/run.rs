//! One run of one scene into one run directory.
//!
//! Everything that can be refused is checked before the first byte is written: the
//! scene, the options, the output directory, the backend and the initial state. After
//! that, failures keep what was written and leave a `summary.json` that says so.

use super::rundir::{self, FRAMES, RESOLVED_SCENE, SUMMARY, TIMESERIES};
use super::summary::{BackendSummary, Derived, Peak, SceneInfo, Summary, SweepStats};
use super::timeseries::{Row, Timeseries};
use super::{frames, RunError};
use crate::engine::{create_backend, BackendChoice, BackendInfo, Simulation};
use crate::scene::Scene;
use std::path::{Path, PathBuf};
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
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            out_dir: None,
            backend: BackendChoice::Auto,
            days: None,
            force: false,
        }
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
    fn finished(&mut self, _summary: &Summary) {}
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

/// Runs the scene at `scene_path` into a run directory and returns its summary.
pub fn run(
    scene_path: &Path,
    opts: &RunOptions,
    observer: &mut dyn Observer,
) -> Result<Summary, RunError> {
    let wall = Instant::now();
    let mut scene = Scene::load(scene_path)?;
    if let Some(days) = opts.days {
        apply_days(&mut scene, days)?;
    }
    let out_dir = match &opts.out_dir {
        Some(d) if d.as_os_str().is_empty() => {
            return Err(RunError::Option("--out must not be empty".into()))
        }
        Some(d) => d.clone(),
        None => rundir::default_dir(&scene.name),
    };
    let how = rundir::check(&out_dir, opts.force)?;
    let (backend, note) = create_backend(opts.backend, &scene)?;
    let mut sim = Simulation::new(scene.clone(), backend)?;
    let info = sim.backend_info();

    rundir::prepare(&out_dir, how)?;
    observer.started(&RunStart {
        scene: &scene,
        out_dir: &out_dir,
        backend: &info,
        backend_note: &note,
        total_ticks: sim.total_ticks(),
    });
    let mut w = Writer {
        timeseries: Timeseries::new(out_dir.join(TIMESERIES)),
        frames_dir: out_dir.join(FRAMES),
        frame_every: scene.frame_every_ticks(),
        frames: 0,
        last_frame_tick: None,
        out_dir,
        scene,
    };
    let outcome = w.drive(&mut sim, observer);
    let (loop_seconds, error) = match &outcome {
        Ok(secs) => (*secs, None),
        Err(e) => (0.0, Some(e.to_string())),
    };
    let summary = w.summary(scene_path, &sim, info, note, loop_seconds, error, wall);
    // A failed run still gets its summary; the first error is the one reported.
    let written = w.write_summary(&summary);
    outcome?;
    written?;
    observer.finished(&summary);
    Ok(summary)
}

struct Writer {
    out_dir: PathBuf,
    scene: Scene,
    timeseries: Timeseries,
    frames_dir: PathBuf,
    frame_every: Option<u64>,
    frames: u32,
    last_frame_tick: Option<u64>,
}

impl Writer {
    /// Writes the resolved scene, then ticks to the end writing rows and frames.
    /// Returns the seconds spent in the tick loop.
    fn drive(
        &mut self,
        sim: &mut Simulation,
        observer: &mut dyn Observer,
    ) -> Result<f64, RunError> {
        rundir::write_atomic(
            &self.out_dir.join(RESOLVED_SCENE),
            self.scene.to_resolved_toml().as_bytes(),
        )?;
        if self.frame_every.is_some() {
            std::fs::create_dir_all(&self.frames_dir).map_err(RunError::io(&self.frames_dir))?;
            self.frame(sim)?;
        }
        let first = sim.report_now()?;
        self.timeseries
            .push(Row::from_report(&self.scene, &first))?;

        let start_tick = sim.tick();
        let loop_start = Instant::now();
        while !sim.is_done() {
            sim.step()?;
            for report in sim.poll(false)? {
                self.timeseries
                    .push(Row::from_report(&self.scene, &report))?;
            }
            if let Some(every) = self.frame_every {
                if sim.tick() % every == 0 {
                    self.frame(sim)?;
                }
            }
            let secs = loop_start.elapsed().as_secs_f64();
            observer.progress(&Progress {
                tick: sim.tick(),
                total_ticks: sim.total_ticks(),
                simulated_days: sim.tick() as f64 * self.scene.time.tick_h / 24.0,
                tumor_live: self.timeseries.rows().last().map_or(0, |r| r.tumor_live),
                ticks_per_s: (sim.tick() - start_tick) as f64 / secs.max(1e-9),
            });
        }
        for report in sim.poll(true)? {
            self.timeseries
                .push(Row::from_report(&self.scene, &report))?;
        }
        let loop_seconds = loop_start.elapsed().as_secs_f64();
        if self.frame_every.is_some() && self.last_frame_tick != Some(sim.tick()) {
            self.frame(sim)?;
        }
        Ok(loop_seconds)
    }

    /// Writes the current state as the next frame.
    fn frame(&mut self, sim: &mut Simulation) -> Result<(), RunError> {
        let state = sim.state()?;
        let path = frames::path(&self.frames_dir, self.frames);
        frames::write(&self.scene, &state, &path)?;
        self.frames += 1;
        self.last_frame_tick = Some(sim.tick());
        Ok(())
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the pieces of one summary, gathered once"
    )]
    fn summary(
        &self,
        scene_path: &Path,
        sim: &Simulation,
        info: BackendInfo,
        note: String,
        loop_seconds: f64,
        error: Option<String>,
        wall: Instant,
    ) -> Summary {
        let rows = self.timeseries.rows();
        let s = &self.scene;
        let ticks = rows.last().map_or(0, |r| r.tick);
        let per_s = |n: f64| {
            if loop_seconds > 0.0 {
                n / loop_seconds
            } else {
                0.0
            }
        };
        Summary {
            oncolattice_version: env!("CARGO_PKG_VERSION"),
            scene: SceneInfo {
                name: s.name.clone(),
                file: scene_path.display().to_string(),
                seed: s.seed,
                nx: s.lattice.nx,
                ny: s.lattice.ny,
                nz: s.lattice.nz,
                site_size_um: s.lattice.site_size_um,
                sites: s.site_count(),
            },
            backend: BackendSummary { info, note },
            completed: error.is_none() && sim.is_done(),
            error,
            ticks,
            tick_h: s.time.tick_h,
            simulated_days: rows.last().map_or(0.0, |r| r.time_days),
            wall_seconds: wall.elapsed().as_secs_f64(),
            ticks_per_s: per_s(ticks as f64),
            site_updates_per_s: per_s(ticks as f64 * s.site_count() as f64),
            initial_solve: sim.initial_solve(),
            sweeps_per_tick: SweepStats::from_rows(rows),
            peak_tumor_live: Peak::from_rows(rows),
            final_row: rows.last().copied(),
            derived: rows
                .first()
                .zip(rows.last())
                .map(|(a, b)| Derived::from_rows(a, b)),
            frames: self.frames,
        }
    }

    fn write_summary(&self, summary: &Summary) -> Result<(), RunError> {
        let mut json = serde_json::to_string_pretty(summary).expect("the summary serialises");
        json.push('\n');
        rundir::write_atomic(&self.out_dir.join(SUMMARY), json.as_bytes())
    }
}
