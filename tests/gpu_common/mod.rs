//! Helpers shared by the GPU tests: one device per test binary, scenes from TOML,
//! and a small deterministic generator for random lattice states.
//!
//! GPU tests fail (never skip) when no adapter exists: CI installs Mesa's lavapipe.
//! `ONCOLATTICE_ADAPTER` / `WGPU_BACKEND` pick the adapter as for the program.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use oncolattice::engine::gpu::GpuContext;
use oncolattice::model::action::{self, Action};
use oncolattice::model::lattice::Grid;
use oncolattice::model::params::SimParams;
use oncolattice::model::site::{Kind, Site, IMMATURE_BIT, PERSISTER_BIT, QUIESCENT_BIT};
use oncolattice::scene::Scene;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The device all tests of one binary share (software adapters accepted).
pub fn context() -> Arc<GpuContext> {
    static CTX: OnceLock<Arc<GpuContext>> = OnceLock::new();
    CTX.get_or_init(|| match GpuContext::new(true) {
        Ok(ctx) => {
            eprintln!("GPU tests on {}", ctx.describe());
            Arc::new(ctx)
        }
        Err(e) => {
            panic!("GPU tests need an adapter (install mesa-vulkan-drivers for lavapipe): {e}")
        }
    })
    .clone()
}

/// A validated scene from TOML text.
pub fn scene(toml: &str) -> Scene {
    match Scene::parse(toml, Path::new("test-scene.toml")) {
        Ok(s) => s,
        Err(e) => panic!("test scene is invalid: {e}"),
    }
}

/// A small lattice scene: `nz = 1` is 2D.
pub fn lattice_scene(nx: u32, ny: u32, nz: u32, moore: bool, boundary: Option<f64>) -> Scene {
    let hood = if moore { "moore" } else { "von_neumann" };
    let boundary = boundary
        .map(|b| format!("boundary_mmhg = {b}\n"))
        .unwrap_or_default();
    scene(&format!(
        "seed = 11\n[lattice]\nnx = {nx}\nny = {ny}\nnz = {nz}\nneighbourhood = \"{hood}\"\n\
         [oxygen]\nmax_sweeps_per_tick = 8\n{boundary}{DRUGS}"
    ))
}

/// Three drugs covering the classes' code paths: a cycle-specific efflux substrate,
/// a targeted and a cytostatic drug (fields 1, 2 and 3).
pub const DRUGS: &str = "[[drugs]]\nname = \"taxane\"\nclass = \"cycle_specific\"\n\
    efflux_substrate = true\nemax_per_h = 0.3\nic50_um = 0.05\n\
    [[drugs]]\nname = \"tki\"\nclass = \"targeted\"\nemax_per_h = 0.2\nic50_um = 0.2\nhill = 2.0\n\
    [[drugs]]\nname = \"arrest\"\nclass = \"cytostatic\"\nemax_per_h = 0.5\nic50_um = 1.0\n";

/// Blood levels (µM) of the three test drugs.
pub const PLASMA_UM: [f64; 3] = [1.0, 0.5, 2.0];

