//! Seeds and draws that depend on what a run is, never on where it sits in a batch.
//!
//! `hash` is FNV-1a (64-bit) over the bytes of a text, finished with the SplitMix64
//! mixer; `mix` combines a seed with such a hash. Both are part of the batch format:
//! changing either reseeds every batch ever written, so they are frozen (the golden list
//! in tests/fixtures/batch/ checks them).

/// FNV-1a over `text`, then SplitMix64's finaliser.
pub fn hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    finalise(h)
}

fn finalise(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seed for `identity` under batch seed `seed`, below 2⁶³ so that a scene file can
/// hold it as a TOML integer.
pub fn derive(seed: u64, identity: &str) -> u64 {
    finalise(seed ^ hash(identity)) >> 1
}

/// A uniform draw in (0, 1) for `identity` under `seed` (53 bits, never 0 or 1).
pub fn uniform(seed: u64, identity: &str) -> f64 {
    let bits = finalise(seed.wrapping_add(0x9e37_79b9_7f4a_7c15) ^ hash(identity)) >> 11;
    (bits as f64 + 0.5) / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_values() {
        // FNV-1a of "" is its offset basis; these pin the whole chain.
        assert_eq!(hash(""), finalise(0xcbf2_9ce4_8422_2325));
        assert_eq!(derive(7, "p0/r0"), derive(7, "p0/r0"));
        assert_ne!(derive(7, "p0/r0"), derive(7, "p0/r1"));
        assert!(derive(u64::MAX, "x") < 1 << 63);
        let u = uniform(1, "a");
        assert!(u > 0.0 && u < 1.0);
        let mean: f64 = (0..10_000).map(|k| uniform(3, &k.to_string())).sum::<f64>() / 1e4;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
    }
}
