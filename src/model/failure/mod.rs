//! Why did treatment fail? Every surviving tumour cell is assigned the first reason
//! that applies, in this order:
//!
//! 1. **genetic resistance** to a drug it was exposed to: an altered target of a given
//!    drug, efflux pumps against a given substrate, or slow cycling against a given
//!    cycle-specific drug; split into pre-existing (its clone was in the tumour before
//!    treatment) and acquired (born of a mutation after);
//! 2. **persister**: in the reversible drug-tolerant state;
//! 3. **cell-cycle sanctuary**: spent at least `SANCTUARY_MIN_H` quiescent or persistent
//!    while a cycle-specific drug was above its IC50 inside it;
//! 4. no given drug reached its IC50 in the cell on average since it was first given,
//!    and then either
//!    - **pharmacological sanctuary**: for some given drug, the cell's exposure (AUC)
//!      was below `DELIVERY_MIN` of the plasma's over the same time — the drug did
//!      not reach it (poor perfusion, distance from vessels, compressed vessels); or
//!    - **low systemic exposure**: the drugs reached it as well as the blood carried
//!      them, and the blood carried too little (dose, clearance, the patient);
//! 5. **exposed sensitive**: none of the above (survived by chance, or not yet killed).
//!
//! With `[immune]`, the immune reasons (`immune`) join the order: the cell's own —
//! **antigen loss**, **PD-L1 protection**, **lack of biomarker** (too little antigen) —
//! right after genetic drug resistance, and its surroundings' — **suppression**,
//! **exclusion** (no T cell within reach), **exhaustion** — right before "exposed
//! sensitive".

mod immune;

pub use immune::BRAKE_MIN;

use crate::model::drug_params::{AUC_SCALE_PER_UM_H, TRAIT_EFFLUX, TRAIT_SLOW_CYCLE};
use crate::model::site::{Kind, Site};
use crate::scene::{DrugClass, Scene};
use immune::{ImmuneReason, ImmuneSurvey};
use serde::{Deserialize, Serialize};

/// Time quiescent under a cycle-specific drug that makes a cell-cycle sanctuary.
pub const SANCTUARY_MIN_H: f64 = 24.0;

/// A cell whose exposure to a drug is below this fraction of the plasma's was not
/// reached by it. Small-molecule drugs penetrate 40–80 µm from vessels (Primeau et al.
/// 2005, Clin Cancer Res 11:8782): with the default transport, a cell 6–7 sites
/// (≈ 130 µm) from the nearest perfused vessel gets about a tenth of the plasma level.
pub const DELIVERY_MIN: f64 = 0.1;

/// What the analysis needs to know about the treatment so far.
#[derive(Debug, Clone, PartialEq)]
pub struct TreatmentExposure {
    /// Hours since each drug was first given, `None` for drugs never given.
    pub hours_since_first_dose: Vec<Option<f64>>,
    /// Each drug's plasma AUC (µM·h) over the same hours.
    pub plasma_auc_um_h: Vec<f64>,
    /// Clone ids that existed before treatment began.
    pub pre_treatment_clones: Vec<u16>,
}

/// Fractions of the surviving cells by reason (they add up to 1 when any cell survives).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FailureFractions {
    pub pre_existing_target: f64,
    pub pre_existing_efflux: f64,
    pub pre_existing_slow_cycle: f64,
    pub acquired_target: f64,
    pub acquired_efflux: f64,
    pub acquired_slow_cycle: f64,
    pub persister: f64,
    pub cell_cycle_sanctuary: f64,
    pub pharmacological_sanctuary: f64,
    #[serde(default)]
    pub low_systemic_exposure: f64,
    pub exposed_sensitive: f64,
    #[serde(default)]
    pub antigen_loss: f64,
    #[serde(default)]
    pub pdl1_protection: f64,
    #[serde(default)]
    pub lack_of_biomarker: f64,
    #[serde(default)]
    pub suppression: f64,
    #[serde(default)]
    pub exclusion: f64,
    #[serde(default)]
    pub exhaustion: f64,
}

