//! Tip migration up the VEGF gradient (a discrete Anderson–Chaplain 1998 walk on the
//! faces), the stalk left behind, and anastomosis.

use super::{opposite, tip, Step, UpdateEvents, NEW_VESSEL};
use crate::model::rng::{self, stream};
use crate::model::site::{Kind, Site, LOW16, STALK_FACE_MASK};

/// Steps a tip makes before it may join another vessel, and during which it avoids
/// sites next to one: a new sprout does not fuse back into the vessel it left.
pub const STEPS_BEFORE_ANASTOMOSIS: u32 = 3;

/// Whether `kind` is part of the vascular tree a tip can join.
fn joins(kind: Kind) -> bool {
    matches!(kind, Kind::Vessel | Kind::VesselTip)
}

/// Moves every tip (in site order at the start of the pass): retracts tips that lost
/// their stalk or their VEGF signal (blockade), joins tips that meet a vessel, and
/// otherwise steps each up the gradient.
pub fn advance(step: &Step, sites: &mut [Site], events: &mut UpdateEvents) {
    let tips: Vec<u32> = (0..sites.len() as u32)
        .filter(|&i| sites[i as usize].kind() == Kind::VesselTip)
        .collect();
    let per_update = step.v.tip_speed_um_per_h * step.dt_min / 60.0 / step.site_um;
    for start in tips {
        let mut at = start;
        if sites[at as usize].kind() != Kind::VesselTip {
            continue; // joined by an earlier tip this pass
        }
        let stalk_face = (sites[at as usize].w1 & STALK_FACE_MASK) as usize;
        let stalk = step.face_neighbours(at).find(|&(f, _)| f == stalk_face);
        let Some((_, stalk_site)) =
            stalk.filter(|&(_, j)| sites[j as usize].kind() == Kind::Vessel)
        else {
            sites[at as usize] = Site::EMPTY;
            events.retracted_tips += 1;
            continue;
        };
        let block = step.block[stalk_site as usize];
        // Tip cells need VEGF: under blockade a tip retracts at its rate × blockade,
        // and its stalk, a dead end, regresses by shear.
        let retract = super::remodel::within(
            step.v.blockade_tip_retraction_per_day * block / 1440.0,
            step.dt_min,
        );
        if rng::draw(step.key, start, stream::TIP_RETRACT) < retract {
            sites[at as usize] = Site::EMPTY;
            events.retracted_tips += 1;
            continue;
        }
        let expected = per_update * (1.0 - block);
        let whole = expected.floor();
        let extra = rng::draw(step.key, start, stream::TIP_STEP) < rng::threshold(expected - whole);
        let n_steps = whole as u32 + extra as u32;
        for m in 0..n_steps {
            match step_once(step, sites, at, m, events) {
                Moved::To(j) => {
                    at = j;
                    events.tip_steps += 1;
                }
                Moved::Joined => {
                    events.anastomoses += 1;
                    break;
                }
                Moved::Blocked => break,
            }
        }
    }
}

enum Moved {
    To(u32),
    Joined,
    Blocked,
}

