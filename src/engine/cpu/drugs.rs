//! CPU twin of `drug_action` in shaders/cells.wgsl.

use crate::model::drug_params::{
    DrugSet, AUC_MAX, CLASS_CYCLE_SPECIFIC, CLASS_CYTOSTATIC, INTERACTION_BLISS, TRAIT_EFFLUX,
};
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

/// With Bliss interaction every drug acts independently: its own draw against its PD
/// threshold at the cell's effective level. With highest single agent, one draw per
/// effect (kill, arrest) against the largest threshold of the drugs that act. Adds the tick's exposure to `exposure[d]` (the cell's
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
    let bliss = set.interaction == INTERACTION_BLISS;
    let (mut kill_max, mut arrest_max) = (0u32, 0u32);
    for d in 0..set.n_drugs as usize {
        let drug = set.drugs[d];
        let mut level = drug_levels[d];
        if traits & TRAIT_EFFLUX != 0 && drug.efflux_substrate == 1 {
            level *= set.efflux_fraction;
        }
        let added = (level * set.auc_per_um_tick).clamp(0.0, AUC_MAX) as u32;
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
        let arrests = drug.drug_class == CLASS_CYTOSTATIC;
        if !acts {
            continue;
        }
        if !bliss {
            let best = if arrests {
                &mut arrest_max
            } else {
                &mut kill_max
            };
            *best = (*best).max(threshold);
        } else if draw(sim.tick_key, i, stream::DRUG0 + d as u32) < threshold {
            if arrests {
                out.arrested = true;
            } else {
                out.killed = true;
            }
        }
    }
    // A draw against a threshold of 0 never passes: such draws are not made.
    if !bliss {
        out.killed = kill_max > 0 && draw(sim.tick_key, i, stream::DRUG0) < kill_max;
        out.arrested = arrest_max > 0 && draw(sim.tick_key, i, stream::DRUG0 + 1) < arrest_max;
    }
    // The persister draw matters only to a cell that may change state.
    if was_persister != exposed {
        let r = draw(sim.tick_key, i, stream::PERSISTER);
        if was_persister && r < set.persister_exit_threshold {
            out.persister = false;
        } else if exposed && r < set.persister_entry_threshold {
            out.persister = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::drug_params::{pd_tables, INTERACTION_HIGHEST_SINGLE_AGENT};
    use crate::scene::Scene;
    use std::path::Path;

    fn drug(name: &str, class: &str, extra: &str) -> String {
        format!(
            "[[drugs]]\nname = \"{name}\"\nclass = \"{class}\"\nemax_per_h = 0.2\nic50_um = 1.0\n{extra}"
        )
    }

    /// Two identical targeted drugs, and a cytostatic one, on a cycling cell.
    fn setup(interaction: &str) -> (SimParams, DrugSet, Vec<u32>, f64) {
        let drugs = [
            drug("a", "targeted", ""),
            drug("b", "targeted", ""),
            drug("c", "cytostatic", ""),
        ];
        let top = format!("drug_interaction = \"{interaction}\"\n");
        setup_with(&top, &drugs.concat())
    }

    fn setup_with(top: &str, drugs: &str) -> (SimParams, DrugSet, Vec<u32>, f64) {
        let text = format!("seed = 1\n{top}[lattice]\nnx = 4\nny = 4\n{drugs}");
        let scene = Scene::parse(&text, Path::new("t.toml")).unwrap();
        let sim = SimParams::from_scene(&scene).at_tick(1, 3);
        let tick_h = scene.time.tick_h;
        (sim, DrugSet::from_scene(&scene), pd_tables(&scene), tick_h)
    }

    /// Fractions of cells killed and arrested among `n` cells at the given levels.
    fn rates(interaction: &str, levels: [f32; 3], n: u32) -> (f64, f64) {
        let (sim, set, pd, _) = setup(interaction);
        let cell = Site::tumour(0, 0, 40);
        let (mut killed, mut arrested) = (0u32, 0u32);
        for i in 0..n {
            let mut auc = [0u32; 4];
            let out = drug_action(&sim, &set, &pd, &levels, &mut auc, i, cell, false);
            killed += out.killed as u32;
            arrested += out.arrested as u32;
        }
        (killed as f64 / n as f64, arrested as f64 / n as f64)
    }

    fn assert_near(what: &str, got: f64, p: f64, n: u32) {
        // 99.9 % two-sided binomial interval.
        let sd = (p * (1.0 - p) / n as f64).sqrt();
        assert!((got - p).abs() <= 3.29 * sd, "{what}: {got} vs {p} ± {sd}");
    }

    #[test]
    fn bliss_multiplies_survival_and_highest_single_agent_takes_the_best_drug() {
        let n = 200_000;
        // One tick at the IC50 of each drug: E = Emax / 2 per drug.
        let (_, set, _, tick_h) = setup("highest_single_agent");
        assert_eq!(set.interaction, INTERACTION_HIGHEST_SINGLE_AGENT);
        let p = 1.0 - (-0.1f64 * tick_h).exp();
        let (kill, arrest) = rates("bliss", [1.0, 1.0, 1.0], n);
        assert_near("bliss kill", kill, 1.0 - (1.0 - p) * (1.0 - p), n);
        assert_near("bliss arrest", arrest, p, n);
        let (kill, arrest) = rates("highest_single_agent", [1.0, 1.0, 1.0], n);
        assert_near("hsa kill", kill, p, n);
        assert_near("hsa arrest", arrest, p, n);
        // Unequal levels: the combination is as good as its stronger member (3 × IC50).
        let strong = 1.0 - (-0.2f64 * 0.75 * tick_h).exp();
        let (kill, _) = rates("highest_single_agent", [3.0, 0.5, 0.0], n);
        assert_near("hsa kill, unequal", kill, strong, n);
    }

    /// Kill fraction of `n` copies of `cell` (sites 0..n) at `levels`.
    fn kill_rate(
        set: (SimParams, DrugSet, Vec<u32>, f64),
        levels: &[f32],
        cell: Site,
        quiescent: bool,
    ) -> f64 {
        let (sim, set, pd, _) = set;
        let n = 100_000u32;
        let killed = (0..n)
            .filter(|&i| {
                let mut auc = [0u32; 4];
                drug_action(&sim, &set, &pd, levels, &mut auc, i, cell, quiescent).killed
            })
            .count();
        killed as f64 / n as f64
    }

    #[test]
    fn cycle_specific_drugs_spare_quiescent_persister_and_g1_cells() {
        let cycle = || setup_with("", &drug("taxane", "cycle_specific", ""));
        let len = 40u16;
        // The end of the cycle is S/G2/M (cells.s_g2_m_h); progress 0 is early G1.
        let in_m = Site::tumour(0, len - 1, len);
        let in_g1 = Site::tumour(0, 0, len);
        let mut persister = in_m;
        persister.w0 |= PERSISTER_BIT;
        let p = 1.0 - (-0.1f64 * cycle().3).exp();
        assert_near(
            "S/G2/M",
            kill_rate(cycle(), &[1.0], in_m, false),
            p,
            100_000,
        );
        assert_eq!(kill_rate(cycle(), &[1.0], in_m, true), 0.0, "quiescent");
        assert_eq!(kill_rate(cycle(), &[1.0], in_g1, false), 0.0, "G1");
        // A persister tolerates the drug and does not cycle: spared too.
        assert_eq!(
            kill_rate(cycle(), &[1.0], persister, false),
            0.0,
            "persister"
        );
        // A non-specific drug kills quiescent cells as readily as cycling ones.
        let any = || setup_with("", &drug("cisplatin", "nonspecific", ""));
        assert_near(
            "nonspecific, quiescent",
            kill_rate(any(), &[1.0], in_g1, true),
            p,
            100_000,
        );
    }

    #[test]
    fn efflux_lowers_the_kill_of_substrates_only() {
        let two = || {
            let drugs = [
                drug("doxorubicin", "nonspecific", "efflux_substrate = true\n"),
                drug("cisplatin", "nonspecific", ""),
            ];
            setup_with("", &drugs.concat())
        };
        let plain = Site::tumour(0, 0, 40);
        let mut pumps = plain;
        pumps.w3 = TRAIT_EFFLUX;
        let efflux_fraction = two().1.efflux_fraction as f64;
        let e = |level: f64| 0.2 * level / (level + 1.0);
        let p = |level: f64| 1.0 - (-e(level) * two().3).exp();
        // Substrate alone: the pump cell sees efflux_fraction of the level.
        assert_near(
            "substrate, no pumps",
            kill_rate(two(), &[1.0, 0.0], plain, false),
            p(1.0),
            100_000,
        );
        let with_pumps = kill_rate(two(), &[1.0, 0.0], pumps, false);
        assert_near("substrate, pumps", with_pumps, p(efflux_fraction), 100_000);
        assert!(with_pumps < 0.5 * p(1.0), "{with_pumps}");
        // Non-substrate alone: pumps make no difference.
        let a = kill_rate(two(), &[0.0, 1.0], plain, false);
        let b = kill_rate(two(), &[0.0, 1.0], pumps, false);
        assert_near("non-substrate, no pumps", a, p(1.0), 100_000);
        assert_near("non-substrate, pumps", b, p(1.0), 100_000);
    }
}
