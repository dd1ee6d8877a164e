//! `oncolattice resume`: continue a run from one of its snapshots.
//!
//! Without `--out` the run continues in the run directory the snapshot belongs to
//! (`<run>/snapshots/<file>`), which is what a researcher wants after Ctrl-C or a
//! crash: its later frames and snapshots, if any, are rolled back and written again.
//! A directory that has already gone past the snapshot (a later snapshot, or a
//! completed run) is only rolled back with `--force`.
//!
//! With `--out DIR` the run continues in a new directory (the same rules as `run
//! --out`), which first receives the run's history up to the snapshot from the
//! snapshot's run directory: the frames and earlier snapshots the header records, each
//! checked against its recorded CRC, and the snapshot itself. Either way the finished
//! directory holds the same bytes as an uninterrupted run on the same backend, except
//! performance.json.

use super::{codec, list, run_dir_of, BackendRecord, Snapshot, SNAPSHOTS};
use crate::engine::{create_backend, BackendChoice, BackendInfo, BackendKind, Simulation};
use crate::output::run::{execute, CancelFlag, Observer, Writer};
use crate::output::rundir::{self, Prepare, FRAMES, RESOLVED_SCENE, SUMMARY};
use crate::output::{frames, plot, RunError, Summary};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How to resume.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResumeOptions {
    /// A new run directory; default: the snapshot's own run directory.
    pub out_dir: Option<PathBuf>,
    /// Default: the kind of backend that wrote the snapshot (`cpu` or `gpu`), which is
    /// the one that reproduces the uninterrupted run byte for byte.
    pub backend: Option<BackendChoice>,
    /// Roll back a run directory that has gone past the snapshot, or replace an
    /// existing `--out` run directory.
    pub force: bool,
    pub cancel: Option<CancelFlag>,
}

enum Target {
    /// The snapshot's own run directory.
    InPlace(PathBuf),
    /// A new directory (checked by `rundir::check`).
    New(PathBuf),
}

