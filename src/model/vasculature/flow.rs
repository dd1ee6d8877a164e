//! Blood flow on the lattice's vessel network and the perfusion it gives each site.

use crate::model::lattice::Grid;
use crate::model::params::{compressed_perfusion, SimParams};
use crate::model::site::{perfusion_to_u16, Kind, Site, IMMATURE_BIT, LOW16};
use crate::model::vessel_flow::{
    blood_viscosity_pa_s, extract_network_with_radii, solve, FlowError, FlowSolution,
    LatticeVessels, SolverSettings, PA_PER_MMHG,
};
use crate::scene::vasculature::{FlowBoundary, Vasculature};
use crate::scene::{Axis, Scene, VesselLayout};

/// The network of a state, its flow, and per site what the update and the outputs
/// read.
#[derive(Debug, Clone)]
pub struct VesselFlow {
    pub vessels: LatticeVessels,
    pub solution: FlowSolution,
    /// Per site: wall shear stress of its segment (dyn/cm²; a node: the largest of its
    /// segments'), 0 off the network.
    pub site_wss_dyn_per_cm2: Vec<f64>,
    /// Per site: |flow| of its segment (m³/s; a node: the largest), 0 off the network.
    pub site_flow_m3_per_s: Vec<f64>,
    /// Per site: pressure (mmHg) of its node, or the mean of its segment's two end
    /// nodes; `None` off the network and where no pressure is defined.
    pub site_pressure_mmhg: Vec<Option<f64>>,
    /// The flow of one straight vessel across the lattice at the inlet–outlet drop
    /// (m³/s): what a perfusion of 1 means.
    pub reference_flow_m3_per_s: f64,
}

/// The flow axis: that of `lines` vessels, x for a `grid`.
fn flow_axis(scene: &Scene, grid: &Grid) -> usize {
    match (scene.vessels.layout, scene.vessels.axis) {
        (VesselLayout::Lines, Axis::Y) => 1,
        (VesselLayout::Lines, Axis::Z) if grid.is_3d() => 2,
        _ => 0,
    }
}

/// Fixed pressure of vessel site coordinates `c` on the flow axis's faces.
fn boundary_pressure(scene: &Scene, v: &Vasculature, grid: &Grid, c: [u32; 3]) -> Option<f64> {
    let axis = flow_axis(scene, grid);
    let extent = [grid.nx, grid.ny, grid.nz][axis];
    let low = c[axis] == 0;
    if !low && c[axis] != extent - 1 {
        return None;
    }
    let inlet_at_low = match v.boundary {
        FlowBoundary::LowToHigh => true,
        FlowBoundary::Alternating => {
            // Line index of the transverse coordinates, as `setup` lays the lines out.
            let h = scene.lattice.site_size_um;
            let spacing = ((scene.vessels.spacing_um / h).round() as u32).max(2);
            let offset = spacing / 2;
            let dims = if grid.is_3d() { 3 } else { 2 };
            let mut parity = 0;
            for (d, &t) in c.iter().enumerate().take(dims) {
                if d == axis {
                    continue;
                }
                if t < offset || (t - offset) % spacing != 0 {
                    return None; // not on a laid-out line: a free end
                }
                parity += (t - offset) / spacing;
            }
            parity % 2 == 0
        }
    };
    Some(if low == inlet_at_low {
        v.inlet_pressure_mmhg
    } else {
        v.outlet_pressure_mmhg
    })
}

/// Tumour and necrotic sites among the cell neighbours of `i` (the count vessel
/// compression reads).
fn tumour_neighbours(grid: &Grid, offsets: &[[i32; 3]], sites: &[Site], i: u32) -> u32 {
    let c = grid.coords(i);
    offsets
        .iter()
        .filter_map(|&o| grid.neighbour(c, o))
        .filter(|&j| matches!(sites[j as usize].kind(), Kind::Tumour | Kind::Necrotic))
        .count() as u32
}

