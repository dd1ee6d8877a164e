//! Legends drawn in pixels: a box of keys and texts, stacked or in one row, placed by
//! its top-right corner.

use super::{font, DrawResult, AXIS_LINE, SMALL};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What stands before a legend text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Key {
    Blank,
    Square(RGBColor),
    Line(RGBColor),
    /// The waterfall's mark of a bar cut at the clamp.
    Triangle,
    /// The swimmer's progression mark.
    Diamond,
    /// The swimmer's ongoing mark.
    Arrow,
}

/// A legend's rows: each a key and its text.
pub(crate) type Rows = Vec<(Key, String)>;

const KEY_W: i32 = 26;
const PAD: i32 = 8;
const GAP: i32 = 18;
/// Pixels from one stacked row to the next: fixed, so a figure's size is known before
/// any text is measured.
pub(crate) const PITCH: i32 = 20;

/// The legend's box height for `rows` rows stacked.
pub(crate) fn stacked_height(rows: usize) -> i32 {
    if rows == 0 {
        0
    } else {
        2 * PAD + PITCH * rows as i32 - 6
    }
}

fn draw_key<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    key: Key,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let ink = AXIS_LINE.filled();
    match key {
        Key::Blank => {}
        Key::Square(c) => root.draw(&Rectangle::new([(x, y - 6), (x + 16, y + 6)], c.filled()))?,
        Key::Line(c) => root.draw(&PathElement::new(
            vec![(x, y), (x + 18, y)],
            c.stroke_width(3),
        ))?,
        Key::Triangle => root.draw(&Polygon::new(
            vec![(x + 2, y + 5), (x + 14, y + 5), (x + 8, y - 6)],
            ink,
        ))?,
        Key::Diamond => root.draw(&Polygon::new(
            vec![(x + 8, y - 7), (x + 15, y), (x + 8, y + 7), (x + 1, y)],
            BLACK.filled(),
        ))?,
        Key::Arrow => root.draw(&Polygon::new(
            vec![(x + 3, y - 7), (x + 14, y), (x + 3, y + 7)],
            BLACK.filled(),
        ))?,
    }
    Ok(())
}

/// The legend's (width, height) in pixels.
pub(crate) fn legend_size<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[(Key, String)],
    in_a_row: bool,
) -> DrawResult<(i32, i32)>
where
    DB::ErrorType: 'static,
{
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let style = font(SMALL);
    let mut items = Vec::new();
    for (key, t) in rows {
        let w = root.estimate_text_size(t, &style)?.0 as i32;
        items.push(if *key == Key::Blank && in_a_row {
            w
        } else {
            KEY_W + w
        });
    }
    Ok(if in_a_row {
        let sum: i32 = items.iter().sum();
        (
            2 * PAD + sum + GAP * (rows.len() as i32 - 1),
            2 * PAD + PITCH - 6,
        )
    } else {
        let widest = items.iter().copied().max().unwrap_or(0);
        (2 * PAD + widest, stacked_height(rows.len()))
    })
}

/// Draws the legend with its top-right corner at `top_right`; returns its (width,
/// height). Rows are stacked, or side by side when `in_a_row`.
pub(crate) fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    top_right: (i32, i32),
    rows: &[(Key, String)],
    in_a_row: bool,
) -> DrawResult<(i32, i32)>
where
    DB::ErrorType: 'static,
{
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let (w, h) = legend_size(root, rows, in_a_row)?;
    let style = font(SMALL).pos(Pos::new(HPos::Left, VPos::Center));
    let (x0, y0) = (top_right.0 - w, top_right.1);
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        WHITE.mix(0.9).filled(),
    ))?;
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        RGBColor(170, 170, 176).stroke_width(1),
    ))?;
    let mut x = x0 + PAD;
    for (k, (key, text)) in rows.iter().enumerate() {
        let y = y0 + PAD + (PITCH - 6) / 2 + if in_a_row { 0 } else { k as i32 * PITCH };
        let kx = if in_a_row { x } else { x0 + PAD };
        draw_key(root, (kx, y), *key)?;
        let tx = if in_a_row && *key == Key::Blank {
            kx
        } else {
            kx + KEY_W
        };
        root.draw(&Text::new(text.clone(), (tx, y), style.clone()))?;
        if in_a_row {
            x = tx + root.estimate_text_size(text, &style)?.0 as i32 + GAP;
        }
    }
    Ok((w, h))
}
