//! Blood flow on a vessel network (issue 15, first building block): segments between
//! junctions with Poiseuille conductance, the in-vivo viscosity law of Pries et al.
//! (1994), fixed inlet/outlet pressures and mass conservation at every free junction.
//! Pure model code: no lattice, no engine tick, no GPU yet.
//!
//! # Model
//! - Conductance of a segment `G = π r⁴ / (8 μ L)` (Poiseuille), `μ = μ_plasma · μ_rel(D, H_d)`
//!   with [`relative_viscosity_pries_1994`] and [`PLASMA_VISCOSITY_PA_S`].
//! - Free nodes obey Kirchhoff's current law `Σ_j G_ij (p_i − p_j) = 0`; nodes with a
//!   `fixed_pressure_mmhg` are Dirichlet boundaries (e.g. inlet 25 / outlet 15 mmHg as
//!   issue 15 quotes from Owen et al. 2011, Cancer Res 71:2826; the caller chooses).
//! - Flow from `a` to `b` is `Q = G (p_a − p_b)`; wall shear stress `τ = 4 μ |Q| / (π r³)`.
//!
//! # Sprouts carry no flow until a loop closes
//! Two rules give this without special cases in the caller:
//! - a connected component with no pressure boundary (a sprout not yet anastomosed, an
//!   isolated fragment) has no driving pressure: its pressures are `None` and every
//!   segment in it carries exactly zero flow;
//! - dead-end branches (chains ending in a free node of degree one) are pruned before
//!   the solve: their flow is exactly zero and their pressure is that of the node they
//!   hang from. A branch starts carrying flow once it joins a second path to a boundary.
//!
//! # Solver (which and why)
//! The reduced system on free nodes is the weighted graph Laplacian with Dirichlet rows
//! removed: symmetric positive definite whenever every component solved has a boundary
//! (guaranteed above). It is solved by conjugate gradients with a Jacobi (diagonal)
//! preconditioner in f64 on a CSR matrix ([`solve`]): O(nnz) work and memory per
//! iteration, no new dependency, and a fixed summation order, so the same network gives
//! the same bits. The stopping rule is the relative residual `‖b − A p‖₂ / ‖b‖₂`
//! ([`SolverSettings`]); a solve that does not reach it is an error, never a silent result.
//!
//! # Cadence
//! Blood flow relaxes in milliseconds, far below a tick (minutes), so flow is
//! quasi-static: the network is solved anew whenever its topology or radii change, or
//! every N ticks when those change slowly (vascular remodelling acts over hours). The
//! engine wiring and the choice of N are later work.

mod cg;
mod from_lattice;
mod network;
mod solve;
mod viscosity;

#[cfg(test)]
mod tests;

pub use from_lattice::{
    extract_network, extract_network_with_radii, site_perfusion, LatticeVessels,
};
pub use network::{Network, Node, Segment};
pub use solve::{solve, um3_per_min, FlowSolution, SolverSettings};
pub use viscosity::{
    blood_viscosity_pa_s, relative_viscosity_pries_1994, ESL_DIAMETER_OFFSET_UM,
    PLASMA_VISCOSITY_PA_S,
};

/// Pascal per millimetre of mercury (conventional mmHg, 13.5951 g/cm³ · 9.80665 m/s²).
pub const PA_PER_MMHG: f64 = 133.322_387_415;

/// dyn/cm² per pascal (1 Pa = 10 dyn/cm²).
pub const DYN_PER_CM2_PER_PA: f64 = 10.0;

/// A refused network or a failed solve. `key` names the offending field
/// (`segments[3].radius_um`) so a scene layer can prefix its own path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FlowError {
    #[error("{key} {message}")]
    Input { key: String, message: String },
    #[error(
        "flow solve did not converge: relative residual {relative_residual:e} after \
         {iterations} iterations (tolerance {tolerance:e})"
    )]
    NotConverged {
        iterations: usize,
        relative_residual: f64,
        tolerance: f64,
    },
}

impl FlowError {
    pub(crate) fn input(key: impl Into<String>, message: impl Into<String>) -> Self {
        FlowError::Input {
            key: key.into(),
            message: message.into(),
        }
    }
}
