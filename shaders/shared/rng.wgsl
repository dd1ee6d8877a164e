// Counter-based RNG: a stateless hash of (seed, tick, site, stream).
// Keep in sync with src/model/rng.rs (tests/rng_contract.rs checks the bits).

// One round of Chris Wellons' lowbias32.
fn mix(v: u32) -> u32 {
    var x = v;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

// 32 random bits for one site and stream; `key` is rng::tick_key(seed, tick) from the host.
fn draw(key: u32, site: u32, stream: u32) -> u32 {
    return mix(mix(key ^ site) + ((stream * 0x9e3779b9u) ^ 0x68e31da4u));
}

// The key of immune substep m of the tick with key `tick_key` (twin of rng::substep_key).
fn substep_key(tick_key: u32, m: u32) -> u32 {
    return mix(tick_key ^ mix(0x1f83d9abu + m));
}

// This cycle's length in ticks (integer arithmetic; twin of model::params::cycle_len).
fn cycle_len_from(key: u32, site: u32, mean_fx8: i32, sd_coef: i32) -> u32 {
    let a = draw(key, site, STREAM_CYCLE_A);
    let b = draw(key, site, STREAM_CYCLE_B);
    let s = (a & 0xffffu) + (a >> 16u) + (b & 0xffffu) + (b >> 16u);
    let centred = (i32(s) - 131070) >> 4u;
    let len_fx8 = mean_fx8 + ((centred * sd_coef) >> 8u);
    return min(u32(max((len_fx8 + 128) >> 8u, 1)), 0xffffu);
}
