//! Checks of `[patient]`, each drug's `[drugs.pk]` and `[therapy]`: everything the run
//! would refuse when it builds the pharmacokinetics and the protocol is refused here
//! first, under the scene's own key names (`scan_every_days`, not the protocol's
//! `scanner.every_days`), so `check` and `run` agree and every error has a location.

use super::validate::{issue, non_negative, num, Issue};
use super::validate_drugs::drug_names;
use super::validate_pk::{
    at_least_a_tick, validate_dose, validate_patient, validate_pk, PLAN_DAYS,
};
use super::Scene;
use crate::model::pk::PkError;
use crate::model::protocol::BiomarkerRule;

/// Lesion sizes: a metre is beyond any tumour, let alone a simulated one.
const MAX_LESION_MM: f64 = 1000.0;

/// The patient, each drug's PK, and the therapy lines.
pub fn validate_therapy(s: &Scene) -> Result<(), Issue> {
    let pk_issue = |prefix: &str, e: PkError| Issue {
        key: format!("{prefix}.{}", e.key),
        message: e.message,
    };
    validate_patient(s)?;
    s.patient
        .to_patient()
        .validate()
        .map_err(|e| pk_issue("patient", e))?;
    for name in s.patient.phenotypes.keys() {
        if !s.drugs.iter().any(|d| &d.name == name) {
            return issue(
                &format!("patient.phenotypes.{name}"),
                format!("names unknown drug \"{name}\"; drugs: {}", drug_names(s)),
            );
        }
    }
    for (k, d) in s.drugs.iter().enumerate() {
        if let Some(pk) = &d.pk {
            let at = format!("drugs[{k}].pk");
            validate_pk(&at, pk)?;
            pk.validate().map_err(|e| pk_issue(&at, e))?;
        }
    }
    let Some(therapy) = &s.therapy else {
        return Ok(());
    };
    if therapy.lines.is_empty() {
        return issue(
            "therapy.lines",
            "must hold at least one line of therapy".into(),
        );
    }
    for (l, line) in therapy.lines.iter().enumerate() {
        if let Some(rule) = &line.requires {
            biomarker_rule(s, &format!("therapy.lines[{l}].requires"), rule)?;
        }
        if line.doses.is_empty() {
            return issue(
                &format!("therapy.lines[{l}]"),
                format!(
                    "(\"{}\") gives no drug: add at least one [[therapy.lines.doses]]",
                    line.name
                ),
            );
        }
        for (k, dose) in line.doses.iter().enumerate() {
            let at = format!("therapy.lines[{l}].doses[{k}]");
            let key = |field: &str| format!("{at}.{field}");
            let Some(drug) = s.drugs.iter().find(|d| d.name == dose.drug) else {
                return issue(
                    &key("drug"),
                    format!(
                        "names unknown drug \"{}\"; drugs: {}",
                        dose.drug,
                        drug_names(s)
                    ),
                );
            };
            let Some(pk) = &drug.pk else {
                return issue(
                    &key("drug"),
                    format!(
                        "\"{}\" has no pharmacokinetics: add [drugs.pk] to that drug",
                        dose.drug
                    ),
                );
            };
            validate_dose(&at, dose, s.time.tick_h)?;
            dose.dose
                .validate()
                .map_err(|e| pk_issue(&key("dose"), e))?;
            dose.route
                .validate()
                .map_err(|e| pk_issue(&key("route"), e))?;
            pk.check_route(&dose.route).map_err(|e| Issue {
                key: key("route"),
                message: format!(
                    "is oral, but drug \"{}\" has no [drugs.pk] {} ({})",
                    dose.drug, e.key, e.message
                ),
            })?;
        }
    }
    let tick_h = s.time.tick_h;
    at_least_a_tick("therapy.scan_every_days", therapy.scan_every_days, tick_h)?;
    within_days("therapy.first_scan_day", therapy.first_scan_day)?;
    within_days("therapy.confirm_days", therapy.confirm_days)?;
    for (key, mm) in [
        ("therapy.detection_limit_mm", therapy.detection_limit_mm),
        ("therapy.measurable_min_mm", therapy.measurable_min_mm),
        ("therapy.pd_min_increase_mm", therapy.pd_min_increase_mm),
    ] {
        non_negative(key, mm)?;
        if mm > MAX_LESION_MM {
            return issue(
                key,
                format!("must be between 0 and {MAX_LESION_MM} mm (got {})", num(mm)),
            );
        }
    }
    if let Some(h) = &therapy.holidays {
        at_least_a_tick("therapy.holidays.on_days", h.on_days, tick_h)?;
        at_least_a_tick("therapy.holidays.off_days", h.off_days, tick_h)?;
    }
    // What the protocol itself checks (and the run would refuse), under the scene's names.
    therapy
        .to_protocol()
        .validate_for_tick(tick_h)
        .map_err(|e| Issue {
            key: scene_key(&e.field),
            message: scene_text(&e.message),
        })
}