/// One step of the tip at `at` (its `m`-th this update).
fn step_once(step: &Step, sites: &mut [Site], at: u32, m: u32, events: &mut UpdateEvents) -> Moved {
    let here = sites[at as usize];
    let stalk_face = (here.w1 & STALK_FACE_MASK) as usize;
    let steps = here.w2 & LOW16;
    if steps >= STEPS_BEFORE_ANASTOMOSIS {
        let partner = step
            .face_neighbours(at)
            .find(|&(f, j)| f != stalk_face && joins(sites[j as usize].kind()));
        if let Some((_, j)) = partner {
            sites[at as usize] = NEW_VESSEL;
            if sites[j as usize].kind() == Kind::VesselTip {
                sites[j as usize] = NEW_VESSEL; // tip meets tip: both become vessel
            }
            return Moved::Joined;
        }
    }
    let v_here = step.vegf[at as usize] as f64;
    let straight_on = straight_on_weight(step);
    let mut options: Vec<(usize, u32, f64, u32)> = Vec::with_capacity(6);
    for (f, j) in step.face_neighbours(at) {
        if f == stalk_face {
            continue;
        }
        let Some(push) = push_length(step, sites, j, f) else {
            continue;
        };
        if steps < STEPS_BEFORE_ANASTOMOSIS
            && step
                .face_neighbours(j)
                .any(|(_, k)| k != at && joins(sites[k as usize].kind()))
        {
            continue;
        }
        let rise = (step.vegf[j as usize] as f64 - v_here).max(0.0);
        let mut weight = 1.0 + step.v.chemotaxis_per_nm * if rise.is_finite() { rise } else { 0.0 };
        if f == opposite(stalk_face) {
            weight *= straight_on;
        }
        options.push((f, j, weight, push));
    }
    if options.is_empty() {
        return Moved::Blocked;
    }
    let total: f64 = options.iter().map(|o| o.2).sum();
    let key = rng::mix(step.key.wrapping_add(m.wrapping_mul(0x9e37_79b9)));
    let u = rng::draw(key, at, stream::TIP_PICK) as f64 / 4_294_967_296.0 * total;
    let mut acc = 0.0;
    let mut pick = options[options.len() - 1];
    for o in &options {
        acc += o.2;
        if u < acc {
            pick = *o;
            break;
        }
    }
    let (f, j, _, push) = pick;
    if push > 0 {
        shove(step, sites, j, f, push);
        events.cells_pushed += push;
    }
    sites[j as usize] = tip(opposite(f), steps + 1);
    sites[at as usize] = NEW_VESSEL;
    Moved::To(j)
}

/// Whether a tip may step into site `j` through face `f`, and how many tumour cells it
/// pushes ahead of it: 0 into an empty or necrotic site; into a tumour cell, the
/// length of the straight run of tumour cells from `j` along `f` that ends at a free
/// (empty or necrotic) site within `tip_push_um`; `None` otherwise (a vessel, a tip, a
/// T cell, the lattice's edge, or a run too long).
fn push_length(step: &Step, sites: &[Site], j: u32, f: usize) -> Option<u32> {
    let free = |k: Kind| matches!(k, Kind::Empty | Kind::Necrotic);
    match sites[j as usize].kind() {
        k if free(k) => return Some(0),
        Kind::Tumour => {}
        _ => return None,
    }
    let max = (step.v.tip_push_um / step.site_um).floor() as u32;
    let offset = super::FACES[f];
    let mut at = j;
    for n in 1..=max {
        at = step.grid.neighbour(step.grid.coords(at), offset)?;
        match sites[at as usize].kind() {
            k if free(k) => return Some(n),
            Kind::Tumour => {}
            _ => return None,
        }
    }
    None
}

/// Moves the `push` tumour cells from `j` along face `f` one site on (the last into
/// the free site at the run's end, over any necrotic debris there), emptying `j`.
fn shove(step: &Step, sites: &mut [Site], j: u32, f: usize, push: u32) {
    let offset = super::FACES[f];
    let mut run = vec![j];
    for _ in 0..push {
        let last = *run.last().unwrap();
        run.push(
            step.grid
                .neighbour(step.grid.coords(last), offset)
                .expect("push_length checked the run"),
        );
    }
    for k in (1..run.len()).rev() {
        sites[run[k] as usize] = sites[run[k - 1] as usize];
    }
    sites[j as usize] = Site::EMPTY;
}

/// The weight factor of the step straight on (away from the stalk) that makes a tip
/// on open ground run `tip_persistence_um` on average before it turns: with `n` side
/// faces of weight 1, straight on with probability p = w / (w + n), runs of 1/(1 − p)
/// steps, so w = n (L − 1) for a run of L sites (at least 1 step: w ≥ 0 → 1).
pub(super) fn straight_on_weight(step: &Step) -> f64 {
    let sides = (super::faces(&step.grid).len() - 2) as f64;
    let run_sites = (step.v.tip_persistence_um / step.site_um).max(1.0);
    (sides * (run_sites - 1.0)).max(1.0)
}
