//! The volume view on the GPU (WGSL `render_volume`) against its CPU path, and the
//! `VolumeParams` layout against naga's reflection of the shader. GPU tests fail, never
//! skip, without an adapter: CI installs Mesa's lavapipe.

mod render_common;

use image::RgbImage;
use oncolattice::engine::gpu::{shaders, GpuContext};
use oncolattice::engine::BackendChoice;
use oncolattice::output::render::volume::{self, VolumeParams};
use oncolattice::output::render::{self, palette, ColorMode, RenderOptions, View, VolumeDevice};
use render_common::*;

fn gpu() -> GpuContext {
    match GpuContext::new(true) {
        Ok(ctx) => {
            eprintln!("volume tests on {}", ctx.describe());
            ctx
        }
        Err(e) => {
            panic!("GPU tests need an adapter (install mesa-vulkan-drivers for lavapipe): {e}")
        }
    }
}

fn sites() -> (oncolattice::scene::Scene, Vec<u32>) {
    let s = lattice(32, 32, 32);
    let state = layered(&s, 11.0);
    let c = palette::Colouring::new(&s, &state, &ColorMode::Cells).unwrap();
    (s, volume::packed_sites(&c))
}

/// Compares two images: at most `max_bad` pixels may differ by more than `tol`.
fn assert_close(name: &str, cpu: &RgbImage, gpu: &RgbImage, tol: u8, max_bad: f64) {
    let (bad, diff) = compare(cpu, gpu, tol);
    let allowed = (max_bad * (cpu.width() * cpu.height()) as f64) as usize;
    if bad > allowed {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/golden-failures");
        std::fs::create_dir_all(&dir).unwrap();
        cpu.save(dir.join(format!("{name}.cpu.png"))).unwrap();
        gpu.save(dir.join(format!("{name}.gpu.png"))).unwrap();
        diff.save(dir.join(format!("{name}.diff.png"))).unwrap();
        panic!(
            "{name}: {bad} pixels differ by more than {tol} (allowed {allowed}); images in {}",
            dir.display()
        );
    }
}

#[test]
fn gpu_and_cpu_volume_views_agree() {
    let ctx = gpu();
    let (s, packed) = sites();
    let l = &s.lattice;
    // A non-square image whose size is not a multiple of the workgroup.
    let p = VolumeParams::new(l.nx, l.ny, l.nz, 150, 109).with_cutaway([16.0, 16.0, 16.0]);
    let cpu = volume::render_cpu(&p, &packed, &mut |_, _| {});
    let pipeline = oncolattice::output::render::volume_gpu::VolumePipeline::new(&ctx).unwrap();
    let gpu = pipeline.render(&ctx, &p, &packed).unwrap();
    assert_eq!(gpu.len(), cpu.len());
    let exact = cpu.iter().zip(&gpu).filter(|(a, b)| a == b).count();
    eprintln!("{exact} of {} pixels identical", cpu.len());
    let (ci, gi) = (volume::to_image(&p, &cpu), volume::to_image(&p, &gpu));
    assert_close("volume_gpu_vs_cpu", &ci, &gi, 3, 0.01);
    // Not trivially equal: the tumour is there.
    let bg = volume::BACKGROUND;
    let tumour = 1.0 - share_of(&gi, bg);
    assert!(
        tumour > 0.03 && tumour < 0.5,
        "{tumour} of the image shows tumour"
    );
}

#[test]
fn a_gpu_figure_matches_the_cpu_figure() {
    let (s, _) = sites();
    let state = layered(&s, 11.0);
    let inp = input(s, state, 48);
    let opts = RenderOptions {
        panels: vec![ColorMode::Cells, ColorMode::Clone],
        view: Some(View::Volume),
        size: Some((240, 120)),
        backend: BackendChoice::Gpu,
        cutaway: false,
    };
    let mut dev = VolumeDevice::with_context(gpu()).unwrap();
    let g = render::render(&inp, &opts, &mut dev, &mut |_, _| {}).unwrap();
    assert!(
        dev.note.as_deref().unwrap_or("").contains("GPU"),
        "{:?}",
        dev.note
    );
    let mut cpu_dev = VolumeDevice::new(BackendChoice::Cpu);
    let c = render::render(&inp, &opts, &mut cpu_dev, &mut |_, _| {}).unwrap();
    assert_close("volume_figure_gpu_vs_cpu", &c, &g, 3, 0.01);
}

#[test]
fn volume_params_match_the_wgsl_struct() {
    let (module, _) = match shaders::validated_module("render_volume") {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    };
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    let (handle, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some("VolumeParams"))
        .expect("struct VolumeParams in render_volume.wgsl");
    let naga::TypeInner::Struct { members, span } = &ty.inner else {
        panic!("VolumeParams is not a struct");
    };
    assert_eq!(*span as usize, std::mem::size_of::<VolumeParams>());
    assert_eq!(
        layouter[handle].size as usize,
        std::mem::size_of::<VolumeParams>()
    );
    let p = VolumeParams::new(1, 1, 1, 1, 1);
    let base = &p as *const VolumeParams as usize;
    let rust: Vec<(&str, usize)> = vec![
        ("width", &p.width as *const _ as usize - base),
        ("height", &p.height as *const _ as usize - base),
        ("nx", &p.nx as *const _ as usize - base),
        ("ny", &p.ny as *const _ as usize - base),
        ("nz", &p.nz as *const _ as usize - base),
        ("_pad0", &p._pad0 as *const _ as usize - base),
        ("_pad1", &p._pad1 as *const _ as usize - base),
        ("_pad2", &p._pad2 as *const _ as usize - base),
        ("origin", &p.origin as *const _ as usize - base),
        ("right", &p.right as *const _ as usize - base),
        ("down", &p.down as *const _ as usize - base),
        ("dir", &p.dir as *const _ as usize - base),
        ("light", &p.light as *const _ as usize - base),
        ("background", &p.background as *const _ as usize - base),
        ("cut", &p.cut as *const _ as usize - base),
        ("step", &p.step as *const _ as usize - base),
        ("ambient", &p.ambient as *const _ as usize - base),
        (
            "min_transmittance",
            &p.min_transmittance as *const _ as usize - base,
        ),
        ("_pad3", &p._pad3 as *const _ as usize - base),
    ];
    let wgsl: Vec<(&str, usize)> = members
        .iter()
        .map(|m| (m.name.as_deref().unwrap_or(""), m.offset as usize))
        .collect();
    assert_eq!(wgsl, rust);
}
