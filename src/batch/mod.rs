//! Batches: one base scene run many ways — named arms (scene keys overridden), grid
//! and sampled parameter axes, replicates and a virtual cohort of patients whose
//! factors are drawn from stated distributions. `Batch::runs` lists every run with its
//! identity, seed and scene; nothing here runs them. `docs/batch-reference.md`
//! documents the file.
//!
//! A run's seed derives from the batch seed and what the run is (its patient and
//! replicate; with `common_random_numbers = false` also its arm and axis point), never
//! from its position, so adding an arm or an axis value reseeds no other run and any
//! run can be re-run alone.

mod branch;
pub mod directory;
mod distributions;
mod error;
pub mod expand;
mod file;
pub mod merge;
mod overrides;
mod pack;
pub mod row;
pub mod runner;
mod seed;
pub mod shard;
pub mod slurm;
pub mod trial_input;
mod validate;

use crate::scene::{Scene, SceneError};
use expand::{Distribution, Method, SampledAxis, Value};
use std::path::{Path, PathBuf};

/// Arm name used when a batch lists none.
pub const BASE_ARM: &str = "base";

/// A scene key an arm sets.
#[derive(Debug, Clone)]
pub struct Arm {
    pub name: String,
    pub set: Vec<(String, Value)>,
    /// The arm whose runs this one branches from (`branch`).
    pub branch_from: Option<String>,
}

/// A grid axis: every run takes each of its values in turn.
#[derive(Debug, Clone)]
pub struct GridAxis {
    pub key: String,
    pub values: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct Factor {
    pub key: String,
    pub distribution: Distribution,
    pub integer: bool,
    pub balance: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Cohort {
    pub patients: u32,
    pub seed: u64,
    pub factors: Vec<Factor>,
}

#[derive(Debug, Clone)]
pub struct Sampling {
    pub method: Method,
    pub points: u32,
    pub seed: u64,
    pub axes: Vec<SampledAxis>,
}

/// A batch file, read and checked.
#[derive(Debug, Clone)]
pub struct Batch {
    pub name: String,
    pub file: PathBuf,
    text: String,
    pub seed: u64,
    pub scene_file: PathBuf,
    scene_text: String,
    pub replicates: u32,
    pub common_random_numbers: bool,
    pub arms: Vec<Arm>,
    pub grid: Vec<GridAxis>,
    pub sampling: Option<Sampling>,
    pub cohort: Option<Cohort>,
    /// Every axis's key in file order (`axes[i]`), for messages.
    axis_keys: Vec<String>,
}

/// One run of a batch.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Unique within the batch; the run directory's name.
    pub id: String,
    pub arm: String,
    /// Index into the grid's points, the sampled points and the cohort, when there are.
    pub grid_point: Option<usize>,
    pub sample: Option<u32>,
    pub patient: Option<u32>,
    pub replicate: u32,
    pub seed: u64,
    /// The axis and cohort values this run takes, by scene key, in batch order.
    pub values: Vec<(String, Value)>,
    /// The scene the run runs: the base scene with its keys set, `seed` and `name`.
    pub scene_text: String,
    /// A branch arm's run: the run it continues, and from which line on it differs.
    pub branch: Option<branch::BranchOf>,
    /// Source runs of a branch: write a snapshot every this many ticks (each scan's).
    pub snapshot_every_ticks: Option<u64>,
    /// A hash of what the run computes (its scene, and its source's when a branch):
    /// a finished run's record counts only while this is unchanged.
    pub fingerprint: String,
}

impl Batch {
    pub fn load(path: &Path) -> Result<Batch, SceneError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SceneError::whole_file(path, format!("cannot read batch file: {e}")))?;
        Batch::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Batch, SceneError> {
        let f: file::BatchFile =
            toml::from_str(text).map_err(|e| crate::scene::error::from_toml(path, text, &e))?;
        validate::batch(f, text, path)
    }

    /// The grid's points: the Cartesian product of the grid axes, first axis slowest.
    pub fn grid_points(&self) -> Vec<Vec<Value>> {
        self.grid.iter().fold(vec![Vec::new()], |points, axis| {
            points
                .iter()
                .flat_map(|p| {
                    axis.values.iter().map(move |v| {
                        let mut q = p.clone();
                        q.push(v.clone());
                        q
                    })
                })
                .collect()
        })
    }

    /// Every patient's factor values, by patient.
    pub fn patients(&self) -> Vec<Vec<(String, Value)>> {
        let Some(c) = &self.cohort else {
            return Vec::new();
        };
        (0..c.patients)
            .map(|k| {
                let mut out = Vec::new();
                for f in &c.factors {
                    let u = seed::uniform(c.seed, &format!("{}/{k}", f.key));
                    let v = f.distribution.at(u, f.integer);
                    if let (Some(b), Some(x)) = (&f.balance, v.as_float()) {
                        out.push((f.key.clone(), v.clone()));
                        out.push((b.clone(), Value::Float(1.0 - x)));
                    } else {
                        out.push((f.key.clone(), v));
                    }
                }
                out
            })
            .collect()
    }

