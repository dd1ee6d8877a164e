//! Monitoring scans: what one scan measures, when scans happen and what the scanner can
//! see. Times are hours since the start of the simulation; the lead fills a
//! [`Measurement`] from the lattice when [`super::ProtocolState::scan_due`] says so.

use crate::model::biomarkers::Biomarkers;
use serde::{Deserialize, Serialize};

/// What a scan measures of the tumour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub time_h: f64,
    /// Longest diameter of the lesion (RECIST target lesion measure).
    pub longest_diameter_mm: f64,
    /// Live tumour cells: the burden the adaptive rule uses (Zhang et al. 2017 used PSA,
    /// which tracks the number of viable tumour cells).
    pub live_cells: u64,
    pub live_volume_mm3: f64,
    /// The immune biomarkers of the tumour at the scan (scenes with `[immune]`): a
    /// biopsy's reading, which a line's biomarker rule reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biomarkers: Option<Biomarkers>,
}

/// The imaging schedule and what the imaging can resolve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scanner {
    /// Days between scans. RECIST 1.1 §3.3: every 6–8 weeks on treatment is typical.
    pub every_days: f64,
    /// Day of the first scan. Treatment starts at the first scan, on or after this day,
    /// that finds a measurable lesion: that scan is the baseline.
    pub first_day: f64,
    /// Lesions with a longest diameter below this are "not detected" and recorded as
    /// 0 mm. Default 5 mm: CT slice thickness, below which RECIST 1.1 calls a lesion
    /// "too small to measure".
    pub detection_limit_mm: f64,
    /// Smallest longest diameter of a measurable target lesion at baseline (RECIST 1.1
    /// §3.1: 10 mm on CT with slices ≤ 5 mm).
    pub measurable_min_mm: f64,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            every_days: 56.0,
            first_day: 0.0,
            detection_limit_mm: 5.0,
            measurable_min_mm: 10.0,
        }
    }
}

impl Scanner {
    /// Hours since the simulation start of scan number `index` (0-based).
    pub fn scan_time_h(&self, index: u64) -> f64 {
        (self.first_day + index as f64 * self.every_days) * 24.0
    }

    /// Whether the scanner sees the lesion. Imaging sees the mass, so this looks at the
    /// diameter only: whether necrotic tissue counts towards it is the measurer's call.
    pub fn detects(&self, m: &Measurement) -> bool {
        m.longest_diameter_mm >= self.detection_limit_mm
    }

    /// The diameter RECIST records: the measured one, or 0 mm when not detected.
    pub fn recorded_mm(&self, m: &Measurement) -> f64 {
        if self.detects(m) {
            m.longest_diameter_mm
        } else {
            0.0
        }
    }

    /// Whether the lesion qualifies as a measurable target lesion at baseline.
    pub fn measurable(&self, m: &Measurement) -> bool {
        self.detects(m) && m.longest_diameter_mm >= self.measurable_min_mm
    }
}

/// The tick holding time `time_h` for ticks of `tick_h` hours: tick n covers
/// [n·tick_h, (n+1)·tick_h). A time within 1e-9 ticks of a boundary belongs to the later
/// tick, so that 2.4 h with 0.1-h ticks is tick 24 although 2.4 / 0.1 < 24 in f64.
pub fn tick_of(time_h: f64, tick_h: f64) -> u64 {
    let x = (time_h / tick_h).max(0.0);
    let nearest = x.round();
    if (x - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest as u64
    } else {
        x.floor() as u64
    }
}

/// One scan as the time series records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRecord {
    pub tick: u64,
    pub time_h: f64,
    /// Line of therapy being judged (0-based); `None` before the baseline and after all
    /// lines are exhausted.
    pub line: Option<usize>,
    pub measured_mm: f64,
    /// What RECIST records: `measured_mm`, or 0 when not detected.
    pub recorded_mm: f64,
    pub detected: bool,
    pub live_cells: u64,
    pub live_volume_mm3: f64,
    /// True for the scan that is a line's baseline (it has no response).
    pub baseline: bool,
    pub response: Option<super::Response>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biomarkers: Option<Biomarkers>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(d: f64, cells: u64) -> Measurement {
        Measurement {
            time_h: 0.0,
            longest_diameter_mm: d,
            live_cells: cells,
            live_volume_mm3: 0.0,
            biomarkers: None,
        }
    }

    #[test]
    fn detection_and_measurability() {
        let s = Scanner::default();
        assert_eq!(s.recorded_mm(&m(4.99, 10)), 0.0);
        assert_eq!(s.recorded_mm(&m(5.0, 10)), 5.0);
        assert!(!s.measurable(&m(9.9, 10)));
        assert!(s.measurable(&m(10.0, 10)));
    }

    #[test]
    fn scan_times_and_ticks() {
        let s = Scanner {
            every_days: 56.0,
            first_day: 7.0,
            ..Scanner::default()
        };
        assert_eq!(s.scan_time_h(0), 168.0);
        assert_eq!(s.scan_time_h(2), (7.0 + 112.0) * 24.0);
        assert_eq!(tick_of(2.4, 0.1), 24);
        assert_eq!(tick_of(2.45, 0.1), 24);
        assert_eq!(tick_of(0.0, 0.5), 0);
        assert_eq!(tick_of(24.0, 0.5), 48);
        assert_eq!(tick_of(24.2, 0.5), 48);
    }
}
