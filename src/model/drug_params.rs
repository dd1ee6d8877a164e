//! What the cells kernel needs to know about drugs and traits, in lattice units.
//! Keep in sync with shaders/shared/drugs.wgsl.

use crate::model::pd::{pd_table, PD_TABLE_LEN};
use crate::model::rng;
use crate::scene::{DrugClass, DrugInteraction, Scene, MAX_DRUGS};
use bytemuck::{Pod, Zeroable};

/// Trait bits in `Site::w3`: bit d = altered target of drug d (d < 4), then efflux,
/// slow cycling, and the two immune-evasion traits (`model::immune`): antigen loss
/// and constitutive PD-L1. Heritable: a daughter copies them.
pub const TRAIT_TARGET_MASK: u32 = 0xf;
pub const TRAIT_EFFLUX: u32 = 1 << 4;
pub const TRAIT_SLOW_CYCLE: u32 = 1 << 5;
pub const TRAIT_ANTIGEN_LOSS: u32 = 1 << 6;
pub const TRAIT_PDL1: u32 = 1 << 7;

/// Fixed-point scale of the exposure (AUC) counters: 1/1024 µM·h per unit.
pub const AUC_SCALE_PER_UM_H: f64 = 1024.0;
/// Largest exposure one tick adds: the largest f32 below 2³², so the conversion to
/// u32 is exact on both backends.
pub const AUC_MAX: f32 = 4_294_967_040.0;

pub const INTERACTION_BLISS: u32 = 0;
pub const INTERACTION_HIGHEST_SINGLE_AGENT: u32 = 1;

pub const CLASS_CYCLE_SPECIFIC: u32 = 0;
pub const CLASS_NONSPECIFIC: u32 = 1;
pub const CLASS_TARGETED: u32 = 2;
pub const CLASS_CYTOSTATIC: u32 = 3;

/// One drug. Keep in sync with `struct DrugParams` in shaders/shared/drugs.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct DrugParams {
    /// `CLASS_*`.
    pub drug_class: u32,
    /// 1 when efflux pumps carry this drug.
    pub efflux_substrate: u32,
    /// Intracellular level (µM) at or above which a cell counts as exposed: the IC50.
    pub exposure_um: f32,
    /// The field that holds its level (`model::fields::drug_field`).
    pub field: u32,
}

/// Drugs and traits as the cells and resolve kernels read them (uniform, group 0
/// binding 3). Keep in sync with `struct DrugSet` in shaders/shared/drugs.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct DrugSet {
    pub n_drugs: u32,
    /// Intracellular fraction of an efflux substrate in a cell with pumps.
    pub efflux_fraction: f32,
    /// 1 / (IC50 factor of an altered target): the level is scaled instead of the IC50.
    pub inv_target_factor: f32,
    /// 1 / (IC50 factor of a persister).
    pub inv_persister_factor: f32,
    pub persister_entry_threshold: u32,
    pub persister_exit_threshold: u32,
    /// Ticks of S/G2/M at the end of a cycle (cycle-specific drugs kill only there).
    pub s_g2_m_ticks: u32,
    /// Exposure units added per µM per tick (tick_h · 1024).
    pub auc_per_um_tick: f32,
    /// `INTERACTION_*`: how the drugs' effects combine in one cell.
    pub interaction: u32,
    pub _pad: [u32; 3],
    /// Cycle-length factor (8 fractional bits) by trait combination:
    /// [none, efflux, slow, efflux + slow].
    pub cycle_factor_fx8: [u32; 4],
    /// Per-division mutation threshold (`rng::threshold`) of each trait bit: bit d
    /// (d < 4) the target of drug d, bit 4 efflux, bit 5 slow cycling, bit 6 antigen loss,
    /// bit 7 constitutive PD-L1.
    pub mutation_threshold: [u32; 8],
    pub drugs: [DrugParams; MAX_DRUGS],
}

