//! The network update's rules on small hand-made lattices.

use super::*;
use crate::model::lattice::Grid;
use crate::model::params::SimParams;
use crate::model::site::{Kind, Site, GROWN_BIT, HALF_SHIFT, IMMATURE_BIT, LOW16};
use crate::scene::Scene;
use std::path::Path;

/// A 2D scene `nx` × 20 of 20 µm sites with two vessels along x at y = 5 and y = 15
/// (alternating: y = 5 fed from x = 0, y = 15 from x = nx − 1), no tumour cells.
fn scene(nx: u32, extra: &str) -> Scene {
    let text = format!(
        "name = \"v\"\nseed = 3\n[lattice]\nnx = {nx}\nny = 20\n[time]\nduration_days = 1\n\
         [tumour]\ncell_count = 1\n[vessels]\nlayout = \"lines\"\naxis = \"x\"\nspacing_um = 200.0\n\
         [[factors]]\nname = \"vegf\"\nunit = \"nM\"\ndiffusion_um2_per_min = 1400.0\n\
         decay_per_min = 0.0116\n[vasculature]\nvegf = \"vegf\"\n{extra}"
    );
    Scene::parse(&text, Path::new("v.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// The scene's vessels, without its one tumour cell.
fn lattice(scene: &Scene) -> Vec<Site> {
    let mut sites = crate::model::setup::initial_sites(scene);
    for s in sites.iter_mut().filter(|s| s.kind() == Kind::Tumour) {
        *s = Site::EMPTY;
    }
    sites
}

/// Fields for `scene` (every field zero) with VEGF at `vegf(site)`.
fn fields(scene: &Scene, vegf: impl Fn(u32) -> f32) -> Vec<f32> {
    let grid = Grid::from_scene(scene);
    let n = grid.sites();
    let n_fields = crate::model::fields::list(scene).len();
    let mut f = vec![0.0; n * n_fields];
    let k = crate::model::fields::factor_field(scene.drugs.len(), 0);
    for i in 0..n {
        f[k * n + i] = vegf(i as u32);
    }
    f
}

/// `plain` with "bev", an anti-angiogenic drug of IC50 1 nM.
fn with_bev(plain: &Scene) -> Scene {
    let drug = "[[drugs]]\nname = \"bev\"\nclass = \"anti_angiogenic\"\nemax_per_h = 0.0\n\
                ic50_um = 0.001\n";
    Scene::parse(&format!("{}\n{drug}", toml_of(plain)), Path::new("t.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Fields of `sc` with no VEGF and, when it has a drug, 1 µM of it everywhere
/// (1000 × IC50: blockade ≈ 1).
fn blocked_fields(sc: &Scene) -> Vec<f32> {
    let mut f = fields(sc, |_| 0.0);
    if !sc.drugs.is_empty() {
        let n = Grid::from_scene(sc).sites();
        let d = crate::model::fields::drug_field(0);
        f[d * n..(d + 1) * n].fill(1.0);
    }
    f
}

fn perfusion(s: &Site) -> f64 {
    (s.w2 & LOW16) as f64 / LOW16 as f64
}

#[test]
fn straight_vessels_carry_the_reference_flow() {
    let sc = scene(40, "");
    let mut sites = lattice(&sc);
    initial_perfusion(&sc, &mut sites).unwrap();
    let grid = Grid::from_scene(&sc);
    for x in [0, 7, 39] {
        let s = sites[grid.index(x, 5, 0) as usize];
        assert_eq!(s.kind(), Kind::Vessel);
        assert!(
            (perfusion(&s) - 1.0).abs() < 1e-4,
            "x {x}: {}",
            perfusion(&s)
        );
    }
    // τ of the reference vessel = r ΔP / (2 L) = 5 µm · 10 mmHg / (2 · 780 µm).
    let flow = solve_flow(&sc, &grid, &SimParams::from_scene(&sc), &sites).unwrap();
    let expected = 5e-6 * 10.0 * crate::model::vessel_flow::PA_PER_MMHG / (2.0 * 780e-6) * 10.0;
    let wss = flow.site_wss_dyn_per_cm2[grid.index(20, 5, 0) as usize];
    assert!((wss / expected - 1.0).abs() < 1e-9, "{wss} vs {expected}");
    // Alternating: y = 5 enters at x = 0 (25 mmHg), y = 15 at x = nx − 1.
    let p = |x, y| flow.site_pressure_mmhg[grid.index(x, y, 0) as usize].unwrap();
    assert_eq!(
        (p(0, 5), p(39, 5), p(0, 15), p(39, 15)),
        (25.0, 15.0, 15.0, 25.0)
    );
}

/// A bridge of new vessel between the two vessels: no flow while it hangs from one,
/// flow once it joins both.
#[test]
fn anastomosis_creates_flow() {
    let sc = scene(40, "");
    let grid = Grid::from_scene(&sc);
    let sim = SimParams::from_scene(&sc);
    let mut sites = lattice(&sc);
    for y in 6..14 {
        sites[grid.index(8, y, 0) as usize] = NEW_VESSEL;
    }
    let flow = solve_flow(&sc, &grid, &sim, &sites).unwrap();
    flow.write_perfusion(&sc, &sim, &grid, &mut sites);
    let mid = grid.index(8, 10, 0) as usize;
    assert_eq!(
        flow.site_flow_m3_per_s[mid], 0.0,
        "a dead end carries nothing"
    );
    assert_eq!(perfusion(&sites[mid]), 0.0);
    sites[grid.index(8, 14, 0) as usize] = NEW_VESSEL;
    let flow = solve_flow(&sc, &grid, &sim, &sites).unwrap();
    flow.write_perfusion(&sc, &sim, &grid, &mut sites);
    assert!(flow.site_flow_m3_per_s[mid] > 0.1 * flow.reference_flow_m3_per_s);
    assert!(perfusion(&sites[mid]) > 0.05);
    // Immature: at most the immature fraction of a mature vessel's delivery.
    assert!(perfusion(&sites[mid]) <= sc.vasculature.as_ref().unwrap().immature_perfusion + 1e-4);
    let max_residual = flow
        .solution
        .kirchhoff_residual_m3_per_s
        .iter()
        .zip(&flow.vessels.network.nodes)
        .filter(|(_, n)| n.fixed_pressure_mmhg.is_none())
        .map(|(r, _)| r.abs())
        .fold(0.0, f64::max);
    assert!(
        max_residual < 1e-9 * flow.reference_flow_m3_per_s,
        "{max_residual}"
    );
}

/// Sites of kind `k`.
fn count(sites: &[Site], k: Kind) -> usize {
    sites.iter().filter(|s| s.kind() == k).count()
}

/// With sprouting certain at any VEGF at or above the threshold, one update sprouts
/// nothing below it and sprouts above it, never two tips within the exclusion distance.
#[test]
fn sprouting_only_above_the_vegf_threshold() {
    let sc = scene(40, "sprout_max_per_min = 1.0\nsprout_threshold_nm = 0.05\n");
    for (level, expect_tips) in [(0.049f32, false), (0.051, true)] {
        let mut sites = lattice(&sc);
        let f = fields(&sc, |_| level);
        let events = update(&sc, 0, &mut sites, &f).unwrap();
        let tips: Vec<u32> = (0..sites.len() as u32)
            .filter(|&i| sites[i as usize].kind() == Kind::VesselTip)
            .collect();
        assert_eq!(events.sprouts as usize, tips.len());
        assert_eq!(
            !tips.is_empty(),
            expect_tips,
            "VEGF {level} nM: {} tips",
            tips.len()
        );
        let grid = Grid::from_scene(&sc);
        for (a, &i) in tips.iter().enumerate() {
            for &j in &tips[a + 1..] {
                let (ci, cj) = (grid.coords(i), grid.coords(j));
                let d2: f64 = (0..3).map(|k| (ci[k] as f64 - cj[k] as f64).powi(2)).sum();
                assert!(d2.sqrt() * 20.0 >= 80.0, "tips {ci:?} and {cj:?}");
            }
        }
    }
}

/// A dead-end sprout (no flow, shear 0 < 8 dyn/cm²) regresses at the first update at
/// which its low-shear time reaches 4,000 min; a bridge carrying flow never does.
#[test]
fn low_shear_regresses_after_the_stated_time_and_high_shear_never() {
    let sc = scene(40, "sprout_max_per_min = 0.0\n");
    let grid = Grid::from_scene(&sc);
    let mut sites = lattice(&sc);
    for y in 6..15 {
        sites[grid.index(8, y, 0) as usize] = NEW_VESSEL; // bridge y = 5 … 15
    }
    for y in 6..10 {
        sites[grid.index(30, y, 0) as usize] = NEW_VESSEL; // dead end
    }
    let f = fields(&sc, |_| 0.0);
    let every_min = 120; // update_every_h = 2
    let updates_to_regress = 4000usize.div_ceil(every_min);
    for u in 0..100 {
        let tick = 2 * u as u64;
        update(&sc, tick, &mut sites, &f).unwrap();
        let dead_end = sites[grid.index(30, 8, 0) as usize];
        if u + 1 < updates_to_regress {
            assert_eq!(dead_end.kind(), Kind::Vessel, "update {u}");
            assert_eq!(dead_end.w3 >> HALF_SHIFT, ((u + 1) * every_min) as u32);
        } else {
            assert_eq!(dead_end.kind(), Kind::Empty, "update {u}");
        }
        for y in 6..15 {
            let s = sites[grid.index(8, y, 0) as usize];
            assert_eq!(s.kind(), Kind::Vessel, "bridge y {y} at update {u}");
            assert_eq!(s.w3 >> HALF_SHIFT, 0, "bridge y {y}: shear above threshold");
        }
    }
    // 100 updates of 2 h exceed 7 days: the bridge has matured.
    let s = sites[grid.index(8, 10, 0) as usize];
    assert_eq!(s.w0 & IMMATURE_BIT, 0);
}

/// Anti-VEGF at the vessels speeds maturation, so an immature bridge's perfusion rises
/// to a mature vessel's within two days instead of seven (the normalisation window).
#[test]
fn blockade_normalises_immature_vessels() {
    let sc = scene(
        40,
        "sprout_max_per_min = 0.0\nblockade_immature_regression_per_mm_per_day = 0.0\n\
         blockade_grown_regression_per_mm_per_day = 0.0\n",
    );
    let treated = with_bev(&sc);
    let grid = Grid::from_scene(&sc);
    let bridge = |sc: &Scene| {
        let mut sites = lattice(sc);
        for y in 6..15 {
            sites[grid.index(8, y, 0) as usize] = NEW_VESSEL;
        }
        sites
    };
    let mid = grid.index(8, 10, 0) as usize;
    let (mut plain, mut blocked) = (bridge(&sc), bridge(&treated));
    let plain_fields = fields(&sc, |_| 0.0);
    let blocked_fields = blocked_fields(&treated);
    let mut perfusions = Vec::new();
    for u in 0..24 {
        update(&sc, 2 * u, &mut plain, &plain_fields).unwrap();
        update(&treated, 2 * u, &mut blocked, &blocked_fields).unwrap();
        perfusions.push((perfusion(&plain[mid]), perfusion(&blocked[mid])));
    }
    let (p0, b0) = perfusions[0];
    assert!((p0 - b0).abs() < 1e-4, "same flow at first: {p0} {b0}");
    let (p48, b48) = perfusions[23];
    assert!(b48 > 1.8 * p48, "48 h: blocked {b48}, untreated {p48}");
    assert_eq!(blocked[mid].w0 & IMMATURE_BIT, 0, "matured under blockade");
    assert_ne!(plain[mid].w0 & IMMATURE_BIT, 0, "still immature untreated");
}

fn toml_of(scene: &Scene) -> String {
    toml::to_string(scene).unwrap()
}

/// The update is a function of (scene, tick, state): twice from the same state gives
/// the same sites, and the same lattice and seed at another tick draws differently.
#[test]
fn update_is_deterministic() {
    let sc = scene(40, "sprout_max_per_min = 0.01\n");
    let f = fields(&sc, |i| (i % 7) as f32 * 0.3);
    let run = |tick: u64| {
        let mut sites = lattice(&sc);
        for t in 0..10u64 {
            update(&sc, tick + 2 * t, &mut sites, &f).unwrap();
        }
        sites
    };
    let (a, b, c) = (run(0), run(0), run(1000));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(count(&a, Kind::VesselTip) + count(&a, Kind::Vessel) > 40);
}

/// A tip under full VEGF blockade retracts at its retraction rate; without
/// blockade it does not, and steps instead.
#[test]
fn tips_retract_under_blockade() {
    let keys = "sprout_max_per_min = 0.0\nblockade_tip_retraction_per_day = 10000.0\n";
    let plain = scene(40, keys);
    let treated = with_bev(&plain);
    let grid = Grid::from_scene(&plain);
    let tip_site = grid.index(20, 6, 0) as usize;
    for (sc, retracts) in [(&plain, false), (&treated, true)] {
        let mut sites = lattice(sc);
        sites[tip_site] = tip(2, 0); // stalk face 2 (−y): the vessel at y = 5
        let events = update(sc, 0, &mut sites, &blocked_fields(sc)).unwrap();
        assert_eq!(
            events.retracted_tips, retracts as u32,
            "retracts: {retracts}"
        );
        assert_eq!(count(&sites, Kind::VesselTip), !retracts as usize);
        if !retracts {
            assert_eq!(events.tip_steps, 1, "10 µm/h × 2 h at 20 µm sites");
        }
    }
}

/// Under sustained full blockade a mature vessel the tumour grew regresses (the
/// normalisation window closes), and once cut its remnants lose their flow and regress
/// by shear; the host vessels it joined carry on, under the same blockade.
#[test]
fn sustained_blockade_prunes_grown_mature_vessels_and_spares_host_ones() {
    let plain = scene(
        40,
        "sprout_max_per_min = 0.0\nblockade_grown_regression_per_mm_per_day = 25.0\n",
    );
    let treated = with_bev(&plain);
    let grid = Grid::from_scene(&plain);
    let mature_grown = Site {
        w0: NEW_VESSEL.w0 & !IMMATURE_BIT,
        ..NEW_VESSEL
    };
    let bridge: Vec<usize> = (6..15).map(|y| grid.index(8, y, 0) as usize).collect();
    let host: Vec<usize> = (0..40).map(|x| grid.index(x, 5, 0) as usize).collect();
    let mut survived = Vec::new();
    for sc in [&plain, &treated] {
        let mut sites = lattice(sc);
        for &i in &bridge {
            sites[i] = mature_grown;
        }
        let f = blocked_fields(sc);
        // 10 days of 2 h updates: each bridge site regresses at 25 /mm/day × 20 µm = 0.5 /day, so the
        // bridge is cut within a day or so (9 sites: 4.5 /day), and the cut pieces
        // carry no flow and go after 4,000 min of low shear.
        for u in 0..120u64 {
            update(sc, 2 * u, &mut sites, &f).unwrap();
        }
        for &i in &host {
            assert_eq!(sites[i].kind(), Kind::Vessel, "host site {i}");
            assert_eq!(sites[i].w0 & GROWN_BIT, 0);
        }
        survived.push(
            bridge
                .iter()
                .filter(|&&i| sites[i].kind() == Kind::Vessel)
                .count(),
        );
    }
    assert_eq!(
        survived,
        [9, 0],
        "untreated bridge kept, treated bridge gone"
    );
}

/// The normalisation window on one vessel: a perfused, immature bridge at the midline
/// (flow, but shear below 8 dyn/cm²). Under full blockade it matures within two days
/// (perfusion doubles: the window opens), and once mature its low shear prunes it
/// 4,000 min later (the window closes). Untreated it regresses first, never mature.
#[test]
fn the_normalisation_window_opens_and_closes() {
    let keys = "sprout_max_per_min = 0.0\nblockade_immature_regression_per_mm_per_day = 0.0\n\
                blockade_grown_regression_per_mm_per_day = 0.0\n";
    let plain = scene(40, keys);
    let treated = with_bev(&plain);
    let grid = Grid::from_scene(&plain);
    let mid = grid.index(20, 10, 0) as usize;
    let mut histories = Vec::new();
    for sc in [&plain, &treated] {
        let mut sites = lattice(sc);
        for y in 6..15 {
            sites[grid.index(20, y, 0) as usize] = NEW_VESSEL;
        }
        let flow = solve_flow(sc, &grid, &SimParams::from_scene(sc), &sites).unwrap();
        let wss = flow.site_wss_dyn_per_cm2[mid];
        assert!(wss > 1.0 && wss < 8.0, "low shear but flow: {wss} dyn/cm²");
        let f = blocked_fields(sc);
        // (kind, immature, perfusion) of the bridge's middle after each 2 h update.
        let mut history = Vec::new();
        for u in 0..70u64 {
            update(sc, 2 * u, &mut sites, &f).unwrap();
            let s = sites[mid];
            history.push((s.kind(), s.w0 & IMMATURE_BIT != 0, perfusion(&s)));
        }
        histories.push(history);
    }
    let (plain, treated) = (&histories[0], &histories[1]);
    let first = treated[0].2;
    assert!(first > 0.0 && (plain[0].2 - first).abs() < 1e-4);
    // Untreated: 4,000 min of low shear (34 updates) before 7 days of age.
    let gone = |h: &[(Kind, bool, f64)]| h.iter().position(|e| e.0 == Kind::Empty).unwrap();
    assert_eq!(
        gone(plain),
        33,
        "regressed at the update that reached 4,080 min"
    );
    assert!(plain[..33].iter().all(|e| e.1), "never matured untreated");
    // Treated: ages 4 × 2 h per update from the first solve that gives it flow
    // (update 0), 168 h at the 21st update after it ...
    let matured = treated.iter().position(|e| !e.1).unwrap();
    assert_eq!(matured, 21);
    let open = treated[matured + 1].2;
    assert!(open > 1.9 * first, "window open: {first} → {open}");
    // ... and its low-shear time starts again: gone after 34 more updates of low
    // shear, counting the one it matured in.
    assert_eq!(gone(treated), matured + 33);
}

/// A tip steps into tumour tissue by pushing the run of cells ahead of it on to the
/// free site at its end, within `tip_push_um` (100 µm: 5 sites); a longer run stops it.
#[test]
fn tips_push_into_tumour_tissue_within_the_push_distance() {
    let sc = scene(40, "sprout_max_per_min = 0.0\n");
    let grid = Grid::from_scene(&sc);
    let at = |x, y| grid.index(x, y, 0) as usize;
    let f = fields(&sc, |_| 0.0);
    let tumour = crate::model::setup::initial_sites(&sc)
        .into_iter()
        .find(|s| s.kind() == Kind::Tumour)
        .unwrap();
    for (cells, moves) in [(2u32, true), (5, true), (6, false)] {
        let mut sites = lattice(&sc);
        sites[at(20, 6)] = tip(2, 0); // stalk face −y: the vessel at y = 5
        sites[at(19, 6)] = Site::TCELL; // the only way on is +y, into the tumour
        sites[at(21, 6)] = Site::TCELL;
        for y in 7..7 + cells {
            sites[at(20, y)] = tumour;
        }
        let events = update(&sc, 0, &mut sites, &f).unwrap();
        let tumour_sites = count(&sites, Kind::Tumour) as u32;
        assert_eq!(tumour_sites, cells, "{cells} cells: none lost");
        if moves {
            assert_eq!((events.tip_steps, events.cells_pushed), (1, cells));
            assert_eq!(sites[at(20, 7)].kind(), Kind::VesselTip);
            assert_eq!(sites[at(20, 6)].kind(), Kind::Vessel);
            assert!((8..8 + cells).all(|y| sites[at(20, y)].kind() == Kind::Tumour));
        } else {
            assert_eq!((events.tip_steps, events.cells_pushed), (0, 0));
            assert_eq!(sites[at(20, 6)].kind(), Kind::VesselTip);
        }
    }
}

/// A tip sprouting from the vessel at y = 5 up a VEGF gradient towards the one at
/// y = 15 reaches it and anastomoses; the loop it closes carries blood between the two
/// vessels' pressures (x = 8: 5.9 mmHg apart), with shear well above the regression
/// threshold, so it stays.
#[test]
fn a_tip_crossing_to_another_vessel_closes_a_perfused_loop() {
    let sc = scene(40, "sprout_max_per_min = 0.0\n");
    let grid = Grid::from_scene(&sc);
    let f = fields(&sc, |i| grid.coords(i)[1] as f32); // 1 nM per site up y
    let mut sites = lattice(&sc);
    sites[grid.index(8, 6, 0) as usize] = tip(2, 0);
    let mut joined_at = None;
    for u in 0..60u64 {
        let events = update(&sc, 2 * u, &mut sites, &f).unwrap();
        if events.anastomoses > 0 {
            joined_at = Some(u);
            break;
        }
    }
    let u = joined_at.expect("the tip reached the far vessel");
    assert!(u >= 8, "nine sites to cross, one step per update: {u}");
    assert_eq!(count(&sites, Kind::VesselTip), 0);
    let flow = solve_flow(&sc, &grid, &SimParams::from_scene(&sc), &sites).unwrap();
    let grown: Vec<usize> = (0..sites.len())
        .filter(|&i| sites[i].kind() == Kind::Vessel && sites[i].w0 & GROWN_BIT != 0)
        .collect();
    assert!(grown.len() >= 9, "{} grown sites", grown.len());
    for &i in &grown {
        assert!(
            flow.site_flow_m3_per_s[i] > 0.05 * flow.reference_flow_m3_per_s,
            "site {:?}: {} of {}",
            grid.coords(i as u32),
            flow.site_flow_m3_per_s[i],
            flow.reference_flow_m3_per_s
        );
        assert!(flow.site_wss_dyn_per_cm2[i] > 8.0);
    }
}

/// On open ground without a gradient a tip steps straight on (away from its stalk)
/// with probability w / (w + 2) in 2D: w = 2 (L − 1) = 4 for the default 60 µm run
/// of L = 3 sites, so 2/3, and 1/3 (an unbiased walk) without persistence.
#[test]
fn tips_run_straight_on_for_the_persistence_length() {
    for (persistence, expect) in [("", 2.0 / 3.0), ("tip_persistence_um = 0.0\n", 1.0 / 3.0)] {
        let sc = scene(400, &format!("sprout_max_per_min = 0.0\n{persistence}"));
        let grid = Grid::from_scene(&sc);
        let f = fields(&sc, |_| 0.0);
        let xs: Vec<u32> = (5..395).step_by(5).collect();
        let (mut straight, mut turned) = (0usize, 0usize);
        for u in 0..20u64 {
            let mut sites = lattice(&sc);
            for &x in &xs {
                sites[grid.index(x, 9, 0) as usize] = NEW_VESSEL; // its stalk
                sites[grid.index(x, 10, 0) as usize] = tip(2, 0);
            }
            update(&sc, 2 * u, &mut sites, &f).unwrap();
            for &x in &xs {
                if sites[grid.index(x, 11, 0) as usize].kind() == Kind::VesselTip {
                    straight += 1;
                }
                turned += [x - 1, x + 1]
                    .iter()
                    .filter(|&&xn| sites[grid.index(xn, 10, 0) as usize].kind() == Kind::VesselTip)
                    .count();
            }
        }
        let total = straight + turned;
        assert_eq!(total, 20 * xs.len(), "every tip stepped once");
        let p = straight as f64 / total as f64;
        assert!((p - expect).abs() < 0.05, "{persistence}: {p} vs {expect}");
    }
}
