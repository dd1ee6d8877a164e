//! In-vivo apparent blood viscosity by vessel diameter and discharge haematocrit.
//!
//! The "in vivo" law of Pries, Secomb, Gessner, Sperandio, Gross & Gaehtgens (1994),
//! *Resistance to blood flow in microvessels in vivo*, Circ Res 75:904–915 (issue 15
//! cites it as Am J Physiol 267:H2204; the in-vivo law is the Circ Res paper's; that
//! Microvessel Chaste / Owen 2011 use this exact form is not verified here). It is the in-vitro law of
//! Pries et al. (1992) with the small-diameter term re-fitted to in-vivo resistance
//! (`6 e^{−0.085 D}` instead of `220 e^{−1.3 D}`) and a fixed 1.1 µm endothelial
//! surface layer entering through `(D / (D − 1.1))²`, D in µm:
//!
//! ```text
//! μ₀.₄₅ = 6 e^{−0.085 D} + 3.2 − 2.44 e^{−0.06 D^0.645}
//! C     = (0.8 + e^{−0.075 D}) (−1 + 1/(1 + 10⁻¹¹ D¹²)) + 1/(1 + 10⁻¹¹ D¹²)
//! F     = (D / (D − 1.1))²
//! μ_rel = [1 + (μ₀.₄₅ − 1) ((1 − H)^C − 1) / ((1 − 0.45)^C − 1) · F] · F
//! ```
//!
//! The later Pries & Secomb (2005) version with a diameter- and haematocrit-dependent
//! surface layer is not used. Plasma viscosity 1.2 mPa·s: with it, r = 5 µm,
//! L = 100 µm, ΔP = 1 mmHg, H = 0.45 give Q ≈ 4.64·10⁻¹⁴ m³/s, the value issue 15
//! states (μ_rel(10 µm, 0.45) = 5.8724, μ = 7.047 mPa·s), and it is the usual
//! value for human plasma at 37 °C.

use super::FlowError;

/// Plasma viscosity (Pa·s); human plasma at 37 °C, the value the issue-15 closed form
/// (Q ≈ 4.64·10⁻¹⁴ m³/s) implies with the Pries 1994 in-vivo law.
pub const PLASMA_VISCOSITY_PA_S: f64 = 1.2e-3;

/// Endothelial-surface-layer offset of the in-vivo law (µm): the law holds for
/// D > 1.1 µm only (Pries et al. 1994).
pub const ESL_DIAMETER_OFFSET_UM: f64 = 1.1;

/// Haematocrit at which `μ₀.₄₅` is fitted (Pries et al. 1992, 1994).
const REFERENCE_HAEMATOCRIT: f64 = 0.45;

/// Relative apparent viscosity μ_rel (dimensionless, blood / plasma) of the Pries 1994
/// in-vivo law for a vessel of `diameter_um` (µm, > 1.1) and discharge haematocrit
/// `haematocrit` (fraction, 0 ≤ H < 1). Refuses values outside that domain.
pub fn relative_viscosity_pries_1994(diameter_um: f64, haematocrit: f64) -> Result<f64, FlowError> {
    if !(diameter_um.is_finite() && diameter_um > ESL_DIAMETER_OFFSET_UM) {
        return Err(FlowError::input(
            "diameter_um",
            format!(
                "must be finite and > {ESL_DIAMETER_OFFSET_UM} µm (the in-vivo viscosity \
                 law's surface-layer offset), got {diameter_um}"
            ),
        ));
    }
    if !(haematocrit.is_finite() && (0.0..1.0).contains(&haematocrit)) {
        return Err(FlowError::input(
            "haematocrit",
            format!("must be a fraction in [0, 1), got {haematocrit}"),
        ));
    }
    let d = diameter_um;
    let mu_045 = 6.0 * (-0.085 * d).exp() + 3.2 - 2.44 * (-0.06 * d.powf(0.645)).exp();
    let sigmoid = 1.0 / (1.0 + 1e-11 * d.powi(12));
    let c = (0.8 + (-0.075 * d).exp()) * (-1.0 + sigmoid) + sigmoid;
    let esl = (d / (d - ESL_DIAMETER_OFFSET_UM)).powi(2);
    // ((1 − H)^C − 1) / ((1 − 0.45)^C − 1) through expm1: C crosses zero near D ≈ 8 µm,
    // where the plain form cancels; at C = 0 exactly it takes its limit.
    let (ln_h, ln_ref) = ((-haematocrit).ln_1p(), (-REFERENCE_HAEMATOCRIT).ln_1p());
    let shape = if c == 0.0 {
        ln_h / ln_ref
    } else {
        (c * ln_h).exp_m1() / (c * ln_ref).exp_m1()
    };
    Ok((1.0 + (mu_045 - 1.0) * shape * esl) * esl)
}

/// Apparent blood viscosity (Pa·s): plasma viscosity × the Pries 1994 in-vivo μ_rel.
pub fn blood_viscosity_pa_s(diameter_um: f64, haematocrit: f64) -> Result<f64, FlowError> {
    Ok(PLASMA_VISCOSITY_PA_S * relative_viscosity_pries_1994(diameter_um, haematocrit)?)
}
