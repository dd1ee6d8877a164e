//! Drugs, resistance traits and the initial clonal composition of a scene.
//! Physical units in every name; sources for the defaults in the comments.

use serde::{Deserialize, Serialize};

/// Where a drug enters the tissue from the blood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrugEntry {
    /// Through the walls of perfused vessel sites only.
    #[default]
    Vessels,
    /// Also through the lattice's faces, held at the blood level while the drug is in
    /// the blood and closed (no flux) while it is not: tissue fed from its margin, as
    /// in avascular spheroid and on-lattice peer models (HAL's competitive-release
    /// example, Bravo et al. 2020, PLoS Comput Biol 16:e1007635).
    Boundary,
}

impl DrugEntry {
    pub fn is_vessels(&self) -> bool {
        *self == DrugEntry::Vessels
    }
}

/// How a drug acts on a cell it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrugClass {
    /// Kills only cycling cells in S/G2/M (`cells.s_g2_m_h` before division);
    /// quiescent, persister and G1 cells are spared (e.g. taxanes, antimetabolites).
    CycleSpecific,
    /// Kills any live tumour cell (e.g. alkylating agents).
    Nonspecific,
    /// Kills any live tumour cell through a molecular target that mutation can alter
    /// (e.g. kinase inhibitors).
    Targeted,
    /// Arrests the cycle of cycling cells for the tick instead of killing.
    Cytostatic,
    /// An immune-checkpoint inhibitor (anti-PD-1/PD-L1 antibody, `[immune]`): acts on
    /// no tumour cell itself, but blocks PD-L1's protection from T cells where it
    /// reaches, by the occupancy cʰ/(IC50ʰ + cʰ) (`ic50_um`: the level of half-maximal
    /// binding); `emax_per_h` must be 0.
    Checkpoint,
    /// An anti-angiogenic antibody (anti-VEGF, e.g. bevacizumab or DC101;
    /// `[vasculature]`): kills no cell itself, but blocks VEGF signalling at the vessel
    /// sites it reaches by the occupancy cʰ/(IC50ʰ + cʰ): fewer sprouts, immature
    /// vessels pruned or matured (normalised); `emax_per_h` must be 0.
    AntiAngiogenic,
}

impl DrugClass {
    /// Whether the drug acts on tumour cells itself (kills or arrests them, exposes
    /// them, has a target they can alter). Checkpoint and anti-angiogenic drugs act
    /// through T cells and vessels instead.
    pub fn acts_on_tumour_cells(self) -> bool {
        !matches!(self, DrugClass::Checkpoint | DrugClass::AntiAngiogenic)
    }
}

/// How the drugs of a combination act together on one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrugInteraction {
    /// Bliss independence: each drug kills (or arrests) with its own probability, so a
    /// cell survives the tick only if it survives every drug (Bliss 1939, Ann Appl Biol
    /// 26:585).
    #[default]
    Bliss,
    /// Highest single agent: the combination acts as its most effective drug at the
    /// cell's levels; the others add nothing (Berenbaum 1989, Pharmacol Rev 41:93). A
    /// lower bound on what a combination achieves, for antagonistic pairs.
    HighestSingleAgent,
}

