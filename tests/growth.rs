//! Tumour growth on the CPU backend against the classic regimes: exponential growth
//! with the cycle time when nothing limits it, linear radial growth when only the rim
//! can divide (contact inhibition), and a necrotic core with a live rim once a
//! spheroid outgrows the diffusion limit of oxygen.

mod common_numerics;

use common_numerics::{empty_state, grid, line_fit, run_cpu_from, scene};
use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::Simulation;
use oncolattice::model::counters::Counter;
use oncolattice::model::site::{Kind, Site};

/// Oxygen that never limits: no cell is ever below the hypoxic or anoxic threshold
/// (both 0 mmHg, and the field is never negative), no uptake, and a one-sweep solve
/// that meets its tolerance at once.
const NO_OXYGEN_LIMIT: &str = "
[vessels]
layout = \"none\"
[oxygen]
uptake_mmhg_per_min = 0.0
tolerance_mmhg = 1000.0
max_sweeps_per_tick = 1
[cells]
cycle_mean_h = 20.0
cycle_sd_h = 2.0
hypoxic_mmhg = 0.0
anoxic_mmhg = 0.0
apoptosis_per_h = 0.0
";

#[test]
fn unconstrained_growth_doubles_every_cycle() {
    // 216 seeds 8 sites apart in a 48³ Moore lattice. Over 4 cycles each grows to a
    // cluster of ~16 cells spanning < 4 sites, so every cell keeps free neighbours
    // among its 26 and divides as soon as its cycle ends: a cycle lasts exactly its
    // drawn length in ticks, mean 20 h. The seeds' phases are spread over the cycle.
    let s = scene(&format!(
        "seed = 11
[lattice]
nx = 48
ny = 48
nz = 48
[time]
duration_days = {}
report_every_h = 4.0
[tumour]
cell_count = 1
{NO_OXYGEN_LIMIT}",
        80.0 / 24.0
    ));
    let g = grid(&s);
    let mut state = empty_state(&s);
    let mut seeds = 0u16;
    for z in (4..48).step_by(8) {
        for y in (4..48).step_by(8) {
            for x in (4..48).step_by(8) {
                let phase = (seeds * 7) % 20;
                state.sites[g.index(x, y, z) as usize] = Site::tumour(0, phase, 20);
                seeds += 1;
            }
        }
    }
    let (rows, _) = run_cpu_from(&s, state);
    let t: Vec<f64> = rows.iter().map(|r| r.tick as f64 * s.time.tick_h).collect();
    let log2n: Vec<f64> = rows
        .iter()
        .map(|r| (r.census.tumour_live() as f64).log2())
        .collect();
    let fit = line_fit(&t, &log2n);
    let doubling_h = 1.0 / fit.slope;
    let last = rows.last().unwrap().census;
    eprintln!(
        "unconstrained: {seeds} seeds -> {} cells in {} h; doubling time {doubling_h:.2} h \
         (cycle mean {} h), R² of log2 N {:.4}",
        last.tumour_live(),
        t.last().unwrap(),
        s.cells.cycle_mean_h,
        fit.r2
    );
    assert_eq!(last.count(Counter::Necrotic), 0);
    assert_eq!(last.count(Counter::Quiescent), 0);
    assert!(
        (doubling_h / s.cells.cycle_mean_h - 1.0).abs() < 0.10,
        "doubling time {doubling_h:.2} h vs cycle {} h",
        s.cells.cycle_mean_h
    );
    assert!(fit.r2 > 0.99, "log-linear R² {}", fit.r2);
}

