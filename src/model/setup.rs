//! The initial lattice: vessels from the scene's layout, then the tumour around its centre.

use crate::model::drug_params::{
    DrugSet, TRAIT_ANTIGEN_LOSS, TRAIT_EFFLUX, TRAIT_PDL1, TRAIT_SLOW_CYCLE,
};
use crate::model::lattice::Grid;
use crate::model::params::{cycle_len, SimParams};
use crate::model::rng::{self, stream};
use crate::model::site::{Kind, Site};
use crate::scene::drugs::parse_trait;
use crate::scene::{Arrangement, Axis, Scene, TraitName, VesselLayout};

/// Builds the initial lattice. Deterministic in the scene (and its seed) alone.
pub fn initial_sites(scene: &Scene) -> Vec<Site> {
    let grid = Grid::from_scene(scene);
    let key = rng::setup_key(scene.seed);
    let mut sites = vec![Site::EMPTY; grid.sites()];
    place_vessels(scene, &grid, key, &mut sites);
    place_tumour(scene, &grid, key, &mut sites);
    sites
}

fn place_vessels(scene: &Scene, grid: &Grid, key: u32, sites: &mut [Site]) {
    let v = &scene.vessels;
    let h = scene.lattice.site_size_um;
    let spacing = ((v.spacing_um / h).round() as u32).max(2);
    let offset = spacing / 2;
    let on = |c: u32| c % spacing == offset;
    let density = rng::threshold(v.density);
    for i in 0..grid.sites() as u32 {
        let [x, y, z] = grid.coords(i);
        let is_vessel = match v.layout {
            VesselLayout::None => false,
            VesselLayout::Random => rng::draw(key, i, stream::PLACEMENT) < density,
            VesselLayout::Lines => match (v.axis, grid.is_3d()) {
                (Axis::X, false) => on(y),
                (Axis::Y, false) => on(x),
                (Axis::X, true) => on(y) && on(z),
                (Axis::Y, true) => on(x) && on(z),
                (Axis::Z, _) => on(x) && on(y),
            },
            VesselLayout::Grid => {
                if grid.is_3d() {
                    (on(x) && on(y)) || (on(x) && on(z)) || (on(y) && on(z))
                } else {
                    on(x) || on(y)
                }
            }
        };
        if is_vessel {
            let u = rng::draw(key, i, stream::PERFUSION) as f64 / 4_294_967_296.0;
            let p = v.perfusion + v.perfusion_spread * (2.0 * u - 1.0);
            sites[i as usize] = Site::vessel(p);
        }
    }
}

/// Centre of the initial tumour in continuous site coordinates (site i spans [i, i+1)).
fn centre_sites(scene: &Scene, grid: &Grid) -> [f64; 3] {
    let h = scene.lattice.site_size_um;
    match scene.tumour.centre_um {
        Some(c) => [
            c[0] / h,
            c[1] / h,
            if grid.is_3d() { c[2] / h } else { 0.5 },
        ],
        None => [
            grid.nx as f64 / 2.0,
            grid.ny as f64 / 2.0,
            grid.nz as f64 / 2.0,
        ],
    }
}

fn dist2(c: [u32; 3], centre: [f64; 3]) -> f64 {
    (0..3)
        .map(|a| (c[a] as f64 + 0.5 - centre[a]).powi(2))
        .sum()
}

fn place_tumour(scene: &Scene, grid: &Grid, key: u32, sites: &mut [Site]) {
    let centre = centre_sites(scene, grid);
    let h = scene.lattice.site_size_um;
    let mut params = SimParams::from_scene(scene);
    params.tick_key = key;
    let chosen: Vec<u32> = match (scene.tumour.radius_um, scene.tumour.cell_count) {
        (Some(r_um), _) => {
            let r = r_um / h;
            sites_in_box(grid, centre, r.ceil() as i64 + 1)
                .into_iter()
                .filter(|&i| dist2(grid.coords(i), centre) <= r * r)
                .filter(|&i| sites[i as usize].kind() == Kind::Empty)
                .collect()
        }
        (None, Some(n)) => nearest_free(grid, centre, n as usize, sites),
        (None, None) => Vec::new(),
    };
    let drugs = DrugSet::from_scene(scene);
    let clone_traits = initial_clone_traits(scene);
    for i in chosen {
        let clone = pick_clone(scene, grid, centre, key, i);
        let traits = clone_traits[clone];
        let len = drugs.scale_cycle(cycle_len(&params, i), traits);
        let phase = rng::draw(key, i, stream::INITIAL_PHASE) % len;
        let mut site = Site::tumour(clone as u16, phase as u16, len as u16);
        site.w3 = traits;
        sites[i as usize] = site;
    }
}

