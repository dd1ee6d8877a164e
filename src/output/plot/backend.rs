//! A plotters backend wrapper that sets text in the embedded font (`render::font`),
//! so plots need no system fonts and give the same pixels everywhere. PNG plots draw
//! the glyphs anti-aliased; SVG plots keep plotters' `<text>` elements, which name the
//! same font first (`font::SVG_FAMILY`), and both are laid out with its metrics and
//! placed by the SVG backend's rules, so the two agree where the viewer has the font.

use crate::output::render::font;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// Em size in pixels of a plotters font size: plotters' SVG backend writes
/// `font-size` as the size over 1.24.
pub fn em(size: f64) -> f32 {
    (size / 1.24) as f32
}

/// Pixels from a text's anchor point down to its baseline, as plotters' SVG backend
/// places `<text>` (`dy` of 0.76em at the top, ±0.5ex at the centre and bottom).
pub fn baseline_offset(v: VPos, em: f32) -> i32 {
    match v {
        VPos::Top => (0.76 * em).round() as i32,
        VPos::Center => (0.5 * font::x_height(em)).round() as i32,
        VPos::Bottom => -(0.5 * font::x_height(em)).round() as i32,
    }
}

/// Wraps a backend; `raster` draws text as glyphs, else the inner backend does.
pub struct Labelled<B> {
    pub inner: B,
    pub raster: bool,
}

impl<B: DrawingBackend> DrawingBackend for Labelled<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        if !self.raster {
            return self.inner.draw_text(text, style, pos);
        }
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let size = em(style.size());
        let w = font::text_width(text, size) as i32;
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -w,
            HPos::Center => -w / 2,
        };
        let dy = baseline_offset(style.anchor().v_pos, size);
        let trans = style.transform();
        let (iw, ih) = self.inner.get_size();
        let mut result = Ok(());
        font::raster(text, size).for_each(|x, y, c| {
            let (x, y) = trans.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if result.is_ok() && x >= 0 && y >= 0 && x < iw as i32 && y < ih as i32 {
                let color = BackendColor {
                    alpha: color.alpha * c as f64 / 255.0,
                    rgb: color.rgb,
                };
                result = self.inner.draw_pixel((x, y), color);
            }
        });
        result
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
        // From about the cap height above the baseline to the descenders: one em.
        let size = em(style.size());
        Ok((font::text_width(text, size), size.round() as u32))
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.blit_bitmap(pos, size, src)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;
    use plotters::style::text_anchor::Pos;
    use plotters::style::FontTransform;

    const W: u32 = 240;

    /// Draws `text` at the centre of a white square in black; returns the inked
    /// bounding box (x0, y0, x1, y1) and the count of grey (partly covered) pixels.
    fn ink(text: &str, style: TextStyle) -> ((u32, u32, u32, u32), usize) {
        let mut buf = vec![255u8; (W * W * 3) as usize];
        {
            let backend = Labelled {
                inner: BitMapBackend::with_buffer(&mut buf, (W, W)),
                raster: true,
            };
            let root = backend.into_drawing_area();
            root.draw_text(text, &style, (W as i32 / 2, W as i32 / 2))
                .unwrap();
            root.present().unwrap();
        }
        let (mut b, mut grey) = ((u32::MAX, u32::MAX, 0, 0), 0);
        for (i, px) in buf.chunks(3).enumerate() {
            if px[0] < 255 {
                let (x, y) = (i as u32 % W, i as u32 / W);
                b = (b.0.min(x), b.1.min(y), b.2.max(x + 1), b.3.max(y + 1));
                grey += usize::from(px[0] > 0);
            }
        }
        (b, grey)
    }

    fn style(transform: FontTransform, pos: Pos) -> TextStyle<'static> {
        TextStyle::from((font::SVG_FAMILY, 24).into_font())
            .transform(transform)
            .pos(pos)
            .color(&BLACK)
    }

    #[test]
    fn text_is_anti_aliased_and_placed_by_the_svg_rules() {
        let top_left = Pos::new(HPos::Left, VPos::Top);
        let ((x0, y0, x1, y1), grey) = ink("Hx", style(FontTransform::None, top_left));
        let size = em(24.0);
        let w = font::text_width("Hx", size);
        assert!(grey > 20, "{grey} partly covered pixels");
        // The H's left side bearing is under two pixels; its top (the cap height,
        // 0.73 em) lies about 0.76 em − 0.73 em below the anchor.
        assert!((120..=122).contains(&x0), "left {x0}");
        assert!(x1 <= 120 + w && x1 + 3 >= 120 + w, "right {x1}, width {w}");
        assert!((119..=121).contains(&y0), "top {y0}");
        assert_eq!(y1 as i32, 120 + baseline_offset(VPos::Top, size));
    }

    #[test]
    fn rotated_text_runs_up_the_image() {
        let centre = Pos::new(HPos::Center, VPos::Center);
        let (flat, _) = ink("time (days)", style(FontTransform::None, centre));
        let (up, _) = ink("time (days)", style(FontTransform::Rotate270, centre));
        // Rotating by 270° swaps the box's sides and keeps it at the anchor.
        assert_eq!(
            (up.2 - up.0, up.3 - up.1),
            (flat.3 - flat.1, flat.2 - flat.0)
        );
        assert!(up.3 - up.1 > 3 * (up.2 - up.0));
        assert!(up.1 < 120 && up.3 > 120 && up.0 <= 120 + 12 && up.2 >= 120 - 12);
    }

    #[test]
    fn layout_uses_the_fonts_metrics_for_png_and_svg() {
        let style = TextStyle::from((font::SVG_FAMILY, 16).into_font());
        let expected = (font::text_width("pO2 (mmHg)", em(16.0)), 13);
        let mut buf = vec![0u8; 30 * 30 * 3];
        let png = Labelled {
            inner: BitMapBackend::with_buffer(&mut buf, (30, 30)),
            raster: true,
        };
        assert_eq!(
            png.estimate_text_size("pO2 (mmHg)", &style).unwrap(),
            expected
        );
        let mut text = String::new();
        let svg = Labelled {
            inner: SVGBackend::with_string(&mut text, (30, 30)),
            raster: false,
        };
        assert_eq!(
            svg.estimate_text_size("pO2 (mmHg)", &style).unwrap(),
            expected
        );
    }
}
