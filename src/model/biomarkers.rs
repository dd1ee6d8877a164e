//! Immune biomarkers of a state, as a pathologist would read them off a section:
//! the PD-L1 tumour proportion score, the mean antigenicity of the tumour's cells (a
//! tumour-mutational-burden proxy), CD8+ T-cell densities in the tumour core, its
//! invasive margin and the stroma, and the immune phenotype they imply (inflamed,
//! excluded, desert; Chen & Mellman 2017, Nature 541:321).
//!
//! Regions follow the distance of a site from the tumour's border, in Moore steps
//! (so a distance is a Chebyshev distance × the site size): the **margin** is every
//! site within `margin_um` of the border on either side, the **core** the tumour sites
//! farther inside, the **stroma** the other sites farther outside. The clinical
//! invasive margin is a 1 mm band around a centimetre-sized tumour (Galon et al. 2006,
//! Science 313:1960); a simulated tumour is a millimetre across, so the default band
//! is 100 µm on either side — the project's scaling, a parameter.
//!
//! Densities are per mm² of section: in 3D, a one-site-thick stack of sections, so
//! T cells per site volume × the site size.

use crate::model::drug_params::{TRAIT_ANTIGEN_LOSS, TRAIT_PDL1};
use crate::model::lattice::Grid;
use crate::model::site::{Kind, Site};
use crate::scene::Scene;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Half-width of the invasive margin band (µm) on either side of the border.
pub const MARGIN_UM: f64 = 100.0;
/// A tumour cell counts as PD-L1 positive at or above this fraction of full PD-L1
/// (clinical TPS counts any membranous staining; the project's threshold).
pub const PDL1_POSITIVE: f64 = 0.1;
/// CD8+ density (per mm²) above which a region counts as infiltrated: the project's
/// threshold, of the order that separates responders to anti-PD-1 from
/// non-responders (hundreds per mm², Tumeh et al. 2014, Nature 515:568).
pub const INFILTRATED_PER_MM2: f64 = 100.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phenotype {
    /// T cells in the tumour core.
    Inflamed,
    /// T cells at the margin or in the stroma but not in the core.
    Excluded,
    /// Few T cells anywhere.
    Desert,
}

