//! Named site counters: the census counts every site that matches a counter's test,
//! and the time series, `summary.json`, the snapshot's census history and the plots
//! take their columns, names and charts from this table. Adding a counter is one
//! `Counter` variant and one row of `SITE_COUNTERS`; the GPU census kernel's counting
//! code is generated from the table (`wgsl`), the CPU census reads it (`matches`).
//!
//! Counts that are not "sites of a kind whose state passes a test" (the lineage
//! totals, live cells by clone, field sums, the bounding box) stay members of
//! `model::census::Census`.

use crate::model::drug_params::{
    TRAIT_ANTIGEN_LOSS, TRAIT_EFFLUX, TRAIT_PDL1, TRAIT_SLOW_CYCLE, TRAIT_TARGET_MASK,
};
use crate::model::fields;
use crate::model::params::SimParams;
use crate::model::site::{
    Kind, ENGAGED_BIT, EXHAUSTED_BIT, GROWN_BIT, IMMATURE_BIT, LOW16, PERSISTER_BIT, QUIESCENT_BIT,
};
use crate::scene::Scene;

/// Room for counters in the census (`Census::counts`).
pub const MAX_SITE_COUNTERS: usize = 24;

/// Every site counter, by its index in `SITE_COUNTERS` and `Census::counts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    TumourLive,
    Quiescent,
    Necrotic,
    Vessel,
    Hypoxic,
    PerfusedVessel,
    TraitTarget,
    TraitEfflux,
    TraitSlowCycle,
    Persister,
    TCell,
    TCellEngaged,
    TCellExhausted,
    TraitAntigenLoss,
    TraitPdl1,
    VesselTip,
    ImmatureVessel,
    GrownVessel,
}

/// A scene parameter a test compares a field value with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// `cells.hypoxic_mmhg` (`SimParams::hypoxic_mmhg`).
    HypoxicMmhg,
}

impl Threshold {
    pub fn value(self, sim: &SimParams) -> f32 {
        match self {
            Threshold::HypoxicMmhg => sim.hypoxic_mmhg,
        }
    }

    fn wgsl(self) -> &'static str {
        match self {
            Threshold::HypoxicMmhg => "sim.hypoxic_mmhg",
        }
    }
}

/// What a site of the counter's kind must also satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteTest {
    Always,
    /// Word `word` of the site record has a bit of `mask` set.
    AnyBit {
        word: usize,
        mask: u32,
    },
    /// Field `field`'s value at the site is below the threshold.
    FieldBelow {
        field: usize,
        threshold: Threshold,
    },
}

/// A line colour the plots take from the renderer's palette (`output::render::palette`)
/// so that a kind has one colour in frames and charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tint {
    Cycling,
    Quiescent,
    Necrotic,
    Vessel,
    Hypoxic,
}

