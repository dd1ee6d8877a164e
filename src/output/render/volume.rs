//! The volume view: tumour and necrotic sites ray-marched front to back from a fixed
//! oblique camera (orthographic, 30° azimuth, 25° elevation, z up), lit by one
//! directional light from the gradient of opacity. The CPU path here and the WGSL
//! kernel `shaders/render_volume.wgsl` are written alike, in f32, so they agree within
//! rounding; tests compare them.

use super::canvas::Rgb;
use super::palette::Colouring;
use bytemuck::{Pod, Zeroable};
use image::RgbImage;
use rayon::prelude::*;

/// Step along a ray, in sites.
pub const STEP: f32 = 0.5;
/// Light that reaches a surface facing away from the light.
pub const AMBIENT: f32 = 0.35;
/// Rays stop once less than this fraction of light gets through.
pub const MIN_TRANSMITTANCE: f32 = 1.0 / 256.0;
/// Behind the tumour.
pub const BACKGROUND: Rgb = [24, 26, 34];

/// Uniform of the volume kernel. Keep in sync with `struct VolumeParams` in
/// shaders/render_volume.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
pub struct VolumeParams {
    pub width: u32,
    pub height: u32,
    pub nx: u32,
    pub ny: u32,
    pub nz: u32,
    pub _pad0: u32,
    pub _pad1: u32,
    pub _pad2: u32,
    /// Ray origin of pixel (0, 0)'s corner (xyz, w unused).
    pub origin: [f32; 4],
    /// Step between pixel columns.
    pub right: [f32; 4],
    /// Step between pixel rows.
    pub down: [f32; 4],
    /// Unit ray direction.
    pub dir: [f32; 4],
    /// Unit vector towards the light.
    pub light: [f32; 4],
    /// Background colour, 0..1.
    pub background: [f32; 4],
    /// Cutaway: with w = 1, sites with x ≥ cut.x, y < cut.y and z ≥ cut.z (the octant
    /// facing the camera) are left out, opening the tumour to its core.
    pub cut: [f32; 4],
    pub step: f32,
    pub ambient: f32,
    pub min_transmittance: f32,
    pub _pad3: f32,
}

