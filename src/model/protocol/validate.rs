//! Checks of a protocol, each failure naming the offending field so the scene layer can
//! point at the file, line and key.

use super::{Adaptive, ConfirmedProgression, Criteria, Holiday, Line, Protocol, Scanner};

/// A protocol the program refuses: `field` is a path relative to the protocol
/// (`lines[1].schedules[0].interval_h`, `adaptive.resume_at_fraction`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field} {message}")]
pub struct ProtocolError {
    pub field: String,
    pub message: String,
}

impl ProtocolError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ProtocolError {
            field: field.into(),
            message: message.into(),
        }
    }
}

type Check = Result<(), ProtocolError>;

fn positive(field: &str, value: f64) -> Check {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ProtocolError::new(
            field,
            format!("must be a finite number > 0, got {value}"),
        ))
    }
}

fn non_negative(field: &str, value: f64) -> Check {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ProtocolError::new(
            field,
            format!("must be a finite number ≥ 0, got {value}"),
        ))
    }
}

fn fraction(field: &str, value: f64, upper_inclusive: bool) -> Check {
    let ok = value > 0.0 && (value < 1.0 || (upper_inclusive && value == 1.0));
    if ok {
        Ok(())
    } else {
        let range = if upper_inclusive { "(0, 1]" } else { "(0, 1)" };
        Err(ProtocolError::new(
            field,
            format!("must be a fraction in {range}, got {value}"),
        ))
    }
}

pub(super) fn protocol(p: &Protocol) -> Check {
    if p.lines.is_empty() {
        return Err(ProtocolError::new(
            "lines",
            "must hold at least one line of therapy",
        ));
    }
    for (i, l) in p.lines.iter().enumerate() {
        line(&format!("lines[{i}]"), l)?;
    }
    scanner(&p.scanner)?;
    criteria(&p.criteria)?;
    switch_on(&p.switch_on)?;
    if let Some(h) = &p.holidays {
        holiday(h)?;
    }
    if let Some(a) = &p.adaptive {
        adaptive(a)?;
    }
    Ok(())
}

fn line(at: &str, l: &Line) -> Check {
    if l.name.trim().is_empty() {
        return Err(ProtocolError::new(
            format!("{at}.name"),
            "must not be empty",
        ));
    }
    if l.schedules.is_empty() {
        return Err(ProtocolError::new(
            format!("{at}.schedules"),
            format!(
                "line \"{}\" has no drugs: give it at least one schedule",
                l.name
            ),
        ));
    }
    for (j, s) in l.schedules.iter().enumerate() {
        let at = format!("{at}.schedules[{j}]");
        if s.drug.trim().is_empty() {
            return Err(ProtocolError::new(format!("{at}.drug"), "must name a drug"));
        }
        non_negative(&format!("{at}.offset_h"), s.offset_h)?;
        if s.doses == Some(0) {
            return Err(ProtocolError::new(
                format!("{at}.doses"),
                "must be ≥ 1 (leave it out for continuous dosing)",
            ));
        }
        if s.doses != Some(1) {
            positive(&format!("{at}.interval_h"), s.interval_h)?;
        }
    }
    Ok(())
}

fn scanner(s: &Scanner) -> Check {
    positive("scanner.every_days", s.every_days)?;
    non_negative("scanner.first_day", s.first_day)?;
    non_negative("scanner.detection_limit_mm", s.detection_limit_mm)?;
    non_negative("scanner.measurable_min_mm", s.measurable_min_mm)?;
    if s.measurable_min_mm < s.detection_limit_mm {
        return Err(ProtocolError::new(
            "scanner.measurable_min_mm",
            format!(
                "must be ≥ scanner.detection_limit_mm ({}), got {}",
                s.detection_limit_mm, s.measurable_min_mm
            ),
        ));
    }
    Ok(())
}

fn criteria(c: &Criteria) -> Check {
    fraction(
        "criteria.pr_decrease_fraction",
        c.pr_decrease_fraction,
        false,
    )?;
    positive("criteria.pd_increase_fraction", c.pd_increase_fraction)?;
    non_negative("criteria.pd_min_increase_mm", c.pd_min_increase_mm)?;
    non_negative("criteria.confirm_days", c.confirm_days)?;
    non_negative("criteria.sd_min_days", c.sd_min_days)
}

fn switch_on(c: &ConfirmedProgression) -> Check {
    if c.scans == 0 {
        return Err(ProtocolError::new(
            "switch_on.scans",
            "must be ≥ 1 consecutive PD scans (1 = RECIST 1.1, 2 = confirmed as in iRECIST)",
        ));
    }
    Ok(())
}

fn holiday(h: &Holiday) -> Check {
    positive("holidays.on_days", h.on_days)?;
    positive("holidays.off_days", h.off_days)
}

fn adaptive(a: &Adaptive) -> Check {
    fraction(
        "adaptive.pause_below_fraction",
        a.pause_below_fraction,
        true,
    )?;
    fraction("adaptive.resume_at_fraction", a.resume_at_fraction, true)?;
    if let Some(f) = a.progression_above_fraction {
        if !(f.is_finite() && f >= a.resume_at_fraction && f <= 100.0) {
            return Err(ProtocolError::new(
                "adaptive.progression_above_fraction",
                format!(
                    "must be between adaptive.resume_at_fraction ({}) and 100, got {f}",
                    a.resume_at_fraction
                ),
            ));
        }
    }
    if a.resume_at_fraction < a.pause_below_fraction {
        return Err(ProtocolError::new(
            "adaptive.resume_at_fraction",
            format!(
                "must be ≥ adaptive.pause_below_fraction ({}), got {}",
                a.pause_below_fraction, a.resume_at_fraction
            ),
        ));
    }
    Ok(())
}

/// Checks that depend on the tick length: every calendar period must span a tick.
pub(super) fn with_tick(p: &Protocol, tick_h: f64) -> Check {
    positive("tick_h", tick_h)?;
    let too_short = |field: &str, hours: f64| -> Check {
        if hours < tick_h {
            Err(ProtocolError::new(
                field,
                format!("is shorter than one tick ({tick_h} h), got {hours} h"),
            ))
        } else {
            Ok(())
        }
    };
    too_short("scanner.every_days", p.scanner.every_days * 24.0)?;
    if let Some(h) = &p.holidays {
        too_short("holidays.on_days", h.on_days * 24.0)?;
        too_short("holidays.off_days", h.off_days * 24.0)?;
    }
    Ok(())
}