/// A line's biomarker rule: `[immune]` (the biomarkers come from T cells and PD-L1),
/// at least one finite bound, and a non-empty range.
fn biomarker_rule(s: &Scene, at: &str, rule: &BiomarkerRule) -> Result<(), Issue> {
    if s.immune.is_none() {
        return issue(
            at,
            "needs [immune]: the biomarkers are read from the T cells and PD-L1 it models".into(),
        );
    }
    for (key, bound) in [("at_least", rule.at_least), ("below", rule.below)] {
        if bound.is_some_and(|v| !v.is_finite()) {
            return issue(&format!("{at}.{key}"), "must be a finite number".into());
        }
    }
    match (rule.at_least, rule.below) {
        (None, None) => issue(
            at,
            format!(
                "gives no bound: add at_least and/or below (e.g. {{ biomarker = \"{}\", at_least = 50.0 }})",
                rule.biomarker.name()
            ),
        ),
        (Some(lo), Some(hi)) if lo >= hi => issue(
            &format!("{at}.below"),
            format!("({hi}) must be above at_least ({lo}): no tumour could meet the rule"),
        ),
        _ => Ok(()),
    }
}

fn within_days(key: &str, days: f64) -> Result<(), Issue> {
    if days.is_finite() && (0.0..=PLAN_DAYS).contains(&days) {
        Ok(())
    } else {
        issue(
            key,
            format!("must be between 0 and {PLAN_DAYS} days (got {})", num(days)),
        )
    }
}

/// The protocol's field path as the scene names it: `lines[0].schedules[1].doses` is
/// `therapy.lines[0].doses[1].cycles`, `switch_on.scans` is
/// `therapy.confirm_progression_scans`. Criteria the scene does not expose (RECIST's
/// own fractions) point at `[therapy]`.
pub(super) fn scene_key(field: &str) -> String {
    if field == "tick_h" {
        return "time.tick_h".into();
    }
    if let Some(rest) = field.strip_prefix("lines") {
        let rest = rest.replace(".schedules", ".doses");
        let rest = match rest.rsplit_once('.') {
            Some((head, "offset_h")) => format!("{head}.start_day"),
            Some((head, "interval_h")) => format!("{head}.interval_days"),
            Some((head, "doses")) if head.ends_with(']') && head.contains(".doses[") => {
                format!("{head}.cycles")
            }
            _ => rest,
        };
        return format!("therapy.lines{rest}");
    }
    let own = match field {
        "scanner.every_days" => "scan_every_days",
        "scanner.first_day" => "first_scan_day",
        "scanner.detection_limit_mm" => "detection_limit_mm",
        "scanner.measurable_min_mm" => "measurable_min_mm",
        "criteria.pd_min_increase_mm" => "pd_min_increase_mm",
        "criteria.confirm_days" => "confirm_days",
        "switch_on.scans" => "confirm_progression_scans",
        f if f.starts_with("holidays.") || f.starts_with("adaptive.") => f,
        _ => return "therapy".into(),
    };
    format!("therapy.{own}")
}

