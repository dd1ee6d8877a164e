//! Physical bounds of the patient, every `[drugs.pk]` key and every dose key. The
//! model's own checks (`model::pk`) only ask for finite, positive numbers; these bounds
//! refuse what no drug or patient has (a molecular weight of 1e308 g/mol, a volume of
//! 5e-324 L), so that plasma levels stay finite, meaningful numbers. Each bound says
//! where it comes from; all lie well outside the values of real drugs.

use super::therapy::DoseSchedule;
use super::validate::{issue, num, Issue};
use crate::model::pk::{Dose, PhenotypeMultipliers, PkModel, Route};

/// `lo <= v <= hi` and finite, else `key must be between lo and hi UNIT (got v)`.
fn bounded(key: &str, v: f64, lo: f64, hi: f64, unit: &str) -> Result<(), Issue> {
    if v.is_finite() && v >= lo && v <= hi {
        return Ok(());
    }
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    issue(
        key,
        format!(
            "must be between {} and {}{unit} (got {})",
            num(lo),
            num(hi),
            num(v)
        ),
    )
}

/// Molecular weight: hydrogen (1 g/mol) to an IgM pentamer (≈ 970 kDa), the largest
/// therapeutic proteins; lithium (6.9 g/mol) and antibodies (≈ 150 kDa) lie inside.
const MOLECULAR_WEIGHT_G_PER_MOL: (f64, f64) = (1.0, 1e6);
/// Clearance (systemic, and intercompartmental): monoclonal antibodies clear at
/// 0.1–0.5 L/day ≈ 0.004–0.02 L/h (Dirks & Meibohm 2010, Clin Pharmacokinet 49:633);
/// esmolol, hydrolysed in blood, at ≈ 20 L/h/kg ≈ 1400 L/h (Wiest 1995, Clin
/// Pharmacokinet 28:190). 1e-4 … 1e4 L/h holds both with a wide margin.
const CLEARANCE_L_PER_H: (f64, f64) = (1e-4, 1e4);
/// Distribution volumes: from a tenth of an adult's plasma volume (≈ 3 L) to beyond the
/// largest apparent volumes known (chloroquine ≈ 200 L/kg, ≈ 14,000 L; Krishna & White
/// 1996, Clin Pharmacokinet 30:263).
const VOLUME_L: (f64, f64) = (0.1, 1e5);
/// Absorption rate ka: 100/h is a 25 s absorption half-life, faster than any oral
/// route; 1e-4/h (half-life ≈ 290 days) is slower than long-acting depots (weeks).
const ABSORPTION_PER_H: (f64, f64) = (1e-4, 100.0);
/// Oral bioavailability: alendronate's ≈ 0.6 % is among the lowest in clinical use
/// (Gertz et al. 1995, Clin Pharmacol Ther 58:288); 1e-4 leaves room below it.
const BIOAVAILABILITY: (f64, f64) = (1e-4, 1.0);
/// Phenotype multipliers of non-renal clearance: CYP2D6 poor metabolisers keep 20–40 %
/// and ultra-rapid ones reach 2–3× (Kirchheiner et al. 2004, Mol Psychiatry 9:442);
/// 1/1000 … 100 allows any enzyme, DPYD deficiency included.
const PHENOTYPE_MULTIPLIER: (f64, f64) = (1e-3, 100.0);
/// Serum creatinine: 0.1 mg/dL is below any adult (normal 0.6–1.2), 20 mg/dL above
/// end-stage renal disease before dialysis (≈ 10–15 mg/dL).
const CREATININE_MG_PER_DL: (f64, f64) = (0.1, 20.0);
/// One administration: 1 ng (the smallest doses, e.g. fentanyl or digoxin, are
/// micrograms) up to 100 g; the largest single doses in oncology are high-dose
/// methotrexate in osteosarcoma, 12 g/m² ≈ 25 g.
const DOSE_MG: (f64, f64) = (1e-6, 1e5);
/// Per square metre and per kilogram, the same range for an adult: 100 g is
/// 5e4 mg/m² at 2 m² and 2000 mg/kg at 50 kg.
const DOSE_MG_PER_M2: (f64, f64) = (1e-6, 5e4);
const DOSE_MG_PER_KG: (f64, f64) = (1e-8, 2e3);
/// Infusions: 0.01 h (36 s; shorter is a bolus) to 90 days, beyond the longest
/// continuous infusions in use (blinatumomab: 28 days per cycle).
const INFUSION_H: (f64, f64) = (0.01, 90.0 * 24.0);
/// Calendar days of a plan (start, interval): 0 to 100 years.
pub const PLAN_DAYS: f64 = 36_525.0;

