//! PNG frames of a run, drawn by `output::render` like `oncolattice render`: the
//! `cells` colouring of the whole lattice (2D) or its mid-plane `z = nz/2` (3D), each
//! site a square of `scale` pixels, y up, with the simulated time, legend and scale
//! bar stamped over the corners (left out of frames under 120 px). The bytes depend on
//! the state and tick alone.
//!
//! Palette (documented in README.md): empty sites dark blue at 0 mmHg to near-white at
//! the blood pO2 on a square-root scale; cycling tumour cells green, quiescent amber,
//! necrotic brown; vessels red, darker the less they are perfused.

use super::atomic;
use super::render::{self, RenderInput, RenderOptions, VolumeDevice};
use super::RunError;
use crate::engine::{BackendChoice, HostState};
use crate::scene::Scene;
use image::RgbImage;
use std::path::{Path, PathBuf};

pub use super::render::palette::{
    CYCLING, NECROTIC, QUIESCENT, TISSUE_ANOXIC, TISSUE_OXYGENATED, VESSEL, VESSEL_UNPERFUSED,
};

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

/// Renders the state at `tick` (its mid-plane in 3D).
pub fn render(scene: &Scene, state: &HostState, tick: u64) -> Result<RgbImage, RunError> {
    let input = RenderInput {
        scene: scene.clone(),
        state: state.clone(),
        tick,
    };
    let opts = RenderOptions {
        size: Some(size(scene)),
        backend: BackendChoice::Cpu,
        ..RenderOptions::default()
    };
    render::render(
        &input,
        &opts,
        &mut VolumeDevice::new(BackendChoice::Cpu),
        &mut |_, _| {},
    )
    .map_err(|e| RunError::Io {
        path: PathBuf::from("frames"),
        source: std::io::Error::other(e.to_string()),
    })
}

/// `frames/frame_000042.png`: numbered by frame index, zero-padded for video tools.
pub fn path(frames_dir: &Path, index: u32) -> PathBuf {
    frames_dir.join(format!("frame_{index:06}.png"))
}

/// Renders the state at `tick` and writes it as PNG, atomically.
pub fn write(scene: &Scene, state: &HostState, tick: u64, path: &Path) -> Result<(), RunError> {
    let img = render(scene, state, tick)?;
    let bytes = render::png_bytes(&img).map_err(|source| RunError::Frame {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(atomic::write(path, &bytes)?)
}

/// Writes `frames/contact_sheet.png` from frames 0..count, labelled with their times.
pub fn write_contact_sheet(
    scene: &Scene,
    frames_dir: &Path,
    ticks: &[u64],
) -> Result<(), RunError> {
    let frames: Vec<(PathBuf, String)> = ticks
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let h = t as f64 * scene.time.tick_h;
            (path(frames_dir, i as u32), render::figure::time_label(h))
        })
        .collect();
    render::contact::write(frames_dir, &frames).map_err(|e| match e {
        render::RenderError::Io { path, source } => RunError::Io { path, source },
        other => RunError::Io {
            path: frames_dir.join(render::contact::FILE),
            source: std::io::Error::other(other.to_string()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::site::Site;

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
        let state = HostState::new(sites, vec![40.0; 12], 0);
        let img = render(&sc, &state, 0).unwrap();
        assert_eq!(img.dimensions(), (3, 4));
        assert_eq!(img.get_pixel(0, 3).0, VESSEL);
        assert_eq!(img.get_pixel(0, 0).0, TISSUE_OXYGENATED);
    }
}
