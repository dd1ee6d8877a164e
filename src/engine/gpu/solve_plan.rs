//! How many red-black sweeps a tick's solve encodes before it asks the device whether
//! that was enough.
//!
//! A field converges in a few dozen sweeps per tick, but `max_sweeps_per_tick` is
//! usually 200. Encoding all of them costs a guard and two indirect dispatches per
//! sweep even when they launch no workgroups: on llvmpipe a 100² lattice ran 16 ticks/s
//! with 200 encoded sweeps per field and 178 ticks/s with 20 (BENCHMARKS.md). So the
//! GPU backend encodes a *chunk* per field — a little more than the field needed last
//! tick — reads the residual slots back once, and encodes further chunks (doubling)
//! only for a field that has neither converged nor reached its cap. The sweeps that
//! run, and so every result, are those of encoding the cap at once: the device's own
//! guard still stops each field at its tolerance; a chunk only bounds how many sweeps
//! are *offered*.

use crate::engine::{solve_stats, SolveStats};
use crate::model::params::MAX_FIELDS;

/// The first chunk when a field's previous solve is unknown.
pub const FIRST_CHUNK_UNKNOWN: u32 = 64;
/// The smallest chunk encoded, and the least a further chunk adds.
pub const MIN_CHUNK: u32 = 16;

/// Sweeps each field needed in its last finished solve (0: not known yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SolvePlan {
    last: [u32; MAX_FIELDS],
}

impl SolvePlan {
    /// Sweeps to encode first for `field` whose cap is `max`: the last count plus half
    /// and `MIN_CHUNK` (the count moves by tens of sweeps from tick to tick), at most
    /// `max`. Generous on purpose: a sweep offered in vain costs three empty
    /// dispatches, a chunk too short a round trip to the device, worth tens of them.
    pub fn first_chunk(&self, field: usize, max: u32) -> u32 {
        let max = max.max(1);
        let wanted = match self.last[field] {
            0 => FIRST_CHUNK_UNKNOWN,
            n => n + n / 2 + MIN_CHUNK,
        };
        wanted.min(max)
    }

    /// The end of the next chunk after `encoded` sweeps: double, at least
    /// `2 × MIN_CHUNK` more, capped at `max`.
    pub fn next_end(encoded: u32, max: u32) -> u32 {
        encoded
            .saturating_mul(2)
            .max(encoded + 2 * MIN_CHUNK)
            .min(max.max(1))
    }

    /// Remembers a finished solve. One stopped by its cap says nothing about what
    /// the next needs (it would offer the cap again, and never probe), so it is
    /// forgotten.
    pub fn record(&mut self, field: usize, stats: SolveStats) {
        self.last[field] = if stats.converged { stats.sweeps } else { 0 };
    }
}

/// The statistics of a field's solve once it is finished — converged within the
/// `encoded` sweeps, or all `max` sweeps encoded — or `None` when it needs more.
/// `residual_bits` holds the field's slots from sweep 0 on.
pub fn finished(
    residual_bits: &[u32],
    encoded: u32,
    max: u32,
    tolerance: f32,
) -> Option<SolveStats> {
    let stats = solve_stats(&residual_bits[..encoded as usize], tolerance);
    (stats.converged || encoded >= max.max(1)).then_some(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_chunk_follows_the_last_count_within_bounds() {
        let solved = |sweeps, converged| SolveStats {
            sweeps,
            residual: 0.0,
            converged,
        };
        let mut plan = SolvePlan::default();
        assert_eq!(plan.first_chunk(0, 200), FIRST_CHUNK_UNKNOWN);
        assert_eq!(plan.first_chunk(0, 10), 10);
        plan.record(0, solved(40, true));
        assert_eq!(plan.first_chunk(0, 200), 40 + 20 + MIN_CHUNK);
        assert_eq!(plan.first_chunk(0, 50), 50);
        // A solve stopped by its cap is forgotten: the next one probes again.
        plan.record(0, solved(50, false));
        assert_eq!(plan.first_chunk(0, 200), FIRST_CHUNK_UNKNOWN);
        plan.record(1, solved(1, true));
        assert_eq!(plan.first_chunk(1, 200), 1 + MIN_CHUNK);
        assert_eq!(plan.first_chunk(1, 3), 3);
        // Other fields are untouched.
        assert_eq!(plan.first_chunk(2, 200), FIRST_CHUNK_UNKNOWN);
    }

    #[test]
    fn next_chunk_doubles_up_to_the_cap() {
        assert_eq!(SolvePlan::next_end(64, 200), 128);
        assert_eq!(SolvePlan::next_end(128, 200), 200);
        assert_eq!(SolvePlan::next_end(17, 200), 17 + 2 * MIN_CHUNK);
        assert_eq!(SolvePlan::next_end(199, 200), 200);
    }

    #[test]
    fn finished_only_when_converged_or_capped() {
        let tol = 1e-3;
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
        // Converged at sweep 3 of 4 encoded.
        let r = bits(&[1.0, 0.1, 5e-4, 0.0, 0.0]);
        let s = finished(&r, 4, 200, tol).unwrap();
        assert_eq!((s.sweeps, s.converged), (3, true));
        // Not converged within 2 encoded: needs more; the zero slot after them is
        // not a sweep that ran.
        let r = bits(&[1.0, 0.1, 0.0]);
        assert_eq!(finished(&r, 2, 200, tol), None);
        // Not converged but capped: finished, not converged.
        let s = finished(&r, 2, 2, tol).unwrap();
        assert_eq!((s.sweeps, s.converged), (2, false));
    }
}
