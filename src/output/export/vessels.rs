//! The vessel network of a state with `[vasculature]`, as files: `vessels.vtp` (VTK
//! XML PolyData for ParaView), `vessel_nodes.csv` and `vessel_segments.csv`.
//!
//! The network and its flow are those `model::vasculature::solve_flow` finds in the
//! state's sites (the network the next update would start from: tips excluded,
//! compressed vessels narrowed, collapsed ones cut out). A run writes the three files
//! into its directory at the end (`output::run`), `export` beside the snapshot's other
//! exports (`<stem>.vessels.vtp`, …). Scenes without `[vasculature]` write none.
//!
//! - **Positions** are site centres in µm, `(i + ½) · h` on each axis (in 2D z = h/2),
//!   the frame of the `.vti` export (voxel `i` spans `[i·h, (i+1)·h)`) and of the
//!   scene's `centre_um`, so the network lies on the lattice in ParaView.
//! - **vessels.vtp**: one point per network node, one VTK line cell per segment from
//!   `node_a` to `node_b` (point ids = node ids, cell ids = segment ids). Point data
//!   `pressure_mmhg` (Float64, NaN where undefined: a component with no inlet or
//!   outlet) and `fixed` (UInt8, 1 at an inlet or outlet); cell data `radius_um`,
//!   `length_um`, `flow_um3_per_min` (signed, positive from `node_a` to `node_b`),
//!   `abs_flow_um3_per_min`, `wall_shear_stress_dyn_per_cm2`, `viscosity_mpa_s`
//!   (Float64). Field data `TimeValue` (h), `tick`, `site_size_um`. Arrays are stored
//!   raw in one appended block (little-endian, UInt64 headers), as the `.vti` is, so
//!   NaN and every f64 survive exactly.
//! - **vessel_nodes.csv**: `node,x_um,y_um,z_um,pressure_mmhg,boundary`; pressure
//!   empty where undefined, boundary `inlet`, `outlet` or empty.
//! - **vessel_segments.csv**: `segment,node_a,node_b,radius_um,length_um,
//!   flow_um3_per_min,wall_shear_stress_dyn_per_cm2,viscosity_mpa_s,sites`; `sites`
//!   counts the lattice sites inside the segment (its end nodes not included). Numbers
//!   are written in the shortest form that reads back to the same f64.

use crate::engine::EngineError;
use crate::model::lattice::Grid;
use crate::model::params::SimParams;
use crate::model::site::Site;
use crate::model::vasculature::{solve_flow, VesselFlow};
use crate::model::vessel_flow::FlowError;
use crate::output::atomic::{self, WriteError};
use crate::output::RunError;
use crate::scene::Scene;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The network as VTK XML PolyData.
pub const VESSELS_VTP: &str = "vessels.vtp";
/// One row per network node.
pub const VESSEL_NODES_CSV: &str = "vessel_nodes.csv";
/// One row per network segment.
pub const VESSEL_SEGMENTS_CSV: &str = "vessel_segments.csv";
/// The three files, in the order they are written.
pub const FILES: [&str; 3] = [VESSELS_VTP, VESSEL_NODES_CSV, VESSEL_SEGMENTS_CSV];

pub use crate::model::vessel_flow::um3_per_min;

/// The vessel network of `sites` and its flow: `None` in a scene without
/// `[vasculature]`.
pub fn flow_of(scene: &Scene, sites: &[Site]) -> Option<Result<VesselFlow, FlowError>> {
    scene.vasculature.as_ref()?;
    let grid = Grid::from_scene(scene);
    let sim = SimParams::from_scene(scene);
    Some(solve_flow(scene, &grid, &sim, sites))
}

/// Node `n`'s position: its site's centre (µm).
fn position(flow: &VesselFlow, n: usize, site_um: f64) -> [f64; 3] {
    flow.vessels.network.nodes[n]
        .position_um
        .map(|c| c + 0.5 * site_um)
}

