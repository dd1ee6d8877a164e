//! Text in an embedded font: DejaVu Sans (a subset, `assets/fonts/`), rasterised
//! anti-aliased by `ab_glyph` into coverage and blended with integer arithmetic. The
//! font lives in the binary and glyphs are laid out left to right by their advance
//! widths (no kerning, no shaping), so the same text gives the same pixels on every
//! run and thread count, and no system font is ever looked up.
//!
//! Sizes are the em size in pixels (CSS `font-size`). Characters the font lacks are
//! drawn as U+FFFD, the replacement character.

use ab_glyph::{point, Font, FontRef, GlyphId, PxScale, ScaleFont};
use image::RgbImage;
use std::sync::LazyLock;

/// The embedded font's family name.
pub const FAMILY: &str = "DejaVu Sans";
/// The `font-family` of SVG text: the embedded font first, then fonts of close
/// metrics (Bitstream Vera Sans is the same design; Verdana is near it).
pub const SVG_FAMILY: &str = "DejaVu Sans, Bitstream Vera Sans, Verdana, Arial, sans-serif";

static BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-subset.ttf");

static FONT: LazyLock<FontRef<'static>> = LazyLock::new(|| {
    FontRef::try_from_slice(BYTES).expect("the embedded font is a valid TrueType file")
});

/// The embedded font (for tests and callers that need its raw metrics).
pub fn font() -> &'static FontRef<'static> {
    &FONT
}

/// `ab_glyph` scales by ascent − descent, not by the em.
fn scale(size: f32) -> PxScale {
    let f = font();
    let upem = f.units_per_em().unwrap_or(2048.0);
    PxScale::from(size.max(0.0) * f.height_unscaled() / upem)
}

/// The glyph drawn for `c`: its own, else U+FFFD, else the font's `.notdef`.
pub fn glyph_id(c: char) -> GlyphId {
    let f = font();
    match f.glyph_id(c) {
        GlyphId(0) => f.glyph_id('\u{FFFD}'),
        id => id,
    }
}

/// Pen positions of each glyph of `text` from the origin, and the total advance.
fn layout(text: &str, size: f32) -> (Vec<(GlyphId, f32)>, f32) {
    let f = font().as_scaled(scale(size));
    let mut pen = 0.0f32;
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = glyph_id(c);
        out.push((id, pen));
        pen += f.h_advance(id);
    }
    (out, pen)
}

/// Width in pixels of `text` at `size`: the sum of its advances, rounded.
pub fn text_width(text: &str, size: f32) -> u32 {
    layout(text, size).1.round() as u32
}

/// Height in pixels of one line at `size`: ascent − descent, rounded.
pub fn text_height(size: f32) -> u32 {
    font().as_scaled(scale(size)).height().round() as u32
}

/// Pixels from the top of a line to its baseline at `size`.
pub fn ascent(size: f32) -> i32 {
    font().as_scaled(scale(size)).ascent().round() as i32
}

/// Height of a lower-case `x` in pixels at `size` (what CSS calls 1ex).
pub fn x_height(size: f32) -> f32 {
    let f = font();
    let upem = f.units_per_em().unwrap_or(2048.0);
    // Outline bounds hold font units, y up; `min.y` is the top.
    let top = f.outline(f.glyph_id('x')).map_or(0.0, |o| o.bounds.min.y);
    top * size / upem
}

/// Coverage (0..=255) of `text` at `size`, `w × h` row-major, its top-left corner at
/// (`x`, `y`) from the pen's start on the baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub x: i32,
    pub y: i32,
    pub w: u32,
    pub h: u32,
    pub data: Vec<u8>,
}

impl Coverage {
    /// Calls `f(x, y, coverage)` for every covered pixel, row by row, in
    /// coordinates from the pen's start on the baseline.
    pub fn for_each(&self, mut f: impl FnMut(i32, i32, u8)) {
        for (i, &c) in self.data.iter().enumerate() {
            if c > 0 {
                let (dx, dy) = ((i as u32 % self.w) as i32, (i as u32 / self.w) as i32);
                f(self.x + dx, self.y + dy, c);
            }
        }
    }
}

/// Rasterises `text` at `size`, glyphs accumulated (clamped) before rounding, so
/// overlapping glyph boxes do not darken where they meet.
pub fn raster(text: &str, size: f32) -> Coverage {
    let f = font();
    let sc = scale(size);
    let (glyphs, _) = layout(text, size);
    let outlined: Vec<_> = glyphs
        .into_iter()
        .filter_map(|(id, pen)| f.outline_glyph(id.with_scale_and_position(sc, point(pen, 0.0))))
        .collect();
    let (mut x0, mut y0, mut x1, mut y1) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
    for g in &outlined {
        let b = g.px_bounds();
        x0 = x0.min(b.min.x as i32);
        y0 = y0.min(b.min.y as i32);
        x1 = x1.max(b.max.x as i32);
        y1 = y1.max(b.max.y as i32);
    }
    if x0 >= x1 || y0 >= y1 {
        return Coverage {
            x: 0,
            y: 0,
            w: 0,
            h: 0,
            data: Vec::new(),
        };
    }
    let (w, h) = ((x1 - x0) as u32, (y1 - y0) as u32);
    let mut acc = vec![0.0f32; (w * h) as usize];
    for g in &outlined {
        let b = g.px_bounds();
        let (gx, gy) = (b.min.x as i32 - x0, b.min.y as i32 - y0);
        g.draw(|px, py, c| {
            let (x, y) = (gx + px as i32, gy + py as i32);
            if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                acc[(y as u32 * w + x as u32) as usize] += c;
            }
        });
    }
    Coverage {
        x: x0,
        y: y0,
        w,
        h,
        data: acc
            .into_iter()
            .map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect(),
    }
}

