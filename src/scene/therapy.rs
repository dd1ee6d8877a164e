//! The patient, and the treatment plan: lines of therapy with their dose schedules,
//! monitoring scans with RECIST-style response, holidays and adaptive dosing.
//! Mapped onto `model::pk` and `model::protocol` by `to_protocol` / `to_patient`.

use crate::model::pk::{Dose, Patient, Phenotype, Route, Sex};
use crate::model::protocol::{
    Adaptive, BiomarkerRule, ConfirmedProgression, Criteria, Holiday, Line, Protocol, Scanner,
    ScheduleRef,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The patient whose pharmacokinetics the drugs follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientSpec {
    #[serde(default = "defaults::weight_kg")]
    pub weight_kg: f64,
    #[serde(default = "defaults::height_cm")]
    pub height_cm: f64,
    #[serde(default = "defaults::age_years")]
    pub age_years: f64,
    #[serde(default = "defaults::sex")]
    pub sex: Sex,
    #[serde(default = "defaults::creatinine")]
    pub serum_creatinine_mg_per_dl: f64,
    /// Metaboliser phenotype per drug name (`poor`, `intermediate`, `normal`,
    /// `ultra_rapid`); drugs not named are `normal`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub phenotypes: BTreeMap<String, Phenotype>,
}

/// One drug's schedule within a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseSchedule {
    pub drug: String,
    /// `{ kind = "iv_bolus" }`, `{ kind = "infusion", duration_h = 1 }` or `{ kind = "oral" }`.
    pub route: Route,
    /// `{ amount_mg = … }`, `{ amount_mg_per_m2 = … }` or `{ amount_mg_per_kg = … }`.
    pub dose: Dose,
    /// First dose this many days after the line starts.
    #[serde(default)]
    pub start_day: f64,
    /// Days between doses (a cycle).
    pub interval_days: f64,
    /// Number of doses; absent means until the line ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cycles: Option<u32>,
}

/// A line of therapy: its drugs given together until confirmed progression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TherapyLine {
    pub name: String,
    pub doses: Vec<DoseSchedule>,
    /// A biomarker rule: the line is given only if the tumour meets it at the scan that
    /// would start it, else skipped for the next line (needs `[immune]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<BiomarkerRule>,
}

/// The treatment plan and how response is monitored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Therapy {
    /// Days between scans; treatment starts at the first scan that finds a measurable
    /// tumour, which is the baseline.
    #[serde(default = "defaults::scan_every_days")]
    pub scan_every_days: f64,
    #[serde(default)]
    pub first_scan_day: f64,
    /// Tumours with a smaller longest diameter are not detected (recorded as 0 mm).
    /// The lattice holds millimetre tumours, so RECIST's clinical millimetres are
    /// scaled down: 0.1 mm here plays the role of RECIST's 5 mm CT limit.
    #[serde(default = "defaults::detection_limit_mm")]
    pub detection_limit_mm: f64,
    /// Smallest measurable baseline diameter (RECIST 1.1: 10 mm; scaled as above).
    #[serde(default = "defaults::measurable_min_mm")]
    pub measurable_min_mm: f64,
    /// Smallest absolute growth over the nadir that counts as PD (RECIST 1.1: 5 mm;
    /// scaled as above).
    #[serde(default = "defaults::pd_min_increase_mm")]
    pub pd_min_increase_mm: f64,
    /// Days a PR or CR must last to count as best response (RECIST 1.1: 28).
    #[serde(default = "defaults::confirm_days")]
    pub confirm_days: f64,
    /// Consecutive PD scans that confirm progression and switch to the next line.
    #[serde(default = "defaults::confirm_progression_scans")]
    pub confirm_progression_scans: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holidays: Option<Holiday>,
    /// Adaptive dosing (Zhang et al. 2017, Nat Commun 8:1816): pause below
    /// `pause_below_fraction` of the baseline burden, resume at `resume_at_fraction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptive: Option<Adaptive>,
    pub lines: Vec<TherapyLine>,
}

pub mod defaults {
    use crate::model::pk::Sex;
    /// The reference patient of the PK models: 70 kg, 170 cm, 40 years, male,
    /// serum creatinine 1.0 mg/dL.
    pub fn weight_kg() -> f64 {
        70.0
    }
    pub fn height_cm() -> f64 {
        170.0
    }
    pub fn age_years() -> f64 {
        40.0
    }
    pub fn sex() -> Sex {
        Sex::Male
    }
    pub fn creatinine() -> f64 {
        1.0
    }
    /// Scans every 6–8 weeks are typical on treatment (RECIST 1.1 §3.3); simulated
    /// tumours are small and fast, so two weeks.
    pub fn scan_every_days() -> f64 {
        14.0
    }
    pub fn detection_limit_mm() -> f64 {
        0.1
    }
    pub fn measurable_min_mm() -> f64 {
        0.2
    }
    pub fn pd_min_increase_mm() -> f64 {
        0.1
    }
    pub fn confirm_days() -> f64 {
        28.0
    }
    pub fn confirm_progression_scans() -> u32 {
        1
    }
}

impl Default for PatientSpec {
    fn default() -> Self {
        PatientSpec {
            weight_kg: defaults::weight_kg(),
            height_cm: defaults::height_cm(),
            age_years: defaults::age_years(),
            sex: defaults::sex(),
            serum_creatinine_mg_per_dl: defaults::creatinine(),
            phenotypes: BTreeMap::new(),
        }
    }
}

impl PatientSpec {
    pub fn to_patient(&self) -> Patient {
        Patient {
            weight_kg: self.weight_kg,
            height_cm: self.height_cm,
            age_years: self.age_years,
            sex: self.sex,
            serum_creatinine_mg_per_dl: self.serum_creatinine_mg_per_dl,
        }
    }

    pub fn phenotype(&self, drug: &str) -> Phenotype {
        self.phenotypes.get(drug).copied().unwrap_or_default()
    }
}

impl Therapy {
    /// The protocol the host runs: RECIST 1.1 criteria with the scaled millimetres.
    pub fn to_protocol(&self) -> Protocol {
        let lines = self
            .lines
            .iter()
            .map(|l| Line {
                name: l.name.clone(),
                requires: l.requires,
                schedules: l
                    .doses
                    .iter()
                    .map(|d| ScheduleRef {
                        drug: d.drug.clone(),
                        offset_h: d.start_day * 24.0,
                        interval_h: d.interval_days * 24.0,
                        doses: d.cycles,
                    })
                    .collect(),
            })
            .collect();
        Protocol {
            lines,
            scanner: Scanner {
                every_days: self.scan_every_days,
                first_day: self.first_scan_day,
                detection_limit_mm: self.detection_limit_mm,
                measurable_min_mm: self.measurable_min_mm,
            },
            criteria: Criteria {
                pd_min_increase_mm: self.pd_min_increase_mm,
                confirm_days: self.confirm_days,
                ..Criteria::RECIST_1_1
            },
            switch_on: ConfirmedProgression {
                scans: self.confirm_progression_scans,
            },
            holidays: self.holidays.clone(),
            adaptive: self.adaptive.clone(),
        }
    }
}