/// How the plots show a counter (`output::plot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotAs {
    /// Not drawn on its own (e.g. the denominator of a share).
    Hidden,
    /// A line of the tumour-burden chart when the scene has no clone columns.
    BurdenTotal { label: &'static str, colour: Tint },
    /// A line of the tumour-burden chart once any row counts a cell.
    BurdenCarried { label: &'static str },
    /// Percent of another counter, in the "perfusion and hypoxia" chart.
    ShareOf {
        of: Counter,
        label: &'static str,
        colour: Tint,
    },
    /// A line of chart `stem` (`plots/<stem>.png`), titled `title`, in cells.
    Chart {
        stem: &'static str,
        title: &'static str,
        label: &'static str,
    },
}

/// One named count of sites.
#[derive(Debug, Clone, Copy)]
pub struct SiteCounter {
    pub id: Counter,
    /// The name in the snapshot's census history (renaming one needs an alias there).
    pub name: &'static str,
    /// The column of `timeseries.csv` and key of `summary.json`'s `final`.
    pub column: &'static str,
    /// One line for the README's column list.
    pub doc: &'static str,
    pub kind: Kind,
    pub test: SiteTest,
    /// Whether a scene has this column (all of today's counters: every scene).
    pub present: fn(&Scene) -> bool,
    pub plot: PlotAs,
}

fn always(_: &Scene) -> bool {
    true
}

fn has_immune(scene: &Scene) -> bool {
    scene.immune.is_some()
}

fn has_vasculature(scene: &Scene) -> bool {
    scene.vasculature.is_some()
}

/// Every site counter, in `Counter` order.
pub const SITE_COUNTERS: [SiteCounter; 18] = [
    SiteCounter {
        id: Counter::TumourLive,
        name: "tumour_live",
        column: "tumor_live",
        doc: "live tumour cells, cycling or quiescent",
        kind: Kind::Tumour,
        test: SiteTest::Always,
        present: always,
        plot: PlotAs::BurdenTotal {
            label: "live",
            colour: Tint::Cycling,
        },
    },
    SiteCounter {
        id: Counter::Quiescent,
        name: "quiescent",
        column: "tumor_quiescent",
        doc: "live tumour cells that have stopped cycling for lack of oxygen",
        kind: Kind::Tumour,
        test: SiteTest::AnyBit {
            word: 0,
            mask: QUIESCENT_BIT,
        },
        present: always,
        plot: PlotAs::BurdenTotal {
            label: "quiescent",
            colour: Tint::Quiescent,
        },
    },
    SiteCounter {
        id: Counter::Necrotic,
        name: "necrotic",
        column: "necrotic",
        doc: "dead tumour cells (necrosis) still occupying their site",
        kind: Kind::Necrotic,
        test: SiteTest::Always,
        present: always,
        plot: PlotAs::BurdenTotal {
            label: "necrotic",
            colour: Tint::Necrotic,
        },
    },
    SiteCounter {
        id: Counter::Vessel,
        name: "vessel",
        column: "vessel",
        doc: "vessel sites",
        kind: Kind::Vessel,
        test: SiteTest::Always,
        present: always,
        plot: PlotAs::Hidden,
    },
    SiteCounter {
        id: Counter::Hypoxic,
        name: "hypoxic",
        column: "hypoxic",
        doc: "live tumour cells below `cells.hypoxic_mmhg`",
        kind: Kind::Tumour,
        test: SiteTest::FieldBelow {
            field: fields::OXYGEN,
            threshold: Threshold::HypoxicMmhg,
        },
        present: always,
        plot: PlotAs::ShareOf {
            of: Counter::TumourLive,
            label: "hypoxic live tumour cells",
            colour: Tint::Hypoxic,
        },
    },
    SiteCounter {
        id: Counter::PerfusedVessel,
        name: "perfused_vessel",
        column: "perfused_vessel",
        doc: "vessel sites with flow",
        kind: Kind::Vessel,
        // The vessel's perfusion (w1, low half).
        test: SiteTest::AnyBit {
            word: 1,
            mask: LOW16,
        },
        present: always,
        plot: PlotAs::ShareOf {
            of: Counter::Vessel,
            label: "perfused vessels",
            colour: Tint::Vessel,
        },
    },
    SiteCounter {
        id: Counter::TraitTarget,
        name: "trait_target",
        column: "trait_target",
        doc: "live tumour cells with an altered drug target (any drug)",
        kind: Kind::Tumour,
        test: SiteTest::AnyBit {
            word: 3,
            mask: TRAIT_TARGET_MASK,
        },
        present: always,
        plot: PlotAs::BurdenCarried { label: "target" },
    },
    SiteCounter {
        id: Counter::TraitEfflux,
        name: "trait_efflux",
        column: "trait_efflux",
        doc: "live tumour cells with efflux pumps",
        kind: Kind::Tumour,
        test: SiteTest::AnyBit {
            word: 3,
            mask: TRAIT_EFFLUX,
        },
        present: always,
        plot: PlotAs::BurdenCarried { label: "efflux" },
    },
    SiteCounter {
        id: Counter::TraitSlowCycle,
        name: "trait_slow_cycle",
        column: "trait_slow_cycle",
        doc: "live tumour cells of the slow-cycling trait",
        kind: Kind::Tumour,
        test: SiteTest::AnyBit {
            word: 3,
            mask: TRAIT_SLOW_CYCLE,
        },
        present: always,
        plot: PlotAs::BurdenCarried {
            label: "slow cycle",
        },
    },
    SiteCounter {
        id: Counter::Persister,
        name: "persister",
        column: "persister",
        doc: "live tumour cells in the drug-tolerant persister state",
        kind: Kind::Tumour,
        test: SiteTest::AnyBit {
            word: 0,
            mask: PERSISTER_BIT,
        },
        present: always,
        plot: PlotAs::BurdenCarried { label: "persister" },
    },
    SiteCounter {
        id: Counter::TCell,
        name: "tcell",
        column: "tcell",
        doc: "cytotoxic T cells (scenes with [immune])",
        kind: Kind::TCell,
        test: SiteTest::Always,
        present: has_immune,
        plot: PlotAs::Chart {
            stem: "immune",
            title: "Cytotoxic T cells",
            label: "all",
        },
    },
    SiteCounter {
        id: Counter::TCellEngaged,
        name: "tcell_engaged",
        column: "tcell_engaged",
        doc: "T cells engaged with a tumour cell they are killing",
        kind: Kind::TCell,
        test: SiteTest::AnyBit {
            word: 0,
            mask: ENGAGED_BIT,
        },
        present: has_immune,
        plot: PlotAs::Chart {
            stem: "immune",
            title: "Cytotoxic T cells",
            label: "engaged",
        },
    },
    SiteCounter {
        id: Counter::TCellExhausted,
        name: "tcell_exhausted",
        column: "tcell_exhausted",
        doc: "T cells that reached their kill cap and kill no more",
        kind: Kind::TCell,
        test: SiteTest::AnyBit {
            word: 0,
            mask: EXHAUSTED_BIT,
        },
        present: has_immune,
        plot: PlotAs::Chart {
            stem: "immune",
            title: "Cytotoxic T cells",
            label: "exhausted",
        },
    },
    SiteCounter {
        id: Counter::TraitAntigenLoss,
        name: "trait_antigen_loss",
        column: "trait_antigen_loss",
        doc: "live tumour cells that lost antigen presentation",
        kind: Kind::Tumour,
        test: SiteTest::AnyBit {
            word: 3,
            mask: TRAIT_ANTIGEN_LOSS,
        },
        present: has_immune,
        plot: PlotAs::BurdenCarried {
            label: "antigen loss",
        },
    },
    SiteCounter {
        id: Counter::TraitPdl1,
        name: "trait_pdl1",
        column: "trait_pdl1",
        doc: "live tumour cells with constitutive PD-L1",
        kind: Kind::Tumour,
        test: SiteTest::AnyBit {
            word: 3,
            mask: TRAIT_PDL1,
        },
        present: has_immune,
        plot: PlotAs::BurdenCarried { label: "PD-L1" },
    },
    SiteCounter {
        id: Counter::VesselTip,
        name: "vessel_tip",
        column: "vessel_tip",
        doc: "tip cells of vessel sprouts (scenes with [vasculature])",
        kind: Kind::VesselTip,
        test: SiteTest::Always,
        present: has_vasculature,
        plot: PlotAs::Chart {
            stem: "vasculature",
            title: "Vessel sprouts",
            label: "sprout tips",
        },
    },
    SiteCounter {
        id: Counter::ImmatureVessel,
        name: "immature_vessel",
        column: "immature_vessel",
        doc: "vessel sites formed by sprouting and not yet mature",
        kind: Kind::Vessel,
        test: SiteTest::AnyBit {
            word: 0,
            mask: IMMATURE_BIT,
        },
        present: has_vasculature,
        plot: PlotAs::Chart {
            stem: "vasculature",
            title: "Vessel sprouts",
            label: "immature vessel sites",
        },
    },
    SiteCounter {
        id: Counter::GrownVessel,
        name: "grown_vessel",
        column: "grown_vessel",
        doc: "vessel sites formed by sprouting during the run, immature or mature",
        kind: Kind::Vessel,
        test: SiteTest::AnyBit {
            word: 0,
            mask: GROWN_BIT,
        },
        present: has_vasculature,
        plot: PlotAs::Chart {
            stem: "vasculature",
            title: "Vessel sprouts",
            label: "grown vessel sites",
        },
    },
];

impl Counter {
    pub fn spec(self) -> &'static SiteCounter {
        &SITE_COUNTERS[self as usize]
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The counters a scene's outputs show, in table order.
pub fn present(scene: &Scene) -> Vec<Counter> {
    SITE_COUNTERS
        .iter()
        .filter(|c| (c.present)(scene))
        .map(|c| c.id)
        .collect()
}

impl SiteTest {
    fn wgsl(&self) -> String {
        match *self {
            SiteTest::Always => "true".into(),
            SiteTest::AnyBit { word, mask } => format!("(s.w{word} & {mask}u) != 0u"),
            SiteTest::FieldBelow { field, threshold } => {
                format!("conc[field_at({field}u, i)] < {}", threshold.wgsl())
            }
        }
    }
}

/// For each kind code, the counters of that kind (what the CPU census walks per site).
pub fn by_kind() -> Vec<Vec<&'static SiteCounter>> {
    let mut out = vec![Vec::new(); crate::model::site::MAX_KINDS as usize];
    for c in &SITE_COUNTERS {
        out[c.kind as usize].push(c);
    }
    out
}

/// The census kernel's counting function, generated from the table: adds one to
/// `wg_counts[k]` for every counter `k` that site `i` (record `s`, kind `kind`) passes.
pub fn wgsl() -> String {
    let mut out = format!(
        "const SITE_COUNTERS: u32 = {}u;\n\nfn count_site(s: Site, kind: u32, i: u32) {{\n",
        SITE_COUNTERS.len()
    );
    for (code, counters) in by_kind().iter().enumerate() {
        if counters.is_empty() {
            continue;
        }
        out += &format!("    if kind == {code}u {{\n");
        for c in counters {
            let add = format!("atomicAdd(&wg_counts[{}], 1u);", c.id.index());
            match c.test {
                SiteTest::Always => out += &format!("        {add}\n"),
                t => out += &format!("        if {} {{ {add} }}\n", t.wgsl()),
            }
        }
        out += "    }\n";
    }
    out += "}\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_counter_order_with_unique_names() {
        assert!(SITE_COUNTERS.len() <= MAX_SITE_COUNTERS);
        for (k, c) in SITE_COUNTERS.iter().enumerate() {
            assert_eq!(c.id.index(), k, "{}", c.name);
            for other in &SITE_COUNTERS[k + 1..] {
                assert_ne!(c.name, other.name);
                assert_ne!(c.column, other.column);
            }
        }
        assert_eq!(Counter::Persister.spec().name, "persister");
    }

    #[test]
    fn generated_counting_tests_each_counter_once_by_kind() {
        let text = wgsl();
        for c in &SITE_COUNTERS {
            let add = format!("wg_counts[{}]", c.id.index());
            assert_eq!(text.matches(&add).count(), 1, "{}", c.name);
        }
        assert!(text.contains("if (s.w0 & 16u) != 0u { atomicAdd(&wg_counts[1], 1u); }"));
        assert!(text.contains("conc[field_at(0u, i)] < sim.hypoxic_mmhg"));
    }
}