#[test]
fn crowded_2d_tumour_radius_grows_linearly() {
    // A disc of radius 5 sites in a 201² Moore lattice; only cells with a free
    // neighbour can divide, so growth happens at the rim and the radius advances at a
    // constant speed while the cell count grows quadratically.
    let s = scene(&format!(
        "seed = 12
[lattice]
nx = 201
ny = 201
[time]
duration_days = 20.0
report_every_h = 12.0
[tumour]
radius_um = 100.0
{NO_OXYGEN_LIMIT}"
    ));
    let mut sim = Simulation::new(s.clone(), Box::new(CpuBackend::new())).expect("simulation");
    let rows = common_numerics::run_to_end(&mut sim);
    let h = s.lattice.site_size_um;
    let t: Vec<f64> = rows.iter().map(|r| r.tick as f64 * s.time.tick_h).collect();
    let radius: Vec<f64> = rows
        .iter()
        .map(|r| r.census.equivalent_radius_um(h, false) / h)
        .collect();
    for (ti, ri) in t.iter().zip(&radius).step_by(4) {
        eprint!("t={ti} R={ri:.2}  ");
    }
    eprintln!();
    let last = rows.last().unwrap().census;
    // The tumour must stay clear of the lattice edge.
    assert!(
        (0..2).all(|a| last.min[a] > 2 && last.max[a] + 3 < s.lattice.nx),
        "{last:?}"
    );

    // Fit the later half, once the rim dominates.
    let half = rows.len() / 2;
    let (tl, rl) = (&t[half..], &radius[half..]);
    let lin = line_fit(tl, rl);
    let ln_r: Vec<f64> = rl.iter().map(|r| r.ln()).collect();
    let exp = line_fit(tl, &ln_r);
    let exp_rss: f64 = tl
        .iter()
        .zip(rl)
        .map(|(ti, ri)| (ri - (exp.intercept + exp.slope * ti).exp()).powi(2))
        .sum();
    let q = tl.len() / 2;
    let first = line_fit(&tl[..=q], &rl[..=q]);
    let second = line_fit(&tl[q..], &rl[q..]);
    eprintln!(
        "crowded 2D: R {:.1} -> {:.1} sites; linear fit {:.4} sites/h, R² {:.5}, RSS {:.4}; \
         exponential fit RSS {:.4}; slopes of the halves {:.4} and {:.4} sites/h",
        rl[0],
        rl[rl.len() - 1],
        lin.slope,
        lin.r2,
        lin.rss,
        exp_rss,
        first.slope,
        second.slope
    );
    assert!(lin.r2 > 0.98, "linear R² {}", lin.r2);
    assert!(
        lin.rss < exp_rss,
        "exponential fits better: {exp_rss} vs {}",
        lin.rss
    );
    assert!(
        (second.slope / first.slope - 1.0).abs() < 0.25,
        "radial speed changed: {} then {} sites/h",
        first.slope,
        second.slope
    );
}

