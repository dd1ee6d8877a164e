//! Bytes each kernel moves, counted from what it reads and writes (the model of
//! `oncolattice bench`'s bandwidth column).
//!
//! The model is *cache-naive*: every read of a value counts once per site that reads
//! it, even when a neighbour read the same value just before (so a stencil's
//! neighbour reads count in full; a perfect cache would count each value once). What
//! each kernel counts, per site it updates:
//!
//! - `field_sweep` (one red-black half-sweep, the sites of one colour only): reads
//!   what it needs of the site, its kind and perfusion — the 16-byte record on the
//!   CPU, the 4-byte site code on the GPU (`SiteAccess`) —, its own concentration (4 B) and its
//!   2·dim face neighbours' concentrations (4 B each, 4 in 2D and 6 in 3D, counted
//!   at the lattice edge too); writes its concentration (4 B). The residual atomic
//!   (one per workgroup) is left out.
//! - `cells`: reads the site (16 B), every field's level there (4 B each) and its
//!   exposure counters (4 B per drug); writes the destination site (16 B), its wish
//!   (4 B) and the exposure counters (4 B per drug). Simplification: a dividing cell
//!   also reads its neighbours' sites to pick a target; those reads are left out.
//! - `resolve`: reads the site (16 B) and its wish (4 B); writes the site (16 B),
//!   and on the GPU its site code (4 B).
//!   Simplification: reading the neighbours' wishes for a claim and copying a
//!   parent's exposure into a daughter are left out.
//! - `census`: reads the site (16 B) and its oxygen level (4 B); the atomics into
//!   the census (one set per workgroup) are left out.
//! - `immune_moves` (one T-cell move, scenes with `[immune]` only): an estimate, as
//!   the shader runs it: every site reads its record (16 B) and writes its wish
//!   (4 B), then `resolve` as above. A T cell's neighbourhood and chemokine reads
//!   are left out. The CPU backend visits only the T cells and settles only their
//!   claims, so it moves far fewer bytes than counted: its bandwidth column for this
//!   row is a rate over the lattice, not a bandwidth.
//!
//! A tick of the benchmark's fixed-work solve runs `2 × sweeps` half-sweeps of each
//! field, then cells, resolve and census once, and the T cells' moves.

/// How a backend's field sweep learns a site's kind and perfusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteAccess {
    /// From the 16-byte site record (the CPU backend).
    Record,
    /// From the 4-byte site code that resolve writes (the GPU backend).
    Code,
}

impl SiteAccess {
    fn sweep_read(self) -> u64 {
        match self {
            SiteAccess::Record => SITE,
            SiteAccess::Code => U32,
        }
    }

    fn resolve_code_write(self) -> u64 {
        match self {
            SiteAccess::Record => 0,
            SiteAccess::Code => U32,
        }
    }
}

/// Bytes read and written by one dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct PassBytes {
    pub read: u64,
    pub written: u64,
}

impl PassBytes {
    pub fn total(&self) -> u64 {
        self.read + self.written
    }

    fn per_site(sites: u64, read: u64, written: u64) -> PassBytes {
        PassBytes {
            read: sites * read,
            written: sites * written,
        }
    }
}

const SITE: u64 = 16;
const F32: u64 = 4;
const U32: u64 = 4;

/// Sites of `colour` ((x + y + z + colour) even) in an nx × ny × nz lattice.
pub fn colour_sites(dims: [u32; 3], colour: u32) -> u64 {
    let [nx, ny, nz] = dims;
    let mut n = 0u64;
    for z in 0..nz {
        for y in 0..ny {
            let x0 = (y + z + colour) & 1;
            n += (nx.saturating_sub(x0) as u64).div_ceil(2);
        }
    }
    n
}

/// One half-sweep of colour `colour` of one field.
pub fn field_half_sweep(dims: [u32; 3], colour: u32, access: SiteAccess) -> PassBytes {
    let faces = if dims[2] > 1 { 6 } else { 4 };
    let read = access.sweep_read() + F32 + faces * F32;
    PassBytes::per_site(colour_sites(dims, colour), read, F32)
}

pub fn cells(sites: u64, n_fields: u64) -> PassBytes {
    let n_drugs = n_fields.saturating_sub(1);
    PassBytes::per_site(
        sites,
        SITE + n_fields * F32 + n_drugs * U32,
        SITE + U32 + n_drugs * U32,
    )
}

pub fn resolve(sites: u64, access: SiteAccess) -> PassBytes {
    PassBytes::per_site(sites, SITE + U32, SITE + access.resolve_code_write())
}

