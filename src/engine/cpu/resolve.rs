//! CPU twin of shaders/resolve.wgsl: settles every wish (divide, move, swap, kill,
//! sprout) by the rules of `model::action`.
//!
//! The result is that of the shader, which gathers: every site looks for the
//! neighbours claiming it and every actor recomputes its target's winner. Here the
//! wishes are scattered instead (a linear scan), because on the CPU that costs a
//! pass over the wish array rather than a neighbourhood per site: a wish is a claim
//! when it aims inside the lattice and the cell neighbourhood, comes from an occupied
//! site, and its target suits the action; each target goes to the highest `PRIORITY`
//! draw, ties to the lower actor index; a winning claim is carried out unless its
//! actor is itself a target of a claim.

use super::cells::{grid_of, CHUNK};
use super::shared::{in_pool, min_len};
use crate::model::action::{self, Action};
use crate::model::drug_params::DrugSet;
use crate::model::lattice::Grid;
use crate::model::lineage::{word, EVENTS_AT, EVENT_CAP};
use crate::model::params::{cycle_len, SimParams};
use crate::model::rng::{draw, stream};
use crate::model::site::{Kind, Site, HALF_SHIFT, HIGH16};
use rayon::prelude::*;

/// One claim: the target, the actor's priority, the actor, the action.
#[derive(Debug, Clone, Copy)]
struct Claim {
    target: u32,
    priority: u32,
    actor: u32,
    action: Action,
}

/// Settles the wishes; writes the lattice after them into `dst`, moves the exposure
/// counters with their cells, and appends mutant daughters, by ascending site, to the
/// event list of the lineage buffer (`model::lineage`).
pub fn resolve(
    sim: &SimParams,
    drugs: &DrugSet,
    src: &[Site],
    wish: &[u32],
    dst: &mut [Site],
    exposure: &mut [u32],
    lineage: &mut [u32],
) {
    let grid = grid_of(sim);
    let offsets = grid.cell_offsets();
    if in_pool() {
        dst.par_chunks_mut(CHUNK)
            .zip(src.par_chunks(CHUNK))
            .for_each(|(d, s)| d.copy_from_slice(s));
    } else {
        dst.copy_from_slice(src);
    }
    // Chunks scanned sequentially: most wishes are 0, and a plain loop skips them fast.
    let mut claims: Vec<Claim> = wish
        .par_chunks(CHUNK)
        .enumerate()
        .with_min_len(min_len(1))
        .flat_map_iter(|(c, chunk)| {
            let (grid, offsets) = (&grid, &offsets);
            chunk
                .iter()
                .enumerate()
                .filter(|(_, &w)| w != 0)
                .filter_map(move |(k, &w)| {
                    claim(sim, grid, offsets, src, (c * CHUNK + k) as u32, w)
                })
        })
        .collect();
    let order = |a: &Claim, b: &Claim| {
        (a.target.cmp(&b.target))
            .then(b.priority.cmp(&a.priority))
            .then(a.actor.cmp(&b.actor))
    };
    if in_pool() {
        claims.par_sort_unstable_by(order);
    } else {
        claims.sort_unstable_by(order);
    }
    claims.dedup_by_key(|c| c.target);
    // A site is claimed when it is one of the winners' targets (a bit per site).
    let n = sim.n_sites as usize;
    let mut targets = vec![0u64; n.div_ceil(64)];
    for c in &claims {
        targets[c.target as usize / 64] |= 1 << (c.target % 64);
    }
    let claimed = |site: u32| targets[site as usize / 64] >> (site % 64) & 1 == 1;
    for c in claims.iter().filter(|c| !claimed(c.actor)) {
        let (t, q) = (c.target as usize, c.actor as usize);
        let p = src[q];
        match c.action {
            Action::Divide => {
                if p.kind() == Kind::Tumour {
                    dst[q].w1 = new_cycle(sim, drugs, c.actor, p.w3);
                }
                dst[t] = daughter(sim, drugs, c.target, p, lineage);
                carry_exposure(exposure, n, drugs, q, t);
            }
            Action::Move => {
                dst[t] = p;
                dst[q] = Site::EMPTY;
                carry_exposure(exposure, n, drugs, q, t);
            }
            Action::Swap => {
                dst[t] = p;
                dst[q] = src[t];
                for d in 0..drugs.n_drugs as usize {
                    exposure.swap(d * n + q, d * n + t);
                }
            }
            Action::Kill => dst[t] = Site::EMPTY,
            Action::Sprout => {
                dst[t] = p;
                // The tip leaves an unperfused vessel segment behind.
                dst[q] = Site {
                    w0: Kind::Vessel as u32,
                    ..Site::EMPTY
                };
                carry_exposure(exposure, n, drugs, q, t);
            }
        }
    }
}

/// The claim that wish `w` of site `actor` makes, if it is one.
fn claim(
    sim: &SimParams,
    grid: &Grid,
    offsets: &[[i32; 3]],
    src: &[Site],
    actor: u32,
    w: u32,
) -> Option<Claim> {
    let (action, d) = action::decode(w)?;
    if src[actor as usize].kind() == Kind::Empty || !offsets.contains(&d) {
        return None;
    }
    let target = grid.neighbour(grid.coords(actor), d)?;
    let empty = src[target as usize].kind() == Kind::Empty;
    if !empty && sim.occupied_actions == 0 {
        return None;
    }
    (action.needs_empty_target() == empty).then(|| Claim {
        target,
        priority: draw(sim.tick_key, actor, stream::PRIORITY),
        actor,
        action,
    })
}

/// A daughter of cell `p`, born at `site`: a tumour cell's inherits clone and traits,
/// may mutate (a mutant is listed for clone_assign) and starts a fresh cycle; other
/// kinds copy.
fn daughter(sim: &SimParams, drugs: &DrugSet, site: u32, p: Site, lineage: &mut [u32]) -> Site {
    if p.kind() != Kind::Tumour {
        return p;
    }
    let traits = drugs.mutate(sim.tick_key, site, p.w3);
    if traits != p.w3 {
        let e = lineage[word::EVENTS];
        if e < EVENT_CAP {
            lineage[EVENTS_AT + e as usize] = site;
        }
        lineage[word::EVENTS] = e.wrapping_add(1);
    }
    Site {
        w0: Kind::Tumour as u32 | (p.w0 & HIGH16),
        w1: new_cycle(sim, drugs, site, traits),
        w2: 0,
        w3: traits,
    }
}

fn carry_exposure(exposure: &mut [u32], n: usize, drugs: &DrugSet, from: usize, to: usize) {
    for d in 0..drugs.n_drugs as usize {
        exposure[d * n + to] = exposure[d * n + from];
    }
}

/// A fresh cycle (progress 0) whose length suits the cell's traits.
fn new_cycle(sim: &SimParams, drugs: &DrugSet, site: u32, traits: u32) -> u32 {
    drugs.scale_cycle(cycle_len(sim, site), traits) << HALF_SHIFT
}
