//! Closed-form checks of the flow model (issue 15).

use super::*;
use std::f64::consts::PI;

fn rel_err(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

fn seg(node_a: usize, node_b: usize, radius_um: f64, length_um: f64) -> Segment {
    Segment {
        node_a,
        node_b,
        radius_um,
        length_um,
        haematocrit: 0.45,
    }
}

/// Poiseuille resistance (Pa·s/m³) of a segment, written out independently of the solver.
fn resistance(radius_um: f64, length_um: f64, haematocrit: f64) -> f64 {
    let mu = PLASMA_VISCOSITY_PA_S
        * relative_viscosity_pries_1994(2.0 * radius_um, haematocrit).unwrap();
    8.0 * mu * (length_um * 1e-6) / (PI * (radius_um * 1e-6).powi(4))
}

fn pressure(sol: &FlowSolution, i: usize) -> f64 {
    sol.pressure_mmhg[i].expect("node has a defined pressure")
}

/// μ_rel at documented points, against values computed independently (Python, same
/// published formula, double precision): H = 0.45, 0.3 and the H = 0 limit, where the
/// law reduces to the surface-layer factor (D / (D − 1.1))².
#[test]
fn pries_1994_in_vivo_viscosity_at_tabulated_diameters() {
    let table: [(f64, f64, f64, f64); 8] = [
        // D µm, μ_rel(H=0.45), μ_rel(H=0.3), μ_rel(H=0)
        (4.0, 17.69648198, 12.43136459, 1.902497027),
        (5.0, 12.62000013, 8.956715911, 1.64365549),
        (8.0, 7.307300892, 4.92043342, 1.344255409),
        (10.0, 5.872437674, 3.655039582, 1.26246686),
        (20.0, 3.231083562, 2.222142062, 1.11978948),
        (50.0, 2.281609751, 1.708941482, 1.045495795),
        (100.0, 2.531539125, 1.83490396, 1.022368398),
        (500.0, 3.133416134, 2.150752378, 1.004414563),
    ];
    for (d, h45, h30, h0) in table {
        for (h, want) in [(0.45, h45), (0.3, h30), (0.0, h0)] {
            let got = relative_viscosity_pries_1994(d, h).unwrap();
            assert!(rel_err(got, want) < 1e-8, "D {d} H {h}: {got} vs {want}");
        }
        let esl = (d / (d - 1.1)).powi(2);
        assert!(rel_err(relative_viscosity_pries_1994(d, 0.0).unwrap(), esl) < 1e-14);
    }
    // Large vessels approach the bulk value 3.2 at H = 0.45.
    let big = relative_viscosity_pries_1994(1e5, 0.45).unwrap();
    assert!((big - 3.2).abs() < 0.01, "{big}");
    // Around C = 0 (D ≈ 8.0518 µm) the law stays finite and continuous.
    let near = [8.0518, 8.051829446724954, 8.0519]
        .map(|d| relative_viscosity_pries_1994(d, 0.45).unwrap());
    assert!(near.iter().all(|v| v.is_finite()));
    assert!((near[0] - near[2]).abs() < 1e-3, "{near:?}");
    let near30 =
        [8.0518, 8.051829446724954, 8.0519].map(|d| relative_viscosity_pries_1994(d, 0.3).unwrap());
    assert!(
        (near30[0] - near30[1]).abs() < 1e-4 && (near30[1] - near30[2]).abs() < 1e-4,
        "{near30:?}"
    );
}

#[test]
fn viscosity_refuses_out_of_domain_input() {
    for (d, h) in [
        (1.1, 0.45),
        (0.5, 0.45),
        (f64::NAN, 0.45),
        (10.0, 1.0),
        (10.0, -0.1),
        (10.0, f64::INFINITY),
    ] {
        assert!(relative_viscosity_pries_1994(d, h).is_err(), "D {d} H {h}");
    }
}

/// Issue 15: r 5 µm, L 100 µm, ΔP 1 mmHg, μ from Pries at D 10 µm and H 0.45 give
/// Q = π r⁴ ΔP / (8 μ L) ≈ 4.64·10⁻¹⁴ m³/s. Tolerance: the closed form to 1e-12
/// relative; the 3-digit figure to 0.1 %.
#[test]
fn single_segment_matches_poiseuille_closed_form() {
    let net = Network {
        nodes: vec![
            Node::fixed([0.0; 3], 16.0),
            Node::fixed([100.0, 0.0, 0.0], 15.0),
        ],
        segments: vec![seg(0, 1, 5.0, 100.0)],
    };
    let sol = solve(&net, &SolverSettings::default()).unwrap();
    let mu = blood_viscosity_pa_s(10.0, 0.45).unwrap();
    assert!(rel_err(mu, 7.046925209e-3) < 1e-8, "{mu}");
    let want = PI * (5e-6f64).powi(4) * PA_PER_MMHG / (8.0 * mu * 100e-6);
    let q = sol.flow_m3_per_s[0];
    assert!(rel_err(q, want) < 1e-12, "{q} vs {want}");
    assert!(rel_err(q, 4.64e-14) < 1e-3, "{q}");
    assert!(rel_err(sol.flow_um3_per_min(0), q * 6e19) < 1e-15);
    // τ = 4 μ Q / (π r³) = r ΔP / (2 L) for Poiseuille flow: 5e-6·133.32/(2e-4) Pa.
    let tau_dyn = 5e-6 * PA_PER_MMHG / (2.0 * 100e-6) * 10.0;
    assert!(rel_err(sol.wall_shear_stress_dyn_per_cm2[0], tau_dyn) < 1e-12);
    // Reversing the pressures reverses the flow, same magnitude.
    let mut rev = net.clone();
    rev.nodes[0].fixed_pressure_mmhg = Some(15.0);
    rev.nodes[1].fixed_pressure_mmhg = Some(16.0);
    let sol_rev = solve(&rev, &SolverSettings::default()).unwrap();
    assert!(rel_err(sol_rev.flow_m3_per_s[0], -q) < 1e-12);
    // Boundary exchange: in at the inlet, out at the outlet.
    assert!(rel_err(sol.kirchhoff_residual_m3_per_s[0], q) < 1e-15);
    assert!(rel_err(sol.kirchhoff_residual_m3_per_s[1], -q) < 1e-15);
}

/// A chain of equal segments between 25 and 15 mmHg: pressure falls linearly.
#[test]
fn equal_segments_in_series_drop_pressure_linearly() {
    let n = 10;
    let mut nodes: Vec<Node> = (0..=n)
        .map(|k| Node::free([50.0 * k as f64, 0.0, 0.0]))
        .collect();
    nodes[0].fixed_pressure_mmhg = Some(25.0);
    nodes[n].fixed_pressure_mmhg = Some(15.0);
    let segments = (0..n).map(|k| seg(k, k + 1, 4.0, 50.0)).collect();
    let sol = solve(&Network { nodes, segments }, &SolverSettings::default()).unwrap();
    for k in 0..=n {
        let want = 25.0 - 10.0 * k as f64 / n as f64;
        assert!(
            (pressure(&sol, k) - want).abs() < 1e-10,
            "node {k}: {}",
            pressure(&sol, k)
        );
    }
    let q = 10.0 * PA_PER_MMHG / (n as f64 * resistance(4.0, 50.0, 0.45));
    for s in 0..n {
        assert!(rel_err(sol.flow_m3_per_s[s], q) < 1e-10);
    }
}

/// Unequal segments in series: p_k = p_in − ΔP · Σ_{m<k} R_m / Σ R.
#[test]
fn unequal_segments_in_series_match_resistance_divider() {
    let geometry = [
        (3.0, 40.0, 0.45),
        (6.0, 120.0, 0.3),
        (2.5, 30.0, 0.5),
        (10.0, 200.0, 0.45),
        (4.0, 75.0, 0.2),
    ];
    let n = geometry.len();
    let mut nodes: Vec<Node> = (0..=n).map(|k| Node::free([k as f64, 0.0, 0.0])).collect();
    nodes[0].fixed_pressure_mmhg = Some(25.0);
    nodes[n].fixed_pressure_mmhg = Some(15.0);
    let segments = geometry
        .iter()
        .enumerate()
        .map(|(k, &(r, l, h))| Segment {
            node_a: k,
            node_b: k + 1,
            radius_um: r,
            length_um: l,
            haematocrit: h,
        })
        .collect();
    let sol = solve(&Network { nodes, segments }, &SolverSettings::default()).unwrap();
    let resist: Vec<f64> = geometry
        .iter()
        .map(|&(r, l, h)| resistance(r, l, h))
        .collect();
    let total: f64 = resist.iter().sum();
    // Resistance upstream of node k: Σ_{m<k} R_m.
    let upstream: Vec<f64> = std::iter::once(0.0)
        .chain(resist.iter().scan(0.0, |acc, r| {
            *acc += r;
            Some(*acc)
        }))
        .collect();
    for (k, up) in upstream.iter().enumerate() {
        let want = 25.0 - 10.0 * up / total;
        let got = pressure(&sol, k);
        assert!((got - want).abs() < 1e-9, "node {k}: {got} vs {want}");
    }
    let q = 10.0 * PA_PER_MMHG / total;
    assert!(sol.flow_m3_per_s.iter().all(|&f| rel_err(f, q) < 1e-9));
}

/// Parent (R₀) from 25 mmHg into a junction, two equal daughters (R₁) to 15 mmHg:
/// p_j = (p_in / R₀ + 2 p_out / R₁) / (1 / R₀ + 2 / R₁); flow splits in halves.
#[test]
fn symmetric_bifurcation_junction_pressure() {
    let net = Network {
        nodes: vec![
            Node::fixed([0.0, 0.0, 0.0], 25.0),
            Node::free([100.0, 0.0, 0.0]),
            Node::fixed([180.0, 60.0, 0.0], 15.0),
            Node::fixed([180.0, -60.0, 0.0], 15.0),
        ],
        segments: vec![
            seg(0, 1, 6.0, 100.0),
            seg(1, 2, 4.76, 100.0),
            seg(1, 3, 4.76, 100.0),
        ],
    };
    let sol = solve(&net, &SolverSettings::default()).unwrap();
    let (r0, r1) = (resistance(6.0, 100.0, 0.45), resistance(4.76, 100.0, 0.45));
    let pj = (25.0 / r0 + 2.0 * 15.0 / r1) / (1.0 / r0 + 2.0 / r1);
    assert!(
        (pressure(&sol, 1) - pj).abs() < 1e-10,
        "{} vs {pj}",
        pressure(&sol, 1)
    );
    assert!(pj > 15.0 && pj < 25.0);
    let q0 = sol.flow_m3_per_s[0];
    assert!(rel_err(q0, (25.0 - pj) * PA_PER_MMHG / r0) < 1e-10);
    assert_eq!(
        sol.flow_m3_per_s[1], sol.flow_m3_per_s[2],
        "symmetric daughters, same bits"
    );
    assert!(rel_err(2.0 * sol.flow_m3_per_s[1], q0) < 1e-10);
}

/// A 12 × 9 grid network with varied radii, lengths and haematocrit, inlets on the left
/// column, outlets on the right, a dead-end spur and a detached fragment: mass is
/// conserved at every free node to 1e-9 of the flow through it; inflow = outflow; the
/// solve is bitwise repeatable.
#[test]
fn grid_network_conserves_mass_at_every_free_node() {
    let (nx, ny) = (12usize, 9usize);
    let id = |x: usize, y: usize| x + nx * y;
    let mut nodes = Vec::new();
    for y in 0..ny {
        for x in 0..nx {
            let fixed = match x {
                0 => Some(25.0 + 0.3 * y as f64),
                _ if x == nx - 1 => Some(15.0 - 0.2 * y as f64),
                _ => None,
            };
            nodes.push(Node {
                position_um: [40.0 * x as f64, 40.0 * y as f64, 0.0],
                fixed_pressure_mmhg: fixed,
            });
        }
    }
    // Deterministic "random" geometry from a small integer hash.
    let hash = |k: usize| ((k as u64).wrapping_mul(2_654_435_761) >> 7) % 1000;
    let mut segments = Vec::new();
    for y in 0..ny {
        for x in 0..nx {
            let mut link = |a: usize, b: usize| {
                let k = segments.len();
                segments.push(Segment {
                    node_a: a,
                    node_b: b,
                    radius_um: 2.5 + 0.008 * hash(3 * k) as f64,
                    length_um: 30.0 + 0.05 * hash(3 * k + 1) as f64,
                    haematocrit: 0.2 + 0.0004 * hash(3 * k + 2) as f64,
                });
            };
            if x + 1 < nx {
                link(id(x, y), id(x + 1, y));
            }
            if y + 1 < ny {
                link(id(x, y), id(x, y + 1));
            }
        }
    }
    // Dead-end spur of two segments off an interior node, and a detached fragment.
    let spur0 = nodes.len();
    nodes.push(Node::free([200.0, 400.0, 0.0]));
    nodes.push(Node::free([200.0, 440.0, 0.0]));
    segments.push(seg(id(5, ny - 1), spur0, 4.0, 40.0));
    segments.push(seg(spur0, spur0 + 1, 4.0, 40.0));
    let frag0 = nodes.len();
    nodes.push(Node::free([0.0, 600.0, 0.0]));
    nodes.push(Node::free([40.0, 600.0, 0.0]));
    nodes.push(Node::free([80.0, 600.0, 0.0]));
    segments.push(seg(frag0, frag0 + 1, 5.0, 40.0));
    segments.push(seg(frag0 + 1, frag0 + 2, 5.0, 40.0));
    segments.push(seg(frag0 + 2, frag0, 5.0, 80.0));
    let net = Network { nodes, segments };

    let sol = solve(&net, &SolverSettings::default()).unwrap();
    assert!(sol.iterations > 0 && sol.relative_residual <= 1e-12);
    let incidence = net.incidence();
    let mut inflow = 0.0;
    let mut outflow = 0.0;
    for (i, node) in net.nodes.iter().enumerate() {
        let through: f64 = incidence[i]
            .iter()
            .map(|&s| sol.flow_m3_per_s[s].abs())
            .sum();
        let residual = sol.kirchhoff_residual_m3_per_s[i];
        match node.fixed_pressure_mmhg {
            None if through > 0.0 => assert!(
                residual.abs() <= 1e-9 * through,
                "node {i}: {residual:e} of {through:e}"
            ),
            None => assert_eq!(residual, 0.0),
            Some(_) if residual > 0.0 => inflow += residual,
            Some(_) => outflow -= residual,
        }
    }
    assert!(
        inflow > 0.0 && rel_err(outflow, inflow) < 1e-9,
        "{inflow:e} in, {outflow:e} out"
    );
    // Every free grid pressure lies between the extreme boundary pressures (maximum principle).
    for y in 0..ny {
        for x in 1..nx - 1 {
            let p = pressure(&sol, id(x, y));
            assert!(p > 15.0 - 0.2 * 8.0 && p < 25.0 + 0.3 * 8.0, "{p}");
        }
    }
    // The spur carries exactly no flow and sits at its root's pressure.
    let n_seg = net.segments.len();
    assert_eq!(&sol.flow_m3_per_s[n_seg - 5..n_seg - 3], &[0.0, 0.0]);
    assert_eq!(
        sol.pressure_mmhg[spur0 + 1],
        sol.pressure_mmhg[id(5, ny - 1)]
    );
    // The fragment has no boundary: undefined pressure, zero flow, zero shear.
    assert!(sol.pressure_mmhg[frag0..].iter().all(Option::is_none));
    assert!(sol.flow_m3_per_s[n_seg - 3..].iter().all(|&f| f == 0.0));
    assert!(sol.wall_shear_stress_dyn_per_cm2[n_seg - 3..]
        .iter()
        .all(|&t| t == 0.0));
    // Same input, same bits.
    let again = solve(&net, &SolverSettings::default()).unwrap();
    assert_eq!(format!("{sol:?}"), format!("{again:?}"));
    let bits = |s: &FlowSolution| {
        s.flow_m3_per_s
            .iter()
            .map(|f| f.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&sol), bits(&again));
}

/// A new sprout hanging from a perfused vessel carries no flow; once its tip joins a
/// second vessel (the loop closes) it does.
#[test]
fn sprout_carries_flow_only_after_its_loop_closes() {
    // Inlet 0 → 1 → 2 → outlet 3; sprout 1 → 4 → 5 (free tip).
    let mut net = Network {
        nodes: vec![
            Node::fixed([0.0, 0.0, 0.0], 25.0),
            Node::free([100.0, 0.0, 0.0]),
            Node::free([200.0, 0.0, 0.0]),
            Node::fixed([300.0, 0.0, 0.0], 15.0),
            Node::free([100.0, 50.0, 0.0]),
            Node::free([200.0, 50.0, 0.0]),
        ],
        segments: vec![
            seg(0, 1, 5.0, 100.0),
            seg(1, 2, 5.0, 100.0),
            seg(2, 3, 5.0, 100.0),
            seg(1, 4, 3.0, 50.0),
            seg(4, 5, 3.0, 100.0),
        ],
    };
    let open = solve(&net, &SolverSettings::default()).unwrap();
    assert_eq!(open.flow_m3_per_s[3], 0.0);
    assert_eq!(open.flow_m3_per_s[4], 0.0);
    assert_eq!(open.pressure_mmhg[5], open.pressure_mmhg[1]);
    // Main vessel: three equal segments, 10 mmHg drop, unaffected by the sprout.
    assert!((pressure(&open, 1) - (25.0 - 10.0 / 3.0)).abs() < 1e-10);
    // Anastomosis: tip 5 joins node 2.
    net.segments.push(seg(5, 2, 3.0, 50.0));
    let closed = solve(&net, &SolverSettings::default()).unwrap();
    assert!(closed.flow_m3_per_s[3] > 0.0 && closed.flow_m3_per_s[4] > 0.0);
    assert!(rel_err(closed.flow_m3_per_s[4], closed.flow_m3_per_s[5]) < 1e-10);
}

/// A component with no pressure boundary (or an empty network) carries no flow.
#[test]
fn network_without_boundary_carries_zero_flow() {
    let net = Network {
        nodes: vec![
            Node::free([0.0; 3]),
            Node::free([10.0, 0.0, 0.0]),
            Node::free([20.0, 0.0, 0.0]),
        ],
        segments: vec![
            seg(0, 1, 5.0, 10.0),
            seg(1, 2, 5.0, 10.0),
            seg(2, 0, 5.0, 20.0),
        ],
    };
    let sol = solve(&net, &SolverSettings::default()).unwrap();
    assert_eq!(sol.pressure_mmhg, vec![None; 3]);
    assert_eq!(sol.flow_m3_per_s, vec![0.0; 3]);
    assert_eq!(sol.kirchhoff_residual_m3_per_s, vec![0.0; 3]);
    assert_eq!(sol.iterations, 0);
    let empty = solve(&Network::default(), &SolverSettings::default()).unwrap();
    assert!(empty.pressure_mmhg.is_empty() && empty.flow_m3_per_s.is_empty());
    // One boundary only: everything at that pressure, no flow.
    let mut one = net.clone();
    one.nodes[1].fixed_pressure_mmhg = Some(20.0);
    let sol = solve(&one, &SolverSettings::default()).unwrap();
    assert!(sol.pressure_mmhg.iter().all(|p| *p == Some(20.0)));
    assert!(sol.flow_m3_per_s.iter().all(|&f| f == 0.0));
}

#[test]
fn bad_input_is_refused_with_the_offending_key() {
    let good = Network {
        nodes: vec![
            Node::fixed([0.0; 3], 25.0),
            Node::fixed([100.0, 0.0, 0.0], 15.0),
        ],
        segments: vec![seg(0, 1, 5.0, 100.0)],
    };
    assert!(good.validate().is_ok());
    let key_of = |net: &Network| match solve(net, &SolverSettings::default()) {
        Err(FlowError::Input { key, .. }) => key,
        other => panic!("expected an input error, got {other:?}"),
    };
    type Mutation = Box<dyn Fn(&mut Network)>;
    let cases: Vec<(Mutation, &str)> = vec![
        (
            Box::new(|n| n.segments[0].radius_um = 0.0),
            "segments[0].radius_um",
        ),
        (
            Box::new(|n| n.segments[0].radius_um = -3.0),
            "segments[0].radius_um",
        ),
        (
            Box::new(|n| n.segments[0].radius_um = 0.55),
            "segments[0].radius_um",
        ),
        (
            Box::new(|n| n.segments[0].length_um = 0.0),
            "segments[0].length_um",
        ),
        (
            Box::new(|n| n.segments[0].length_um = f64::NAN),
            "segments[0].length_um",
        ),
        (
            Box::new(|n| n.segments[0].haematocrit = 1.0),
            "segments[0].haematocrit",
        ),
        (Box::new(|n| n.segments[0].node_b = 7), "segments[0].node_b"),
        (Box::new(|n| n.segments[0].node_a = 1), "segments[0]"),
        (
            Box::new(|n| n.nodes[1].fixed_pressure_mmhg = Some(f64::INFINITY)),
            "nodes[1].fixed_pressure_mmhg",
        ),
        (
            Box::new(|n| n.nodes[0].position_um[2] = f64::NAN),
            "nodes[0].position_um",
        ),
    ];
    for (mutate, key) in cases {
        let mut net = good.clone();
        mutate(&mut net);
        assert_eq!(key_of(&net), key);
    }
    let bad_tol = SolverSettings {
        relative_tolerance: 0.0,
        max_iterations: None,
    };
    assert!(
        matches!(solve(&good, &bad_tol), Err(FlowError::Input { key, .. }) if key == "relative_tolerance")
    );
    // An iteration cap too small for the grid is reported, not returned as a result.
    let mut chain = Network {
        nodes: (0..50).map(|k| Node::free([k as f64, 0.0, 0.0])).collect(),
        segments: (0..49)
            .map(|k| seg(k, k + 1, 5.0, 10.0 + k as f64))
            .collect(),
    };
    chain.nodes[0].fixed_pressure_mmhg = Some(25.0);
    chain.nodes[49].fixed_pressure_mmhg = Some(15.0);
    let capped = SolverSettings {
        relative_tolerance: 1e-12,
        max_iterations: Some(3),
    };
    assert!(matches!(
        solve(&chain, &capped),
        Err(FlowError::NotConverged { iterations: 3, .. })
    ));
}

/// A straight vessel across a 2D lattice (inlet 25, outlet 15 mmHg) with a dead-end
/// sprout: one flowing segment of (sites − 1) × spacing, the sprout unperfused.
#[test]
fn lattice_vessel_sites_become_a_network_with_perfusion() {
    use crate::model::lattice::Grid;
    let grid = Grid {
        nx: 10,
        ny: 6,
        nz: 1,
        moore: true,
    };
    let mut is_vessel = vec![false; grid.sites()];
    for x in 0..10 {
        is_vessel[grid.index(x, 2, 0) as usize] = true;
    }
    for y in 3..6 {
        is_vessel[grid.index(4, y, 0) as usize] = true; // sprout from (4, 2) up to (4, 5)
    }
    let (inlet, outlet) = (grid.index(0, 2, 0), grid.index(9, 2, 0));
    let boundary = move |i: u32| match i {
        _ if i == inlet => Some(25.0),
        _ if i == outlet => Some(15.0),
        _ => None,
    };
    let vessels = extract_network(&grid, &is_vessel, 20.0, 5.0, 0.45, &boundary).unwrap();
    // Nodes: inlet, outlet, the junction (4, 2) and the sprout tip (4, 5).
    assert_eq!(vessels.network.nodes.len(), 4);
    assert_eq!(vessels.network.segments.len(), 3);
    let lengths: Vec<f64> = vessels
        .network
        .segments
        .iter()
        .map(|s| s.length_um)
        .collect();
    // inlet→junction, junction→outlet, junction→tip (neighbours in −x, +x, −y, +y order).
    assert_eq!(lengths, vec![80.0, 100.0, 60.0]);
    let sol = solve(&vessels.network, &SolverSettings::default()).unwrap();
    let q = 10.0 * PA_PER_MMHG / resistance(5.0, 180.0, 0.45);
    let main_seg = vessels.segment_of_site[grid.index(7, 2, 0) as usize].unwrap();
    assert!(rel_err(sol.flow_m3_per_s[main_seg], q) < 1e-10);
    let perfusion = site_perfusion(&vessels, &sol, q).unwrap();
    assert!((perfusion[grid.index(2, 2, 0) as usize] - 1.0).abs() < 1e-10);
    assert!((perfusion[grid.index(4, 2, 0) as usize] - 1.0).abs() < 1e-10);
    assert_eq!(perfusion[grid.index(4, 4, 0) as usize], 0.0, "sprout");
    assert_eq!(perfusion[grid.index(4, 5, 0) as usize], 0.0, "sprout tip");
    assert_eq!(perfusion[grid.index(0, 0, 0) as usize], 0.0, "not a vessel");
    let half = site_perfusion(&vessels, &sol, 2.0 * q).unwrap();
    assert!((half[grid.index(7, 2, 0) as usize] - 0.5).abs() < 1e-10);
    assert!(extract_network(&grid, &is_vessel[1..], 20.0, 5.0, 0.45, &boundary).is_err());
}
