//! Labels in a public-domain 8 × 8 bitmap font (the `font8x8` crate), set
//! proportionally: each glyph advances by its inked width plus one pixel. No system
//! fonts, no anti-aliasing, so the same text gives the same pixels everywhere.

use font8x8::legacy::{BASIC_LEGACY, LATIN_LEGACY};

/// Glyph cell height in pixels at scale 1.
pub const GLYPH_H: u32 = 8;
/// Advance of a space at scale 1.
const SPACE_W: u32 = 4;

/// The 8 rows of a glyph (bit 0 = leftmost pixel); `?` for characters the font lacks.
fn rows(c: char) -> [u8; 8] {
    let code = c as u32;
    let g = match code {
        0x20..=0x7e => Some(BASIC_LEGACY[code as usize]),
        0xa0..=0xff => Some(LATIN_LEGACY[(code - 0xa0) as usize]),
        _ => None,
    };
    match g {
        Some(g) if g.iter().any(|&r| r != 0) || c == ' ' => g,
        _ => BASIC_LEGACY[b'?' as usize],
    }
}

/// First inked column and inked width of a glyph (a space: 0 and `SPACE_W - 1`).
fn ink(g: &[u8; 8]) -> (u32, u32) {
    let bits = g.iter().fold(0u8, |a, r| a | r);
    if bits == 0 {
        return (0, SPACE_W - 1);
    }
    let first = bits.trailing_zeros();
    let last = 7 - bits.leading_zeros();
    (first, last - first + 1)
}

/// Width in pixels of `text` at `scale` (no trailing gap).
pub fn text_width(text: &str, scale: u32) -> u32 {
    let w: u32 = text.chars().map(|c| ink(&rows(c)).1 + 1).sum();
    w.saturating_sub(1) * scale
}

/// Height of one line of text at `scale`.
pub fn text_height(scale: u32) -> u32 {
    GLYPH_H * scale
}

/// Calls `plot(x, y)` for every inked pixel of `text` with its top-left corner at
/// the origin, laid out left to right at `scale`.
pub fn for_each_pixel(text: &str, scale: u32, mut plot: impl FnMut(i32, i32)) {
    let s = scale.max(1) as i32;
    let mut pen = 0i32;
    for c in text.chars() {
        let g = rows(c);
        let (first, width) = ink(&g);
        for (row, bits) in g.iter().enumerate() {
            for col in 0..8u32 {
                if bits >> col & 1 == 1 {
                    let x0 = pen + (col as i32 - first as i32) * s;
                    let y0 = row as i32 * s;
                    for dy in 0..s {
                        for dx in 0..s {
                            plot(x0 + dx, y0 + dy);
                        }
                    }
                }
            }
        }
        pen += (width as i32 + 1) * s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_proportional_and_scale() {
        assert!(text_width("i", 1) < text_width("m", 1));
        assert_eq!(text_width("ab", 2), 2 * text_width("ab", 1));
        assert_eq!(text_width("", 1), 0);
        let mut n = 0;
        for_each_pixel("µm", 1, |_, _| n += 1);
        assert!(n > 10);
    }
}
