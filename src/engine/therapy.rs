//! Pass 1 of the tick, on the host: the protocol decides which doses are due (and reads
//! scans), pharmacokinetics advance each drug's plasma level over the tick, and the
//! tick-average level becomes the vessel source of the drug's field.

use super::EngineError;
use crate::model::biomarkers::Biomarkers;
use crate::model::census::Census;
use crate::model::counters::Counter;
use crate::model::failure::{FailureBreakdown, TreatmentExposure};
use crate::model::lineage::Lineage;
use crate::model::pk::{DoseEvent, DrugPk, Patient};
use crate::model::protocol::{Event, Measurement, ProtocolState, ScanRecord, Status};
use crate::scene::therapy::TherapyLine;
use crate::scene::Scene;
use serde::{Deserialize, Serialize};

/// What the host pass did in one tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TherapyTick {
    pub tick: u64,
    /// Each drug's plasma level averaged over the tick (µM).
    pub plasma_um: Vec<f64>,
    /// Each drug's amount administered this tick (mg).
    pub doses_mg: Vec<f64>,
    pub status: Status,
    /// Index of the current line, if any.
    pub line: Option<usize>,
    pub scan: Option<ScanRecord>,
    pub events: Vec<Event>,
    /// When a line failed this tick: why the tumour cells alive at that scan survived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_analysis: Option<FailureBreakdown>,
}

/// Ticks completed when the first dose of any drug was given, if one was.
pub fn treatment_start_tick(log: &[TherapyTick]) -> Option<u64> {
    log.iter()
        .find(|t| t.doses_mg.iter().any(|&mg| mg > 0.0))
        .map(|t| t.tick)
}

/// What the failure analysis needs at tick `now` (ticks completed): hours since each
/// drug's first dose in `log`, each drug's plasma AUC (before its first dose the level
/// is zero, so the whole log counts), and the clones founded before treatment began.
pub fn treatment_exposure(
    n_drugs: usize,
    tick_h: f64,
    log: &[TherapyTick],
    lineage: &Lineage,
    now: u64,
) -> TreatmentExposure {
    let hours_since_first_dose = (0..n_drugs)
        .map(|d| {
            log.iter()
                .find(|t| t.doses_mg.get(d).is_some_and(|&mg| mg > 0.0))
                .map(|t| now.saturating_sub(t.tick) as f64 * tick_h)
        })
        .collect();
    let plasma_auc_um_h = (0..n_drugs)
        .map(|d| {
            log.iter()
                .filter(|t| t.tick < now)
                .map(|t| t.plasma_um.get(d).copied().unwrap_or(0.0) * tick_h)
                .sum()
        })
        .collect();
    TreatmentExposure {
        hours_since_first_dose,
        plasma_auc_um_h,
        pre_treatment_clones: lineage.founded_before(treatment_start_tick(log)),
    }
}

/// The patient's drugs and the protocol, advanced once per tick; serialisable so a
/// snapshot can hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TherapyHost {
    patient: Patient,
    /// One per scene drug; `None` for a drug without pharmacokinetics.
    drugs: Vec<Option<DrugPk>>,
    /// The scene's drug names, in the order of `drugs`.
    names: Vec<String>,
    protocol: ProtocolState,
    lines: Vec<TherapyLine>,
    tick_h: f64,
}

/// The tumour as a scan sees it: its diameter is that of the disc (2D) or ball (3D)
/// holding its live cells — a volumetric reading, because cells killed by a drug leave
/// empty sites scattered through the lesion and a bounding box would not shrink; and
/// its live cells and their volume; and `biomarkers`, read from the whole state in
/// scenes with `[immune]`.
pub fn measurement(
    scene: &Scene,
    census: &Census,
    time_h: f64,
    biomarkers: Option<Biomarkers>,
) -> Measurement {
    let h = scene.lattice.site_size_um;
    let mut live = *census;
    live.counts[Counter::Necrotic.index()] = 0;
    Measurement {
        time_h,
        longest_diameter_mm: 2.0 * live.equivalent_radius_um(h, scene.is_3d()) / 1000.0,
        live_cells: census.tumour_live() as u64,
        live_volume_mm3: census.tumour_live() as f64 * h * h * h * 1e-9,
        biomarkers,
    }
}

impl TherapyHost {
    /// `None` when the scene has no therapy. Errors only on inputs that validation lets
    /// through by mistake.
    pub fn new(scene: &Scene) -> Result<Option<TherapyHost>, EngineError> {
        let Some(therapy) = &scene.therapy else {
            return Ok(None);
        };
        let patient = scene.patient.to_patient();
        let drugs = scene
            .drugs
            .iter()
            .map(|d| {
                d.pk.as_ref()
                    .map(|pk| {
                        pk.effective(&patient, scene.patient.phenotype(&d.name))
                            .map(|eff| DrugPk::new(eff, 0.0))
                    })
                    .transpose()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Therapy(e.to_string()))?;
        let protocol = ProtocolState::new(therapy.to_protocol(), scene.time.tick_h)
            .map_err(|e| EngineError::Therapy(e.to_string()))?;
        Ok(Some(TherapyHost {
            patient,
            drugs,
            names: scene.drugs.iter().map(|d| d.name.clone()).collect(),
            protocol,
            lines: therapy.lines.clone(),
            tick_h: scene.time.tick_h,
        }))
    }

    /// This state under `scene`'s therapy, which may differ only in the lines not yet
    /// begun (`ProtocolState::with_later_lines`); the drugs and the patient must be the
    /// same.
    pub fn with_later_lines(&self, scene: &Scene) -> Result<TherapyHost, String> {
        let fresh = TherapyHost::new(scene)
            .map_err(|e| e.to_string())?
            .ok_or("the scene has no therapy")?;
        if self.names != fresh.names || self.patient != fresh.patient {
            return Err("the drugs or the patient differ".into());
        }
        let models_agree = self
            .drugs
            .iter()
            .zip(&fresh.drugs)
            .all(|(a, b)| match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => a.model() == b.model(),
                _ => false,
            });
        if !models_agree || self.tick_h.to_bits() != fresh.tick_h.to_bits() {
            return Err("the drugs' pharmacokinetics or the tick length differ".into());
        }
        Ok(TherapyHost {
            protocol: self
                .protocol
                .with_later_lines(fresh.protocol.protocol().clone())?,
            lines: fresh.lines,
            ..self.clone()
        })
    }

