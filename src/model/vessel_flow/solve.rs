//! Node pressures from mass conservation, then segment flows, wall shear stress and the
//! Kirchhoff residual. See the module doc of `vessel_flow` for the model and solver.

use super::cg::{solve_pcg, Csr};
use super::network::{other_end, Network};
use super::viscosity::blood_viscosity_pa_s;
use super::{FlowError, DYN_PER_CM2_PER_PA, PA_PER_MMHG};

/// Stopping rule of the conjugate-gradient solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverSettings {
    /// Relative residual `‖b − A p‖₂ / ‖b‖₂` at which the solve stops (dimensionless).
    /// Pressures are solved relative to the mid-range boundary pressure, so `b` scales
    /// with the pressure drop, not with the absolute pressure.
    pub relative_tolerance: f64,
    /// Iteration cap; `None` = 10 × unknowns + 100 (CG needs at most `unknowns` in exact
    /// arithmetic; the margin covers rounding on ill-conditioned networks).
    pub max_iterations: Option<usize>,
}

impl Default for SolverSettings {
    fn default() -> Self {
        SolverSettings {
            relative_tolerance: 1e-12,
            max_iterations: None,
        }
    }
}

/// Result of [`solve`]; vectors are indexed like the network's nodes / segments.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowSolution {
    /// Node pressure (mmHg); `None` in a component with no pressure boundary, where
    /// pressure is undefined and every segment carries zero flow.
    pub pressure_mmhg: Vec<Option<f64>>,
    /// Segment flow (m³/s), positive from `node_a` to `node_b`; exactly 0 in pruned
    /// dead-end branches and in components without a pressure boundary.
    pub flow_m3_per_s: Vec<f64>,
    /// Apparent viscosity per segment (Pa·s), Pries 1994 in vivo × plasma.
    pub viscosity_pa_s: Vec<f64>,
    /// Wall shear stress magnitude per segment (dyn/cm²), τ = 4 μ |Q| / (π r³).
    pub wall_shear_stress_dyn_per_cm2: Vec<f64>,
    /// Per node, Σ of flows leaving it through its segments (m³/s). ≈ 0 at free nodes
    /// (mass conservation); at a pressure boundary it is the blood entering the network
    /// there from outside (positive at an inlet, negative at an outlet).
    pub kirchhoff_residual_m3_per_s: Vec<f64>,
    /// CG iterations used and the relative residual reached.
    pub iterations: usize,
    pub relative_residual: f64,
}

/// A flow in m³/s in µm³/min (1 m³/s = 6·10¹⁹ µm³/min).
pub fn um3_per_min(flow_m3_per_s: f64) -> f64 {
    flow_m3_per_s * 1e18 * 60.0
}

impl FlowSolution {
    /// Segment flow in µm³/min.
    pub fn flow_um3_per_min(&self, segment: usize) -> f64 {
        um3_per_min(self.flow_m3_per_s[segment])
    }
}

