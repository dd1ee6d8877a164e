//! Snapshots outlive versions (DESIGN.md): a format-1 snapshot written by oncolattice
//! e034e97 (tests/fixtures/snapshot-v1, README.md there) still reads, its site words
//! and census words decoded into the same state the census describes, and resuming it
//! writes byte for byte what that binary wrote when it resumed the same file.

mod snapshot_common;

use oncolattice::model::counters::Counter;
use oncolattice::model::drug_params::{TRAIT_EFFLUX, TRAIT_SLOW_CYCLE, TRAIT_TARGET_MASK};
use oncolattice::model::site::Kind;
use oncolattice::output::snapshot::{self, codec, Snapshot};
use snapshot_common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshot-v1")
}

fn fixture() -> PathBuf {
    fixture_dir().join("snapshot_00000072.olsnap")
}

#[test]
fn the_fixture_is_format_1() {
    let bytes = std::fs::read(fixture()).unwrap();
    assert_eq!(&bytes[..8], b"OLATSNAP");
    assert_eq!(&bytes[8..12], &1u32.to_le_bytes());
    assert!(bytes.len() < 300_000, "{} bytes", bytes.len());
    let c = open_container(&fixture());
    let names: Vec<&str> = c.sections.iter().map(|(i, _)| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "sites",
            "oxygen",
            "drug.erlotinib",
            "exposure.erlotinib",
            "lineage"
        ]
    );
}

#[test]
fn a_format_1_snapshot_reads_into_the_state_its_census_describes() {
    let snap = Snapshot::read(&fixture()).unwrap();
    let h = &snap.header;
    assert_eq!((h.format_version, h.tick, h.n_sites), (1, 72, 48 * 48));
    assert_eq!(snap.state.sites.len(), 2304);
    assert_eq!(snap.state.n_drugs(), 1);
    assert_eq!(snap.state.lineage.clones.len(), 21);
    assert!(h.therapy.is_some());

    // The first report row, word for word as the file holds it.
    let first = &h.census_history[0];
    assert_eq!(first.tick, 0);
    let c = first.census;
    assert_eq!(
        (
            c.tumour_live(),
            c.count(Counter::Vessel),
            c.count(Counter::Hypoxic)
        ),
        (307, 61, 70)
    );
    assert_eq!(c.o2_sum(), 68_990_057);
    assert_eq!((c.min, c.max), ([14, 14, 0], [33, 33, 0]));
    assert_eq!((c.clones, c.clone_live[0], c.acquired_live), (1, 307, 0));
    assert_eq!(first.solve.sweeps, 118);
    assert_eq!(first.solve.residual_bits, 981_401_600);

    // The last row is the census of the snapshot's own state: the site words and the
    // census words, decoded separately, agree.
    let last = h.census_history.last().unwrap();
    assert_eq!(h.census_history.len(), 13);
    assert_eq!(last.tick, 72);
    let c = last.census;
    let (mut live, mut necrotic, mut vessel, mut quiescent, mut persister) = (0, 0, 0, 0, 0);
    let (mut target, mut efflux, mut slow, mut clone0, mut acquired) = (0, 0, 0, 0, 0);
    let (mut lo, mut hi) = ([u32::MAX; 2], [0u32; 2]);
    for (i, s) in snap.state.sites.iter().enumerate() {
        let f = s.unpack();
        let xy = [(i % 48) as u32, (i / 48) as u32];
        if f.kind == Kind::Tumour as u32 || f.kind == Kind::Necrotic as u32 {
            for a in 0..2 {
                lo[a] = lo[a].min(xy[a]);
                hi[a] = hi[a].max(xy[a]);
            }
        }
        if f.kind == Kind::Necrotic as u32 {
            necrotic += 1;
        }
        if f.kind == Kind::Vessel as u32 {
            vessel += 1;
        }
        if f.kind != Kind::Tumour as u32 {
            continue;
        }
        live += 1;
        quiescent += f.quiescent as u32;
        persister += f.persister as u32;
        target += (f.traits & TRAIT_TARGET_MASK != 0) as u32;
        efflux += (f.traits & TRAIT_EFFLUX != 0) as u32;
        slow += (f.traits & TRAIT_SLOW_CYCLE != 0) as u32;
        match f.clone {
            0 => clone0 += 1,
            _ => acquired += 1,
        }
        assert!(
            f.cycle_length > 0 && f.cycle_progress <= f.cycle_length,
            "site {i}: {f:?}"
        );
    }
    assert!(
        live > 100 && acquired > 10,
        "{live} live, {acquired} acquired"
    );
    assert_eq!(
        (
            c.tumour_live(),
            c.count(Counter::Necrotic),
            c.count(Counter::Vessel),
            c.count(Counter::Quiescent),
            c.count(Counter::Persister)
        ),
        (live, necrotic, vessel, quiescent, persister)
    );
    assert_eq!(
        (
            c.count(Counter::TraitTarget),
            c.count(Counter::TraitEfflux),
            c.count(Counter::TraitSlowCycle)
        ),
        (target, efflux, slow)
    );
    assert_eq!((c.clone_live[0], c.acquired_live), (clone0, acquired));
    assert_eq!(([c.min[0], c.min[1]], [c.max[0], c.max[1]]), (lo, hi));
    assert_eq!(c.clones, 21);
    // Vessels kept their perfusion.
    let perfusions: Vec<u16> = snap
        .state
        .sites
        .iter()
        .map(|s| s.unpack())
        .filter(|f| f.kind == Kind::Vessel as u32)
        .map(|f| f.perfusion)
        .collect();
    assert_eq!(perfusions.len(), c.count(Counter::Vessel) as usize);
    assert_eq!(
        perfusions.iter().filter(|&&p| p > 0).count(),
        c.count(Counter::PerfusedVessel) as usize
    );
}

