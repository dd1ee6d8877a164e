//! Lattice geometry: site indexing and the canonical neighbour order.
//! Keep in sync with shaders/shared/lattice.wgsl (same order, same bounds rules).

use crate::scene::{Neighbourhood, Scene};

/// Site index = x + nx·(y + ny·z); x varies fastest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub nx: u32,
    pub ny: u32,
    pub nz: u32,
    pub moore: bool,
}

impl Grid {
    pub fn from_scene(scene: &Scene) -> Grid {
        Grid {
            nx: scene.lattice.nx,
            ny: scene.lattice.ny,
            nz: scene.lattice.nz,
            moore: scene.lattice.neighbourhood == Neighbourhood::Moore,
        }
    }

    pub fn sites(&self) -> usize {
        self.nx as usize * self.ny as usize * self.nz as usize
    }

    pub fn is_3d(&self) -> bool {
        self.nz > 1
    }

    #[inline]
    pub fn index(&self, x: u32, y: u32, z: u32) -> u32 {
        x + self.nx * (y + self.ny * z)
    }

    #[inline]
    pub fn coords(&self, i: u32) -> [u32; 3] {
        let x = i % self.nx;
        let yz = i / self.nx;
        [x, yz % self.ny, yz / self.ny]
    }

    /// Neighbour offsets for cell decisions, in canonical order (dz, dy, dx ascending).
    pub fn cell_offsets(&self) -> Vec<[i32; 3]> {
        let zr = if self.is_3d() { -1i32..=1 } else { 0..=0 };
        let mut out = Vec::new();
        for dz in zr {
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    let manhattan = dx.abs() + dy.abs() + i32::abs(dz);
                    if manhattan == 0 || (!self.moore && manhattan != 1) {
                        continue;
                    }
                    out.push([dx, dy, dz]);
                }
            }
        }
        out
    }

    /// Whether `d` is one of `cell_offsets()` (without building them).
    #[inline]
    pub fn is_cell_offset(&self, d: [i32; 3]) -> bool {
        let [ax, ay, az] = d.map(i32::unsigned_abs);
        let manhattan = ax + ay + az;
        ax <= 1
            && ay <= 1
            && az <= u32::from(self.is_3d())
            && manhattan != 0
            && (self.moore || manhattan == 1)
    }

    /// The neighbour of `i` at `offset`, if inside the lattice.
    #[inline]
    pub fn neighbour(&self, c: [u32; 3], offset: [i32; 3]) -> Option<u32> {
        let x = c[0] as i64 + offset[0] as i64;
        let y = c[1] as i64 + offset[1] as i64;
        let z = c[2] as i64 + offset[2] as i64;
        if x < 0
            || y < 0
            || z < 0
            || x >= self.nx as i64
            || y >= self.ny as i64
            || z >= self.nz as i64
        {
            None
        } else {
            Some(self.index(x as u32, y as u32, z as u32))
        }
    }

    /// Red-black colour of a site (used by the field solver): (x + y + z) mod 2.
    #[inline]
    pub fn colour(&self, c: [u32; 3]) -> u32 {
        (c[0] + c[1] + c[2]) & 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_cell_offset_agrees_with_the_offsets() {
        for (nz, moore) in [(1, true), (1, false), (4, true), (4, false)] {
            let grid = Grid {
                nx: 5,
                ny: 5,
                nz,
                moore,
            };
            let offsets = grid.cell_offsets();
            for dz in -2..=2 {
                for dy in -2..=2 {
                    for dx in -2..=2 {
                        let d = [dx, dy, dz];
                        assert_eq!(grid.is_cell_offset(d), offsets.contains(&d), "{d:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn neighbourhood_sizes() {
        let mut g = Grid {
            nx: 4,
            ny: 4,
            nz: 1,
            moore: true,
        };
        assert_eq!(g.cell_offsets().len(), 8);
        g.moore = false;
        assert_eq!(g.cell_offsets().len(), 4);
        g.nz = 4;
        assert_eq!(g.cell_offsets().len(), 6);
        g.moore = true;
        assert_eq!(g.cell_offsets().len(), 26);
    }

    #[test]
    fn index_and_coords_round_trip() {
        let g = Grid {
            nx: 5,
            ny: 3,
            nz: 4,
            moore: true,
        };
        for i in 0..g.sites() as u32 {
            let c = g.coords(i);
            assert_eq!(g.index(c[0], c[1], c[2]), i);
        }
        assert_eq!(g.neighbour([0, 0, 0], [-1, 0, 0]), None);
        assert_eq!(g.neighbour([0, 0, 0], [1, 1, 1]), Some(g.index(1, 1, 1)));
    }
}
