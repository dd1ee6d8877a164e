//! oncolattice: a GPU lattice simulator of solid tumours under treatment.

pub mod engine;
pub mod model;
pub mod scene;
