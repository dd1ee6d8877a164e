//! Branch arms: `branch_from = "ARM"` continues each of ARM's runs (the same patient,
//! replicate and axis point) from the scan at which the last line both share failed,
//! with this arm's later lines — "which next line would have helped this patient" as
//! one batch, without simulating the shared course twice. The source runs write a
//! snapshot before every scan so that the branch can start from any of them; a branch
//! whose source never reached that failure continues from the source's end (it would
//! never have needed the new line).

use super::{error, seed, Batch, RunSpec};
use crate::output::snapshot::branch::first_new_line;
use crate::scene::{Scene, SceneError};

/// What a branch run continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchOf {
    /// The source run's id.
    pub source: String,
    /// The first therapy line (from 0) the branch changes; it starts at the scan where
    /// line `first_new_line - 1` of the source failed.
    pub first_new_line: usize,
}

/// Ticks between snapshots that fall on every scan of `scene`: the greatest common
/// divisor of the first scan's tick and the interval, when both are whole ticks.
pub fn scan_cadence_ticks(scene: &Scene) -> Result<u64, String> {
    let therapy = scene
        .therapy
        .as_ref()
        .ok_or("the source arm has no therapy")?;
    let ticks = |days: f64, what: &str| {
        let t = days * 24.0 / scene.time.tick_h;
        if (t - t.round()).abs() > 1e-9 {
            Err(format!(
                "{what} ({days} days) is not a whole number of ticks of {} h, so the scans \
                 cannot be snapshotted exactly",
                scene.time.tick_h
            ))
        } else {
            Ok(t.round() as u64)
        }
    };
    let first = ticks(therapy.first_scan_day, "therapy.first_scan_day")?;
    let every = ticks(therapy.scan_every_days, "therapy.scan_every_days")?;
    let gcd = |mut a: u64, mut b: u64| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    Ok(gcd(first, every).max(1))
}

/// Links every branch run to its source run, gives source runs their snapshot
/// cadence, and folds the source into each branch's fingerprint. Errors name the arm's
/// `branch_from`.
pub(super) fn link(batch: &Batch, runs: &mut [RunSpec]) -> Result<(), SceneError> {
    let blame = |arm: &str, message: String| {
        let i = batch.arms.iter().position(|a| a.name == arm).unwrap_or(0);
        error::at_key(
            &batch.file,
            batch.text(),
            &format!("arms[{i}].branch_from"),
            message,
        )
    };
    let index: std::collections::HashMap<&str, usize> = runs
        .iter()
        .enumerate()
        .map(|(k, r)| (r.id.as_str(), k))
        .collect();
    let mut links = Vec::new();
    for (k, run) in runs.iter().enumerate() {
        let Some(arm) = batch.arms.iter().find(|a| a.name == run.arm) else {
            continue;
        };
        let Some(from) = &arm.branch_from else {
            continue;
        };
        let source_id = format!("{from}{}", &run.id[arm.name.len()..]);
        let Some(&s) = index.get(source_id.as_str()) else {
            return Err(blame(
                &arm.name,
                format!("run {} has no source run {source_id}", run.id),
            ));
        };
        let parse = |r: &RunSpec| Scene::parse(&r.scene_text, &batch.scene_file);
        let (source, branch) = (parse(&runs[s])?, parse(run)?);
        let line = first_new_line(&source, &branch)
            .map_err(|m| blame(&arm.name, format!("in run {}: {m}", run.id)))?;
        let cadence = scan_cadence_ticks(&source).map_err(|m| blame(&arm.name, m))?;
        links.push((k, s, line, cadence));
    }
    for &(_, s, _, cadence) in &links {
        if runs[s].snapshot_every_ticks.is_none() {
            runs[s].snapshot_every_ticks = Some(cadence);
            runs[s].fingerprint = format!(
                "{:016x}",
                seed::hash(&format!(
                    "{}+snapshots every {cadence}",
                    runs[s].fingerprint
                ))
            );
        }
    }
    for (k, s, line, _) in links {
        runs[k].branch = Some(BranchOf {
            source: runs[s].id.clone(),
            first_new_line: line,
        });
        runs[k].fingerprint = format!(
            "{:016x}",
            seed::hash(&format!(
                "{}+from {}",
                runs[k].fingerprint, runs[s].fingerprint
            ))
        );
    }
    Ok(())
}