fn norm(v: [f64; 3]) -> [f64; 3] {
    let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    v.map(|c| c / l)
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn v4(v: [f64; 3]) -> [f32; 4] {
    [v[0] as f32, v[1] as f32, v[2] as f32, 0.0]
}

impl VolumeParams {
    /// The fixed camera for a `nx × ny × nz` lattice and a `width × height` image:
    /// the lattice's bounding sphere fills the shorter side with a 5 % margin.
    pub fn new(nx: u32, ny: u32, nz: u32, width: u32, height: u32) -> VolumeParams {
        let (fx, fy, fz) = (nx as f64, ny as f64, nz as f64);
        let radius = 0.5 * (fx * fx + fy * fy + fz * fz).sqrt();
        VolumeParams::framed(
            [nx, ny, nz],
            width,
            height,
            [fx / 2.0, fy / 2.0, fz / 2.0],
            radius,
        )
    }

    /// The same camera aimed at `centre` (lattice coordinates), with a sphere of
    /// `radius` sites filling the shorter side of the image with a 5 % margin.
    pub fn framed(
        [nx, ny, nz]: [u32; 3],
        width: u32,
        height: u32,
        centre: [f64; 3],
        radius: f64,
    ) -> VolumeParams {
        let (az, el) = (30f64.to_radians(), 25f64.to_radians());
        let eye = [el.cos() * az.sin(), -el.cos() * az.cos(), el.sin()];
        let dir = eye.map(|c| -c);
        let right = norm(cross(dir, [0.0, 0.0, 1.0]));
        let up = cross(right, dir);
        let (fx, fy, fz) = (nx as f64, ny as f64, nz as f64);
        let radius = radius.max(1.0);
        // The eye stays outside the lattice whatever the framing.
        let back = (fx * fx + fy * fy + fz * fz).sqrt() + 2.0 * radius;
        let pixel = 2.0 * radius * 1.05 / width.min(height).max(1) as f64;
        let (hw, hh) = (width as f64 / 2.0, height as f64 / 2.0);
        let origin: [f64; 3] = std::array::from_fn(|i| {
            centre[i] + eye[i] * back - right[i] * hw * pixel + up[i] * hh * pixel
        });
        let light = norm(std::array::from_fn(|i| {
            eye[i] + 0.6 * up[i] - 0.4 * right[i]
        }));
        VolumeParams {
            width,
            height,
            nx,
            ny,
            nz,
            _pad0: 0,
            _pad1: 0,
            _pad2: 0,
            origin: v4(origin),
            right: v4(right.map(|c| c * pixel)),
            down: v4(up.map(|c| -c * pixel)),
            dir: v4(dir),
            light: v4(light),
            background: [
                BACKGROUND[0] as f32 / 255.0,
                BACKGROUND[1] as f32 / 255.0,
                BACKGROUND[2] as f32 / 255.0,
                1.0,
            ],
            cut: [0.0; 4],
            step: STEP,
            ambient: AMBIENT,
            min_transmittance: MIN_TRANSMITTANCE,
            _pad3: 0.0,
        }
    }

    /// Cuts away the octant facing the camera about `centre` (lattice coordinates).
    pub fn with_cutaway(mut self, centre: [f32; 3]) -> VolumeParams {
        self.cut = [centre[0], centre[1], centre[2], 1.0];
        self
    }

    /// Lattice sites per pixel across the image.
    pub fn sites_per_pixel(&self) -> f32 {
        let r = self.right;
        (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt()
    }
}

/// Per-site colour and opacity packed as `r | g << 8 | b << 16 | a << 24`, the kernel's
/// input.
pub fn packed_sites(colouring: &Colouring) -> Vec<u32> {
    (0..colouring.sites())
        .into_par_iter()
        .map(|i| u32::from_le_bytes(colouring.volume_rgba(i)))
        .collect()
}

/// Packs an RGB colour as the kernel writes pixels.
fn pack_rgb(c: [f32; 3]) -> u32 {
    let q = |v: f32| (v.clamp(0.0, 1.0) * 255.0 + 0.5).floor() as u32;
    q(c[0]) | q(c[1]) << 8 | q(c[2]) << 16 | 255 << 24
}

/// Whether site (x, y, z) lies in the cut-away octant.
fn is_cut(p: &VolumeParams, x: i32, y: i32, z: i32) -> bool {
    p.cut[3] > 0.0 && x as f32 >= p.cut[0] && (y as f32) < p.cut[1] && z as f32 >= p.cut[2]
}

fn alpha_at(p: &VolumeParams, sites: &[u32], x: i32, y: i32, z: i32) -> f32 {
    if is_cut(p, x, y, z) {
        return 0.0;
    }
    if x < 0 || y < 0 || z < 0 || x >= p.nx as i32 || y >= p.ny as i32 || z >= p.nz as i32 {
        return 0.0;
    }
    let i = x as u32 + p.nx * (y as u32 + p.ny * z as u32);
    (sites[i as usize] >> 24) as f32 / 255.0
}

/// One ray, as `march` in the kernel does it.
pub fn march(p: &VolumeParams, sites: &[u32], px: u32, py: u32) -> u32 {
    let fx = px as f32 + 0.5;
    let fy = py as f32 + 0.5;
    let o: [f32; 3] = std::array::from_fn(|i| p.origin[i] + p.right[i] * fx + p.down[i] * fy);
    let d = [p.dir[0], p.dir[1], p.dir[2]];
    let n = [p.nx as f32, p.ny as f32, p.nz as f32];
    let mut t0 = 0.0f32;
    let mut t1 = f32::MAX;
    for i in 0..3 {
        let inv = 1.0 / d[i];
        let a = (0.0 - o[i]) * inv;
        let b = (n[i] - o[i]) * inv;
        t0 = t0.max(a.min(b));
        t1 = t1.min(a.max(b));
    }
    let bg = [p.background[0], p.background[1], p.background[2]];
    if t1 <= t0 {
        return pack_rgb(bg);
    }
    let mut colour = [0.0f32; 3];
    let mut trans = 1.0f32;
    let steps = ((t1 - t0) / p.step).ceil() as u32;
    for k in 0..steps {
        let t = t0 + (k as f32 + 0.5) * p.step;
        let x = (o[0] + d[0] * t).floor() as i32;
        let y = (o[1] + d[1] * t).floor() as i32;
        let z = (o[2] + d[2] * t).floor() as i32;
        let x = x.clamp(0, p.nx as i32 - 1);
        let y = y.clamp(0, p.ny as i32 - 1);
        let z = z.clamp(0, p.nz as i32 - 1);
        if is_cut(p, x, y, z) {
            continue;
        }
        let s = sites[(x as u32 + p.nx * (y as u32 + p.ny * z as u32)) as usize];
        let a = (s >> 24) as f32 / 255.0;
        if a <= 0.0 {
            continue;
        }
        let g = [
            alpha_at(p, sites, x + 1, y, z) - alpha_at(p, sites, x - 1, y, z),
            alpha_at(p, sites, x, y + 1, z) - alpha_at(p, sites, x, y - 1, z),
            alpha_at(p, sites, x, y, z + 1) - alpha_at(p, sites, x, y, z - 1),
        ];
        let len = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
        let shade = if len > 0.0 {
            let lambert = -(g[0] * p.light[0] + g[1] * p.light[1] + g[2] * p.light[2]) / len;
            p.ambient + (1.0 - p.ambient) * lambert.max(0.0)
        } else {
            1.0
        };
        let rgb = [
            (s & 255) as f32 / 255.0,
            (s >> 8 & 255) as f32 / 255.0,
            (s >> 16 & 255) as f32 / 255.0,
        ];
        for i in 0..3 {
            colour[i] += trans * a * shade * rgb[i];
        }
        trans *= 1.0 - a;
        if trans < p.min_transmittance {
            break;
        }
    }
    pack_rgb(std::array::from_fn(|i| colour[i] + trans * bg[i]))
}

/// Rows per progress report.
const BAND: u32 = 16;

/// The CPU path: every pixel in parallel (rows in bands, reported to `progress` as
/// rows done of rows in all).
pub fn render_cpu(p: &VolumeParams, sites: &[u32], progress: &mut dyn FnMut(u64, u64)) -> Vec<u32> {
    let mut out = vec![0u32; (p.width * p.height) as usize];
    let w = p.width as usize;
    for (band, rows) in out.chunks_mut(w * BAND as usize).enumerate() {
        rows.par_chunks_mut(w).enumerate().for_each(|(r, row)| {
            let py = band as u32 * BAND + r as u32;
            for (px, v) in row.iter_mut().enumerate() {
                *v = march(p, sites, px as u32, py);
            }
        });
        let done = ((band as u32 + 1) * BAND).min(p.height);
        progress(done as u64, p.height as u64);
    }
    out
}

/// Packed pixels (as the kernel writes them) to an image.
pub fn to_image(p: &VolumeParams, pixels: &[u32]) -> RgbImage {
    let mut img = RgbImage::new(p.width, p.height);
    for (k, px) in img.pixels_mut().enumerate() {
        let [r, g, b, _] = pixels[k].to_le_bytes();
        px.0 = [r, g, b];
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_volume_is_background_and_a_full_one_is_not() {
        let p = VolumeParams::new(8, 8, 8, 16, 16);
        let empty = vec![0u32; 512];
        let bg = pack_rgb([p.background[0], p.background[1], p.background[2]]);
        assert!(render_cpu(&p, &empty, &mut |_, _| {})
            .iter()
            .all(|&v| v == bg));
        let full = vec![u32::from_le_bytes([200, 40, 40, 120]); 512];
        let img = render_cpu(&p, &full, &mut |_, _| {});
        assert_ne!(img[8 * 16 + 8], bg, "the centre ray meets the cube");
        assert_eq!(img[0], bg, "corner rays miss it");
    }
}
