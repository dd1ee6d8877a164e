//! The immune reasons a tumour cell survived, in scenes with `[immune]`: why the T cells
//! did not kill it. Two groups, tried at different points of the order in `super`:
//!
//! - **the cell's own** (after genetic drug resistance): it carries the antigen-loss
//!   trait; PD-L1 (constitutive or induced by IFN-γ) protects it, not blocked by a
//!   checkpoint inhibitor where it sits; or its antigenicity is too low for T cells to
//!   kill it reliably — the tumour lacks the biomarker (a mutational-burden proxy) that
//!   immunotherapy needs;
//! - **its surroundings** (after the drug sanctuaries): the suppressive field where it
//!   sits; no T cell within reach (exclusion: T cells never got there); or only
//!   exhausted ones within reach.
//!
//! A brake counts when it removes at least `BRAKE_MIN` of the kill rate, and a cell's
//! antigen is too low when a contact kills it with less than `BRAKE_MIN` of the
//! probability for a fully recognised cell (with the defaults, at antigenicity < 0.75;
//! the default 1 gives 0.571 against 0.8): the project's thresholds.
//! "Within reach" is within `biomarkers::MARGIN_UM` in Moore steps, the half-width of the
//! invasive margin: at the default 5 µm/min a T cell crosses it in well under a tick's
//! moves. It reads the final (or the failing scan's) state, not the history: a cell
//! that T cells passed and spared but that none is near now counts as excluded.

use crate::model::biomarkers::{moore, pdl1_of, MARGIN_UM};
use crate::model::drug_params::TRAIT_ANTIGEN_LOSS;
use crate::model::fields::drug_field;
use crate::model::immune::{checkpoint_drug, factor_values, hill, kill_probability, recognition};
use crate::model::lattice::Grid;
use crate::model::site::{Kind, Site, EXHAUSTED_BIT};
use crate::scene::immune::Immune;
use crate::scene::Scene;
use std::collections::VecDeque;

/// The share of the kill rate (or of recognition) below which a brake explains a
/// survival: at least half of the kill rate gone.
pub const BRAKE_MIN: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImmuneReason {
    AntigenLoss,
    Pdl1Protection,
    LackOfBiomarker,
    Suppression,
    Exclusion,
    Exhaustion,
}

/// What T cells could reach a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    None,
    ExhaustedOnly,
    Active,
}

/// The fields and T-cell reach of one state, read once for all its cells.
pub struct ImmuneSurvey<'a> {
    scene: &'a Scene,
    im: &'a Immune,
    reach: Vec<Reach>,
    ifng: Option<&'a [f32]>,
    suppressor: Option<&'a [f32]>,
    checkpoint: Option<&'a [f32]>,
}

impl<'a> ImmuneSurvey<'a> {
    /// `None` without `[immune]`. `fields` holds every field, `sites.len()` values each.
    pub fn new(scene: &'a Scene, sites: &[Site], fields: &'a [f32]) -> Option<Self> {
        let im = scene.immune.as_ref()?;
        let n = sites.len();
        let field = |f: usize| fields.get(f * n..(f + 1) * n);
        let factor = |name: &Option<String>| factor_values(scene, name.as_deref(), fields, n);
        Some(ImmuneSurvey {
            scene,
            im,
            reach: reach(&Grid::from_scene(scene), sites, scene.lattice.site_size_um),
            ifng: factor(&im.ifng),
            suppressor: factor(&im.suppressor),
            checkpoint: checkpoint_drug(scene).and_then(|d| field(drug_field(d))),
        })
    }

    /// The cell's own reason, if any: antigen loss, PD-L1, too little antigen.
    pub fn intrinsic(&self, i: usize, site: &Site) -> Option<ImmuneReason> {
        if site.w3 & TRAIT_ANTIGEN_LOSS != 0 {
            return Some(ImmuneReason::AntigenLoss);
        }
        let pdl1 = pdl1_of(self.scene, site, self.ifng.map(|f| f[i]));
        let blocked = match (self.checkpoint, checkpoint_drug(self.scene)) {
            (Some(c), Some(d)) => {
                let drug = &self.scene.drugs[d];
                hill(c[i] as f64, drug.ic50_um, drug.hill)
            }
            _ => 0.0,
        };
        if pdl1 * self.im.pdl1_protection * (1.0 - blocked) >= BRAKE_MIN {
            return Some(ImmuneReason::Pdl1Protection);
        }
        let p_kill = kill_probability(self.im, recognition(self.im, self.im.antigenicity));
        if p_kill < BRAKE_MIN * kill_probability(self.im, 1.0) {
            return Some(ImmuneReason::LackOfBiomarker);
        }
        None
    }

