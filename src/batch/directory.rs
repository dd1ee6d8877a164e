//! A batch directory:
//!
//! ```text
//! DIR/batch.toml        the batch file as the directory was started with (bytes)
//! DIR/scene.toml        its base scene, likewise
//! DIR/manifest.json     every run: id, seed and a hash of its scene
//! DIR/runs/ID/          one run directory per run
//! DIR/done/ID.json      written last, atomically, when run ID has ended (row, timing)
//! DIR/summary.csv       one row per run, in batch order, once every run has ended
//! DIR/performance.csv   wall seconds per run (the only file that differs run to run)
//! ```
//!
//! A run counts as done only through its `done/` record, and only while the record's
//! scene hash is the run's: a re-run skips those and redoes the rest. The manifest
//! says what the directory was started with; a batch that differs from it is refused,
//! with what changed, unless forced.

use super::row::{LineSpan, RunRow, RunTiming, Status};
use super::{seed, Batch, RunSpec};
use crate::output::atomic;
use crate::output::RunError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const BATCH_COPY: &str = "batch.toml";
pub const SCENE_COPY: &str = "scene.toml";
pub const MANIFEST: &str = "manifest.json";
pub const RUNS: &str = "runs";
pub const DONE: &str = "done";
pub const SUMMARY_CSV: &str = "summary.csv";
pub const PERFORMANCE_CSV: &str = "performance.csv";
/// Locked (flock) by the process running the batch, or one shard of it.
pub const LOCK_PREFIX: &str = ".oncolattice-batch";

pub(crate) const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRun {
    pub id: String,
    pub seed: u64,
    /// The run's fingerprint (`RunSpec::fingerprint`: its scene, and its source's for
    /// a branch), in hex.
    pub scene: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub oncolattice_version: String,
    pub batch: String,
    /// The varied keys, the columns of summary.csv after `seed`.
    pub keys: Vec<String>,
    pub runs: Vec<ManifestRun>,
}

/// What `done/ID.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoneRecord {
    pub format: u32,
    /// The run's scene hash when it ran; a record of another scene is not this run's.
    pub scene: String,
    pub row: RunRow,
    pub lines: Vec<LineSpan>,
    pub timing: Option<RunTiming>,
}

pub fn scene_hash(scene_text: &str) -> String {
    format!("{:016x}", seed::hash(scene_text))
}

