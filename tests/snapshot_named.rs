//! Format 2 stores names, not device words: one array per site member with the
//! narrowest dtype, the census history as columns by counter name. Absent optional
//! arrays and counters read as 0; a file without `site.kind`, with a value no site can
//! hold, or with a counter this build does not know is refused.

mod snapshot_common;

use oncolattice::model::counters::Counter;
use oncolattice::model::site::{Site, SiteFields};
use oncolattice::output::snapshot::codec::{self, Container, Dtype, SectionData};
use oncolattice::output::snapshot::{self, sites, Snapshot, SnapshotError};
use oncolattice::scene::Scene;
use snapshot_common::synthetic::*;
use snapshot_common::{open_container, write_container};
use std::path::{Path, PathBuf};

const N: usize = 105;

/// A snapshot of the synthetic state, written by this build.
fn written(dir: &Path) -> PathBuf {
    let scene = Scene::parse(SCENE, Path::new("roundtrip.toml")).unwrap();
    let path = dir.join("written.olsnap");
    snapshot::write(&path, &header(&scene, 30), &state(N), &drug_names()).unwrap();
    path
}

/// `written` taken apart, changed by `edit`, and written back under `name`.
fn edited(dir: &Path, name: &str, edit: impl FnOnce(&mut Container)) -> PathBuf {
    let mut c = open_container(&written(dir));
    edit(&mut c);
    let path = dir.join(name);
    write_container(&path, &c);
    path
}

fn section<'a>(c: &'a mut Container, name: &str) -> &'a mut SectionData {
    &mut c
        .sections
        .iter_mut()
        .find(|(info, _)| info.name == name)
        .unwrap_or_else(|| panic!("no section {name}"))
        .1
}

#[test]
fn the_writer_stores_every_site_member_by_name_with_the_narrowest_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let path = written(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[8..12], &2u32.to_le_bytes(), "writers write format 2");
    let c = open_container(&path);
    assert_eq!(c.version, 2);
    assert_eq!(c.header["format_version"], 2);
    let table: Vec<(&str, Dtype, &[u64])> = c
        .sections
        .iter()
        .map(|(i, _)| (i.name.as_str(), i.dtype, i.shape.as_slice()))
        .collect();
    let n = [N as u64];
    assert_eq!(
        table[..11],
        [
            ("site.kind", Dtype::U8, &n[..]),
            ("site.quiescent", Dtype::U8, &n),
            ("site.persister", Dtype::U8, &n),
            ("site.clone", Dtype::U16, &n),
            ("site.cycle_progress", Dtype::U16, &n),
            ("site.cycle_length", Dtype::U16, &n),
            ("site.anoxic_ticks", Dtype::U16, &n),
            ("site.sanctuary_ticks", Dtype::U16, &n),
            ("site.traits", Dtype::U32, &n),
            ("site.perfusion", Dtype::U16, &n),
            ("site.base_perfusion", Dtype::U16, &n),
        ]
    );
    assert!(c.sections.iter().all(|(i, _)| i.name != "sites"));
    // The arrays hold the named values of each site.
    let st = state(N);
    let SectionData::U8(kind) = &c.sections[0].1 else {
        panic!("u8")
    };
    let SectionData::U16(clone) = &c.sections[3].1 else {
        panic!("u16")
    };
    let SectionData::U32(traits) = &c.sections[8].1 else {
        panic!("u32")
    };
    for (i, s) in st.sites.iter().enumerate() {
        let f = s.unpack();
        assert_eq!(
            (kind[i] as u32, clone[i], traits[i]),
            (f.kind, f.clone, f.traits)
        );
    }
    assert_eq!(&kind[..4], &[0, 1, 2, 3]);
    // The census history is columns by counter name, not words.
    let history = &c.header["census_history"];
    assert_eq!(history["tick"], serde_json::json!([0, 6, 12]));
    assert_eq!(
        history["counters"]["tumour_live"],
        serde_json::json!([12, 12, 12])
    );
    let o2 = (3u64 << 32) | 0xdead_beef;
    assert_eq!(
        history["counters"]["field_sum.0"],
        serde_json::json!([o2, o2, o2])
    );
    assert_eq!(
        history["counters"]["min.x"],
        serde_json::json!([u32::MAX, u32::MAX, u32::MAX])
    );
    assert_eq!(
        history["counters"].as_object().unwrap().len(),
        snapshot::census_record::counter_names().len()
    );
}

