//! From the batch file as written to a checked `Batch`: every refusal names the key.

use super::error::{at_entry, at_key};
use super::expand::{Distribution, Method, SampledAxis};
use super::file::{BatchFile, FactorFile};
use super::{seed, Arm, Batch, Cohort, Factor, GridAxis, Sampling, BASE_ARM};
use crate::scene::{Scene, SceneError};
use std::path::Path;

/// Most runs one batch may hold.
pub const MAX_RUNS: u64 = 1_000_000;

fn good_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn batch(f: BatchFile, text: &str, path: &Path) -> Result<Batch, SceneError> {
    let err = |key: &str, m: String| at_key(path, text, key, m);
    let name = if f.name.is_empty() {
        path.file_stem()
            .map_or("batch".into(), |s| s.to_string_lossy().into_owned())
    } else {
        f.name.clone()
    };
    if !good_name(&name) {
        return Err(err(
            "name",
            format!("must be 1–64 letters, digits, `_` or `-` (got {name:?})"),
        ));
    }
    let scene_file = path.parent().unwrap_or(Path::new(".")).join(&f.scene);
    let scene_text = std::fs::read_to_string(&scene_file).map_err(|e| {
        err(
            "scene",
            format!("cannot read {}: {e}", scene_file.display()),
        )
    })?;
    Scene::parse(&scene_text, &scene_file)?;
    if !(1..=10_000).contains(&f.replicates) {
        return Err(err(
            "replicates",
            format!("must be 1 … 10000 (got {})", f.replicates),
        ));
    }
    let arms = arms(&f, text, path)?;
    let (grid, sampled, axis_keys) = axes(&f, text, path)?;
    let sampling = match (&f.sampling, sampled.is_empty()) {
        (None, true) => None,
        (None, false) => {
            return Err(err(
                "axes",
                format!(
                    "axis {} has low/high but the batch has no [sampling]",
                    sampled[0].key
                ),
            ))
        }
        (Some(_), true) => {
            return Err(err("sampling", "no axis has low/high to sample".into()));
        }
        (Some(s), false) => {
            let method = match s.method.as_str() {
                "random" => Method::Random,
                "latin_hypercube" => Method::LatinHypercube,
                other => {
                    return Err(err(
                        "sampling.method",
                        format!("must be \"random\" or \"latin_hypercube\" (got {other:?})"),
                    ))
                }
            };
            if !(1..=100_000).contains(&s.points) {
                return Err(err(
                    "sampling.points",
                    format!("must be 1 … 100000 (got {})", s.points),
                ));
            }
            Some(Sampling {
                method,
                points: s.points,
                seed: s.seed.unwrap_or_else(|| seed::derive(f.seed, "sampling")),
                axes: sampled,
            })
        }
    };
    let cohort = match &f.cohort {
        None => None,
        Some(c) => {
            if !(1..=100_000).contains(&c.patients) {
                return Err(err(
                    "cohort.patients",
                    format!("must be 1 … 100000 (got {})", c.patients),
                ));
            }
            let mut factors = Vec::new();
            for (key, ff) in &c.factors {
                let distribution = distribution(ff)
                    .and_then(|d| balanced(ff, d))
                    .map_err(|m| at_entry(path, text, "cohort.factors", key, m))?;
                factors.push(Factor {
                    key: key.clone(),
                    distribution,
                    integer: ff.integer,
                    balance: ff.balance.clone(),
                });
            }
            Some(Cohort {
                patients: c.patients,
                seed: c.seed.unwrap_or_else(|| seed::derive(f.seed, "cohort")),
                factors,
            })
        }
    };
    let b = Batch {
        name,
        file: path.to_path_buf(),
        text: text.to_string(),
        seed: f.seed,
        scene_file,
        scene_text,
        replicates: f.replicates,
        common_random_numbers: f.common_random_numbers,
        arms,
        grid,
        sampling,
        cohort,
        axis_keys,
    };
    unique_keys(&b, text, path)?;
    let grid_points: u64 = b.grid.iter().map(|a| a.values.len() as u64).product();
    let total = b.arms.len() as u64
        * grid_points
        * b.sampling.as_ref().map_or(1, |s| s.points as u64)
        * b.cohort.as_ref().map_or(1, |c| c.patients as u64)
        * b.replicates as u64;
    if total > MAX_RUNS {
        return Err(SceneError::whole_file(
            path,
            format!("the batch has {total} runs, more than the {MAX_RUNS} one batch may hold"),
        ));
    }
    Ok(b)
}

