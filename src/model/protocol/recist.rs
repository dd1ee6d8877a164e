//! RECIST 1.1 response of a single target lesion at one assessment (Eisenhauer et al.
//! 2009, Eur J Cancer 45:228, §4.3.1). Diameters are the lesion's longest diameter in
//! mm; a lesion below the scanner's detection limit is recorded as 0 mm, as RECIST
//! records a target lesion that has disappeared.

use serde::{Deserialize, Serialize};

/// Tolerance of the inclusive thresholds, in mm: far below any lattice site (µm), it only
/// keeps values written exactly on a boundary in decimal (35 mm from 50 mm) on the side
/// the standard puts them.
pub const BOUNDARY_TOLERANCE_MM: f64 = 1e-9;

/// Response at one assessment. Declared worst first, so the derived order is
/// PD < SD < PR < CR ("best" = greatest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Response {
    /// Progressive disease.
    Pd,
    /// Stable disease.
    Sd,
    /// Partial response.
    Pr,
    /// Complete response.
    Cr,
}

impl Response {
    /// The standard abbreviation, as written in tables and the time series.
    pub fn abbrev(self) -> &'static str {
        match self {
            Response::Cr => "CR",
            Response::Pr => "PR",
            Response::Sd => "SD",
            Response::Pd => "PD",
        }
    }
}

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.abbrev())
    }
}

/// Thresholds of the response criteria. `RECIST_1_1` is the standard; the fields exist
/// so that a small simulated lesion (a mouse xenograft, a small lattice) can be judged on
/// a scaled absolute floor, and so that randomised-trial rules (no confirmation) can be
/// chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Criteria {
    /// PR: decrease from baseline of at least this fraction (RECIST 1.1: 0.30).
    pub pr_decrease_fraction: f64,
    /// PD: increase over the nadir of at least this fraction (RECIST 1.1: 0.20)…
    pub pd_increase_fraction: f64,
    /// …and of at least this many mm (RECIST 1.1: 5 mm).
    pub pd_min_increase_mm: f64,
    /// A CR or PR counts as best overall response only when a later assessment at least
    /// this many days after it first met the criteria still meets them (RECIST 1.1 §4.4:
    /// ≥ 4 weeks in non-randomised trials; 0 = no confirmation, as in randomised trials).
    pub confirm_days: f64,
    /// SD counts as best overall response only when met at least this many days after
    /// baseline (RECIST 1.1 §4.4: "in general not less than 6–8 weeks"; 42 days here).
    pub sd_min_days: f64,
}

impl Criteria {
    /// RECIST 1.1 for a non-randomised trial (confirmation required).
    pub const RECIST_1_1: Criteria = Criteria {
        pr_decrease_fraction: 0.30,
        pd_increase_fraction: 0.20,
        pd_min_increase_mm: 5.0,
        confirm_days: 28.0,
        sd_min_days: 42.0,
    };

    /// Response of `current_mm` given the baseline, the nadir (smallest diameter so far,
    /// baseline included, not counting `current_mm`) and whether an earlier assessment
    /// was a CR. 0 mm means "not detected". Order of the rules: disappearance is CR;
    /// reappearance after a CR is PD (RECIST 1.1 §4.3.1, note on lesions that
    /// reappear); then PD from the nadir takes precedence over PR from baseline; then PR;
    /// otherwise SD.
    pub fn classify(
        &self,
        baseline_mm: f64,
        nadir_mm: f64,
        current_mm: f64,
        prior_cr: bool,
    ) -> Response {
        if current_mm <= 0.0 {
            return Response::Cr;
        }
        if prior_cr {
            return Response::Pd;
        }
        let increase_mm = current_mm - nadir_mm;
        let pd_relative =
            increase_mm >= self.pd_increase_fraction * nadir_mm - BOUNDARY_TOLERANCE_MM;
        let pd_absolute = increase_mm >= self.pd_min_increase_mm - BOUNDARY_TOLERANCE_MM;
        if pd_relative && pd_absolute {
            return Response::Pd;
        }
        let decrease_mm = baseline_mm - current_mm;
        if decrease_mm >= self.pr_decrease_fraction * baseline_mm - BOUNDARY_TOLERANCE_MM {
            return Response::Pr;
        }
        Response::Sd
    }
}

