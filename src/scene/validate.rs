//! Range and consistency checks run after parsing. Each failure names one key.

use super::{Axis, Scene, VesselLayout};

/// The SOR factors a scene may set. Below 0.5 a solve needs more than twice the sweeps
/// of plain Gauss–Seidel for nothing; at 2 SOR diverges, and the optimum for red-black
/// SOR on an n-site-wide lattice, 2 / (1 + sin(π/n)), is below 1.99 up to n ≈ 600.
pub const MIN_SOR_OMEGA: f64 = 0.5;
pub const MAX_SOR_OMEGA: f64 = 1.99;

/// One refused value: the dotted key and what is wrong with it.
pub struct Issue {
    pub key: String,
    pub message: String,
}

pub(super) fn issue(key: &str, message: String) -> Result<(), Issue> {
    Err(Issue {
        key: key.to_string(),
        message,
    })
}

/// A number as messages show it: `1e308` and `5e-324` rather than hundreds of digits.
/// The `[[factors]]` entry `name` that key `key` names, or the issue listing the
/// factors there are.
pub(super) fn named_factor<'a>(
    s: &'a Scene,
    key: &str,
    name: &str,
) -> Result<&'a super::factors::Factor, Issue> {
    if let Some(f) = s.factors.iter().find(|f| f.name == name) {
        return Ok(f);
    }
    let known: Vec<&str> = s.factors.iter().map(|f| f.name.as_str()).collect();
    let known = if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    };
    Err(Issue {
        key: key.to_string(),
        message: format!("names {name:?}, which is not a [[factors]] entry; factors: {known}"),
    })
}

pub(super) fn num(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

pub(super) fn positive(key: &str, v: f64) -> Result<(), Issue> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        issue(key, format!("must be > 0 (got {})", num(v)))
    }
}

pub(super) fn non_negative(key: &str, v: f64) -> Result<(), Issue> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        issue(key, format!("must be >= 0 (got {})", num(v)))
    }
}

pub(super) fn within(key: &str, v: f64, lo: f64, hi: f64) -> Result<(), Issue> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        issue(
            key,
            format!(
                "must be between {} and {} (got {})",
                num(lo),
                num(hi),
                num(v)
            ),
        )
    }
}

/// Longest scene name: one file-name component.
pub const MAX_NAME_BYTES: usize = 255;
/// Largest lattice accepted: site indices and wishes must fit in u32 with room for a sentinel.
pub const MAX_SITES: u64 = 1 << 31;
/// Highest pO2 accepted anywhere: hyperbaric oxygen at 3 atm is about 2300 mmHg.
pub const MAX_PO2_MMHG: f64 = 3000.0;
/// Per-cell counters (cycle progress, anoxic time) are 16-bit tick counts.
pub const MAX_COUNTER_TICKS: f64 = 65535.0;

pub fn validate(s: &Scene) -> Result<(), Issue> {
    // The name is the default run directory's file name (`runs/<name>`), and file
    // systems (ext4, XFS, APFS, NTFS) take at most 255 bytes per name.
    if s.name.len() > MAX_NAME_BYTES {
        return issue(
            "name",
            format!(
                "must be at most {MAX_NAME_BYTES} bytes, the longest file name (got {} bytes)",
                s.name.len()
            ),
        );
    }
    let l = &s.lattice;
    for (key, n) in [("lattice.nx", l.nx), ("lattice.ny", l.ny)] {
        if !(3..=65535).contains(&n) {
            return issue(key, format!("must be between 3 and 65535 (got {n})"));
        }
    }
    if l.nz == 0 || l.nz == 2 || l.nz > 65535 {
        return issue(
            "lattice.nz",
            format!("must be 1 (2D) or between 3 and 65535 (got {})", l.nz),
        );
    }
    if s.site_count() > MAX_SITES {
        return issue(
            "lattice",
            format!(
                "has {} sites; at most {MAX_SITES} are supported",
                s.site_count()
            ),
        );
    }
    positive("lattice.site_size_um", l.site_size_um)?;
    within("lattice.site_size_um", l.site_size_um, 1e-3, 1e4)?;

    let t = &s.time;
    positive("time.tick_h", t.tick_h)?;
    positive("time.duration_days", t.duration_days)?;
    if !(t.report_every_h.is_finite() && t.report_every_h >= t.tick_h) {
        return issue(
            "time.report_every_h",
            format!(
                "must be at least one tick ({} h) (got {})",
                t.tick_h, t.report_every_h
            ),
        );
    }
    if s.time.duration_days * 24.0 / t.tick_h > u32::MAX as f64 / 2.0 {
        return issue(
            "time.duration_days",
            "needs more ticks than supported; lengthen time.tick_h".into(),
        );
    }

    validate_tumour(s)?;
    validate_vessels(s)?;
    validate_oxygen(s)?;
    validate_cells(s)?;
    if !(s.cells.s_g2_m_h.is_finite()
        && s.cells.s_g2_m_h >= 0.0
        && s.cells.s_g2_m_h <= s.cells.cycle_mean_h)
    {
        return issue(
            "cells.s_g2_m_h",
            format!(
                "must be between 0 and cells.cycle_mean_h ({}) (got {})",
                s.cells.cycle_mean_h, s.cells.s_g2_m_h
            ),
        );
    }
    super::validate_drugs::validate_drugs(s)?;
    super::factors::validate_factors(s)?;
    super::immune::validate_immune(s)?;
    super::vasculature::validate_vasculature(s)?;

    non_negative("output.frame_every_h", s.output.frame_every_h)?;
    if s.output.frame_pixels_per_site > 64 {
        return issue(
            "output.frame_pixels_per_site",
            format!(
                "must be between 0 (automatic) and 64 (got {})",
                s.output.frame_pixels_per_site
            ),
        );
    }
    Ok(())
}