/// A calendar period in days that spans at least one tick and at most `PLAN_DAYS`.
pub fn at_least_a_tick(key: &str, days: f64, tick_h: f64) -> Result<(), Issue> {
    if days.is_finite() && days * 24.0 >= tick_h && days <= PLAN_DAYS {
        Ok(())
    } else {
        issue(
            key,
            format!(
                "must be at least one tick ({} h) and at most {PLAN_DAYS} days (got {})",
                num(tick_h),
                num(days)
            ),
        )
    }
}

/// `[patient]` beyond what `model::pk::Patient::validate` checks.
pub fn validate_patient(s: &super::Scene) -> Result<(), Issue> {
    let (lo, hi) = CREATININE_MG_PER_DL;
    bounded(
        "patient.serum_creatinine_mg_per_dl",
        s.patient.serum_creatinine_mg_per_dl,
        lo,
        hi,
        "mg/dL",
    )
}

/// One drug's `[drugs.pk]`; `at` is its key (`drugs[0].pk`).
pub fn validate_pk(at: &str, pk: &PkModel) -> Result<(), Issue> {
    let key = |field: &str| format!("{at}.{field}");
    let (lo, hi) = MOLECULAR_WEIGHT_G_PER_MOL;
    bounded(
        &key("molecular_weight_g_per_mol"),
        pk.molecular_weight_g_per_mol,
        lo,
        hi,
        "g/mol",
    )?;
    let (lo, hi) = CLEARANCE_L_PER_H;
    bounded(
        &key("clearance_l_per_h"),
        pk.clearance_l_per_h,
        lo,
        hi,
        "L/h",
    )?;
    if let Some(q) = pk.intercompartmental_clearance_l_per_h {
        bounded(
            &key("intercompartmental_clearance_l_per_h"),
            q,
            lo,
            hi,
            "L/h",
        )?;
    }
    let (lo, hi) = VOLUME_L;
    bounded(&key("central_volume_l"), pk.central_volume_l, lo, hi, "L")?;
    if let Some(v2) = pk.peripheral_volume_l {
        bounded(&key("peripheral_volume_l"), v2, lo, hi, "L")?;
    }
    if let Some(ka) = pk.absorption_per_h {
        let (lo, hi) = ABSORPTION_PER_H;
        bounded(&key("absorption_per_h"), ka, lo, hi, "1/h")?;
    }
    let (lo, hi) = BIOAVAILABILITY;
    bounded(&key("bioavailability"), pk.bioavailability, lo, hi, "")?;
    bounded(&key("renal_fraction"), pk.renal_fraction, 0.0, 1.0, "")?;
    let PhenotypeMultipliers {
        poor,
        intermediate,
        normal,
        ultra_rapid,
    } = pk.phenotype_clearance_multipliers;
    let (lo, hi) = PHENOTYPE_MULTIPLIER;
    for (name, m) in [
        ("poor", poor),
        ("intermediate", intermediate),
        ("normal", normal),
        ("ultra_rapid", ultra_rapid),
    ] {
        bounded(
            &key(&format!("phenotype_clearance_multipliers.{name}")),
            m,
            lo,
            hi,
            "",
        )?;
    }
    Ok(())
}

/// One `[[therapy.lines.doses]]`; `at` is its key (`therapy.lines[0].doses[1]`).
pub fn validate_dose(at: &str, d: &DoseSchedule, tick_h: f64) -> Result<(), Issue> {
    let key = |field: &str| format!("{at}.{field}");
    match d.dose {
        Dose::Mg { amount_mg } => {
            let (lo, hi) = DOSE_MG;
            bounded(&key("dose.amount_mg"), amount_mg, lo, hi, "mg")?;
        }
        Dose::MgPerM2 { amount_mg_per_m2 } => {
            let (lo, hi) = DOSE_MG_PER_M2;
            bounded(
                &key("dose.amount_mg_per_m2"),
                amount_mg_per_m2,
                lo,
                hi,
                "mg/m²",
            )?;
        }
        Dose::MgPerKg { amount_mg_per_kg } => {
            let (lo, hi) = DOSE_MG_PER_KG;
            bounded(
                &key("dose.amount_mg_per_kg"),
                amount_mg_per_kg,
                lo,
                hi,
                "mg/kg",
            )?;
        }
    }
    if let Route::Infusion { duration_h } = d.route {
        let (lo, hi) = INFUSION_H;
        bounded(&key("route.duration_h"), duration_h, lo, hi, "h")?;
    }
    bounded(&key("start_day"), d.start_day, 0.0, PLAN_DAYS, "days")?;
    // A dose every tick at most: doses closer together would fall into one tick.
    at_least_a_tick(&key("interval_days"), d.interval_days, tick_h)?;
    if d.cycles == Some(0) {
        return issue(
            &key("cycles"),
            "must be at least 1 (leave it out to dose until the line ends)".into(),
        );
    }
    Ok(())
}
