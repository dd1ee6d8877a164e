// Test kernel: writes draw(), cycle_len_from() and substep_key() (with the site as the
// substep) for consecutive sites so the RNG
// contract can be checked against src/model/rng.rs bit for bit (tests/rng_contract.rs).

#import rng

struct Probe {
    key: u32,
    stream: u32,
    cycle_mean_fx8: i32,
    cycle_sd_coef: i32,
    count: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> probe: Probe;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn rng_probe(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if i >= probe.count {
        return;
    }
    out[3u * i] = draw(probe.key, i, probe.stream);
    out[3u * i + 1u] = cycle_len_from(probe.key, i, probe.cycle_mean_fx8, probe.cycle_sd_coef);
    out[3u * i + 2u] = substep_key(probe.key, i);
}
