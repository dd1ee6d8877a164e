//! What a site asks of its neighbourhood each tick: a wish is an action and the
//! neighbour it is aimed at. The cells pass writes one wish per site; `resolve`
//! settles all of them the same deterministic way (README of the tick in
//! ARCHITECTURE.md, "resolve"):
//!
//! 1. A wish is a claim on its target when the target suits the action: empty for
//!    divide, move, sprout and recruit; occupied for swap and kill (only in scenes whose
//!    `SimParams::occupied_actions` is set: otherwise resolve does not look for claims
//!    on occupied sites). Other wishes are ignored.
//! 2. Each target goes to its best claimant: the highest `PRIORITY` draw, ties to the
//!    lower site index.
//! 3. A winning claim is carried out unless its actor is itself the target of a claim
//!    (a cell that is being swapped with or killed does not act this tick); a target
//!    whose winner is pre-empted this way is left as it is.
//!
//! So every site takes part in at most one event, as actor or as target, and nothing
//! is duplicated or lost: a divide or sprout adds one occupant, a kill removes one,
//! a move or swap conserves them.
//!
//! The wish word (one u32 per site; 0 = no wish): bits 0–4 the target's neighbour
//! slot in the 3×3×3 block (`slot_of`), bits 5–7 the `Action`.

/// What a wish asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Action {
    /// A daughter fills the empty target; the actor starts a new cycle.
    Divide = 1,
    /// The actor moves into the empty target and its site becomes empty.
    Move = 2,
    /// The actor and the occupant of the target exchange sites.
    Swap = 3,
    /// The occupant of the target dies (its site becomes empty); the actor stays.
    Kill = 4,
    /// The actor advances into the empty target and leaves a vessel segment behind
    /// (a sprouting vessel tip).
    Sprout = 5,
    /// A fresh cell of the actor's recruit (a T cell, for a perfused vessel) fills the
    /// empty target; the actor stays as it is.
    Recruit = 6,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Divide,
        Action::Move,
        Action::Swap,
        Action::Kill,
        Action::Sprout,
        Action::Recruit,
    ];

    pub fn from_code(code: u32) -> Option<Action> {
        Action::ALL.into_iter().find(|a| *a as u32 == code)
    }

    /// Whether the action needs an empty target (else an occupied one).
    pub fn needs_empty_target(self) -> bool {
        matches!(
            self,
            Action::Divide | Action::Move | Action::Sprout | Action::Recruit
        )
    }

    /// The name in shaders (`ACTION_<NAME>`) and docs.
    pub fn name(self) -> &'static str {
        match self {
            Action::Divide => "divide",
            Action::Move => "move",
            Action::Swap => "swap",
            Action::Kill => "kill",
            Action::Sprout => "sprout",
            Action::Recruit => "recruit",
        }
    }
}

pub const WISH_SLOT_MASK: u32 = 0x1f;
pub const WISH_ACTION_SHIFT: u32 = 5;
/// Slots of the 3×3×3 block around a site (its own, 13, included).
pub const NEIGHBOUR_SLOTS: u32 = 27;

/// The slot of offset `d` (each component in -1..=1): dx fastest, then dy, then dz,
/// the canonical order of `Grid::cell_offsets`. `offset_of` in shaders/shared/lattice.wgsl
/// is its inverse; the opposite offset has slot `NEIGHBOUR_SLOTS - 1 - slot`.
pub fn slot_of(d: [i32; 3]) -> u32 {
    ((d[0] + 1) + 3 * (d[1] + 1) + 9 * (d[2] + 1)) as u32
}

pub fn offset_of(slot: u32) -> [i32; 3] {
    let s = slot as i32;
    [s % 3 - 1, (s / 3) % 3 - 1, s / 9 - 1]
}

/// The wish word for `action` aimed at the neighbour at offset `d`.
pub fn wish(action: Action, d: [i32; 3]) -> u32 {
    (action as u32) << WISH_ACTION_SHIFT | slot_of(d)
}

/// The action and neighbour offset of a wish word; `None` for no wish (or a word no
/// kernel writes).
pub fn decode(wish: u32) -> Option<(Action, [i32; 3])> {
    let action = Action::from_code(wish >> WISH_ACTION_SHIFT)?;
    let slot = wish & WISH_SLOT_MASK;
    (slot < NEIGHBOUR_SLOTS).then(|| (action, offset_of(slot)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_round_trip_and_mirror() {
        for slot in 0..NEIGHBOUR_SLOTS {
            let d = offset_of(slot);
            assert_eq!(slot_of(d), slot);
            assert_eq!(slot_of(d.map(|c| -c)), NEIGHBOUR_SLOTS - 1 - slot);
        }
        assert_eq!(offset_of(0), [-1, -1, -1]);
        assert_eq!(offset_of(14), [1, 0, 0]);
    }

    #[test]
    fn wishes_round_trip() {
        for a in Action::ALL {
            let w = wish(a, [0, -1, 1]);
            assert_ne!(w, 0);
            assert_eq!(decode(w), Some((a, [0, -1, 1])));
        }
        assert_eq!(decode(0), None);
        assert_eq!(decode(7 << WISH_ACTION_SHIFT), None);
        assert_eq!(decode(1 << WISH_ACTION_SHIFT | 27), None);
    }
}
