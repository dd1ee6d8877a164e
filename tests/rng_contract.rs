//! The RNG contract: the WGSL `draw`, `cycle_len_from` and `substep_key`
//! (shaders/shared/rng.wgsl) return exactly the bits of src/model/rng.rs `draw` and
//! `substep_key` and src/model/params.rs `cycle_len`, for many keys, streams, sites and
//! substeps. Runs on the GPU (fails without one).

mod gpu_common;

use oncolattice::engine::gpu::probe::{run_rng_probe, Probe};
use oncolattice::model::params::{cycle_len, SimParams, CYCLE_NOISE_SD};
use oncolattice::model::rng::{self, stream};

const SITES: u32 = 4096;

fn sd_coef(sd_ticks: f64) -> i32 {
    (sd_ticks * 65536.0 / CYCLE_NOISE_SD).round() as i32
}

#[test]
fn gpu_draws_and_cycle_lengths_equal_the_cpu_bits() {
    let ctx = gpu_common::context();
    let keys = [
        0,
        1,
        u32::MAX,
        rng::tick_key(42, 0),
        rng::tick_key(42, 7),
        rng::tick_key(u64::MAX, 123_456),
        rng::setup_key(2024),
        rng::substep_key(rng::tick_key(42, 7), 3),
    ];
    let streams = [
        stream::APOPTOSIS,
        stream::TARGET,
        stream::PRIORITY,
        stream::CYCLE_A,
        stream::CYCLE_B,
        stream::PLACEMENT,
        stream::PERFUSION,
        stream::INITIAL_PHASE,
        stream::RECRUIT,
        stream::CONTACT,
        stream::KILL,
        stream::WALK_BIAS,
        stream::WALK_PICK,
        stream::EXPAND,
        0xdead_beef,
    ];
    // (mean in ticks ·256, sd coefficient): the default scene, a wide spread that clamps
    // at 1 tick, a long cycle near the 16-bit cap, and no spread at all.
    let cycles = [
        (20 * 256, sd_coef(2.0)),
        (256, sd_coef(40.0)),
        (65_000 * 256, sd_coef(300.0)),
        (12 * 256 + 77, 0),
    ];
    let mut checked = 0u64;
    for (k, &key) in keys.iter().enumerate() {
        for (s, &stream) in streams.iter().enumerate() {
            let (mean, sd) = cycles[(k + s) % cycles.len()];
            let probe = Probe {
                key,
                stream,
                cycle_mean_fx8: mean,
                cycle_sd_coef: sd,
                count: SITES,
                _pad: [0; 3],
            };
            let gpu = run_rng_probe(&ctx, &probe).expect("rng probe");
            assert_eq!(gpu.len(), SITES as usize);
            let params = SimParams {
                tick_key: key,
                cycle_mean_fx8: mean,
                cycle_sd_coef: sd,
                ..Default::default()
            };
            for (site, &[draw, len, substep]) in gpu.iter().enumerate() {
                let site = site as u32;
                assert_eq!(
                    draw,
                    rng::draw(key, site, stream),
                    "draw(key {key:#x}, site {site}, stream {stream})"
                );
                assert_eq!(
                    len,
                    cycle_len(&params, site),
                    "cycle_len(key {key:#x}, site {site}, mean {mean}, sd {sd})"
                );
                assert_eq!(
                    substep,
                    rng::substep_key(key, site),
                    "substep_key(key {key:#x}, substep {site})"
                );
                checked += 1;
            }
        }
    }
    // The clamps were reached, so they were compared too.
    let clamp_low = SimParams {
        tick_key: keys[0],
        cycle_mean_fx8: 256,
        cycle_sd_coef: sd_coef(40.0),
        ..Default::default()
    };
    assert!((0..SITES).any(|s| cycle_len(&clamp_low, s) == 1));
    eprintln!("rng contract: {checked} (draw, cycle_len) pairs identical");
}
