//! Biology as data and pure functions: the packed site record, lattice geometry,
//! parameters in lattice units, the counter-based RNG, setup and the census.
//! No GPU, no files.

pub mod action;
pub mod biomarkers;
pub mod census;
pub mod counters;
pub mod drug_params;
pub mod failure;
pub mod fields;
pub mod immune;
pub mod lattice;
pub mod lineage;
pub mod params;
pub mod pd;
pub mod pk;
pub mod protocol;
pub mod rng;
pub mod setup;
pub mod shader_constants;
pub mod site;
pub mod vasculature;
pub mod vessel_flow;