#[test]
fn absent_optional_site_arrays_read_as_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited(dir.path(), "no-sanctuary.olsnap", |c| {
        c.sections
            .retain(|(i, _)| i.name != "site.sanctuary_ticks" && i.name != "site.persister")
    });
    let back = Snapshot::decode(&path).unwrap();
    let want: Vec<Site> = state(N)
        .sites
        .iter()
        .map(|s| {
            Site::pack(&SiteFields {
                sanctuary_ticks: 0,
                persister: false,
                ..s.unpack()
            })
            .unwrap()
        })
        .collect();
    assert_ne!(
        want,
        state(N).sites,
        "the synthetic state has both members set"
    );
    assert_eq!(back.state.sites, want);
    // Everything else came through.
    assert_eq!(back.state.exposure, state(N).exposure);

    // Only site.kind: every site has its kind and nothing else.
    let path = edited(dir.path(), "kind-only.olsnap", |c| {
        c.sections
            .retain(|(i, _)| !i.name.starts_with(sites::PREFIX) || i.name == sites::KIND)
    });
    let back = Snapshot::decode(&path).unwrap();
    for (i, s) in back.state.sites.iter().enumerate() {
        let f = SiteFields {
            kind: (i % 4) as u32,
            ..SiteFields::default()
        };
        assert_eq!(s.unpack(), f, "site {i}");
    }
}

#[test]
fn a_file_without_site_kind_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited(dir.path(), "no-kind.olsnap", |c| {
        c.sections.retain(|(i, _)| i.name != sites::KIND)
    });
    let e = Snapshot::decode(&path).unwrap_err();
    assert!(matches!(e, SnapshotError::BadHeader { .. }), "{e}");
    assert!(
        e.to_string().contains("section site.kind is missing"),
        "{e}"
    );
}

#[test]
fn values_no_site_can_hold_are_refused_naming_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited(dir.path(), "kind-9.olsnap", |c| {
        let SectionData::U8(kind) = section(c, sites::KIND) else {
            panic!("u8")
        };
        kind[17] = 9;
    });
    let e = Snapshot::decode(&path).unwrap_err();
    assert!(matches!(e, SnapshotError::Corrupted { .. }), "{e}");
    assert!(
        e.to_string().contains(
            "snapshot is corrupted: section site.kind: site 17 has kind 9, which this oncolattice does not know"
        ),
        "{e}"
    );

    // The command refuses it as bad input, writing nothing.
    let out = dir.path().join("resumed");
    snapshot_common::refused(
        dir.path(),
        &[
            "resume",
            snapshot_common::s(&path),
            "--out",
            snapshot_common::s(&out),
        ],
        "site 17 has kind 9",
    );
    assert!(!out.exists());

    let path = edited(dir.path(), "flag-2.olsnap", |c| {
        let SectionData::U8(q) = section(c, "site.quiescent") else {
            panic!("u8")
        };
        q[40] = 2;
    });
    let e = Snapshot::decode(&path).unwrap_err();
    assert!(
        e.to_string()
            .contains("section site.quiescent: site 40 holds 2, more than 1"),
        "{e}"
    );

    // A wider dtype is read when its values fit, and refused by value when not.
    let widened = |v: u32| {
        move |c: &mut Container| {
            let SectionData::U16(clone) = section(c, "site.clone") else {
                panic!("u16")
            };
            let mut wide: Vec<u32> = clone.iter().map(|&x| x as u32).collect();
            wide[5] = v;
            let (info, data) = c
                .sections
                .iter_mut()
                .find(|(i, _)| i.name == "site.clone")
                .unwrap();
            info.dtype = Dtype::U32;
            *data = SectionData::U32(wide);
        }
    };
    let path = edited(dir.path(), "clone-u32.olsnap", widened(65_535));
    let back = Snapshot::decode(&path).unwrap();
    assert_eq!(back.state.sites[5].unpack().clone, 65_535);
    let path = edited(dir.path(), "clone-big.olsnap", widened(65_536));
    let e = Snapshot::decode(&path).unwrap_err();
    assert!(
        e.to_string()
            .contains("section site.clone: site 5 holds 65536, more than 65535"),
        "{e}"
    );
}

#[test]
fn unknown_site_arrays_are_refused_and_repeated_sections_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited(dir.path(), "immune.olsnap", |c| {
        let mut extra = c.sections[1].clone();
        extra.0.name = "site.immune_state".into();
        c.sections.insert(2, extra);
    });
    let e = Snapshot::decode(&path).unwrap_err();
    assert!(
        matches!(e, SnapshotError::UnknownSection { ref section, .. } if section == "site.immune_state"),
        "{e}"
    );
    let path = edited(dir.path(), "twice.olsnap", |c| {
        let again = c.sections[3].clone();
        c.sections.push(again);
    });
    let e = Snapshot::decode(&path).unwrap_err();
    assert!(
        e.to_string().contains("section site.clone appears twice"),
        "{e}"
    );
}

