//! Pharmacodynamics: the Hill curve and its per-tick event probability as an integer
//! lookup table, so that WGSL and Rust take identical kill/arrest decisions.
//!
//! Rate of the drug's effect at intracellular concentration c (µM):
//! E(c) = Emax · cʰ / (IC50ʰ + cʰ) per hour; per-tick probability p = 1 − exp(−E·Δt).
//! The table is indexed by the top bits of c's IEEE-754 pattern (`pd_index`): 16 bins
//! per octave (4.4 % wide in c) over the whole positive f32 range, each holding the
//! 32-bit threshold of the probability at the bin's geometric centre. Keep in sync with
//! `pd_index` in shaders/shared/drugs.wgsl.

/// Bits dropped from an f32 pattern to form the table index (sign + exponent + 4
/// mantissa bits remain).
pub const PD_SHIFT: u32 = 19;
/// Entries of one drug's table: every non-negative f32 maps into it.
pub const PD_TABLE_LEN: usize = 1 << (31 - PD_SHIFT);

/// Table index of a concentration (negative and NaN count as 0; +inf as the last bin).
#[inline]
pub fn pd_index(c: f32) -> usize {
    let c = if c > 0.0 { c } else { 0.0 };
    ((c.to_bits() >> PD_SHIFT) as usize).min(PD_TABLE_LEN - 1)
}

/// Hill effect rate (per hour) at concentration `c_um`.
pub fn hill_rate_per_h(c_um: f64, emax_per_h: f64, ic50_um: f64, hill: f64) -> f64 {
    if c_um <= 0.0 {
        return 0.0;
    }
    let r = (c_um / ic50_um).powf(hill);
    emax_per_h * r / (1.0 + r)
}

/// Probability of the event within one tick at a constant rate.
pub fn tick_probability(rate_per_h: f64, tick_h: f64) -> f64 {
    1.0 - (-rate_per_h * tick_h).exp()
}

/// Geometric centre of table bin `k` (the concentration it stands for).
pub fn bin_centre(k: usize) -> f64 {
    let lo = f32::from_bits((k as u32) << PD_SHIFT) as f64;
    let hi_bits = ((k as u32 + 1) << PD_SHIFT).wrapping_sub(1);
    let hi = f32::from_bits(hi_bits) as f64;
    if !(lo.is_finite() && hi.is_finite()) {
        return f64::INFINITY;
    }
    if lo <= 0.0 {
        hi / 2.0
    } else {
        (lo * hi).sqrt()
    }
}

/// The per-tick thresholds of one drug (`rng::threshold` of the tick probability).
pub fn pd_table(emax_per_h: f64, ic50_um: f64, hill: f64, tick_h: f64) -> Vec<u32> {
    (0..PD_TABLE_LEN)
        .map(|k| {
            let c = bin_centre(k);
            let rate = if c.is_finite() {
                hill_rate_per_h(c, emax_per_h, ic50_um, hill)
            } else {
                emax_per_h
            };
            crate::model::rng::threshold(tick_probability(rate, tick_h))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_monotone_and_covers_positive_floats() {
        assert_eq!(pd_index(0.0), 0);
        assert_eq!(pd_index(-1.0), 0);
        assert_eq!(pd_index(f32::NAN), 0);
        // +inf sits just above the largest finite values.
        assert_eq!(
            pd_index(f32::INFINITY),
            (0x7f80_0000u32 >> PD_SHIFT) as usize
        );
        assert!(pd_index(f32::INFINITY) > pd_index(f32::MAX));
        let mut last = 0;
        for e in -40..40 {
            let c = 2f32.powi(e) * 1.3;
            let k = pd_index(c);
            assert!(k > last || e == -40);
            last = k;
        }
        // 16 bins per octave.
        assert_eq!(pd_index(2.0) - pd_index(1.0), 16);
    }

    #[test]
    fn table_follows_the_hill_curve_within_a_bin() {
        let (emax, ic50, hill, dt) = (0.5, 0.2, 1.5, 1.0);
        let table = pd_table(emax, ic50, hill, dt);
        for c in [0.001f32, 0.05, 0.2, 0.7, 3.0, 50.0] {
            let p = table[pd_index(c)] as f64 / 4_294_967_296.0;
            let exact = tick_probability(hill_rate_per_h(c as f64, emax, ic50, hill), dt);
            // A bin spans 4.4 % in c; with h = 1.5 the rate changes by at most ~3.3 %.
            assert!(
                (p - exact).abs() <= 0.035 * exact + 1e-9,
                "c {c}: {p} vs {exact}"
            );
        }
        // At IC50 the rate is Emax/2.
        let p50 = table[pd_index(0.2)] as f64 / 4_294_967_296.0;
        assert!((p50 - tick_probability(0.25, 1.0)).abs() < 0.01);
        // Saturation and zero.
        assert_eq!(table[0], 0);
        let top = table[pd_index(1e6)] as f64 / 4_294_967_296.0;
        assert!((top - tick_probability(emax, dt)).abs() < 1e-6);
    }
}
