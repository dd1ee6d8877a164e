//! The vessel graph: junction/end nodes and the segments between them, in physical
//! units, with validation that refuses bad input by message instead of panicking.

use super::viscosity::ESL_DIAMETER_OFFSET_UM;
use super::FlowError;

/// A junction or vessel end.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Position (µm). Not used by the solve (segment lengths are explicit); kept so a
    /// network extracted from the lattice can be drawn and checked.
    pub position_um: [f64; 3],
    /// Pressure boundary condition (mmHg): `Some` for inlets/outlets, `None` for free
    /// junctions where mass is conserved.
    pub fixed_pressure_mmhg: Option<f64>,
}

impl Node {
    pub fn free(position_um: [f64; 3]) -> Node {
        Node {
            position_um,
            fixed_pressure_mmhg: None,
        }
    }

    pub fn fixed(position_um: [f64; 3], pressure_mmhg: f64) -> Node {
        Node {
            position_um,
            fixed_pressure_mmhg: Some(pressure_mmhg),
        }
    }
}

/// A vessel segment between two nodes; positive flow runs from `node_a` to `node_b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub node_a: usize,
    pub node_b: usize,
    /// Lumen radius (µm); the diameter must exceed the 1.1 µm surface-layer offset of
    /// the Pries 1994 in-vivo viscosity law.
    pub radius_um: f64,
    /// Length along the vessel (µm), > 0.
    pub length_um: f64,
    /// Discharge haematocrit (fraction, 0 ≤ H < 1); 0.45 is systemic.
    pub haematocrit: f64,
}

/// Nodes and segments; indices into `nodes` are the node ids.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Network {
    pub nodes: Vec<Node>,
    pub segments: Vec<Segment>,
}

impl Network {
    /// Refuses what the solve cannot give a meaning to: non-finite positions or
    /// pressures, segments naming missing nodes or joining a node to itself, radius,
    /// length or haematocrit outside the model's domain. A component without any
    /// pressure boundary is *not* an error: it carries zero flow (see the module doc).
    pub fn validate(&self) -> Result<(), FlowError> {
        for (i, node) in self.nodes.iter().enumerate() {
            if node.position_um.iter().any(|c| !c.is_finite()) {
                return Err(FlowError::input(
                    format!("nodes[{i}].position_um"),
                    format!("must be finite, got {:?}", node.position_um),
                ));
            }
            if let Some(p) = node.fixed_pressure_mmhg {
                if !p.is_finite() {
                    return Err(FlowError::input(
                        format!("nodes[{i}].fixed_pressure_mmhg"),
                        format!("must be finite, got {p}"),
                    ));
                }
            }
        }
        let n = self.nodes.len();
        let min_radius_um = ESL_DIAMETER_OFFSET_UM / 2.0;
        for (s, seg) in self.segments.iter().enumerate() {
            for (name, idx) in [("node_a", seg.node_a), ("node_b", seg.node_b)] {
                if idx >= n {
                    return Err(FlowError::input(
                        format!("segments[{s}].{name}"),
                        format!("names node {idx}, but the network has {n} nodes"),
                    ));
                }
            }
            if seg.node_a == seg.node_b {
                return Err(FlowError::input(
                    format!("segments[{s}]"),
                    format!("joins node {} to itself", seg.node_a),
                ));
            }
            if !(seg.radius_um.is_finite() && seg.radius_um > min_radius_um) {
                return Err(FlowError::input(
                    format!("segments[{s}].radius_um"),
                    format!(
                        "must be finite and > {min_radius_um} µm (diameter above the \
                         viscosity law's 1.1 µm surface layer), got {}",
                        seg.radius_um
                    ),
                ));
            }
            if !(seg.length_um.is_finite() && seg.length_um > 0.0) {
                return Err(FlowError::input(
                    format!("segments[{s}].length_um"),
                    format!("must be finite and > 0 µm, got {}", seg.length_um),
                ));
            }
            if !(seg.haematocrit.is_finite() && (0.0..1.0).contains(&seg.haematocrit)) {
                return Err(FlowError::input(
                    format!("segments[{s}].haematocrit"),
                    format!("must be a fraction in [0, 1), got {}", seg.haematocrit),
                ));
            }
        }
        Ok(())
    }

    /// Per node, the segments touching it, in segment order (deterministic).
    pub(crate) fn incidence(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.nodes.len()];
        for (s, seg) in self.segments.iter().enumerate() {
            out[seg.node_a].push(s);
            out[seg.node_b].push(s);
        }
        out
    }
}

/// The node at the other end of segment `seg` from `node`.
pub(crate) fn other_end(seg: &Segment, node: usize) -> usize {
    if seg.node_a == node {
        seg.node_b
    } else {
        seg.node_a
    }
}
