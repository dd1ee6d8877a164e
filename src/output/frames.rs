//! PNG frames of the lattice: 2D scenes whole, 3D scenes as the mid-plane `z = nz/2`.
//! Each site becomes a square of `scale` pixels; y points up (row 0 of the image is the
//! top of the lattice). The bytes depend on the state alone.
//!
//! Palette (documented in README.md):
//! - empty site (host tissue): dark blue at 0 mmHg to near-white at the blood pO2,
//!   on a square-root scale so the hypoxic range is spread out;
//! - cycling tumour cell: green; quiescent tumour cell: amber; necrotic: brown;
//! - vessel: red, darker the less it is perfused.

use super::rundir::write_atomic;
use super::RunError;
use crate::engine::HostState;
use crate::model::site::{Kind, Site};
use crate::scene::Scene;
use image::{ImageEncoder, RgbImage};
use std::path::{Path, PathBuf};

pub const CYCLING: [u8; 3] = [46, 184, 76];
pub const QUIESCENT: [u8; 3] = [250, 190, 40];
pub const NECROTIC: [u8; 3] = [110, 68, 42];
pub const VESSEL: [u8; 3] = [215, 30, 40];
pub const VESSEL_UNPERFUSED: [u8; 3] = [100, 20, 30];
pub const TISSUE_ANOXIC: [u8; 3] = [18, 26, 70];
pub const TISSUE_OXYGENATED: [u8; 3] = [236, 238, 246];

/// Width in pixels that the automatic scale aims for.
pub const TARGET_PIXELS: u32 = 600;

/// Pixels per site: the scene's `output.frame_pixels_per_site`, or when that is 0 the
/// integer scale that brings the longer side nearest 600 pixels (at least 1).
pub fn scale(scene: &Scene) -> u32 {
    match scene.output.frame_pixels_per_site {
        0 => {
            let n = scene.lattice.nx.max(scene.lattice.ny);
            ((TARGET_PIXELS + n / 2) / n).max(1)
        }
        s => s,
    }
}

/// The image size of a frame: (width, height) in pixels.
pub fn size(scene: &Scene) -> (u32, u32) {
    let s = scale(scene);
    (scene.lattice.nx * s, scene.lattice.ny * s)
}

fn lerp(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    std::array::from_fn(|i| (a[i] as f32 + (b[i] as f32 - a[i] as f32) * t).round() as u8)
}

/// Colour of one site.
pub fn colour(site: Site, po2: f32, po2_full: f32) -> [u8; 3] {
    match site.kind() {
        Kind::Empty => {
            let t = if po2.is_finite() { po2 / po2_full } else { 0.0 };
            lerp(TISSUE_ANOXIC, TISSUE_OXYGENATED, t.clamp(0.0, 1.0).sqrt())
        }
        Kind::Tumour if site.is_quiescent() => QUIESCENT,
        Kind::Tumour => CYCLING,
        Kind::Necrotic => NECROTIC,
        Kind::Vessel => lerp(VESSEL_UNPERFUSED, VESSEL, site.perfusion()),
    }
}

/// Renders the state (its mid-plane in 3D).
pub fn render(scene: &Scene, state: &HostState) -> RgbImage {
    let (nx, ny, nz) = (scene.lattice.nx, scene.lattice.ny, scene.lattice.nz);
    let s = scale(scene);
    let z = nz / 2;
    let po2_full = scene
        .oxygen
        .vessel_po2_mmhg
        .max(scene.oxygen.boundary_mmhg.unwrap_or(0.0));
    let po2_full = if po2_full > 0.0 { po2_full as f32 } else { 1.0 };
    let mut img = RgbImage::new(nx * s, ny * s);
    for y in 0..ny {
        for x in 0..nx {
            let i = (x + nx * (y + ny * z)) as usize;
            let rgb = image::Rgb(colour(state.sites[i], state.oxygen[i], po2_full));
            let top = (ny - 1 - y) * s;
            for py in top..top + s {
                for px in x * s..(x + 1) * s {
                    img.put_pixel(px, py, rgb);
                }
            }
        }
    }
    img
}

/// `frames/frame_000042.png`: numbered by frame index, zero-padded for video tools.
pub fn path(frames_dir: &Path, index: u32) -> PathBuf {
    frames_dir.join(format!("frame_{index:06}.png"))
}

/// Renders the state and writes it as PNG, atomically.
pub fn write(scene: &Scene, state: &HostState, path: &Path) -> Result<(), RunError> {
    let img = render(scene, state);
    let mut bytes = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new(&mut bytes);
    encoder
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|source| RunError::Frame {
            path: path.to_path_buf(),
            source,
        })?;
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(nx: u32, ny: u32, pixels: u32) -> Scene {
        let text = format!(
            "seed = 1\n[lattice]\nnx = {nx}\nny = {ny}\n[output]\nframe_pixels_per_site = {pixels}\n"
        );
        Scene::parse(&text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn automatic_scale_aims_at_600_pixels() {
        assert_eq!(scale(&scene(200, 100, 0)), 3);
        assert_eq!(scale(&scene(40, 40, 0)), 15);
        assert_eq!(scale(&scene(64, 64, 0)), 9);
        assert_eq!(scale(&scene(2000, 50, 0)), 1);
        assert_eq!(scale(&scene(40, 40, 2)), 2);
        assert_eq!(size(&scene(50, 30, 4)), (200, 120));
    }

    #[test]
    fn y_points_up() {
        let sc = scene(3, 4, 1);
        let mut sites = vec![Site::EMPTY; 12];
        sites[0] = Site::vessel(1.0);
        let state = HostState {
            sites,
            oxygen: vec![40.0; 12],
        };
        let img = render(&sc, &state);
        assert_eq!(img.get_pixel(0, 3).0, VESSEL);
        assert_eq!(img.get_pixel(0, 0).0, TISSUE_OXYGENATED);
    }
}