/// Continues the run that `snapshot` (a snapshot file, or a run directory for its
/// latest snapshot) was taken from, and returns the finished run's summary.
pub fn resume(
    snapshot: &Path,
    opts: &ResumeOptions,
    observer: &mut dyn Observer,
) -> Result<Summary, RunError> {
    let wall = Instant::now();
    let path = super::locate(snapshot)?;
    let snap = Snapshot::read(&path)?;
    let h = &snap.header;
    let origin = run_dir_of(&path);

    let target = match (&opts.out_dir, &origin) {
        (Some(d), _) if d.as_os_str().is_empty() => {
            return Err(RunError::Option("--out must not be empty".into()))
        }
        (Some(d), Some(o)) if same_dir(d, o) => Target::InPlace(o.clone()),
        (Some(d), _) => {
            let how = rundir::check(d, opts.force)?;
            if how == Prepare::Replace && origin.as_ref().is_some_and(|o| inside(o, d)) {
                return Err(RunError::Resume(format!(
                    "refusing to replace {}: it holds the snapshot's run directory",
                    d.display()
                )));
            }
            Target::New(d.clone())
        }
        (None, Some(o)) => Target::InPlace(o.clone()),
        (None, None) => {
            return Err(RunError::Resume(format!(
                "{} is not inside a run directory (<run>/{SNAPSHOTS}/ beside scene.resolved.toml); \
                 give --out DIR to resume into a new run directory",
                path.display()
            )))
        }
    };
    // Held to the end of the run, end phase included.
    let mut _lock = None;
    if let Target::InPlace(dir) = &target {
        _lock = Some(rundir::lock_existing(dir)?);
        check_in_place(dir, &snap, opts.force)?;
    }

    let choice = opts.backend.unwrap_or(
        BackendKind::from_name(&h.backend.kind).map_or(BackendChoice::Cpu, BackendChoice::from),
    );
    let (backend, note) = create_backend(choice, &snap.scene)?;
    crate::output::memory::check(&snap.scene, backend.info().kind)?;
    let mut sim = Simulation::resume(
        snap.scene.clone(),
        backend,
        &snap.state,
        h.tick,
        h.initial_solve.into(),
    )?;
    sim.restore_therapy(h.therapy.clone(), &h.plasma_um, h.therapy_log.clone());
    let record = backend_record(&sim.backend_info(), &note, &snap);

    let mut complete = true;
    let out_dir = match target {
        Target::InPlace(dir) => {
            roll_back(&dir, &snap)?;
            dir
        }
        Target::New(dir) => {
            _lock = Some(rundir::prepare(&dir, opts.force)?);
            complete = copy_history(origin.as_deref(), &path, &snap, &dir, observer)?;
            dir
        }
    };
    let note = format!(
        "{note}; resuming {} at tick {} (day {})",
        path.display(),
        h.tick,
        h.time_h / 24.0
    );
    let w = Writer::resumed(out_dir, &snap, record, opts.cancel.clone());
    let plots = h.run.plots;
    let end = move |dir: &Path, last_tick: u64, observer: &mut dyn Observer| {
        if complete {
            return plot::end_of_run(dir, plots, last_tick);
        }
        // The contact sheet needs every frame; the plots need only timeseries.csv.
        observer.note("no frames/contact_sheet.png: the frames before the snapshot are missing");
        if plots {
            plot::plot_run(dir, None).map_err(|e| match e {
                plot::PlotError::Io { path, source } => RunError::Io { path, source },
                other => RunError::Io {
                    path: dir.join(plot::PLOTS),
                    source: std::io::Error::other(other.to_string()),
                },
            })?;
        }
        Ok(())
    };
    let summary = execute(w, sim, &note, observer, wall, end)?;
    Ok(summary)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Whether `inner` is `outer` or lies inside it.
fn inside(inner: &Path, outer: &Path) -> bool {
    match (std::fs::canonicalize(inner), std::fs::canonicalize(outer)) {
        (Ok(i), Ok(o)) => i.starts_with(o),
        _ => false,
    }
}

/// The backend as summary.json and later snapshots record it: the original note when
/// the same backend continues (so the files are the same as without the interruption),
/// otherwise the new choice and where the state came from.
fn backend_record(info: &BackendInfo, note: &str, snap: &Snapshot) -> BackendRecord {
    let old = &snap.header.backend;
    let note = if info.kind.as_str() == old.kind && info.device == old.device {
        old.note.clone()
    } else {
        format!(
            "{note}; resumed at tick {} from a snapshot computed by the {} backend on {}",
            snap.header.tick, old.kind, old.device
        )
    };
    BackendRecord {
        kind: info.kind.as_str().into(),
        device: info.device.clone(),
        detail: info.detail.clone(),
        note,
    }
}

/// Refuses to continue in a directory that holds another run, or (without `--force`)
/// one that has gone past the snapshot.
fn check_in_place(dir: &Path, snap: &Snapshot, force: bool) -> Result<(), RunError> {
    let resolved = dir.join(RESOLVED_SCENE);
    let text = std::fs::read_to_string(&resolved).map_err(RunError::io(&resolved))?;
    if text != snap.header.scene_toml {
        return Err(RunError::Resume(format!(
            "{} differs from the snapshot's scene: {} holds another run; give --out DIR to resume into a new run directory",
            resolved.display(),
            dir.display()
        )));
    }
    let tick = snap.header.tick;
    let later = list(&dir.join(SNAPSHOTS))
        .into_iter()
        .map(|(t, _)| t)
        .filter(|&t| t > tick)
        .max();
    let completed = tick < snap.header.run.total_ticks
        && std::fs::read_to_string(dir.join(SUMMARY))
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .is_some_and(|v| v["completed"] == true);
    let past = match (later, completed) {
        (Some(t), _) => Some(format!("holds a snapshot at tick {t}")),
        (None, true) => Some("has completed".to_string()),
        (None, false) => None,
    };
    match past {
        Some(why) if !force => Err(RunError::Resume(format!(
            "run directory {} {why}, past the snapshot's tick {tick}; resuming there replaces what came after: \
             give --force to do so, or --out DIR to resume into a new run directory",
            dir.display()
        ))),
        _ => Ok(()),
    }
}

/// Removes what the run directory holds past the snapshot: later frames and snapshots.
fn roll_back(dir: &Path, snap: &Snapshot) -> Result<(), RunError> {
    let frames_dir = dir.join(FRAMES);
    let count = snap.header.run.frames_crc32.len() as u32;
    let mut index = count;
    loop {
        let path = frames::path(&frames_dir, index);
        match std::fs::remove_file(&path) {
            Ok(()) => index += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(RunError::io(&path)(e)),
        }
    }
    for (t, path) in list(&dir.join(SNAPSHOTS)) {
        if t > snap.header.tick {
            std::fs::remove_file(&path).map_err(RunError::io(&path))?;
        }
    }
    Ok(())
}

/// Copies the frames the snapshot's header records from the run directory `origin`
/// into `dir`, each checked against its recorded CRC; returns how many were not found.
pub(super) fn copy_frames(
    origin: Option<&Path>,
    snap: &Snapshot,
    dir: &Path,
) -> Result<usize, RunError> {
    let run = &snap.header.run;
    let frames_dir = dir.join(FRAMES);
    if run.frame_every_ticks.is_some() {
        std::fs::create_dir_all(&frames_dir).map_err(RunError::io(&frames_dir))?;
    }
    let mut missing = 0;
    for (i, &crc) in run.frames_crc32.iter().enumerate() {
        let found = origin.and_then(|o| {
            let src = frames::path(&o.join(FRAMES), i as u32);
            let bytes = std::fs::read(&src).ok()?;
            (crc32fast::hash(&bytes) == crc).then_some(src)
        });
        match found {
            Some(src) => copy_atomic(&src, &frames::path(&frames_dir, i as u32))?,
            None => missing += 1,
        }
    }
    Ok(missing)
}

/// Copies `from` to `to` through a temporary name.
fn copy_atomic(from: &Path, to: &Path) -> Result<(), RunError> {
    crate::output::atomic::copy(from, to)?;
    Ok(())
}

/// Gives a new run directory the history up to the snapshot: frames and earlier
/// snapshots from the snapshot's run directory (those whose CRC matches the header's
/// record), and the snapshot itself. What cannot be found is reported as a note.
/// Returns whether every frame is there.
fn copy_history(
    origin: Option<&Path>,
    snapshot_path: &Path,
    snap: &Snapshot,
    dir: &Path,
    observer: &mut dyn Observer,
) -> Result<bool, RunError> {
    let run = &snap.header.run;
    let snapshots = dir.join(SNAPSHOTS);
    std::fs::create_dir_all(&snapshots).map_err(RunError::io(&snapshots))?;
    copy_atomic(
        snapshot_path,
        &snapshots.join(super::file_name(snap.header.tick)),
    )?;
    let missing_frames = copy_frames(origin, snap, dir)?;
    let mut missing_snapshots = 0;
    for rec in &run.snapshots {
        let name = super::file_name(rec.tick);
        let found = origin
            .map(|o| o.join(SNAPSHOTS).join(&name))
            .filter(|src| codec::trailer_crc(src).ok() == Some(rec.crc32));
        match found {
            Some(src) => copy_atomic(&src, &snapshots.join(&name))?,
            None => missing_snapshots += 1,
        }
    }
    if missing_frames + missing_snapshots > 0 {
        let from = match origin {
            Some(o) => format!("in the snapshot's run directory {}", o.display()),
            None => "(the snapshot is not inside a run directory)".to_string(),
        };
        observer.note(&format!(
            "{missing_frames} of {} frames and {missing_snapshots} of {} earlier snapshots written before tick {} \
             were not found unchanged {from}; {} holds the run from tick {} on",
            run.frames_crc32.len(),
            run.snapshots.len(),
            snap.header.tick,
            dir.display(),
            snap.header.tick
        ));
    }
    Ok(missing_frames == 0)
}
