//! The T cells' moves of one tick on the CPU: `moves_per_tick` times `immune_moves`
//! settled by `resolve_in_place`, each with its substep's key
//! (`SimParams::at_substep`), on buffers kept from tick to tick.

use super::immune::{immune_moves, ImmuneInputs};
use super::resolve::resolve_in_place;
use crate::model::drug_params::DrugSet;
use crate::model::params::SimParams;
use crate::model::site::Site;

/// What the moves of a tick work with besides the lattice.
#[derive(Clone, Copy)]
pub struct WalkInputs<'a> {
    /// The tick's parameters (each move takes its substep's key from them).
    pub sim: &'a SimParams,
    pub drugs: &'a DrugSet,
    pub immune: ImmuneInputs<'a>,
    /// Every field (the chemokine among them).
    pub conc: &'a [f32],
}

/// The moves' buffers, reused from tick to tick.
#[derive(Default)]
pub struct TcellWalk {
    wish: Vec<u32>,
}

impl TcellWalk {
    pub fn new() -> TcellWalk {
        TcellWalk::default()
    }

    /// The tick's moves on `sites` (the lattice after the tick's resolve), moving the
    /// exposure counters with their cells. Returns whether a move involved a vessel
    /// site (`resolve_in_place`). Nothing happens without `[immune]`.
    pub fn run(
        &mut self,
        input: &WalkInputs,
        sites: &mut [Site],
        exposure: &mut [u32],
        lineage: &mut [u32],
    ) -> bool {
        let im = input.immune;
        if im.params.enabled == 0 {
            return false;
        }
        self.wish.resize(sites.len(), 0);
        let mut vessels_touched = false;
        for m in 0..im.params.moves_per_tick {
            let sim = input.sim.at_substep(m);
            immune_moves(&sim, im, input.conc, sites, &mut self.wish);
            vessels_touched |=
                resolve_in_place(&sim, input.drugs, sites, &self.wish, exposure, lineage);
        }
        vessels_touched
    }
}
