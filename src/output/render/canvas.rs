//! Pixel drawing on an RGB image: rectangles, blended boxes, lines of text. Integer
//! arithmetic only (text coverage comes from `font`), clipped to the image, so drawing
//! is exact and repeatable.

use super::font;
use image::RgbImage;

pub type Rgb = [u8; 3];

pub const WHITE: Rgb = [255, 255, 255];
pub const BLACK: Rgb = [0, 0, 0];

/// An axis-aligned rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    pub fn new(x: i32, y: i32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }

    pub fn right(&self) -> i32 {
        self.x + self.w as i32
    }

    pub fn bottom(&self) -> i32 {
        self.y + self.h as i32
    }
}

/// `a` over `b` with opacity `alpha` in 0..=255, rounded.
pub fn blend(a: Rgb, b: Rgb, alpha: u32) -> Rgb {
    let alpha = alpha.min(255);
    std::array::from_fn(|i| ((a[i] as u32 * alpha + b[i] as u32 * (255 - alpha) + 127) / 255) as u8)
}

pub fn put(img: &mut RgbImage, x: i32, y: i32, c: Rgb) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, image::Rgb(c));
    }
}

pub fn fill(img: &mut RgbImage, r: Rect, c: Rgb) {
    blend_rect(img, r, c, 255);
}

/// Paints `c` over the rectangle with opacity `alpha` (0..=255).
pub fn blend_rect(img: &mut RgbImage, r: Rect, c: Rgb, alpha: u32) {
    let x0 = r.x.max(0) as u32;
    let y0 = r.y.max(0) as u32;
    let x1 = (r.right().max(0) as u32).min(img.width());
    let y1 = (r.bottom().max(0) as u32).min(img.height());
    for y in y0..y1 {
        for x in x0..x1 {
            let p = img.get_pixel_mut(x, y);
            p.0 = blend(c, p.0, alpha);
        }
    }
}

/// A one-pixel-wide rectangle outline.
pub fn outline(img: &mut RgbImage, r: Rect, c: Rgb) {
    fill(img, Rect::new(r.x, r.y, r.w, 1), c);
    fill(img, Rect::new(r.x, r.bottom() - 1, r.w, 1), c);
    fill(img, Rect::new(r.x, r.y, 1, r.h), c);
    fill(img, Rect::new(r.right() - 1, r.y, 1, r.h), c);
}

/// Draws `text` at `size` (em, pixels) with the top-left corner of its line at (x, y).
pub fn text(img: &mut RgbImage, x: i32, y: i32, s: &str, size: f32, c: Rgb) {
    font::draw(img, x, y, s, size, c);
}

/// Copies `src` into `img` with its top-left corner at (x, y), clipped.
pub fn blit(img: &mut RgbImage, src: &RgbImage, x: i32, y: i32) {
    for (sx, sy, p) in src.enumerate_pixels() {
        put(img, x + sx as i32, y + sy as i32, p.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blending_is_exact_at_the_ends() {
        assert_eq!(blend([200, 10, 0], [0, 0, 255], 255), [200, 10, 0]);
        assert_eq!(blend([200, 10, 0], [0, 0, 255], 0), [0, 0, 255]);
        let mut img = RgbImage::new(4, 4);
        fill(&mut img, Rect::new(-2, -2, 4, 4), WHITE);
        assert_eq!(img.get_pixel(1, 1).0, WHITE);
        assert_eq!(img.get_pixel(2, 2).0, BLACK);
    }
}
