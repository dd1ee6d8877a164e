//! A run that continues another run's snapshot under a different therapy — "what would
//! have worked": the same patient and tumour up to the scan at which a line failed,
//! then another next line.
//!
//! The branch's scene may differ from the snapshot's only in the name and in therapy
//! lines that had not begun at the snapshot, so everything up to the snapshot happened
//! the same way under either scene: the branch is exactly the run of its own scene from
//! tick 0 (the same time series and lineage, byte for byte), computed from the snapshot
//! on. Its run directory holds the history up to the snapshot (rows, and the frames
//! copied from the snapshot's run directory), then its own.

use super::resume::copy_frames;
use super::{run_dir_of, Snapshot};
use crate::engine::{create_backend, Simulation};
use crate::output::run::{execute, Observer, RunOptions, Writer};
use crate::output::{plot, rundir, RunError, Summary};
use crate::scene::Scene;
use std::path::Path;
use std::time::Instant;

/// The scene's resolved TOML without what a branch may change: its name and its
/// therapy lines.
fn fixed_part(resolved_toml: &str) -> Result<toml::Table, String> {
    let mut t: toml::Table = toml::from_str(resolved_toml).map_err(|e| e.to_string())?;
    t.remove("name");
    if let Some(toml::Value::Table(therapy)) = t.get_mut("therapy") {
        therapy.remove("lines");
    }
    Ok(t)
}

/// The first key (dotted) whose value differs between two tables.
fn first_difference(a: &toml::Table, b: &toml::Table, prefix: &str) -> Option<String> {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().find_map(|k| {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match (a.get(k), b.get(k)) {
            (Some(toml::Value::Table(x)), Some(toml::Value::Table(y))) => {
                first_difference(x, y, &path)
            }
            (x, y) if x != y => Some(path),
            _ => None,
        }
    })
}

/// The index of the first therapy line `branch` changes from `source` (≥ 1), when
/// `branch` may continue a snapshot of `source`: the same scene but for its name and
/// the lines from that index on. The message says what else differs.
pub fn first_new_line(source: &Scene, branch: &Scene) -> Result<usize, String> {
    let a = fixed_part(&source.to_resolved_toml())?;
    let b = fixed_part(&branch.to_resolved_toml())?;
    if let Some(key) = first_difference(&a, &b, "") {
        return Err(format!(
            "a branch may change only therapy lines after the first, but it changes {key}"
        ));
    }
    let (Some(s), Some(t)) = (&source.therapy, &branch.therapy) else {
        return Err("a branch needs a therapy whose lines it changes".into());
    };
    let first = (0..s.lines.len().max(t.lines.len())).find(|&k| s.lines.get(k) != t.lines.get(k));
    match first {
        None => Err("the branch changes no therapy line: it would repeat its source".into()),
        Some(0) => Err(
            "the branch changes line 1; a branch starts where a line failed, so it keeps \
             line 1 (use an ordinary arm to change the first line)"
                .into(),
        ),
        Some(k) => Ok(k),
    }
}