/// A protocol message with the protocol's field names replaced by the scene's.
fn scene_text(message: &str) -> String {
    let mut out = message.to_string();
    for name in [
        "scanner.every_days",
        "scanner.first_day",
        "scanner.detection_limit_mm",
        "scanner.measurable_min_mm",
        "criteria.pd_min_increase_mm",
        "criteria.confirm_days",
        "switch_on.scans",
        "adaptive.pause_below_fraction",
        "adaptive.resume_at_fraction",
    ] {
        out = out.replace(name, &scene_key(name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::scene_key;
    use crate::scene::Scene;
    use std::path::Path;

    const HOT: &str = include_str!("../../scenes/immune-hot-anti-pd1.toml");
    const MTD: &str = include_str!("../../scenes/treatment-mtd.toml");

    /// `text` with `rule` as its first line's `requires`: the error, if any.
    fn with_rule(text: &str, rule: &str) -> Option<String> {
        let at = text.find("[[therapy.lines]]").unwrap();
        let end = at + text[at..].find('\n').unwrap() + 1;
        let name_end = end + text[end..].find('\n').unwrap() + 1;
        let text = format!(
            "{}requires = {rule}\n{}",
            &text[..name_end],
            &text[name_end..]
        );
        Scene::parse(&text, Path::new("s.toml"))
            .err()
            .map(|e| e.to_string())
    }

    #[test]
    fn biomarker_rules_are_checked() {
        assert_eq!(
            with_rule(HOT, "{ biomarker = \"pdl1_tps_percent\", at_least = 50.0 }"),
            None
        );
        let no_immune = with_rule(MTD, "{ biomarker = \"pdl1_tps_percent\", at_least = 50.0 }");
        assert!(
            no_immune.as_deref().is_some_and(
                |e| e.contains("therapy.lines[0].requires") && e.contains("needs [immune]")
            ),
            "{no_immune:?}"
        );
        let unbounded = with_rule(HOT, "{ biomarker = \"cd8_core_per_mm2\" }").unwrap();
        assert!(unbounded.contains("gives no bound"), "{unbounded}");
        let empty = with_rule(
            HOT,
            "{ biomarker = \"cd8_core_per_mm2\", at_least = 5.0, below = 5.0 }",
        )
        .unwrap();
        assert!(empty.contains("therapy.lines[0].requires.below"), "{empty}");
        let unknown = with_rule(HOT, "{ biomarker = \"tmb\", at_least = 10.0 }").unwrap();
        assert!(
            unknown.contains("pdl1_tps_percent") && unknown.contains("tmb"),
            "{unknown}"
        );
    }

    #[test]
    fn protocol_fields_read_as_scene_keys() {
        for (field, key) in [
            (
                "lines[1].schedules[0].doses",
                "therapy.lines[1].doses[0].cycles",
            ),
            (
                "lines[0].schedules[2].interval_h",
                "therapy.lines[0].doses[2].interval_days",
            ),
            (
                "lines[0].schedules[0].offset_h",
                "therapy.lines[0].doses[0].start_day",
            ),
            ("lines[0].schedules", "therapy.lines[0].doses"),
            ("lines[3].name", "therapy.lines[3].name"),
            ("switch_on.scans", "therapy.confirm_progression_scans"),
            ("scanner.every_days", "therapy.scan_every_days"),
            ("holidays.on_days", "therapy.holidays.on_days"),
            (
                "adaptive.resume_at_fraction",
                "therapy.adaptive.resume_at_fraction",
            ),
            ("criteria.pr_decrease_fraction", "therapy"),
            ("tick_h", "time.tick_h"),
        ] {
            assert_eq!(scene_key(field), key, "{field}");
        }
    }
}
