//! The T-cell rules (`model::immune` describes them): a perfused vessel's recruitment
//! and a T cell's tick, both parts of the cells pass, and `immune_moves`, the wishes
//! of one of the tick's moves (a pass of its own, settled by resolve).

use super::cells::{grid_of, CellInputs, CHUNK};
use super::neighbours::{nth_set_bit, Neighbourhood};
use super::shared::min_len;
use crate::model::action::{self, slot_of, Action};
use crate::model::drug_params::{TRAIT_ANTIGEN_LOSS, TRAIT_PDL1};
use crate::model::immune::{
    kill_multiplier, ImmuneParams, KILL_SHIFT, NO_FIELD, ONE16, TABLE_BLOCK, TABLE_KILL,
    TABLE_PDL1, TABLE_RECRUIT, TABLE_SUPPRESS,
};
use crate::model::params::SimParams;
use crate::model::pd::{pd_index, PD_TABLE_LEN};
use crate::model::rng::{draw, stream};
use crate::model::site::{
    Kind, Site, BYTE, DETACHED_BIT, DIVISIONS_SHIFT, ENGAGED_BIT, EXHAUSTED_BIT, HIGH16,
    KILLS_SHIFT, LOW16, TARGET_SLOT_SHIFT,
};
use rayon::prelude::*;

/// The immune inputs of the cells pass and of `immune_moves`.
#[derive(Clone, Copy)]
pub struct ImmuneInputs<'a> {
    pub params: &'a ImmuneParams,
    /// `model::immune::immune_tables`.
    pub tables: &'a [u32],
}

impl ImmuneInputs<'static> {
    /// No immune system: no table is read.
    pub const DISABLED: ImmuneInputs<'static> = ImmuneInputs {
        params: &ImmuneParams::DISABLED,
        tables: &[],
    };
}

impl ImmuneInputs<'_> {
    fn table(&self, t: usize, level: f32) -> u32 {
        self.tables[t * PD_TABLE_LEN + pd_index(level)]
    }

    /// A factor's 16-bit effect at site `i` (0 when the scene has no such factor).
    fn factor(&self, t: usize, field: u32, conc: &[f32], n: usize, i: usize) -> u32 {
        if field == NO_FIELD {
            0
        } else {
            self.table(t, conc[field as usize * n + i])
        }
    }
}

/// A probability in 16-bit fixed point as a 32-bit threshold (65535 · 65537 = 2³² − 1).
fn threshold16(p: u32) -> u32 {
    p * 0x1_0001
}

/// The wish of a perfused vessel site `i` (perfusion `perfusion16` after compression,
/// `free` free neighbours): a T cell recruited into a free neighbour, or none.
pub(super) fn recruit(
    input: &CellInputs,
    hood: &Neighbourhood,
    i: u32,
    perfusion16: u32,
    free: u8,
) -> u32 {
    let im = input.immune;
    if im.params.enabled == 0 || free == 0 || perfusion16 == 0 {
        return 0;
    }
    let n = input.sim.n_sites as usize;
    let chemokine = input.conc[im.params.chemokine_field as usize * n + i as usize];
    let threshold = (im.table(TABLE_RECRUIT, chemokine) >> 16) * perfusion16;
    if draw(input.sim.tick_key, i, stream::RECRUIT) >= threshold {
        return 0;
    }
    let d = pick(input.sim, hood, input.src, i, stream::TARGET, |s| {
        s.kind() == Kind::Empty
    });
    action::wish(Action::Recruit, d)
}

/// One of the set neighbours of `i` under `test`, at random by `stream` (at least one
/// must pass).
fn pick(
    sim: &SimParams,
    hood: &Neighbourhood,
    src: &[Site],
    i: u32,
    stream: u32,
    test: impl Fn(Site) -> bool,
) -> [i32; 3] {
    let mask = hood.mask(src, i, test);
    let k = draw(sim.tick_key, i, stream) % mask.count_ones();
    hood.offsets[nth_set_bit(mask, k) as usize]
}

