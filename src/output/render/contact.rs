//! The contact sheet: a run's frames as thumbnails in a grid, each labelled with its
//! frame number and simulated time, in one PNG (`frames/contact_sheet.png`).

use super::canvas::{self, fill, text, Rect, Rgb};
use super::font::{text_height, text_width};
use super::RenderError;
use image::RgbImage;
use std::path::Path;

pub const FILE: &str = "contact_sheet.png";
/// At most this many frames, evenly spaced, first and last included.
pub const MAX_FRAMES: usize = 48;
/// Longer side of a thumbnail.
pub const THUMB: u32 = 200;
const BACKGROUND: Rgb = [250, 250, 252];
const INK: Rgb = [30, 30, 40];
/// Size (em, pixels) of the thumbnails' labels.
const LABEL_SIZE: f32 = 12.0;

/// Which of `n` frames the sheet shows.
pub fn pick(n: usize) -> Vec<usize> {
    if n <= MAX_FRAMES {
        return (0..n).collect();
    }
    (0..MAX_FRAMES)
        .map(|k| k * (n - 1) / (MAX_FRAMES - 1))
        .collect()
}

/// Shrinks `img` to fit in `side × side` by averaging boxes (integer arithmetic).
pub fn thumbnail(img: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let long = w.max(h).max(1);
    if long <= side {
        return img.clone();
    }
    let tw = (w as u64 * side as u64 / long as u64).max(1) as u32;
    let th = (h as u64 * side as u64 / long as u64).max(1) as u32;
    RgbImage::from_fn(tw, th, |x, y| {
        let x0 = (x as u64 * w as u64 / tw as u64) as u32;
        let x1 = (((x + 1) as u64 * w as u64 / tw as u64) as u32).max(x0 + 1);
        let y0 = (y as u64 * h as u64 / th as u64) as u32;
        let y1 = (((y + 1) as u64 * h as u64 / th as u64) as u32).max(y0 + 1);
        let mut sum = [0u64; 3];
        for yy in y0..y1 {
            for xx in x0..x1 {
                let p = img.get_pixel(xx, yy).0;
                for c in 0..3 {
                    sum[c] += p[c] as u64;
                }
            }
        }
        let n = ((x1 - x0) * (y1 - y0)) as u64;
        image::Rgb(sum.map(|s| ((s + n / 2) / n) as u8))
    })
}

/// Builds the sheet from frames on disk: `frames[i]` = (file, label).
pub fn sheet(frames: &[(std::path::PathBuf, String)]) -> Result<RgbImage, RenderError> {
    let chosen = pick(frames.len());
    let mut thumbs = Vec::with_capacity(chosen.len());
    for &k in &chosen {
        let (path, label) = &frames[k];
        let img = image::open(path)
            .map_err(|source| RenderError::Encode {
                path: path.clone(),
                source,
            })?
            .to_rgb8();
        thumbs.push((thumbnail(&img, THUMB), format!("#{k}  {label}")));
    }
    let n = thumbs.len().max(1) as u32;
    let cols = ((n as f64).sqrt().ceil() as u32).clamp(1, 8);
    let rows = n.div_ceil(cols);
    let tw = thumbs.iter().map(|(t, _)| t.width()).max().unwrap_or(THUMB);
    let th = thumbs
        .iter()
        .map(|(t, _)| t.height())
        .max()
        .unwrap_or(THUMB);
    let (gap, lh) = (8u32, text_height(LABEL_SIZE) + 4);
    let cw = tw.max(
        thumbs
            .iter()
            .map(|(_, l)| text_width(l, LABEL_SIZE))
            .max()
            .unwrap_or(0),
    );
    let mut img = RgbImage::from_pixel(
        gap + cols * (cw + gap),
        gap + rows * (th + lh + gap),
        image::Rgb(BACKGROUND),
    );
    for (i, (t, label)) in thumbs.iter().enumerate() {
        let (c, r) = (i as u32 % cols, i as u32 / cols);
        let x = (gap + c * (cw + gap)) as i32;
        let y = (gap + r * (th + lh + gap)) as i32;
        fill(
            &mut img,
            Rect::new(x - 1, y - 1, t.width() + 2, t.height() + 2),
            INK,
        );
        canvas::blit(&mut img, t, x, y);
        text(&mut img, x, y + th as i32 + 2, label, LABEL_SIZE, INK);
    }
    Ok(img)
}

/// Writes `frames_dir/contact_sheet.png` from the frames listed.
pub fn write(
    frames_dir: &Path,
    frames: &[(std::path::PathBuf, String)],
) -> Result<(), RenderError> {
    if frames.is_empty() {
        return Ok(());
    }
    super::write_png(&sheet(frames)?, &frames_dir.join(FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_spread_over_the_run() {
        assert_eq!(pick(3), vec![0, 1, 2]);
        let p = pick(1000);
        assert_eq!((p.len(), p[0], *p.last().unwrap()), (MAX_FRAMES, 0, 999));
        let img = RgbImage::from_pixel(400, 100, image::Rgb([10, 20, 30]));
        let t = thumbnail(&img, 200);
        assert_eq!(t.dimensions(), (200, 50));
        assert_eq!(t.get_pixel(5, 5).0, [10, 20, 30]);
    }
}
