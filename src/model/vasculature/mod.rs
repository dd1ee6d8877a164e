//! A living vessel network (issue 15): sprouting, tip migration and anastomosis,
//! blood flow and the perfusion it gives, maturation and regression, and the
//! anti-angiogenic drugs that act on all of them. `[vasculature]` (`scene::vasculature`)
//! has the parameters and their sources.
//!
//! # One update, every `update_every_h`
//! The network changes over hours, blood flow relaxes in milliseconds, so the network
//! is updated on the host between ticks ([`update`], called by `engine::Simulation`
//! at every tick that is a multiple of the update interval, before the tick's host
//! pass), from the lattice and the fields of the state, in this order:
//! 1. **VEGF blockade** per vessel site from the anti-angiogenic drugs' levels there
//!    (`blockade`: 1 − Π(1 − occupancy), occupancy cʰ/(IC50ʰ + cʰ) of each drug).
//! 2. **Maturation and pruning** (`remodel`): an immature vessel that carried flow at
//!    the last update ages (faster under blockade) and matures at `maturation_days`
//!    (pericytes cover perfused vessels; a dead end never matures); under blockade
//!    immature vessels and mature grown ones (formed by sprouting during the run)
//!    regress at their rates per length × the site length × blockade. Host vessels
//!    never regress by blockade.
//! 3. **Sprouting** (`sprouting`): a vessel site with VEGF ≥ the threshold and an empty
//!    face neighbour sprouts a tip there with probability `p_max · v/(v + K) · (1 − b)`
//!    per minute, unless a tip is within the exclusion distance (sites in index order,
//!    so a new tip excludes later ones).
//! 4. **Tip moves** (`tips`): each tip steps at `tip_speed` (a draw for the fraction of
//!    a step), to a face neighbour that is free (empty or necrotic) or a tumour cell
//!    whose straight run of tumour cells ends at a free site within `tip_push_um`
//!    (the run is pushed one site on), with weight `1 + χ · max(0, v_target − v_here)`
//!    (a discrete Anderson–Chaplain walk), times a persistence weight for the step
//!    straight on (runs of `tip_persistence_um` on average), leaving an immature vessel site behind; a
//!    tip next to a vessel that is not its own stalk (after three steps) anastomoses:
//!    it becomes vessel and closes a loop. A tip whose stalk regressed retracts (its
//!    site empties), and under blockade a tip retracts at its retraction rate ×
//!    blockade and steps × (1 − blockade).
//! 5. **Flow** (`flow`): the network of vessel sites (tips excluded; compressed sites
//!    narrowed, `r · f^{1/4}` for the fraction f of perfusion compression leaves, and
//!    collapsed ones, f = 0, cut out), solved by `model::vessel_flow`; each vessel's
//!    uncompressed perfusion is `vessels.perfusion · min(1, |Q| / Q_ref)` (× the
//!    immature fraction for immature vessels), Q_ref the flow of one straight vessel
//!    across the lattice at the inlet–outlet drop, and its compressed perfusion follows
//!    from its tumour neighbours as in the cells pass.
//! 6. **Shear regression** (`remodel`): a grown vessel site (immature or mature) whose
//!    wall shear stress is below the threshold accumulates low-shear minutes (reset
//!    when above, and at maturation) and regresses when they reach
//!    `regression_after_min` (Owen et al. 2011). Host vessels do not regress by shear,
//!    so a host vessel collapsed by compression reopens when cell kill relieves it.
//!
//! Under blockade these make the normalisation window: the unperfused immature vessels
//! go, the perfused ones mature within days and deliver more (it opens), and the grown
//! vessels with low shear or pruned by the sustained blockade go after (it closes).
//!
//! Random draws are `rng::draw(update_key, site, stream)` with the update's key from the
//! scene's seed and the tick, and every step visits sites in index order: the update is
//! a function of (scene, tick, state), so GPU and CPU runs apply the same code to their
//! states, and a resumed run repeats it exactly.

mod blockade;
mod flow;
mod remodel;
mod sprouting;
mod tips;

#[cfg(test)]
mod tests;

pub use flow::{solve_flow, VesselFlow};

use crate::model::lattice::Grid;
use crate::model::params::SimParams;
use crate::model::rng;
use crate::model::site::Site;
use crate::model::vessel_flow::FlowError;
use crate::scene::vasculature::Vasculature;
use crate::scene::Scene;

/// The face offsets, in the order a tip's `stalk_face` counts them (4 in 2D, 6 in 3D).
pub const FACES: [[i32; 3]; 6] = [
    [-1, 0, 0],
    [1, 0, 0],
    [0, -1, 0],
    [0, 1, 0],
    [0, 0, -1],
    [0, 0, 1],
];

/// The face opposite face `f`.
pub fn opposite(f: usize) -> usize {
    f ^ 1
}

/// The faces of the lattice's dimension.
pub fn faces(grid: &Grid) -> &'static [[i32; 3]] {
    if grid.is_3d() {
        &FACES
    } else {
        &FACES[..4]
    }
}

