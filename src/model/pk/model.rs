//! A drug's linear compartment model at reference size, and the patient's own
//! parameters derived from it.

use super::patient::{Patient, Phenotype, PhenotypeMultipliers, REFERENCE_WEIGHT_KG};
use super::{require_positive, require_range, PkError, Route};
use serde::{Deserialize, Serialize};

/// Allometric exponent of clearances (Holford 1996, Clin. Pharmacokinet. 30:329;
/// Anderson & Holford 2008, Annu. Rev. Pharmacol. Toxicol. 48:303); volumes scale with 1.
const CLEARANCE_EXPONENT: f64 = 0.75;

/// A drug's linear one- or two-compartment model, as given for the reference 70 kg,
/// 40-year-old male with normal renal function and normal metaboliser phenotype.
/// Elimination is from the central compartment; oral doses enter a depot absorbed
/// first-order into the central compartment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PkModel {
    /// Converts plasma mg/L to µM for the lattice fields.
    pub molecular_weight_g_per_mol: f64,
    /// Total systemic clearance CL (renal plus non-renal).
    pub clearance_l_per_h: f64,
    /// Central volume V1 (plasma concentrations are amounts in it ÷ V1).
    pub central_volume_l: f64,
    /// Peripheral volume V2; given together with the intercompartmental clearance.
    #[serde(default)]
    pub peripheral_volume_l: Option<f64>,
    /// Intercompartmental clearance Q between central and peripheral compartments.
    #[serde(default)]
    pub intercompartmental_clearance_l_per_h: Option<f64>,
    /// First-order absorption rate constant ka of oral doses; required for the oral route.
    #[serde(default)]
    pub absorption_per_h: Option<f64>,
    /// Oral bioavailability F in (0, 1]: the share of an oral dose reaching the depot.
    #[serde(default = "one")]
    pub bioavailability: f64,
    /// Share of CL that is renal (scaled by Cockcroft–Gault); the rest is metabolic
    /// (scaled by the phenotype multiplier).
    #[serde(default)]
    pub renal_fraction: f64,
    /// Scale CL and Q by (weight/70 kg)^0.75 and V1, V2 by weight/70 kg.
    #[serde(default)]
    pub weight_scaled: bool,
    #[serde(default)]
    pub phenotype_clearance_multipliers: PhenotypeMultipliers,
}

fn one() -> f64 {
    1.0
}

/// The peripheral compartment of a two-compartment model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Peripheral {
    pub volume_l: f64,
    pub intercompartmental_clearance_l_per_h: f64,
}

/// One patient's own model parameters (what [`super::PkState::advance`] integrates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectivePk {
    pub molecular_weight_g_per_mol: f64,
    pub clearance_l_per_h: f64,
    pub central_volume_l: f64,
    pub peripheral: Option<Peripheral>,
    pub absorption_per_h: Option<f64>,
    pub bioavailability: f64,
}

impl PkModel {
    pub fn validate(&self) -> Result<(), PkError> {
        require_positive(
            "molecular_weight_g_per_mol",
            self.molecular_weight_g_per_mol,
            "g/mol",
        )?;
        require_positive("clearance_l_per_h", self.clearance_l_per_h, "L/h")?;
        require_positive("central_volume_l", self.central_volume_l, "L")?;
        match (
            self.peripheral_volume_l,
            self.intercompartmental_clearance_l_per_h,
        ) {
            (None, None) => {}
            (Some(v2), Some(q)) => {
                require_positive("peripheral_volume_l", v2, "L")?;
                require_positive("intercompartmental_clearance_l_per_h", q, "L/h")?;
            }
            (Some(_), None) => {
                return Err(PkError::new(
                    "intercompartmental_clearance_l_per_h",
                    "is required with peripheral_volume_l (a two-compartment model needs both)",
                ))
            }
            (None, Some(_)) => {
                return Err(PkError::new(
                    "peripheral_volume_l",
                    "is required with intercompartmental_clearance_l_per_h (a two-compartment model needs both)",
                ))
            }
        }
        if let Some(ka) = self.absorption_per_h {
            require_positive("absorption_per_h", ka, "1/h")?;
        }
        if !(self.bioavailability.is_finite()
            && self.bioavailability > 0.0
            && self.bioavailability <= 1.0)
        {
            return Err(PkError::new(
                "bioavailability",
                format!("must lie in (0, 1], got {}", self.bioavailability),
            ));
        }
        require_range("renal_fraction", self.renal_fraction, 0.0, 1.0, "")?;
        self.phenotype_clearance_multipliers
            .validate()
            .map_err(|e| {
                PkError::new(
                    format!("phenotype_clearance_multipliers.{}", e.key),
                    e.message,
                )
            })
    }

