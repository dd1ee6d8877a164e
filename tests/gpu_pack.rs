//! Many scenes per GPU (DESIGN.md, "Many scenes per device"): scenes packed into one
//! pack advance in the same dispatches, and each packed scene gives bit for bit what
//! it gives alone on the GPU — every report, every scan, the final state and lineage —
//! for scenes that differ in seed, parameters and therapy; a scene of a pack that
//! fails (a non-finite field) fails alone, and the others go on as they would alone.
//! On lavapipe in CI; fails, never skips, without an adapter.

mod gpu_common;

use gpu_common::{context, scene};
use oncolattice::engine::gpu::{pack_key, GpuBackend, GpuPack};
use oncolattice::engine::{Backend, EngineError, HostState, Simulation, TickReport};
use oncolattice::model::site::Kind;
use oncolattice::scene::Scene;
use std::path::Path;

/// A small treated tumour: oral targeted drug, scans every day (census on the device
/// mid-run), mutation to resistance on (clone_assign), report every 6 h.
fn treated(seed: u64, apoptosis_per_h: f64, dose_mg: f64) -> Scene {
    scene(&format!(
        r#"
name = "pack-{seed}"
seed = {seed}
[lattice]
nx = 36
ny = 36
[time]
duration_days = 3
report_every_h = 6.0
[cells]
apoptosis_per_h = {apoptosis_per_h}
[tumour]
radius_um = 160.0
[vessels]
layout = "random"
density = 0.03
[resistance]
target_mutation_per_division = 0.2
[oxygen]
max_sweeps_per_tick = 60
[[drugs]]
name = "tki"
class = "targeted"
emax_per_h = 0.2
ic50_um = 0.05
[drugs.pk]
molecular_weight_g_per_mol = 393.4
clearance_l_per_h = 4.0
central_volume_l = 230.0
absorption_per_h = 0.95
bioavailability = 0.6
[[clones]]
fraction = 1.0
[therapy]
scan_every_days = 1.0
[[therapy.lines]]
name = "tki daily"
[[therapy.lines.doses]]
drug = "tki"
route = {{ kind = "oral" }}
dose = {{ amount_mg = {dose_mg} }}
interval_days = 1.0
"#
    ))
}

/// Everything a run yields that its outputs are made of.
#[derive(Debug, PartialEq)]
struct Outcome {
    reports: Vec<TickReport>,
    state: HostState,
    /// The plasma levels and scans of every tick (what the protocol saw).
    therapy: String,
}

fn drive(scene: Scene, backend: Box<dyn Backend>) -> Result<Outcome, EngineError> {
    let mut sim = Simulation::new(scene, backend)?;
    let mut reports = vec![sim.report_now()?];
    while !sim.is_done() {
        sim.step()?;
        reports.extend(sim.poll(false)?);
    }
    reports.extend(sim.poll(true)?);
    let therapy = format!("{:?}", sim.therapy_log());
    Ok(Outcome {
        reports,
        state: sim.state()?,
        therapy,
    })
}

fn alone(scene: &Scene) -> Outcome {
    let backend = GpuBackend::new(context(), scene).expect("GPU backend");
    drive(scene.clone(), Box::new(backend)).expect("a lone run")
}

