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
pub const PEER_COMPETITIVE_SCENE: &str = include_str!("../../scenes/bench/peer-competitive.toml");

/// HAL's competitive-release schedule, in two-hour ticks: the drug starts on day 20
/// and is given in periods of 15 days, for 2 days of each (pulsed) or for 200 ticks —
/// longer than the period, so always but the first tick of each period (continuous).
const DRUG_START_TICKS: u64 = 240;
const DRUG_PERIOD_TICKS: u64 = 180;
const PULSED_DURATION_TICKS: u64 = 24;
const CONTINUOUS_DURATION_TICKS: u64 = 200;
/// The blood (and boundary) level while the drug is given, µM (HAL: 1).
const DRUG_LEVEL_UM: f64 = 1.0;
/// Ticks of a `--quick` competitive-release arm: 60 days, 40 of them under the drug.
pub const QUICK_TICKS: u64 = 720;

/// Whether the drug is given in tick `tick` of an arm giving it for `duration` ticks
/// per period, as HAL's `ModelStep` decides (strictly inside the period's start).
pub fn drug_given(tick: u64, duration: u64) -> bool {
    if tick < DRUG_START_TICKS {
        return false;
    }
    let phase = (tick - DRUG_START_TICKS) % DRUG_PERIOD_TICKS;
    phase > 0 && phase < duration
}

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
    /// Wall seconds of the whole batch the run was part of (competitive release: its
    /// three arms side by side).
    pub batch_wall_s: Option<f64>,
}

fn scene(text: &str, name: &str) -> Result<Scene, BenchError> {
    Ok(Scene::parse(text, Path::new(name))?)
}

/// Runs `ticks` ticks (all when `None`) with the plasma level of tick t `plasma(t)`.
fn drive(
    scene: &Scene,
    backend: BackendChoice,
    ticks: Option<u64>,
    plasma: &(dyn Fn(u64) -> f64 + Sync),
) -> Result<PeerRun, BenchError> {
    drive_seeded(scene, scene.seed, backend, ticks, plasma)
}

/// `drive` with the scene's seed replaced by `seed`.
pub fn drive_seeded(
    scene: &Scene,
    seed: u64,
    backend: BackendChoice,
    ticks: Option<u64>,
    plasma: &(dyn Fn(u64) -> f64 + Sync),
) -> Result<PeerRun, BenchError> {
    let (backend, _) = create_backend(backend, scene)?;
    drive_on(scene, seed, backend, ticks, plasma)
}

/// `drive_seeded` on a given backend (a lane of a GPU pack).
pub fn drive_on(
    scene: &Scene,
    seed: u64,
    backend: Box<dyn crate::engine::Backend>,
    ticks: Option<u64>,
    plasma: &(dyn Fn(u64) -> f64 + Sync),
) -> Result<PeerRun, BenchError> {
    let scene = &Scene {
        seed,
        ..scene.clone()
    };
    let mut sim = Simulation::new(scene.clone(), backend)?;
    let info = sim.backend_info();
    let initial = sim.report_now()?.census;
    let total = ticks.unwrap_or(sim.total_ticks()).min(sim.total_ticks());
    let tick_h = scene.time.tick_h;
    let start = Instant::now();
    for t in 0..total {
        sim.set_plasma_um(&vec![plasma(t); scene.drugs.len()]);
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
        batch_wall_s: None,
    })
}

/// Runs both workloads. `quick` shortens them (24 → 2 h; 10,000 → `QUICK_TICKS` ticks)
/// for tests.
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
    let b = scene(PEER_COMPETITIVE_SCENE, "scenes/bench/peer-competitive.toml")?;
    let ticks = quick.then_some(QUICK_TICKS);
    let arms: [(&str, u64); 3] = [
        ("none", 0),
        ("continuous", CONTINUOUS_DURATION_TICKS),
        ("pulsed", PULSED_DURATION_TICKS),
    ];
    // The arms run as one batch: side by side, one per core, on the CPU backend.
    let jobs = match backend {
        BackendChoice::Cpu => rayon::current_num_threads().min(arms.len()),
        _ => 1,
    };
    log(&format!(
        "peer-competitive: arms none, continuous, pulsed; 100², {} ticks of 2 h, {jobs} side by side",
        ticks.unwrap_or(10_000)
    ));
    let start = Instant::now();
    let runs: Vec<Result<PeerRun, BenchError>> = side_by_side(jobs, &arms, |&(arm, duration)| {
        let plasma = move |t: u64| {
            if drug_given(t, duration) {
                DRUG_LEVEL_UM
            } else {
                0.0
            }
        };
        let mut run = drive(&b, backend, ticks, &plasma)?;
        run.arm = Some(arm.to_string());
        Ok(run)
    });
    let batch_wall_s = start.elapsed().as_secs_f64();
    for run in runs {
        out.push(PeerRun {
            batch_wall_s: Some(batch_wall_s),
            ..run?
        });
    }
    Ok(out)
}

/// `work` on every item, `jobs` at a time on threads of their own (no thread pool:
/// each item's simulation runs its passes on its own thread); results in item order.
pub fn side_by_side<T: Sync, R: Send>(
    jobs: usize,
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(k) else { break };
                let r = work(item);
                *results[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item ran")
        })
        .collect()
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
    let arms: Vec<&PeerRun> = runs.iter().filter(|r| r.batch_wall_s.is_some()).collect();
    if let Some(first) = arms.first() {
        s.push_str(&format!(
            "{} arms of {} as one batch: {:.3} s wall in all\n",
            arms.len(),
            first.workload,
            first.batch_wall_s.unwrap_or_default()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_hals() {
        // Pulsed: from tick 240, periods of 180 ticks, on for phases 1..=23.
        let on: Vec<u64> = (0..700)
            .filter(|&t| drug_given(t, PULSED_DURATION_TICKS))
            .collect();
        let expected: Vec<u64> = (241..264).chain(421..444).chain(601..624).collect();
        assert_eq!(on, expected);
        // Continuous: every tick from 240 on but the first of each period.
        let off: Vec<u64> = (240..1000)
            .filter(|&t| !drug_given(t, CONTINUOUS_DURATION_TICKS))
            .collect();
        assert_eq!(off, [240, 420, 600, 780, 960]);
        assert!((0..240).all(|t| !drug_given(t, CONTINUOUS_DURATION_TICKS)));
        assert!((0..10_000).all(|t| !drug_given(t, 0)));
    }

    #[test]
    fn side_by_side_keeps_item_order_whatever_the_jobs() {
        let items: Vec<u64> = (0..7).collect();
        for jobs in [1, 2, 3, 9] {
            let out = side_by_side(jobs, &items, |&k| k * k);
            assert_eq!(out, [0, 1, 4, 9, 16, 25, 36]);
        }
    }
}