/// How many reasons there are: the fields of `FailureFractions`.
pub const REASONS: usize = 17;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureBreakdown {
    pub surviving_cells: u64,
    pub fractions: FailureFractions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    Genetic {
        pre_existing: bool,
        which: GeneticTrait,
    },
    Persister,
    CycleSanctuary,
    PharmacologicalSanctuary,
    LowSystemicExposure,
    Immune(ImmuneReason),
    ExposedSensitive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GeneticTrait {
    Target,
    Efflux,
    SlowCycle,
}

/// The reason one surviving cell survived.
fn reason(
    scene: &Scene,
    t: &TreatmentExposure,
    site: &Site,
    exposure: &[u32],
    immune: Option<(&ImmuneSurvey, usize)>,
) -> Reason {
    let given = |d: usize| t.hours_since_first_dose.get(d).copied().flatten();
    let traits = site.w3;
    let pre_existing = t.pre_treatment_clones.contains(&site.clone_id());
    let genetic = scene.drugs.iter().enumerate().find_map(|(d, drug)| {
        given(d)?;
        if !drug.class.acts_on_tumour_cells() {
            return None;
        }
        if traits & (1 << d) != 0 {
            Some(GeneticTrait::Target)
        } else if traits & TRAIT_EFFLUX != 0 && drug.efflux_substrate {
            Some(GeneticTrait::Efflux)
        } else if traits & TRAIT_SLOW_CYCLE != 0 && drug.class == DrugClass::CycleSpecific {
            Some(GeneticTrait::SlowCycle)
        } else {
            None
        }
    });
    if let Some(which) = genetic {
        return Reason::Genetic {
            pre_existing,
            which,
        };
    }
    if let Some(why) = immune.and_then(|(survey, i)| survey.intrinsic(i, site)) {
        return Reason::Immune(why);
    }
    if site.is_persister() {
        return Reason::Persister;
    }
    let cycle_drug_given = scene
        .drugs
        .iter()
        .enumerate()
        .any(|(d, drug)| drug.class == DrugClass::CycleSpecific && given(d).is_some());
    if cycle_drug_given && site.sanctuary_ticks() as f64 * scene.time.tick_h >= SANCTUARY_MIN_H {
        return Reason::CycleSanctuary;
    }
    // (cell's mean level reached the IC50, the drug reached the cell) per given drug.
    let given_drugs: Vec<(bool, bool)> = scene
        .drugs
        .iter()
        .enumerate()
        .filter(|(_, drug)| drug.class.acts_on_tumour_cells())
        .filter_map(|(d, drug)| {
            let hours = given(d).filter(|&h| h > 0.0)?;
            let cell_auc = exposure[d] as f64 / AUC_SCALE_PER_UM_H;
            let plasma_auc = t.plasma_auc_um_h.get(d).copied().unwrap_or(0.0);
            Some((
                cell_auc / hours >= drug.ic50_um,
                cell_auc >= DELIVERY_MIN * plasma_auc,
            ))
        })
        .collect();
    if !given_drugs.is_empty() && given_drugs.iter().all(|&(effective, _)| !effective) {
        return if given_drugs.iter().any(|&(_, reached)| !reached) {
            Reason::PharmacologicalSanctuary
        } else {
            Reason::LowSystemicExposure
        };
    }
    match immune.and_then(|(survey, i)| survey.environment(i)) {
        Some(why) => Reason::Immune(why),
        None => Reason::ExposedSensitive,
    }
}

/// A reason's place among the fields of `FailureFractions`.
fn index(r: Reason) -> usize {
    match r {
        Reason::Genetic {
            pre_existing,
            which,
        } => {
            (if pre_existing { 0 } else { 3 })
                + match which {
                    GeneticTrait::Target => 0,
                    GeneticTrait::Efflux => 1,
                    GeneticTrait::SlowCycle => 2,
                }
        }
        Reason::Persister => 6,
        Reason::CycleSanctuary => 7,
        Reason::PharmacologicalSanctuary => 8,
        Reason::LowSystemicExposure => 9,
        Reason::ExposedSensitive => 10,
        Reason::Immune(why) => {
            11 + match why {
                ImmuneReason::AntigenLoss => 0,
                ImmuneReason::Pdl1Protection => 1,
                ImmuneReason::LackOfBiomarker => 2,
                ImmuneReason::Suppression => 3,
                ImmuneReason::Exclusion => 4,
                ImmuneReason::Exhaustion => 5,
            }
        }
    }
}

/// Classifies every live tumour cell. `exposure` holds each drug's counters, `sites.len()`
/// per drug; `fields` every field, `sites.len()` values each (the immune reasons read
/// IFN-γ, the suppressor and the checkpoint inhibitor).
pub fn analyse(
    scene: &Scene,
    t: &TreatmentExposure,
    sites: &[Site],
    exposure: &[u32],
    fields: &[f32],
) -> FailureBreakdown {
    let n = sites.len();
    let n_drugs = scene.drugs.len();
    let survey = ImmuneSurvey::new(scene, sites, fields);
    let mut counts = [0u64; REASONS];
    let mut cell_exposure = vec![0u32; n_drugs];
    for (i, site) in sites.iter().enumerate() {
        if site.kind() != Kind::Tumour {
            continue;
        }
        for (d, slot) in cell_exposure.iter_mut().enumerate() {
            *slot = exposure.get(d * n + i).copied().unwrap_or(0);
        }
        let immune = survey.as_ref().map(|s| (s, i));
        counts[index(reason(scene, t, site, &cell_exposure, immune))] += 1;
    }
    let total: u64 = counts.iter().sum();
    let f = counts.map(|k| {
        if total == 0 {
            0.0
        } else {
            k as f64 / total as f64
        }
    });
    FailureBreakdown {
        surviving_cells: total,
        fractions: FailureFractions {
            pre_existing_target: f[0],
            pre_existing_efflux: f[1],
            pre_existing_slow_cycle: f[2],
            acquired_target: f[3],
            acquired_efflux: f[4],
            acquired_slow_cycle: f[5],
            persister: f[6],
            cell_cycle_sanctuary: f[7],
            pharmacological_sanctuary: f[8],
            low_systemic_exposure: f[9],
            exposed_sensitive: f[10],
            antigen_loss: f[11],
            pdl1_protection: f[12],
            lack_of_biomarker: f[13],
            suppression: f[14],
            exclusion: f[15],
            exhaustion: f[16],
        },
    }
}

impl FailureFractions {
    /// Every fraction with its summary.json name, in declaration order (the columns of a
    /// batch's summary.csv).
    pub fn named(&self) -> [(&'static str, f64); REASONS] {
        [
            ("pre_existing_target", self.pre_existing_target),
            ("pre_existing_efflux", self.pre_existing_efflux),
            ("pre_existing_slow_cycle", self.pre_existing_slow_cycle),
            ("acquired_target", self.acquired_target),
            ("acquired_efflux", self.acquired_efflux),
            ("acquired_slow_cycle", self.acquired_slow_cycle),
            ("persister", self.persister),
            ("cell_cycle_sanctuary", self.cell_cycle_sanctuary),
            ("pharmacological_sanctuary", self.pharmacological_sanctuary),
            ("low_systemic_exposure", self.low_systemic_exposure),
            ("exposed_sensitive", self.exposed_sensitive),
            ("antigen_loss", self.antigen_loss),
            ("pdl1_protection", self.pdl1_protection),
            ("lack_of_biomarker", self.lack_of_biomarker),
            ("suppression", self.suppression),
            ("exclusion", self.exclusion),
            ("exhaustion", self.exhaustion),
        ]
    }

    /// (fraction, plain description) pairs, largest first, zero ones dropped.
    pub fn ranked(&self) -> Vec<(f64, &'static str)> {
        let mut v = vec![
            (self.pre_existing_target, "carried a pre-existing altered drug target"),
            (self.pre_existing_efflux, "carried pre-existing efflux pumps"),
            (self.pre_existing_slow_cycle, "belonged to a pre-existing slow-cycling clone"),
            (self.acquired_target, "acquired an altered drug target"),
            (self.acquired_efflux, "acquired efflux pumps"),
            (self.acquired_slow_cycle, "acquired slow cycling"),
            (self.persister, "were drug-tolerant persisters"),
            (
                self.cell_cycle_sanctuary,
                "sat quiescent in hypoxia while the cycle-specific drug was present (cell-cycle sanctuary)",
            ),
            (
                self.pharmacological_sanctuary,
                "were out of the drug's reach (pharmacological sanctuary: poor perfusion or distance from vessels)",
            ),
            (
                self.low_systemic_exposure,
                "received the drug as well as the blood carried it, but the blood carried too little (dose, clearance, the patient)",
            ),
            (self.exposed_sensitive, "were sensitive and exposed but not yet killed"),
            (self.antigen_loss, "had lost antigen, so T cells could not recognise them"),
            (
                self.pdl1_protection,
                "were protected by PD-L1 that no checkpoint inhibitor blocked where they sat",
            ),
            (
                self.lack_of_biomarker,
                "had too little antigen for T cells to recognise them (the tumour lacked the biomarker immunotherapy needs)",
            ),
            (
                self.suppression,
                "sat where the suppressive field removed at least half of T-cell killing",
            ),
            (
                self.exclusion,
                "were out of the T cells' reach (excluded: no T cell within 100 µm)",
            ),
            (self.exhaustion, "were within reach of exhausted T cells only"),
        ];
        v.retain(|(f, _)| *f > 0.0);
        v.sort_by(|a, b| b.0.total_cmp(&a.0));
        v
    }

    /// One plain sentence on the two main reasons.
    pub fn sentence(&self, surviving: u64) -> String {
        // A share that rounds to 0 % (or 100 %) is still there (or not all).
        let pct = |f: f64| match f * 100.0 {
            p if p < 0.5 => "<1 %".to_string(),
            p if p > 99.5 && f < 1.0 => ">99 %".to_string(),
            p => format!("{p:.0} %"),
        };
        let ranked = self.ranked();
        match ranked.as_slice() {
            [] => "No tumour cell survived.".into(),
            [(f, what)] => format!("Of {surviving} surviving cells, {} {what}.", pct(*f)),
            [(f1, w1), (f2, w2), ..] => format!(
                "Of {surviving} surviving cells, {} {w1}, and {} {w2}.",
                pct(*f1),
                pct(*f2)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::site::PERSISTER_BIT;
    use std::path::Path;

    fn scene() -> Scene {
        Scene::parse(
            "seed = 1\n[lattice]\nnx = 4\nny = 4\n\
             [[drugs]]\nname = \"taxane\"\nclass = \"cycle_specific\"\nefflux_substrate = true\n\
             emax_per_h = 0.1\nic50_um = 0.01\n\
             [[drugs]]\nname = \"tki\"\nclass = \"targeted\"\nemax_per_h = 0.1\nic50_um = 1.0\n",
            Path::new("t.toml"),
        )
        .unwrap()
    }

    #[test]
    fn named_fractions_are_the_serialised_ones_in_order() {
        let f = FailureFractions {
            pre_existing_target: 0.01,
            pre_existing_efflux: 0.02,
            pre_existing_slow_cycle: 0.03,
            acquired_target: 0.04,
            acquired_efflux: 0.05,
            acquired_slow_cycle: 0.06,
            persister: 0.07,
            cell_cycle_sanctuary: 0.08,
            pharmacological_sanctuary: 0.09,
            low_systemic_exposure: 0.10,
            exposed_sensitive: 0.11,
            antigen_loss: 0.12,
            pdl1_protection: 0.13,
            lack_of_biomarker: 0.14,
            suppression: 0.15,
            exclusion: 0.16,
            exhaustion: 0.17,
        };
        let json = serde_json::to_value(&f).unwrap();
        let fields = json.as_object().unwrap();
        let named = f.named();
        assert_eq!(named.len(), fields.len());
        for (k, (name, v)) in named.iter().enumerate() {
            assert_eq!(fields[*name].as_f64(), Some(*v), "{name}");
            assert!((v - 0.01 * (k + 1) as f64).abs() < 1e-12, "{name}");
        }
    }

    /// One cell per known answer, on a 16-site lattice.
    #[test]
    fn each_constructed_cell_gets_its_known_reason() {
        let scene = scene();
        let n = 16;
        let mut sites = vec![Site::EMPTY; n];
        let mut exposure = vec![0u32; 2 * n];
        // 100 h of treatment; an "exposed" cell has a mean level of 10× IC50.
        let exposed = |ic50: f64| (ic50 * 10.0 * 100.0 * AUC_SCALE_PER_UM_H) as u32;
        let mut put =
            |i: usize, clone: u16, w3: u32, w0_extra: u32, w2: u32, exposed_to: [bool; 2]| {
                let mut s = Site::tumour(clone, 0, 20);
                s.w3 = w3;
                s.w0 |= w0_extra;
                s.w2 = w2;
                sites[i] = s;
                exposure[i] = if exposed_to[0] { exposed(0.01) } else { 0 };
                exposure[n + i] = if exposed_to[1] { exposed(1.0) } else { 0 };
            };
        put(0, 0, 1 << 1, 0, 0, [true, true]); // altered target of tki: pre-existing
        put(1, 7, TRAIT_EFFLUX, 0, 0, [true, true]); // efflux, clone born later: acquired
        put(2, 0, TRAIT_SLOW_CYCLE, 0, 0, [true, true]); // slow cycling vs taxane
        put(3, 0, 0, PERSISTER_BIT, 0, [true, true]); // persister
        put(4, 0, 0, 0, 30 << 16, [true, true]); // 30 h quiescent under taxane
        put(5, 0, 0, 0, 0, [false, false]); // never exposed
        put(6, 0, 0, 0, 0, [true, false]); // exposed to taxane only: not a sanctuary
                                           // Reached by both drugs (half the plasma's AUC) whose plasma levels stayed low.
        put(8, 0, 0, 0, 0, [false, false]);
        exposure[8] = (0.25 * AUC_SCALE_PER_UM_H) as u32;
        exposure[n + 8] = (25.0 * AUC_SCALE_PER_UM_H) as u32;
        sites[7] = Site {
            w0: Kind::Necrotic as u32,
            ..Site::EMPTY
        }; // dead: not counted
           // Mean plasma levels over the 100 h: taxane 0.005 µM, tki 0.5 µM (half their IC50).
        let t = TreatmentExposure {
            hours_since_first_dose: vec![Some(100.0), Some(100.0)],
            plasma_auc_um_h: vec![0.5, 50.0],
            pre_treatment_clones: vec![0],
        };
        let b = analyse(&scene, &t, &sites, &exposure, &[]);
        assert_eq!(b.surviving_cells, 8);
        let f = &b.fractions;
        let one = 1.0 / 8.0;
        for (what, got) in [
            ("pre-existing target", f.pre_existing_target),
            ("acquired efflux", f.acquired_efflux),
            ("pre-existing slow cycle", f.pre_existing_slow_cycle),
            ("persister", f.persister),
            ("cell-cycle sanctuary", f.cell_cycle_sanctuary),
            ("pharmacological sanctuary", f.pharmacological_sanctuary),
            ("low systemic exposure", f.low_systemic_exposure),
            ("exposed sensitive", f.exposed_sensitive),
        ] {
            assert!((got - one).abs() < 1e-12, "{what}: {got}");
        }
        assert!(f.sentence(8).starts_with("Of 8 surviving cells, 12 % "));
    }

    #[test]
    fn traits_against_drugs_never_given_do_not_count() {
        let scene = scene();
        let mut sites = vec![Site::EMPTY; 16];
        let mut s = Site::tumour(0, 0, 20);
        s.w3 = 1 << 1 | TRAIT_EFFLUX;
        sites[0] = s;
        // Only the targeted drug... was never given; the taxane was, and the cell's
        // pumps carry it: pre-existing efflux.
        let t = TreatmentExposure {
            hours_since_first_dose: vec![Some(50.0), None],
            plasma_auc_um_h: vec![5.0, 0.0],
            pre_treatment_clones: vec![0],
        };
        let b = analyse(&scene, &t, &sites, &[0; 32], &[]);
        assert_eq!(b.fractions.pre_existing_efflux, 1.0);
        assert_eq!(b.fractions.pre_existing_target, 0.0);
    }
}
