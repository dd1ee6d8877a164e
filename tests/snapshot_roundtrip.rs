//! Snapshots round-trip: every section (every bit of every site word, every oxygen
//! value including -0, subnormals, NaN and infinities) and every header key come back
//! exactly as written; new optional sections are skipped and new required ones refused.

use oncolattice::engine::{HostState, SolveStats, TickReport};
use oncolattice::model::census::Census;
use oncolattice::model::lineage::{CloneRecord, Lineage};
use oncolattice::model::rng;
use oncolattice::model::site::Site;
use oncolattice::output::snapshot::codec::{self, SectionOut, SectionSlice};
use oncolattice::output::snapshot::{
    self, BackendRecord, ReportRecord, RngState, RunRecord, Snapshot, SnapshotError,
    SnapshotHeader, SnapshotRecord, FORMAT_NAME, RNG_SCHEME,
};
use oncolattice::scene::Scene;
use std::path::Path;

const SCENE: &str = r#"
name = "roundtrip"
seed = 123456789012
[lattice]
nx = 7
ny = 5
nz = 3
site_size_um = 17.5
[time]
duration_days = 2
[[drugs]]
name = "cisplatin"
class = "nonspecific"
emax_per_h = 0.1
ic50_um = 2.0
[[drugs]]
name = "erlotinib"
class = "targeted"
emax_per_h = 0.2
ic50_um = 0.5
"#;

fn drug_names() -> Vec<String> {
    vec!["cisplatin".into(), "erlotinib".into()]
}

/// SplitMix64, for reproducible test data.
struct Rand(u64);

impl Rand {
    fn u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 32) as u32
    }
}

fn header(scene: &Scene, tick: u64) -> SnapshotHeader {
    let mut census = Census::CLEARED;
    census.tumour_live = 12;
    census.set_field_sum(0, (3 << 32) | 0xdead_beef);
    let report = |t: u64, residual: f32| {
        ReportRecord::from(&TickReport {
            tick: t,
            census,
            solve: SolveStats {
                sweeps: 7,
                residual,
                converged: residual < 1e-3,
            },
        })
    };
    SnapshotHeader {
        format: FORMAT_NAME.into(),
        format_version: codec::FORMAT_VERSION,
        oncolattice_version: env!("CARGO_PKG_VERSION").into(),
        tick,
        time_h: tick as f64 * scene.time.tick_h,
        seed: scene.seed,
        rng: RngState {
            scheme: RNG_SCHEME.into(),
            next_tick_key: rng::tick_key(scene.seed, tick as u32),
        },
        dims: [7, 5, 3],
        n_sites: 105,
        site_size_um: 17.5,
        scene_toml: scene.to_resolved_toml(),
        scene_file: "scenes/some where/roundtrip.toml".into(),
        backend: BackendRecord {
            kind: "gpu".into(),
            device: "Some GPU \"quoted\" µ".into(),
            detail: "Vulkan, DiscreteGpu".into(),
            note: "GPU backend (requested)".into(),
        },
        initial_solve: SolveStats {
            sweeps: 321,
            residual: 9.765625e-4,
            converged: true,
        }
        .into(),
        run: RunRecord {
            total_ticks: scene.total_ticks(),
            report_every_ticks: 6,
            frame_every_ticks: Some(12),
            snapshot_every_ticks: Some(24),
            snapshot_every_days: Some(1.0),
            last_frame_tick: Some(24),
            frames_crc32: vec![1, 0xffff_ffff, 3],
            snapshots: vec![SnapshotRecord {
                tick: 24,
                crc32: 0x1234_5678,
            }],
            plots: false,
        },
        census_history: vec![
            report(0, 1e-4),
            report(6, f32::MIN_POSITIVE / 8.0),
            report(12, 0.1 + 0.2),
        ],
        plasma_um: vec![0.1 + 0.2, 1.0 / 3.0],
        therapy: None,
        therapy_log: Vec::new(),
    }
}

