//! CPU twin of shaders/resolve.wgsl: settles every wish (divide, move, swap, kill,
//! sprout, recruit) by the rules of `model::action`.
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
use super::shared::in_pool;
use crate::model::action::{self, Action};
use crate::model::drug_params::DrugSet;
use crate::model::immune::{tcell_daughter, tcell_divided};
use crate::model::lattice::Grid;
use crate::model::lineage::{word, EVENTS_AT, EVENT_CAP};
use crate::model::params::{cycle_len, SimParams};
use crate::model::rng::{draw, stream};
use crate::model::site::{Kind, Site, HALF_SHIFT, HIGH16};
use rayon::prelude::*;

/// One claim: the target, the actor's priority, the actor, the action.
#[derive(Debug, Clone, Copy)]
pub(super) struct Claim {
    target: u32,
    priority: u32,
    actor: u32,
    action: Action,
}

impl Claim {
    /// The order of claims as one number: by target, then by priority from the
    /// highest, then by actor (unique per claim).
    pub(super) fn rank(&self) -> u128 {
        (self.target as u128) << 64 | ((!self.priority) as u128) << 32 | self.actor as u128
    }
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
    if in_pool() {
        dst.par_chunks_mut(CHUNK)
            .zip(src.par_chunks(CHUNK))
            .for_each(|(d, s)| d.copy_from_slice(s));
    } else {
        dst.copy_from_slice(src);
    }
    resolve_in_place(sim, drugs, dst, wish, exposure, lineage);
}

/// `resolve` on the lattice in place: the same result without the copy. Carrying out
/// a claim reads only its actor and its target, and no other claim carried out
/// writes either: targets are distinct, and an actor that is a target is not carried
/// out — so every read sees the lattice before the wishes, as from a separate source.
/// Returns whether a claim carried out involved a vessel site (made, moved or
/// removed one); the cells pass never does.
pub fn resolve_in_place(
    sim: &SimParams,
    drugs: &DrugSet,
    sites: &mut [Site],
    wish: &[u32],
    exposure: &mut [u32],
    lineage: &mut [u32],
) -> bool {
    let grid = grid_of(sim);
    let src: &[Site] = sites;
    // The claims in any order: the sort below orders them totally (actors differ).
    let scan = |c: usize, chunk: &[u32], out: &mut Vec<Claim>| {
        scan_wishes(sim, &grid, src, c * CHUNK, chunk, out)
    };
    let mut claims: Vec<Claim> = if in_pool() {
        wish.par_chunks(CHUNK)
            .enumerate()
            .fold(Vec::new, |mut out, (c, chunk)| {
                scan(c, chunk, &mut out);
                out
            })
            .flatten_iter()
            .collect()
    } else {
        let mut out = Vec::new();
        for (c, chunk) in wish.chunks(CHUNK).enumerate() {
            scan(c, chunk, &mut out);
        }
        out
    };
    if in_pool() {
        claims.par_sort_unstable_by_key(Claim::rank);
    } else {
        claims.sort_unstable_by_key(Claim::rank);
    }
    let mut targets = vec![0u64; (sim.n_sites as usize).div_ceil(64)];
    settle(
        sim,
        drugs,
        sites,
        &mut claims,
        &mut targets,
        exposure,
        lineage,
    )
}

/// Settles `claims`, sorted by `Claim::rank`, on `sites` (the lattice they were
/// made on): each target goes to its first claim, carried out unless its actor is
/// itself a target. `targets` holds a bit per site, all clear, and is left so.
/// Returns what `resolve_in_place` returns.
pub(super) fn settle(
    sim: &SimParams,
    drugs: &DrugSet,
    sites: &mut [Site],
    claims: &mut Vec<Claim>,
    targets: &mut [u64],
    exposure: &mut [u32],
    lineage: &mut [u32],
) -> bool {
    claims.dedup_by_key(|c| c.target);
    // A site is claimed when it is one of the winners' targets (a bit per site).
    let n = sim.n_sites as usize;
    for c in claims.iter() {
        targets[c.target as usize / 64] |= 1 << (c.target % 64);
    }
    let claimed = |site: u32| targets[site as usize / 64] >> (site % 64) & 1 == 1;
    let mut vessels_touched = false;
    for c in claims.iter().filter(|c| !claimed(c.actor)) {
        let (t, q) = (c.target as usize, c.actor as usize);
        let p = sites[q];
        vessels_touched |= p.kind() == Kind::Vessel
            || sites[t].kind() == Kind::Vessel
            || c.action == Action::Sprout;
        match c.action {
            Action::Divide => {
                if p.kind() == Kind::Tumour {
                    sites[q].w1 = new_cycle(sim, drugs, c.actor, p.w3);
                } else if p.kind() == Kind::TCell {
                    sites[q] = tcell_divided(p);
                }
                sites[t] = daughter(sim, drugs, c.target, p, lineage);
                carry_exposure(exposure, n, drugs, q, t);
            }
            Action::Move => {
                sites[t] = p;
                sites[q] = Site::EMPTY;
                carry_exposure(exposure, n, drugs, q, t);
            }
            Action::Swap => {
                sites.swap(q, t);
                for d in 0..drugs.n_drugs as usize {
                    exposure.swap(d * n + q, d * n + t);
                }
            }
            Action::Kill => sites[t] = Site::EMPTY,
            Action::Recruit => sites[t] = Site::TCELL,
            Action::Sprout => {
                sites[t] = p;
                // The tip leaves an unperfused vessel segment behind.
                sites[q] = Site {
                    w0: Kind::Vessel as u32,
                    ..Site::EMPTY
                };
                carry_exposure(exposure, n, drugs, q, t);
            }
        }
    }
    for c in claims.iter() {
        targets[c.target as usize / 64] = 0;
    }
    vessels_touched
}