/// The flow of the vessel network of `sites` (tips are not part of it; compressed
/// vessels are narrowed and collapsed ones cut out, see the module doc).
pub fn solve_flow(
    scene: &Scene,
    grid: &Grid,
    sim: &SimParams,
    sites: &[Site],
) -> Result<VesselFlow, FlowError> {
    let v = scene.vasculature.as_ref().ok_or_else(|| FlowError::Input {
        key: "vasculature".into(),
        message: "is absent: the scene has no vessel network".into(),
    })?;
    let offsets = grid.cell_offsets();
    let open_fraction: Vec<f64> = (0..sites.len() as u32)
        .map(|i| {
            if sites[i as usize].kind() != Kind::Vessel {
                return 0.0;
            }
            let k = tumour_neighbours(grid, &offsets, sites, i);
            compressed_perfusion(sim, LOW16, k) as f64 / LOW16 as f64
        })
        .collect();
    let is_vessel: Vec<bool> = open_fraction.iter().map(|&f| f > 0.0).collect();
    let r0 = v.vessel_radius_um;
    let h = scene.lattice.site_size_um;
    let vessels = extract_network_with_radii(
        grid,
        &is_vessel,
        h,
        &|i| r0 * open_fraction[i as usize].powf(0.25),
        v.haematocrit,
        &|i| boundary_pressure(scene, v, grid, grid.coords(i)),
    )?;
    let solution = solve(&vessels.network, &SolverSettings::default())?;
    let n = sites.len();
    let mut wss = vec![0.0f64; n];
    let mut flow = vec![0.0f64; n];
    let mut pressure = vec![None; n];
    let segs = &vessels.network.segments;
    let mut node_wss = vec![0.0f64; vessels.network.nodes.len()];
    let mut node_flow = vec![0.0f64; vessels.network.nodes.len()];
    for (s, seg) in segs.iter().enumerate() {
        let (w, q) = (
            solution.wall_shear_stress_dyn_per_cm2[s],
            solution.flow_m3_per_s[s].abs(),
        );
        for node in [seg.node_a, seg.node_b] {
            node_wss[node] = node_wss[node].max(w);
            node_flow[node] = node_flow[node].max(q);
        }
    }
    for i in 0..n {
        if let Some(s) = vessels.segment_of_site[i] {
            wss[i] = solution.wall_shear_stress_dyn_per_cm2[s];
            flow[i] = solution.flow_m3_per_s[s].abs();
            let (a, b) = (segs[s].node_a, segs[s].node_b);
            pressure[i] = match (solution.pressure_mmhg[a], solution.pressure_mmhg[b]) {
                (Some(pa), Some(pb)) => Some(0.5 * (pa + pb)),
                _ => None,
            };
        } else if let Some(node) = vessels.node_of_site[i] {
            wss[i] = node_wss[node];
            flow[i] = node_flow[node];
            pressure[i] = solution.pressure_mmhg[node];
        }
    }
    let axis = flow_axis(scene, grid);
    let extent = [grid.nx, grid.ny, grid.nz][axis].max(2);
    let length_m = (extent - 1) as f64 * h * 1e-6;
    let mu = blood_viscosity_pa_s(2.0 * r0, v.haematocrit)?;
    let dp_pa = (v.inlet_pressure_mmhg - v.outlet_pressure_mmhg) * PA_PER_MMHG;
    let reference = std::f64::consts::PI * (r0 * 1e-6).powi(4) * dp_pa / (8.0 * mu * length_m);
    Ok(VesselFlow {
        vessels,
        solution,
        site_wss_dyn_per_cm2: wss,
        site_flow_m3_per_s: flow,
        site_pressure_mmhg: pressure,
        reference_flow_m3_per_s: reference,
    })
}

impl VesselFlow {
    /// Sets every vessel site's uncompressed perfusion from its flow, and its
    /// compressed perfusion from that and its tumour neighbours (as the cells pass
    /// does each tick).
    pub fn write_perfusion(&self, scene: &Scene, sim: &SimParams, grid: &Grid, sites: &mut [Site]) {
        let v = scene.vasculature.as_ref().expect("a vessel network");
        let offsets = grid.cell_offsets();
        for i in 0..sites.len() {
            let s = sites[i];
            if s.kind() != Kind::Vessel {
                continue;
            }
            let fraction = (self.site_flow_m3_per_s[i] / self.reference_flow_m3_per_s).min(1.0);
            let maturity = if s.w0 & IMMATURE_BIT != 0 {
                v.immature_perfusion
            } else {
                1.0
            };
            let base = perfusion_to_u16(scene.vessels.perfusion * fraction * maturity) as u32;
            let k = tumour_neighbours(grid, &offsets, sites, i as u32);
            sites[i].w2 = (s.w2 & !LOW16) | base;
            sites[i].w1 = (s.w1 & !LOW16) | compressed_perfusion(sim, base, k);
        }
    }
}