#[test]
fn spheroid_past_the_diffusion_limit_has_a_necrotic_core_and_live_rim() {
    // 41³, no vessels, the lattice boundary held at 40 mmHg, default uptake (Vmax 900
    // mmHg/min, Km 1 mmHg) and no host consumption, so oxygen reaches the tumour's
    // surface at 20–30 mmHg. With uniform uptake a ball's centre runs dry once its
    // radius passes √(6·c_surface·D/Vmax) ≈ 120 µm: the initial ball (100 µm) is not
    // hypoxic; as it grows, cells in its centre turn quiescent, then anoxic, and die
    // by necrosis after 12 h, while the rim keeps oxygen and lives. Default apoptosis
    // leaves holes inside; the rim is what touches the outside.
    let s = scene(
        "seed = 13
[lattice]
nx = 41
ny = 41
nz = 41
[time]
duration_days = 5.0
report_every_h = 12.0
[tumour]
radius_um = 100.0
[vessels]
layout = \"none\"
[oxygen]
boundary_mmhg = 40.0
decay_per_min = 0.0
",
    );
    let mut sim = Simulation::new(s.clone(), Box::new(CpuBackend::new())).expect("simulation");
    let rows = common_numerics::run_to_end(&mut sim);
    for r in &rows {
        let c = r.census;
        eprintln!(
            "t={} live {} quiescent {} hypoxic {} necrotic {} sweeps {}",
            r.tick,
            c.tumour_live(),
            c.count(Counter::Quiescent),
            c.count(Counter::Hypoxic),
            c.count(Counter::Necrotic),
            r.solve.sweeps
        );
    }
    let state = sim.state().expect("state");
    let g = grid(&s);

    // Centre of mass of the tumour (live and necrotic).
    let mut sum = [0.0f64; 3];
    let mut n = 0usize;
    for (i, site) in state.sites.iter().enumerate() {
        if matches!(site.kind(), Kind::Tumour | Kind::Necrotic) {
            let c = g.coords(i as u32);
            for a in 0..3 {
                sum[a] += c[a] as f64;
            }
            n += 1;
        }
    }
    let centre = sum.map(|v| v / n as f64);

    // The core: sites within 2 sites of the centre. The rim: tumour sites that touch
    // the empty space outside the tumour (face-connected to the lattice edge), not the
    // holes that apoptosis leaves inside it.
    let outside = exterior(&g, &state.sites);
    let (mut core, mut core_necrotic) = (0, 0);
    let (mut rim, mut rim_live) = (0, 0);
    for (i, site) in state.sites.iter().enumerate() {
        let kind = site.kind();
        if !matches!(kind, Kind::Tumour | Kind::Necrotic) {
            continue;
        }
        let c = g.coords(i as u32);
        let d2: f64 = (0..3).map(|a| (c[a] as f64 - centre[a]).powi(2)).sum();
        if d2 <= 4.0 {
            core += 1;
            core_necrotic += (kind == Kind::Necrotic) as u32;
        }
        if FACES
            .iter()
            .any(|&d| g.neighbour(c, d).is_some_and(|j| outside[j as usize]))
        {
            rim += 1;
            rim_live += (kind == Kind::Tumour) as u32;
        }
    }
    let last = rows.last().unwrap().census;
    let rim_fraction = rim_live as f64 / rim as f64;
    eprintln!(
        "spheroid: {} live, {} necrotic; core {core_necrotic}/{core} necrotic; \
         rim {rim_live}/{rim} live ({:.1} %)",
        last.tumour_live(),
        last.count(Counter::Necrotic),
        rim_fraction * 100.0
    );
    assert_eq!(rows[0].census.count(Counter::Necrotic), 0);
    assert_eq!(rows[0].census.count(Counter::Hypoxic), 0);
    assert!(
        last.count(Counter::Necrotic) > 100,
        "necrotic {}",
        last.count(Counter::Necrotic)
    );
    assert!(
        core > 0 && core_necrotic == core,
        "core {core_necrotic}/{core} necrotic"
    );
    assert!(rim_fraction > 0.95, "rim live fraction {rim_fraction}");
    // The tumour must stay clear of the fixed boundary.
    assert!(
        (0..3).all(|a| last.min[a] > 2 && last.max[a] + 3 < s.lattice.nx),
        "{last:?}"
    );
}

const FACES: [[i32; 3]; 6] = [
    [1, 0, 0],
    [-1, 0, 0],
    [0, 1, 0],
    [0, -1, 0],
    [0, 0, 1],
    [0, 0, -1],
];

/// Empty sites face-connected to the lattice edge through empty sites.
fn exterior(g: &oncolattice::model::lattice::Grid, sites: &[Site]) -> Vec<bool> {
    let mut out = vec![false; sites.len()];
    let mut stack: Vec<u32> = (0..sites.len() as u32)
        .filter(|&i| {
            let c = g.coords(i);
            let edge = (0..3).any(|a| c[a] == 0)
                || c[0] + 1 == g.nx
                || c[1] + 1 == g.ny
                || c[2] + 1 == g.nz;
            edge && sites[i as usize].kind() == Kind::Empty
        })
        .collect();
    for &i in &stack {
        out[i as usize] = true;
    }
    while let Some(i) = stack.pop() {
        let c = g.coords(i);
        for d in FACES {
            if let Some(j) = g.neighbour(c, d) {
                if !out[j as usize] && sites[j as usize].kind() == Kind::Empty {
                    out[j as usize] = true;
                    stack.push(j);
                }
            }
        }
    }
    out
}
