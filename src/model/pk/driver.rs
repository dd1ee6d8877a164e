//! One drug in one patient over a run: dose events in, plasma levels per tick out.

use super::{DoseEvent, EffectivePk, PkError, PkState, Route};
use serde::{Deserialize, Serialize};

/// An infusion in progress.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Infusion {
    end_h: f64,
    rate_mg_per_h: f64,
}

/// Cumulative amounts since the start; `administered_mg` equals body content plus
/// `eliminated_mg` plus `unabsorbed_mg` up to rounding.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MassTotals {
    /// Bolus and oral amounts as given, infusions as far as they have run.
    pub administered_mg: f64,
    pub eliminated_mg: f64,
    /// The (1 − F) share of oral doses that never reached the depot.
    pub unabsorbed_mg: f64,
}

/// Plasma levels at the end of an `advance_to` and over the interval it covered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlasmaSample {
    pub time_h: f64,
    pub plasma_mg_per_l: f64,
    pub plasma_um: f64,
    /// Exact time average over the interval (its AUC ÷ its length); the end value for
    /// an empty interval. This is what a tick's vessel source should see.
    pub mean_plasma_um_over_step: f64,
    /// Cumulative plasma AUC since the start.
    pub auc_um_h: f64,
}

/// The pharmacokinetic state of one drug in one patient. The caller (the protocol)
/// adds dose events as it decides them and advances time tick by tick; an event at
/// time t takes effect for the interval starting at t, so a sample at t is the level
/// just before a dose at t (a trough). Deterministic and serialisable for snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrugPk {
    model: EffectivePk,
    time_h: f64,
    state: PkState,
    /// Events not yet applied, sorted by time; equal times keep their order of arrival.
    pending: Vec<DoseEvent>,
    infusions: Vec<Infusion>,
    totals: MassTotals,
    /// ∫ central amount dt since the start, mg·h.
    central_mg_h: f64,
}

impl DrugPk {
    /// A drug-free patient at `start_h`.
    pub fn new(model: EffectivePk, start_h: f64) -> Self {
        DrugPk {
            model,
            time_h: start_h,
            state: PkState::default(),
            pending: Vec::new(),
            infusions: Vec::new(),
            totals: MassTotals::default(),
            central_mg_h: 0.0,
        }
    }

    pub fn model(&self) -> &EffectivePk {
        &self.model
    }

    pub fn time_h(&self) -> f64 {
        self.time_h
    }

    pub fn state(&self) -> &PkState {
        &self.state
    }

    pub fn totals(&self) -> &MassTotals {
        &self.totals
    }

    /// Events given but not yet applied, in the order they will be.
    pub fn pending(&self) -> &[DoseEvent] {
        &self.pending
    }

    pub fn plasma_mg_per_l(&self) -> f64 {
        self.state.central_mg_per_l(&self.model)
    }

    pub fn plasma_um(&self) -> f64 {
        self.state.central_um(&self.model)
    }

    pub fn auc_um_h(&self) -> f64 {
        self.model.um(self.central_mg_h)
    }

    /// Infusion rate over the interval starting now (infusions that end now excluded;
    /// infusions that start now included once their event has been applied).
    pub fn infusion_rate_mg_per_h(&self) -> f64 {
        self.infusions
            .iter()
            .filter(|i| i.end_h > self.time_h)
            .map(|i| i.rate_mg_per_h)
            .sum()
    }

    /// Schedules one administration; it may lie at the current time or later.
    pub fn administer(&mut self, event: DoseEvent) -> Result<(), PkError> {
        event.validate()?;
        if event.time_h < self.time_h {
            return Err(PkError::new(
                "time_h",
                format!(
                    "{} h is before the current time {} h; doses cannot be given in the past",
                    event.time_h, self.time_h
                ),
            ));
        }
        if event.route == Route::Oral && self.model.absorption_per_h.is_none() {
            return Err(PkError::new(
                "route",
                "oral needs the drug's absorption_per_h (first-order absorption rate ka)",
            ));
        }
        let at = self.pending.partition_point(|e| e.time_h <= event.time_h);
        self.pending.insert(at, event);
        Ok(())
    }

    /// Schedules several administrations (e.g. `Schedule::events`); all or none.
    pub fn administer_all(&mut self, events: &[DoseEvent]) -> Result<(), PkError> {
        let mut next = self.clone();
        for &event in events {
            next.administer(event)?;
        }
        *self = next;
        Ok(())
    }

    /// Advances to `t_h`, splitting the interval at every dose and infusion end so each
    /// piece has constant input and is solved exactly.
    pub fn advance_to(&mut self, t_h: f64) -> Result<PlasmaSample, PkError> {
        if !(t_h.is_finite() && t_h >= self.time_h) {
            return Err(PkError::new(
                "time_h",
                format!("{t_h} h is before the current time {} h", self.time_h),
            ));
        }
        let start_h = self.time_h;
        // Summed per interval rather than differenced from the running total, which
        // would lose digits once the total dwarfs one tick's share.
        let mut interval_mg_h = 0.0;
        while self.time_h < t_h {
            self.apply_due();
            let mut next = t_h;
            if let Some(e) = self.pending.first() {
                next = next.min(e.time_h);
            }
            for i in &self.infusions {
                next = next.min(i.end_h);
            }
            let rate = self.infusion_rate_mg_per_h();
            let step = self.state.advance(&self.model, next - self.time_h, rate);
            self.central_mg_h += step.central_mg_h;
            interval_mg_h += step.central_mg_h;
            self.totals.administered_mg += step.infused_mg;
            self.totals.eliminated_mg += step.eliminated_mg;
            self.time_h = next;
        }
        let plasma_um = self.plasma_um();
        let span_h = t_h - start_h;
        let mean_plasma_um_over_step = if span_h > 0.0 {
            self.model.um(interval_mg_h) / span_h
        } else {
            plasma_um
        };
        Ok(PlasmaSample {
            time_h: t_h,
            plasma_mg_per_l: self.plasma_mg_per_l(),
            plasma_um,
            mean_plasma_um_over_step,
            auc_um_h: self.auc_um_h(),
        })
    }

    /// Applies the events due now and drops infusions that have run their course.
    fn apply_due(&mut self) {
        let due = self.pending.partition_point(|e| e.time_h <= self.time_h);
        for event in self.pending.drain(..due) {
            match event.route {
                Route::Infusion { duration_h } if event.time_h + duration_h > event.time_h => {
                    self.infusions.push(Infusion {
                        end_h: event.time_h + duration_h,
                        rate_mg_per_h: event.amount_mg / duration_h,
                    })
                }
                // Too short to be resolved at this time's precision: a bolus.
                Route::Infusion { .. } | Route::IvBolus => {
                    self.state.central_mg += event.amount_mg;
                    self.totals.administered_mg += event.amount_mg;
                }
                Route::Oral => {
                    let absorbed = event.amount_mg * self.model.bioavailability;
                    self.state.depot_mg += absorbed;
                    self.totals.unabsorbed_mg += event.amount_mg - absorbed;
                    self.totals.administered_mg += event.amount_mg;
                }
            }
        }
        let now = self.time_h;
        self.infusions.retain(|i| i.end_h > now);
    }
}