/// Whether a fixed pressure is the inlet's (the higher of the scene's two).
fn is_inlet(scene: &Scene, p: f64) -> bool {
    scene
        .vasculature
        .as_ref()
        .is_some_and(|v| (p - v.inlet_pressure_mmhg).abs() <= (p - v.outlet_pressure_mmhg).abs())
}

/// Per segment, the lattice sites inside it.
fn sites_per_segment(flow: &VesselFlow) -> Vec<u64> {
    let mut count = vec![0u64; flow.vessels.network.segments.len()];
    for s in flow.vessels.segment_of_site.iter().flatten() {
        count[*s] += 1;
    }
    count
}

/// `vessel_nodes.csv`.
pub fn nodes_csv(scene: &Scene, flow: &VesselFlow) -> String {
    let h = scene.lattice.site_size_um;
    let mut out = String::from("node,x_um,y_um,z_um,pressure_mmhg,boundary\n");
    for (n, node) in flow.vessels.network.nodes.iter().enumerate() {
        let [x, y, z] = position(flow, n, h);
        let p = flow.solution.pressure_mmhg[n].map_or(String::new(), |p| p.to_string());
        let boundary = match node.fixed_pressure_mmhg {
            Some(p) if is_inlet(scene, p) => "inlet",
            Some(_) => "outlet",
            None => "",
        };
        let _ = writeln!(out, "{n},{x},{y},{z},{p},{boundary}");
    }
    out
}

/// `vessel_segments.csv`.
pub fn segments_csv(flow: &VesselFlow) -> String {
    let sol = &flow.solution;
    let sites = sites_per_segment(flow);
    let mut out = String::from(
        "segment,node_a,node_b,radius_um,length_um,flow_um3_per_min,\
         wall_shear_stress_dyn_per_cm2,viscosity_mpa_s,sites\n",
    );
    for (s, seg) in flow.vessels.network.segments.iter().enumerate() {
        let _ = writeln!(
            out,
            "{s},{},{},{},{},{},{},{},{}",
            seg.node_a,
            seg.node_b,
            seg.radius_um,
            seg.length_um,
            sol.flow_um3_per_min(s),
            sol.wall_shear_stress_dyn_per_cm2[s],
            sol.viscosity_pa_s[s] * 1e3,
            sites[s]
        );
    }
    out
}

/// Values of one VTK data array.
enum Values {
    F64(Vec<f64>),
    U8(Vec<u8>),
    I64(Vec<i64>),
}

impl Values {
    fn vtk_type(&self) -> &'static str {
        match self {
            Values::F64(_) => "Float64",
            Values::U8(_) => "UInt8",
            Values::I64(_) => "Int64",
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Values::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Values::U8(v) => v.clone(),
            Values::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }
}

/// A named data array and its number of components.
struct Array {
    name: &'static str,
    components: u32,
    values: Values,
}

fn array(name: &'static str, values: Values) -> Array {
    Array {
        name,
        components: 1,
        values,
    }
}

/// The network's arrays, in the file's order: point data, cell data, points, lines.
struct Layout {
    points: usize,
    lines: usize,
    point_data: Vec<Array>,
    cell_data: Vec<Array>,
    coordinates: Array,
    connectivity: Array,
    offsets: Array,
}

