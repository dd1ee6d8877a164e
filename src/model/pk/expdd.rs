//! Divided differences of the exponential, `f[x₀, …, xₙ]` for `f(x) = e^(−x·t)`.
//!
//! Every closed form of the linear compartment models (bolus response, infusion,
//! Bateman absorption, their time integrals, the two-compartment α/β terms) is one of
//! these with the rate constants as nodes, so one accurate routine replaces a zoo of
//! formulas that cancel catastrophically when two rates nearly coincide (ka ≈ k).
//! Well-separated nodes use the recursive definition; clustered ones (spread·t ≤ 1) a
//! Taylor series about the cluster centre, as in McCurdy, Ng & Parlett 1984 (Math.
//! Comp. 43:501).

/// Most nodes a caller passes (the two-compartment oral AUC needs {0, ka, α, β}).
const MAX_NODES: usize = 6;
/// Series terms for a cluster of spread·t ≤ 1: the tail after this is below 1e-25.
const SERIES_TERMS: usize = 28;

/// `f[x₀, …, xₙ]` for `f(x) = e^(−x·t)`; nodes in any order, repeats allowed (a repeated
/// node means a derivative, so `f[k, k] = −t·e^(−k·t)`). Nodes are rates ≥ 0, t ≥ 0.
pub(crate) fn exp_dd(nodes: &[f64], t: f64) -> f64 {
    assert!(
        !nodes.is_empty() && nodes.len() <= MAX_NODES,
        "exp_dd takes 1..={MAX_NODES} nodes"
    );
    let mut sorted = [0.0; MAX_NODES];
    sorted[..nodes.len()].copy_from_slice(nodes);
    let sorted = &mut sorted[..nodes.len()];
    sorted.sort_by(f64::total_cmp);
    dd_sorted(sorted, t)
}

fn dd_sorted(x: &[f64], t: f64) -> f64 {
    let n = x.len();
    if n == 1 {
        return (-x[0] * t).exp();
    }
    let spread = x[n - 1] - x[0];
    if spread * t <= 1.0 {
        cluster_series(x, t)
    } else {
        // Both halves share the sign (−1)^(n−1); with spread·t > 1 they differ enough
        // that the subtraction loses only a few bits (tested against partial fractions).
        (dd_sorted(&x[1..], t) - dd_sorted(&x[..n - 1], t)) / spread
    }
}

/// `f[x₀…xₙ] = e^(−c·t) Σⱼ (−t)^(n+j) hⱼ(x − c) / (n+j)!` with c the cluster centre and
/// hⱼ the complete homogeneous symmetric polynomial; |(x − c)·t| ≤ ½ keeps it short.
fn cluster_series(x: &[f64], t: f64) -> f64 {
    let order = x.len() - 1;
    let centre = 0.5 * (x[0] + x[x.len() - 1]);
    // h[j] = hⱼ(z₀, …, z_k) built one variable at a time: hⱼ(Z ∪ {y}) = hⱼ(Z) + y·hⱼ₋₁(Z ∪ {y}).
    let mut h = [0.0; SERIES_TERMS];
    let z0 = (x[0] - centre) * t;
    let mut power = 1.0;
    for hj in h.iter_mut() {
        *hj = power;
        power *= z0;
    }
    for &xi in &x[1..] {
        let y = (xi - centre) * t;
        for j in 1..SERIES_TERMS {
            h[j] += y * h[j - 1];
        }
    }
    // coefficient (−1)^(n+j) / (n+j)!, starting at j = 0.
    let mut coefficient = 1.0;
    for k in 1..=order {
        coefficient /= -(k as f64);
    }
    let mut sum = 0.0;
    for (j, hj) in h.iter().enumerate() {
        sum += coefficient * hj;
        coefficient /= -((order + j + 1) as f64);
    }
    (-centre * t).exp() * t.powi(order as i32) * sum
}

