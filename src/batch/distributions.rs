//! Truncated normal draws for the batch's distributions, by inverse CDF (one uniform
//! draw gives one value and no draw is rejected), on the normal distribution functions
//! of `trial::distributions`.

use crate::trial::distributions::{normal_cdf, normal_quantile};

/// A normal(mean, sd) value truncated to [lo, hi] from the uniform draw `u` in (0, 1).
pub fn truncated_normal(u: f64, mean: f64, sd: f64, lo: f64, hi: f64) -> f64 {
    let (a, b) = (normal_cdf((lo - mean) / sd), normal_cdf((hi - mean) / sd));
    let z = normal_quantile(a + u * (b - a));
    if z.is_nan() {
        return mean.clamp(lo, hi);
    }
    (mean + sd * z).clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_normal_stays_in_range_and_centres_on_the_mean() {
        let v = truncated_normal(0.5, 60.0, 10.0, 18.0, 90.0);
        assert!((v - 60.0).abs() < 0.2, "{v}");
        let top = truncated_normal(1.0 - 1e-16, 60.0, 10.0, 18.0, 65.0);
        let bottom = truncated_normal(1e-16, 60.0, 10.0, 18.0, 65.0);
        assert!((top - 65.0).abs() < 1e-6 && top <= 65.0, "{top}");
        assert!((bottom - 18.0).abs() < 1e-6 && bottom >= 18.0, "{bottom}");
        let unbounded = truncated_normal(0.975, 0.0, 1.0, f64::NEG_INFINITY, f64::INFINITY);
        assert!((unbounded - 1.959_964).abs() < 1e-5, "{unbounded}");
    }
}
