//! Figure layout: panels side by side, each a map fitted into its cell (letterboxed,
//! nearest-neighbour) with overlays drawn over it the way microscopes stamp images:
//! title and simulated time top left, legend or colour bar top right, scale bar
//! bottom left. Overlays are left out of cells too small to hold them.

use super::canvas::{self, blend_rect, fill, outline, text, Rect, Rgb, BLACK, WHITE};
use super::colormap::tick_label;
use super::font::{text_height, text_width};
use super::palette::Key;
use image::RgbImage;

/// Around maps that do not fill their cell.
pub const LETTERBOX: Rgb = [40, 42, 52];
/// Opacity (of 255) of the dark boxes behind overlay text.
const BOX_ALPHA: u32 = 170;
/// Cells whose shorter side is below this get no overlays.
pub const MIN_OVERLAY_SIDE: u32 = 120;

/// The cells of `n` panels side by side in a `width × height` figure; the last takes
/// what integer division leaves.
pub fn cells(n: u32, width: u32, height: u32) -> Vec<Rect> {
    let n = n.max(1);
    (0..n)
        .map(|i| {
            let x0 = width * i / n;
            let x1 = width * (i + 1) / n;
            Rect::new(x0 as i32, 0, x1 - x0, height)
        })
        .collect()
}

/// The largest rectangle of aspect `nu : nv` inside `cell`, centred.
pub fn fit(nu: u32, nv: u32, cell: Rect) -> Rect {
    let (nu, nv) = (nu.max(1) as u64, nv.max(1) as u64);
    let (cw, ch) = (cell.w as u64, cell.h as u64);
    let (w, h) = if cw * nv <= ch * nu {
        (cw, (cw * nv / nu).max(1))
    } else {
        ((ch * nu / nv).max(1), ch)
    };
    Rect::new(
        cell.x + ((cw - w) / 2) as i32,
        cell.y + ((ch - h) / 2) as i32,
        w as u32,
        h as u32,
    )
}

/// Draws `plane` (one pixel per site) scaled into `map`, nearest neighbour.
pub fn draw_plane(img: &mut RgbImage, plane: &RgbImage, map: Rect) {
    let (nu, nv) = (plane.width() as u64, plane.height() as u64);
    for py in 0..map.h {
        let v = (py as u64 * nv / map.h as u64) as u32;
        for px in 0..map.w {
            let u = (px as u64 * nu / map.w as u64) as u32;
            canvas::put(
                img,
                map.x + px as i32,
                map.y + py as i32,
                plane.get_pixel(u, v).0,
            );
        }
    }
}

/// Text size (em, pixels) for a cell, by its shorter side: 10 px below 240 px, 13
/// below 480, 17 below 1200, then 24.
pub fn text_size(cell: Rect) -> f32 {
    match cell.w.min(cell.h) {
        0..240 => 10.0,
        240..480 => 13.0,
        480..1200 => 17.0,
        _ => 24.0,
    }
}

/// The scale bar's length in µm: the largest 1, 2 or 5 × 10^k not over `target`.
pub fn nice_length(target: f64) -> f64 {
    if !(target.is_finite() && target > 0.0) {
        return 0.0;
    }
    let p = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&v| v <= target * (1.0 + 1e-9))
        .unwrap_or(p)
}

pub fn length_label(um: f64) -> String {
    if um >= 1000.0 {
        format!("{} mm", tick_label(um / 1000.0))
    } else {
        format!("{} µm", tick_label(um))
    }
}

/// What the overlays of one panel say.
pub struct Overlay<'a> {
    pub title: &'a str,
    pub time: &'a str,
    pub key: &'a Key,
    /// µm per pixel of the map (0: no scale bar).
    pub um_per_px: f64,
}

struct Metrics {
    /// Text size (em, pixels).
    s: f32,
    pad: i32,
    margin: i32,
    /// Line height.
    th: i32,
    gap: i32,
    /// Scale bar thickness.
    bar: i32,
}

impl Metrics {
    /// Spacing in eighths of a line, as it was with the 8-pixel bitmap font.
    fn new(s: f32) -> Metrics {
        let th = text_height(s) as i32;
        let eighths = |k: i32| ((k * th + 4) / 8).max(1);
        Metrics {
            s,
            pad: eighths(3),
            margin: eighths(4),
            th,
            gap: eighths(3),
            bar: eighths(2),
        }
    }
}

fn dark_box(img: &mut RgbImage, r: Rect) {
    blend_rect(img, r, BLACK, BOX_ALPHA);
}