/// Runs `scene` from the snapshot at `snapshot_path` (of a run whose scene differs as
/// `first_new_line` allows) into `opts.out_dir`. `scene_file` is how summary.json names
/// the scene.
pub fn run_branch(
    snapshot_path: &Path,
    scene: Scene,
    scene_file: &str,
    opts: &RunOptions,
    observer: &mut dyn Observer,
) -> Result<Summary, RunError> {
    let wall = Instant::now();
    let snap = Snapshot::read(snapshot_path)?;
    let h = &snap.header;
    let refuse = |why: String| {
        RunError::Resume(format!(
            "{} cannot branch from {}: {why}",
            scene.name,
            snapshot_path.display()
        ))
    };
    first_new_line(&snap.scene, &scene).map_err(refuse)?;
    let therapy = h
        .therapy
        .as_ref()
        .ok_or_else(|| refuse("the snapshot has no therapy".into()))?
        .with_later_lines(&scene)
        .map_err(refuse)?;
    let out_dir = opts
        .out_dir
        .clone()
        .ok_or_else(|| RunError::Option("a branch needs an output directory".into()))?;
    rundir::check(&out_dir, opts.force)?;
    let (backend, note) = create_backend(opts.backend, &scene)?;
    crate::output::memory::check(&scene, backend.info().kind)?;
    let mut sim = Simulation::resume(
        scene.clone(),
        backend,
        &snap.state,
        h.tick,
        h.initial_solve.into(),
    )?;
    sim.restore_therapy(Some(therapy), &h.plasma_um, h.therapy_log.clone());
    let note = format!(
        "{note}; branching from {} at tick {} (day {})",
        snapshot_path.display(),
        h.tick,
        h.time_h / 24.0
    );
    let info = sim.backend_info();
    let record = super::BackendRecord {
        kind: info.kind.as_str().into(),
        device: info.device.clone(),
        detail: info.detail.clone(),
        note: note.clone(),
    };
    let _lock = rundir::prepare(&out_dir, opts.force)?;
    let origin = run_dir_of(snapshot_path);
    let missing = copy_frames(origin.as_deref(), &snap, &out_dir)?;
    if missing > 0 {
        observer.note(&format!(
            "{missing} frames before tick {} were not found unchanged beside the snapshot",
            h.tick
        ));
    }
    let w = Writer::branched(
        out_dir,
        &snap,
        scene,
        scene_file.to_string(),
        record,
        opts.cancel.clone(),
        opts.plots,
    );
    let plots = opts.plots;
    let end = move |dir: &Path, last_tick: u64, _: &mut dyn Observer| {
        if missing > 0 {
            // The contact sheet needs every frame.
            return if plots {
                plot::plot_run(dir, None)
                    .map(|_| ())
                    .map_err(|e| RunError::Io {
                        path: dir.join(plot::PLOTS),
                        source: std::io::Error::other(e.to_string()),
                    })
            } else {
                Ok(())
            };
        }
        plot::end_of_run(dir, plots, last_tick)
    };
    execute(w, sim, &note, observer, wall, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(extra: &str) -> Scene {
        let text = format!(
            "name = \"s\"\nseed = 3\n[lattice]\nnx = 8\nny = 8\n\
             [[drugs]]\nname = \"a\"\nclass = \"targeted\"\nemax_per_h = 0.1\nic50_um = 1.0\n\
             [drugs.pk]\nclearance_l_per_h = 4.0\ncentral_volume_l = 200.0\nmolecular_weight_g_per_mol = 400.0\n\
             [[drugs]]\nname = \"b\"\nclass = \"targeted\"\nemax_per_h = 0.1\nic50_um = 1.0\n\
             [drugs.pk]\nclearance_l_per_h = 4.0\ncentral_volume_l = 200.0\nmolecular_weight_g_per_mol = 400.0\n\
             [therapy]\nscan_every_days = 7.0\n\
             [[therapy.lines]]\nname = \"first\"\n[[therapy.lines.doses]]\ndrug = \"a\"\n\
             route = {{ kind = \"iv_bolus\" }}\ndose = {{ amount_mg = 10.0 }}\ninterval_days = 1.0\n\
             {extra}"
        );
        Scene::parse(&text, Path::new("t.toml")).unwrap()
    }

    const SECOND_A: &str = "[[therapy.lines]]\nname = \"second\"\n[[therapy.lines.doses]]\n\
        drug = \"a\"\nroute = { kind = \"iv_bolus\" }\ndose = { amount_mg = 20.0 }\ninterval_days = 1.0\n";
    const SECOND_B: &str = "[[therapy.lines]]\nname = \"second\"\n[[therapy.lines.doses]]\n\
        drug = \"b\"\nroute = { kind = \"iv_bolus\" }\ndose = { amount_mg = 20.0 }\ninterval_days = 1.0\n";

    #[test]
    fn a_branch_may_change_only_later_lines() {
        let source = scene(SECOND_A);
        assert_eq!(first_new_line(&source, &scene(SECOND_B)), Ok(1));
        assert_eq!(first_new_line(&scene(""), &scene(SECOND_B)), Ok(1));
        let same = first_new_line(&source, &scene(SECOND_A)).unwrap_err();
        assert!(same.contains("changes no therapy line"), "{same}");
        let mut renamed = scene(SECOND_B);
        renamed.name = "other".into();
        assert_eq!(first_new_line(&source, &renamed), Ok(1));
        let mut seeded = scene(SECOND_B);
        seeded.seed = 4;
        let e = first_new_line(&source, &seeded).unwrap_err();
        assert!(e.contains("changes seed"), "{e}");
        let mut first = scene(SECOND_A);
        first.therapy.as_mut().unwrap().lines[0].name = "renamed".into();
        let e = first_new_line(&source, &first).unwrap_err();
        assert!(e.contains("changes line 1"), "{e}");
        let mut scans = scene(SECOND_B);
        scans.therapy.as_mut().unwrap().scan_every_days = 14.0;
        let e = first_new_line(&source, &scans).unwrap_err();
        assert!(e.contains("changes therapy.scan_every_days"), "{e}");
    }
}