    /// Whether this state, read from a snapshot taken at `tick`, belongs to `scene`:
    /// its drugs, patient, lines, protocol and tick length, a current line among the
    /// lines, and pharmacokinetics advanced to the tick with finite amounts. The
    /// message says what does not fit.
    pub fn check_fits(&self, scene: &Scene, tick: u64) -> Result<(), String> {
        let fresh = TherapyHost::new(scene)
            .map_err(|e| e.to_string())?
            .ok_or("the scene has no therapy")?;
        if self.names != fresh.names || self.drugs.len() != fresh.drugs.len() {
            return Err(format!(
                "therapy.drugs has {} entries ({:?}) for the scene's {} drugs ({:?})",
                self.drugs.len(),
                self.names,
                fresh.drugs.len(),
                fresh.names
            ));
        }
        if self.patient != fresh.patient
            || self.lines != fresh.lines
            || self.tick_h.to_bits() != fresh.tick_h.to_bits()
            || self.protocol.protocol() != fresh.protocol.protocol()
            || self.protocol.tick_h().to_bits() != fresh.protocol.tick_h().to_bits()
        {
            return Err(
                "therapy (patient, lines, protocol or tick_h) differs from the scene's".into(),
            );
        }
        if let Some(line) = self.protocol.current_line() {
            if line >= self.lines.len() {
                return Err(format!(
                    "therapy's current line {line} is not one of the scene's {} lines",
                    self.lines.len()
                ));
            }
        }
        let now_h = tick as f64 * self.tick_h;
        for ((name, pk), want) in self.names.iter().zip(&self.drugs).zip(&fresh.drugs) {
            match (pk, want) {
                (None, None) => {}
                (Some(pk), Some(want)) => {
                    let s = pk.state();
                    let finite = [s.depot_mg, s.central_mg, s.peripheral_mg, pk.time_h()]
                        .iter()
                        .all(|v| v.is_finite());
                    if !finite || pk.model() != want.model() {
                        return Err(format!(
                            "therapy's pharmacokinetics of {name} are not finite or not the scene's"
                        ));
                    }
                    if (pk.time_h() - now_h).abs() > 1e-6 * now_h.max(1.0) {
                        return Err(format!(
                            "therapy's pharmacokinetics of {name} are at {} h, not at tick {tick} ({now_h} h)",
                            pk.time_h()
                        ));
                    }
                }
                _ => {
                    return Err(format!(
                        "therapy's pharmacokinetics of {name} differ from the scene's"
                    ))
                }
            }
        }
        Ok(())
    }

    pub fn scan_due(&self, tick: u64) -> bool {
        self.protocol.scan_due(tick)
    }

    pub fn protocol(&self) -> &ProtocolState {
        &self.protocol
    }

    /// Runs the host pass of tick `tick` (its scan's measurement when one is due) and
    /// returns what happened, with the plasma levels for the tick.
    pub fn begin_tick(
        &mut self,
        tick: u64,
        scan: Option<&Measurement>,
    ) -> Result<TherapyTick, EngineError> {
        let outcome = self.protocol.step(tick, scan);
        let start_h = tick as f64 * self.tick_h;
        let mut doses_mg = vec![0.0; self.drugs.len()];
        for due in &outcome.doses {
            let schedule = &self.lines[due.line].doses[due.schedule];
            // Validation guarantees the drug exists and has pharmacokinetics.
            let Some(d) = self.names.iter().position(|n| *n == schedule.drug) else {
                continue;
            };
            let Some(pk) = self.drugs[d].as_mut() else {
                continue;
            };
            let amount_mg = schedule.dose.amount_mg(&self.patient);
            pk.administer(DoseEvent {
                time_h: due.time_h.max(start_h),
                amount_mg,
                route: schedule.route,
            })
            .map_err(|e| EngineError::Therapy(e.to_string()))?;
            doses_mg[d] += amount_mg;
        }
        let end_h = start_h + self.tick_h;
        let mut plasma_um = Vec::with_capacity(self.drugs.len());
        for pk in &mut self.drugs {
            plasma_um.push(match pk {
                Some(pk) => {
                    pk.advance_to(end_h)
                        .map_err(|e| EngineError::Therapy(e.to_string()))?
                        .mean_plasma_um_over_step
                }
                None => 0.0,
            });
        }
        Ok(TherapyTick {
            tick,
            plasma_um,
            doses_mg,
            status: outcome.status,
            line: self.protocol.current_line(),
            scan: outcome.scan,
            events: outcome.events,
            failure_analysis: None,
        })
    }
}
