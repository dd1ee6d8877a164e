//! The counter-based RNG: a stateless hash of (seed, tick, site, stream) in integer
//! arithmetic. Keep in sync with shaders/shared/rng.wgsl — the WGSL twin must return
//! the same bits (tested in tests/rng_contract.rs).

/// One round of Chris Wellons' `lowbias32` integer hash.
#[inline]
pub const fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// The per-tick key, computed once per tick on the host and handed to the kernels.
#[inline]
pub const fn tick_key(seed: u64, tick: u32) -> u32 {
    let lo = seed as u32;
    let hi = (seed >> 32) as u32;
    mix(mix(lo ^ mix(hi ^ 0x85eb_ca6b)).wrapping_add(tick.wrapping_mul(0x9e37_79b9)))
}

/// Key used while building the initial lattice (not a tick of the run).
pub const fn setup_key(seed: u64) -> u32 {
    tick_key(seed, u32::MAX)
}

/// 32 random bits for one site and stream in the tick with key `key`.
#[inline]
pub const fn draw(key: u32, site: u32, stream: u32) -> u32 {
    mix(mix(key ^ site).wrapping_add(stream.wrapping_mul(0x9e37_79b9) ^ 0x68e3_1da4))
}

/// `out[j] = draw(key, first + j, stream)`: the draws of consecutive sites, made
/// together so that they vectorise — with AVX2 where the CPU has it (the same bits:
/// integer arithmetic throughout).
pub fn draws(key: u32, first: u32, stream: u32, out: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (tested just above).
        unsafe { draws_avx2(key, first, stream, out) };
        return;
    }
    draws_portable(key, first, stream, out);
}

#[inline(always)]
fn draws_portable(key: u32, first: u32, stream: u32, out: &mut [u32]) {
    for (j, d) in out.iter_mut().enumerate() {
        *d = draw(key, first.wrapping_add(j as u32), stream);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn draws_avx2(key: u32, first: u32, stream: u32, out: &mut [u32]) {
    draws_portable(key, first, stream, out);
}

/// Probability `p` as a 32-bit threshold: an event with probability p happens when
/// `draw(..) < threshold(p)`. Integer comparison keeps WGSL and Rust identical.
pub fn threshold(p: f64) -> u32 {
    if p <= 0.0 {
        0
    } else if p >= 1.0 {
        u32::MAX
    } else {
        (p * 4_294_967_296.0).floor() as u32
    }
}

/// Independent streams; each random decision in a tick uses its own.
pub mod stream {
    pub const APOPTOSIS: u32 = 0;
    pub const TARGET: u32 = 1;
    pub const PRIORITY: u32 = 2;
    pub const CYCLE_A: u32 = 3;
    pub const CYCLE_B: u32 = 4;
    pub const PERSISTER: u32 = 5;
    /// Drug d uses stream DRUG0 + d.
    pub const DRUG0: u32 = 8;
    /// Setup only.
    pub const PLACEMENT: u32 = 16;
    pub const PERFUSION: u32 = 17;
    pub const INITIAL_PHASE: u32 = 18;
    pub const CLONE: u32 = 19;
    /// Trait bit k of a daughter mutates with stream MUTATION0 + k (k < 8).
    pub const MUTATION0: u32 = 24;
    /// The immune system (`model::immune`): a perfused vessel recruits a T cell; a T
    /// cell picks the tumour neighbour it contacts, the contact kills or not, a move
    /// goes up the chemokine gradient or at random and picks its site, a kill starts a
    /// division.
    pub const RECRUIT: u32 = 32;
    pub const CONTACT: u32 = 33;
    pub const KILL: u32 = 34;
    pub const WALK_BIAS: u32 = 35;
    pub const WALK_PICK: u32 = 36;
    pub const EXPAND: u32 = 37;
    /// The vessel network's update (`model::vasculature`, host only, its own key).
    pub const SPROUT: u32 = 40;
    pub const TIP_STEP: u32 = 41;
    pub const TIP_PICK: u32 = 42;
    pub const REGRESS: u32 = 43;
    pub const TIP_RETRACT: u32 = 44;
}

/// The key of immune substep `m` of the tick with key `tick_key`: each substep's
/// draws (its moves and their priorities) are independent of the tick's and of the
/// other substeps'.
pub const fn substep_key(tick_key: u32, m: u32) -> u32 {
    mix(tick_key ^ mix(0x1f83_d9ab_u32.wrapping_add(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_matches_published_lowbias32_values() {
        // x = 0 is a fixed point; mix(1) computed independently (Python, same constants).
        assert_eq!(mix(0), 0);
        assert_eq!(mix(1), 0x6889_90c0);
    }

    #[test]
    fn threshold_edges() {
        assert_eq!(threshold(0.0), 0);
        assert_eq!(threshold(1.0), u32::MAX);
        assert_eq!(threshold(0.5), 1 << 31);
    }

    #[test]
    fn draws_are_roughly_uniform() {
        let key = tick_key(42, 7);
        let n = 200_000u32;
        let mut bins = [0u32; 16];
        for site in 0..n {
            bins[(draw(key, site, stream::TARGET) >> 28) as usize] += 1;
        }
        let expected = n as f64 / 16.0;
        let chi2: f64 = bins
            .iter()
            .map(|&b| (b as f64 - expected).powi(2) / expected)
            .sum();
        // 15 degrees of freedom: the 99.9 % quantile is 37.7.
        assert!(chi2 < 37.7, "chi2 = {chi2}");
    }

    #[test]
    fn block_draws_are_the_site_draws() {
        let key = tick_key(9, 3);
        for (first, len) in [
            (0u32, 0usize),
            (5, 1),
            (17, 63),
            (u32::MAX - 3, 8),
            (1000, 257),
        ] {
            let mut out = vec![0u32; len];
            draws(key, first, stream::APOPTOSIS, &mut out);
            let mut portable = vec![0u32; len];
            draws_portable(key, first, stream::APOPTOSIS, &mut portable);
            for (j, (&d, &p)) in out.iter().zip(&portable).enumerate() {
                let expected = draw(key, first.wrapping_add(j as u32), stream::APOPTOSIS);
                assert_eq!((d, p), (expected, expected), "site {first} + {j}");
            }
        }
    }

    #[test]
    fn streams_and_ticks_differ() {
        let a = draw(tick_key(1, 0), 5, stream::APOPTOSIS);
        assert_ne!(a, draw(tick_key(1, 0), 5, stream::TARGET));
        assert_ne!(a, draw(tick_key(1, 1), 5, stream::APOPTOSIS));
        assert_ne!(a, draw(tick_key(2, 0), 5, stream::APOPTOSIS));
        assert_ne!(tick_key(1, 0), tick_key(1 << 32, 0));
    }
}
