//! Mutation on division and the lineage table: mutant counts against the per-division
//! rates (a statistical test), clone numbering, and lineage.csv of a whole run.

use oncolattice::engine::cpu;
use oncolattice::model::action::{self, Action};
use oncolattice::model::drug_params::{DrugSet, TRAIT_EFFLUX, TRAIT_SLOW_CYCLE};
use oncolattice::model::lineage::{word, Lineage};
use oncolattice::model::params::SimParams;
use oncolattice::model::site::{Kind, Site};
use oncolattice::scene::Scene;
use std::path::Path;

const BIN: &str = env!("CARGO_BIN_EXE_oncolattice");

fn scene(resistance: &str) -> Scene {
    let text = format!(
        "seed = 3\n[lattice]\nnx = 200\nny = 100\nneighbourhood = \"von_neumann\"\n\
         [time]\nduration_days = 1\n[tumour]\nradius_um = 100.0\n\
         [[drugs]]\nname = \"tki\"\nclass = \"targeted\"\nemax_per_h = 0.1\nic50_um = 0.3\n\
         [resistance]\n{resistance}"
    );
    Scene::parse(&text, Path::new("mutation.toml")).unwrap_or_else(|e| panic!("{e}"))
}

/// Every even column holds a cell of clone 0 wishing to divide into the empty site to
/// its right; no two wishes share a target, so each is one division.
fn dividing_lattice(nx: u32, ny: u32, traits: u32) -> (Vec<Site>, Vec<u32>) {
    let n = (nx * ny) as usize;
    let mut src = vec![Site::EMPTY; n];
    let mut wish = vec![0u32; n];
    for y in 0..ny {
        for x in (0..nx - 1).step_by(2) {
            let i = (y * nx + x) as usize;
            src[i] = Site::tumour(0, 20, 20);
            src[i].w3 = traits;
            wish[i] = action::wish(Action::Divide, [1, 0, 0]);
        }
    }
    (src, wish)
}

/// Runs resolve and clone_assign for `ticks` ticks on the dividing lattice; returns the
/// divisions, the daughters that gained each trait bit, and the lineage buffer.
fn divide(scene: &Scene, ticks: u32, traits: u32) -> (u64, [u64; 8], Vec<u32>) {
    let base = SimParams::from_scene(scene);
    let drugs = DrugSet::from_scene(scene);
    let (src, wish) = dividing_lattice(base.nx, base.ny, traits);
    let mut lineage = Lineage::initial(&[traits]).to_words();
    let mut exposure = vec![0u32; src.len()];
    let (mut divisions, mut gained) = (0u64, [0u64; 8]);
    for t in 0..ticks {
        let sim = base.at_tick(scene.seed, t);
        let mut dst = vec![Site::EMPTY; src.len()];
        cpu::resolve(
            &sim,
            &drugs,
            &src,
            &wish,
            &mut dst,
            &mut exposure,
            &mut lineage,
        );
        assert!(lineage[word::EVENTS] <= 4096, "event list overflowed");
        cpu::clone_assign(&mut lineage, &mut dst, t + 1);
        for (before, after) in src.iter().zip(&dst) {
            if before.kind() == Kind::Empty && after.kind() == Kind::Tumour {
                divisions += 1;
                assert_eq!(after.w3 & traits, traits, "a daughter lost a trait");
                for (k, g) in gained.iter_mut().enumerate() {
                    *g += ((after.w3 & !traits) >> k & 1) as u64;
                }
            } else if before.kind() == Kind::Tumour {
                assert_eq!(after.w3, traits, "a parent mutated");
                assert_eq!(after.clone_id(), 0, "a parent changed clone");
            }
        }
    }
    (divisions, gained, lineage)
}