/// What one update did (for logs and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateEvents {
    pub sprouts: u32,
    pub tip_steps: u32,
    /// Tumour cells pushed aside by tips stepping into the tumour.
    pub cells_pushed: u32,
    pub anastomoses: u32,
    pub retracted_tips: u32,
    pub matured: u32,
    pub regressed_by_shear: u32,
    pub regressed_by_blockade: u32,
}

/// Whether tick `tick` (ticks completed) is an update tick of the scene's network.
pub fn update_due(scene: &Scene, tick: u64) -> bool {
    scene
        .vasculature
        .as_ref()
        .is_some_and(|_| tick % update_every_ticks(scene) == 0)
}

/// Ticks between network updates (at least 1).
pub fn update_every_ticks(scene: &Scene) -> u64 {
    scene.vasculature.as_ref().map_or(1, |v| {
        ((v.update_every_h / scene.time.tick_h).round() as u64).max(1)
    })
}

/// The update's random key: the tick's key, mixed with a constant of its own so that
/// no draw repeats one of the tick's kernels.
fn update_key(scene: &Scene, tick: u64) -> u32 {
    rng::mix(rng::tick_key(scene.seed, tick as u32) ^ 0x5ee0_7a5c)
}

/// Updates the vessel network of `sites` in place (see the module doc) from the state's
/// fields (every field in field order, `sites.len()` values each). Does nothing in a
/// scene without `[vasculature]`.
pub fn update(
    scene: &Scene,
    tick: u64,
    sites: &mut [Site],
    fields: &[f32],
) -> Result<UpdateEvents, FlowError> {
    let Some(v) = &scene.vasculature else {
        return Ok(UpdateEvents::default());
    };
    let grid = Grid::from_scene(scene);
    let sim = SimParams::from_scene(scene);
    let key = update_key(scene, tick);
    let dt_min = update_every_ticks(scene) as f64 * scene.time.tick_h * 60.0;
    let n = sites.len();
    let vegf_index = scene
        .factors
        .iter()
        .position(|f| f.name == v.vegf)
        .expect("validated: [vasculature] vegf names a factor");
    let vegf_field = crate::model::fields::factor_field(scene.drugs.len(), vegf_index);
    let vegf = &fields[vegf_field * n..(vegf_field + 1) * n];
    let ctx = Step {
        v,
        grid,
        site_um: scene.lattice.site_size_um,
        key,
        dt_min,
        vegf,
        block: blockade::per_site(scene, sites, fields),
    };
    let mut events = UpdateEvents::default();
    remodel::mature_and_prune(&ctx, sites, &mut events);
    sprouting::sprout(&ctx, sites, &mut events);
    tips::advance(&ctx, sites, &mut events);
    let flow = solve_flow(scene, &ctx.grid, &sim, sites)?;
    flow.write_perfusion(scene, &sim, &ctx.grid, sites);
    remodel::regress_by_shear(v, dt_min, &flow, sites, &mut events);
    Ok(events)
}

/// Perfusion from the flow of the initial network (before the first solve of a run):
/// no sprouting, moves or regression.
pub fn initial_perfusion(scene: &Scene, sites: &mut [Site]) -> Result<(), FlowError> {
    if scene.vasculature.is_none() {
        return Ok(());
    }
    let grid = Grid::from_scene(scene);
    let sim = SimParams::from_scene(scene);
    solve_flow(scene, &grid, &sim, sites)?.write_perfusion(scene, &sim, &grid, sites);
    Ok(())
}

/// What the steps of one update read.
struct Step<'a> {
    v: &'a Vasculature,
    grid: Grid,
    site_um: f64,
    key: u32,
    dt_min: f64,
    /// VEGF per site (nM).
    vegf: &'a [f32],
    /// VEGF blockade per site (0–1).
    block: Vec<f64>,
}

impl Step<'_> {
    /// The face neighbours of site `i`: (face index, neighbour site).
    fn face_neighbours(&self, i: u32) -> impl Iterator<Item = (usize, u32)> + '_ {
        let c = self.grid.coords(i);
        faces(&self.grid)
            .iter()
            .enumerate()
            .filter_map(move |(f, &o)| self.grid.neighbour(c, o).map(|j| (f, j)))
    }
}

/// A vessel site just formed by a sprout: grown, immature, no flow yet, age 0.
pub const NEW_VESSEL: Site = Site {
    w0: crate::model::site::Kind::Vessel as u32
        | crate::model::site::IMMATURE_BIT
        | crate::model::site::GROWN_BIT,
    w1: 0,
    w2: 0,
    w3: 0,
};

/// A vessel tip whose stalk lies through face `stalk_face`, `steps` steps from its
/// sprouting site.
pub fn tip(stalk_face: usize, steps: u32) -> Site {
    Site {
        w0: crate::model::site::Kind::VesselTip as u32,
        w1: stalk_face as u32 & crate::model::site::STALK_FACE_MASK,
        w2: steps.min(crate::model::site::LOW16),
        w3: 0,
    }
}
