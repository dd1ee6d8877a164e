//! The cell neighbourhood of a site as a bit mask, for the CPU kernels: bit k stands
//! for `Grid::cell_offsets()[k]`. Interior sites (not on a face of the lattice) take
//! precomputed index deltas instead of a bounds test per offset; the answer is the
//! same as `Grid::neighbour` offset by offset.

use super::shared::min_len;
use crate::model::lattice::Grid;
use crate::model::site::{Kind, Site};
use rayon::prelude::*;

/// Lattice rows per rayon task in `free_counts` (rows of 100–1000 sites).
const ROWS_PER_TASK: usize = 16;

pub struct Neighbourhood {
    pub grid: Grid,
    pub offsets: Vec<[i32; 3]>,
    /// Index delta of each offset, for interior sites.
    deltas: Vec<isize>,
}

impl Neighbourhood {
    pub fn new(grid: Grid) -> Neighbourhood {
        let offsets = grid.cell_offsets();
        debug_assert!(offsets.len() <= 32);
        let (nx, plane) = (grid.nx as isize, (grid.nx * grid.ny) as isize);
        let deltas = offsets
            .iter()
            .map(|d| d[0] as isize + nx * d[1] as isize + plane * d[2] as isize)
            .collect();
        Neighbourhood {
            grid,
            offsets,
            deltas,
        }
    }

    /// Bit k set when offset k of site `i` lies inside the lattice and its site passes
    /// `test`.
    #[inline]
    pub fn mask(&self, src: &[Site], i: u32, test: impl Fn(Site) -> bool) -> u32 {
        let g = &self.grid;
        let c = g.coords(i);
        let interior = c[0] > 0
            && c[0] + 1 < g.nx
            && c[1] > 0
            && c[1] + 1 < g.ny
            && (g.nz == 1 || (c[2] > 0 && c[2] + 1 < g.nz));
        let mut mask = 0u32;
        if interior {
            for (k, &delta) in self.deltas.iter().enumerate() {
                let n = (i as isize + delta) as usize;
                mask |= (test(src[n]) as u32) << k;
            }
        } else {
            for (k, &d) in self.offsets.iter().enumerate() {
                if let Some(n) = g.neighbour(c, d) {
                    mask |= (test(src[n as usize]) as u32) << k;
                }
            }
        }
        mask
    }
}

impl Neighbourhood {
    /// For every site, how many of its neighbours lie inside the lattice and are empty
    /// (the popcount of `mask(src, i, empty)`), for all sites at once: the empty sites
    /// as bytes in a lattice padded by one site of "not empty" on every face, then one
    /// shifted add of that plane per offset, which the compiler vectorises. Most
    /// cells of a dense tumour have no free neighbour; with this they learn it from one
    /// byte instead of a scan of their neighbourhood.
    pub fn free_counts(&self, src: &[Site]) -> Vec<u8> {
        let g = &self.grid;
        let (nx, ny, nz) = (g.nx as usize, g.ny as usize, g.nz as usize);
        let pad_z = usize::from(nz > 1);
        let (px, py) = (nx + 2, ny + 2);
        let pz = nz + 2 * pad_z;
        let at = |x: usize, y: usize, z: usize| (x + 1) + px * ((y + 1) + py * (z + pad_z));
        let mut empty = vec![0u8; px * py * pz];
        // Padded row r holds lattice row (y, z) = (r % py - 1, r / py - pad_z) when both
        // are inside. Rows split over the pool only on a pool's worker (`min_len`).
        empty
            .par_chunks_mut(px)
            .enumerate()
            .with_min_len(min_len(ROWS_PER_TASK))
            .for_each(|(r, padded)| {
                let (y, z) = ((r % py).wrapping_sub(1), (r / py).wrapping_sub(pad_z));
                if y < ny && z < nz {
                    let row = &src[nx * (y + ny * z)..][..nx];
                    for (e, s) in padded[1..=nx].iter_mut().zip(row) {
                        *e = u8::from(s.kind() == Kind::Empty);
                    }
                }
            });
        let deltas: Vec<isize> = self
            .offsets
            .iter()
            .map(|d| {
                d[0] as isize + px as isize * d[1] as isize + (px * py) as isize * d[2] as isize
            })
            .collect();
        // The sums over the padded lattice from its first site to its last, pad
        // columns included (their sums go unread): long runs of bytes that vectorise.
        // The padding keeps every shifted run inside `empty`.
        let (lo, hi) = (at(0, 0, 0), at(nx - 1, ny - 1, nz - 1) + 1);
        let mut sums = vec![0u8; hi - lo];
        sums.par_chunks_mut(SUM_RUN)
            .enumerate()
            .with_min_len(min_len(1))
            .for_each(|(r, run)| {
                let start = lo + r * SUM_RUN;
                for &delta in &deltas {
                    add_bytes(
                        run,
                        &empty[(start as isize + delta) as usize..][..run.len()],
                    );
                }
            });
        let mut counts = vec![0u8; src.len()];
        counts
            .par_chunks_mut(nx)
            .enumerate()
            .with_min_len(min_len(ROWS_PER_TASK))
            .for_each(|(j, out)| out.copy_from_slice(&sums[at(0, j % ny, j / ny) - lo..][..nx]));
        counts
    }
}

