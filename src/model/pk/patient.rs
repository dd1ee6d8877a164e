//! The patient: size (weight, height → body surface area), renal function
//! (Cockcroft–Gault) and metaboliser phenotype.

use super::{require_positive, require_range, PkError};
use serde::{Deserialize, Serialize};

/// Reference adult for allometric scaling and renal function: 70 kg (Holford 1996,
/// Clin. Pharmacokinet. 30:329), 40 years, male, serum creatinine 1.0 mg/dL.
pub(crate) const REFERENCE_WEIGHT_KG: f64 = 70.0;
const REFERENCE_AGE_YEARS: f64 = 40.0;
const REFERENCE_CREATININE_MG_PER_DL: f64 = 1.0;
/// Cockcroft & Gault 1976 (Nephron 16:31): women's clearance is 85 % of men's.
const CG_FEMALE_FACTOR: f64 = 0.85;

/// Sex as used by the Cockcroft–Gault equation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
}

/// One patient. Cockcroft–Gault is an adult formula, so ages are 18 … 120 years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    pub weight_kg: f64,
    pub height_cm: f64,
    pub age_years: f64,
    pub sex: Sex,
    /// Serum creatinine; 1.0 mg/dL (≈ 88 µmol/L), a normal adult value, if not given.
    #[serde(default = "default_creatinine")]
    pub serum_creatinine_mg_per_dl: f64,
}

fn default_creatinine() -> f64 {
    REFERENCE_CREATININE_MG_PER_DL
}

impl Patient {
    /// The reference patient: 70 kg, 170 cm, 40 years, male, creatinine 1.0 mg/dL.
    pub fn reference() -> Self {
        Patient {
            weight_kg: REFERENCE_WEIGHT_KG,
            height_cm: 170.0,
            age_years: REFERENCE_AGE_YEARS,
            sex: Sex::Male,
            serum_creatinine_mg_per_dl: REFERENCE_CREATININE_MG_PER_DL,
        }
    }

    pub fn validate(&self) -> Result<(), PkError> {
        require_range("weight_kg", self.weight_kg, 20.0, 400.0, "kg")?;
        require_range("height_cm", self.height_cm, 100.0, 250.0, "cm")?;
        require_range("age_years", self.age_years, 18.0, 120.0, "years").map_err(|e| {
            PkError::new(
                e.key,
                format!("{} (Cockcroft–Gault is an adult formula)", e.message),
            )
        })?;
        require_positive(
            "serum_creatinine_mg_per_dl",
            self.serum_creatinine_mg_per_dl,
            "mg/dL",
        )
    }

    /// Body surface area, Mosteller 1987 (N. Engl. J. Med. 317:1098): √(height·weight/3600).
    pub fn bsa_m2(&self) -> f64 {
        (self.height_cm * self.weight_kg / 3600.0).sqrt()
    }

    /// Creatinine clearance, Cockcroft & Gault 1976 (Nephron 16:31):
    /// (140 − age)·weight / (72·creatinine), × 0.85 for women.
    pub fn creatinine_clearance_ml_per_min(&self) -> f64 {
        let sex = match self.sex {
            Sex::Female => CG_FEMALE_FACTOR,
            Sex::Male => 1.0,
        };
        (140.0 - self.age_years) * self.weight_kg / (72.0 * self.serum_creatinine_mg_per_dl) * sex
    }

    /// Creatinine clearance relative to the reference patient (97.2 mL/min), weight included.
    pub fn renal_function_factor(&self) -> f64 {
        self.creatinine_clearance_ml_per_min()
            / Patient::reference().creatinine_clearance_ml_per_min()
    }

    /// Renal function with the size term removed (÷ weight/70 kg), for models that already
    /// scale clearance allometrically, so weight is not counted twice.
    pub fn renal_organ_function_factor(&self) -> f64 {
        self.renal_function_factor() / (self.weight_kg / REFERENCE_WEIGHT_KG)
    }
}

/// Metaboliser phenotype for the enzyme that clears a drug, classed as in the CYP2D6
/// activity score (Gaedigk et al. 2008, Clin. Pharmacol. Ther. 83:234; CPIC/DPWG
/// consensus, Caudle et al. 2020, Clin. Transl. Sci. 13:116): poor (score 0),
/// intermediate (0.25–1), normal (1.25–2.25), ultra-rapid (> 2.25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phenotype {
    Poor,
    Intermediate,
    #[default]
    Normal,
    UltraRapid,
}

