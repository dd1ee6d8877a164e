//! The exact solution of the linear compartment model over one step with a constant
//! infusion rate, in closed form through divided differences of the exponential.
//!
//! With amounts a = (central, peripheral), depot D and infusion rate R,
//! `a' = M·a + (R + ka·D)·e_c`, `D' = −ka·D`, `M = [[−(k10+k12), k21], [k12, −k21]]`.
//! For the eigenvalues −α, −β of M, Sylvester's formula in Newton form gives
//! `e^(Mt) = f[α]·I − f[α,β]·(M + αI)` with `f(x) = e^(−x·t)`. Writing
//! `Φ(S) = f[S,α]·I − f[S,α,β]·(M + αI)`, the step of length T is
//!
//! ```text
//! a(T)      =  Φ(∅)·a₀ − R·Φ({0})·e_c   − ka·D₀·Φ({ka})·e_c
//! ∫₀ᵀ a dt  = −Φ({0})·a₀ + R·Φ({0,0})·e_c + ka·D₀·Φ({0,ka})·e_c
//! ```
//!
//! because integrating over time or convolving with `e^(−ka·s)` adds a node 0 or ka
//! (and a sign). One compartment is the scalar case `Φ(S) = f[S, k10]`. This is exact
//! for piecewise-constant input, so any split of an interval gives the same result.

use super::expdd::exp_dd;
use super::EffectivePk;
use serde::{Deserialize, Serialize};

/// Drug amounts in the depot (oral, not yet absorbed), central and peripheral compartments.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PkState {
    pub depot_mg: f64,
    pub central_mg: f64,
    pub peripheral_mg: f64,
}

/// What happened during one step.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StepIntegral {
    /// ∫ central amount dt over the step; ÷ V1 is the step's plasma AUC in mg·h/L.
    pub central_mg_h: f64,
    /// Amount eliminated, k10 × `central_mg_h`.
    pub eliminated_mg: f64,
    /// Amount absorbed from the depot into the central compartment.
    pub absorbed_mg: f64,
    /// Amount infused, rate × dt.
    pub infused_mg: f64,
}

/// `exp_dd` over `extra ∪ rates`.
fn dd(extra: &[f64], rates: &[f64], t: f64) -> f64 {
    let mut nodes = [0.0; 6];
    let n = extra.len() + rates.len();
    nodes[..extra.len()].copy_from_slice(extra);
    nodes[extra.len()..n].copy_from_slice(rates);
    exp_dd(&nodes[..n], t)
}

impl PkState {
    /// Plasma concentration, central amount ÷ V1.
    pub fn central_mg_per_l(&self, model: &EffectivePk) -> f64 {
        model.mg_per_l(self.central_mg)
    }

    /// Plasma concentration in µM.
    pub fn central_um(&self, model: &EffectivePk) -> f64 {
        model.um(self.central_mg)
    }

    /// Drug in the body, all compartments and the depot.
    pub fn total_mg(&self) -> f64 {
        self.depot_mg + self.central_mg + self.peripheral_mg
    }

    /// Advances by `dt_h` ≥ 0 with a constant infusion of `infusion_rate_mg_per_h` ≥ 0
    /// into the central compartment, exactly (no time discretisation).
    pub fn advance(
        &mut self,
        model: &EffectivePk,
        dt_h: f64,
        infusion_rate_mg_per_h: f64,
    ) -> StepIntegral {
        debug_assert!(dt_h >= 0.0 && infusion_rate_mg_per_h >= 0.0);
        let t = dt_h;
        let rate = infusion_rate_mg_per_h;
        let ka = model.absorption_per_h.unwrap_or(0.0);
        // Absorption flux at the start of the step; it decays as e^(−ka·s).
        let depot_flux = ka * self.depot_mg;
        let k10 = model.elimination_rate_per_h();

        let (central, peripheral, central_mg_h) = match model.distribution_rates_per_h() {
            None => {
                let f = |extra: &[f64]| dd(extra, &[k10], t);
                let mut c = f(&[]) * self.central_mg - rate * f(&[0.0]);
                let mut auc = -f(&[0.0]) * self.central_mg + rate * f(&[0.0, 0.0]);
                if depot_flux > 0.0 {
                    c -= depot_flux * f(&[ka]);
                    auc += depot_flux * f(&[0.0, ka]);
                }
                (c, 0.0, auc)
            }
            Some((k12, k21)) => {
                let (alpha, beta) = model.macro_rates_per_h();
                // Φ(S)·v = f[S,α]·v − f[S,α,β]·(M + αI)·v.
                let phi = |extra: &[f64], v: [f64; 2]| -> [f64; 2] {
                    let a = dd(extra, &[alpha], t);
                    let b = dd(extra, &[alpha, beta], t);
                    let shifted = [
                        (alpha - k10 - k12) * v[0] + k21 * v[1],
                        k12 * v[0] + (alpha - k21) * v[1],
                    ];
                    [a * v[0] - b * shifted[0], a * v[1] - b * shifted[1]]
                };
                let a0 = [self.central_mg, self.peripheral_mg];
                let unit = [1.0, 0.0];
                let hom = phi(&[], a0);
                let inf = phi(&[0.0], unit);
                let mut a = [hom[0] - rate * inf[0], hom[1] - rate * inf[1]];
                let hom_int = phi(&[0.0], a0);
                let inf_int = phi(&[0.0, 0.0], unit);
                let mut auc = -hom_int[0] + rate * inf_int[0];
                if depot_flux > 0.0 {
                    let oral = phi(&[ka], unit);
                    a[0] -= depot_flux * oral[0];
                    a[1] -= depot_flux * oral[1];
                    auc += depot_flux * phi(&[0.0, ka], unit)[0];
                }
                (a[0], a[1], auc)
            }
        };

        // D₀·(1 − e^(−ka·t)) without cancellation for small ka·t.
        let absorbed_mg = -self.depot_mg * (-ka * t).exp_m1();
        self.depot_mg *= (-ka * t).exp();
        self.central_mg = central;
        self.peripheral_mg = peripheral;
        StepIntegral {
            central_mg_h,
            eliminated_mg: k10 * central_mg_h,
            absorbed_mg,
            infused_mg: rate * t,
        }
    }
}
