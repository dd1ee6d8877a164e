//! Dosing: routes, doses in mg, mg/m² or mg/kg, and schedules that expand into dose events.

use super::{require_non_negative, require_positive, Patient, PkError};
use serde::{Deserialize, Serialize};

/// How a dose enters the body.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Route {
    /// The whole amount enters the central compartment at once.
    IvBolus,
    /// Zero-order input of amount/duration into the central compartment.
    Infusion { duration_h: f64 },
    /// Bioavailability × amount enters the depot, absorbed first-order (ka).
    Oral,
}

impl Route {
    pub fn validate(&self) -> Result<(), PkError> {
        match self {
            Route::Infusion { duration_h } => require_positive("duration_h", *duration_h, "h"),
            Route::IvBolus | Route::Oral => Ok(()),
        }
    }
}

/// A dose: absolute, per body surface area (Mosteller BSA) or per body weight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Dose {
    Mg { amount_mg: f64 },
    MgPerM2 { amount_mg_per_m2: f64 },
    MgPerKg { amount_mg_per_kg: f64 },
}

impl Dose {
    /// The amount for this patient.
    pub fn amount_mg(&self, patient: &Patient) -> f64 {
        match *self {
            Dose::Mg { amount_mg } => amount_mg,
            Dose::MgPerM2 { amount_mg_per_m2 } => amount_mg_per_m2 * patient.bsa_m2(),
            Dose::MgPerKg { amount_mg_per_kg } => amount_mg_per_kg * patient.weight_kg,
        }
    }

    pub fn validate(&self) -> Result<(), PkError> {
        match *self {
            Dose::Mg { amount_mg } => require_positive("amount_mg", amount_mg, "mg"),
            Dose::MgPerM2 { amount_mg_per_m2 } => {
                require_positive("amount_mg_per_m2", amount_mg_per_m2, "mg/m²")
            }
            Dose::MgPerKg { amount_mg_per_kg } => {
                require_positive("amount_mg_per_kg", amount_mg_per_kg, "mg/kg")
            }
        }
    }
}

/// `doses` administrations of `dose` by `route`, the first at `start_h` after the
/// schedule's origin (when the protocol starts it), then every `interval_h`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub route: Route,
    pub dose: Dose,
    #[serde(default)]
    pub start_h: f64,
    /// Time between the starts of consecutive administrations; ignored for one dose.
    #[serde(default)]
    pub interval_h: f64,
    /// Number of administrations (cycles).
    pub doses: u32,
}

/// One administration, with the amount resolved for the patient, at an absolute time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DoseEvent {
    pub time_h: f64,
    pub amount_mg: f64,
    pub route: Route,
}

impl DoseEvent {
    pub fn validate(&self) -> Result<(), PkError> {
        if !self.time_h.is_finite() {
            return Err(PkError::new(
                "time_h",
                format!("must be finite, got {}", self.time_h),
            ));
        }
        require_positive("amount_mg", self.amount_mg, "mg")?;
        self.route.validate()
    }
}

/// Prefixes an error's key with the field that holds the failing struct.
fn nest(outer: &'static str) -> impl Fn(PkError) -> PkError {
    move |e| PkError::new(format!("{outer}.{}", e.key), e.message)
}

impl Schedule {
    pub fn validate(&self) -> Result<(), PkError> {
        self.route.validate().map_err(nest("route"))?;
        self.dose.validate().map_err(nest("dose"))?;
        require_non_negative("start_h", self.start_h, "h")?;
        if self.doses == 0 {
            return Err(PkError::new("doses", "must be at least 1"));
        }
        if self.doses > 1 {
            require_positive("interval_h", self.interval_h, "h (more than one dose)")?;
        }
        Ok(())
    }