/// Random drug levels for `n` sites and `drugs` drugs: log-uniform over five decades
/// around each IC50, with exact zeros and values right at the IC50.
pub fn random_drug_levels(r: &mut Rand, n: usize, ic50_um: &[f64]) -> Vec<f32> {
    ic50_um
        .iter()
        .flat_map(|&ic50| {
            (0..n)
                .map(|_| match r.below(10) {
                    0 => 0.0,
                    1 => ic50 as f32,
                    _ => (ic50 * 10f64.powf(r.f32_in(-2.5, 2.5) as f64)) as f32,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// SplitMix64: a tiny deterministic generator for test inputs.
pub struct Rand(pub u64);

impl Rand {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: u32) -> u32 {
        ((self.u32() as u64 * n as u64) >> 32) as u32
    }

    /// Uniform in [lo, hi).
    pub fn f32_in(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * (self.u32() >> 8) as f32 / (1u32 << 24) as f32
    }

    pub fn chance(&mut self, p: f64) -> bool {
        (self.u32() as f64) < p * 4_294_967_296.0
    }
}

/// Random sites: about 35 % empty, 40 % tumour (random clone — half of them below 10 —, progress, cycle length,
/// anoxic count, quiescence, traits), 10 % necrotic, 12 % vessel (random perfusion,
/// some zero; some immature), 3 % vessel tips.
pub fn random_sites(r: &mut Rand, n: usize, anoxic_ticks: u32) -> Vec<Site> {
    (0..n)
        .map(|_| {
            let roll = r.below(100);
            if roll < 35 {
                Site::EMPTY
            } else if roll < 75 {
                let len = 1 + r.below(30);
                // Many at or one short of the end of their cycle, so they wish to divide.
                let progress = match r.below(3) {
                    0 => len,
                    1 => len - 1,
                    _ => r.below(len + 1),
                };
                let quiescent = if r.chance(0.3) { QUIESCENT_BIT } else { 0 };
                let persister = if r.chance(0.2) { PERSISTER_BIT } else { 0 };
                // Half of them in the first ten clones, which the census counts by id.
                let clone = if r.chance(0.5) {
                    r.below(10)
                } else {
                    r.below(1 << 16)
                };
                Site {
                    w0: Kind::Tumour as u32 | quiescent | persister | (clone << 16),
                    w1: progress | (len << 16),
                    w2: r.below(anoxic_ticks.max(1) + 1) | (r.below(4) << 16),
                    w3: r.u32(),
                }
            } else if roll < 85 {
                Site {
                    w0: Kind::Necrotic as u32 | (r.below(1 << 16) << 16),
                    w1: 0,
                    w2: 0,
                    w3: r.u32(),
                }
            } else if roll < 97 {
                let perfusion = if r.chance(0.2) { 0 } else { r.below(65536) };
                // Some formed by sprouting: immature, with an age and low-shear time
                // that every kernel must carry through unchanged.
                let (immature, w3) = if r.chance(0.3) {
                    (IMMATURE_BIT, r.u32())
                } else {
                    (0, 0)
                };
                Site {
                    w0: Kind::Vessel as u32 | immature,
                    w1: perfusion,
                    // The uncompressed perfusion, from which compression starts.
                    w2: perfusion,
                    w3,
                }
            } else {
                // A sprout's tip (inert in the kernels): its stalk face and steps.
                Site {
                    w0: Kind::VesselTip as u32,
                    w1: r.below(6),
                    w2: r.below(1 << 16),
                    w3: 0,
                }
            }
        })
        .collect()
}

/// Random oxygen with many values at and around the anoxic and hypoxic thresholds.
pub fn random_oxygen(r: &mut Rand, n: usize, sim: &SimParams) -> Vec<f32> {
    let (anoxic, hypoxic) = (sim.anoxic_mmhg, sim.hypoxic_mmhg);
    (0..n)
        .map(|_| match r.below(8) {
            0 => anoxic,
            1 => hypoxic,
            2 => anoxic + r.f32_in(-0.05, 0.05),
            3 => hypoxic + r.f32_in(-0.05, 0.05),
            4 => r.f32_in(0.0, 1.0),
            5 => 0.0,
            _ => r.f32_in(0.0, 60.0),
        })
        .map(|c| c.max(0.0))
        .collect()
}

/// Random garbage, to prove a kernel writes every output it owns.
pub fn garbage_sites(r: &mut Rand, n: usize) -> Vec<Site> {
    (0..n)
        .map(|_| Site {
            w0: r.u32(),
            w1: r.u32(),
            w2: r.u32(),
            w3: r.u32(),
        })
        .collect()
}

/// None when equal, else how many elements differ and the first difference.
pub fn first_diff<T: PartialEq + std::fmt::Debug>(
    what: &str,
    cpu: &[T],
    gpu: &[T],
) -> Option<String> {
    assert_eq!(cpu.len(), gpu.len(), "{what}: lengths");
    let bad: Vec<usize> = (0..cpu.len()).filter(|&i| cpu[i] != gpu[i]).collect();
    bad.first().map(|&i| {
        format!(
            "{what}: {} of {} differ; first at {i}: cpu {:?} gpu {:?}",
            bad.len(),
            cpu.len(),
            cpu[i],
            gpu[i]
        )
    })
}

/// Wishes from random tumour sites to random empty neighbours (many conflicts).
pub fn random_wishes(r: &mut Rand, sim: &SimParams, src: &[Site]) -> Vec<u32> {
    let grid = Grid {
        nx: sim.nx,
        ny: sim.ny,
        nz: sim.nz,
        moore: sim.moore == 1,
    };
    let offsets = grid.cell_offsets();
    (0..src.len() as u32)
        .map(|i| {
            if src[i as usize].kind() != Kind::Tumour || !r.chance(0.7) {
                return 0;
            }
            let c = grid.coords(i);
            let free: Vec<[i32; 3]> = offsets
                .iter()
                .copied()
                .filter(|&d| {
                    grid.neighbour(c, d)
                        .is_some_and(|t| src[t as usize].kind() == Kind::Empty)
                })
                .collect();
            if free.is_empty() {
                0
            } else {
                action::wish(Action::Divide, free[r.below(free.len() as u32) as usize])
            }
        })
        .collect()
}

/// The site a wish of site `i` aims at (`None` for no wish or outside the lattice).
pub fn wish_target(sim: &SimParams, i: u32, w: u32) -> Option<u32> {
    let grid = Grid {
        nx: sim.nx,
        ny: sim.ny,
        nz: sim.nz,
        moore: sim.moore == 1,
    };
    let (_, d) = action::decode(w)?;
    grid.neighbour(grid.coords(i), d)
}