    /// Refuses a route this model cannot take (oral without an absorption rate).
    pub fn check_route(&self, route: &Route) -> Result<(), PkError> {
        match route {
            Route::Oral if self.absorption_per_h.is_none() => Err(PkError::new(
                "absorption_per_h",
                "is required for oral doses (first-order absorption rate ka)",
            )),
            _ => Ok(()),
        }
    }

    /// The patient's own parameters: CL = CL_ref·size·[(1 − f_renal)·phenotype +
    /// f_renal·renal function], with size = (W/70)^0.75 and the renal function taken
    /// without its weight term when `weight_scaled` (Anderson & Holford 2008: size ×
    /// organ function), with it otherwise; V scales with W/70 when `weight_scaled`.
    pub fn effective(
        &self,
        patient: &Patient,
        phenotype: Phenotype,
    ) -> Result<EffectivePk, PkError> {
        self.validate()?;
        patient.validate()?;
        let weight_ratio = patient.weight_kg / REFERENCE_WEIGHT_KG;
        let (size_cl, size_v, renal) = if self.weight_scaled {
            (
                weight_ratio.powf(CLEARANCE_EXPONENT),
                weight_ratio,
                patient.renal_organ_function_factor(),
            )
        } else {
            (1.0, 1.0, patient.renal_function_factor())
        };
        let hepatic = self.phenotype_clearance_multipliers.get(phenotype);
        let organ = (1.0 - self.renal_fraction) * hepatic + self.renal_fraction * renal;
        let peripheral = self
            .peripheral_volume_l
            .zip(self.intercompartmental_clearance_l_per_h)
            .map(|(v2, q)| Peripheral {
                volume_l: v2 * size_v,
                intercompartmental_clearance_l_per_h: q * size_cl,
            });
        Ok(EffectivePk {
            molecular_weight_g_per_mol: self.molecular_weight_g_per_mol,
            clearance_l_per_h: self.clearance_l_per_h * size_cl * organ,
            central_volume_l: self.central_volume_l * size_v,
            peripheral,
            absorption_per_h: self.absorption_per_h,
            bioavailability: self.bioavailability,
        })
    }
}

impl EffectivePk {
    /// k10 = CL/V1, elimination from the central compartment.
    pub fn elimination_rate_per_h(&self) -> f64 {
        self.clearance_l_per_h / self.central_volume_l
    }

    /// (k12, k21) = (Q/V1, Q/V2), or None for one compartment.
    pub fn distribution_rates_per_h(&self) -> Option<(f64, f64)> {
        self.peripheral.map(|p| {
            let q = p.intercompartmental_clearance_l_per_h;
            (q / self.central_volume_l, q / p.volume_l)
        })
    }

    /// Disposition rate constants: (α, β) with α > β of the two-compartment model
    /// (Gibaldi & Perrier 1982, Pharmacokinetics, 2nd ed., ch. 2), or (k10, k10).
    /// α + β = k10 + k12 + k21 and α·β = k10·k21; β is taken from the product, which
    /// does not cancel.
    pub fn macro_rates_per_h(&self) -> (f64, f64) {
        let k10 = self.elimination_rate_per_h();
        match self.distribution_rates_per_h() {
            None => (k10, k10),
            Some((k12, k21)) => {
                let sum = k10 + k12 + k21;
                // sum² − 4·k10·k21 written as a sum of non-negative terms.
                let disc = (k10 - k21).powi(2) + k12 * k12 + 2.0 * k12 * (k10 + k21);
                let alpha = 0.5 * (sum + disc.sqrt());
                (alpha, k10 * k21 / alpha)
            }
        }
    }

    /// Terminal half-life ln 2 / β (ln 2 / k10 for one compartment).
    pub fn terminal_half_life_h(&self) -> f64 {
        std::f64::consts::LN_2 / self.macro_rates_per_h().1
    }

    /// Converts a central-compartment amount to plasma mg/L.
    pub fn mg_per_l(&self, central_mg: f64) -> f64 {
        central_mg / self.central_volume_l
    }