/// Trait bits of each `[[clones]]` entry (one clone without traits when none are given).
pub fn initial_clone_traits(scene: &Scene) -> Vec<u32> {
    if scene.clones.is_empty() {
        return vec![0];
    }
    scene
        .clones
        .iter()
        .map(|c| {
            c.traits.iter().fold(0u32, |bits, t| {
                bits | match parse_trait(t, &scene.drugs) {
                    Ok(TraitName::Efflux) => TRAIT_EFFLUX,
                    Ok(TraitName::SlowCycle) => TRAIT_SLOW_CYCLE,
                    Ok(TraitName::AntigenLoss) => TRAIT_ANTIGEN_LOSS,
                    Ok(TraitName::Pdl1) => TRAIT_PDL1,
                    Ok(TraitName::Target(d)) => 1 << d,
                    // Validation has refused unknown traits already.
                    Err(_) => 0,
                }
            })
        })
        .collect()
}

/// The initial clone of a tumour cell at site `i`: by an independent draw (`mixed`) or
/// by the wedge of directions around the centre that the clone's fraction spans
/// (`patches`, angle measured in the x–y plane).
fn pick_clone(scene: &Scene, grid: &Grid, centre: [f64; 3], key: u32, i: u32) -> usize {
    if scene.clones.len() <= 1 {
        return 0;
    }
    let u = match scene.tumour.arrangement {
        Arrangement::Mixed => rng::draw(key, i, stream::CLONE) as f64 / 4_294_967_296.0,
        Arrangement::Patches => {
            let c = grid.coords(i);
            let dx = c[0] as f64 + 0.5 - centre[0];
            let dy = c[1] as f64 + 0.5 - centre[1];
            (dy.atan2(dx) + std::f64::consts::PI) / std::f64::consts::TAU
        }
    };
    let mut cumulative = 0.0;
    for (k, c) in scene.clones.iter().enumerate() {
        cumulative += c.fraction;
        if u < cumulative {
            return k;
        }
    }
    scene.clones.len() - 1
}

/// Site indices inside the cube of half-width `r` around `centre`, clipped to the lattice.
fn sites_in_box(grid: &Grid, centre: [f64; 3], r: i64) -> Vec<u32> {
    let dims = [grid.nx, grid.ny, grid.nz];
    let range = |a: usize| {
        let c = centre[a].floor() as i64;
        let lo = (c - r).max(0) as u32;
        let hi = (c + r).min(dims[a] as i64 - 1).max(0) as u32;
        lo..=hi
    };
    let mut out = Vec::new();
    for z in range(2) {
        for y in range(1) {
            for x in range(0) {
                out.push(grid.index(x, y, z));
            }
        }
    }
    out
}

/// The `n` free sites nearest `centre`, ties broken by site index.
fn nearest_free(grid: &Grid, centre: [f64; 3], n: usize, sites: &[Site]) -> Vec<u32> {
    let dims = if grid.is_3d() { 3.0 } else { 2.0 };
    let mut r = ((n as f64).powf(1.0 / dims)).ceil() as i64 + 2;
    loop {
        let mut candidates: Vec<(f64, u32)> = sites_in_box(grid, centre, r)
            .into_iter()
            .filter(|&i| sites[i as usize].kind() == Kind::Empty)
            .map(|i| (dist2(grid.coords(i), centre), i))
            .collect();
        let whole = r as u64 * 2 > grid.nx.max(grid.ny).max(grid.nz) as u64;
        // Only distances below r are guaranteed complete inside the box.
        let complete = candidates
            .iter()
            .filter(|(d, _)| *d <= ((r - 1) * (r - 1)) as f64)
            .count();
        if complete >= n || whole {
            candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            candidates.truncate(n);
            return candidates.into_iter().map(|(_, i)| i).collect();
        }
        r *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scene(extra: &str) -> Scene {
        let text = format!("seed = 3\n[lattice]\nnx = 40\nny = 30\n{extra}");
        Scene::parse(&text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn cell_count_places_exactly_that_many() {
        let s = scene("[tumour]\ncell_count = 37\n[vessels]\nlayout = \"none\"\n");
        let sites = initial_sites(&s);
        let n = sites.iter().filter(|s| s.kind() == Kind::Tumour).count();
        assert_eq!(n, 37);
    }

    #[test]
    fn radius_fills_a_disc_and_skips_vessels() {
        let s = scene(
            "[tumour]\nradius_um = 100.0\n[vessels]\nlayout = \"lines\"\nspacing_um = 100.0\n",
        );
        let sites = initial_sites(&s);
        let tumour = sites.iter().filter(|s| s.kind() == Kind::Tumour).count();
        let vessels = sites.iter().filter(|s| s.kind() == Kind::Vessel).count();
        // Radius 5 sites: about 78 sites, a fifth of them on vessel columns.
        assert!((55..=80).contains(&tumour), "{tumour}");
        // Lines along y every 5 sites over 40 columns: 8 columns of 30.
        assert_eq!(vessels, 8 * 30);
    }

    #[test]
    fn initial_phases_lie_within_the_cycle() {
        let s = scene("[tumour]\ncell_count = 200\n");
        for site in initial_sites(&s)
            .iter()
            .filter(|s| s.kind() == Kind::Tumour)
        {
            assert!(site.progress() < site.cycle_len());
        }
    }
}