pub fn census(sites: u64) -> PassBytes {
    PassBytes::per_site(sites, SITE + F32, 0)
}

/// One T-cell move: `immune_moves`, then `resolve`.
pub fn immune_move(sites: u64, access: SiteAccess) -> PassBytes {
    let settle = resolve(sites, access);
    PassBytes {
        read: sites * SITE + settle.read,
        written: sites * U32 + settle.written,
    }
}

/// A whole tick: `sweeps` red-black sweeps of each of `n_fields` fields, cells,
/// resolve, census and `moves` T-cell moves.
pub fn tick(
    dims: [u32; 3],
    n_fields: u64,
    sweeps: u64,
    moves: u64,
    access: SiteAccess,
) -> PassBytes {
    let sites = dims.iter().map(|&d| d as u64).product::<u64>();
    let sweep = [0, 1].map(|c| field_half_sweep(dims, c, access));
    let solve = n_fields * sweeps;
    let move_bytes = immune_move(sites, access);
    let parts = [
        cells(sites, n_fields),
        resolve(sites, access),
        census(sites),
        PassBytes {
            read: moves * move_bytes.read,
            written: moves * move_bytes.written,
        },
    ];
    PassBytes {
        read: solve * (sweep[0].read + sweep[1].read) + parts.iter().map(|p| p.read).sum::<u64>(),
        written: solve * (sweep[0].written + sweep[1].written)
            + parts.iter().map(|p| p.written).sum::<u64>(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4×4 grid, counted by hand: 8 sites of each colour.
    #[test]
    fn hand_count_4x4() {
        let dims = [4, 4, 1];
        assert_eq!(colour_sites(dims, 0), 8);
        assert_eq!(colour_sites(dims, 1), 8);
        // Per site: site 16 + self 4 + 4 neighbours × 4 = 36 read, 4 written.
        assert_eq!(
            field_half_sweep(dims, 0, SiteAccess::Record),
            PassBytes {
                read: 8 * 36,
                written: 8 * 4
            }
        );
        // The GPU reads the 4-byte site code instead: 4 + 4 + 16 = 24.
        assert_eq!(
            field_half_sweep(dims, 0, SiteAccess::Code),
            PassBytes {
                read: 8 * 24,
                written: 8 * 4
            }
        );
        // Oxygen + 2 drugs: read 16 + 3·4 + 2·4 = 36, write 16 + 4 + 2·4 = 28.
        assert_eq!(
            cells(16, 3),
            PassBytes {
                read: 16 * 36,
                written: 16 * 28
            }
        );
        assert_eq!(
            resolve(16, SiteAccess::Record),
            PassBytes {
                read: 16 * 20,
                written: 16 * 16
            }
        );
        assert_eq!(resolve(16, SiteAccess::Code).written, 16 * 20);
        assert_eq!(
            census(16),
            PassBytes {
                read: 16 * 20,
                written: 0
            }
        );
        // 3 fields × 2 sweeps × (2 half-sweeps × 8 sites × 40 B) + cells + resolve + census.
        let t = tick(dims, 3, 2, 0, SiteAccess::Record);
        assert_eq!(t.total(), 3 * 2 * 2 * 8 * 40 + 16 * 64 + 16 * 36 + 16 * 20);
        // On the GPU: 28 B per half-sweep site, 4 B more per resolved site.
        let t = tick(dims, 3, 2, 0, SiteAccess::Code);
        assert_eq!(t.total(), 3 * 2 * 2 * 8 * 28 + 16 * 64 + 16 * 40 + 16 * 20);
        // A T-cell move: 16 + 4 for immune_moves, then resolve's 36 (40 on the GPU);
        // three of them a tick.
        assert_eq!(immune_move(16, SiteAccess::Record).total(), 16 * 56);
        assert_eq!(immune_move(16, SiteAccess::Code).total(), 16 * 60);
        let with_moves = tick(dims, 3, 2, 3, SiteAccess::Code);
        assert_eq!(with_moves.total(), t.total() + 3 * 16 * 60);
    }

    /// An odd 3D grid: 3×3×3 has 14 sites of colour 0 and 13 of colour 1.
    #[test]
    fn colours_of_odd_3d_grid() {
        assert_eq!(colour_sites([3, 3, 3], 0), 14);
        assert_eq!(colour_sites([3, 3, 3], 1), 13);
        let b = field_half_sweep([3, 3, 3], 1, SiteAccess::Record);
        assert_eq!(b.read, 13 * (16 + 4 + 6 * 4));
    }
}