    /// Converts a central-compartment amount to plasma µM.
    pub fn um(&self, central_mg: f64) -> f64 {
        super::mg_per_l_to_um(self.mg_per_l(central_mg), self.molecular_weight_g_per_mol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-compartment drug with round numbers (k10 = 2, k12 = 3, k21 = 0.3 per h).
    fn test_drug() -> PkModel {
        PkModel {
            molecular_weight_g_per_mol: 853.9,
            clearance_l_per_h: 20.0,
            central_volume_l: 10.0,
            peripheral_volume_l: Some(100.0),
            intercompartmental_clearance_l_per_h: Some(30.0),
            absorption_per_h: None,
            bioavailability: 1.0,
            renal_fraction: 0.25,
            weight_scaled: false,
            phenotype_clearance_multipliers: PhenotypeMultipliers::default(),
        }
    }

    fn cl(model: &PkModel, patient: &Patient, phenotype: Phenotype) -> f64 {
        model
            .effective(patient, phenotype)
            .unwrap()
            .clearance_l_per_h
    }

    #[test]
    fn phenotype_scales_only_the_non_renal_part() {
        let m = test_drug();
        let r = Patient::reference();
        assert!((cl(&m, &r, Phenotype::Normal) - 20.0).abs() < 1e-12);
        // 20·(0.75·0.3 + 0.25) = 9.5; 20·(0.75·0.6 + 0.25) = 14; 20·(0.75·2 + 0.25) = 35.
        assert!((cl(&m, &r, Phenotype::Poor) - 9.5).abs() < 1e-12);
        assert!((cl(&m, &r, Phenotype::Intermediate) - 14.0).abs() < 1e-12);
        assert!((cl(&m, &r, Phenotype::UltraRapid) - 35.0).abs() < 1e-12);
    }

    #[test]
    fn age_lowers_the_renal_part() {
        let m = test_drug();
        let old = Patient {
            age_years: 80.0,
            ..Patient::reference()
        };
        // Renal function (140 − 80)/(140 − 40) = 0.6: 20·(0.75 + 0.25·0.6) = 18 L/h.
        assert!((cl(&m, &old, Phenotype::Normal) - 18.0).abs() < 1e-12);
        let fully_renal = PkModel {
            renal_fraction: 1.0,
            ..test_drug()
        };
        assert!((cl(&fully_renal, &old, Phenotype::Poor) - 12.0).abs() < 1e-12);
    }

    #[test]
    fn allometric_scaling_counts_weight_once() {
        let m = PkModel {
            weight_scaled: true,
            ..test_drug()
        };
        let heavy = Patient {
            weight_kg: 140.0,
            ..Patient::reference()
        };
        let e = m.effective(&heavy, Phenotype::Normal).unwrap();
        let size = 2f64.powf(0.75); // 1.6818
        assert!((e.clearance_l_per_h - 20.0 * size).abs() < 1e-12);
        assert!((e.central_volume_l - 20.0).abs() < 1e-12);
        let p = e.peripheral.unwrap();
        assert!((p.volume_l - 200.0).abs() < 1e-12);
        assert!((p.intercompartmental_clearance_l_per_h - 30.0 * size).abs() < 1e-12);
        // Unscaled models take Cockcroft–Gault with its weight term for the renal part.
        let unscaled = PkModel {
            weight_scaled: false,
            ..m
        };
        assert!(
            (cl(&unscaled, &heavy, Phenotype::Normal) - 20.0 * (0.75 + 0.25 * 2.0)).abs() < 1e-12
        );
    }

    #[test]
    fn macro_rates_satisfy_sum_and_product() {
        let e = test_drug()
            .effective(&Patient::reference(), Phenotype::Normal)
            .unwrap();
        let (alpha, beta) = e.macro_rates_per_h();
        let (k10, k12, k21) = (2.0, 3.0, 0.3);
        assert!((alpha + beta - (k10 + k12 + k21)).abs() < 1e-12);
        assert!((alpha * beta - k10 * k21).abs() < 1e-12);
        assert!(alpha > beta && beta > 0.0);
        assert!((e.terminal_half_life_h() - std::f64::consts::LN_2 / beta).abs() < 1e-12);
    }

    #[test]
    fn validation_messages_name_the_key() {
        let cases: Vec<(PkModel, &str, &str)> = vec![
            (
                PkModel {
                    central_volume_l: 0.0,
                    ..test_drug()
                },
                "central_volume_l",
                "> 0 L, got 0",
            ),
            (
                PkModel {
                    bioavailability: 1.2,
                    ..test_drug()
                },
                "bioavailability",
                "(0, 1], got 1.2",
            ),
            (
                PkModel {
                    intercompartmental_clearance_l_per_h: None,
                    ..test_drug()
                },
                "intercompartmental_clearance_l_per_h",
                "needs both",
            ),
            (
                PkModel {
                    renal_fraction: -0.1,
                    ..test_drug()
                },
                "renal_fraction",
                "0 … 1",
            ),
            (
                PkModel {
                    absorption_per_h: Some(f64::NAN),
                    ..test_drug()
                },
                "absorption_per_h",
                "finite",
            ),
        ];
        for (model, key, text) in cases {
            let err = model.validate().unwrap_err();
            assert_eq!(err.key, key);
            assert!(err.message.contains(text), "{err}");
        }
        let err = test_drug().check_route(&Route::Oral).unwrap_err();
        assert_eq!(err.key, "absorption_per_h");
    }
}