/// Wishes tested together for any that is not 0.
const WISH_BLOCK: usize = 16;

/// Appends the claims of the wishes `chunk` of the sites from `first`: a block of
/// wishes at a time, since most are 0 and a block of zeros is skipped with one test.
fn scan_wishes(
    sim: &SimParams,
    grid: &Grid,
    src: &[Site],
    first: usize,
    chunk: &[u32],
    out: &mut Vec<Claim>,
) {
    for (b, block) in chunk.chunks(WISH_BLOCK).enumerate() {
        if block.iter().fold(0, |any, &w| any | w) == 0 {
            continue;
        }
        for (k, &w) in block.iter().enumerate() {
            if w != 0 {
                let actor = (first + b * WISH_BLOCK + k) as u32;
                out.extend(claim(sim, grid, src, actor, w));
            }
        }
    }
}

/// The claim that wish `w` of site `actor` makes, if it is one.
pub(super) fn claim(
    sim: &SimParams,
    grid: &Grid,
    src: &[Site],
    actor: u32,
    w: u32,
) -> Option<Claim> {
    let (action, d) = action::decode(w)?;
    if src[actor as usize].kind() == Kind::Empty || !grid.is_cell_offset(d) {
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
/// may mutate (a mutant is listed for clone_assign) and starts a fresh cycle; a T
/// cell's shares its parent's age and kills (`immune::tcell_daughter`); other kinds copy.
fn daughter(sim: &SimParams, drugs: &DrugSet, site: u32, p: Site, lineage: &mut [u32]) -> Site {
    if p.kind() == Kind::TCell {
        return tcell_daughter(p);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lineage::Lineage;
    use crate::scene::Scene;
    use std::path::Path;

    /// Settles one wish of the site at (2, 2) of a 5×5 lattice holding `actor` there:
    /// the lattice after it, and whether a vessel site was involved.
    fn settle(actor: Site, action: Action) -> (Vec<Site>, bool) {
        let scene =
            Scene::parse("seed = 1\n[lattice]\nnx = 5\nny = 5\n", Path::new("t.toml")).unwrap();
        let sim = SimParams::from_scene(&scene).at_tick(1, 2);
        let drugs = DrugSet::default();
        let mut sites = vec![Site::EMPTY; 25];
        sites[12] = actor;
        let mut wish = vec![0u32; 25];
        wish[12] = action::wish(action, [1, 0, 0]);
        let mut lineage = Lineage::default().to_words();
        let touched = resolve_in_place(&sim, &drugs, &mut sites, &wish, &mut [], &mut lineage);
        (sites, touched)
    }

    #[test]
    fn resolve_says_when_a_vessel_site_was_made_or_moved() {
        let (sites, touched) = settle(Site::tumour(0, 4, 4), Action::Divide);
        assert_eq!(sites[13].kind(), Kind::Tumour);
        assert!(!touched, "a tumour cell dividing into an empty site");
        let (sites, touched) = settle(Site::vessel(1.0), Action::Move);
        assert_eq!(
            (sites[12].kind(), sites[13].kind()),
            (Kind::Empty, Kind::Vessel)
        );
        assert!(touched, "a vessel moved");
        let (sites, touched) = settle(Site::vessel(1.0), Action::Sprout);
        assert_eq!(
            (sites[12].kind(), sites[13].kind()),
            (Kind::Vessel, Kind::Vessel)
        );
        assert!(touched, "a sprout");
    }
}