fn arms(f: &BatchFile, text: &str, path: &Path) -> Result<Vec<Arm>, SceneError> {
    if f.arms.is_empty() {
        return Ok(vec![Arm {
            name: BASE_ARM.into(),
            set: Vec::new(),
            branch_from: None,
        }]);
    }
    let mut out: Vec<Arm> = Vec::new();
    for (i, a) in f.arms.iter().enumerate() {
        let key = format!("arms[{i}].name");
        if !good_name(&a.name) {
            return Err(at_key(
                path,
                text,
                &key,
                format!(
                    "must be 1–64 letters, digits, `_` or `-` (got {:?})",
                    a.name
                ),
            ));
        }
        if out.iter().any(|o| o.name == a.name) {
            return Err(at_key(
                path,
                text,
                &key,
                format!("{:?} names two arms", a.name),
            ));
        }
        if let Some(from) = &a.branch_from {
            let key = format!("arms[{i}].branch_from");
            let Some(source) = out.iter().find(|o| &o.name == from) else {
                return Err(at_key(
                    path,
                    text,
                    &key,
                    format!("{from:?} is not an arm listed before this one"),
                ));
            };
            if source.branch_from.is_some() {
                return Err(at_key(
                    path,
                    text,
                    &key,
                    format!("{from:?} is itself a branch; branch from the arm it starts from"),
                ));
            }
            if !f.common_random_numbers {
                return Err(at_key(
                    path,
                    text,
                    &key,
                    "a branch continues its source run's tumour, so it needs \
                     common_random_numbers = true (the source's seed)",
                ));
            }
        }
        out.push(Arm {
            name: a.name.clone(),
            set: a.set.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            branch_from: a.branch_from.clone(),
        });
    }
    Ok(out)
}

type Axes = (Vec<GridAxis>, Vec<SampledAxis>, Vec<String>);

