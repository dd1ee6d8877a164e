//! `oncolattice merge DIR`: the summary of a batch run in shards (`batch --shard I/N`,
//! e.g. the tasks of a Slurm job array writing into one shared directory). Every run's
//! record is read in batch order, so summary.csv is byte for byte the one a single
//! machine writes; a run that has not ended is named, with the shard that holds it.

use super::directory::{BatchDir, SummaryCounts, LOCK_PREFIX};
use super::shard::Shard;
use crate::output::RunError;
use std::path::Path;

pub fn merge(dir: &Path) -> Result<SummaryCounts, RunError> {
    let batch_dir = BatchDir::new(dir);
    let Some(manifest) = batch_dir.manifest()? else {
        return Err(RunError::Option(format!(
            "{} is not a batch directory (no {}): give the --out of `oncolattice batch`",
            dir.display(),
            super::directory::MANIFEST
        )));
    };
    let missing: Vec<usize> = manifest
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| batch_dir.done(&r.id, &r.scene).is_none())
        .map(|(k, _)| k)
        .collect();
    if let Some(&first) = missing.first() {
        let shards = shard_counts(dir);
        let holder = match shards.as_slice() {
            [n] => format!(" (shard {} of {n})", Shard::of(first, *n)),
            _ => String::new(),
        };
        return Err(RunError::Option(format!(
            "{} of {} runs in {} have not ended: first {}{holder}; run its shard again \
             (re-running a shard skips its finished runs), then merge",
            missing.len(),
            manifest.runs.len(),
            dir.display(),
            manifest.runs[first].id
        )));
    }
    batch_dir.write_summary(&manifest)
}

/// The shard counts N of the shards that ran in `dir` (from their lock files).
fn shard_counts(dir: &Path) -> Vec<u32> {
    let mut counts: Vec<u32> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(LOCK_PREFIX)?.strip_prefix('-')?;
            let (_, n) = rest.split_once("-of-")?;
            n.parse().ok()
        })
        .collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}