    /// The batch file's text, as read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The base scene's text, as read.
    pub fn scene_text(&self) -> &str {
        &self.scene_text
    }

    /// Every run: arms, then grid points, sampled points, patients, replicates.
    pub fn runs(&self) -> Result<Vec<RunSpec>, SceneError> {
        let grid = self.grid_points();
        let samples = self
            .sampling
            .as_ref()
            .map(|s| expand::sample(&s.axes, s.method, s.points, s.seed));
        let patients = self.patients();
        let mut out = Vec::new();
        for arm in &self.arms {
            for (g, point) in grid.iter().enumerate() {
                let sample_count = samples.as_ref().map_or(1, |s| s.len());
                for s in 0..sample_count {
                    let patient_count = patients.len().max(1);
                    for p in 0..patient_count {
                        for r in 0..self.replicates {
                            let mut values: Vec<(String, Value)> = self
                                .grid
                                .iter()
                                .zip(point)
                                .map(|(a, v)| (a.key.clone(), v.clone()))
                                .collect();
                            if let (Some(smp), Some(pts)) = (&self.sampling, &samples) {
                                values.extend(
                                    smp.axes
                                        .iter()
                                        .zip(&pts[s])
                                        .map(|(a, v)| (a.key.clone(), v.clone())),
                                );
                            }
                            if let Some(pv) = patients.get(p) {
                                values.extend(pv.iter().cloned());
                            }
                            out.push(self.run(
                                arm,
                                (!self.grid.is_empty()).then_some(g),
                                samples.is_some().then_some(s as u32),
                                (!patients.is_empty()).then_some(p as u32),
                                r,
                                values,
                            )?);
                        }
                    }
                }
            }
        }
        branch::link(self, &mut out)?;
        Ok(out)
    }

    fn run(
        &self,
        arm: &Arm,
        grid_point: Option<usize>,
        sample: Option<u32>,
        patient: Option<u32>,
        replicate: u32,
        values: Vec<(String, Value)>,
    ) -> Result<RunSpec, SceneError> {
        let point: Vec<String> = values
            .iter()
            .filter(|(k, _)| self.grid.iter().any(|a| &a.key == k))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let tumour = match patient {
            Some(p) => format!("p{p}/r{replicate}"),
            None => format!("r{replicate}"),
        };
        let identity = format!(
            "{}/{}/{}/{tumour}",
            arm.name,
            point.join(";"),
            sample.map_or(String::new(), |s| format!("s{s}"))
        );
        let seed = seed::derive(
            self.seed,
            if self.common_random_numbers {
                &tumour
            } else {
                &identity
            },
        );
        let mut id = arm.name.clone();
        if let Some(p) = patient {
            id += &format!("-p{p:03}");
        }
        if let Some(s) = sample {
            id += &format!("-s{s:03}");
        }
        if grid_point.is_some() {
            id += &format!("-g{:08x}", seed::hash(&point.join(";")) >> 32);
        }
        if self.replicates > 1 {
            id += &format!("-r{replicate}");
        }
        let scene_text = self.scene_for(arm, &values, &id, seed)?;
        Ok(RunSpec {
            fingerprint: directory::scene_hash(&scene_text),
            id,
            arm: arm.name.clone(),
            grid_point,
            sample,
            patient,
            replicate,
            seed,
            values,
            scene_text,
            branch: None,
            snapshot_every_ticks: None,
        })
    }

    /// The base scene with the arm's keys, the run's values, `seed` and `name` set,
    /// checked as a scene. An error names the batch file's key when the value came
    /// from it.
    fn scene_for(
        &self,
        arm: &Arm,
        values: &[(String, Value)],
        id: &str,
        seed: u64,
    ) -> Result<String, SceneError> {
        let mut doc: toml_edit::DocumentMut = self
            .scene_text
            .parse()
            .map_err(|e| SceneError::whole_file(&self.scene_file, format!("{e}")))?;
        let sets = arm.set.iter().map(|(k, v)| (k, v, Some(&arm.name)));
        let runs = values.iter().map(|(k, v)| (k, v, None));
        for (key, v, from_arm) in sets.chain(runs) {
            overrides::set(&mut doc, key, overrides::to_edit(v))
                .map_err(|m| self.blame(key, from_arm, format!("{key} cannot be set: {m}")))?;
        }
        overrides::set(&mut doc, "seed", toml_edit::Value::from(seed as i64))
            .and_then(|_| overrides::set(&mut doc, "name", toml_edit::Value::from(id)))
            .map_err(|m| SceneError::whole_file(&self.scene_file, m))?;
        let text = doc.to_string();
        if let Err(e) = Scene::parse(&text, &self.scene_file) {
            let from_arm = arm.set.iter().any(|(k, _)| related(&e.key, k));
            let set_here = from_arm || values.iter().any(|(k, _)| related(&e.key, k));
            let message = format!("in run {id}: {} {}", e.key, e.message);
            return Err(if set_here {
                let key = e.key.clone();
                self.blame(&key, from_arm.then_some(&arm.name), message)
            } else {
                SceneError { message, ..e }
            });
        }
        Ok(text)
    }

