//! Blood flow on the vessel network (issue 15) against network size: building the
//! network from lattice vessel sites (`extract_network`) and solving it (`solve`,
//! Jacobi-preconditioned CG in f64, default settings: relative residual 1e-12). CPU
//! only: there is no GPU flow solve.
//!
//! Lattices like the scenes' `layout = "grid"` at 20 µm sites and 100 µm vessel spacing
//! (every 5th site, offset 2, as `model::setup` places them):
//! - 2D 128², 256², 512², 1024²: a site is a vessel when x ≡ 2 or y ≡ 2 (mod 5);
//! - 3D 64³, 128³, 256³: when at least two of x, y, z are ≡ 2 (mod 5).
//!
//! A deterministic pseudo-random 10 % of those sites (`rng::draw`) is then removed, so
//! the network has dead ends, cut paths and paths of different lengths, and CG has
//! more to do than on a perfect grid. Vessel sites on the x = 0 face are inlets at
//! 25 mmHg, those on x = nx − 1 outlets at 15 mmHg (Owen et al. 2011); radius 5 µm,
//! haematocrit 0.45. (At nx = 128, x = 127 ≡ 2 (mod 5) is itself a vessel plane, so the
//! outlet face has many more boundary sites than at the other sizes.)
//!
//! - `vessel_flow_extract/<lattice>`: one `extract_network` (the lattice scan, node
//!   and segment lists, per-site maps).
//! - `vessel_flow_solve/<lattice>`: one `solve` of the extracted network (validation,
//!   conductances, components, dead-end pruning, the CSR matrix, CG, flows).
//! - `vessel_flow_setup/<lattice>`: the same `solve` with `relative_tolerance = 1`, which
//!   CG meets at iteration 0: everything but the CG iterations (the starting residual
//!   and the flows included). `solve − setup` is the time in CG.
//!
//! `VESSEL_FLOW_REMOVED=F` removes a fraction F of the vessel sites instead of 0.1
//! (e.g. 0 for the perfect grid).
//!
//! Before criterion starts, every case is built once and timed once with `Instant`,
//! and its sizes and CG iterations are printed.
//!
//! Run: `cargo bench --bench vessel_flow` (about 2 minutes on 2 cores); filter as
//! usual, e.g. `cargo bench --bench vessel_flow -- solve/2d` (every case is still
//! built and timed once first).

