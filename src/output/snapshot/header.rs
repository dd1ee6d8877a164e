//! The snapshot's JSON header: everything besides the per-site arrays that the next
//! tick and the run's outputs depend on. Floats that outputs are computed from are kept
//! as their bits, so a resumed run recomputes them exactly.
//!
//! New state (drug plasma levels, protocol state, a lineage table) is added as new
//! keys with `#[serde(default)]`, so files written before it still read. The census
//! history is the exception: it is stored by counter name (`census_record`) and read
//! by `Snapshot::read` itself, which knows the file's format version.

use crate::engine::therapy::{TherapyHost, TherapyTick};
use crate::engine::{SolveStats, TickReport};
use crate::model::census::Census;
use serde::{Deserialize, Serialize};

/// Names the file type inside the header too, for someone reading it with `head -c`.
pub const FORMAT_NAME: &str = "oncolattice snapshot";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotHeader {
    /// Always "oncolattice snapshot".
    pub format: String,
    /// The container's version (repeated from the file prefix).
    pub format_version: u32,
    /// The oncolattice that wrote the file.
    pub oncolattice_version: String,
    /// Ticks completed: the state is the one at the start of tick `tick`.
    pub tick: u64,
    /// `tick × time.tick_h` (for people; the scene's tick_h is authoritative).
    pub time_h: f64,
    pub seed: u64,
    pub rng: RngState,
    /// Lattice size in sites, x y z.
    pub dims: [u32; 3],
    pub n_sites: u64,
    /// Edge of a site (the export spacing).
    pub site_size_um: f64,
    /// The scene as run, every default filled in: the text of scene.resolved.toml.
    pub scene_toml: String,
    /// The scene file the run was started from, as summary.json names it.
    pub scene_file: String,
    /// The backend that computed the state.
    pub backend: BackendRecord,
    /// The first solve of the oxygen field (tick 0's row).
    pub initial_solve: SolveRecord,
    /// What the run directory holds so far.
    pub run: RunRecord,
    /// Every report row so far (timeseries.csv is computed from these). Stored as
    /// columns by counter name; not deserialised with the rest of the header because
    /// its form depends on the format version (`Snapshot::read` fills it in).
    #[serde(
        skip_deserializing,
        serialize_with = "super::census_record::serialize_history"
    )]
    pub census_history: Vec<ReportRecord>,
    /// Each drug's blood level (µM) for the coming tick, in the scene's drug order.
    #[serde(default)]
    pub plasma_um: Vec<f64>,
    /// Pharmacokinetics and protocol state, when the scene has a therapy.
    #[serde(default)]
    pub therapy: Option<TherapyHost>,
    /// What the therapy's host pass did in each tick so far.
    #[serde(default)]
    pub therapy_log: Vec<TherapyTick>,
}

/// The random number generator has no state beyond the seed: each tick's key is
/// `model::rng::tick_key(seed, tick)`. `next_tick_key` is the key of tick `tick`,
/// stored so a reader can check its own derivation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngState {
    /// "lowbias32 tick key": draw(key(seed, tick), site, stream).
    pub scheme: String,
    pub next_tick_key: u32,
}

pub const RNG_SCHEME: &str = "lowbias32 tick key";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendRecord {
    /// "cpu" or "gpu".
    pub kind: String,
    pub device: String,
    pub detail: String,
    /// How the backend was chosen (summary.json's `backend.note`).
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SolveRecord {
    pub sweeps: u32,
    /// The last sweep's residual as f32 bits.
    pub residual_bits: u32,
    pub converged: bool,
}

impl From<SolveStats> for SolveRecord {
    fn from(s: SolveStats) -> Self {
        SolveRecord {
            sweeps: s.sweeps,
            residual_bits: s.residual.to_bits(),
            converged: s.converged,
        }
    }
}

impl From<SolveRecord> for SolveStats {
    fn from(s: SolveRecord) -> Self {
        SolveStats {
            sweeps: s.sweeps,
            residual: f32::from_bits(s.residual_bits),
            converged: s.converged,
        }
    }
}

/// One report row as the backend delivered it: `Row::from_report` recomputes the CSV row.
/// In the file the census is stored by counter name (`census_record`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRecord {
    pub tick: u64,
    pub census: Census,
    pub solve: SolveRecord,
}

impl From<&TickReport> for ReportRecord {
    fn from(r: &TickReport) -> Self {
        ReportRecord {
            tick: r.tick,
            census: r.census,
            solve: r.solve.into(),
        }
    }
}

impl ReportRecord {
    /// The report. Always `Some` since format 2: a census is decoded by name when the
    /// snapshot is read, so no record holds a census of another layout (format 1's raw
    /// words could); callers written against format 1 still filter on it.
    pub fn to_report(&self) -> Option<TickReport> {
        Some(TickReport {
            tick: self.tick,
            census: self.census,
            solve: self.solve.into(),
        })
    }
}

/// The run directory's bookkeeping at the snapshot's tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub total_ticks: u64,
    pub report_every_ticks: u64,
    /// `None` when frames are off.
    pub frame_every_ticks: Option<u64>,
    /// Snapshot cadence (`run --snapshot-every`); `None`: only the final snapshot.
    pub snapshot_every_ticks: Option<u64>,
    pub snapshot_every_days: Option<f64>,
    /// Tick of the last frame written, if any.
    pub last_frame_tick: Option<u64>,
    /// CRC-32 of every frame written so far, by frame index.
    pub frames_crc32: Vec<u32>,
    /// Snapshots written before this one.
    pub snapshots: Vec<SnapshotRecord>,
    /// Whether the run ends by writing plots/ (`run --no-plots` clears it).
    #[serde(default = "yes")]
    pub plots: bool,
}

fn yes() -> bool {
    true
}

/// A snapshot written earlier in the run: its tick and its trailer CRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    pub tick: u64,
    pub crc32: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_round_trip() {
        let mut c = Census::CLEARED;
        c.counts[0] = 7;
        c.field_sum[1] = 3;
        let r = TickReport {
            tick: 9,
            census: c,
            solve: SolveStats {
                sweeps: 4,
                residual: 1e-3,
                converged: true,
            },
        };
        let back = ReportRecord::from(&r).to_report().unwrap();
        assert_eq!(back, r);
    }
}