/// Solves the network's pressures and flows. Deterministic: the same network and
/// settings give the same bits (fixed node/segment order, sequential sums).
pub fn solve(network: &Network, settings: &SolverSettings) -> Result<FlowSolution, FlowError> {
    network.validate()?;
    if !(settings.relative_tolerance.is_finite() && settings.relative_tolerance > 0.0) {
        return Err(FlowError::input(
            "relative_tolerance",
            format!(
                "must be finite and > 0, got {}",
                settings.relative_tolerance
            ),
        ));
    }
    let nodes = &network.nodes;
    let segs = &network.segments;
    let incidence = network.incidence();

    let mut viscosity_pa_s = Vec::with_capacity(segs.len());
    let mut conductance = Vec::with_capacity(segs.len()); // m³/(s·Pa)
    for (s, seg) in segs.iter().enumerate() {
        let mu =
            blood_viscosity_pa_s(2.0 * seg.radius_um, seg.haematocrit).map_err(|e| match e {
                FlowError::Input { key, message } => {
                    FlowError::input(format!("segments[{s}].{key}"), message)
                }
                other => other,
            })?;
        let r_m = seg.radius_um * 1e-6;
        let l_m = seg.length_um * 1e-6;
        viscosity_pa_s.push(mu);
        conductance.push(std::f64::consts::PI * r_m.powi(4) / (8.0 * mu * l_m));
    }

    // Connected components (breadth-first, in node order) and whether each has a boundary.
    let mut component = vec![usize::MAX; nodes.len()];
    let mut has_boundary = Vec::new();
    let mut queue = std::collections::VecDeque::new();
    for start in 0..nodes.len() {
        if component[start] != usize::MAX {
            continue;
        }
        let c = has_boundary.len();
        let mut boundary = false;
        component[start] = c;
        queue.push_back(start);
        while let Some(i) = queue.pop_front() {
            boundary |= nodes[i].fixed_pressure_mmhg.is_some();
            for &s in &incidence[i] {
                let j = other_end(&segs[s], i);
                if component[j] == usize::MAX {
                    component[j] = c;
                    queue.push_back(j);
                }
            }
        }
        has_boundary.push(boundary);
    }

    // Active segments: in a component with a boundary, and not in a dead-end branch.
    let mut active: Vec<bool> = segs
        .iter()
        .map(|seg| has_boundary[component[seg.node_a]])
        .collect();
    let mut degree: Vec<usize> = incidence
        .iter()
        .map(|inc| inc.iter().filter(|&&s| active[s]).count())
        .collect();
    let is_free = |i: usize| nodes[i].fixed_pressure_mmhg.is_none();
    let mut pruned: Vec<(usize, usize)> = Vec::new(); // (leaf, node it hangs from), in pruning order
    queue.clear();
    queue.extend((0..nodes.len()).filter(|&i| is_free(i) && degree[i] == 1));
    while let Some(i) = queue.pop_front() {
        let Some(&s) = incidence[i].iter().find(|&&s| active[s]) else {
            continue;
        };
        active[s] = false;
        let j = other_end(&segs[s], i);
        degree[i] = 0;
        degree[j] -= 1;
        pruned.push((i, j));
        if is_free(j) && degree[j] == 1 {
            queue.push_back(j);
        }
    }

    // Pressures are solved relative to the mid-range boundary pressure (Pa), so the
    // right-hand side scales with the pressure drop and the tolerance means the same
    // thing at 25 mmHg as at 100 mmHg.
    let fixed: Vec<f64> = nodes.iter().filter_map(|n| n.fixed_pressure_mmhg).collect();
    let reference_mmhg = match (
        fixed.iter().copied().reduce(f64::min),
        fixed.iter().copied().reduce(f64::max),
    ) {
        (Some(lo), Some(hi)) => 0.5 * (lo + hi),
        _ => 0.0,
    };
    let mut pressure_pa: Vec<f64> = nodes
        .iter()
        .map(|n| {
            n.fixed_pressure_mmhg
                .map_or(0.0, |p| (p - reference_mmhg) * PA_PER_MMHG)
        })
        .collect();

    // Unknowns: free nodes still touching an active segment, numbered in node order.
    let mut unknown = vec![usize::MAX; nodes.len()];
    let mut unknown_nodes = Vec::new();
    for i in 0..nodes.len() {
        if is_free(i) && degree[i] > 0 {
            unknown[i] = unknown_nodes.len();
            unknown_nodes.push(i);
        }
    }
    let mut a = Csr {
        row_start: vec![0],
        ..Csr::default()
    };
    let mut b = vec![0.0; unknown_nodes.len()];
    for (row, &i) in unknown_nodes.iter().enumerate() {
        let mut diag = 0.0;
        for &s in incidence[i].iter().filter(|&&s| active[s]) {
            let g = conductance[s];
            let j = other_end(&segs[s], i);
            diag += g;
            if unknown[j] == usize::MAX {
                b[row] += g * pressure_pa[j];
            } else {
                a.col.push(unknown[j]);
                a.val.push(-g);
            }
        }
        a.diag.push(diag);
        a.row_start.push(a.col.len());
    }
    let max_iterations = settings
        .max_iterations
        .unwrap_or(10 * unknown_nodes.len() + 100);
    let mut x = vec![0.0; unknown_nodes.len()];
    let (iterations, relative_residual) =
        solve_pcg(&a, &b, &mut x, settings.relative_tolerance, max_iterations)?;
    for (row, &i) in unknown_nodes.iter().enumerate() {
        pressure_pa[i] = x[row];
    }
    // Dead ends take the pressure of the node they hang from, innermost first.
    for &(leaf, parent) in pruned.iter().rev() {
        pressure_pa[leaf] = pressure_pa[parent];
    }

    let flow_m3_per_s: Vec<f64> = segs
        .iter()
        .enumerate()
        .map(|(s, seg)| {
            if active[s] {
                conductance[s] * (pressure_pa[seg.node_a] - pressure_pa[seg.node_b])
            } else {
                0.0
            }
        })
        .collect();
    let wall_shear_stress_dyn_per_cm2 = segs
        .iter()
        .enumerate()
        .map(|(s, seg)| {
            let r_m = seg.radius_um * 1e-6;
            4.0 * viscosity_pa_s[s] * flow_m3_per_s[s].abs() / (std::f64::consts::PI * r_m.powi(3))
                * DYN_PER_CM2_PER_PA
        })
        .collect();
    let kirchhoff_residual_m3_per_s = incidence
        .iter()
        .enumerate()
        .map(|(i, inc)| {
            inc.iter().fold(0.0, |acc, &s| {
                if segs[s].node_a == i {
                    acc + flow_m3_per_s[s]
                } else {
                    acc - flow_m3_per_s[s]
                }
            })
        })
        .collect();
    let pressure_mmhg = (0..nodes.len())
        .map(|i| match nodes[i].fixed_pressure_mmhg {
            Some(p) => Some(p),
            None if has_boundary[component[i]] => {
                Some(pressure_pa[i] / PA_PER_MMHG + reference_mmhg)
            }
            None => None,
        })
        .collect();
    Ok(FlowSolution {
        pressure_mmhg,
        flow_m3_per_s,
        viscosity_pa_s,
        wall_shear_stress_dyn_per_cm2,
        kirchhoff_residual_m3_per_s,
        iterations,
        relative_residual,
    })
}