/// One drug: its own diffusing field, transport, and pharmacodynamics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drug {
    /// Name used by therapy lines, traits (`target:NAME`), outputs (`field:NAME`).
    pub name: String,
    pub class: DrugClass,
    /// Small molecules diffuse at ~1×10⁻⁶ cm²/s = 6000 µm²/min in tumour tissue
    /// (Jain 1987, Cancer Res 47:3039).
    #[serde(default = "defaults::drug_diffusion_um2_per_min")]
    pub diffusion_um2_per_min: f64,
    /// Small lipophilic drugs cross capillary walls nearly as fast as blood brings
    /// them (flow-limited; P ≈ 10⁻⁴–10⁻³ cm/s, Jain 1987): 5×10⁻⁴ cm/s = 300 µm/min.
    #[serde(default = "defaults::vessel_permeability_um_per_min")]
    pub vessel_permeability_um_per_min: f64,
    /// `vessels` (default) or `boundary` (`DrugEntry`).
    #[serde(default, skip_serializing_if = "DrugEntry::is_vessels")]
    pub enters_from: DrugEntry,
    /// First-order uptake by a site holding a live tumour cell; 1.7/min gives a
    /// penetration length √(D/k) ≈ 60 µm, as doxorubicin reaches 40–80 µm from vessels
    /// (Primeau et al. 2005, Clin Cancer Res 11:8782).
    #[serde(default = "defaults::cell_uptake_per_min")]
    pub cell_uptake_per_min: f64,
    /// First-order loss everywhere: uptake and binding by host-tissue cells, and
    /// metabolism. Host cells take up small molecules much as tumour cells do, so the
    /// default is of the order of `cell_uptake_per_min`; it also keeps the field's
    /// penetration from vessels finite (√(D/k) ≈ 80 µm in host tissue).
    #[serde(default = "defaults::drug_decay_per_min")]
    pub decay_per_min: f64,
    /// Whether efflux pumps (P-gp/ABCB1-like) carry this drug out of cells.
    #[serde(default)]
    pub efflux_substrate: bool,
    /// Maximal kill (or arrest) rate.
    pub emax_per_h: f64,
    /// Intracellular concentration of half-maximal effect.
    pub ic50_um: f64,
    #[serde(default = "defaults::hill")]
    pub hill: f64,
    /// Probability per division that the daughter acquires an altered target of this
    /// drug; when absent, `resistance.target_mutation_per_division`. Mechanisms differ
    /// in frequency (EGFR T790M against erlotinib is common, C797S against osimertinib
    /// rarer), so a scene may set them per drug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_mutation_per_division: Option<f64>,
    /// Pharmacokinetics for the reference patient (70 kg, 40 years, normal
    /// metaboliser); required for a drug that a therapy line doses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pk: Option<crate::model::pk::PkModel>,
}

/// Parameters of the resistance mechanisms (traits carried by clones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resistance {
    /// An altered drug target multiplies that drug's IC50; EGFR T790M raises
    /// gefitinib's IC50 by one to two orders of magnitude (Pao et al. 2005, PLoS Med
    /// 2:e73).
    #[serde(default = "defaults::target_ic50_factor")]
    pub target_ic50_factor: f64,
    /// Efflux pumps lower the intracellular level of substrates to this fraction;
    /// P-gp lowers intracellular doxorubicin several-fold (Gottesman, Fojo & Bates 2002,
    /// Nat Rev Cancer 2:48).
    #[serde(default = "defaults::efflux_fraction")]
    pub efflux_fraction: f64,
    /// Fitness cost of pumping: the cycle of an efflux cell is this much longer
    /// (cost of resistance, Gatenby et al. 2009, Cancer Res 69:4894).
    #[serde(default = "defaults::efflux_cycle_factor")]
    pub efflux_cycle_factor: f64,
    /// A slow-cycling cell's cycle is this much longer (a longer G1; S/G2/M unchanged).
    #[serde(default = "defaults::slow_cycle_factor")]
    pub slow_cycle_factor: f64,
    /// Drug-tolerant persisters (Sharma et al. 2010, Cell 141:69): an exposed cell
    /// enters the reversible state at this rate ...
    #[serde(default = "defaults::persister_entry_per_h")]
    pub persister_entry_per_h: f64,
    /// ... leaves it at this rate once no drug is above its IC50 ...
    #[serde(default = "defaults::persister_exit_per_h")]
    pub persister_exit_per_h: f64,
    /// ... and while in it tolerates drugs as if their IC50 were this much higher.
    /// Persisters do not cycle.
    #[serde(default = "defaults::persister_ic50_factor")]
    pub persister_ic50_factor: f64,
    /// Probability per division that the daughter acquires an altered target, for
    /// each drug's target independently. Every mutation founds a new clone.
    #[serde(default = "defaults::mutation_per_division")]
    pub target_mutation_per_division: f64,
    /// Probability per division that the daughter acquires efflux pumps.
    #[serde(default = "defaults::mutation_per_division")]
    pub efflux_mutation_per_division: f64,
    /// Probability per division that the daughter becomes slow-cycling.
    #[serde(default = "defaults::mutation_per_division")]
    pub slow_cycle_mutation_per_division: f64,
}

/// How the initial clones are laid out in the tumour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrangement {
    /// Each initial cell draws its clone independently.
    Mixed,
    /// Each clone fills a wedge (by angle around the tumour centre) of its fraction.
    Patches,
}

