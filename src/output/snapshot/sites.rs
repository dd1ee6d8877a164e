//! The site state in format 2: one array per member of `SiteFields`, built with
//! `Site::unpack` and read back with `Site::pack`, so that no file depends on how
//! `Site` packs its bits (format 1 stored the device words, which a repacking would
//! have misread without a sound).
//!
//! The writer gives each array the narrowest dtype that holds its member; the reader
//! takes any unsigned integer dtype whose values fit, so that widening a member in a
//! later version does not make the files before it unreadable.

use super::codec::{Dtype, SectionData};
use crate::model::site::{Site, SiteFields};

/// Prefix of every site array's section name.
pub const PREFIX: &str = "site.";
/// The one site array a file must hold: without it nothing says what a site is.
pub const KIND: &str = "site.kind";

/// One member of `SiteFields` as an array.
pub struct Member {
    pub name: &'static str,
    /// What the writer uses: the narrowest dtype that holds the member.
    pub dtype: Dtype,
    /// Largest value the member holds (1 for flags).
    pub max: u32,
    pub get: fn(&SiteFields) -> u32,
    /// Stores a value already checked against `max`.
    pub set: fn(&mut SiteFields, u32),
}

const U16_MAX: u32 = u16::MAX as u32;

/// The site arrays, in the order they are written. Absent ones (all but `site.kind`)
/// read as 0 (`false`), which is what `Site::unpack` gives a member that does not
/// apply to the site's kind.
pub const MEMBERS: [Member; 25] = [
    Member {
        name: KIND,
        dtype: Dtype::U8,
        max: u8::MAX as u32,
        get: |f| f.kind,
        set: |f, v| f.kind = v,
    },
    Member {
        name: "site.quiescent",
        dtype: Dtype::U8,
        max: 1,
        get: |f| f.quiescent as u32,
        set: |f, v| f.quiescent = v != 0,
    },
    Member {
        name: "site.persister",
        dtype: Dtype::U8,
        max: 1,
        get: |f| f.persister as u32,
        set: |f, v| f.persister = v != 0,
    },
    Member {
        name: "site.clone",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.clone as u32,
        set: |f, v| f.clone = v as u16,
    },
    Member {
        name: "site.cycle_progress",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.cycle_progress as u32,
        set: |f, v| f.cycle_progress = v as u16,
    },
    Member {
        name: "site.cycle_length",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.cycle_length as u32,
        set: |f, v| f.cycle_length = v as u16,
    },
    Member {
        name: "site.anoxic_ticks",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.anoxic_ticks as u32,
        set: |f, v| f.anoxic_ticks = v as u16,
    },
    Member {
        name: "site.sanctuary_ticks",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.sanctuary_ticks as u32,
        set: |f, v| f.sanctuary_ticks = v as u16,
    },
    Member {
        name: "site.traits",
        dtype: Dtype::U32,
        max: u32::MAX,
        get: |f| f.traits,
        set: |f, v| f.traits = v,
    },
    Member {
        name: "site.perfusion",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.perfusion as u32,
        set: |f, v| f.perfusion = v as u16,
    },
    Member {
        name: "site.base_perfusion",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.base_perfusion as u32,
        set: |f, v| f.base_perfusion = v as u16,
    },
    Member {
        name: "site.engaged",
        dtype: Dtype::U8,
        max: 1,
        get: |f| f.engaged as u32,
        set: |f, v| f.engaged = v != 0,
    },
    Member {
        name: "site.exhausted",
        dtype: Dtype::U8,
        max: 1,
        get: |f| f.exhausted as u32,
        set: |f, v| f.exhausted = v != 0,
    },
    Member {
        name: "site.detached",
        dtype: Dtype::U8,
        max: 1,
        get: |f| f.detached as u32,
        set: |f, v| f.detached = v != 0,
    },
    Member {
        name: "site.age_ticks",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.age_ticks as u32,
        set: |f, v| f.age_ticks = v as u16,
    },
    Member {
        name: "site.kills",
        dtype: Dtype::U8,
        max: u8::MAX as u32,
        get: |f| f.kills as u32,
        set: |f, v| f.kills = v as u8,
    },
    Member {
        name: "site.divisions_pending",
        dtype: Dtype::U8,
        max: u8::MAX as u32,
        get: |f| f.divisions_pending as u32,
        set: |f, v| f.divisions_pending = v as u8,
    },
    Member {
        name: "site.engagement_ticks",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.engagement_ticks as u32,
        set: |f, v| f.engagement_ticks = v as u16,
    },
    Member {
        name: "site.target_slot",
        dtype: Dtype::U8,
        max: 26,
        get: |f| f.target_slot as u32,
        set: |f, v| f.target_slot = v as u8,
    },
    Member {
        name: "site.immature",
        dtype: Dtype::U8,
        max: 1,
        get: |f| f.immature as u32,
        set: |f, v| f.immature = v != 0,
    },
    Member {
        name: "site.grown",
        dtype: Dtype::U8,
        max: 1,
        get: |f| f.grown as u32,
        set: |f, v| f.grown = v != 0,
    },
    Member {
        name: "site.vessel_age_h",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.vessel_age_h as u32,
        set: |f, v| f.vessel_age_h = v as u16,
    },
    Member {
        name: "site.low_shear_min",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.low_shear_min as u32,
        set: |f, v| f.low_shear_min = v as u16,
    },
    Member {
        name: "site.stalk_face",
        dtype: Dtype::U8,
        max: 5,
        get: |f| f.stalk_face as u32,
        set: |f, v| f.stalk_face = v as u8,
    },
    Member {
        name: "site.tip_steps",
        dtype: Dtype::U16,
        max: U16_MAX,
        get: |f| f.tip_steps as u32,
        set: |f, v| f.tip_steps = v as u16,
    },
];

