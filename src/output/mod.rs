//! What a run leaves on disk: the run directory and the files in it.
//!
//! `run` validates a scene and the options, refuses an output directory it must not
//! touch, then drives a `Simulation` and writes `scene.resolved.toml`, `timeseries.csv`,
//! `summary.json` and `frames/`. Every file is written to a temporary name in the same
//! directory and renamed, so a killed run leaves only whole files behind.

pub mod arrays;
mod error;
pub mod frames;
mod run;
pub mod rundir;
pub mod summary;
pub mod timeseries;

pub use error::RunError;
pub use run::{run, Observer, Progress, RunOptions, RunStart, Silent};
pub use summary::Summary;
pub use timeseries::Row;