    /// The administrations, with times `origin_h + start_h + i·interval_h`.
    pub fn events(&self, patient: &Patient, origin_h: f64) -> Result<Vec<DoseEvent>, PkError> {
        self.validate()?;
        let amount_mg = self.dose.amount_mg(patient);
        Ok((0..self.doses)
            .map(|i| DoseEvent {
                time_h: origin_h + self.start_h + f64::from(i) * self.interval_h,
                amount_mg,
                route: self.route,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsa_dosing_scales_with_bsa() {
        let small = Patient {
            height_cm: 160.0,
            weight_kg: 40.0,
            ..Patient::reference()
        }; // BSA √(6400/3600) = 4/3 m²
        let large = Patient {
            height_cm: 160.0,
            weight_kg: 90.0,
            ..Patient::reference()
        }; // BSA 2 m²
        let dose = Dose::MgPerM2 {
            amount_mg_per_m2: 175.0,
        };
        assert!((dose.amount_mg(&small) - 175.0 * 4.0 / 3.0).abs() < 1e-10);
        assert!((dose.amount_mg(&large) - 350.0).abs() < 1e-10);
        assert_eq!(Dose::Mg { amount_mg: 50.0 }.amount_mg(&large), 50.0);
        assert_eq!(
            Dose::MgPerKg {
                amount_mg_per_kg: 2.0
            }
            .amount_mg(&large),
            180.0
        );
    }

    #[test]
    fn schedule_expands_to_cycles() {
        let s = Schedule {
            route: Route::Infusion { duration_h: 3.0 },
            dose: Dose::MgPerM2 {
                amount_mg_per_m2: 100.0,
            },
            start_h: 2.0,
            interval_h: 21.0 * 24.0,
            doses: 3,
        };
        let p = Patient {
            height_cm: 160.0,
            weight_kg: 90.0,
            ..Patient::reference()
        };
        let ev = s.events(&p, 10.0).unwrap();
        let times: Vec<f64> = ev.iter().map(|e| e.time_h).collect();
        assert_eq!(times, vec![12.0, 516.0, 1020.0]);
        assert!(ev.iter().all(|e| (e.amount_mg - 200.0).abs() < 1e-10));
        assert_eq!(ev[0].route, Route::Infusion { duration_h: 3.0 });
    }

    #[test]
    fn schedule_validation_names_the_key() {
        let good = Schedule {
            route: Route::IvBolus,
            dose: Dose::Mg { amount_mg: 10.0 },
            start_h: 0.0,
            interval_h: 0.0,
            doses: 1,
        };
        assert!(good.validate().is_ok());
        let cases = [
            (
                Schedule {
                    dose: Dose::Mg { amount_mg: -5.0 },
                    ..good.clone()
                },
                "dose.amount_mg",
            ),
            (
                Schedule {
                    doses: 2,
                    ..good.clone()
                },
                "interval_h",
            ),
            (
                Schedule {
                    doses: 0,
                    ..good.clone()
                },
                "doses",
            ),
            (
                Schedule {
                    route: Route::Infusion { duration_h: 0.0 },
                    ..good.clone()
                },
                "route.duration_h",
            ),
            (
                Schedule {
                    start_h: -1.0,
                    ..good.clone()
                },
                "start_h",
            ),
        ];
        for (s, key) in cases {
            assert_eq!(s.validate().unwrap_err().key, key);
        }
    }

    #[test]
    fn schedule_reads_from_toml() {
        let s: Schedule = toml::from_str(
            "doses = 4\ninterval_h = 24\nroute = { kind = \"infusion\", duration_h = 1.5 }\ndose = { amount_mg_per_m2 = 75 }",
        )
        .unwrap();
        assert_eq!(s.route, Route::Infusion { duration_h: 1.5 });
        assert_eq!(
            s.dose,
            Dose::MgPerM2 {
                amount_mg_per_m2: 75.0
            }
        );
        assert_eq!(s.start_h, 0.0);
        let oral: Schedule =
            toml::from_str("doses = 1\nroute = { kind = \"oral\" }\ndose = { amount_mg = 500 }")
                .unwrap();
        assert_eq!(oral.route, Route::Oral);
        for bad in [
            "{ amount_g = 5 }",
            "{ amount_mg = 5, amount_mg_per_m2 = 3 }",
        ] {
            let text = format!("doses = 1\nroute = {{ kind = \"oral\" }}\ndose = {bad}");
            assert!(toml::from_str::<Schedule>(&text).is_err(), "{bad}");
        }
    }
}
