//! The immune example scenes, each against its claim: run treated (as shipped) and
//! untreated (the same scene without its `[therapy]`), on the CPU backend.

use oncolattice::output::{RunOptions, Silent};
use oncolattice::BackendChoice;
use std::path::{Path, PathBuf};

/// One run's time series by column, and its summary.
struct Run {
    header: Vec<String>,
    rows: Vec<Vec<f64>>,
    summary: serde_json::Value,
}

impl Run {
    fn col(&self, name: &str) -> Vec<f64> {
        let k = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        self.rows.iter().map(|r| r[k]).collect()
    }

    fn last(&self, name: &str) -> f64 {
        *self.col(name).last().unwrap()
    }

    /// A share of the cells alive at the end, by why they survived (summary.json).
    fn survived_by(&self, reason: &str) -> f64 {
        self.summary["failure"]["fractions"][reason]
            .as_f64()
            .unwrap_or_else(|| panic!("no failure fraction {reason}: {}", self.summary))
    }

    fn phenotype(&self) -> String {
        self.summary["immune"]["phenotype"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn scene_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenes/{name}.toml"));
    std::fs::read_to_string(path).unwrap()
}

/// Runs `text` (named `name`) in `dir`; `treated: false` drops its `[therapy]`.
fn run(dir: &Path, name: &str, text: &str, treated: bool) -> Run {
    let text = if treated {
        text.to_string()
    } else {
        text[..text.find("[therapy]").expect("a therapy")].to_string()
    };
    let arm = if treated { "treated" } else { "untreated" };
    let file: PathBuf = dir.join(format!("{name}-{arm}.toml"));
    std::fs::write(&file, text).unwrap();
    let out = dir.join(format!("{name}-{arm}"));
    let opts = RunOptions {
        out_dir: Some(out.clone()),
        backend: BackendChoice::Cpu,
        plots: false,
        ..Default::default()
    };
    oncolattice::run(&file, &opts, &mut Silent).unwrap_or_else(|e| panic!("{name}: {e}"));
    let csv = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| {
            l.split(',')
                .map(|v| v.parse::<f64>().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let summary =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    Run {
        header,
        rows,
        summary,
    }
}

fn both(name: &str) -> (Run, Run, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let text = scene_text(name);
    let untreated = run(tmp.path(), name, &text, false);
    let treated = run(tmp.path(), name, &text, true);
    (untreated, treated, tmp)
}

#[test]
fn a_hot_tumour_responds_to_anti_pd1() {
    let (untreated, treated, _tmp) = both("immune-hot-anti-pd1");
    let baseline = untreated.col("tumor_live")[0];
    // Untreated, it grows with T cells in it, held back by PD-L1 ...
    assert!(untreated.last("tumor_live") > 2.0 * baseline);
    assert!(untreated.col("tcell").iter().all(|&n| n < 1000.0));
    assert!(
        untreated.col("tcell")[10] > 100.0,
        "T cells in the tumour by day 5"
    );
    // T cells crowd its margin (they enter a packed tumour only through the holes
    // that deaths leave, so its core stays thin), and IFN-γ has made it PD-L1+.
    let immune = &untreated.summary["immune"];
    assert!(
        immune["cd8_margin_per_mm2"].as_f64().unwrap() > 100.0,
        "{immune}"
    );
    assert_ne!(untreated.phenotype(), "desert");
    assert!(immune["pdl1_tps_percent"].as_f64().unwrap() > 50.0);
    // ... and nivolumab clears most of it.
    let (before, after) = (untreated.last("tumor_live"), treated.last("tumor_live"));
    assert!(
        after < 0.05 * before,
        "treated {after} vs untreated {before}"
    );
    assert!(after < 0.1 * baseline);
    // The antibody reached the tissue at blocking levels (K_D 0.003 µM).
    let tissue = treated.col("tissue_um_nivolumab");
    assert!(tissue.iter().skip(12).all(|&c| c > 0.03), "{tissue:?}");
}

#[test]
fn a_desert_does_not_respond_because_no_t_cell_comes() {
    let (untreated, treated, _tmp) = both("immune-desert-anti-pd1");
    assert!(untreated.col("tcell").iter().all(|&n| n == 0.0));
    assert_eq!(untreated.col("tumor_live"), treated.col("tumor_live"));
    assert!(treated.last("tumor_live") > 2.0 * treated.col("tumor_live")[0]);
    assert_eq!(treated.phenotype(), "desert");
    // Why it failed: no T cell ever came near.
    assert_eq!(treated.survived_by("exclusion"), 1.0);
}

#[test]
fn an_excluded_tumour_does_not_respond_because_t_cells_stay_in_the_stroma() {
    let (untreated, treated, _tmp) = both("immune-excluded-anti-pd1");
    for run in [&untreated, &treated] {
        assert_eq!(run.phenotype(), "excluded");
        let immune = &run.summary["immune"];
        let density = |region: &str| immune[format!("cd8_{region}_per_mm2")].as_f64().unwrap();
        assert!(density("stroma") > 300.0, "{immune}");
        assert!(
            density("core") < 1.0 && density("margin") < 20.0,
            "{immune}"
        );
    }
    assert!(untreated.col("tcell")[20] > 100.0, "T cells are recruited");
    let (before, after) = (untreated.last("tumor_live"), treated.last("tumor_live"));
    assert!(
        after > 0.9 * before,
        "treated {after} vs untreated {before}"
    );
    assert!(after > 2.0 * treated.col("tumor_live")[0]);
    // Why it failed: the T cells never reached the tumour.
    assert!(treated.survived_by("exclusion") > 0.9);
}

#[test]
fn suppression_is_a_brake_anti_pd1_does_not_release() {
    let (untreated, treated, _tmp) = both("immune-suppressed-anti-pd1");
    assert!(treated.col("tcell")[20] > 100.0, "T cells arrive");
    let (before, after) = (untreated.last("tumor_live"), treated.last("tumor_live"));
    assert!(
        after > 0.7 * before,
        "treated {after} vs untreated {before}"
    );
    assert!(
        after > 1.5 * treated.col("tumor_live")[0],
        "it grows under treatment"
    );
    assert!(treated.col("tumour_tgfb").iter().skip(1).all(|&c| c > 0.5));
    // Why it failed: the suppressive field, not PD-L1 (nivolumab blocks that).
    assert!(treated.survived_by("suppression") > 0.9);
    assert_eq!(treated.survived_by("pdl1_protection"), 0.0);
}

#[test]
fn antigen_loss_escapes_anti_pd1_after_an_initial_response() {
    let tmp = tempfile::tempdir().unwrap();
    let treated = run(
        tmp.path(),
        "escape",
        &scene_text("immune-antigen-loss-escape"),
        true,
    );
    let live = treated.col("tumor_live");
    let lost = treated.col("trait_antigen_loss");
    let (min_at, min) =
        live.iter().copied().enumerate().fold(
            (0, f64::INFINITY),
            |m, (k, v)| if v < m.1 { (k, v) } else { m },
        );
    assert!(min < live[0], "an initial response: {live:?}");
    let last = live.len() - 1;
    assert!(min_at < last);
    assert!(live[last] > 2.0 * min, "escape: {live:?}");
    assert!(
        lost[last] > 0.6 * live[last],
        "antigen-lost cells: {lost:?}"
    );
    assert!(lost[min_at] < 0.5 * live[min_at]);
    // Why it failed: antigen loss, for the same share of the survivors.
    let share = lost[last] / live[last];
    assert!((treated.survived_by("antigen_loss") - share).abs() < 1e-9);
}

#[test]
fn an_older_patient_responds_worse() {
    let tmp = tempfile::tempdir().unwrap();
    let young = run(
        tmp.path(),
        "young",
        &scene_text("immune-hot-anti-pd1"),
        true,
    );
    let old = run(
        tmp.path(),
        "old",
        &scene_text("immune-older-patient-anti-pd1"),
        true,
    );
    let recruited = |r: &Run| r.col("tcell")[..12].iter().sum::<f64>();
    assert!(
        recruited(&old) < 0.9 * recruited(&young),
        "fewer T cells early on"
    );
    assert!(old.last("tumor_live") > 10.0 * young.last("tumor_live").max(1.0));
    // Why the older patient's failed: the few T cells were used up.
    assert!(
        old.survived_by("exhaustion") > 0.25,
        "{}",
        old.summary["failure"]
    );
}

#[test]
fn the_antibody_half_life_is_ln2_vss_over_cl() {
    use oncolattice::model::pk::{DoseEvent, DrugPk, Patient, Phenotype, Route};
    let text = scene_text("immune-hot-anti-pd1");
    let scene = oncolattice::scene::Scene::parse(&text, Path::new("hot.toml")).unwrap();
    let drug = &scene.drugs[0];
    let pk = drug.pk.as_ref().unwrap();
    let model = pk
        .effective(&Patient::reference(), Phenotype::Normal)
        .unwrap();
    let mut state = DrugPk::new(model, 0.0);
    state
        .administer(DoseEvent {
            time_h: 0.0,
            amount_mg: 240.0,
            route: Route::IvBolus,
        })
        .unwrap();
    // The terminal slope between days 60 and 90, from the simulated plasma levels.
    let (t1, t2) = (60.0 * 24.0, 90.0 * 24.0);
    let c1 = state.advance_to(t1).unwrap().plasma_um;
    let c2 = state.advance_to(t2).unwrap().plasma_um;
    let half_life_h = (t2 - t1) * std::f64::consts::LN_2 / (c1 / c2).ln();
    let vss = pk.central_volume_l + pk.peripheral_volume_l.unwrap();
    let expected = std::f64::consts::LN_2 * vss / pk.clearance_l_per_h;
    // Nivolumab: CL 7.9 mL/h, Vss 6.8 L (Bajaj et al. 2017): ≈ 25 days.
    assert!((expected / 24.0 - 24.9).abs() < 0.1, "{}", expected / 24.0);
    assert!(
        (half_life_h / expected - 1.0).abs() < 0.05,
        "simulated {} d, ln 2·Vss/CL {} d",
        half_life_h / 24.0,
        expected / 24.0
    );
}

/// The scene without the `[[therapy.lines.doses]]` block of `drug` in its last line.
fn without_dose_of(text: &str, drug: &str) -> String {
    let line2 = text.rfind("[[therapy.lines]]").unwrap();
    let block = format!("drug = \"{drug}\"");
    let at = line2 + text[line2..].find(&block).unwrap();
    let start = text[..at].rfind("[[therapy.lines.doses]]").unwrap();
    let end = text[at..]
        .find("[[therapy.lines.doses]]")
        .map_or(text.len(), |k| at + k);
    format!("{}{}", &text[..start], &text[end..])
}

/// Mean live tumour cells over the last nine days.
fn late_burden(r: &Run) -> f64 {
    let (t, live) = (r.col("time_h"), r.col("tumor_live"));
    let late: Vec<f64> = t
        .iter()
        .zip(&live)
        .filter(|(&h, _)| h >= 21.0 * 24.0)
        .map(|(_, &n)| n)
        .collect();
    late.iter().sum::<f64>() / late.len() as f64
}

#[test]
fn chemotherapy_opens_the_tumour_to_the_checkpoint_inhibitor() {
    let tmp = tempfile::tempdir().unwrap();
    let text = scene_text("immune-chemo-anti-pd1");
    let both = run(tmp.path(), "both", &text, true);
    let chemo = run(
        tmp.path(),
        "chemo",
        &without_dose_of(&text, "nivolumab"),
        true,
    );
    let nivo = run(
        tmp.path(),
        "nivo",
        &without_dose_of(&text, "carboplatin"),
        true,
    );
    // The biomarker rule: TPS ≈ 33 % (the constitutive clone) at baseline, so the
    // monotherapy line was skipped for the combination.
    let failure = &both.summary["failure"];
    let skipped = &failure["lines_skipped"][0];
    assert_eq!(skipped["line"], 1, "{failure}");
    let tps = skipped["value"].as_f64().unwrap();
    assert!((25.0..40.0).contains(&tps), "{skipped}");
    assert_eq!(failure["lines"][0]["line"], 2);
    let baseline = &failure["lines"][0]["baseline_biomarkers"];
    assert_eq!(baseline["pdl1_tps_percent"].as_f64(), Some(tps));
    assert_eq!(baseline["phenotype"], "desert", "no T cell yet at day 0");
    // Each drug alone leaves a large tumour; together, a small one.
    let (b, c, n) = (late_burden(&both), late_burden(&chemo), late_burden(&nivo));
    assert!(
        b < 0.5 * c && b < 0.5 * n,
        "both {b}, carboplatin {c}, nivolumab {n}"
    );
    assert!(
        c > 0.8 * chemo.col("tumor_live")[0],
        "carboplatin alone does not control it"
    );
    assert!(
        n > 1.5 * nivo.col("tumor_live")[0],
        "nivolumab alone does not"
    );
}