/// Whether `name` is a site array of format 2.
pub fn is_member(name: &str) -> bool {
    MEMBERS.iter().any(|m| m.name == name)
}

/// Appends the little-endian values of member `m` of `sites` to `out` (a computed
/// section: the state is never copied whole).
pub fn encode(m: &Member, sites: &[Site], out: &mut Vec<u8>) {
    for s in sites {
        let v = (m.get)(&s.unpack());
        match m.dtype {
            Dtype::U8 => out.push(v as u8),
            Dtype::U16 => out.extend_from_slice(&(v as u16).to_le_bytes()),
            Dtype::U32 | Dtype::F32 => out.extend_from_slice(&v.to_le_bytes()),
        }
    }
}

/// An array as read, whatever unsigned dtype it was written with.
enum Column<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
}

impl Column<'_> {
    fn get(&self, i: usize) -> u32 {
        match self {
            Column::U8(v) => v[i] as u32,
            Column::U16(v) => v[i] as u32,
            Column::U32(v) => v[i],
        }
    }
}

/// Why the site arrays do not make sites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteError {
    /// An array is missing or has the wrong type.
    Table(String),
    /// A value no site can hold; the message names the array, the site and the value.
    Value(String),
}

/// The sites of a format-2 file from its site arrays (`arrays`: name and values, each
/// already checked to hold `n` values).
pub fn decode(arrays: &[(&str, &SectionData)], n: usize) -> Result<Vec<Site>, SiteError> {
    let mut columns: Vec<Option<Column<'_>>> = Vec::with_capacity(MEMBERS.len());
    for m in &MEMBERS {
        let column = match arrays.iter().find(|(name, _)| *name == m.name) {
            None => None,
            Some((_, SectionData::U8(v))) => Some(Column::U8(v)),
            Some((_, SectionData::U16(v))) => Some(Column::U16(v)),
            Some((_, SectionData::U32(v))) => Some(Column::U32(v)),
            Some((_, SectionData::F32(_))) => {
                return Err(SiteError::Table(format!(
                    "section {} is f32; a site array is an unsigned integer ({:?})",
                    m.name, m.dtype
                )))
            }
        };
        columns.push(column);
    }
    if columns[0].is_none() {
        return Err(SiteError::Table(format!("section {KIND} is missing")));
    }
    let mut sites = Vec::with_capacity(n);
    for i in 0..n {
        let mut f = SiteFields::default();
        for (m, column) in MEMBERS.iter().zip(&columns) {
            let Some(column) = column else { continue };
            let v = column.get(i);
            if v > m.max {
                return Err(SiteError::Value(format!(
                    "section {}: site {i} holds {v}, more than {}",
                    m.name, m.max
                )));
            }
            (m.set)(&mut f, v);
        }
        let site = Site::pack(&f).ok_or_else(|| {
            SiteError::Value(format!(
                "section {KIND}: site {i} has kind {}, which this oncolattice does not know",
                f.kind
            ))
        })?;
        sites.push(site);
    }
    Ok(sites)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_has_an_array() {
        // A struct literal without `..`: a member added to `SiteFields` does not
        // compile here until it has an array above.
        let want = SiteFields {
            kind: 1,
            quiescent: true,
            persister: true,
            clone: 2,
            cycle_progress: 3,
            cycle_length: 4,
            anoxic_ticks: 5,
            sanctuary_ticks: 6,
            traits: 7,
            perfusion: 8,
            base_perfusion: 9,
            engaged: true,
            exhausted: true,
            detached: true,
            age_ticks: 10,
            kills: 11,
            divisions_pending: 12,
            engagement_ticks: 13,
            target_slot: 14,
            immature: true,
            grown: true,
            vessel_age_h: 15,
            low_shear_min: 16,
            stalk_face: 5,
            tip_steps: 17,
        };
        let mut f = SiteFields::default();
        for m in &MEMBERS {
            (m.set)(&mut f, (m.get)(&want));
        }
        assert_eq!(f, want);
        let names: std::collections::BTreeSet<&str> = MEMBERS.iter().map(|m| m.name).collect();
        assert_eq!(names.len(), MEMBERS.len());
        assert!(MEMBERS.iter().all(|m| m.name.starts_with(PREFIX)));
    }

    #[test]
    fn wider_dtypes_read_and_bad_values_are_named() {
        let kind = SectionData::U32(vec![1, 3, 0]);
        let clone = SectionData::U32(vec![65535, 0, 0]);
        let sites = decode(&[(KIND, &kind), ("site.clone", &clone)], 3).unwrap();
        assert_eq!(sites[0].unpack().clone, 65535);
        assert_eq!(sites[1].unpack().kind, 3);

        let clone = SectionData::U32(vec![0, 0, 65536]);
        let value = |m: &str| Err(SiteError::Value(m.into()));
        assert_eq!(
            decode(&[(KIND, &kind), ("site.clone", &clone)], 3),
            value("section site.clone: site 2 holds 65536, more than 65535")
        );
        let flag = SectionData::U8(vec![0, 2, 0]);
        assert_eq!(
            decode(&[(KIND, &kind), ("site.quiescent", &flag)], 3),
            value("section site.quiescent: site 1 holds 2, more than 1")
        );
        let odd = SectionData::U8(vec![1, 7, 0]);
        assert_eq!(
            decode(&[(KIND, &odd)], 3),
            value("section site.kind: site 1 has kind 7, which this oncolattice does not know")
        );
        assert_eq!(
            decode(&[("site.clone", &clone)], 3),
            Err(SiteError::Table("section site.kind is missing".into()))
        );
        let floats = SectionData::F32(vec![0.0; 3]);
        assert!(matches!(
            decode(&[(KIND, &kind), ("site.traits", &floats)], 3),
            Err(SiteError::Table(m)) if m.contains("site.traits is f32")
        ));
    }
}