    /// An error at the place of the batch file that set `key` (an arm's `set`, an axis
    /// or a cohort factor).
    fn blame(&self, key: &str, arm: Option<&String>, message: String) -> SceneError {
        let set_key = |keys: &mut dyn Iterator<Item = &String>| {
            keys.filter(|k| related(key, k))
                .max_by_key(|k| k.len())
                .cloned()
        };
        if let Some(name) = arm {
            let i = self.arms.iter().position(|a| &a.name == name).unwrap_or(0);
            let k = set_key(&mut self.arms[i].set.iter().map(|(k, _)| k)).unwrap_or_default();
            return error::at_entry(
                &self.file,
                &self.text,
                &format!("arms[{i}].set"),
                &k,
                message,
            );
        }
        let axes: Vec<&String> = self
            .grid
            .iter()
            .map(|a| &a.key)
            .chain(
                self.sampling
                    .iter()
                    .flat_map(|s| s.axes.iter().map(|a| &a.key)),
            )
            .collect();
        if let Some(k) = set_key(&mut axes.iter().copied()) {
            let i = self.axis_keys.iter().position(|a| *a == k).unwrap_or(0);
            return error::at_key(&self.file, &self.text, &format!("axes[{i}].key"), message);
        }
        let factors: Vec<&String> = self
            .cohort
            .iter()
            .flat_map(|c| {
                c.factors
                    .iter()
                    .flat_map(|f| std::iter::once(&f.key).chain(f.balance.iter()))
            })
            .collect();
        let k = set_key(&mut factors.iter().copied()).unwrap_or_default();
        error::at_entry(&self.file, &self.text, "cohort.factors", &k, message)
    }

    /// One line: how many runs and how they multiply up.
    pub fn describe(&self, runs: usize) -> String {
        let mut parts = vec![format!("{} arm(s)", self.arms.len())];
        if !self.grid.is_empty() {
            parts.push(format!("{} grid point(s)", self.grid_points().len()));
        }
        if let Some(s) = &self.sampling {
            parts.push(format!("{} sampled point(s)", s.points));
        }
        if let Some(c) = &self.cohort {
            parts.push(format!("{} patient(s)", c.patients));
        }
        parts.push(format!("{} replicate(s)", self.replicates));
        format!(
            "{}: {runs} runs of {} = {}",
            self.name,
            self.scene_file.display(),
            parts.join(" × ")
        )
    }

    /// The varied keys, in the order runs list their values.
    pub fn varied_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.grid.iter().map(|a| a.key.clone()).collect();
        if let Some(s) = &self.sampling {
            keys.extend(s.axes.iter().map(|a| a.key.clone()));
        }
        if let Some(c) = &self.cohort {
            for f in &c.factors {
                keys.push(f.key.clone());
                keys.extend(f.balance.clone());
            }
        }
        keys
    }

    /// `batch check`'s listing: one CSV row per run — id, arm, patient, replicate, seed
    /// and every varied value.
    pub fn listing(&self, runs: &[RunSpec]) -> String {
        let keys = self.varied_keys();
        let mut out = String::from("run,arm,patient,replicate,seed");
        for k in &keys {
            out += &format!(",{}", csv_field(k));
        }
        out.push('\n');
        for r in runs {
            out += &format!(
                "{},{},{},{},{}",
                r.id,
                r.arm,
                r.patient.map_or(String::new(), |p| p.to_string()),
                r.replicate,
                r.seed
            );
            for k in &keys {
                let v = r.values.iter().find(|(key, _)| key == k).map(|(_, v)| v);
                out += &format!(",{}", v.map_or(String::new(), |v| csv_field(&plain(v))));
            }
            out.push('\n');
        }
        out
    }
}

/// Whether scene key `error_key` (what a scene error names) and a key the batch sets are
/// the same setting: one is the other or lies inside it.
fn related(error_key: &str, set: &str) -> bool {
    let inside = |a: &str, b: &str| {
        a == b
            || a.strip_prefix(b)
                .is_some_and(|rest| rest.starts_with(['.', '[']))
    };
    !error_key.is_empty() && (inside(error_key, set) || inside(set, error_key))
}

/// A value as a CSV cell shows it: strings without quotes.
pub(crate) fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