fn axes(f: &BatchFile, text: &str, path: &Path) -> Result<Axes, SceneError> {
    let (mut grid, mut sampled, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for (i, a) in f.axes.iter().enumerate() {
        let err = |what: &str, m: String| at_key(path, text, &format!("axes[{i}].{what}"), m);
        keys.push(a.key.clone());
        let stepped = (a.from, a.to, a.steps);
        let range = (a.low, a.high);
        let kinds = [
            a.values.is_some(),
            stepped != (None, None, None),
            range != (None, None),
        ];
        if kinds.iter().filter(|&&k| k).count() != 1 {
            return Err(err(
                "key",
                format!(
                "axis {} needs exactly one of: values = [...]; from, to and steps; low and high",
                a.key
            ),
            ));
        }
        if let Some(values) = &a.values {
            if values.is_empty() {
                return Err(err(
                    "values",
                    "is empty: an axis needs at least one value".into(),
                ));
            }
            grid.push(GridAxis {
                key: a.key.clone(),
                values: values.clone(),
            });
        } else if let (Some(from), Some(to), Some(steps)) = stepped {
            if !(from.is_finite() && to.is_finite() && (1..=100_000).contains(&steps)) {
                return Err(err(
                    "steps",
                    format!(
                        "needs finite from and to and 1 … 100000 steps (got {from}, {to}, {steps})"
                    ),
                ));
            }
            grid.push(GridAxis {
                key: a.key.clone(),
                values: super::expand::stepped(from, to, steps, a.integer),
            });
        } else if let (Some(low), Some(high)) = range {
            if !(low.is_finite() && high.is_finite() && low < high) || (a.log && low <= 0.0) {
                return Err(err(
                    "low",
                    format!(
                        "needs finite low < high{} (got {low}, {high})",
                        if a.log { ", both > 0 for log" } else { "" }
                    ),
                ));
            }
            sampled.push(SampledAxis {
                key: a.key.clone(),
                low,
                high,
                log: a.log,
                integer: a.integer,
            });
        } else {
            return Err(err(
                "key",
                format!(
                    "axis {}: from, to and steps go together, as do low and high",
                    a.key
                ),
            ));
        }
    }
    Ok((grid, sampled, keys))
}

/// A key set twice (by two axes, an axis and a factor, or an arm and either) would
/// leave one of them without effect.
fn unique_keys(b: &Batch, text: &str, path: &Path) -> Result<(), SceneError> {
    let varied = b.varied_keys();
    for (k, key) in varied.iter().enumerate() {
        if varied[..k].contains(key) {
            return Err(SceneError::whole_file(
                path,
                format!(
                    "{key} is varied twice (axes, cohort factors and balance keys must differ)"
                ),
            ));
        }
    }
    for (i, arm) in b.arms.iter().enumerate() {
        for (key, _) in &arm.set {
            if varied.contains(key) {
                return Err(at_entry(
                    path,
                    text,
                    &format!("arms[{i}].set"),
                    key,
                    "is also varied by an axis or the cohort; set it in one place".to_string(),
                ));
            }
        }
    }
    Ok(())
}

/// A factor with a `balance` key is a fraction: both it and 1 − it lie in [0, 1].
fn balanced(f: &FactorFile, d: Distribution) -> Result<Distribution, String> {
    let (lo, hi) = match &d {
        Distribution::Uniform { min, max }
        | Distribution::Normal { min, max, .. }
        | Distribution::LogNormal { min, max, .. } => (*min, *max),
        Distribution::Categorical { .. } => (f64::NAN, f64::NAN),
    };
    match &f.balance {
        Some(b) if !(lo >= 0.0 && hi <= 1.0) => Err(format!(
            "balances {b} (set to 1 − the draw), so it needs min ≥ 0 and max ≤ 1 (got {lo} … {hi})"
        )),
        _ => Ok(d),
    }
}

fn distribution(f: &FactorFile) -> Result<Distribution, String> {
    let need = |v: Option<f64>, what: &str| v.ok_or(format!("{} needs {what}", f.distribution));
    let (lo, hi) = (
        f.min.unwrap_or(f64::NEG_INFINITY),
        f.max.unwrap_or(f64::INFINITY),
    );
    let finite_or_open = |v: f64| !v.is_nan();
    if !(finite_or_open(lo) && finite_or_open(hi) && lo < hi) {
        return Err(format!("needs min < max (got {lo}, {hi})"));
    }
    match f.distribution.as_str() {
        "uniform" => {
            let (min, max) = (need(f.min, "min")?, need(f.max, "max")?);
            if !(min.is_finite() && max.is_finite()) {
                return Err("uniform needs finite min and max".into());
            }
            Ok(Distribution::Uniform { min, max })
        }
        "normal" => {
            let (mean, sd) = (need(f.mean, "mean")?, need(f.sd, "sd")?);
            if !(mean.is_finite() && sd.is_finite() && sd > 0.0) {
                return Err(format!("normal needs a finite mean and sd > 0 (got {mean}, {sd})"));
            }
            if !(lo..=hi).contains(&mean) {
                return Err(format!("the mean {mean} is outside min … max ({lo} … {hi})"));
            }
            Ok(Distribution::Normal { mean, sd, min: lo, max: hi })
        }
        "lognormal" => {
            let (median, gsd) = (need(f.median, "median")?, need(f.gsd, "gsd")?);
            if !(median.is_finite() && median > 0.0 && gsd.is_finite() && gsd > 1.0) {
                return Err(format!("lognormal needs median > 0 and gsd > 1 (got {median}, {gsd})"));
            }
            let min = f.min.unwrap_or(0.0);
            if min < 0.0 || !(min..=hi).contains(&median) {
                return Err(format!("lognormal needs 0 ≤ min ≤ median ≤ max (got {min}, {median}, {hi})"));
            }
            Ok(Distribution::LogNormal { median, gsd, min: min.max(f64::MIN_POSITIVE), max: hi })
        }
        "categorical" => {
            let values = f.values.clone().filter(|v| !v.is_empty())
                .ok_or("categorical needs a non-empty list of values")?;
            let weights = f.weights.clone().unwrap_or(vec![1.0; values.len()]);
            if weights.len() != values.len() || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
                return Err(format!(
                    "categorical needs one finite weight ≥ 0 per value ({} values, {} weights)",
                    values.len(), weights.len()
                ));
            }
            let total: f64 = weights.iter().sum();
            if total <= 0.0 {
                return Err("categorical weights add up to 0".into());
            }
            let mut acc = 0.0;
            let cumulative = weights.iter().map(|w| { acc += w / total; acc }).collect();
            Ok(Distribution::Categorical { values, cumulative })
        }
        other => Err(format!(
            "distribution must be \"normal\", \"lognormal\", \"uniform\" or \"categorical\" (got {other:?})"
        )),
    }
}