fn state(n: usize) -> HostState {
    let mut r = Rand(42);
    let sites = (0..n)
        .map(|_| Site {
            w0: r.u32(),
            w1: r.u32(),
            w2: r.u32(),
            w3: r.u32(),
        })
        .collect();
    let specials = [
        0.0f32,
        -0.0,
        f32::MIN_POSITIVE,
        f32::MIN_POSITIVE / 3.0,
        f32::MAX,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::from_bits(0x7fc0_1234),
        1.0 / 3.0,
    ];
    let mut float = |i: usize| {
        specials
            .get(i)
            .copied()
            .unwrap_or_else(|| f32::from_bits(r.u32()))
    };
    let oxygen = (0..n).map(&mut float).collect();
    let mut st = HostState::new(sites, oxygen, 2);
    for (i, d) in st.drugs.iter_mut().enumerate() {
        *d = float(i % 7);
    }
    for (i, e) in st.exposure.iter_mut().enumerate() {
        *e = (i as u32).wrapping_mul(0x9e37_79b9);
    }
    st.lineage = Lineage::initial(&[0, 16]);
    st.lineage.clones.push(CloneRecord {
        parent: Some(1),
        birth_tick: 12,
        traits: 16 | 32,
        founder_site: 77,
    });
    st.lineage.mutations = 4;
    st.lineage.unassigned = 3;
    st
}

#[test]
fn every_section_and_header_key_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let scene = Scene::parse(SCENE, Path::new("roundtrip.toml")).unwrap();
    let h = header(&scene, 30);
    let st = state(105);
    let path = dir.path().join(snapshot::file_name(30));
    let crc = snapshot::write(&path, &h, &st, &drug_names()).unwrap();

    let back = Snapshot::read(&path).unwrap();
    assert_eq!(back.header, h);
    assert_eq!(back.scene, scene);
    assert_eq!(back.state.sites, st.sites);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back.state.oxygen), bits(&st.oxygen));
    assert_eq!(bits(&back.state.drugs), bits(&st.drugs));
    assert_eq!(back.state.exposure, st.exposure);
    assert_eq!(back.state.lineage, st.lineage);
    assert_eq!(back.state.n_drugs(), 2);
    let bits64 = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits64(&back.header.plasma_um), bits64(&h.plasma_um));
    assert_eq!(back.file_crc, crc);
    assert_eq!(codec::trailer_crc(&path).unwrap(), crc);
    for (a, b) in back.header.census_history.iter().zip(&h.census_history) {
        let (a, b) = (a.to_report().unwrap(), b.to_report().unwrap());
        assert_eq!(a.solve.residual.to_bits(), b.solve.residual.to_bits());
        assert_eq!(a.census, b.census);
    }
    // Only the file itself is left: the temporary name was renamed.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [snapshot::file_name(30)]);

    // Writing the same state again gives the same bytes.
    let again = dir.path().join("again.olsnap");
    snapshot::write(&again, &h, &st, &drug_names()).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

/// A file with the v1 header and sections plus one extra section.
fn with_extra_section(dir: &Path, required: bool) -> std::path::PathBuf {
    let scene = Scene::parse(SCENE, Path::new("roundtrip.toml")).unwrap();
    let st = state(105);
    let serde_json::Value::Object(mut map) = serde_json::to_value(header(&scene, 0)).unwrap()
    else {
        unreachable!()
    };
    map.insert("a_key_from_the_future".into(), serde_json::json!({"x": 1}));
    let drug = vec![0.5f32; 105];
    let auc = vec![7u32; 105];
    let path = dir.join(format!("extra-{required}.olsnap"));
    codec::write(
        &path,
        &map,
        &[
            SectionOut {
                name: snapshot::SITES,
                shape: &[105, 4],
                required: true,
                data: SectionSlice::U32(bytemuck::cast_slice(&st.sites)),
            },
            SectionOut {
                name: "lineage_table",
                shape: &[105],
                required,
                data: SectionSlice::F32(&drug),
            },
            SectionOut {
                name: snapshot::OXYGEN,
                shape: &[105],
                required: true,
                data: SectionSlice::F32(&st.oxygen),
            },
            SectionOut {
                name: "drug.cisplatin",
                shape: &[105],
                required: true,
                data: SectionSlice::F32(&drug),
            },
            SectionOut {
                name: "exposure.cisplatin",
                shape: &[105],
                required: true,
                data: SectionSlice::U32(&auc),
            },
            SectionOut {
                name: "drug.erlotinib",
                shape: &[105],
                required: true,
                data: SectionSlice::F32(&drug),
            },
            SectionOut {
                name: "exposure.erlotinib",
                shape: &[105],
                required: true,
                data: SectionSlice::U32(&auc),
            },
        ],
    )
    .unwrap();
    path
}

