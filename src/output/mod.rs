//! What a run leaves on disk: the run directory and the files in it.
//!
//! `run` validates a scene and the options, refuses an output directory it must not
//! touch, then drives a `Simulation` and writes `scene.resolved.toml`, `timeseries.csv`,
//! `summary.json`, `performance.json`, `lineage.csv`, `frames/` and `snapshots/`. Every file is written
//! through `atomic` (a temporary name in the same directory, synced, renamed), so a
//! killed run leaves only whole files behind. `snapshot::resume` continues a run from a snapshot; `export`
//! converts a snapshot for ParaView (`.vti`) and NumPy (`.npz`).

pub mod arrays;
pub mod atomic;
mod error;
pub mod export;
pub mod failure_report;
pub mod frames;
pub mod lineage;
pub mod memory;
#[cfg(test)]
mod non_finite_tests;
pub mod plot;
pub mod render;
mod run;
pub mod run_files;
pub mod run_lock;
pub mod rundir;
pub mod scans;
pub mod snapshot;
pub mod summary;
pub mod timeseries;

pub use error::{error_text, RunError};
pub(crate) use run::run_scene_on;
pub use run::{run, CancelFlag, Observer, Progress, RunOptions, RunStart, Silent};
pub use snapshot::resume::{resume, ResumeOptions};
pub use summary::{Performance, Summary};
pub use timeseries::Row;