fn extent_um(s: &Scene) -> [f64; 3] {
    let h = s.lattice.site_size_um;
    [
        s.lattice.nx as f64 * h,
        s.lattice.ny as f64 * h,
        s.lattice.nz as f64 * h,
    ]
}

fn validate_tumour(s: &Scene) -> Result<(), Issue> {
    let tu = &s.tumour;
    match (tu.radius_um, tu.cell_count) {
        (Some(_), Some(_)) => {
            return issue(
                "tumour.cell_count",
                "cannot be given together with tumour.radius_um; choose one".into(),
            )
        }
        (None, None) => return issue("tumour", "needs radius_um or cell_count".into()),
        (Some(r), None) => positive("tumour.radius_um", r)?,
        (None, Some(n)) => {
            if n == 0 || n as u64 > s.site_count() {
                return issue(
                    "tumour.cell_count",
                    format!("must be between 1 and {} (got {n})", s.site_count()),
                );
            }
        }
    }
    if let Some(c) = tu.centre_um {
        let ext = extent_um(s);
        for (axis, (v, e)) in c.iter().zip(ext).enumerate() {
            if !(v.is_finite() && *v >= 0.0 && *v <= e) {
                let name = ["x", "y", "z"][axis];
                return issue(
                    "tumour.centre_um",
                    format!("{name} must be inside the lattice, 0 to {e} µm (got {v})"),
                );
            }
        }
    }
    Ok(())
}

fn validate_vessels(s: &Scene) -> Result<(), Issue> {
    let v = &s.vessels;
    match v.layout {
        VesselLayout::Random => {
            if !(v.density.is_finite() && v.density > 0.0 && v.density < 1.0) {
                return issue(
                    "vessels.density",
                    format!("must be > 0 and < 1 (got {})", v.density),
                );
            }
        }
        VesselLayout::Lines | VesselLayout::Grid => {
            if !(v.spacing_um.is_finite() && v.spacing_um >= 2.0 * s.lattice.site_size_um) {
                return issue(
                    "vessels.spacing_um",
                    format!(
                        "must be at least two sites ({} µm) (got {})",
                        2.0 * s.lattice.site_size_um,
                        v.spacing_um
                    ),
                );
            }
            if v.layout == VesselLayout::Lines && v.axis == Axis::Z && !s.is_3d() {
                return issue(
                    "vessels.axis",
                    "must be x or y in a 2D scene (got z)".into(),
                );
            }
        }
        VesselLayout::None => {}
    }
    within("vessels.perfusion", v.perfusion, 0.0, 1.0)?;
    within("vessels.perfusion_spread", v.perfusion_spread, 0.0, 1.0)?;
    within("vessels.compression_onset", v.compression_onset, 0.0, 1.0)?;
    within(
        "vessels.compression_collapse",
        v.compression_collapse,
        0.0,
        1.0,
    )?;
    if v.compression_collapse < v.compression_onset {
        return issue(
            "vessels.compression_collapse",
            format!(
                "must be at least vessels.compression_onset ({}) (got {})",
                v.compression_onset, v.compression_collapse
            ),
        );
    }
    Ok(())
}