/// With probability p per division and trait, the number of daughters that gain a
/// trait in D divisions is Binomial(D, p). Each count must lie within 3.29 standard
/// deviations of D·p: a 99.9 % two-sided interval, so a correct implementation fails
/// one trait's check with probability 0.1 % (the seed is fixed, so the outcome is too).
#[test]
fn mutant_counts_follow_the_per_division_rates() {
    let (p_target, p_efflux, p_slow) = (2e-4, 1e-4, 4e-4);
    let scene = scene(&format!(
        "target_mutation_per_division = {p_target}\nefflux_mutation_per_division = {p_efflux}\n\
         slow_cycle_mutation_per_division = {p_slow}\n"
    ));
    let (divisions, gained, lineage) = divide(&scene, 50, 0);
    assert_eq!(divisions, 50 * 100 * 100);
    let bits = [(0, p_target), (4, p_efflux), (5, p_slow)];
    for (bit, p) in bits {
        let mean = divisions as f64 * p;
        let sd = (mean * (1.0 - p)).sqrt();
        let k = gained[bit] as f64;
        eprintln!("trait bit {bit}: {k} mutants, expected {mean:.1} ± {sd:.1}");
        assert!(
            (k - mean).abs() <= 3.29 * sd,
            "bit {bit}: {k} vs {mean} ± {sd}"
        );
    }
    // Bits no rate applies to (targets of drugs the scene lacks, unused bits) never mutate.
    for bit in [1, 2, 3, 6, 7] {
        assert_eq!(gained[bit], 0, "bit {bit}");
    }
    // Every mutant daughter founded one clone (a daughter gaining two traits at once
    // is one mutation).
    let table = Lineage::from_words(&lineage).expect("lineage");
    assert_eq!(table.unassigned, 0);
    let mutants = table.clones.len() as u64 - 1;
    assert_eq!(table.mutations as u64, mutants);
    let total: u64 = gained.iter().sum();
    assert!(
        mutants <= total && mutants + 5 >= total,
        "{mutants} vs {total}"
    );
    for (id, c) in table.clones.iter().enumerate().skip(1) {
        assert_eq!(c.parent, Some(0));
        assert!(
            c.traits != 0 && c.birth_tick >= 1 && c.birth_tick <= 50,
            "{id}: {c:?}"
        );
    }
    // Ids follow birth tick, then site.
    let order: Vec<(u32, u32)> = table
        .clones
        .iter()
        .skip(1)
        .map(|c| (c.birth_tick, c.founder_site))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn no_rate_no_mutants_and_carried_traits_do_not_mutate_again() {
    let zero = scene(
        "target_mutation_per_division = 0\nefflux_mutation_per_division = 0\n\
         slow_cycle_mutation_per_division = 0\n",
    );
    let (divisions, gained, lineage) = divide(&zero, 5, 0);
    assert_eq!((divisions, gained), (5 * 10_000, [0; 8]));
    assert_eq!(lineage[word::NEXT_CLONE], 1);
    // A clone that already pumps cannot gain efflux again: only slow cycling appears.
    let frequent = scene(
        "efflux_mutation_per_division = 0.2\nslow_cycle_mutation_per_division = 0.2\n\
         target_mutation_per_division = 0\n",
    );
    let (divisions, gained, _) = divide(&frequent, 2, TRAIT_EFFLUX);
    assert_eq!(gained[4], 0);
    let k = gained[5] as f64;
    let mean = divisions as f64 * 0.2;
    assert!(
        (k - mean).abs() <= 3.29 * (mean * 0.8).sqrt(),
        "{k} vs {mean}"
    );
}

#[test]
fn a_slow_cycling_mutant_gets_a_longer_cycle() {
    let s = scene(
        "target_mutation_per_division = 0\nefflux_mutation_per_division = 0\n\
         slow_cycle_mutation_per_division = 0.5\nslow_cycle_factor = 3.0\n",
    );
    let base = SimParams::from_scene(&s).at_tick(s.seed, 0);
    let drugs = DrugSet::from_scene(&s);
    let (src, wish) = dividing_lattice(base.nx, base.ny, 0);
    let mut dst = vec![Site::EMPTY; src.len()];
    let mut lineage = Lineage::initial(&[0]).to_words();
    let mut exposure = vec![0u32; src.len()];
    cpu::resolve(
        &base,
        &drugs,
        &src,
        &wish,
        &mut dst,
        &mut exposure,
        &mut lineage,
    );
    let mean_len = |slow: bool| {
        let lens: Vec<f64> = src
            .iter()
            .zip(&dst)
            .filter(|(a, b)| a.kind() == Kind::Empty && b.kind() == Kind::Tumour)
            .filter(|(_, b)| (b.w3 & TRAIT_SLOW_CYCLE != 0) == slow)
            .map(|(_, b)| b.cycle_len() as f64)
            .collect();
        lens.iter().sum::<f64>() / lens.len() as f64
    };
    let ratio = mean_len(true) / mean_len(false);
    assert!((ratio - 3.0).abs() < 0.1, "cycle ratio {ratio}");
}

/// A whole run on the CPU backend: lineage.csv lists every clone, its parent and
/// traits; every live cell belongs to a listed clone with its traits; the summary and
/// the time series agree with the table.
#[test]
fn a_run_writes_its_lineage() {
    let dir = std::env::temp_dir().join(format!("oncolattice-lineage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scene_path = dir.join("scene.toml");
    std::fs::write(
        &scene_path,
        "name = \"lineage\"\nseed = 4\n[lattice]\nnx = 60\nny = 60\n[time]\nduration_days = 4\n\
         report_every_h = 24\n[tumour]\nradius_um = 200.0\n[vessels]\nlayout = \"grid\"\nspacing_um = 200.0\n\
         [resistance]\ntarget_mutation_per_division = 0\nefflux_mutation_per_division = 0.01\n\
         slow_cycle_mutation_per_division = 0.01\n[[clones]]\nfraction = 0.8\n\
         [[clones]]\nfraction = 0.2\ntraits = [\"efflux\"]\n",
    )
    .unwrap();
    let out = dir.join("run");
    let status = std::process::Command::new(BIN)
        .args(["run", "--backend", "cpu", "--out"])
        .arg(&out)
        .arg(&scene_path)
        .output()
        .expect("run");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let csv = std::fs::read_to_string(out.join("lineage.csv")).expect("lineage.csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "clone,parent,birth_tick,birth_day,before_treatment,traits,founder_x,founder_y,founder_z,live_cells,necrotic_cells"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert!(rows.len() > 2 + 5, "{} clones", rows.len());
    assert_eq!(
        rows[0][..6],
        ["0", "", "0", "0", "true", ""].map(String::from)
    );
    assert_eq!(rows[1][5], "efflux");
    for (k, r) in rows.iter().enumerate().skip(2) {
        let parent: usize = r[1].parse().unwrap();
        assert!(parent < k, "clone {k} parent {parent}");
        let traits = &r[5];
        let parent_traits = &rows[parent][5];
        assert!(traits != parent_traits && !traits.is_empty(), "{r:?}");
        // No therapy: every clone existed "before treatment".
        assert_eq!(r[4], "true");
        assert!(r[6].parse::<u32>().unwrap() < 60 && r[8] == "0", "{r:?}");
    }
    let live: u64 = rows.iter().map(|r| r[9].parse::<u64>().unwrap()).sum();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["final"]["tumor_live"].as_u64().unwrap(), live);
    assert_eq!(
        summary["lineage"]["clones"].as_u64().unwrap(),
        rows.len() as u64
    );
    assert_eq!(
        summary["final"]["clones"].as_u64().unwrap(),
        rows.len() as u64
    );
    assert_eq!(
        summary["lineage"]["mutations"].as_u64().unwrap(),
        rows.len() as u64 - 2
    );
    // The time series counts live cells by clone: each initial clone, and the
    // acquired ones together. Every row adds up to the live cells, and the last row
    // agrees with the lineage table's counts from the final state.
    let ts = std::fs::read_to_string(out.join("timeseries.csv")).expect("timeseries.csv");
    let mut ts_lines = ts.lines();
    let header: Vec<&str> = ts_lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|c| *c == name).expect(name);
    let [live_col, c0, c1, acq] = ["tumor_live", "clone_0", "clone_1", "clone_acquired"].map(col);
    assert_eq!((c1, acq), (c0 + 1, c0 + 2), "clone columns side by side");
    let mut last = Vec::new();
    for line in ts_lines {
        let v: Vec<u64> = line.split(',').map(|x| x.parse().unwrap_or(0)).collect();
        assert_eq!(v[c0] + v[c1] + v[acq], v[live_col], "{line}");
        last = v;
    }
    let live_of = |r: &Vec<String>| r[9].parse::<u64>().unwrap();
    let acquired: u64 = rows[2..].iter().map(live_of).sum();
    assert!(acquired > 0);
    assert_eq!(
        [last[c0], last[c1], last[acq]],
        [live_of(&rows[0]), live_of(&rows[1]), acquired]
    );
    assert_eq!(
        summary["final"]["by_clone"]["acquired"].as_u64(),
        Some(acquired)
    );
    assert_eq!(
        summary["final"]["by_clone"]["initial"],
        serde_json::json!([last[c0], last[c1]])
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