#[test]
fn census_counters_are_read_by_name() {
    let dir = tempfile::tempdir().unwrap();
    // A counter the file lacks reads as 0; the others keep their values.
    let path = edited(dir.path(), "no-hypoxic.olsnap", |c| {
        let counters = c.header["census_history"]["counters"]
            .as_object_mut()
            .unwrap();
        assert!(counters.remove("hypoxic").is_some());
        counters["necrotic"] = serde_json::json!([1, 2, 3]);
    });
    let back = Snapshot::decode(&path).unwrap();
    let censuses: Vec<_> = back
        .header
        .census_history
        .iter()
        .map(|r| r.census)
        .collect();
    assert_eq!(censuses.len(), 3);
    for (k, c) in censuses.iter().enumerate() {
        assert_eq!(
            (
                c.count(Counter::Hypoxic),
                c.count(Counter::Necrotic),
                c.tumour_live()
            ),
            (0, k as u32 + 1, 12)
        );
        assert_eq!(c.o2_sum(), (3 << 32) | 0xdead_beef);
    }
    // A counter this build does not know is refused, like an unknown required section.
    let path = edited(dir.path(), "immune-counter.olsnap", |c| {
        c.header["census_history"]["counters"]["immune_live"] = serde_json::json!([0, 0, 0]);
    });
    let e = Snapshot::decode(&path).unwrap_err();
    assert!(
        matches!(e, SnapshotError::UnknownCounter { ref counter, .. } if counter == "immune_live"),
        "{e}"
    );
    assert!(
        e.to_string().contains(
            "census history has counter \"immune_live\", which this oncolattice does not know; use a newer oncolattice"
        ),
        "{e}"
    );
    // Columns of different lengths, a value too large, raw words: refused.
    type Spoil = fn(&mut serde_json::Value);
    let cases: [(&str, Spoil); 4] = [
        ("vessel has 2 values for 3 ticks", |h| {
            h["counters"]["vessel"] = serde_json::json!([1, 2])
        }),
        ("at tick 6: counter vessel is 4294967296", |h| {
            h["counters"]["vessel"] = serde_json::json!([0, 1u64 << 32, 0])
        }),
        ("solve.converged has 1 values for 3 ticks", |h| {
            h["solve"]["converged"] = serde_json::json!([true])
        }),
        (
            "census_history: invalid type",
            |h| *h = serde_json::json!([{"tick": 0, "census": [1, 2], "solve": {}}]),
        ),
    ];
    for (expected, spoil) in cases {
        let path = edited(dir.path(), "spoiled.olsnap", |c| {
            spoil(&mut c.header["census_history"])
        });
        let e = Snapshot::decode(&path).unwrap_err();
        assert!(
            matches!(e, SnapshotError::BadHeader { .. }),
            "{expected}: {e}"
        );
        assert!(e.to_string().contains(expected), "{expected}: {e}");
    }
    let path = edited(dir.path(), "no-history.olsnap", |c| {
        c.header.remove("census_history");
    });
    let e = Snapshot::decode(&path).unwrap_err();
    assert!(e.to_string().contains("census_history is missing"), "{e}");
}

#[test]
fn large_states_are_written_in_chunks_and_read_back() {
    // More sites than one chunk of the writer holds (64 KiB of u8 or u16 values).
    let n = 3 * 65_536 + 17;
    let mut r = Rand(9);
    let sites: Vec<Site> = (0..n).map(|i| random_site(&mut r, i)).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.olsnap");
    let data: Vec<Vec<u8>> = sites::MEMBERS
        .iter()
        .map(|m| {
            let mut v = Vec::new();
            sites::encode(m, &sites, &mut v);
            v
        })
        .collect();
    let fills: Vec<_> = sites::MEMBERS
        .iter()
        .map(|m| {
            let sites = &sites;
            move |range: std::ops::Range<usize>, out: &mut Vec<u8>| {
                sites::encode(m, &sites[range], out)
            }
        })
        .collect();
    let shape = [n as u64];
    let sections: Vec<codec::SectionOut> = sites::MEMBERS
        .iter()
        .zip(&fills)
        .map(|(m, fill)| codec::SectionOut {
            name: m.name,
            shape: &shape,
            required: true,
            data: codec::SectionSlice::Computed {
                dtype: m.dtype,
                len: n,
                fill,
            },
        })
        .collect();
    codec::write(&path, &serde_json::Map::new(), &sections).unwrap();
    let c = codec::read(&path, &|_, _| true).unwrap();
    for ((info, values), bytes) in c.sections.iter().zip(&data) {
        let le: Vec<u8> = match values {
            SectionData::U8(v) => v.clone(),
            SectionData::U16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            SectionData::U32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            SectionData::F32(_) => panic!("{}: f32", info.name),
        };
        assert_eq!(&le, bytes, "{}", info.name);
    }
    let arrays: Vec<(&str, &SectionData)> = c
        .sections
        .iter()
        .map(|(i, d)| (i.name.as_str(), d))
        .collect();
    assert_eq!(sites::decode(&arrays, n).unwrap(), sites);
}