impl Default for Criteria {
    fn default() -> Self {
        Criteria::RECIST_1_1
    }
}

/// [`Criteria::classify`] with the RECIST 1.1 thresholds.
pub fn classify(baseline_mm: f64, nadir_mm: f64, current_mm: f64, prior_cr: bool) -> Response {
    Criteria::RECIST_1_1.classify(baseline_mm, nadir_mm, current_mm, prior_cr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Response::{Cr, Pd, Pr, Sd};

    #[test]
    fn recist_table() {
        // (case, baseline, nadir, current, prior CR, expected)
        let table: &[(&str, f64, f64, f64, bool, Response)] = &[
            ("disappeared", 50.0, 50.0, 0.0, false, Cr),
            ("still gone after CR", 50.0, 0.0, 0.0, true, Cr),
            ("PR exactly -30 %", 50.0, 50.0, 35.0, false, Pr),
            (
                "PR exactly -30 %, inexact decimals",
                33.3,
                33.3,
                23.31,
                false,
                Pr,
            ),
            ("-29.9 % is SD", 50.0, 50.0, 35.05, false, Sd),
            ("-60 %", 50.0, 50.0, 20.0, false, Pr),
            (
                "PD exactly +20 % over nadir, +8 mm",
                50.0,
                40.0,
                48.0,
                false,
                Pd,
            ),
            (
                "PD exactly +20 % and exactly +5 mm",
                50.0,
                25.0,
                30.0,
                false,
                Pd,
            ),
            (
                "PD +20 %, +5.5 mm, inexact decimals",
                30.0,
                27.5,
                33.0,
                false,
                Pd,
            ),
            ("+20 % but only +4 mm is SD", 20.0, 20.0, 24.0, false, Sd),
            ("+19.9 % over nadir is not PD", 50.0, 40.0, 47.96, false, Sd),
            ("+10 % over baseline is SD", 50.0, 50.0, 55.0, false, Sd),
            ("-10 % is SD", 50.0, 50.0, 45.0, false, Sd),
            // Shrunk 50 % then regrew 25 % over the nadir: still 37.5 % below baseline
            // (PR by baseline), but PD from the nadir wins.
            ("PD from nadir below baseline", 50.0, 25.0, 31.25, false, Pd),
            ("regrowth under +20 % keeps PR", 50.0, 25.0, 29.9, false, Pr),
            ("reappearance after CR", 50.0, 0.0, 6.0, true, Pd),
            ("reappearance after CR, tiny", 50.0, 0.0, 0.5, true, Pd),
        ];
        for &(case, baseline, nadir, current, prior_cr, expected) in table {
            assert_eq!(
                classify(baseline, nadir, current, prior_cr),
                expected,
                "{case}"
            );
        }
    }

    #[test]
    fn best_is_greatest() {
        let mut all = vec![Sd, Cr, Pd, Pr];
        all.sort();
        assert_eq!(all, vec![Pd, Sd, Pr, Cr]);
        assert_eq!(
            all.iter().map(|r| r.abbrev()).collect::<Vec<_>>(),
            ["PD", "SD", "PR", "CR"]
        );
    }

    #[test]
    fn scaled_floor_for_small_lesions() {
        let mouse = Criteria {
            pd_min_increase_mm: 1.0,
            ..Criteria::RECIST_1_1
        };
        assert_eq!(mouse.classify(4.0, 4.0, 5.0, false), Pd);
        assert_eq!(classify(4.0, 4.0, 5.0, false), Sd);
    }
}