fn layout(scene: &Scene, flow: &VesselFlow) -> Layout {
    let h = scene.lattice.site_size_um;
    let net = &flow.vessels.network;
    let sol = &flow.solution;
    let n = net.nodes.len();
    let segs = &net.segments;
    let per_segment = |f: &dyn Fn(usize) -> f64| Values::F64((0..segs.len()).map(f).collect());
    Layout {
        points: n,
        lines: segs.len(),
        point_data: vec![
            array(
                "pressure_mmhg",
                Values::F64(
                    sol.pressure_mmhg
                        .iter()
                        .map(|p| p.unwrap_or(f64::NAN))
                        .collect(),
                ),
            ),
            array(
                "fixed",
                Values::U8(
                    net.nodes
                        .iter()
                        .map(|node| node.fixed_pressure_mmhg.is_some() as u8)
                        .collect(),
                ),
            ),
        ],
        cell_data: vec![
            array("radius_um", per_segment(&|s| segs[s].radius_um)),
            array("length_um", per_segment(&|s| segs[s].length_um)),
            array(
                "flow_um3_per_min",
                per_segment(&|s| sol.flow_um3_per_min(s)),
            ),
            array(
                "abs_flow_um3_per_min",
                per_segment(&|s| sol.flow_um3_per_min(s).abs()),
            ),
            array(
                "wall_shear_stress_dyn_per_cm2",
                per_segment(&|s| sol.wall_shear_stress_dyn_per_cm2[s]),
            ),
            array(
                "viscosity_mpa_s",
                per_segment(&|s| sol.viscosity_pa_s[s] * 1e3),
            ),
        ],
        coordinates: Array {
            name: "Points",
            components: 3,
            values: Values::F64((0..n).flat_map(|i| position(flow, i, h)).collect()),
        },
        connectivity: array(
            "connectivity",
            Values::I64(
                segs.iter()
                    .flat_map(|s| [s.node_a as i64, s.node_b as i64])
                    .collect(),
            ),
        ),
        offsets: array(
            "offsets",
            Values::I64((1..=segs.len() as i64).map(|k| 2 * k).collect()),
        ),
    }
}

/// `vessels.vtp`: the XML head, then every array raw in one appended block.
pub fn vtp(scene: &Scene, flow: &VesselFlow, tick: u64) -> Vec<u8> {
    let l = layout(scene, flow);
    let blocks: Vec<Vec<u8>> = l
        .point_data
        .iter()
        .chain(&l.cell_data)
        .chain([&l.coordinates, &l.connectivity, &l.offsets])
        .map(|a| a.values.bytes())
        .collect();
    let mut offset = 0u64;
    let mut offsets = blocks.iter().map(|b| {
        let at = offset;
        offset += 8 + b.len() as u64;
        at
    });
    let mut entry = |x: &mut String, indent: &str, a: &Array| {
        let _ = writeln!(
            x,
            "{indent}<DataArray type=\"{}\" Name=\"{}\" NumberOfComponents=\"{}\" format=\"appended\" offset=\"{}\"/>",
            a.values.vtk_type(),
            a.name,
            a.components,
            offsets.next().expect("one offset per array")
        );
    };
    let h = scene.lattice.site_size_um;
    let time_h = tick as f64 * scene.time.tick_h;
    let mut x = String::new();
    let _ = writeln!(x, "<?xml version=\"1.0\"?>");
    let _ = writeln!(
        x,
        "<VTKFile type=\"PolyData\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\">"
    );
    let _ = writeln!(x, "  <PolyData>");
    let _ = writeln!(x, "    <FieldData>");
    for (name, ty, value) in [
        ("TimeValue", "Float64", time_h.to_string()),
        ("tick", "Int64", tick.to_string()),
        ("site_size_um", "Float64", h.to_string()),
    ] {
        let _ = writeln!(
            x,
            "      <DataArray type=\"{ty}\" Name=\"{name}\" NumberOfTuples=\"1\" format=\"ascii\">{value}</DataArray>"
        );
    }
    let _ = writeln!(x, "    </FieldData>");
    let _ = writeln!(
        x,
        "    <Piece NumberOfPoints=\"{}\" NumberOfVerts=\"0\" NumberOfLines=\"{}\" NumberOfStrips=\"0\" NumberOfPolys=\"0\">",
        l.points, l.lines
    );
    let _ = writeln!(x, "      <PointData Scalars=\"pressure_mmhg\">");
    l.point_data
        .iter()
        .for_each(|a| entry(&mut x, "        ", a));
    let _ = writeln!(x, "      </PointData>");
    let _ = writeln!(x, "      <CellData Scalars=\"abs_flow_um3_per_min\">");
    l.cell_data
        .iter()
        .for_each(|a| entry(&mut x, "        ", a));
    let _ = writeln!(x, "      </CellData>");
    let _ = writeln!(x, "      <Points>");
    entry(&mut x, "        ", &l.coordinates);
    let _ = writeln!(x, "      </Points>");
    let _ = writeln!(x, "      <Lines>");
    entry(&mut x, "        ", &l.connectivity);
    entry(&mut x, "        ", &l.offsets);
    let _ = writeln!(x, "      </Lines>");
    let _ = writeln!(x, "    </Piece>");
    let _ = writeln!(x, "  </PolyData>");
    let _ = write!(x, "  <AppendedData encoding=\"raw\">\n   _");
    let mut out = x.into_bytes();
    for b in &blocks {
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(b);
    }
    out.extend_from_slice(b"\n  </AppendedData>\n</VTKFile>\n");
    out
}