/// Draws the overlays of a panel into its cell; `map` is where its map lies.
pub fn draw_overlays(img: &mut RgbImage, cell: Rect, map: Rect, o: &Overlay) {
    if cell.w.min(cell.h) < MIN_OVERLAY_SIDE {
        return;
    }
    let m = Metrics::new(text_size(cell));
    // Title and time, top left.
    let lines: Vec<&str> = [o.title, o.time]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
    let tw = lines.iter().map(|l| text_width(l, m.s)).max().unwrap_or(0) as i32;
    let title_box = Rect::new(
        cell.x + m.margin,
        cell.y + m.margin,
        (tw + 2 * m.pad) as u32,
        (lines.len() as i32 * (m.th + m.gap) - m.gap + 2 * m.pad) as u32,
    );
    dark_box(img, title_box);
    for (k, l) in lines.iter().enumerate() {
        let y = title_box.y + m.pad + k as i32 * (m.th + m.gap);
        text(img, title_box.x + m.pad, y, l, m.s, WHITE);
    }
    // Key, top right (bottom right when it would cover the title).
    let (kw, kh) = key_size(o.key, &m, cell);
    let mut kx = cell.right() - m.margin - kw as i32;
    let mut ky = cell.y + m.margin;
    if kx < title_box.right() + m.margin {
        kx = kx.max(cell.x + m.margin);
        ky = cell.bottom() - m.margin - kh as i32;
    }
    draw_key(img, o.key, &m, Rect::new(kx, ky, kw, kh));
    // Scale bar, bottom left.
    if o.um_per_px > 0.0 {
        let um = nice_length(map.w as f64 / 5.0 * o.um_per_px);
        let px = (um / o.um_per_px).round() as i32;
        if um > 0.0 && px >= 4 {
            let label = length_label(um);
            let lw = text_width(&label, m.s) as i32;
            let bar_h = m.bar;
            let w = px.max(lw) + 2 * m.pad;
            let h = m.th + m.gap + bar_h + 2 * m.pad;
            let r = Rect::new(
                cell.x + m.margin,
                cell.bottom() - m.margin - h,
                w as u32,
                h as u32,
            );
            dark_box(img, r);
            text(
                img,
                r.x + m.pad + (px.max(lw) - lw) / 2,
                r.y + m.pad,
                &label,
                m.s,
                WHITE,
            );
            let bx = r.x + m.pad + (px.max(lw) - px) / 2;
            fill(
                img,
                Rect::new(bx, r.y + m.pad + m.th + m.gap, px as u32, bar_h as u32),
                WHITE,
            );
        }
    }
}

fn key_size(key: &Key, m: &Metrics, cell: Rect) -> (u32, u32) {
    match key {
        Key::Legend(entries) => {
            let tw = entries
                .iter()
                .map(|(n, _)| text_width(n, m.s))
                .max()
                .unwrap_or(0) as i32;
            let w = 2 * m.pad + m.th + m.gap + tw;
            let h = 2 * m.pad + entries.len() as i32 * (m.th + m.gap) - m.gap;
            (w as u32, h.max(0) as u32)
        }
        Key::Bar { range, label, .. } => {
            let labels = super::palette::Colouring::bar_labels(range);
            let lw = labels.iter().map(|l| text_width(l, m.s)).max().unwrap_or(0) as i32;
            let bar_w = 2 * m.th;
            let w = (bar_w + m.gap + lw).max(text_width(label, m.s) as i32) + 2 * m.pad;
            let h = 2 * m.pad + m.th + m.gap + bar_height(m, cell);
            (w as u32, h as u32)
        }
    }
}

fn bar_height(m: &Metrics, cell: Rect) -> i32 {
    (cell.h as i32 * 3 / 10).clamp(4 * m.th, 24 * m.th)
}

fn draw_key(img: &mut RgbImage, key: &Key, m: &Metrics, r: Rect) {
    dark_box(img, r);
    let (x, y) = (r.x + m.pad, r.y + m.pad);
    match key {
        Key::Legend(entries) => {
            for (k, (name, c)) in entries.iter().enumerate() {
                let row = y + k as i32 * (m.th + m.gap);
                let sw = Rect::new(x, row, m.th as u32, m.th as u32);
                fill(img, sw, *c);
                outline(img, sw, WHITE);
                text(img, x + m.th + m.gap, row, name, m.s, WHITE);
            }
        }
        Key::Bar { map, range, label } => {
            text(img, x, y, label, m.s, WHITE);
            let top = y + m.th + m.gap;
            let bh = r.bottom() - m.pad - top;
            let bar_w = 2 * m.th;
            for k in 0..bh {
                // Top row is the high end.
                let t = if bh > 1 {
                    1.0 - k as f64 / (bh - 1) as f64
                } else {
                    1.0
                };
                fill(img, Rect::new(x, top + k, bar_w as u32, 1), map.at(t));
            }
            outline(img, Rect::new(x, top, bar_w as u32, bh as u32), WHITE);
            let labels = super::palette::Colouring::bar_labels(range);
            let ys = [top, top + bh / 2 - m.th / 2, top + bh - m.th];
            for (l, ly) in labels.iter().zip(ys) {
                text(img, x + bar_w + m.gap, ly, l, m.s, WHITE);
                fill(
                    img,
                    Rect::new(x + bar_w, ly + m.th / 2, (m.gap / 2).max(1) as u32, 1),
                    WHITE,
                );
            }
        }
    }
}

/// "day 3.50 · 84 h" for a simulated time in hours.
pub fn time_label(hours: f64) -> String {
    format!("day {:.2} · {} h", hours / 24.0, tick_label(hours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_helpers() {
        assert_eq!(cells(3, 100, 10).iter().map(|r| r.w).sum::<u32>(), 100);
        assert_eq!(
            fit(10, 5, Rect::new(0, 0, 100, 100)),
            Rect::new(0, 25, 100, 50)
        );
        assert_eq!(
            fit(5, 10, Rect::new(10, 0, 100, 100)),
            Rect::new(35, 0, 50, 100)
        );
        assert_eq!(nice_length(730.0), 500.0);
        assert_eq!(nice_length(199.0), 100.0);
        assert_eq!(nice_length(20.0), 20.0);
        assert_eq!(length_label(2000.0), "2 mm");
        assert_eq!(length_label(50.0), "50 µm");
        assert_eq!(time_label(84.0), "day 3.50 · 84 h");
    }
}
