//! Which sites a 2D panel shows: a slice across one axis, or the projection along it.
//! The image axes are the two other lattice axes in order ((x, y) for z, (x, z) for y,
//! (y, z) for x), the second pointing up. A projection looks from the high end of the
//! axis: fields and traits show their maximum along the ray, categories the nearest
//! tumour or necrotic site (else the nearest vessel, else the middle site).

use super::palette::Colouring;
use crate::scene::Scene;
use image::RgbImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    X,
    Y,
    Z,
}

impl Axis {
    pub fn name(self) -> &'static str {
        match self {
            Axis::X => "x",
            Axis::Y => "y",
            Axis::Z => "z",
        }
    }

    pub fn parse(s: &str) -> Option<Axis> {
        match s.trim() {
            "x" => Some(Axis::X),
            "y" => Some(Axis::Y),
            "z" => Some(Axis::Z),
            _ => None,
        }
    }
}

/// How a panel looks at the lattice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The sites with coordinate `k` along `axis`.
    Slice { axis: Axis, k: u32 },
    /// Maximum (fields) or nearest (categories) along `axis`.
    Project { axis: Axis },
    /// Ray-marched tumour from a fixed oblique camera (3D only).
    Volume,
}

impl View {
    /// The default: the whole lattice in 2D, the mid z slice in 3D.
    pub fn default_for(scene: &Scene) -> View {
        View::Slice {
            axis: Axis::Z,
            k: scene.lattice.nz / 2,
        }
    }

    /// Checks the view against the lattice; `Err` says what is allowed.
    pub fn check(&self, scene: &Scene) -> Result<(), String> {
        let l = &scene.lattice;
        match *self {
            View::Slice { axis, k } => {
                let n = axis_len(scene, axis);
                if k >= n {
                    return Err(format!(
                        "--slice {}={k} is outside the lattice: {} runs from 0 to {} ({} × {} × {} sites)",
                        axis.name(),
                        axis.name(),
                        n - 1,
                        l.nx,
                        l.ny,
                        l.nz
                    ));
                }
                if !scene.is_3d() && axis != Axis::Z {
                    return Err(format!(
                        "--slice {}=… needs a 3D scene; this one is 2D (nz = 1), use z=0",
                        axis.name()
                    ));
                }
                Ok(())
            }
            View::Project { .. } | View::Volume if !scene.is_3d() => {
                Err("--project and --volume need a 3D scene; this one is 2D (nz = 1)".to_string())
            }
            _ => Ok(()),
        }
    }

    /// Words for the panel title: "" in 2D, "z = 16", "max along z", "volume".
    pub fn describe(&self, scene: &Scene) -> String {
        match *self {
            View::Slice { .. } if !scene.is_3d() => String::new(),
            View::Slice { axis, k } => format!("{} = {k}", axis.name()),
            View::Project { axis } => format!("max along {}", axis.name()),
            View::Volume => "volume".into(),
        }
    }
}

pub fn axis_len(scene: &Scene, axis: Axis) -> u32 {
    let l = &scene.lattice;
    match axis {
        Axis::X => l.nx,
        Axis::Y => l.ny,
        Axis::Z => l.nz,
    }
}

/// (width, height) in sites of the plane across `axis`.
pub fn plane_size(scene: &Scene, axis: Axis) -> (u32, u32) {
    let l = &scene.lattice;
    match axis {
        Axis::Z => (l.nx, l.ny),
        Axis::Y => (l.nx, l.nz),
        Axis::X => (l.ny, l.nz),
    }
}

/// Site index of plane point (u, v) at depth `d` along `axis`.
fn site(scene: &Scene, axis: Axis, u: u32, v: u32, d: u32) -> usize {
    let l = &scene.lattice;
    let (x, y, z) = match axis {
        Axis::Z => (u, v, d),
        Axis::Y => (u, d, v),
        Axis::X => (d, u, v),
    };
    (x as u64 + l.nx as u64 * (y as u64 + l.ny as u64 * z as u64)) as usize
}

/// One pixel per site of the plane, v up (row 0 is the top of the lattice).
pub fn plane_image(scene: &Scene, colouring: &Colouring, view: View) -> RgbImage {
    let axis = match view {
        View::Slice { axis, .. } | View::Project { axis } => axis,
        View::Volume => Axis::Z,
    };
    let (nu, nv) = plane_size(scene, axis);
    let depth = axis_len(scene, axis);
    let mut img = RgbImage::new(nu, nv);
    for v in 0..nv {
        for u in 0..nu {
            let rgb = match view {
                View::Slice { k, .. } => colouring.colour(site(scene, axis, u, v, k)),
                _ if colouring.is_continuous() => {
                    let m = (0..depth)
                        .map(|d| colouring.value(site(scene, axis, u, v, d)))
                        .fold(
                            f32::NEG_INFINITY,
                            |a, b| if b > a || b.is_nan() { b } else { a },
                        );
                    colouring.value_colour(m)
                }
                _ => {
                    // Nearest to the viewer (highest d) among the highest priority.
                    let mut best = (0u8, depth / 2);
                    for d in (0..depth).rev() {
                        let p = colouring.priority(site(scene, axis, u, v, d));
                        if p > best.0 {
                            best = (p, d);
                        }
                    }
                    colouring.colour(site(scene, axis, u, v, best.1))
                }
            };
            img.put_pixel(u, nv - 1 - v, image::Rgb(rgb));
        }
    }
    img
}