impl Phenotype {
    /// The name in summary.json, scans.csv and summary.csv.
    pub fn name(self) -> &'static str {
        match self {
            Phenotype::Inflamed => "inflamed",
            Phenotype::Excluded => "excluded",
            Phenotype::Desert => "desert",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Biomarkers {
    /// Live tumour cells with PD-L1 ≥ `PDL1_POSITIVE`, percent of live tumour cells.
    pub pdl1_tps_percent: f64,
    /// Mean antigenicity of live tumour cells (`immune.antigenicity`, lowered by
    /// antigen loss).
    pub mean_antigenicity: f64,
    pub cd8_core_per_mm2: f64,
    pub cd8_margin_per_mm2: f64,
    pub cd8_stroma_per_mm2: f64,
    pub phenotype: Phenotype,
}

/// The PD-L1 fraction of a tumour cell: constitutive (the trait) or induced by IFN-γ
/// at level `ifng` (the Hill curve of `[immune]`), whichever is higher.
pub fn pdl1_of(scene: &Scene, site: &Site, ifng: Option<f32>) -> f64 {
    let Some(im) = &scene.immune else { return 0.0 };
    let constitutive = if site.w3 & TRAIT_PDL1 != 0 {
        im.pdl1_constitutive
    } else {
        0.0
    };
    let induced = ifng.map_or(0.0, |c| {
        crate::model::immune::hill(c as f64, im.ifng_half_max, im.ifng_hill)
    });
    constitutive.max(induced)
}

/// Each site's distance from the tumour's border in Moore steps: positive inside the
/// tumour (live or necrotic sites, and T cells among them; 1 next to the border),
/// negative outside (−1 next to the tumour); `None` when there is no tumour.
pub fn border_distance(grid: &Grid, sites: &[Site]) -> Option<Vec<i32>> {
    let tumour = |s: &Site| matches!(s.kind(), Kind::Tumour | Kind::Necrotic);
    if !sites.iter().any(tumour) {
        return None;
    }
    let offsets: Vec<[i32; 3]> = moore(grid);
    // A T cell belongs where most of its other neighbours are: one among tumour cells
    // is in the tumour, not a hole in it.
    let inside: Vec<bool> = (0..sites.len() as u32)
        .map(|i| {
            let s = &sites[i as usize];
            if s.kind() != Kind::TCell {
                return tumour(s);
            }
            let c = grid.coords(i);
            let (mut t, mut other) = (0, 0);
            for &d in &offsets {
                match grid.neighbour(c, d).map(|n| &sites[n as usize]) {
                    Some(n) if tumour(n) => t += 1,
                    Some(n) if n.kind() != Kind::TCell => other += 1,
                    _ => {}
                }
            }
            t > other
        })
        .collect();
    // Two multi-source breadth-first searches: from the sites across the border.
    let mut dist = vec![i32::MAX; sites.len()];
    let mut queue = VecDeque::new();
    for i in 0..sites.len() as u32 {
        let c = grid.coords(i);
        let across = offsets.iter().any(|&d| {
            grid.neighbour(c, d)
                .is_some_and(|n| inside[n as usize] != inside[i as usize])
        });
        if across {
            dist[i as usize] = 1;
            queue.push_back(i);
        }
    }
    while let Some(i) = queue.pop_front() {
        let c = grid.coords(i);
        for &d in &offsets {
            if let Some(n) = grid.neighbour(c, d) {
                let n = n as usize;
                if inside[n] == inside[i as usize] && dist[n] == i32::MAX {
                    dist[n] = dist[i as usize] + 1;
                    queue.push_back(n as u32);
                }
            }
        }
    }
    Some(
        dist.iter()
            .zip(&inside)
            .map(|(&d, &t)| if t { d } else { -d })
            .collect(),
    )
}

/// Every Moore offset of the lattice (26 in 3D, 8 in 2D), whatever its neighbourhood:
/// distances are geometric.
pub(crate) fn moore(grid: &Grid) -> Vec<[i32; 3]> {
    let zs: &[i32] = if grid.nz > 1 { &[-1, 0, 1] } else { &[0] };
    let mut out = Vec::new();
    for &z in zs {
        for y in -1..=1 {
            for x in -1..=1 {
                if [x, y, z] != [0, 0, 0] {
                    out.push([x, y, z]);
                }
            }
        }
    }
    out
}

/// The biomarkers of a state whose fields are `fields` (every field in field order,
/// `sites.len()` values each).
pub fn of_state(scene: &Scene, sites: &[Site], fields: &[f32]) -> Option<Biomarkers> {
    let ifng = scene.immune.as_ref()?.ifng.as_deref();
    let ifng = crate::model::immune::factor_values(scene, ifng, fields, sites.len());
    biomarkers(scene, sites, ifng)
}

/// The biomarkers of a state; `ifng` is the IFN-γ field when the scene has one.
pub fn biomarkers(scene: &Scene, sites: &[Site], ifng: Option<&[f32]>) -> Option<Biomarkers> {
    let im = scene.immune.as_ref()?;
    let grid = Grid::from_scene(scene);
    let site_um = scene.lattice.site_size_um;
    let band = (MARGIN_UM / site_um).round().max(1.0) as i32;
    let dist = border_distance(&grid, sites);
    let (mut live, mut positive, mut antigen) = (0u64, 0u64, 0.0f64);
    // Sites and T cells of the core, margin and stroma.
    let mut area = [0u64; 3];
    let mut cd8 = [0u64; 3];
    for (i, s) in sites.iter().enumerate() {
        if s.kind() == Kind::Tumour {
            live += 1;
            positive += (pdl1_of(scene, s, ifng.map(|f| f[i])) >= PDL1_POSITIVE) as u64;
            antigen += if s.w3 & TRAIT_ANTIGEN_LOSS != 0 {
                im.antigenicity * im.antigen_loss_factor
            } else {
                im.antigenicity
            };
        }
        let region = match dist.as_ref().map(|d| d[i]) {
            Some(d) if d > band => 0,
            Some(d) if d >= -band => 1,
            _ => 2,
        };
        area[region] += 1;
        cd8[region] += (s.kind() == Kind::TCell) as u64;
    }
    let mm2_per_site = (site_um / 1000.0).powi(2);
    let density = |r: usize| {
        if area[r] == 0 {
            0.0
        } else {
            cd8[r] as f64 / (area[r] as f64 * mm2_per_site)
        }
    };
    let (core, margin, stroma) = (density(0), density(1), density(2));
    let phenotype = if core >= INFILTRATED_PER_MM2 {
        Phenotype::Inflamed
    } else if margin >= INFILTRATED_PER_MM2 || stroma >= INFILTRATED_PER_MM2 {
        Phenotype::Excluded
    } else {
        Phenotype::Desert
    };
    let share = |k: u64| {
        if live == 0 {
            0.0
        } else {
            k as f64 / live as f64
        }
    };
    Some(Biomarkers {
        pdl1_tps_percent: 100.0 * share(positive),
        mean_antigenicity: if live == 0 {
            0.0
        } else {
            antigen / live as f64
        },
        cd8_core_per_mm2: core,
        cd8_margin_per_mm2: margin,
        cd8_stroma_per_mm2: stroma,
        phenotype,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scene() -> Scene {
        let text = "seed = 1\n[lattice]\nnx = 40\nny = 40\n[[factors]]\nname = \"c\"\n\
                    diffusion_um2_per_min = 100.0\ndecay_per_min = 0.01\n[immune]\nchemokine = \"c\"\n";
        Scene::parse(text, Path::new("t.toml")).unwrap()
    }

    /// A square tumour of side 20 (x, y in 10..30) on a 40 × 40 lattice.
    fn square() -> Vec<Site> {
        (0..1600)
            .map(|i| {
                let (x, y) = (i % 40, i / 40);
                if (10..30).contains(&x) && (10..30).contains(&y) {
                    Site::tumour(0, 0, 20)
                } else {
                    Site::EMPTY
                }
            })
            .collect()
    }

    #[test]
    fn border_distance_counts_moore_steps_on_both_sides() {
        let s = scene();
        let d = border_distance(&Grid::from_scene(&s), &square()).unwrap();
        assert_eq!(d[10 * 40 + 10], 1, "a corner of the tumour");
        assert_eq!(d[20 * 40 + 20], 10, "the centre");
        assert_eq!(d[9 * 40 + 20], -1);
        assert_eq!(d[0], -10, "Chebyshev distance from the corner (10, 10)");
        assert!(border_distance(&Grid::from_scene(&s), &[Site::EMPTY; 1600]).is_none());
    }

    #[test]
    fn regions_densities_and_phenotypes_on_constructed_states() {
        let s = scene();
        let mut sites = square();
        // 5-site bands: core = tumour sites at distance > 5 (x, y in 15..25: 100
        // sites), margin = distance −5..=5, stroma = the rest.
        for k in 0..10 {
            sites[(15 + k) * 40 + 15 + k] = Site::TCELL;
        }
        let b = biomarkers(&s, &sites, None).unwrap();
        // 10 T cells on 100 core sites of 0.0004 mm² each: 250 per mm².
        assert!((b.cd8_core_per_mm2 - 250.0).abs() < 1e-9, "{b:?}");
        assert_eq!((b.cd8_margin_per_mm2, b.cd8_stroma_per_mm2), (0.0, 0.0));
        assert_eq!(b.phenotype, Phenotype::Inflamed);
        // 40 T cells 3 and 4 sites outside the tumour, none inside: excluded. The
        // margin band holds 30 × 30 − 100 = 800 sites: 125 per mm².
        let mut sites = square();
        for x in 10..30 {
            sites[6 * 40 + x] = Site::TCELL;
            sites[7 * 40 + x] = Site::TCELL;
        }
        let b = biomarkers(&s, &sites, None).unwrap();
        assert_eq!(b.cd8_core_per_mm2, 0.0);
        assert!((b.cd8_margin_per_mm2 - 125.0).abs() < 1e-9, "{b:?}");
        assert_eq!(b.phenotype, Phenotype::Excluded, "{b:?}");
        assert_eq!(
            biomarkers(&s, &square(), None).unwrap().phenotype,
            Phenotype::Desert
        );
    }

    #[test]
    fn tps_and_antigenicity_count_live_tumour_cells() {
        let s = scene();
        let mut sites = square();
        // A quarter of the 400 cells with PD-L1, a tenth without antigen.
        let cells: Vec<usize> = (0..1600)
            .filter(|&i| sites[i].kind() == Kind::Tumour)
            .collect();
        for (k, &i) in cells.iter().enumerate() {
            if k % 4 == 0 {
                sites[i].w3 |= TRAIT_PDL1;
            }
            if k % 10 == 1 {
                sites[i].w3 |= TRAIT_ANTIGEN_LOSS;
            }
        }
        let b = biomarkers(&s, &sites, None).unwrap();
        assert!((b.pdl1_tps_percent - 25.0).abs() < 1e-9);
        assert!((b.mean_antigenicity - 0.9).abs() < 1e-12);
        // IFN-γ at 10 × the half-maximum everywhere makes every cell positive.
        let ifng = vec![1.1f32; 1600];
        let b = biomarkers(&s, &sites, Some(&ifng)).unwrap();
        assert_eq!(b.pdl1_tps_percent, 100.0);
        // At 1 % of the half-maximum the induced fraction is below 10 %.
        let ifng = vec![0.0011f32; 1600];
        let b = biomarkers(&s, &sites, Some(&ifng)).unwrap();
        assert!((b.pdl1_tps_percent - 25.0).abs() < 1e-9);
    }
}