    /// The reason in the cell's surroundings, if any: suppression, no T cell within
    /// reach, only exhausted ones.
    pub fn environment(&self, i: usize) -> Option<ImmuneReason> {
        let suppressed = self.suppressor.map_or(0.0, |f| {
            let c = f[i] as f64;
            self.im.max_suppression * c / (c + self.im.suppression_half_max)
        });
        if suppressed >= BRAKE_MIN {
            return Some(ImmuneReason::Suppression);
        }
        match self.reach[i] {
            Reach::None => Some(ImmuneReason::Exclusion),
            Reach::ExhaustedOnly => Some(ImmuneReason::Exhaustion),
            Reach::Active => None,
        }
    }
}

/// Which T cells lie within `MARGIN_UM` (Moore steps) of each site.
fn reach(grid: &Grid, sites: &[Site], site_um: f64) -> Vec<Reach> {
    let steps = (MARGIN_UM / site_um).round().max(1.0) as u32;
    let tcell = |s: &Site| s.kind() == Kind::TCell;
    let any = within(grid, sites, steps, |s| tcell(s));
    let active = within(grid, sites, steps, |s| {
        tcell(s) && s.w0 & EXHAUSTED_BIT == 0
    });
    any.iter()
        .zip(&active)
        .map(|(&a, &live)| match (a, live) {
            (_, true) => Reach::Active,
            (true, false) => Reach::ExhaustedOnly,
            _ => Reach::None,
        })
        .collect()
}