/// The 32-bit kill threshold of a contact of the T cell at `i` with tumour cell `t`.
fn kill_threshold(input: &CellInputs, i: usize, t: usize) -> u32 {
    let (im, p) = (input.immune, input.immune.params);
    let n = input.sim.n_sites as usize;
    let traits = input.src[t].w3;
    let recognition = p.recognition[(traits & TRAIT_ANTIGEN_LOSS != 0) as usize];
    let constitutive = if traits & TRAIT_PDL1 != 0 {
        p.pdl1_constitutive
    } else {
        0
    };
    let induced = im.factor(TABLE_PDL1, p.ifng_field, input.conc, n, t);
    let blocked = im.factor(TABLE_BLOCK, p.checkpoint_field, input.conc, n, i);
    let suppressed = im.factor(TABLE_SUPPRESS, p.suppressor_field, input.conc, n, i);
    let m = kill_multiplier(
        p,
        recognition,
        constitutive.max(induced),
        blocked,
        suppressed,
    );
    im.tables[TABLE_KILL * PD_TABLE_LEN + (m >> KILL_SHIFT) as usize]
}

/// One T cell's tick in the cells pass: its next state and wish.
pub(super) fn tcell(input: &CellInputs, hood: &Neighbourhood, i: u32, free: u8) -> (Site, u32) {
    let (sim, src) = (input.sim, input.src);
    let p = input.immune.params;
    let s = src[i as usize];
    if p.enabled == 0 {
        // (A scene without [immune] has no T cells; none is ever made for it.)
        return (s, 0);
    }
    let age = (s.w1 & LOW16) + 1;
    if age >= p.lifespan_ticks {
        return (Site::EMPTY, 0);
    }
    let mut next = Site {
        w0: s.w0 & !DETACHED_BIT,
        w1: (s.w1 & HIGH16) | age,
        ..s
    };
    if s.w0 & ENGAGED_BIT != 0 {
        let left = (s.w2 & LOW16).saturating_sub(1);
        if left > 0 {
            next.w2 = (s.w2 & HIGH16) | left;
            return (next, 0);
        }
        return end_engagement(input, i, next);
    }
    if next.w1 >> DIVISIONS_SHIFT > 0 && free > 0 {
        let d = pick(sim, hood, src, i, stream::TARGET, |n| {
            n.kind() == Kind::Empty
        });
        return (next, action::wish(Action::Divide, d));
    }
    let tumour = hood.mask(src, i, |n| n.kind() == Kind::Tumour);
    if s.w0 & EXHAUSTED_BIT != 0 || tumour == 0 {
        return (next, 0);
    }
    let k = draw(sim.tick_key, i, stream::CONTACT) % tumour.count_ones();
    let d = hood.offsets[nth_set_bit(tumour, k) as usize];
    let grid = &hood.grid;
    let t = grid
        .neighbour(grid.coords(i), d)
        .expect("a neighbour in the mask") as usize;
    if draw(sim.tick_key, i, stream::KILL) < kill_threshold(input, i as usize, t) {
        next.w0 |= ENGAGED_BIT;
        next.w2 = p.kill_ticks.min(LOW16) | slot_of(d) << TARGET_SLOT_SHIFT;
    } else {
        next.w0 |= DETACHED_BIT;
    }
    (next, 0)
}

