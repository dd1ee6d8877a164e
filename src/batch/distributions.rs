//! The distributions a batch draws from: uniform, log-uniform, normal and log-normal
//! (truncated to [min, max] by inverse-CDF sampling, so one uniform draw gives one
//! value and no draw is rejected), and categorical.

/// Standard normal CDF, Φ(x) = erfc(−x/√2)/2, with erfc from W. J. Cody's rational
/// approximations as given in Numerical Recipes (3rd ed., §6.2.2; |error| < 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Inverse of Φ by P. J. Acklam's rational approximation (relative error < 1.15e-9),
/// for p in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// A normal(mean, sd) value truncated to [lo, hi] from the uniform draw `u`.
pub fn truncated_normal(u: f64, mean: f64, sd: f64, lo: f64, hi: f64) -> f64 {
    let (a, b) = (normal_cdf((lo - mean) / sd), normal_cdf((hi - mean) / sd));
    (mean + sd * normal_quantile(a + u * (b - a))).clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_and_quantile_invert_each_other() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
        for p in [1e-6, 0.01, 0.3, 0.5, 0.9, 0.999] {
            assert!(
                (normal_cdf(normal_quantile(p)) - p).abs() < 1e-6 * p.max(1e-2),
                "{p}"
            );
        }
        let v = truncated_normal(0.5, 60.0, 10.0, 18.0, 90.0);
        assert!((v - 60.0).abs() < 0.2, "{v}");
        assert_eq!(truncated_normal(1.0 - 1e-16, 60.0, 10.0, 18.0, 65.0), 65.0);
    }
}