#[test]
fn unknown_optional_sections_and_keys_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = with_extra_section(dir.path(), false);
    let back = Snapshot::read(&path).unwrap();
    assert_eq!(back.state.sites, state(105).sites);
    assert_eq!(back.header.tick, 0);
    assert!(back.state.drugs.iter().all(|&d| d == 0.5));
    // Without a lineage section: the scene's one initial clone.
    assert_eq!(back.state.lineage, Lineage::initial(&[0]));
}

#[test]
fn a_lineage_whose_parent_comes_later_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scene = Scene::parse(SCENE, Path::new("roundtrip.toml")).unwrap();
    let mut st = state(105);
    st.lineage.clones[2].parent = Some(2);
    let path = dir.path().join("bad-lineage.olsnap");
    snapshot::write(&path, &header(&scene, 30), &st, &drug_names()).unwrap();
    let e = Snapshot::read(&path).unwrap_err();
    assert!(matches!(e, SnapshotError::BadHeader { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("section lineage: clone 2 has parent Some(2), not an earlier clone"),
        "{e}"
    );
}

#[test]
fn unknown_required_sections_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = with_extra_section(dir.path(), true);
    let e = Snapshot::read(&path).unwrap_err();
    assert!(
        matches!(e, SnapshotError::UnknownSection { ref section, .. } if section == "lineage_table"),
        "{e}"
    );
    assert!(e.to_string().contains("use a newer oncolattice"), "{e}");
}

#[test]
fn headers_that_contradict_themselves_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scene = Scene::parse(SCENE, Path::new("roundtrip.toml")).unwrap();
    let st = state(105);
    type Spoil = Box<dyn Fn(&mut SnapshotHeader)>;
    let cases: Vec<(&str, Spoil)> = vec![
        ("rng", Box::new(|h| h.rng.next_tick_key ^= 1)),
        ("seed", Box::new(|h| h.seed += 1)),
        ("dims", Box::new(|h| h.dims = [5, 7, 3])),
        ("past the end", Box::new(|h| h.tick = 10_000)),
        (
            "scene does not validate",
            Box::new(|h| h.scene_toml = "seed = 1".into()),
        ),
        ("census", Box::new(|h| h.census_history[1].census.push(0))),
        ("format", Box::new(|h| h.format = "something else".into())),
        ("plasma_um", Box::new(|h| h.plasma_um.truncate(1))),
    ];
    for (expected, spoil) in cases {
        let mut h = header(&scene, 30);
        spoil(&mut h);
        let path = dir.path().join("bad.olsnap");
        snapshot::write(&path, &h, &st, &drug_names()).unwrap();
        let e = Snapshot::read(&path).unwrap_err();
        assert!(
            matches!(e, SnapshotError::BadHeader { .. }),
            "{expected}: {e}"
        );
        assert!(e.to_string().contains(expected), "{expected}: {e}");
    }
}

#[test]
fn a_state_without_its_drug_sections_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scene = Scene::parse(SCENE, Path::new("roundtrip.toml")).unwrap();
    let st = state(105);
    // Written as if the scene had one drug: erlotinib's sections are missing.
    let mut one = st.clone();
    one.drugs.truncate(105);
    one.exposure.truncate(105);
    let path = dir.path().join("one-drug.olsnap");
    snapshot::write(&path, &header(&scene, 30), &one, &drug_names()[..1]).unwrap();
    let e = Snapshot::read(&path).unwrap_err();
    assert!(
        e.to_string().contains("section drug.erlotinib is missing"),
        "{e}"
    );
    // A state whose arrays do not fit its drug list is not written at all.
    let err = snapshot::write(&path, &header(&scene, 30), &st, &drug_names()[..1]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn json_floats_round_trip_exactly() {
    // serde_json's float_roundtrip feature: header floats read back bit for bit.
    let mut r = Rand(7);
    for _ in 0..20_000 {
        let x = f64::from_bits(((r.u32() as u64) << 32) | r.u32() as u64);
        if !x.is_finite() {
            continue;
        }
        let back: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
        assert_eq!(back.to_bits(), x.to_bits(), "{x:e}");
    }
}
