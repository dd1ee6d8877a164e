//! The batch's one progress bar: runs ended of the runs to do, failures, the ETA.

use indicatif::{ProgressBar, ProgressStyle};
use oncolattice::batch::row::{RunRow, Status};
use oncolattice::batch::runner::BatchObserver;
use std::io::IsTerminal as _;

pub const RUNS: &str = "{elapsed_precise} [{bar:30}] {pos}/{len} runs  {msg}  ETA {eta}";

pub struct BatchBar {
    bar: ProgressBar,
    quiet: bool,
    /// No terminal (a cluster's log file): a line per run instead of the bar.
    lines: bool,
    ended: usize,
    total: usize,
    failed: usize,
    running: Vec<String>,
}

impl BatchBar {
    pub fn new(quiet: bool) -> BatchBar {
        let lines = !quiet && !std::io::stderr().is_terminal();
        let bar = if quiet || lines {
            ProgressBar::hidden()
        } else {
            let style = ProgressStyle::with_template(RUNS)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            ProgressBar::new(0).with_style(style)
        };
        BatchBar {
            bar,
            quiet,
            lines,
            ended: 0,
            total: 0,
            failed: 0,
            running: Vec::new(),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn message(&self) {
        let running = match self.running.as_slice() {
            [] => String::new(),
            [one] => format!("  running {one}"),
            [first, rest @ ..] => format!("  running {first} +{}", rest.len()),
        };
        self.bar
            .set_message(format!("{} failed{running}", self.failed));
    }
}

impl BatchObserver for BatchBar {
    fn started(&mut self, runs: usize, done: usize) {
        if !self.quiet && done > 0 {
            self.bar.suspend(|| {
                eprintln!(
                    "{done} of {runs} runs already ended; running the other {}",
                    runs - done
                )
            });
        }
        self.total = runs - done;
        self.bar.set_length(self.total as u64);
        self.message();
    }

    fn run_started(&mut self, id: &str) {
        self.running.push(id.to_string());
        self.message();
    }

    fn run_ended(&mut self, row: &RunRow) {
        self.running.retain(|r| r != &row.run);
        if row.status == Status::Failed {
            self.failed += 1;
            let why = row.error.as_deref().unwrap_or("");
            self.bar
                .suspend(|| eprintln!("run {} failed: {why}", row.run));
        }
        self.ended += 1;
        if self.lines {
            eprintln!(
                "[{}/{}] {} {} ({} failed so far)",
                self.ended,
                self.total,
                row.run,
                row.status.as_str(),
                self.failed
            );
        }
        self.bar.inc(1);
        self.message();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_template_parses() {
        assert!(indicatif::ProgressStyle::with_template(super::RUNS).is_ok());
    }
}
