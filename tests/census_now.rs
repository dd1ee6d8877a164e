//! Scans count on the device: `census_now` on the GPU equals the CPU census of the
//! downloaded state, after ticks that moved cells, fields and clones.

mod gpu_common;

use gpu_common::{context, DRUGS};
use oncolattice::engine::cpu;
use oncolattice::engine::gpu::GpuBackend;
use oncolattice::engine::Simulation;
use oncolattice::model::params::{FieldParams, SimParams};
use oncolattice::scene::Scene;
use std::path::Path;

#[test]
fn the_device_census_equals_the_host_census_of_the_same_state() {
    let text = format!(
        "seed = 3\n[lattice]\nnx = 48\nny = 40\n[tumour]\nradius_um = 200.0\n\
         [resistance]\ntarget_mutation_per_division = 0.05\n{DRUGS}"
    );
    let scene = Scene::parse(&text, Path::new("census.toml")).unwrap_or_else(|e| panic!("{e}"));
    let gpu = GpuBackend::new(context(), &scene).expect("GPU backend");
    let mut sim = Simulation::new(scene.clone(), Box::new(gpu)).expect("simulation");
    for _ in 0..30 {
        sim.step().expect("tick");
    }
    sim.poll(true).expect("reports");
    let on_device = sim.report_now().expect("census").census;
    let state = sim.state().expect("download");
    let params = SimParams::from_scene(&scene).at_tick(scene.seed, 30);
    let fields = FieldParams::all(&scene, &[0.0; 3]);
    let on_host = cpu::census(
        &params,
        &fields,
        &state.sites,
        &state.fields,
        &state.lineage.header(),
    );
    assert_eq!(on_device, on_host);
    assert!(on_device.tumour_live() > 100, "{on_device:?}");
    assert!(on_device.clones > 1, "mutants were founded: {on_device:?}");
}