/// Multipliers of a drug's non-renal clearance per phenotype (normal = 1).
///
/// The defaults are round numbers, not one drug's data: poor 0.3 (no enzyme activity;
/// what remains is other pathways, typically 20–40 % of normal for CYP2D6 substrates
/// in the dose-adjustment review of Kirchheiner et al. 2004, Mol. Psychiatry 9:442),
/// intermediate 0.6 (activity score ≈ 1 of a normal ≈ 2, plus the residual pathways),
/// ultra-rapid 2.0 (activity score ≥ 3 of ≈ 2, with the same residual). Give a drug's
/// own values when they are known (e.g. DPYD for fluoropyrimidines, UGT1A1 for irinotecan).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhenotypeMultipliers {
    pub poor: f64,
    pub intermediate: f64,
    pub normal: f64,
    pub ultra_rapid: f64,
}

impl Default for PhenotypeMultipliers {
    fn default() -> Self {
        PhenotypeMultipliers {
            poor: 0.3,
            intermediate: 0.6,
            normal: 1.0,
            ultra_rapid: 2.0,
        }
    }
}

impl PhenotypeMultipliers {
    pub fn get(&self, phenotype: Phenotype) -> f64 {
        match phenotype {
            Phenotype::Poor => self.poor,
            Phenotype::Intermediate => self.intermediate,
            Phenotype::Normal => self.normal,
            Phenotype::UltraRapid => self.ultra_rapid,
        }
    }

    pub fn validate(&self) -> Result<(), PkError> {
        require_positive("poor", self.poor, "")?;
        require_positive("intermediate", self.intermediate, "")?;
        require_positive("normal", self.normal, "")?;
        require_positive("ultra_rapid", self.ultra_rapid, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mosteller_bsa_of_a_known_case() {
        let p = Patient {
            height_cm: 170.0,
            weight_kg: 70.0,
            ..Patient::reference()
        };
        // √(170·70/3600) = √3.30556 = 1.81812 m².
        assert!((p.bsa_m2() - 1.818_118_3).abs() < 1e-6, "{}", p.bsa_m2());
        let q = Patient {
            height_cm: 160.0,
            weight_kg: 90.0,
            ..Patient::reference()
        };
        assert!((q.bsa_m2() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn cockcroft_gault_reference_and_directions() {
        let r = Patient::reference();
        // (140 − 40)·70 / 72 = 97.22 mL/min.
        assert!((r.creatinine_clearance_ml_per_min() - 97.222_222).abs() < 1e-5);
        assert_eq!(r.renal_function_factor(), 1.0);
        let old = Patient {
            age_years: 80.0,
            ..Patient::reference()
        };
        assert!((old.renal_function_factor() - 0.6).abs() < 1e-12); // (140−80)/100
        let woman = Patient {
            sex: Sex::Female,
            ..Patient::reference()
        };
        assert!((woman.renal_function_factor() - 0.85).abs() < 1e-12);
        let impaired = Patient {
            serum_creatinine_mg_per_dl: 2.0,
            ..Patient::reference()
        };
        assert!((impaired.renal_function_factor() - 0.5).abs() < 1e-12);
        let heavy = Patient {
            weight_kg: 105.0,
            ..Patient::reference()
        };
        assert!((heavy.renal_function_factor() - 1.5).abs() < 1e-12);
        assert!((heavy.renal_organ_function_factor() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn validation_names_the_key_and_range() {
        let child = Patient {
            age_years: 8.0,
            ..Patient::reference()
        };
        let err = child.validate().unwrap_err();
        assert_eq!(err.key, "age_years");
        assert!(err.to_string().contains("18 … 120 years, got 8"), "{err}");
        assert!(err.to_string().contains("adult"), "{err}");
        let bad = Patient {
            serum_creatinine_mg_per_dl: 0.0,
            ..Patient::reference()
        };
        assert_eq!(
            bad.validate().unwrap_err().key,
            "serum_creatinine_mg_per_dl"
        );
        assert!(Patient::reference().validate().is_ok());
    }

    #[test]
    fn patient_reads_from_toml_with_the_creatinine_default() {
        let p: Patient =
            toml::from_str("weight_kg = 60\nheight_cm = 165\nage_years = 55\nsex = \"female\"")
                .unwrap();
        assert_eq!(p.serum_creatinine_mg_per_dl, 1.0);
        assert_eq!(p.sex, Sex::Female);
        assert!(toml::from_str::<Patient>("weight_kg = 60\nheight = 1").is_err());
    }
}
