//! Pictures of a lattice state: `oncolattice render`, the frames of a run and the
//! contact sheet all go through here.
//!
//! - `palette`: `--color` modes over the named arrays of `output::arrays`;
//! - `colormap`: viridis and magma, value ranges, labels;
//! - `view`: slices and projections of 3D lattices;
//! - `volume`, `volume_gpu`: the ray-marched volume view (CPU path and WGSL kernel);
//! - `figure`: panels side by side with legend, colour bar, scale bar and time;
//! - `font`, `canvas`: text in the embedded DejaVu Sans and integer pixel drawing;
//! - `contact`: the contact sheet of a run's frames;
//! - `input`: what to render, from a run directory.
//!
//! The same input gives the same bytes: nothing here reads the clock, the thread
//! count or a system font. (The volume view on a GPU agrees with the CPU path within
//! rounding, not bit for bit.)

pub mod canvas;
pub mod colormap;
pub mod contact;
pub mod figure;
pub mod font;
pub mod input;
pub mod palette;
pub mod view;
pub mod volume;
pub mod volume_gpu;

use crate::engine::gpu::GpuContext;
use crate::engine::{BackendChoice, EngineError, HostState};
use crate::scene::{Scene, SceneError};
use canvas::Rect;
use figure::{Overlay, LETTERBOX};
use image::{ImageEncoder, RgbImage};
pub use palette::ColorMode;
use palette::Colouring;
use std::path::{Path, PathBuf};
pub use view::{Axis, View};

/// A state to draw and when it was.
#[derive(Debug, Clone)]
pub struct RenderInput {
    pub scene: Scene,
    pub state: HostState,
    /// Ticks completed.
    pub tick: u64,
}

impl RenderInput {
    pub fn time_h(&self) -> f64 {
        self.tick as f64 * self.scene.time.tick_h
    }
}

/// How to draw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// One panel per mode, side by side; empty means `[cells]`.
    pub panels: Vec<ColorMode>,
    /// `None`: the whole lattice in 2D, the mid z slice in 3D.
    pub view: Option<View>,
    /// Figure size in pixels; `None`: about 600 px per panel (the frames' scale).
    pub size: Option<(u32, u32)>,
    /// Where the volume view runs (other views always run on the CPU).
    pub backend: BackendChoice,
    /// Volume view: leave out the octant facing the camera, about the centre of the
    /// tumour's bounding box, to show its inside.
    pub cutaway: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            panels: vec![ColorMode::Cells],
            view: None,
            size: None,
            backend: BackendChoice::Auto,
            cutaway: false,
        }
    }
}

/// Largest figure side accepted by `--size`.
pub const MAX_SIDE: u32 = 16384;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A bad option or input (exit 2).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Scene(#[from] SceneError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot encode image: {source}", .path.display())]
    Encode {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
}

impl RenderError {
    /// Refused input (exit 2) rather than a failure while rendering (exit 1).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, RenderError::Input(_) | RenderError::Scene(_))
    }
}

/// Parses `--size WxH`.
pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let err = || format!("--size must be WIDTHxHEIGHT in pixels, each 16..={MAX_SIDE} (got {s:?})");
    let (w, h) = s.trim().split_once(['x', 'X', '×']).ok_or_else(err)?;
    let w: u32 = w.trim().parse().map_err(|_| err())?;
    let h: u32 = h.trim().parse().map_err(|_| err())?;
    if !(16..=MAX_SIDE).contains(&w) || !(16..=MAX_SIDE).contains(&h) {
        return Err(err());
    }
    Ok((w, h))
}

/// Parses `--slice x|y|z=K`.
pub fn parse_slice(s: &str) -> Result<View, String> {
    let err =
        || format!("--slice must be AXIS=K with AXIS x, y or z and K a site index (got {s:?})");
    let (a, k) = s.split_once('=').ok_or_else(err)?;
    let axis = Axis::parse(a).ok_or_else(err)?;
    let k = k.trim().parse().map_err(|_| err())?;
    Ok(View::Slice { axis, k })
}

/// Parses a comma-separated `--panels` list of `--color` values (names unchecked).
pub fn parse_panels(s: &str) -> Result<Vec<ColorMode>, String> {
    s.split(',')
        .map(|p| {
            ColorMode::parse(p).ok_or_else(|| {
                format!(
                    "--panels: {:?} is not cells, kind, clone, trait:NAME or field:NAME",
                    p.trim()
                )
            })
        })
        .collect()
}

/// The volume view's device, made on first use.
pub struct VolumeDevice {
    choice: BackendChoice,
    gpu: Option<(GpuContext, volume_gpu::VolumePipeline)>,
    tried: bool,
    /// Which path the volume view took and why, once it ran.
    pub note: Option<String>,
}

impl VolumeDevice {
    pub fn new(choice: BackendChoice) -> VolumeDevice {
        VolumeDevice {
            choice,
            gpu: None,
            tried: false,
            note: None,
        }
    }

