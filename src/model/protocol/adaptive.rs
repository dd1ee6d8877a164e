//! Rules that interrupt dosing within a line: fixed treatment holidays and adaptive
//! therapy.

use super::scan::tick_of;
use serde::{Deserialize, Serialize};

/// Intermittent dosing on a fixed calendar: `on_days` of treatment, then `off_days`
/// without, repeating from the start of each line (as in 2-weeks-on/1-week-off
/// capecitabine or 4/2 sunitinib).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holiday {
    pub on_days: f64,
    pub off_days: f64,
}

impl Holiday {
    /// Length of the on and off parts in ticks.
    pub fn ticks(&self, tick_h: f64) -> (u64, u64) {
        (
            tick_of(self.on_days * 24.0, tick_h),
            tick_of(self.off_days * 24.0, tick_h),
        )
    }

    /// Whether `tick` lies in an off part for a line that started at `line_start_tick`.
    pub fn is_off(&self, tick_h: f64, line_start_tick: u64, tick: u64) -> bool {
        let (on, off) = self.ticks(tick_h);
        let cycle = on + off;
        if cycle == 0 || tick < line_start_tick {
            return false;
        }
        (tick - line_start_tick) % cycle >= on
    }
}

/// Adaptive therapy after Zhang et al. 2017 (Nat Commun 8:1816), who held abiraterone
/// once PSA fell below 50 % of its pre-treatment value and resumed it when PSA was back
/// at 100 %. Burden here is live tumour cells at a scan, against the line's baseline
/// scan. Continuous maximum-tolerated dosing is a protocol without this rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adaptive {
    /// Pause dosing when burden < this × baseline (Zhang et al.: 0.5).
    pub pause_below_fraction: f64,
    /// Resume when burden ≥ this × baseline (Zhang et al.: 1.0).
    pub resume_at_fraction: f64,
    /// When set, the line fails only when a scan taken while dosing finds the burden
    /// above this × baseline (growth despite treatment), not on RECIST PD: regrowth
    /// during a planned pause is the strategy, not progression. Absent: RECIST decides,
    /// as for any line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progression_above_fraction: Option<f64>,
}

impl Default for Adaptive {
    fn default() -> Self {
        Adaptive {
            pause_below_fraction: 0.5,
            resume_at_fraction: 1.0,
            progression_above_fraction: None,
        }
    }
}

/// What the adaptive rule decides at a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdaptiveDecision {
    Pause,
    Resume,
    Keep,
}

impl Adaptive {
    /// Decision for a scan finding `burden` live cells, given the line's baseline burden
    /// and whether dosing is paused now. A zero baseline never pauses.
    pub fn decide(&self, baseline: u64, burden: u64, paused: bool) -> AdaptiveDecision {
        if baseline == 0 {
            return AdaptiveDecision::Keep;
        }
        let fraction = burden as f64 / baseline as f64;
        if !paused && fraction < self.pause_below_fraction {
            AdaptiveDecision::Pause
        } else if paused && fraction >= self.resume_at_fraction {
            AdaptiveDecision::Resume
        } else {
            AdaptiveDecision::Keep
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holiday_phases_from_line_start() {
        let h = Holiday {
            on_days: 2.0,
            off_days: 1.0,
        };
        assert_eq!(h.ticks(1.0), (48, 24));
        let start = 100;
        assert!(!h.is_off(1.0, start, 100));
        assert!(!h.is_off(1.0, start, 147));
        assert!(h.is_off(1.0, start, 148));
        assert!(h.is_off(1.0, start, 171));
        assert!(!h.is_off(1.0, start, 172));
        assert!(h.is_off(1.0, start, 172 + 48));
    }

    #[test]
    fn zhang_thresholds() {
        use AdaptiveDecision::{Keep, Pause, Resume};
        let a = Adaptive::default();
        assert_eq!(a.decide(1000, 500, false), Keep, "50 % is not below 50 %");
        assert_eq!(a.decide(1000, 499, false), Pause);
        assert_eq!(a.decide(1000, 999, true), Keep);
        assert_eq!(a.decide(1000, 1000, true), Resume);
        assert_eq!(a.decide(1000, 1000, false), Keep);
        assert_eq!(a.decide(0, 0, false), Keep);
    }
}