/// The engagement of the T cell at `i` (state `next` so far) ends: its target dies if
/// it is still a tumour cell, and the kill is counted, with exhaustion at the cap and
/// divisions pending unless suppressed.
fn end_engagement(input: &CellInputs, i: u32, mut next: Site) -> (Site, u32) {
    let (sim, p) = (input.sim, input.immune.params);
    let d = action::offset_of(next.w2 >> TARGET_SLOT_SHIFT & 0x1f);
    next.w0 &= !ENGAGED_BIT;
    next.w2 = 0;
    let grid = grid_of(sim);
    let target = grid.neighbour(grid.coords(i), d);
    if !target.is_some_and(|t| input.src[t as usize].kind() == Kind::Tumour) {
        return (next, 0);
    }
    let kills = ((next.w1 >> KILLS_SHIFT & BYTE) + 1).min(BYTE);
    if kills >= p.max_kills {
        next.w0 |= EXHAUSTED_BIT;
    }
    let n = sim.n_sites as usize;
    let suppressed = input.immune.factor(
        TABLE_SUPPRESS,
        p.suppressor_field,
        input.conc,
        n,
        i as usize,
    );
    let mut pending = next.w1 >> DIVISIONS_SHIFT;
    if draw(sim.tick_key, i, stream::EXPAND) < threshold16(ONE16 - suppressed) {
        pending = (pending + p.divisions_per_kill).min(BYTE);
    }
    next.w1 = (next.w1 & LOW16) | kills << KILLS_SHIFT | pending << DIVISIONS_SHIFT;
    (next, action::wish(Action::Kill, d))
}

/// The wishes of one of the tick's T-cell moves on `src` (`sim` carries the move's key,
/// `rng::substep_key`): every T cell that is not engaged, and not next to a tumour cell
/// it could contact, wishes to move into a free neighbour — with probability
/// `chemotaxis_bias` the one of highest chemokine (ties at random), else any. Every
/// other site wishes nothing. The state is unchanged: only resolve moves the cells.
pub fn immune_moves(
    sim: &SimParams,
    immune: ImmuneInputs,
    conc: &[f32],
    src: &[Site],
    wish: &mut [u32],
) {
    let hood = Neighbourhood::new(grid_of(sim));
    wish.par_chunks_mut(CHUNK)
        .enumerate()
        .with_min_len(min_len(1))
        .for_each(|(chunk, wish)| {
            let base = chunk * CHUNK;
            for (k, w) in wish.iter_mut().enumerate() {
                let i = (base + k) as u32;
                *w = if src[i as usize].kind() == Kind::TCell {
                    tcell_move(sim, immune.params, &hood, conc, src, i)
                } else {
                    0
                };
            }
        });
}

/// The wish of the T cell at `i` in one move (`immune_moves`).
pub(super) fn tcell_move(
    sim: &SimParams,
    p: &ImmuneParams,
    hood: &Neighbourhood,
    conc: &[f32],
    src: &[Site],
    i: u32,
) -> u32 {
    let s = src[i as usize];
    if s.w0 & ENGAGED_BIT != 0 {
        return 0;
    }
    let free_to_contact = s.w0 & (DETACHED_BIT | EXHAUSTED_BIT) == 0;
    if free_to_contact && hood.mask(src, i, |n| n.kind() == Kind::Tumour) != 0 {
        return 0;
    }
    let free = hood.mask(src, i, |n| n.kind() == Kind::Empty);
    if free == 0 {
        return 0;
    }
    let pick = draw(sim.tick_key, i, stream::WALK_PICK);
    let slot = if draw(sim.tick_key, i, stream::WALK_BIAS) < p.walk_bias_threshold {
        let n = sim.n_sites as usize;
        let grid = &hood.grid;
        let c = grid.coords(i);
        let level = |k: u32| {
            let nb = grid
                .neighbour(c, hood.offsets[k as usize])
                .expect("in the mask");
            conc[p.chemokine_field as usize * n + nb as usize]
        };
        // The free neighbours of the highest level, then one of them at random.
        let (mut best, mut ties) = (f32::NEG_INFINITY, 0u32);
        let mut bits = free;
        while bits != 0 {
            let k = bits.trailing_zeros();
            bits &= bits - 1;
            let c = level(k);
            if c > best {
                (best, ties) = (c, 1 << k);
            } else if c == best {
                ties |= 1 << k;
            }
        }
        // (No ties only when every level is NaN, which ends the run after this tick.)
        let ties = if ties == 0 { free } else { ties };
        nth_set_bit(ties, pick % ties.count_ones())
    } else {
        nth_set_bit(free, pick % free.count_ones())
    };
    action::wish(Action::Move, hood.offsets[slot as usize])
}
