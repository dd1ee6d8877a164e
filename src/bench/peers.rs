//! The two peer workloads, so users can compare tools on the same work:
//! (a) `peer-75`: a 3D tumour of ~18,600 cells in a 75³ lattice with oxygen and one
//! more field, reported as wall seconds per simulated hour; (b) `peer-competitive`:
//! three arms (no drug, continuous, pulsed a week on / a week off) of a
//! sensitive/resistant competitive-release model on a 100² lattice for 10,000 two-hour
//! ticks, reported as total wall seconds. Drug levels are set directly (no PK).

use super::BenchError;
use crate::engine::{create_backend, BackendChoice, Simulation};
use crate::model::counters::Counter;
use crate::scene::Scene;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

const PEER_75: &str = include_str!("../../scenes/bench/peer-75.toml");
const PEER_COMPETITIVE: &str = include_str!("../../scenes/bench/peer-competitive.toml");

/// Pulsed arm: drug on this many days, then off as many.
const PULSE_DAYS: f64 = 7.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerRun {
    pub workload: String,
    /// `none`, `continuous` or `pulsed` for the competitive-release arms.
    pub arm: Option<String>,
    pub backend: String,
    pub ticks: u64,
    pub simulated_h: f64,
    pub wall_s: f64,
    pub wall_s_per_simulated_h: f64,
    pub initial_live: u32,
    pub final_live: u32,
    /// Live cells of the resistant clone (traits) at the end, competitive release only.
    pub final_resistant: Option<u32>,
}

fn scene(text: &str, name: &str) -> Result<Scene, BenchError> {
    Ok(Scene::parse(text, Path::new(name))?)
}

/// Runs `ticks` ticks (all when `None`) with plasma given per tick by `plasma`.
fn drive(
    scene: &Scene,
    backend: BackendChoice,
    ticks: Option<u64>,
    plasma: &dyn Fn(f64) -> f64,
) -> Result<PeerRun, BenchError> {
    let (backend, _) = create_backend(backend, scene)?;
    let mut sim = Simulation::new(scene.clone(), backend)?;
    let info = sim.backend_info();
    let initial = sim.report_now()?.census;
    let total = ticks.unwrap_or(sim.total_ticks()).min(sim.total_ticks());
    let tick_h = scene.time.tick_h;
    let start = Instant::now();
    for t in 0..total {
        sim.set_plasma_um(&vec![plasma(t as f64 * tick_h); scene.drugs.len()]);
        sim.step()?;
        sim.poll(false)?;
    }
    sim.poll(true)?;
    let wall_s = start.elapsed().as_secs_f64();
    let last = sim.report_now()?.census;
    let simulated_h = total as f64 * tick_h;
    Ok(PeerRun {
        workload: scene.name.clone(),
        arm: None,
        backend: format!("{} on {}", info.kind, info.device),
        ticks: total,
        simulated_h,
        wall_s,
        wall_s_per_simulated_h: wall_s / simulated_h.max(f64::MIN_POSITIVE),
        initial_live: initial.tumour_live(),
        final_live: last.tumour_live(),
        final_resistant: (scene.drugs.len() == 1 && !scene.clones.is_empty())
            .then_some(last.count(Counter::TraitSlowCycle)),
    })
}

/// Runs both workloads. `quick` shortens them (24 → 2 h; 10,000 → 100 ticks) for tests.
pub fn run_peers(
    backend: BackendChoice,
    quick: bool,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<PeerRun>, BenchError> {
    let mut out = Vec::new();
    let a = scene(PEER_75, "scenes/bench/peer-75.toml")?;
    log("peer-75: 75³ sites, ~18,600 tumour cells, oxygen + one field");
    let run = drive(&a, backend, quick.then_some(2), &|_| 1.0)?;
    out.push(run);
    let b = scene(PEER_COMPETITIVE, "scenes/bench/peer-competitive.toml")?;
    let arms: [(&str, &dyn Fn(f64) -> f64); 3] = [
        ("none", &|_| 0.0),
        ("continuous", &|_| 1.0),
        ("pulsed", &|t_h| {
            if (t_h / 24.0 / PULSE_DAYS) as u64 % 2 == 0 {
                1.0
            } else {
                0.0
            }
        }),
    ];
    for (arm, plasma) in arms {
        log(&format!(
            "peer-competitive: arm {arm}, 100², 10,000 ticks of 2 h"
        ));
        let mut run = drive(&b, backend, quick.then_some(100), plasma)?;
        run.arm = Some(arm.to_string());
        out.push(run);
    }
    Ok(out)
}

/// The peer table as text.
pub fn table(runs: &[PeerRun]) -> String {
    let mut s = String::from(
        "peer workload             backend                     ticks   sim h      wall s   wall s/sim h   live start → end (resistant)\n",
    );
    for r in runs {
        let name = match &r.arm {
            Some(arm) => format!("{} ({arm})", r.workload),
            None => r.workload.clone(),
        };
        let resistant = r
            .final_resistant
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        s.push_str(&format!(
            "{name:<25} {:<27} {:>6} {:>7.0} {:>11.3} {:>14.5}   {} → {}{resistant}\n",
            r.backend,
            r.ticks,
            r.simulated_h,
            r.wall_s,
            r.wall_s_per_simulated_h,
            r.initial_live,
            r.final_live
        ));
    }
    s
}