/// Bytes of the padded sums per rayon task in `free_counts`.
const SUM_RUN: usize = 4096;

/// `acc[k] += from[k]` (no count exceeds 26), 32 bytes at a time. Out of line: as a
/// function's own arguments the two slices are known not to overlap, so it vectorises.
#[inline(never)]
fn add_bytes(acc: &mut [u8], from: &[u8]) {
    let mut acc_blocks = acc.chunks_exact_mut(32);
    let mut from_blocks = from.chunks_exact(32);
    for (a, f) in (&mut acc_blocks).zip(&mut from_blocks) {
        for (a, f) in a.iter_mut().zip(f) {
            *a += f;
        }
    }
    for (a, f) in acc_blocks
        .into_remainder()
        .iter_mut()
        .zip(from_blocks.remainder())
    {
        *a += f;
    }
}

/// The offset index of the `k`-th (from 0) set bit of `mask`; `k` < its popcount.
#[inline]
pub fn nth_set_bit(mut mask: u32, k: u32) -> u32 {
    for _ in 0..k {
        mask &= mask - 1;
    }
    mask.trailing_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_match_grid_neighbour_on_every_site() {
        for (nx, ny, nz, moore) in [(5, 4, 1, true), (5, 4, 1, false), (4, 3, 5, true)] {
            let grid = Grid { nx, ny, nz, moore };
            let hood = Neighbourhood::new(grid);
            let sites: Vec<Site> = (0..grid.sites() as u32)
                .map(|i| Site {
                    w0: if crate::model::rng::mix(i + 7) % 3 == 0 {
                        Kind::Tumour as u32
                    } else {
                        Kind::Empty as u32
                    },
                    ..Site::EMPTY
                })
                .collect();
            for i in 0..grid.sites() as u32 {
                let c = grid.coords(i);
                let expected = hood.offsets.iter().enumerate().fold(0u32, |m, (k, &d)| {
                    let hit = grid
                        .neighbour(c, d)
                        .is_some_and(|n| sites[n as usize].kind() == Kind::Empty);
                    m | (hit as u32) << k
                });
                assert_eq!(hood.mask(&sites, i, |s| s.kind() == Kind::Empty), expected);
            }
            let counts = hood.free_counts(&sites);
            for i in 0..grid.sites() as u32 {
                let mask = hood.mask(&sites, i, |s| s.kind() == Kind::Empty);
                assert_eq!(counts[i as usize] as u32, mask.count_ones(), "site {i}");
            }
        }
    }

    #[test]
    fn nth_set_bit_walks_the_bits_in_order() {
        assert_eq!(nth_set_bit(0b1011_0100, 0), 2);
        assert_eq!(nth_set_bit(0b1011_0100, 1), 4);
        assert_eq!(nth_set_bit(0b1011_0100, 3), 7);
    }
}
