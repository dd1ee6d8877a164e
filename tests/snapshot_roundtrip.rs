//! Snapshots round-trip: every section (every member of every site, every oxygen
//! value including -0, subnormals, NaN and infinities) and every header key come back
//! exactly as written; new optional sections are skipped and new required ones refused.

mod snapshot_common;

use oncolattice::model::lineage::Lineage;
use oncolattice::output::snapshot::codec::{self, SectionData, SectionInfo};
use oncolattice::output::snapshot::{self, Snapshot, SnapshotError, SnapshotHeader};
use oncolattice::scene::Scene;
use snapshot_common::synthetic::*;
use snapshot_common::{open_container, write_container};
use std::path::Path;

#[test]
fn every_section_and_header_key_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let scene = Scene::parse(SCENE, Path::new("roundtrip.toml")).unwrap();
    let h = header(&scene, 30);
    let st = state(105);
    let path = dir.path().join(snapshot::file_name(30));
    let crc = snapshot::write(&path, &h, &st, &drug_names()).unwrap();

    let back = Snapshot::decode(&path).unwrap();
    assert_eq!(back.header, h);
    assert_eq!(back.scene, scene);
    assert_eq!(back.state.sites, st.sites);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back.state.fields), bits(&st.fields));
    assert_eq!(back.state.exposure, st.exposure);
    assert_eq!(back.state.lineage, st.lineage);
    assert_eq!(back.state.n_drugs(), 2);
    let bits64 = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits64(&back.header.plasma_um), bits64(&h.plasma_um));
    assert_eq!(back.file_crc, crc);
    assert_eq!(codec::trailer_crc(&path).unwrap(), crc);
    assert_eq!(back.header.census_history.len(), 3);
    for (a, b) in back.header.census_history.iter().zip(&h.census_history) {
        let (a, b) = (a.to_report().unwrap(), b.to_report().unwrap());
        assert_eq!(a.solve.residual.to_bits(), b.solve.residual.to_bits());
        assert_eq!(a.census, b.census);
        assert_eq!(a.census.o2_sum(), 3 << 32 | 0xdead_beef);
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

/// A written snapshot plus a header key and a section this build does not know, the
/// section placed between two known ones.
fn with_extra_section(dir: &Path, required: bool) -> std::path::PathBuf {
    let scene = Scene::parse(SCENE, Path::new("roundtrip.toml")).unwrap();
    let written = dir.join("written.olsnap");
    snapshot::write(&written, &header(&scene, 0), &state(105), &drug_names()).unwrap();
    let mut c = open_container(&written);
    c.header
        .insert("a_key_from_the_future".into(), serde_json::json!({"x": 1}));
    c.sections.insert(
        2,
        (
            SectionInfo {
                name: "lineage_table".into(),
                dtype: codec::Dtype::F32,
                shape: vec![105],
                required,
            },
            SectionData::F32(vec![0.5; 105]),
        ),
    );
    let path = dir.join(format!("extra-{required}.olsnap"));
    write_container(&path, &c);
    path
}

#[test]
fn unknown_optional_sections_and_keys_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = with_extra_section(dir.path(), false);
    let back = Snapshot::decode(&path).unwrap();
    let st = state(105);
    assert_eq!(back.state.sites, st.sites);
    assert_eq!(back.header.tick, 0);
    assert_eq!(back.state.exposure, st.exposure);
    assert_eq!(back.state.lineage, st.lineage);
}

#[test]
fn a_snapshot_without_lineage_starts_from_the_initial_clones() {
    let dir = tempfile::tempdir().unwrap();
    let path = with_extra_section(dir.path(), false);
    let mut c = open_container(&path);
    c.sections
        .retain(|(info, _)| info.name != snapshot::LINEAGE);
    write_container(&path, &c);
    let back = Snapshot::decode(&path).unwrap();
    // The scene's one initial clone, although the sites name others.
    assert_eq!(back.state.lineage, Lineage::initial(&[0]));
    assert_eq!(back.state.sites, state(105).sites);
}

#[test]
fn a_lineage_whose_parent_comes_later_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scene = Scene::parse(SCENE, Path::new("roundtrip.toml")).unwrap();
    let mut st = state(105);
    st.lineage.clones[2].parent = Some(2);
    let path = dir.path().join("bad-lineage.olsnap");
    snapshot::write(&path, &header(&scene, 30), &st, &drug_names()).unwrap();
    let e = Snapshot::decode(&path).unwrap_err();
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
    let e = Snapshot::decode(&path).unwrap_err();
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
        ("format", Box::new(|h| h.format = "something else".into())),
        (
            "format_version 1 differs",
            Box::new(|h| h.format_version = 1),
        ),
        ("plasma_um", Box::new(|h| h.plasma_um.truncate(1))),
    ];
    for (expected, spoil) in cases {
        let mut h = header(&scene, 30);
        spoil(&mut h);
        let path = dir.path().join("bad.olsnap");
        snapshot::write(&path, &h, &st, &drug_names()).unwrap();
        let e = Snapshot::decode(&path).unwrap_err();
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
    one.fields.truncate(2 * 105);
    one.n_drugs = 1;
    one.exposure.truncate(105);
    let path = dir.path().join("one-drug.olsnap");
    snapshot::write(&path, &header(&scene, 30), &one, &drug_names()[..1]).unwrap();
    let e = Snapshot::decode(&path).unwrap_err();
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
