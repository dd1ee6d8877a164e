//! A vessel network from lattice vessel sites, and each site's perfusion from the flow
//! of its segment (`model::vasculature` calls it at every network update).
//!
//! Vessel sites connect through face neighbours only (4 in 2D, 6 in 3D), whatever the
//! cell neighbourhood, so a diagonal step never forms a spurious triangle. A site is a
//! node when it has a pressure boundary or a vessel-neighbour count other than two
//! (an end or a junction); runs of two-neighbour sites between nodes become one segment
//! of length (sites + 1) × spacing. Two kinds of chain carry no flow and get no
//! segment: a closed ring of two-neighbour sites with no node, and a loop that leaves
//! a node and returns to it (both ends at one pressure).

use super::network::{Network, Node, Segment};
use super::solve::FlowSolution;
use super::FlowError;
use crate::model::lattice::Grid;

/// The extracted network and, per lattice site, where it went.
#[derive(Debug, Clone, PartialEq)]
pub struct LatticeVessels {
    pub network: Network,
    /// Per site: the node it became, if any.
    pub node_of_site: Vec<Option<usize>>,
    /// Per site: the segment it lies inside (interior sites of a chain), if any.
    pub segment_of_site: Vec<Option<usize>>,
}

/// Builds the network of the sites where `is_vessel` is true. `spacing_um` is the
/// lattice spacing (µm), every segment gets `radius_um` and `haematocrit`, and
/// `pressure_mmhg(site)` names the boundary sites (inlets/outlets).
pub fn extract_network(
    grid: &Grid,
    is_vessel: &[bool],
    spacing_um: f64,
    radius_um: f64,
    haematocrit: f64,
    pressure_mmhg: &dyn Fn(u32) -> Option<f64>,
) -> Result<LatticeVessels, FlowError> {
    extract_network_with_radii(
        grid,
        is_vessel,
        spacing_um,
        &|_| radius_um,
        haematocrit,
        pressure_mmhg,
    )
}

/// As [`extract_network`], with a radius per site (µm, > 0 on vessel sites): a
/// segment's radius is the one whose Poiseuille resistance over the segment's length
/// equals the sum of its sites' (`r⁻⁴` averaged over the interior sites, the two end
/// nodes counting half), viscosity taken as equal along the segment.
pub fn extract_network_with_radii(
    grid: &Grid,
    is_vessel: &[bool],
    spacing_um: f64,
    radius_um: &dyn Fn(u32) -> f64,
    haematocrit: f64,
    pressure_mmhg: &dyn Fn(u32) -> Option<f64>,
) -> Result<LatticeVessels, FlowError> {
    if is_vessel.len() != grid.sites() {
        return Err(FlowError::input(
            "is_vessel",
            format!(
                "has {} entries, the lattice {} sites",
                is_vessel.len(),
                grid.sites()
            ),
        ));
    }
    if !(spacing_um.is_finite() && spacing_um > 0.0) {
        return Err(FlowError::input(
            "spacing_um",
            format!("must be finite and > 0 µm, got {spacing_um}"),
        ));
    }
    let mut offsets = vec![[-1, 0, 0], [1, 0, 0], [0, -1, 0], [0, 1, 0]];
    if grid.is_3d() {
        offsets.extend([[0, 0, -1], [0, 0, 1]]);
    }
    let vessel_neighbours = |i: usize| -> Vec<usize> {
        let c = grid.coords(i as u32);
        offsets
            .iter()
            .filter_map(|&o| grid.neighbour(c, o))
            .map(|j| j as usize)
            .filter(|&j| is_vessel[j])
            .collect()
    };
    let n_sites = grid.sites();
    let mut node_of_site = vec![None; n_sites];
    let mut network = Network::default();
    for i in 0..n_sites {
        if !is_vessel[i] {
            continue;
        }
        let fixed = pressure_mmhg(i as u32);
        if fixed.is_some() || vessel_neighbours(i).len() != 2 {
            node_of_site[i] = Some(network.nodes.len());
            let c = grid.coords(i as u32);
            network.nodes.push(Node {
                position_um: c.map(|v| v as f64 * spacing_um),
                fixed_pressure_mmhg: fixed,
            });
        }
    }
    let mut segment_of_site = vec![None; n_sites];
    for start in 0..n_sites {
        let Some(node_a) = node_of_site[start] else {
            continue;
        };
        for first in vessel_neighbours(start) {
            if let Some(node_b) = node_of_site[first] {
                // Adjacent nodes: one segment of one spacing, added from the lower site.
                if start < first {
                    network.segments.push(Segment {
                        node_a,
                        node_b,
                        radius_um: series_radius(&[start, first], radius_um),
                        length_um: spacing_um,
                        haematocrit,
                    });
                }
                continue;
            }
            if segment_of_site[first].is_some() {
                continue; // chain already walked from its other end
            }
            let (mut prev, mut cur) = (start, first);
            let mut interior = Vec::new();
            while node_of_site[cur].is_none() {
                interior.push(cur);
                let next = vessel_neighbours(cur).into_iter().find(|&j| j != prev);
                match next {
                    Some(j) => (prev, cur) = (cur, j),
                    None => break,
                }
            }
            let Some(node_b) = node_of_site[cur] else {
                continue;
            };
            if node_b == node_a {
                // A loop back to its own node carries no flow; mark it walked.
                interior
                    .iter()
                    .for_each(|&s| segment_of_site[s] = Some(usize::MAX));
                continue;
            }
            let s = network.segments.len();
            interior
                .iter()
                .for_each(|&site| segment_of_site[site] = Some(s));
            let mut chain = Vec::with_capacity(interior.len() + 2);
            chain.push(start);
            chain.extend_from_slice(&interior);
            chain.push(cur);
            network.segments.push(Segment {
                node_a,
                node_b,
                radius_um: series_radius(&chain, radius_um),
                length_um: (interior.len() + 1) as f64 * spacing_um,
                haematocrit,
            });
        }
    }
    segment_of_site.iter_mut().for_each(|s| {
        if *s == Some(usize::MAX) {
            *s = None;
        }
    });
    network.validate()?;
    Ok(LatticeVessels {
        network,
        node_of_site,
        segment_of_site,
    })
}

