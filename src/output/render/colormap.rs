//! Perceptual colour maps for continuous values: viridis (fields) and magma (traits),
//! from d3-scale-chromatic via `colorous`, and the value range a panel maps.

use super::canvas::Rgb;

/// Shown where a value is not finite.
pub const NOT_FINITE: Rgb = [128, 128, 128];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    Viridis,
    Magma,
}

impl Colormap {
    pub fn name(self) -> &'static str {
        match self {
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
        }
    }

    /// Colour at `t` in 0..=1 (clamped).
    pub fn at(self, t: f64) -> Rgb {
        if !t.is_finite() {
            return NOT_FINITE;
        }
        let g = match self {
            Colormap::Viridis => colorous::VIRIDIS,
            Colormap::Magma => colorous::MAGMA,
        };
        let c = g.eval_continuous(t.clamp(0.0, 1.0));
        [c.r, c.g, c.b]
    }
}

/// The values mapped to the two ends of a colour map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
}

impl Range {
    /// `lo` at 0 or below, `hi` at the largest finite value; never empty.
    pub fn of(values: impl Iterator<Item = f64>) -> Range {
        let (mut lo, mut hi) = (0.0f64, f64::NEG_INFINITY);
        for v in values.filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        Range::fixed(lo, hi)
    }

    /// `lo..hi`, widened to `lo..lo + 1` when empty.
    pub fn fixed(lo: f64, hi: f64) -> Range {
        if hi.is_finite() && hi > lo {
            Range { lo, hi }
        } else {
            Range { lo, hi: lo + 1.0 }
        }
    }

    pub fn t(&self, v: f64) -> f64 {
        (v - self.lo) / (self.hi - self.lo)
    }
}

/// A number for a colour-bar label: few digits, no trailing zeros.
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    let s = if a == 0.0 {
        "0".to_string()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_run_dark_to_light() {
        let lum = |c: Rgb| c[0] as u32 * 3 + c[1] as u32 * 6 + c[2] as u32;
        for m in [Colormap::Viridis, Colormap::Magma] {
            assert!(lum(m.at(0.0)) < lum(m.at(0.5)));
            assert!(lum(m.at(0.5)) < lum(m.at(1.0)));
            assert_eq!(m.at(f64::NAN), NOT_FINITE);
        }
        assert_eq!(
            Range::of([3.0, 5.0].into_iter()),
            Range { lo: 0.0, hi: 5.0 }
        );
        assert_eq!(Range::of(std::iter::empty()), Range { lo: 0.0, hi: 1.0 });
        assert_eq!(tick_label(40.0), "40");
        assert_eq!(tick_label(2.5), "2.5");
        assert_eq!(tick_label(0.125), "0.125");
    }
}