#[cfg(test)]
mod tests {
    use super::exp_dd;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(1e-300)
    }

    #[test]
    fn single_node_is_the_exponential() {
        assert_eq!(exp_dd(&[0.3], 2.0), (-0.6f64).exp());
        assert_eq!(exp_dd(&[0.0], 5.0), 1.0);
    }

    #[test]
    fn first_order_matches_the_difference_quotient_and_the_derivative() {
        let (a, b, t): (f64, f64, f64) = (0.2, 1.7, 3.0);
        let direct = ((-b * t).exp() - (-a * t).exp()) / (b - a);
        assert!(rel(exp_dd(&[a, b], t), direct) < 1e-14);
        assert!(rel(exp_dd(&[b, a], t), direct) < 1e-14);
        // Coincident nodes: the derivative −t·e^(−k·t).
        let k = 0.4;
        let deriv = -t * (-k * t).exp();
        assert!(rel(exp_dd(&[k, k], t), deriv) < 1e-14);
        // Nearly coincident: the difference quotient would keep ~7 digits; this keeps all.
        let eps = 1e-9;
        let expected = deriv * (1.0 - 0.5 * eps * t); // first-order Taylor in eps
        assert!(rel(exp_dd(&[k, k + eps], t), expected) < 1e-14);
    }

    #[test]
    fn second_order_with_zero_nodes_matches_the_closed_forms() {
        // f[0, k] = (e^(−kt) − 1)/k; f[0, 0, k] = (t − (1 − e^(−kt))/k)/k, which cancels
        // for small k·t, so there the reference is its Taylor series t²·Σ (−kt)ʲ/(j+2)!.
        for &(k, t) in &[(0.3f64, 2.0f64), (2.0, 24.0), (0.05, 30.0)] {
            let f0k = ((-k * t).exp() - 1.0) / k;
            let f00k = (t - (1.0 - (-k * t).exp()) / k) / k;
            assert!(rel(exp_dd(&[0.0, k], t), f0k) < 1e-13, "f[0,k] k={k} t={t}");
            assert!(
                rel(exp_dd(&[0.0, 0.0, k], t), f00k) < 1e-13,
                "f[0,0,k] k={k} t={t}"
            );
        }
        for &(k, t) in &[(0.05f64, 0.1f64), (1e-6, 1.0), (0.01, 1.0)] {
            let z = k * t;
            // Σ (−z)ʲ/(j+2)!, j = 0…6: the next term is below 1e-19 relative here.
            let series: f64 = t
                * t
                * (0..=6)
                    .map(|j| (-z).powi(j) / (1..=j + 2).map(f64::from).product::<f64>())
                    .sum::<f64>();
            let got = exp_dd(&[0.0, 0.0, k], t);
            assert!(
                rel(got, series) < 1e-14,
                "k={k} t={t}: {got:e} vs {series:e}"
            );
            let f0k = (-k * t).exp_m1() / k;
            assert!(rel(exp_dd(&[0.0, k], t), f0k) < 1e-14, "f[0,k] k={k} t={t}");
        }
        // All three nodes at one point: f''/2 = t²·e^(−kt)/2.
        let (k, t) = (0.7f64, 1.3f64);
        assert!(rel(exp_dd(&[k, k, k], t), 0.5 * t * t * (-k * t).exp()) < 1e-14);
    }

    #[test]
    fn continuous_across_the_series_threshold() {
        // spread·t just below and just above 1 take different branches.
        let t = 2.0;
        let lo = exp_dd(&[0.3, 0.3 + 0.4999999999], t);
        let hi = exp_dd(&[0.3, 0.3 + 0.5000000001], t);
        assert!(rel(lo, hi) < 1e-9, "{lo} vs {hi}");
        let below = exp_dd(&[0.0, 0.25, 0.4999999999], t);
        let above = exp_dd(&[0.0, 0.25, 0.5000000001], t);
        assert!(rel(below, above) < 1e-9, "{below} vs {above}");
    }

    #[test]
    fn four_distinct_nodes_match_the_partial_fraction_form() {
        // f[x₀…x₃] = Σᵢ e^(−xᵢt) / Πⱼ≠ᵢ (xᵢ − xⱼ) for distinct nodes.
        let x = [0.0, 0.9, 0.35, 3.1];
        let t = 5.0;
        let expected: f64 = (0..4)
            .map(|i| {
                let denom: f64 = (0..4).filter(|&j| j != i).map(|j| x[i] - x[j]).product();
                (-x[i] * t).exp() / denom
            })
            .sum();
        assert!(rel(exp_dd(&x, t), expected) < 1e-12);
    }

    #[test]
    fn clustered_and_mixed_nodes_match_high_precision_references() {
        // References from the recursive definition in 80-digit arithmetic (mpmath).
        let cases: [(&[f64], f64, f64); 4] = [
            (&[0.0, 0.7, 0.7000001, 0.7003], 5.0, -1.979_458_307_221_997),
            (&[0.0, 1.2, 5.184265, 0.115735], 24.0, -1.291_117_124_276_13),
            (
                &[0.0, 1e-9, 0.25, 0.2500000001],
                10.0,
                -55.640_479_420_680_73,
            ),
            (
                &[0.3, 0.30000002, 0.3000001],
                400.0,
                6.134_020_314_096_422e-48,
            ),
        ];
        for (nodes, t, reference) in cases {
            let got = exp_dd(nodes, t);
            assert!(
                rel(got, reference) < 1e-13,
                "{nodes:?}: {got:e} vs {reference:e}"
            );
        }
    }
}