fn validate_oxygen(s: &Scene) -> Result<(), Issue> {
    let o = &s.oxygen;
    // Upper bounds lie far beyond physiology; they keep every lattice-unit value a
    // finite f32 (pO2 above hyperbaric oxygen, ~3 atm, is refused).
    positive("oxygen.diffusion_um2_per_min", o.diffusion_um2_per_min)?;
    within(
        "oxygen.diffusion_um2_per_min",
        o.diffusion_um2_per_min,
        1e-6,
        1e12,
    )?;
    within(
        "oxygen.vessel_po2_mmhg",
        o.vessel_po2_mmhg,
        0.0,
        MAX_PO2_MMHG,
    )?;
    positive("oxygen.vessel_exchange_per_min", o.vessel_exchange_per_min)?;
    within(
        "oxygen.vessel_exchange_per_min",
        o.vessel_exchange_per_min,
        0.0,
        1e12,
    )?;
    within(
        "oxygen.uptake_mmhg_per_min",
        o.uptake_mmhg_per_min,
        0.0,
        1e9,
    )?;
    positive("oxygen.uptake_half_max_mmhg", o.uptake_half_max_mmhg)?;
    within(
        "oxygen.uptake_half_max_mmhg",
        o.uptake_half_max_mmhg,
        0.0,
        MAX_PO2_MMHG,
    )?;
    within("oxygen.decay_per_min", o.decay_per_min, 0.0, 1e9)?;
    if let Some(b) = o.boundary_mmhg {
        within("oxygen.boundary_mmhg", b, 0.0, MAX_PO2_MMHG)?;
    }
    positive("oxygen.tolerance_mmhg", o.tolerance_mmhg)?;
    if !(1..=10_000).contains(&o.max_sweeps_per_tick) {
        return issue(
            "oxygen.max_sweeps_per_tick",
            format!(
                "must be between 1 and 10000 (got {})",
                o.max_sweeps_per_tick
            ),
        );
    }
    if !(o.sor_omega.is_finite() && (MIN_SOR_OMEGA..=MAX_SOR_OMEGA).contains(&o.sor_omega)) {
        return issue(
            "oxygen.sor_omega",
            format!(
                "must be between {MIN_SOR_OMEGA} and {MAX_SOR_OMEGA} (got {}): SOR diverges \
                 at 2 and above, and below {MIN_SOR_OMEGA} under-relaxation only slows the \
                 solve (1.5, the default, suits these lattices)",
                o.sor_omega
            ),
        );
    }
    Ok(())
}

fn validate_cells(s: &Scene) -> Result<(), Issue> {
    let c = &s.cells;
    let tick = s.time.tick_h;
    positive("cells.cycle_mean_h", c.cycle_mean_h)?;
    if c.cycle_mean_h < 2.0 * tick {
        return issue(
            "cells.cycle_mean_h",
            format!(
                "must span at least two ticks ({} h) or the cycle is not resolved; shorten time.tick_h (got {})",
                2.0 * tick,
                c.cycle_mean_h
            ),
        );
    }
    if !(c.cycle_sd_h.is_finite() && c.cycle_sd_h >= 0.0 && c.cycle_sd_h <= c.cycle_mean_h / 3.0) {
        return issue(
            "cells.cycle_sd_h",
            format!(
                "must be between 0 and a third of cells.cycle_mean_h ({}) (got {})",
                c.cycle_mean_h / 3.0,
                c.cycle_sd_h
            ),
        );
    }
    // With the spread checked, the longest cycle (mean + 4 sd) grows with the mean.
    if (c.cycle_mean_h + 4.0 * c.cycle_sd_h) / tick > MAX_COUNTER_TICKS {
        return issue(
            "cells.cycle_mean_h",
            format!(
                "with 4 × cells.cycle_sd_h is longer than {MAX_COUNTER_TICKS} ticks; lengthen time.tick_h (got {})",
                c.cycle_mean_h
            ),
        );
    }
    if c.cycle_sd_h / tick > 9000.0 {
        return issue(
            "cells.cycle_sd_h",
            format!(
                "spans more than 9000 ticks; lengthen time.tick_h (got {})",
                c.cycle_sd_h
            ),
        );
    }
    within("cells.hypoxic_mmhg", c.hypoxic_mmhg, 0.0, MAX_PO2_MMHG)?;
    within("cells.anoxic_mmhg", c.anoxic_mmhg, 0.0, MAX_PO2_MMHG)?;
    if c.anoxic_mmhg > c.hypoxic_mmhg {
        return issue(
            "cells.anoxic_mmhg",
            format!(
                "must not exceed cells.hypoxic_mmhg ({}) (got {})",
                c.hypoxic_mmhg, c.anoxic_mmhg
            ),
        );
    }
    if !(c.anoxic_duration_h.is_finite() && c.anoxic_duration_h >= tick) {
        return issue(
            "cells.anoxic_duration_h",
            format!(
                "must be at least one tick ({tick} h) (got {})",
                c.anoxic_duration_h
            ),
        );
    }
    if c.anoxic_duration_h / tick > MAX_COUNTER_TICKS {
        return issue(
            "cells.anoxic_duration_h",
            format!("is longer than {MAX_COUNTER_TICKS} ticks; lengthen time.tick_h"),
        );
    }
    non_negative("cells.apoptosis_per_h", c.apoptosis_per_h)?;
    if c.apoptosis_per_h * tick > 0.5 {
        return issue(
            "cells.apoptosis_per_h",
            format!(
                "gives a death probability of {:.2} per tick; the per-tick probability must stay <= 0.5, shorten time.tick_h (got {})",
                c.apoptosis_per_h * tick,
                c.apoptosis_per_h
            ),
        );
    }
    Ok(())
}