/// Whether each site is within `steps` Moore steps of a site where `source` holds
/// (a multi-source breadth-first search).
fn within(grid: &Grid, sites: &[Site], steps: u32, source: impl Fn(&Site) -> bool) -> Vec<bool> {
    let offsets = moore(grid);
    let mut dist = vec![u32::MAX; sites.len()];
    let mut queue = VecDeque::new();
    for (i, s) in sites.iter().enumerate() {
        if source(s) {
            dist[i] = 0;
            queue.push_back(i as u32);
        }
    }
    while let Some(i) = queue.pop_front() {
        let d = dist[i as usize];
        if d == steps {
            continue;
        }
        let c = grid.coords(i);
        for &o in &offsets {
            if let Some(n) = grid.neighbour(c, o) {
                if dist[n as usize] == u32::MAX {
                    dist[n as usize] = d + 1;
                    queue.push_back(n);
                }
            }
        }
    }
    dist.iter().map(|&d| d <= steps).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{analyse, TreatmentExposure};
    use super::*;
    use std::path::Path;

    const SCENE: &str = "seed = 1\n[lattice]\nnx = 20\nny = 20\n\
        [[factors]]\nname = \"c\"\ndiffusion_um2_per_min = 100.0\ndecay_per_min = 0.01\n\
        [[factors]]\nname = \"ifng\"\ndiffusion_um2_per_min = 100.0\ndecay_per_min = 0.01\n\
        [[factors]]\nname = \"tgfb\"\ndiffusion_um2_per_min = 100.0\ndecay_per_min = 0.01\n\
        [immune]\nchemokine = \"c\"\nifng = \"ifng\"\nsuppressor = \"tgfb\"\n\
        [[drugs]]\nname = \"nivolumab\"\nclass = \"checkpoint\"\nemax_per_h = 0.0\n\
        ic50_um = 0.003\n";

    fn scene(extra_immune: &str) -> Scene {
        let text = SCENE.replace("[[drugs]]", &format!("{extra_immune}\n[[drugs]]"));
        Scene::parse(&text, Path::new("t.toml")).unwrap()
    }

    /// 20 × 20 sites, 5 fields (oxygen, nivolumab, c, ifng, tgfb).
    struct Built {
        sites: Vec<Site>,
        fields: Vec<f32>,
    }

    impl Built {
        fn new() -> Built {
            Built {
                sites: vec![Site::EMPTY; 400],
                fields: vec![0.0; 5 * 400],
            }
        }
        fn put(&mut self, x: usize, y: usize, s: Site) -> usize {
            self.sites[y * 20 + x] = s;
            y * 20 + x
        }
        fn set(&mut self, field: usize, i: usize, v: f32) {
            self.fields[field * 400 + i] = v;
        }
    }

    const NIVOLUMAB: usize = 1;
    const IFNG: usize = 3;
    const TGFB: usize = 4;

    fn fractions(scene: &Scene, b: &Built) -> super::super::FailureBreakdown {
        let t = TreatmentExposure {
            hours_since_first_dose: vec![Some(100.0)],
            plasma_auc_um_h: vec![1.0],
            pre_treatment_clones: vec![0],
        };
        analyse(scene, &t, &b.sites, &vec![0; 400], &b.fields)
    }

    /// One cell per immune reason, and two that T cells can kill.
    #[test]
    fn each_constructed_cell_gets_its_immune_reason() {
        let scene = scene("");
        let mut b = Built::new();
        let tumour = Site::tumour(0, 0, 20);
        b.put(2, 2, Site::TCELL);
        b.put(3, 2, tumour); // next to an active T cell, no brake
        let blocked = b.put(2, 3, tumour); // PD-L1 induced, but nivolumab at 100× K_D
        b.set(IFNG, blocked, 10.0);
        b.set(NIVOLUMAB, blocked, 0.3);
        let protected = b.put(1, 2, tumour); // PD-L1 induced (10 ng/mL ≫ 0.11), unblocked
        b.set(IFNG, protected, 10.0);
        let mut lost = tumour;
        lost.w3 |= TRAIT_ANTIGEN_LOSS;
        b.put(3, 3, lost);
        let suppressed = b.put(1, 1, tumour); // 0.8 × 100 / 101 of the kill rate gone
        b.set(TGFB, suppressed, 100.0);
        b.put(
            17,
            17,
            Site {
                w0: Site::TCELL.w0 | EXHAUSTED_BIT,
                ..Site::TCELL
            },
        );
        b.put(16, 17, tumour); // only the exhausted T cell within 100 µm
        b.put(17, 2, tumour); // 15 sites (300 µm) from either T cell
        let f = fractions(&scene, &b);
        assert_eq!(f.surviving_cells, 7);
        let f = f.fractions;
        let one = 1.0 / 7.0;
        for (what, got, want) in [
            ("exposed sensitive", f.exposed_sensitive, 2.0 * one),
            ("PD-L1", f.pdl1_protection, one),
            ("antigen loss", f.antigen_loss, one),
            ("suppression", f.suppression, one),
            ("exhaustion", f.exhaustion, one),
            ("exclusion", f.exclusion, one),
            ("lack of biomarker", f.lack_of_biomarker, 0.0),
        ] {
            assert!((got - want).abs() < 1e-12, "{what}: {got}");
        }
        assert!(
            f.sentence(7).contains("29 % were sensitive and exposed"),
            "{}",
            f.sentence(7)
        );
    }

    /// Reach is 100 µm = 5 sites of 20 µm in Moore steps: 5 away is reached, 6 is not.
    #[test]
    fn reach_ends_at_the_margin_half_width() {
        let scene = scene("");
        let mut b = Built::new();
        b.put(2, 2, Site::TCELL);
        b.put(7, 6, Site::tumour(0, 0, 20));
        b.put(8, 2, Site::tumour(0, 0, 20));
        let f = fractions(&scene, &b).fractions;
        assert!((f.exposed_sensitive - 0.5).abs() < 1e-12, "{f:?}");
        assert!((f.exclusion - 0.5).abs() < 1e-12, "{f:?}");
    }

    /// Antigenicity 0.7 (recognition 0.133): P(kill) 0.348 against 0.8 for a fully
    /// recognised cell — below half; 0.8 (recognition 0.2) gives 0.444, above.
    #[test]
    fn low_antigenicity_is_a_missing_biomarker() {
        for (antigenicity, lacking) in [(0.7, 1.0), (0.8, 0.0)] {
            let scene = scene(&format!("antigenicity = {antigenicity}"));
            let mut b = Built::new();
            b.put(2, 2, Site::TCELL);
            b.put(3, 2, Site::tumour(0, 0, 20));
            let f = fractions(&scene, &b).fractions;
            assert_eq!(f.lack_of_biomarker, lacking, "antigenicity {antigenicity}");
            assert_eq!(f.exposed_sensitive, 1.0 - lacking);
        }
    }

    #[test]
    fn without_immune_no_immune_reason() {
        let scene = Scene::parse(
            "seed = 1\n[lattice]\nnx = 20\nny = 20\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let mut sites = vec![Site::EMPTY; 400];
        sites[0] = Site::tumour(0, 0, 20);
        assert!(ImmuneSurvey::new(&scene, &sites, &[0.0; 400]).is_none());
        let t = TreatmentExposure {
            hours_since_first_dose: vec![],
            plasma_auc_um_h: vec![],
            pre_treatment_clones: vec![0],
        };
        let f = analyse(&scene, &t, &sites, &[], &[0.0; 400]).fractions;
        assert_eq!(f.exposed_sensitive, 1.0);
    }
}