    /// Uses an existing context (tests share one).
    pub fn with_context(ctx: GpuContext) -> Result<VolumeDevice, EngineError> {
        let pipeline = volume_gpu::VolumePipeline::new(&ctx)?;
        Ok(VolumeDevice {
            choice: BackendChoice::Gpu,
            gpu: Some((ctx, pipeline)),
            tried: true,
            note: None,
        })
    }

    fn render(
        &mut self,
        params: &volume::VolumeParams,
        sites: &[u32],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Vec<u32>, EngineError> {
        if !self.tried && self.choice != BackendChoice::Cpu {
            self.tried = true;
            // `auto` passes over software adapters, as `run` does.
            let ctx = match self.choice {
                BackendChoice::Gpu => crate::engine::requested_gpu(),
                _ => GpuContext::new(false),
            };
            match ctx {
                Ok(ctx) => {
                    let pipeline = volume_gpu::VolumePipeline::new(&ctx)?;
                    self.gpu = Some((ctx, pipeline));
                }
                Err(e) if self.choice == BackendChoice::Auto => {
                    self.note = Some(format!("volume view on the CPU ({e})"));
                }
                Err(e) => return Err(e),
            }
        }
        match &self.gpu {
            Some((ctx, pipeline)) => {
                match pipeline.render(ctx, params, sites) {
                    Ok(out) => {
                        self.note = Some(format!("volume view on the GPU: {}", ctx.describe()));
                        progress(params.height as u64, params.height as u64);
                        Ok(out)
                    }
                    // `auto` falls back to the CPU for what the device cannot hold.
                    Err(EngineError::TooLarge(why)) if self.choice == BackendChoice::Auto => {
                        self.note = Some(format!("volume view on the CPU ({why})"));
                        Ok(volume::render_cpu(params, sites, progress))
                    }
                    Err(e) => Err(e),
                }
            }
            None => {
                if self.note.is_none() {
                    self.note = Some("volume view on the CPU".into());
                }
                Ok(volume::render_cpu(params, sites, progress))
            }
        }
    }
}

/// Default pixels per site of a plane: the scene's `output.frame_pixels_per_site`,
/// else the integer scale that brings the longer side nearest 600 px.
fn default_scale(scene: &Scene, nu: u32, nv: u32) -> u32 {
    match scene.output.frame_pixels_per_site {
        0 => {
            let n = nu.max(nv).max(1);
            ((600 + n / 2) / n).max(1)
        }
        s => s,
    }
}

/// Checks modes and view against the input; `Err` is bad input.
pub fn check(input: &RenderInput, opts: &RenderOptions) -> Result<View, RenderError> {
    let view = opts.view.unwrap_or_else(|| View::default_for(&input.scene));
    view.check(&input.scene).map_err(RenderError::Input)?;
    let arrays = crate::output::arrays::site_arrays(&input.scene, &input.state);
    let allowed = palette::allowed(&arrays);
    for m in &opts.panels {
        if !allowed.contains(&m.spec()) {
            return Err(RenderError::Input(format!(
                "unknown --color {:?}; allowed: {}",
                m.spec(),
                allowed.join(", ")
            )));
        }
    }
    let sites = input.scene.site_count() as usize;
    if input.state.sites.len() != sites || input.state.check().is_err() {
        return Err(RenderError::Input(format!(
            "the state holds {} sites but the scene's lattice has {sites}",
            input.state.sites.len()
        )));
    }
    Ok(view)
}

/// The figure's size when not given: each panel at the frames' scale (600 × 600 for
/// the volume view).
pub fn default_size(scene: &Scene, view: View, panels: usize) -> (u32, u32) {
    let (cw, ch) = match view {
        View::Volume => (600, 600),
        View::Slice { axis, .. } | View::Project { axis } => {
            let (nu, nv) = view::plane_size(scene, axis);
            let s = default_scale(scene, nu, nv);
            (nu * s, nv * s)
        }
    };
    ((cw * panels.max(1) as u32).min(MAX_SIDE), ch.min(MAX_SIDE))
}

/// Renders the figure. `progress` hears (done, total) of long steps (the CPU volume
/// path reports rows).
pub fn render(
    input: &RenderInput,
    opts: &RenderOptions,
    device: &mut VolumeDevice,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RgbImage, RenderError> {
    let view = check(input, opts)?;
    let modes: Vec<ColorMode> = if opts.panels.is_empty() {
        vec![ColorMode::Cells]
    } else {
        opts.panels.clone()
    };
    let colourings = modes
        .iter()
        .map(|m| Colouring::new(&input.scene, &input.state, m).map_err(RenderError::Input))
        .collect::<Result<Vec<_>, _>>()?;
    let (w, h) = opts
        .size
        .unwrap_or_else(|| default_size(&input.scene, view, modes.len()));
    let scene = &input.scene;
    let mut img = RgbImage::from_pixel(w, h, image::Rgb(LETTERBOX));
    let time = figure::time_label(input.time_h());
    let site_um = scene.lattice.site_size_um;
    let cells = figure::cells(colourings.len() as u32, w, h);
    for (c, cell) in colourings.iter().zip(cells) {
        // Each panel is drawn on its own image, so nothing spills into a neighbour.
        let mut sub = RgbImage::from_pixel(cell.w, cell.h, image::Rgb(LETTERBOX));
        let local = Rect::new(0, 0, cell.w, cell.h);
        let (map, um_per_px) = match view {
            View::Volume => {
                let l = &scene.lattice;
                // Framed on the tumour (the whole lattice when there is none).
                let mut p = match tumour_bounds(input) {
                    Some((lo, hi)) => {
                        let centre = std::array::from_fn(|k| (lo[k] + hi[k] + 1) as f64 / 2.0);
                        let d: f64 = (0..3).map(|k| ((hi[k] - lo[k] + 1) as f64).powi(2)).sum();
                        let dims = [l.nx, l.ny, l.nz];
                        volume::VolumeParams::framed(
                            dims,
                            cell.w,
                            cell.h,
                            centre,
                            d.sqrt() / 2.0 + 1.0,
                        )
                    }
                    None => volume::VolumeParams::new(l.nx, l.ny, l.nz, cell.w, cell.h),
                };
                if opts.cutaway {
                    p = p.with_cutaway(tumour_centre(input));
                }
                let pixels = device.render(&p, &volume::packed_sites(c), progress)?;
                sub = volume::to_image(&p, &pixels);
                (local, p.sites_per_pixel() as f64 * site_um)
            }
            _ => {
                let plane = view::plane_image(scene, c, view);
                let map = figure::fit(plane.width(), plane.height(), local);
                figure::draw_plane(&mut sub, &plane, map);
                (map, plane.width() as f64 * site_um / map.w as f64)
            }
        };
        let where_ = view.describe(scene);
        let title = if where_.is_empty() {
            c.title.clone()
        } else {
            format!("{} · {where_}", c.title)
        };
        let key = match view {
            View::Volume => c.volume_key(),
            _ => c.key.clone(),
        };
        let overlay = Overlay {
            title: &title,
            time: &time,
            key: &key,
            um_per_px,
        };
        figure::draw_overlays(&mut sub, local, map, &overlay);
        canvas::blit(&mut img, &sub, cell.x, cell.y);
    }
    Ok(img)
}

/// The bounding box (lowest and highest site coordinates) of tumour and necrotic
/// sites, if there are any.
pub fn tumour_bounds(input: &RenderInput) -> Option<([u32; 3], [u32; 3])> {
    use crate::model::site::Kind;
    let l = &input.scene.lattice;
    let (mut lo, mut hi) = ([u32::MAX; 3], [0u32; 3]);
    for (i, s) in input.state.sites.iter().enumerate() {
        if matches!(s.kind(), Kind::Tumour | Kind::Necrotic) {
            let i = i as u64;
            let c = [
                (i % l.nx as u64) as u32,
                (i / l.nx as u64 % l.ny as u64) as u32,
                (i / (l.nx as u64 * l.ny as u64)) as u32,
            ];
            for k in 0..3 {
                lo[k] = lo[k].min(c[k]);
                hi[k] = hi[k].max(c[k]);
            }
        }
    }
    (lo[0] != u32::MAX).then_some((lo, hi))
}

/// The centre of the bounding box of tumour and necrotic sites (the lattice's centre
/// when there are none), in lattice coordinates.
pub fn tumour_centre(input: &RenderInput) -> [f32; 3] {
    let l = &input.scene.lattice;
    match tumour_bounds(input) {
        Some((lo, hi)) => std::array::from_fn(|k| (lo[k] + hi[k] + 1) as f32 / 2.0),
        None => [l.nx as f32 / 2.0, l.ny as f32 / 2.0, l.nz as f32 / 2.0],
    }
}

/// PNG bytes of an image (deterministic: fixed encoder settings).
pub fn png_bytes(img: &RgbImage) -> Result<Vec<u8>, image::ImageError> {
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes).write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(bytes)
}

/// Writes an image as PNG through a temporary file and a rename.
pub fn write_png(img: &RgbImage, path: &Path) -> Result<(), RenderError> {
    let bytes = png_bytes(img).map_err(|source| RenderError::Encode {
        path: path.to_path_buf(),
        source,
    })?;
    crate::output::atomic::write(path, &bytes).map_err(|e| RenderError::Io {
        path: e.path,
        source: e.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse() {
        assert_eq!(parse_size("320x200"), Ok((320, 200)));
        assert!(parse_size("3x200").is_err());
        assert!(parse_size("320").is_err());
        assert_eq!(
            parse_slice("y=4"),
            Ok(View::Slice {
                axis: Axis::Y,
                k: 4
            })
        );
        assert!(parse_slice("w=4").is_err());
        assert_eq!(
            parse_panels("cells, field:oxygen").unwrap(),
            vec![ColorMode::Cells, ColorMode::Field("oxygen".into())]
        );
        assert!(parse_panels("cells,bogus").is_err());
    }
}