/// Runs every scene in one pack, each on its own thread as a batch does.
fn packed(scenes: &[Scene]) -> Vec<Result<Outcome, EngineError>> {
    let lanes = GpuPack::lanes(context(), &scenes[0], scenes.len()).expect("a pack");
    std::thread::scope(|s| {
        let handles: Vec<_> = scenes
            .iter()
            .zip(lanes)
            .map(|(scene, lane)| s.spawn(move || drive(scene.clone(), Box::new(lane))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    })
}

#[test]
fn packed_scenes_give_what_each_gives_alone() {
    let scenes = [
        treated(1, 0.00319, 150.0),
        treated(2, 0.00319, 150.0),
        // Other parameters and another therapy (dose) in the same pack.
        treated(3, 0.02, 150.0),
        treated(4, 0.00319, 600.0),
    ];
    let key = pack_key(&scenes[0]);
    assert!(scenes.iter().all(|s| pack_key(s) == key));
    let together = packed(&scenes);
    for (scene, got) in scenes.iter().zip(together) {
        let got = got.expect("a packed run");
        let want = alone(scene);
        assert_eq!(got.reports.len(), want.reports.len(), "{}", scene.name);
        for (g, w) in got.reports.iter().zip(&want.reports) {
            assert_eq!(g, w, "{}: report at tick {}", scene.name, w.tick);
        }
        assert_eq!(got.therapy, want.therapy, "{}: therapy", scene.name);
        assert!(
            got.state == want.state,
            "{}: final state differs",
            scene.name
        );
    }
    // The scenes really differ, so the comparison above is not of four copies.
    let alive = |s: &Scene| alone(s).reports.last().unwrap().census.counts[0];
    let counts: Vec<u32> = scenes.iter().map(alive).collect();
    assert!(counts.windows(2).any(|w| w[0] != w[1]), "{counts:?}");
    // Mutation happened (clone_assign ran in the pack).
    let last = alone(&scenes[3]);
    assert!(last.state.lineage.mutations > 0, "no mutant clone founded");
}

#[test]
fn a_failing_scene_of_a_pack_fails_alone() {
    let good = treated(5, 0.00319, 150.0);
    // The same drug without a protocol, so that its blood level is the caller's: after
    // a day it is set to infinity, and the drug's field becomes non-finite mid-run.
    let mut bad = treated(6, 0.00319, 150.0);
    bad.therapy = None;
    assert_eq!(pack_key(&bad), pack_key(&good));
    let mut lanes = GpuPack::lanes(context(), &good, 2)
        .expect("a pack")
        .into_iter();
    let (lane_good, lane_bad) = (lanes.next().unwrap(), lanes.next().unwrap());
    let (good_result, bad_result) = std::thread::scope(|s| {
        let g = s.spawn(|| drive(good.clone(), Box::new(lane_good)));
        let b = s.spawn(|| {
            let mut sim = Simulation::new(bad.clone(), Box::new(lane_bad))?;
            while !sim.is_done() {
                if sim.tick() == 24 {
                    sim.set_plasma_um(&[f64::INFINITY]);
                }
                sim.step()?;
            }
            Ok::<u64, EngineError>(sim.tick())
        });
        (g.join().unwrap(), b.join().unwrap())
    });
    assert!(
        matches!(bad_result, Err(EngineError::NonFinite { ref field, tick }) if field == "tki" && tick == 25),
        "{bad_result:?}"
    );
    let got = good_result.expect("the good scene of the pack");
    assert_eq!(got, alone(&good));
}

#[test]
fn a_scene_that_ends_early_leaves_the_others_running() {
    let mut short = treated(7, 0.00319, 150.0);
    short.time.duration_days = 1.0;
    let scenes = [treated(8, 0.00319, 150.0), short];
    for (scene, got) in scenes.iter().zip(packed(&scenes)) {
        assert_eq!(got.expect("a packed run"), alone(scene), "{}", scene.name);
    }
}

/// A small scene whose vessel network sprouts within its two days.
fn sprouting(seed: u64, sprout_max_per_min: f64) -> Scene {
    let text = format!(
        "name = \"sprouting-{seed}\"\nseed = {seed}\n[lattice]\nnx = 40\nny = 40\n[time]\n\
         duration_days = 2\nreport_every_h = 6\n[tumour]\nradius_um = 120.0\n[vessels]\n\
         layout = \"lines\"\naxis = \"x\"\nspacing_um = 400.0\n[[factors]]\nname = \"vegf\"\n\
         unit = \"nM\"\ndiffusion_um2_per_min = 1400.0\ndecay_per_min = 0.0116\n\
         [[factors.sources]]\nkind = \"tumour\"\nstate = \"hypoxic\"\nsecretion_per_min = 0.2\n\
         [vasculature]\nvegf = \"vegf\"\nsprout_max_per_min = {sprout_max_per_min}\n\
         tip_speed_um_per_h = 20.0\n"
    );
    Scene::parse(&text, Path::new("sprouting.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Each lane's network update downloads, changes and uploads its own scene only.
#[test]
fn packed_scenes_with_living_networks_give_what_each_gives_alone() {
    let scenes = [sprouting(1, 0.01), sprouting(2, 0.01), sprouting(3, 0.002)];
    let together = packed(&scenes);
    let mut tips = Vec::new();
    for (scene, got) in scenes.iter().zip(together) {
        let got = got.expect("a packed run");
        let want = alone(scene);
        assert_eq!(got.reports, want.reports, "{}: reports", scene.name);
        assert!(got.state == want.state, "{}: final state", scene.name);
        let kind = |k: Kind| want.state.sites.iter().filter(|s| s.kind() == k).count();
        tips.push((kind(Kind::VesselTip), kind(Kind::Vessel)));
    }
    // The networks grew, and differently.
    assert!(tips.iter().all(|&(_, v)| v > 80), "{tips:?}");
    assert!(tips.windows(2).any(|w| w[0] != w[1]), "{tips:?}");
}