/// A pre-existing clone: its share of the initial tumour and its traits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialClone {
    pub fraction: f64,
    /// Any of `efflux`, `slow_cycle`, `target:DRUG`.
    #[serde(default)]
    pub traits: Vec<String>,
}

pub mod defaults {
    pub fn drug_diffusion_um2_per_min() -> f64 {
        6000.0
    }
    pub fn vessel_permeability_um_per_min() -> f64 {
        300.0
    }
    pub fn cell_uptake_per_min() -> f64 {
        1.7
    }
    pub fn drug_decay_per_min() -> f64 {
        1.0
    }
    pub fn hill() -> f64 {
        1.0
    }
    pub fn target_ic50_factor() -> f64 {
        30.0
    }
    pub fn efflux_fraction() -> f64 {
        0.2
    }
    pub fn efflux_cycle_factor() -> f64 {
        1.2
    }
    pub fn slow_cycle_factor() -> f64 {
        2.0
    }
    /// Persisters are ~0.3 % of a drug-exposed population after a few days
    /// (Sharma et al. 2010).
    pub fn persister_entry_per_h() -> f64 {
        0.002
    }
    /// The state reverts over about 9 doublings without drug (Sharma et al. 2010);
    /// 0.005/h ≈ 8 days.
    pub fn persister_exit_per_h() -> f64 {
        0.005
    }
    pub fn persister_ic50_factor() -> f64 {
        20.0
    }
    /// Resistance mutations arise at about 1e-7 per division per mechanism: a point
    /// mutation rate near 1e-9 per base pair per division (Jones et al. 2008, PNAS
    /// 105:4283) times the tens to a hundred sites that confer resistance (Bozic et al.
    /// 2013, eLife 2:e00747). Lattices hold far fewer cells than a tumour, so scenes
    /// that study acquired resistance raise it.
    pub fn mutation_per_division() -> f64 {
        1e-7
    }
    pub fn arrangement() -> super::Arrangement {
        super::Arrangement::Mixed
    }
}

impl Default for Resistance {
    fn default() -> Self {
        Resistance {
            target_ic50_factor: defaults::target_ic50_factor(),
            efflux_fraction: defaults::efflux_fraction(),
            efflux_cycle_factor: defaults::efflux_cycle_factor(),
            slow_cycle_factor: defaults::slow_cycle_factor(),
            persister_entry_per_h: defaults::persister_entry_per_h(),
            persister_exit_per_h: defaults::persister_exit_per_h(),
            persister_ic50_factor: defaults::persister_ic50_factor(),
            target_mutation_per_division: defaults::mutation_per_division(),
            efflux_mutation_per_division: defaults::mutation_per_division(),
            slow_cycle_mutation_per_division: defaults::mutation_per_division(),
        }
    }
}

/// A parsed trait name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraitName {
    Efflux,
    SlowCycle,
    /// Immune evasion (`[immune]`): antigen loss, constitutive PD-L1.
    AntigenLoss,
    Pdl1,
    /// Altered target of the drug with this index in `drugs`.
    Target(usize),
}

/// Parses `efflux`, `slow_cycle` or `target:DRUG` against the scene's drugs.
pub fn parse_trait(text: &str, drugs: &[Drug]) -> Result<TraitName, String> {
    match text {
        "efflux" => Ok(TraitName::Efflux),
        "slow_cycle" => Ok(TraitName::SlowCycle),
        "antigen_loss" => Ok(TraitName::AntigenLoss),
        "pdl1" => Ok(TraitName::Pdl1),
        _ => match text.strip_prefix("target:") {
            Some(name) => drugs
                .iter()
                .position(|d| d.name == name)
                .map(TraitName::Target)
                .ok_or_else(|| {
                    let known: Vec<&str> = drugs.iter().map(|d| d.name.as_str()).collect();
                    format!(
                        "names unknown drug \"{name}\" in \"{text}\"; drugs: {}",
                        if known.is_empty() {
                            "none".into()
                        } else {
                            known.join(", ")
                        }
                    )
                }),
            None => Err(format!(
                "has unknown trait \"{text}\"; allowed: efflux, slow_cycle, antigen_loss, pdl1, target:DRUG"
            )),
        },
    }
}
