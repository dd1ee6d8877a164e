//! `batch --emit-slurm SCRIPT`: an `sbatch` job-array script, one array task per shard.
//! Every task runs `oncolattice batch FILE --out DIR --shard $SLURM_ARRAY_TASK_ID/N`
//! into the one batch directory (a file system the nodes share); `oncolattice merge
//! DIR` then writes the summary. The directory is started (manifest, copies) when the
//! script is written, so that the tasks only check it.

use super::directory::{BatchDir, Manifest};
use super::Batch;
use crate::output::RunError;
use std::path::Path;

/// Most tasks a default script asks for (Slurm's default MaxArraySize is 1001).
pub const DEFAULT_MAX_TASKS: usize = 1000;
/// The folder of the batch directory the tasks' logs go to.
pub const LOGS: &str = "slurm";

#[derive(Debug, Clone, PartialEq)]
pub struct SlurmOptions {
    /// Array tasks (shards); default: one per run, at most `DEFAULT_MAX_TASKS`.
    pub shards: Option<u32>,
    pub time: String,
    pub mem: String,
    pub cpus: u32,
    pub gpus: u32,
    pub partition: Option<String>,
    pub max_running: Option<u32>,
    /// `--backend` of the tasks (auto, gpu, cpu).
    pub backend: String,
}

fn option_error(message: String) -> RunError {
    RunError::Option(message)
}

/// Slurm's time formats: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S.
fn valid_time(t: &str) -> bool {
    let (days, clock) = match t.split_once('-') {
        Some((d, c)) => (Some(d), c),
        None => (None, t),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = clock.split(':').collect();
    days.is_none_or(digits) && parts.len() <= 3 && parts.iter().all(|p| digits(p))
}

/// A size in Slurm's form: a number with an optional K, M, G or T.
fn valid_mem(m: &str) -> bool {
    let number = m.trim_end_matches(['K', 'M', 'G', 'T']);
    m.len() - number.len() <= 1
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && number.parse::<u64>().is_ok_and(|n| n > 0)
}

/// The value of `#SBATCH --output=` for the task logs in `logs` (`%A_%a.out`: job and
/// task). Double-quoted, because sbatch splits directive lines at white space (a batch
/// directory with a space in its path had the whole script refused: "Invalid directive
/// found in batch script"); `%` doubled, because Slurm reads it as a file-name pattern.
/// A `"`, a `\` (which in an output name turns every pattern off) or a line break cannot
/// be written there, so it is refused.
fn sbatch_output(logs: &Path) -> Result<String, RunError> {
    let text = logs.display().to_string();
    if let Some(c) = text.chars().find(|c| matches!(c, '"' | '\\' | '\n' | '\r')) {
        return Err(option_error(format!(
            "{text}: sbatch cannot take {c:?} in the --output path of a batch directory; \
             give an --out without it"
        )));
    }
    Ok(format!("\"{}/%A_%a.out\"", text.replace('%', "%%")))
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The script for `batch` (of `runs` runs, read from `file`) into `out_dir`, run by
/// the program at `exe`. Starts the batch directory.
pub fn job_array(
    batch: &Batch,
    runs: usize,
    file: &Path,
    out_dir: &Path,
    exe: &Path,
    o: &SlurmOptions,
) -> Result<String, RunError> {
    let shards = o
        .shards
        .map_or(runs.clamp(1, DEFAULT_MAX_TASKS), |n| n as usize);
    if shards == 0 || shards > runs.max(1) {
        return Err(option_error(format!(
            "--slurm-shards {shards}: must be 1 to the batch's {runs} runs"
        )));
    }
    if !valid_time(&o.time) {
        return Err(option_error(format!(
            "--slurm-time {}: expected Slurm's minutes, H:MM:SS or D-HH:MM:SS (e.g. 2:00:00)",
            o.time
        )));
    }
    if !valid_mem(&o.mem) {
        return Err(option_error(format!(
            "--slurm-mem {}: expected a size such as 4G, 512M or 4096",
            o.mem
        )));
    }
    if o.cpus == 0 {
        return Err(option_error("--slurm-cpus must be at least 1".into()));
    }
    if o.max_running == Some(0) {
        return Err(option_error(
            "--slurm-max-running must be at least 1".into(),
        ));
    }
    let absolute = |p: &Path| {
        std::path::absolute(p).map_err(|e| option_error(format!("{}: {e}", p.display())))
    };
    let (file, out_dir) = (absolute(file)?, absolute(out_dir)?);
    let logs = out_dir.join(LOGS);
    let output = sbatch_output(&logs)?;
    let runs_list = batch.runs()?;
    BatchDir::new(&out_dir).start(batch, &Manifest::of(batch, &runs_list), false)?;
    std::fs::create_dir_all(&logs).map_err(RunError::io(&logs))?;

    let name: String = batch
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut s = String::from("#!/bin/bash\n");
    s += &format!(
        "# {runs} runs of batch {} in {shards} array tasks; written by oncolattice {}.\n",
        batch.name,
        env!("CARGO_PKG_VERSION")
    );
    s += &format!(
        "# When every task has ended: oncolattice merge {}\n",
        quote(&out_dir.display().to_string())
    );
    s += &format!("#SBATCH --job-name=oncolattice-{name}\n");
    s += &format!(
        "#SBATCH --array=1-{shards}{}\n",
        o.max_running.map_or(String::new(), |m| format!("%{m}"))
    );
    s += &format!("#SBATCH --time={}\n", o.time);
    s += &format!("#SBATCH --mem={}\n", o.mem);
    s += &format!("#SBATCH --cpus-per-task={}\n", o.cpus);
    if o.gpus > 0 {
        s += &format!("#SBATCH --gres=gpu:{}\n", o.gpus);
    }
    if let Some(p) = &o.partition {
        s += &format!("#SBATCH --partition={p}\n");
    }
    s += &format!("#SBATCH --output={output}\n");
    s += "set -euo pipefail\n";
    s += "export RAYON_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n";
    s += &format!(
        "exec {} batch {} --out {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{shards}\" --backend {} --jobs 1\n",
        quote(&exe.display().to_string()),
        quote(&file.display().to_string()),
        quote(&out_dir.display().to_string()),
        o.backend
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_times_and_sizes_are_checked() {
        for ok in ["60", "1:00:00", "30:00", "2-00", "2-12:00", "1-00:00:00"] {
            assert!(valid_time(ok), "{ok}");
        }
        for bad in ["", "1h", "1:2:3:4", "-1", "a-1", "1:"] {
            assert!(!valid_time(bad), "{bad}");
        }
        for ok in ["4G", "512M", "4096", "1T"] {
            assert!(valid_mem(ok), "{ok}");
        }
        for bad in ["", "G", "4GG", "0", "4 G", "-4G"] {
            assert!(!valid_mem(bad), "{bad}");
        }
    }

    #[test]
    fn the_output_path_is_one_sbatch_word() {
        let p = |s: &str| sbatch_output(Path::new(s));
        assert_eq!(
            p("/scratch/my trial/slurm").unwrap(),
            "\"/scratch/my trial/slurm/%A_%a.out\""
        );
        assert_eq!(p("/x/50%/it's").unwrap(), "\"/x/50%%/it's/%A_%a.out\"");
        for bad in ["/x/a\"b", "/x/a\\b", "/x/a\nb"] {
            let e = p(bad).unwrap_err().to_string();
            assert!(e.contains("sbatch cannot take"), "{e}");
        }
    }

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
    }
}