/// The equivalent radius of a chain of sites (ends first and last, each counting half).
fn series_radius(chain: &[usize], radius_um: &dyn Fn(u32) -> f64) -> f64 {
    let last = chain.len() - 1;
    let (mut weight, mut sum) = (0.0, 0.0);
    for (k, &site) in chain.iter().enumerate() {
        let w = if k == 0 || k == last { 0.5 } else { 1.0 };
        weight += w;
        sum += w * radius_um(site as u32).powi(-4);
    }
    (sum / weight).powf(-0.25)
}

/// Per site, perfusion (fraction, 0–1): |Q| of the site's segment over
/// `reference_flow_m3_per_s`, capped at 1; a node site takes the largest |Q| of the
/// segments that touch it; non-vessel sites and flowless chains get 0.
pub fn site_perfusion(
    vessels: &LatticeVessels,
    solution: &FlowSolution,
    reference_flow_m3_per_s: f64,
) -> Result<Vec<f64>, FlowError> {
    if !(reference_flow_m3_per_s.is_finite() && reference_flow_m3_per_s > 0.0) {
        return Err(FlowError::input(
            "reference_flow_m3_per_s",
            format!("must be finite and > 0, got {reference_flow_m3_per_s}"),
        ));
    }
    if solution.flow_m3_per_s.len() != vessels.network.segments.len() {
        return Err(FlowError::input(
            "solution",
            "does not belong to this network (segment counts differ)",
        ));
    }
    let mut node_flow = vec![0.0f64; vessels.network.nodes.len()];
    for (seg, q) in vessels.network.segments.iter().zip(&solution.flow_m3_per_s) {
        node_flow[seg.node_a] = node_flow[seg.node_a].max(q.abs());
        node_flow[seg.node_b] = node_flow[seg.node_b].max(q.abs());
    }
    let fraction = |q: f64| (q / reference_flow_m3_per_s).min(1.0);
    Ok((0..vessels.segment_of_site.len())
        .map(
            |i| match (vessels.segment_of_site[i], vessels.node_of_site[i]) {
                (Some(s), _) => fraction(solution.flow_m3_per_s[s].abs()),
                (None, Some(n)) => fraction(node_flow[n]),
                (None, None) => 0.0,
            },
        )
        .collect())
}