/// The three files in a run directory: `dir/vessels.vtp`, … (`export` puts them
/// beside its other files instead, `<stem>.vessels.vtp`, …).
pub fn paths(dir: &Path) -> [PathBuf; 3] {
    FILES.map(|name| dir.join(name))
}

/// Writes the three files of the network of `sites` at tick `tick` to `to` (as
/// `paths` gives them), each atomically. `Ok(false)`, and nothing written, in a scene
/// without `[vasculature]`. A network the flow solve refuses is a runtime error of the
/// vessel network at that tick, before anything is written.
pub fn write(
    scene: &Scene,
    tick: u64,
    sites: &[Site],
    to: &[PathBuf; 3],
) -> Result<bool, RunError> {
    let Some(flow) = flow_of(scene, sites) else {
        return Ok(false);
    };
    let flow = flow.map_err(|e| {
        RunError::Engine(EngineError::Vasculature {
            tick,
            message: e.to_string(),
        })
    })?;
    write_flow(scene, tick, &flow, to)?;
    Ok(true)
}

/// Writes the three files of a solved network.
pub fn write_flow(
    scene: &Scene,
    tick: u64,
    flow: &VesselFlow,
    to: &[PathBuf; 3],
) -> Result<(), WriteError> {
    atomic::write_with(&to[0], |w| w.write_all(&vtp(scene, flow, tick)))?;
    atomic::write(&to[1], nodes_csv(scene, flow).as_bytes())?;
    atomic::write(&to[2], segments_csv(flow).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::setup::initial_sites;
    use crate::model::vasculature::initial_perfusion;
    use crate::model::vessel_flow::{blood_viscosity_pa_s, PA_PER_MMHG};

    /// 12 × 7 sites of 20 µm, two straight vessels along x (rows 2 and 6 at 80 µm
    /// spacing: `offset = spacing / 2`), both from low x to high x.
    fn scene(extra: &str) -> Scene {
        let text = format!(
            "seed = 2\n[lattice]\nnx = 12\nny = 7\nsite_size_um = 20\n[tumour]\ncell_count = 1\ncentre_um = [230, 90, 10]\n\
             [vessels]\nlayout = \"lines\"\naxis = \"x\"\nspacing_um = 80\n\
             [[factors]]\nname = \"vegf\"\nunit = \"nM\"\ndiffusion_um2_per_min = 1000\n\
             decay_per_min = 0.01\n[vasculature]\nvegf = \"vegf\"\n{extra}"
        );
        Scene::parse(&text, Path::new("v.toml")).unwrap_or_else(|e| panic!("{e}"))
    }

    fn flow(scene: &Scene) -> (Vec<Site>, VesselFlow) {
        let mut sites = initial_sites(scene);
        initial_perfusion(scene, &mut sites).unwrap();
        let flow = flow_of(scene, &sites).unwrap().unwrap();
        (sites, flow)
    }

    #[test]
    fn two_straight_vessels_give_two_segments_with_poiseuille_flow() {
        let s = scene("boundary = \"low_to_high\"\n");
        let (_, f) = flow(&s);
        let net = &f.vessels.network;
        assert_eq!(net.nodes.len(), 4, "{net:?}");
        assert_eq!(net.segments.len(), 2);
        let v = s.vasculature.as_ref().unwrap();
        let csv = segments_csv(&f);
        let rows: Vec<Vec<&str>> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(rows.len(), 2);
        for row in &rows {
            assert_eq!(row.len(), 9);
            let (r, l): (f64, f64) = (row[3].parse().unwrap(), row[4].parse().unwrap());
            assert_eq!(l, 11.0 * 20.0, "from x = 0 to x = 11");
            assert_eq!(row[8], "10", "the sites between the two ends");
            let mu = blood_viscosity_pa_s(2.0 * r, v.haematocrit).unwrap();
            let dp = (v.inlet_pressure_mmhg - v.outlet_pressure_mmhg) * PA_PER_MMHG;
            let q = std::f64::consts::PI * (r * 1e-6).powi(4) * dp / (8.0 * mu * l * 1e-6);
            let got: f64 = row[5].parse().unwrap();
            assert!(
                (got.abs() / um3_per_min(q) - 1.0).abs() < 1e-9,
                "{got} vs {q}"
            );
            let visc: f64 = row[7].parse().unwrap();
            assert!((visc / (mu * 1e3) - 1.0).abs() < 1e-12);
        }
        let nodes = nodes_csv(&s, &f);
        let mut lines = nodes.lines();
        assert_eq!(
            lines.next(),
            Some("node,x_um,y_um,z_um,pressure_mmhg,boundary")
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        // Site centres: x = 10 µm at the inlet, 230 µm at the outlet; z = h/2 in 2D.
        let inlets: Vec<_> = rows.iter().filter(|r| r[5] == "inlet").collect();
        assert_eq!(inlets.len(), 2);
        assert!(inlets.iter().all(|r| r[1] == "10" && r[3] == "10"));
        assert!(rows
            .iter()
            .filter(|r| r[5] == "outlet")
            .all(|r| r[1] == "230" && r[4] == v.outlet_pressure_mmhg.to_string()));
    }

    #[test]
    fn the_vtp_declares_every_array_and_its_appended_blocks_add_up() {
        let s = scene("");
        let (_, f) = flow(&s);
        let bytes = vtp(&s, &f, 6);
        let text = String::from_utf8_lossy(&bytes);
        let head = &text[..text.find("<AppendedData").unwrap()];
        for name in [
            "pressure_mmhg",
            "fixed",
            "radius_um",
            "length_um",
            "flow_um3_per_min",
            "abs_flow_um3_per_min",
            "wall_shear_stress_dyn_per_cm2",
            "viscosity_mpa_s",
            "connectivity",
            "offsets",
        ] {
            assert!(head.contains(&format!("Name=\"{name}\"")), "{name}");
        }
        assert!(head.contains("NumberOfPoints=\"4\"") && head.contains("NumberOfLines=\"2\""));
        // Raw blocks: 2 point arrays of 4, 6 cell arrays of 2, 4 × 3 coordinates,
        // 4 + 2 line ids, each with an 8-byte header.
        let start = bytes.windows(2).position(|w| w == b" _").unwrap() + 2;
        let end = bytes.len() - b"\n  </AppendedData>\n</VTKFile>\n".len();
        let data = 4 * 8 + 4 + 6 * 2 * 8 + 12 * 8 + 6 * 8;
        assert_eq!(end - start, data + 11 * 8);
    }

    #[test]
    fn an_empty_network_and_a_scene_without_vasculature() {
        let s = scene("");
        let empty = vec![Site::default(); s.site_count() as usize];
        let f = flow_of(&s, &empty).unwrap().unwrap();
        assert!(f.vessels.network.nodes.is_empty());
        assert_eq!(segments_csv(&f).lines().count(), 1);
        assert_eq!(nodes_csv(&s, &f).lines().count(), 1);
        let text = String::from_utf8(vtp(&s, &f, 0)).unwrap();
        assert!(text.contains("NumberOfPoints=\"0\""));

        let plain =
            Scene::parse("seed = 1\n[lattice]\nnx = 8\nny = 8\n", Path::new("p.toml")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let to = paths(dir.path());
        assert!(!write(&plain, 0, &initial_sites(&plain), &to).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