impl DrugSet {
    pub fn from_scene(scene: &Scene) -> DrugSet {
        let r = &scene.resistance;
        let tick_h = scene.time.tick_h;
        let fx8 = |f: f64| (f * 256.0).round() as u32;
        let mut drugs = [DrugParams::default(); MAX_DRUGS];
        for (k, (slot, d)) in drugs.iter_mut().zip(&scene.drugs).enumerate() {
            *slot = DrugParams {
                drug_class: match d.class {
                    DrugClass::CycleSpecific => CLASS_CYCLE_SPECIFIC,
                    DrugClass::Nonspecific => CLASS_NONSPECIFIC,
                    DrugClass::Targeted => CLASS_TARGETED,
                    // A checkpoint inhibitor arrests nothing: its PD table is all 0
                    // (`emax_per_h` is 0); its effect is the T cells' (`model::immune`).
                    DrugClass::Cytostatic | DrugClass::Checkpoint | DrugClass::AntiAngiogenic => {
                        CLASS_CYTOSTATIC
                    }
                },
                efflux_substrate: d.efflux_substrate as u32,
                // A checkpoint inhibitor exposes no tumour cell (no persister entry,
                // no sanctuary): its target is on the T cells.
                exposure_um: if !d.class.acts_on_tumour_cells() {
                    f32::INFINITY
                } else {
                    d.ic50_um as f32
                },
                field: crate::model::fields::drug_field(k) as u32,
            };
        }
        let mut mutation_threshold = [0u32; 8];
        for (slot, d) in mutation_threshold.iter_mut().zip(&scene.drugs) {
            let p = d
                .target_mutation_per_division
                .unwrap_or(r.target_mutation_per_division);
            // A tumour cell cannot alter a checkpoint inhibitor's target (PD-1, on T cells).
            *slot = if d.class.acts_on_tumour_cells() {
                rng::threshold(p)
            } else {
                0
            };
        }
        mutation_threshold[4] = rng::threshold(r.efflux_mutation_per_division);
        mutation_threshold[5] = rng::threshold(r.slow_cycle_mutation_per_division);
        if let Some(immune) = &scene.immune {
            mutation_threshold[6] = rng::threshold(immune.antigen_loss_mutation_per_division);
            mutation_threshold[7] = rng::threshold(immune.pdl1_mutation_per_division);
        }
        DrugSet {
            n_drugs: scene.drugs.len() as u32,
            efflux_fraction: r.efflux_fraction as f32,
            inv_target_factor: (1.0 / r.target_ic50_factor) as f32,
            inv_persister_factor: (1.0 / r.persister_ic50_factor) as f32,
            persister_entry_threshold: rng::threshold(r.persister_entry_per_h * tick_h),
            persister_exit_threshold: rng::threshold(r.persister_exit_per_h * tick_h),
            s_g2_m_ticks: (scene.cells.s_g2_m_h / tick_h).round() as u32,
            auc_per_um_tick: (tick_h * AUC_SCALE_PER_UM_H) as f32,
            interaction: match scene.drug_interaction {
                DrugInteraction::Bliss => INTERACTION_BLISS,
                DrugInteraction::HighestSingleAgent => INTERACTION_HIGHEST_SINGLE_AGENT,
            },
            _pad: [0; 3],
            cycle_factor_fx8: [
                fx8(1.0),
                fx8(r.efflux_cycle_factor),
                fx8(r.slow_cycle_factor),
                fx8(r.efflux_cycle_factor * r.slow_cycle_factor),
            ],
            mutation_threshold,
            drugs,
        }
    }

    /// Whether any trait can mutate (the tick then numbers new clones).
    pub fn mutates(&self) -> bool {
        self.mutation_threshold.iter().any(|&t| t > 0)
    }

    /// The traits of a daughter of a cell with `traits`, born at `site` in the tick
    /// with key `key`: each trait bit not yet set mutates with its own draw.
    pub fn mutate(&self, key: u32, site: u32, traits: u32) -> u32 {
        let mut out = traits;
        for (k, &threshold) in self.mutation_threshold.iter().enumerate() {
            if traits & (1 << k) == 0
                && threshold > 0
                && rng::draw(key, site, rng::stream::MUTATION0 + k as u32) < threshold
            {
                out |= 1 << k;
            }
        }
        out
    }

    /// Multiplies a drawn cycle length by the factor of the cell's traits.
    pub fn scale_cycle(&self, len: u32, traits: u32) -> u32 {
        let combo = ((traits & TRAIT_EFFLUX != 0) as usize)
            | (((traits & TRAIT_SLOW_CYCLE != 0) as usize) << 1);
        ((len * self.cycle_factor_fx8[combo] + 128) >> 8).clamp(1, 0xffff)
    }
}

/// The PD tables of all drugs, concatenated (`PD_TABLE_LEN` thresholds each); one
/// zero table when the scene has no drugs, so the buffer is never empty.
pub fn pd_tables(scene: &Scene) -> Vec<u32> {
    if scene.drugs.is_empty() {
        return vec![0; PD_TABLE_LEN];
    }
    scene
        .drugs
        .iter()
        .flat_map(|d| pd_table(d.emax_per_h, d.ic50_um, d.hill, scene.time.tick_h))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_16_byte_multiples() {
        assert_eq!(std::mem::size_of::<DrugParams>(), 16);
        assert_eq!(std::mem::size_of::<DrugSet>(), 160);
    }

    #[test]
    fn cycle_scaling_by_traits() {
        let set = DrugSet {
            cycle_factor_fx8: [256, 307, 512, 614],
            ..Default::default()
        };
        assert_eq!(set.scale_cycle(20, 0), 20);
        assert_eq!(set.scale_cycle(20, TRAIT_EFFLUX), 24);
        assert_eq!(set.scale_cycle(20, TRAIT_SLOW_CYCLE), 40);
        assert_eq!(
            set.scale_cycle(20, TRAIT_SLOW_CYCLE | TRAIT_EFFLUX | 0x3),
            48
        );
        assert_eq!(set.scale_cycle(60000, TRAIT_SLOW_CYCLE), 0xffff);
    }
}
