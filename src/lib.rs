//! oncolattice: a GPU lattice simulator of solid tumours under treatment.

pub mod batch;
pub mod bench;
pub mod engine;
pub mod model;
pub mod output;
pub mod scene;
pub mod trial;

pub use engine::{create_backend, BackendChoice, BackendKind, EngineError, Simulation};
pub use output::{run, Observer, RunError, RunOptions, Summary};
pub use scene::{Scene, SceneError};