/// Draws `text` at `size` in `colour` with the top-left corner of its line at
/// (`x`, `y`) (the baseline `ascent(size)` below), clipped to the image.
pub fn draw(img: &mut RgbImage, x: i32, y: i32, text: &str, size: f32, colour: [u8; 3]) {
    let base = y + ascent(size);
    raster(text, size).for_each(|dx, dy, c| {
        let (px, py) = (x + dx, base + dy);
        if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height() {
            let p = img.get_pixel_mut(px as u32, py as u32);
            p.0 = super::canvas::blend(colour, p.0, c as u32);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The advances of `text` straight from the font's `hmtx`, in pixels at `size`.
    fn advances(text: &str, size: f32) -> f32 {
        let face = font();
        let upem = face.units_per_em().unwrap();
        text.chars()
            .map(|c| face.h_advance_unscaled(face.glyph_id(c)) * size / upem)
            .sum()
    }

    #[test]
    fn the_font_is_dejavu_sans_with_the_characters_labels_use() {
        let f = font();
        assert_eq!(f.units_per_em(), Some(2048.0));
        for c in "Aa0µ°²³×–—≥≤±αβγΔπσ·₂\u{FFFD}".chars() {
            assert_ne!(f.glyph_id(c), GlyphId(0), "{c:?} is missing");
        }
        // DejaVu Sans's digits all advance 1303 units.
        for c in '0'..='9' {
            assert_eq!(f.h_advance_unscaled(f.glyph_id(c)), 1303.0);
        }
    }

    #[test]
    fn width_is_the_sum_of_the_advances() {
        for (s, size) in [
            ("tumour burden", 16.0),
            ("pO2 (mmHg)", 13.0),
            ("50 µm", 11.5),
        ] {
            assert_eq!(text_width(s, size), advances(s, size).round() as u32, "{s}");
        }
        // Ten digits at 2048 px per em: exactly 10 × 1303 px.
        assert_eq!(text_width("0123456789", 2048.0), 13030);
        assert_eq!(text_width("", 16.0), 0);
        assert!(text_width("i", 16.0) < text_width("m", 16.0));
    }

    #[test]
    fn line_metrics_follow_the_font() {
        // DejaVu Sans: ascent 1901, descent −483 units of 2048.
        assert_eq!(text_height(2048.0), 1901 + 483);
        assert_eq!(ascent(2048.0), 1901);
        assert_eq!(text_height(16.0), 19);
        assert_eq!(x_height(2048.0), 1120.0);
    }

    #[test]
    fn glyphs_are_anti_aliased_and_sit_on_the_baseline() {
        let c = raster("Ag", 16.0);
        let mid = c.data.iter().filter(|&&v| v > 0 && v < 255).count();
        let full = c.data.iter().filter(|&&v| v == 255).count();
        assert!(mid > 10 && full > 5, "{mid} partial, {full} full pixels");
        // Caps rise about 0.73 em above the baseline; the g descends below it.
        assert!((-13..=-11).contains(&c.y), "top {}", c.y);
        assert!(c.y + c.h as i32 > 2);
        assert!(c.x >= 0 && c.x + (c.w as i32) <= text_width("Ag", 16.0) as i32 + 1);
    }

    #[test]
    fn drawing_is_repeatable_and_blends_into_the_image() {
        let paint = || {
            let mut img = RgbImage::from_pixel(120, 30, image::Rgb([250, 250, 252]));
            draw(&mut img, 4, 4, "day 3.50 · 84 h", 14.0, [30, 30, 40]);
            img
        };
        let (a, b) = (paint(), paint());
        assert_eq!(a.as_raw(), b.as_raw());
        let grey = a
            .pixels()
            .filter(|p| p.0 != [250, 250, 252] && p.0 != [30, 30, 40])
            .count();
        assert!(grey > 20, "{grey} blended pixels");
        // Off the image: clipped, no panic.
        let mut img = RgbImage::new(8, 8);
        draw(&mut img, -30, -5, "clipped", 14.0, [255; 3]);
    }

    #[test]
    fn characters_the_font_lacks_become_the_replacement_glyph() {
        let (w, r) = (text_width("中", 14.0), text_width("\u{FFFD}", 14.0));
        assert!(w > 0);
        assert_eq!(w, r);
        assert_eq!(raster("中", 14.0), raster("\u{FFFD}", 14.0));
        // O₂ and µm are in the font: no replacement.
        assert_ne!(raster("O₂", 14.0), raster("O\u{FFFD}", 14.0));
        assert!(text_width("µm", 14.0) > 0);
    }
}
