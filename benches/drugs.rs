//! The tick's cost with 0, 1 and 4 drug fields (issue: treatment). Each drug is one
//! more quasi-steady field solved every tick plus its share of the cells pass (PD
//! lookup, exposure counter), so each should add about what the oxygen solve costs
//! per sweep, in proportion to the sweeps its field needs.
//!
//! A 2D 256² lattice with a grown tumour among 2 % random vessels; drugs are dosed at a
//! constant plasma level (1 µM) so their fields stay live. Throughput counts sites.
//! CPU backend on every core, and the GPU backend when an adapter exists.
//!
//! Run: `cargo bench --bench drugs`.

use criterion::{Criterion, SamplingMode, Throughput};
use oncolattice::engine::cpu::CpuBackend;
use oncolattice::engine::gpu::{GpuBackend, GpuContext};
use oncolattice::engine::{Backend, Simulation};
use oncolattice::scene::Scene;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn scene(n_drugs: usize) -> Scene {
    let mut text = String::from(
        // Every tick reports, so waiting for the report waits for the device.
        "seed = 3\n[lattice]\nnx = 256\nny = 256\n[time]\nreport_every_h = 1.0\n\
         [tumour]\nradius_um = 800.0\n\
         [vessels]\nlayout = \"random\"\ndensity = 0.02\n",
    );
    let classes = ["cycle_specific", "targeted", "nonspecific", "cytostatic"];
    for (d, class) in classes.iter().enumerate().take(n_drugs) {
        text.push_str(&format!(
            "[[drugs]]\nname = \"d{d}\"\nclass = \"{class}\"\nemax_per_h = 0.01\nic50_um = 10.0\n"
        ));
    }
    Scene::parse(&text, Path::new("bench-drugs.toml")).expect("bench scene")
}

fn simulation(scene: &Scene, backend: Box<dyn Backend>) -> Simulation {
    let mut sim = Simulation::new(scene.clone(), backend).expect("simulation");
    sim.set_plasma_um(&vec![1.0; scene.drugs.len()]);
    for _ in 0..12 {
        sim.step().expect("tick");
        sim.poll(true).expect("poll");
    }
    sim
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let gpu = GpuContext::new(true).ok().map(Arc::new);
    match &gpu {
        Some(ctx) => eprintln!("GPU adapter: {}", ctx.describe()),
        None => eprintln!("GPU benchmarks skipped: no adapter"),
    }
    for n_drugs in [0usize, 1, 4] {
        let scene = scene(n_drugs);
        let mut group = c.benchmark_group("tick_drugs");
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
            .throughput(Throughput::Elements(scene.site_count()));
        let mut backends: Vec<(&str, Box<dyn Backend>)> =
            vec![("cpu", Box::new(CpuBackend::new()))];
        if let Some(ctx) = &gpu {
            match GpuBackend::new(ctx.clone(), &scene) {
                Ok(b) => backends.push(("gpu", Box::new(b))),
                Err(e) => eprintln!("GPU skipped: {e}"),
            }
        }
        for (name, backend) in backends {
            let mut sim = simulation(&scene, backend);
            group.bench_function(format!("{name}/{n_drugs}-drugs"), |b| {
                b.iter(|| {
                    sim.step().expect("tick");
                    sim.poll(true).expect("poll")
                })
            });
        }
        group.finish();
    }
    c.final_summary();
}
