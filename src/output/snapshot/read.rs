//! `Snapshot::read`: a snapshot file of format 1 or 2, checked whole.

use super::census_record::{self, HistoryError};
use super::codec::{self, SectionData};
use super::sites::{self, SiteError};
use super::{
    known, v1, Snapshot, SnapshotError, SnapshotHeader, DRUG_PREFIX, EXPOSURE_PREFIX,
    FACTOR_PREFIX, FORMAT_NAME, LINEAGE, OXYGEN, RNG_SCHEME, SITES_V1,
};
use crate::engine::HostState;
use crate::model::lineage::Lineage;
use crate::model::rng;
use crate::scene::Scene;
use std::path::Path;

impl Snapshot {
    /// Reads a snapshot and checks it whole: container, header, scene and sections,
    /// then its meaning (`meaning`): what `resume`, `export` and `render` read.
    pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
        let snap = Snapshot::decode(path)?;
        super::meaning::check(&snap.header, &snap.scene, &snap.state).map_err(|what| {
            SnapshotError::Inconsistent {
                path: path.to_path_buf(),
                what,
            }
        })?;
        Ok(snap)
    }

    /// Reads a snapshot and checks its container, header, scene and sections, but not
    /// whether a run could have written its values (a NaN field, a clone id past the
    /// lineage table read back as stored): for tests of the format's exactness.
    pub fn decode(path: &Path) -> Result<Snapshot, SnapshotError> {
        let mut c = codec::read(path, &known)?;
        let bad = |message: String| SnapshotError::BadHeader {
            path: path.to_path_buf(),
            message,
        };
        // The census history's form depends on the version; the rest of the header
        // does not. It is decoded once the header says it is a snapshot of that version.
        let history = c
            .header
            .remove("census_history")
            .ok_or_else(|| bad("census_history is missing".into()))?;
        let mut header: SnapshotHeader =
            serde_json::from_value(serde_json::Value::Object(std::mem::take(&mut c.header)))
                .map_err(|e| bad(e.to_string()))?;
        if header.format != FORMAT_NAME {
            return Err(bad(format!(
                "format is {:?}, not {FORMAT_NAME:?}",
                header.format
            )));
        }
        if header.format_version != c.version {
            return Err(bad(format!(
                "format_version {} differs from the file's version {}",
                header.format_version, c.version
            )));
        }
        header.census_history = match c.version {
            1 => v1::census_history(history),
            _ => census_record::history_from_json(history),
        }
        .map_err(|e| match e {
            HistoryError::UnknownCounter(counter) => SnapshotError::UnknownCounter {
                path: path.to_path_buf(),
                counter,
            },
            HistoryError::Invalid(m) => bad(m),
        })?;
        let scene = Scene::parse(&header.scene_toml, Path::new("scene_toml"))
            .map_err(|e| bad(format!("its scene does not validate: {e}")))?;
        let [nx, ny, nz] = header.dims;
        let n = nx as u64 * ny as u64 * nz as u64;
        if [nx, ny, nz] != [scene.lattice.nx, scene.lattice.ny, scene.lattice.nz]
            || n != header.n_sites
        {
            return Err(bad(format!(
                "dims {:?} and n_sites {} do not match its scene ({} × {} × {})",
                header.dims, header.n_sites, scene.lattice.nx, scene.lattice.ny, scene.lattice.nz
            )));
        }
        if header.seed != scene.seed {
            return Err(bad(format!(
                "seed {} differs from its scene's seed {}",
                header.seed, scene.seed
            )));
        }
        if header.tick > scene.total_ticks() || header.tick > u32::MAX as u64 {
            return Err(bad(format!(
                "tick {} is past the end of its scene ({} ticks)",
                header.tick,
                scene.total_ticks()
            )));
        }
        if header.rng.scheme != RNG_SCHEME
            || header.rng.next_tick_key != rng::tick_key(header.seed, header.tick as u32)
        {
            return Err(bad(format!(
                "rng {:?} does not match seed {} at tick {} (scheme {RNG_SCHEME:?})",
                header.rng, header.seed, header.tick
            )));
        }
        let drug_names: Vec<&str> = scene.drugs.iter().map(|d| d.name.as_str()).collect();
        let n_drugs = drug_names.len();
        let has_therapy = crate::engine::therapy::TherapyHost::new(&scene)
            .map_err(|e| bad(format!("its scene's therapy cannot start: {e}")))?
            .is_some();
        if has_therapy != header.therapy.is_some() {
            return Err(bad(format!(
                "its scene {} a therapy but the header {} therapy state",
                if has_therapy { "has" } else { "has no" },
                if header.therapy.is_some() {
                    "holds"
                } else {
                    "holds no"
                }
            )));
        }
        if header.plasma_um.len() != n_drugs {
            return Err(bad(format!(
                "plasma_um has {} values for {n_drugs} drugs",
                header.plasma_um.len()
            )));
        }
        let n_usize = n as usize;
        let corrupted = |what: String| SnapshotError::Corrupted {
            path: path.to_path_buf(),
            what,
        };
        let mut sites = None;
        let mut site_arrays: Vec<(String, SectionData)> = Vec::new();
        let mut oxygen = None;
        let mut lineage = None;
        let mut drugs: Vec<Option<Vec<f32>>> = vec![None; n_drugs];
        let factor_names: Vec<&str> = scene.factors.iter().map(|f| f.name.as_str()).collect();
        let mut factors: Vec<Option<Vec<f32>>> = vec![None; factor_names.len()];
        let factor_index = |name: &str| {
            let f = name.strip_prefix(FACTOR_PREFIX)?;
            factor_names.iter().position(|g| *g == f)
        };
        let mut exposure: Vec<Option<Vec<u32>>> = vec![None; n_drugs];
        let drug_index = |name: &str, prefix: &str| {
            let drug = name.strip_prefix(prefix)?;
            drug_names.iter().position(|d| *d == drug)
        };
        let mut seen = std::collections::BTreeSet::new();
        for (info, data) in std::mem::take(&mut c.sections) {
            if !seen.insert(info.name.clone()) {
                return Err(bad(format!("section {} appears twice", info.name)));
            }
            if info.name == LINEAGE {
                let rows = match (&data, info.shape.as_slice()) {
                    (SectionData::U32(words), [_, 4]) => Lineage::from_rows(words),
                    _ => Err(format!(
                        "shape {:?} ({:?}), expected [clones + 1, 4] (U32)",
                        info.shape, info.dtype
                    )),
                };
                lineage = Some(rows.map_err(|e| bad(format!("section {LINEAGE}: {e}")))?);
                continue;
            }
            let v1_sites = c.version == 1 && info.name == SITES_V1;
            let want: &[u64] = if v1_sites { &[n, 4] } else { &[n] };
            if info.shape != want {
                return Err(bad(format!(
                    "section {} has shape {:?}, expected {want:?}",
                    info.name, info.shape
                )));
            }
            let name = info.name.as_str();
            match (
                data,
                drug_index(name, DRUG_PREFIX),
                drug_index(name, EXPOSURE_PREFIX),
            ) {
                (SectionData::U32(words), _, _) if v1_sites => {
                    sites = Some(v1::sites(&words).map_err(corrupted)?)
                }
                (data, _, _) if c.version > 1 && sites::is_member(name) => {
                    site_arrays.push((info.name, data))
                }
                (SectionData::F32(values), _, _) if name == OXYGEN => oxygen = Some(values),
                (SectionData::F32(values), _, _) if factor_index(name).is_some() => {
                    factors[factor_index(name).unwrap_or(0)] = Some(values)
                }
                (SectionData::F32(values), Some(k), _) => drugs[k] = Some(values),
                (SectionData::U32(values), _, Some(k)) => exposure[k] = Some(values),
                _ => {
                    return Err(bad(format!(
                        "section {name} ({:?}) is not a field of its scene (drugs: {drug_names:?}, factors: {factor_names:?})",
                        info.dtype
                    )))
                }
            }
        }
        let missing = |what: &str| bad(format!("section {what} is missing"));
        let sites = match sites {
            Some(s) => s,
            None if c.version == 1 => return Err(missing(SITES_V1)),
            None => {
                let arrays: Vec<(&str, &SectionData)> =
                    site_arrays.iter().map(|(k, v)| (k.as_str(), v)).collect();
                sites::decode(&arrays, n_usize).map_err(|e| match e {
                    SiteError::Table(m) => bad(m),
                    SiteError::Value(m) => corrupted(m),
                })?
            }
        };
        let oxygen = oxygen.ok_or_else(|| missing(OXYGEN))?;
        let mut state = HostState::with_factors(sites, oxygen, n_drugs, factor_names.len());
        state.lineage = lineage.unwrap_or_else(|| {
            Lineage::initial(&crate::model::setup::initial_clone_traits(&scene))
        });
        for k in 0..n_drugs {
            let field = drugs[k]
                .take()
                .ok_or_else(|| missing(&format!("{DRUG_PREFIX}{}", drug_names[k])))?;
            let auc = exposure[k]
                .take()
                .ok_or_else(|| missing(&format!("{EXPOSURE_PREFIX}{}", drug_names[k])))?;
            state
                .field_mut(crate::model::fields::drug_field(k))
                .copy_from_slice(&field);
            state.exposure[k * n_usize..(k + 1) * n_usize].copy_from_slice(&auc);
        }
        for (k, name) in factor_names.iter().enumerate() {
            let field = factors[k]
                .take()
                .ok_or_else(|| missing(&format!("{FACTOR_PREFIX}{name}")))?;
            let f = crate::model::fields::factor_field(n_drugs, k);
            state.field_mut(f).copy_from_slice(&field);
        }
        Ok(Snapshot {
            header,
            scene,
            state,
            file_crc: c.file_crc,
        })
    }
}