use criterion::{Criterion, SamplingMode};
use oncolattice::model::lattice::Grid;
use oncolattice::model::rng;
use oncolattice::model::vessel_flow::{
    extract_network, solve, FlowSolution, LatticeVessels, SolverSettings,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Lattice spacing (µm) and vessel spacing (sites): 100 µm apart.
const SITE_UM: f64 = 20.0;
const VESSEL_EVERY: u32 = 5;
const RADIUS_UM: f64 = 5.0;
const HAEMATOCRIT: f64 = 0.45;
const INLET_MMHG: f64 = 25.0;
const OUTLET_MMHG: f64 = 15.0;
/// Fraction of the layout's vessel sites removed, unless `VESSEL_FLOW_REMOVED` says.
const REMOVED: f64 = 0.1;
/// Key and stream of the removal draws (any fixed pair; not a scene's).
const KEY: u32 = rng::setup_key(15);
const STREAM: u32 = 0x0f10;

struct Case {
    label: String,
    grid: Grid,
    is_vessel: Vec<bool>,
    vessel_sites: usize,
}

fn case(n: u32, three_d: bool, removed: f64) -> Case {
    let grid = Grid {
        nx: n,
        ny: n,
        nz: if three_d { n } else { 1 },
        moore: false,
    };
    let on = |c: u32| u32::from(c % VESSEL_EVERY == VESSEL_EVERY / 2);
    let cut = rng::threshold(removed);
    let is_vessel: Vec<bool> = (0..grid.sites() as u32)
        .map(|i| {
            let [x, y, z] = grid.coords(i);
            let layout = if three_d {
                on(x) + on(y) + on(z) >= 2
            } else {
                on(x) + on(y) >= 1
            };
            layout && rng::draw(KEY, i, STREAM) >= cut
        })
        .collect();
    let vessel_sites = is_vessel.iter().filter(|&&v| v).count();
    let label = if three_d {
        format!("3d-{n}")
    } else {
        format!("2d-{n}")
    };
    Case {
        label,
        grid,
        is_vessel,
        vessel_sites,
    }
}

fn extract(case: &Case) -> LatticeVessels {
    let grid = case.grid;
    let boundary = move |i: u32| match grid.coords(i)[0] {
        0 => Some(INLET_MMHG),
        x if x == grid.nx - 1 => Some(OUTLET_MMHG),
        _ => None,
    };
    extract_network(
        &case.grid,
        &case.is_vessel,
        SITE_UM,
        RADIUS_UM,
        HAEMATOCRIT,
        &boundary,
    )
    .expect("extract_network")
}

fn flow(vessels: &LatticeVessels, settings: &SolverSettings) -> FlowSolution {
    solve(&vessels.network, settings).expect("solve")
}

/// A tolerance CG meets before its first iteration: `solve` without the iterations.
const SETUP_ONLY: SolverSettings = SolverSettings {
    relative_tolerance: 1.0,
    max_iterations: None,
};

/// Free nodes touching a segment that carries flow: the CG unknowns (pruned dead ends
/// and components without a boundary carry exactly 0), up to any solved segment whose
/// flow comes out exactly 0.
fn flowing_free_nodes(vessels: &LatticeVessels, sol: &FlowSolution) -> usize {
    let net = &vessels.network;
    let mut flowing = vec![false; net.nodes.len()];
    for (seg, q) in net.segments.iter().zip(&sol.flow_m3_per_s) {
        if *q != 0.0 {
            flowing[seg.node_a] = true;
            flowing[seg.node_b] = true;
        }
    }
    net.nodes
        .iter()
        .zip(&flowing)
        .filter(|(n, &f)| f && n.fixed_pressure_mmhg.is_none())
        .count()
}

/// Builds and solves the case once, timed with `Instant`, and prints its sizes.
fn describe(case: &Case) {
    let t0 = Instant::now();
    let vessels = extract(case);
    let t_extract = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let sol = flow(&vessels, &SolverSettings::default());
    let t_solve = t1.elapsed().as_secs_f64();
    let net = &vessels.network;
    let fixed = net
        .nodes
        .iter()
        .filter(|n| n.fixed_pressure_mmhg.is_some())
        .count();
    let inflow: f64 = net
        .nodes
        .iter()
        .zip(&sol.kirchhoff_residual_m3_per_s)
        .filter(|(n, _)| n.fixed_pressure_mmhg == Some(INLET_MMHG))
        .map(|(_, q)| q)
        .sum();
    eprintln!(
        "{}: {} sites, {} vessel sites, {} nodes ({} boundary), {} segments, \
         {} CG unknowns; CG {} iterations, relative residual {:.2e}; \
         inflow {:.3e} m³/s; once: extract {:.1} ms, solve {:.1} ms",
        case.label,
        case.grid.sites(),
        case.vessel_sites,
        net.nodes.len(),
        fixed,
        net.segments.len(),
        flowing_free_nodes(&vessels, &sol),
        sol.iterations,
        sol.relative_residual,
        inflow,
        t_extract * 1e3,
        t_solve * 1e3,
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let removed = std::env::var("VESSEL_FLOW_REMOVED").map_or(REMOVED, |v| {
        v.parse().expect("VESSEL_FLOW_REMOVED: a fraction")
    });
    eprintln!(
        "{:.0} % of the layout's vessel sites removed",
        removed * 100.0
    );
    let cases: Vec<Case> = [128, 256, 512, 1024]
        .map(|n| (n, false))
        .into_iter()
        .chain([64, 128, 256].map(|n| (n, true)))
        .map(|(n, three_d)| case(n, three_d, removed))
        .collect();
    for case in &cases {
        describe(case);
    }
    for case in &cases {
        // Above 100k vessel sites (2d-1024, 3d-128, 3d-256) one iteration takes 30 ms
        // to 1 s: ten samples and a short measurement time.
        let big = case.vessel_sites > 100_000;
        let configure = |group: &mut criterion::BenchmarkGroup<_>| {
            group.sampling_mode(SamplingMode::Flat);
            if big {
                group
                    .sample_size(10)
                    .warm_up_time(Duration::from_secs(1))
                    .measurement_time(Duration::from_secs(5));
            } else {
                group
                    .sample_size(20)
                    .warm_up_time(Duration::from_secs(1))
                    .measurement_time(Duration::from_secs(3));
            }
        };
        let mut group = c.benchmark_group("vessel_flow_extract");
        configure(&mut group);
        group.bench_function(&case.label, |b| b.iter(|| black_box(extract(case))));
        group.finish();

        let vessels = extract(case);
        for (name, settings) in [
            ("vessel_flow_solve", SolverSettings::default()),
            ("vessel_flow_setup", SETUP_ONLY),
        ] {
            let mut group = c.benchmark_group(name);
            configure(&mut group);
            group.bench_function(&case.label, |b| {
                b.iter(|| black_box(flow(&vessels, &settings)))
            });
            group.finish();
        }
    }
    c.final_summary();
}