impl Manifest {
    pub fn of(batch: &Batch, runs: &[RunSpec]) -> Manifest {
        Manifest {
            format: FORMAT,
            oncolattice_version: env!("CARGO_PKG_VERSION").to_string(),
            batch: batch.name.clone(),
            keys: batch.varied_keys(),
            runs: runs
                .iter()
                .map(|r| ManifestRun {
                    id: r.id.clone(),
                    seed: r.seed,
                    scene: r.fingerprint.clone(),
                })
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// A batch directory's paths.
#[derive(Debug, Clone)]
pub struct BatchDir {
    pub root: PathBuf,
}

impl BatchDir {
    pub fn new(root: &Path) -> BatchDir {
        BatchDir {
            root: root.to_path_buf(),
        }
    }

    pub fn run_dir(&self, id: &str) -> PathBuf {
        self.root.join(RUNS).join(id)
    }

    pub fn done_path(&self, id: &str) -> PathBuf {
        self.root.join(DONE).join(format!("{id}.json"))
    }

    pub fn manifest(&self) -> Result<Option<Manifest>, RunError> {
        let path = self.root.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(RunError::io(&path)(e)),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            RunError::Option(format!(
                "{} is not a batch manifest ({e}); is {} a batch directory?",
                path.display(),
                self.root.display()
            ))
        })
    }

    /// The record of run `spec`, when it has ended with this scene; `None` when it has
    /// not ended (or ended as another scene, or the record is damaged).
    pub fn done(&self, id: &str, scene: &str) -> Option<DoneRecord> {
        let text = std::fs::read_to_string(self.done_path(id)).ok()?;
        let record: DoneRecord = serde_json::from_str(&text).ok()?;
        (record.format == FORMAT && record.scene == scene && record.row.run == id).then_some(record)
    }

    pub fn write_done(&self, record: &DoneRecord) -> Result<(), RunError> {
        let path = self.done_path(&record.row.run);
        std::fs::create_dir_all(self.root.join(DONE))
            .map_err(RunError::io(self.root.join(DONE)))?;
        let text = serde_json::to_string_pretty(record).unwrap_or_default() + "\n";
        Ok(atomic::write(&path, text.as_bytes())?)
    }

    /// Starts the directory with `batch` (writing the copies and the manifest), or
    /// checks that it was started with the same one. `force` accepts a changed batch
    /// and records the new one.
    pub fn start(&self, batch: &Batch, manifest: &Manifest, force: bool) -> Result<(), RunError> {
        if let Ok(meta) = std::fs::symlink_metadata(&self.root) {
            if !meta.is_dir() {
                return Err(RunError::OutDirNotADir(self.root.clone()));
            }
        }
        match self.manifest()? {
            Some(old) if old == *manifest => return Ok(()),
            Some(old) if !force => {
                let files = [
                    (BATCH_COPY, self.old_text(BATCH_COPY), batch.text()),
                    (SCENE_COPY, self.old_text(SCENE_COPY), batch.scene_text()),
                ];
                let what = changes(&old, manifest, &files);
                return Err(RunError::Option(format!(
                    "{} was started from a different batch: {what}; use --force to go on with {} \
                     (finished runs whose scene is unchanged are kept), or choose another --out",
                    self.root.display(),
                    batch.file.display()
                )));
            }
            Some(_) => {}
            None => {
                let foreign = std::fs::read_dir(&self.root).is_ok_and(|d| {
                    d.flatten()
                        .any(|e| !e.file_name().to_string_lossy().starts_with(LOCK_PREFIX))
                });
                if foreign {
                    return Err(RunError::Option(format!(
                        "{} exists, is not empty and is not a batch directory (no {MANIFEST}); \
                         choose another --out",
                        self.root.display()
                    )));
                }
            }
        }
        std::fs::create_dir_all(self.root.join(RUNS)).map_err(RunError::io(&self.root))?;
        atomic::write(&self.root.join(BATCH_COPY), batch.text().as_bytes())?;
        atomic::write(&self.root.join(SCENE_COPY), batch.scene_text().as_bytes())?;
        atomic::write(&self.root.join(MANIFEST), manifest.to_json().as_bytes())?;
        Ok(())
    }

    fn old_text(&self, name: &str) -> String {
        std::fs::read_to_string(self.root.join(name)).unwrap_or_default()
    }

    /// Writes summary.csv and performance.csv from the records of every run of
    /// `manifest`; refuses, naming them, while some have not ended.
    pub fn write_summary(&self, manifest: &Manifest) -> Result<SummaryCounts, RunError> {
        let mut missing = Vec::new();
        let mut summary = super::row::header(&manifest.keys);
        let mut performance = String::from("run,status,wall_seconds,ticks_per_s,device\n");
        let mut counts = SummaryCounts::default();
        for run in &manifest.runs {
            let Some(record) = self.done(&run.id, &run.scene) else {
                missing.push(run.id.clone());
                continue;
            };
            summary += &record.row.csv_line(&manifest.keys);
            let t = record.timing.as_ref();
            performance += &format!(
                "{},{},{},{},{}\n",
                run.id,
                record.row.status.as_str(),
                t.map_or(String::new(), |t| t.wall_seconds.to_string()),
                t.map_or(String::new(), |t| t.ticks_per_s.to_string()),
                super::row::csv_field(t.map_or("", |t| t.device.as_str()))
            );
            match record.row.status {
                Status::Done => counts.done += 1,
                Status::Failed => counts.failed += 1,
            }
        }
        if !missing.is_empty() {
            return Err(RunError::Option(format!(
                "{} of {} runs in {} have not ended (first: {}); run the batch (or the shards \
                 that hold them) again to finish them",
                missing.len(),
                manifest.runs.len(),
                self.root.display(),
                missing[0]
            )));
        }
        atomic::write(&self.root.join(PERFORMANCE_CSV), performance.as_bytes())?;
        atomic::write(&self.root.join(SUMMARY_CSV), summary.as_bytes())?;
        Ok(counts)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SummaryCounts {
    pub done: usize,
    pub failed: usize,
}

/// What differs between the batch a directory was started with and this one: the
/// first changed line of the batch file and the runs added, removed and changed.
fn changes(old: &Manifest, new: &Manifest, files: &[(&str, String, &str)]) -> String {
    let mut parts = Vec::new();
    for (name, old_text, new_text) in files {
        let (a, b): (Vec<&str>, Vec<&str>) =
            (old_text.lines().collect(), new_text.lines().collect());
        if let Some(k) = (0..a.len().max(b.len())).find(|&k| a.get(k) != b.get(k)) {
            let show =
                |l: Option<&&str>| l.map_or("(no line)".to_string(), |l| format!("`{}`", l.trim()));
            parts.push(format!(
                "the {} ({name} here) line {} was {}, is now {}",
                if *name == BATCH_COPY {
                    "batch file"
                } else {
                    "base scene"
                },
                k + 1,
                show(a.get(k)),
                show(b.get(k))
            ));
        }
    }
    let added: Vec<&str> = new
        .runs
        .iter()
        .filter(|r| !old.runs.iter().any(|o| o.id == r.id))
        .map(|r| r.id.as_str())
        .collect();
    let removed: Vec<&str> = old
        .runs
        .iter()
        .filter(|o| !new.runs.iter().any(|r| r.id == o.id))
        .map(|r| r.id.as_str())
        .collect();
    let changed: Vec<&str> = new
        .runs
        .iter()
        .filter(|r| old.runs.iter().any(|o| o.id == r.id && o != *r))
        .map(|r| r.id.as_str())
        .collect();
    for (what, ids) in [("added", added), ("removed", removed), ("changed", changed)] {
        if let Some(first) = ids.first() {
            parts.push(format!("{} run(s) {what} (first: {first})", ids.len()));
        }
    }
    if old.oncolattice_version != new.oncolattice_version {
        parts.push(format!(
            "started by oncolattice {}, this is {}",
            old.oncolattice_version, new.oncolattice_version
        ));
    }
    if parts.is_empty() {
        parts.push("the manifest differs".into());
    }
    parts.join("; ")
}