#[test]
fn a_format_1_snapshot_rewritten_in_format_2_reads_the_same() {
    let snap = Snapshot::read(&fixture()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(snapshot::file_name(72));
    let mut header = snap.header.clone();
    header.format_version = codec::FORMAT_VERSION;
    let drugs: Vec<String> = snap.scene.drugs.iter().map(|d| d.name.clone()).collect();
    snapshot::write(&path, &header, &snap.state, &drugs).unwrap();
    let back = Snapshot::read(&path).unwrap();
    assert_eq!(back.header, header);
    assert_eq!(back.state.sites, snap.state.sites);
    assert_eq!(back.state.exposure, snap.state.exposure);
    assert_eq!(back.state.lineage, snap.state.lineage);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back.state.fields), bits(&snap.state.fields));
}

#[test]
fn resuming_a_format_1_snapshot_writes_what_the_old_binary_wrote() {
    let fixture = fixture();
    let before = std::fs::read(&fixture).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("resumed");
    // summary.json records the CPU backend's thread count; the expected files were
    // written with two threads (the results do not depend on it).
    let run = Command::new(BIN)
        .current_dir(tmp.path())
        .env("RAYON_NUM_THREADS", "2")
        .args(["resume", s(&fixture), "--out", s(&out), "--backend", "cpu"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    for name in ["timeseries.csv", "summary.json", "lineage.csv"] {
        let expected = std::fs::read(fixture_dir().join("expected").join(name)).unwrap();
        let mut actual = std::fs::read(out.join(name)).unwrap();
        if name == "summary.json" {
            actual = without_later_keys(&actual);
        }
        assert!(
            expected == actual,
            "{name} differs from what e034e97 wrote:\n--- expected\n{}\n--- actual\n{}",
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(&actual)
        );
    }
    // The resumed run carries on in format 2, and the fixture is left as it was.
    let last = out.join("snapshots").join(snapshot::file_name(144));
    assert_eq!(open_container(&last).version, 2);
    assert_eq!(std::fs::read(&fixture).unwrap(), before);
}

#[test]
fn damaged_format_1_snapshots_are_still_refused() {
    let bytes = std::fs::read(fixture()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let mut flipped = bytes.clone();
    flipped[20 + header_len + 1000] ^= 0x10; // in the site words
    let cases = [
        (
            "truncated",
            bytes[..bytes.len() - 100].to_vec(),
            "snapshot is truncated",
        ),
        ("flipped", flipped, "snapshot is corrupted"),
    ];
    for (name, damaged, expected) in cases {
        let path = dir.join(format!("{name}.olsnap"));
        std::fs::write(&path, damaged).unwrap();
        let out = dir.join(format!("{name}.resumed"));
        refused(dir, &["resume", s(&path), "--out", s(&out)], expected);
        assert!(!out.exists(), "{name}: resume created {}", out.display());
    }
}

/// summary.json as e034e97 would have written it: the lines of the keys added since
/// (each therapy line's `baseline_day` and `best_change_percent`, for batches'
/// waterfall plots) taken out, and a comma left before a closing bracket dropped.
/// Everything e034e97 wrote must still be there, byte for byte.
fn without_later_keys(summary: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(summary.to_vec()).unwrap();
    // Keys added since: a line's baseline and best change, the six immune failure
    // fractions, and a line's protocol number (`"line"` followed by its `"name"`; the
    // final row's therapy `"line"` is followed by `"status"`).
    let added = [
        "\"baseline_day\":",
        "\"best_change_percent\":",
        "\"antigen_loss\":",
        "\"pdl1_protection\":",
        "\"lack_of_biomarker\":",
        "\"suppression\":",
        "\"exclusion\":",
        "\"exhaustion\":",
    ];
    let lines: Vec<&str> = text.lines().collect();
    let starts = |k: usize, key: &str| {
        lines
            .get(k)
            .is_some_and(|l| l.trim_start().starts_with(key))
    };
    let kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|&(k, l)| {
            let line_number = starts(k, "\"line\":") && starts(k + 1, "\"name\":");
            !line_number && !added.iter().any(|key| l.trim_start().starts_with(key))
        })
        .map(|(_, l)| *l)
        .collect();
    assert!(
        kept.len() < text.lines().count(),
        "no added key to take out"
    );
    let mut out = String::new();
    for (k, line) in kept.iter().enumerate() {
        let closes = kept
            .get(k + 1)
            .is_some_and(|next| next.trim_start().starts_with(['}', ']']));
        let line = if closes {
            line.strip_suffix(',').unwrap_or(line)
        } else {
            line
        };
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}
