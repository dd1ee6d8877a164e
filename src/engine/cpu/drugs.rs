//! CPU twin of `drug_action` in shaders/cells.wgsl.

use crate::model::drug_params::{DrugSet, CLASS_CYCLE_SPECIFIC, CLASS_CYTOSTATIC, TRAIT_EFFLUX};
use crate::model::params::SimParams;
use crate::model::pd::{pd_index, PD_TABLE_LEN};
use crate::model::rng::{draw, stream};
use crate::model::site::{Site, LOW16, PERSISTER_BIT};

/// What the drugs did to one cell this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrugOutcome {
    pub killed: bool,
    pub arrested: bool,
    pub persister: bool,
    /// A cycle-specific drug is at or above its IC50 inside the cell.
    pub cycle_drug_present: bool,
}

/// Every drug acts independently (Bliss): its own draw against its PD threshold at
/// the cell's effective level. Adds the tick's exposure to `exposure[d]` (the cell's
/// counters, one per drug) and moves the cell in or out of the persister state.
#[allow(clippy::too_many_arguments)]
pub fn drug_action(
    sim: &SimParams,
    set: &DrugSet,
    pd_table: &[u32],
    drug_levels: &[f32],
    exposure: &mut [u32],
    i: u32,
    s: Site,
    quiescent: bool,
) -> DrugOutcome {
    let was_persister = s.w0 & PERSISTER_BIT != 0;
    let mut out = DrugOutcome {
        killed: false,
        arrested: false,
        persister: was_persister,
        cycle_drug_present: false,
    };
    let traits = s.w3;
    let cycling = !quiescent && !was_persister;
    let len = s.w1 >> 16;
    let progress = s.w1 & LOW16;
    let in_s_g2_m = len - progress.min(len) <= set.s_g2_m_ticks;
    let mut exposed = false;
    for d in 0..set.n_drugs as usize {
        let drug = set.drugs[d];
        let mut level = drug_levels[d];
        if traits & TRAIT_EFFLUX != 0 && drug.efflux_substrate == 1 {
            level *= set.efflux_fraction;
        }
        let added = (level * set.auc_per_um_tick).clamp(0.0, 4_294_967_040.0) as u32;
        exposure[d] = exposure[d].saturating_add(added);
        if level >= drug.exposure_um {
            exposed = true;
            if drug.drug_class == CLASS_CYCLE_SPECIFIC {
                out.cycle_drug_present = true;
            }
        }
        let mut effective = level;
        if traits & (1 << d) != 0 {
            effective *= set.inv_target_factor;
        }
        if was_persister {
            effective *= set.inv_persister_factor;
        }
        let acts = match drug.drug_class {
            CLASS_CYCLE_SPECIFIC => cycling && in_s_g2_m,
            CLASS_CYTOSTATIC => cycling,
            _ => true,
        };
        let threshold = pd_table[d * PD_TABLE_LEN + pd_index(effective)];
        if acts && draw(sim.tick_key, i, stream::DRUG0 + d as u32) < threshold {
            if drug.drug_class == CLASS_CYTOSTATIC {
                out.arrested = true;
            } else {
                out.killed = true;
            }
        }
    }
    let r = draw(sim.tick_key, i, stream::PERSISTER);
    if was_persister {
        if !exposed && r < set.persister_exit_threshold {
            out.persister = false;
        }
    } else if exposed && r < set.persister_entry_threshold {
        out.persister = true;
    }
    out
}
