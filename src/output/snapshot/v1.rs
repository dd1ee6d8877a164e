//! Reading format 1: its site records and census words, decoded with frozen copies of
//! the layouts that wrote them.
//!
//! Format 1 stored `Site` as its four device words and each report's `Census` as its
//! raw words. Both layouts change (the site packing is being redone; the census grew
//! the clone counters), so this file must never use `Site`'s accessors or constants,
//! nor `Census`'s memory layout: it says here, once and for good, what the words of a
//! format-1 file meant, and hands named values on (`SiteFields`, counter names).

use super::census_record::{self, HistoryError};
use super::header::{ReportRecord, SolveRecord};
use crate::model::site::{Site, SiteFields};
use serde::Deserialize;
use std::collections::BTreeMap;

// The format-1 site record (src/model/site.rs up to e034e97), 16 bytes:
// - w0: bits 0–1 kind (0 empty, 1 tumour, 2 necrotic, 3 vessel), bit 2 quiescent,
//   bit 3 persister, bits 16–31 clone id (tumour and necrotic sites);
// - w1: tumour/necrotic: bits 0–15 cycle progress, 16–31 cycle length;
//   vessel: bits 0–15 perfusion × 65535;
// - w2: tumour/necrotic: bits 0–15 anoxic ticks, 16–31 sanctuary ticks;
//   vessel: bits 0–15 the uncompressed perfusion × 65535;
// - w3: tumour/necrotic: heritable traits.
const KIND_MASK: u32 = 0x3;
const QUIESCENT_BIT: u32 = 1 << 2;
const PERSISTER_BIT: u32 = 1 << 3;
const LOW16: u32 = 0xffff;
const VESSEL: u32 = 3;
const EMPTY: u32 = 0;

/// The named values of a format-1 site record, as `Site::unpack` gave them when that
/// format was written: the flags for every kind, the payload only where it applies.
pub fn site_fields(w: [u32; 4]) -> SiteFields {
    let kind = w[0] & KIND_MASK;
    let mut f = SiteFields {
        kind,
        quiescent: w[0] & QUIESCENT_BIT != 0,
        persister: w[0] & PERSISTER_BIT != 0,
        ..SiteFields::default()
    };
    match kind {
        VESSEL => {
            f.perfusion = (w[1] & LOW16) as u16;
            f.base_perfusion = (w[2] & LOW16) as u16;
        }
        EMPTY => {}
        _ => {
            f.clone = (w[0] >> 16) as u16;
            f.cycle_progress = (w[1] & LOW16) as u16;
            f.cycle_length = (w[1] >> 16) as u16;
            f.anoxic_ticks = (w[2] & LOW16) as u16;
            f.sanctuary_ticks = (w[2] >> 16) as u16;
            f.traits = w[3];
        }
    }
    f
}

/// The sites of a format-1 `sites` section (`[n, 4]` words).
pub fn sites(words: &[u32]) -> Result<Vec<Site>, String> {
    words
        .chunks_exact(4)
        .enumerate()
        .map(|(i, w)| {
            let f = site_fields([w[0], w[1], w[2], w[3]]);
            // Every two-bit kind was a kind when format 1 was written; a build that
            // drops one must say so rather than guess.
            Site::pack(&f).ok_or_else(|| {
                format!(
                    "section sites: site {i} has kind {}, which this oncolattice does not know",
                    f.kind
                )
            })
        })
        .collect()
}

/// What a word of a format-1 census is.
#[derive(Clone, Copy)]
enum Word {
    /// A 32-bit counter.
    Whole(&'static str),
    /// The low or high half of a 64-bit counter.
    Lo(&'static str),
    Hi(&'static str),
    Pad,
}

use Word::{Hi, Lo, Pad, Whole};

/// The 40 words of a format-1 census: `struct Census` in src/model/census.rs at
/// e034e97, in declaration order, by the counter names of `census_record`. Format 1's
/// oxygen sum is field 0's sum over every site; its drug sums (over live tumour cells)
/// are those of fields 1 + d, as format 1 laid the fields out.
const CENSUS_40: [Word; 40] = [
    Whole("tumour_live"),
    Whole("quiescent"),
    Whole("necrotic"),
    Whole("vessel"),
    Whole("hypoxic"),
    Whole("perfused_vessel"),
    Lo("field_sum.0"),
    Hi("field_sum.0"),
    Whole("min.x"),
    Whole("min.y"),
    Whole("min.z"),
    Whole("max.x"),
    Whole("max.y"),
    Whole("max.z"),
    Whole("persister"),
    Whole("trait_target"),
    Whole("trait_efflux"),
    Whole("trait_slow_cycle"),
    Lo("field_tumour_sum.1"),
    Hi("field_tumour_sum.1"),
    Lo("field_tumour_sum.2"),
    Hi("field_tumour_sum.2"),
    Lo("field_tumour_sum.3"),
    Hi("field_tumour_sum.3"),
    Lo("field_tumour_sum.4"),
    Hi("field_tumour_sum.4"),
    Whole("clones"),
    Whole("mutations"),
    Whole("clone_live.0"),
    Whole("clone_live.1"),
    Whole("clone_live.2"),
    Whole("clone_live.3"),
    Whole("clone_live.4"),
    Whole("clone_live.5"),
    Whole("clone_live.6"),
    Whole("clone_live.7"),
    Whole("acquired_live"),
    Pad,
    Pad,
    Pad,
];

/// Words of the census before the clone counters (commit 16a408a): the same first 28
/// words (`clones` and `mutations` were padding, hence 0, before 30d0c17), then
/// padding. Its missing counters read as 0.
const CENSUS_32: usize = 32;

/// The counters of a format-1 census, by name.
pub fn census_counters(words: &[u32]) -> Result<BTreeMap<String, u64>, String> {
    let layout: &[Word] = match words.len() {
        40 => &CENSUS_40,
        CENSUS_32 => &CENSUS_40[..28],
        n => {
            return Err(format!(
                "has {n} words; format 1 had censuses of {CENSUS_32} or 40"
            ))
        }
    };
    let mut out = BTreeMap::new();
    for (&w, &v) in layout.iter().zip(words) {
        let (name, part) = match w {
            Whole(name) => (name, v as u64),
            Lo(name) => (name, v as u64),
            Hi(name) => (name, (v as u64) << 32),
            Pad => continue,
        };
        *out.entry(name.to_string()).or_insert(0) |= part;
    }
    Ok(out)
}

/// A format-1 report row.
#[derive(Deserialize)]
struct Row {
    tick: u64,
    census: Vec<u32>,
    solve: SolveRecord,
}

/// The records of a format-1 `census_history` value (`[{tick, census: [u32 …], solve}]`).
pub fn census_history(value: serde_json::Value) -> Result<Vec<ReportRecord>, HistoryError> {
    let rows: Vec<Row> = serde_json::from_value(value)
        .map_err(|e| HistoryError::Invalid(format!("census_history: {e}")))?;
    rows.into_iter()
        .map(|r| {
            let bad = |m: String| {
                HistoryError::Invalid(format!("census_history: the census of tick {} {m}", r.tick))
            };
            let counters = census_counters(&r.census).map_err(bad)?;
            let census = census_record::census_from(&counters).map_err(|e| match e {
                HistoryError::Invalid(m) => bad(m),
                other => other,
            })?;
            Ok(ReportRecord {
                tick: r.tick,
                census,
                solve: r.solve,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_words_decode_with_the_frozen_layout() {
        // A quiescent persister tumour cell of clone 513, 7 of 21 ticks into its
        // cycle, 9 anoxic and 4 sanctuary ticks, traits 0x21.
        let f = site_fields([1 | 4 | 8 | 513 << 16, 7 | 21 << 16, 9 | 4 << 16, 0x21]);
        assert_eq!(
            f,
            SiteFields {
                kind: 1,
                quiescent: true,
                persister: true,
                clone: 513,
                cycle_progress: 7,
                cycle_length: 21,
                anoxic_ticks: 9,
                sanctuary_ticks: 4,
                traits: 0x21,
                perfusion: 0,
                base_perfusion: 0,
                ..SiteFields::default()
            }
        );
        // A compressed vessel: perfusion 0.25 of its uncompressed 0.5.
        let f = site_fields([3, 16384, 32768, 0]);
        assert_eq!((f.kind, f.perfusion, f.base_perfusion), (3, 16384, 32768));
        assert_eq!((f.clone, f.cycle_progress, f.traits), (0, 0, 0));
        // Necrotic sites keep their clone and traits.
        let f = site_fields([2 | 5 << 16, 0, 0, 0x10]);
        assert_eq!((f.kind, f.clone, f.traits), (2, 5, 0x10));
        assert_eq!(site_fields([0; 4]), SiteFields::default());
        assert_eq!(sites(&[1, 2, 3, 4, 0, 0, 0, 0]).unwrap().len(), 2);
    }

    #[test]
    fn census_words_decode_by_name() {
        let mut words = [0u32; 40];
        words[0] = 307;
        words[6] = 0xdead_beef;
        words[7] = 3;
        words[8..14].copy_from_slice(&[14, 15, 0, 33, 34, 0]);
        words[20] = 5;
        words[21] = 1;
        words[26] = 31;
        words[35] = 8;
        words[36] = 120;
        words[37] = 0xffff; // padding: ignored
        let c = census_record::census_from(&census_counters(&words).unwrap()).unwrap();
        assert_eq!(c.tumour_live(), 307);
        assert_eq!(c.o2_sum(), 3 << 32 | 0xdead_beef);
        assert_eq!((c.min, c.max), ([14, 15, 0], [33, 34, 0]));
        assert_eq!((c.drug_sum(0), c.drug_sum(1)), (0, 1 << 32 | 5));
        assert_eq!((c.clones, c.clone_live[7], c.acquired_live), (31, 8, 120));

        // Before the clone counters: 32 words, the clone counters 0.
        let mut old = [0u32; 32];
        old[..28].copy_from_slice(&words[..28]);
        old[30] = 99; // padding then
        let c = census_record::census_from(&census_counters(&old).unwrap()).unwrap();
        assert_eq!((c.tumour_live(), c.clones), (307, 31));
        assert_eq!((c.clone_live, c.acquired_live), ([0; 8], 0));

        assert_eq!(
            census_counters(&[0; 39]).unwrap_err(),
            "has 39 words; format 1 had censuses of 32 or 40"
        );
    }

    #[test]
    fn every_frozen_name_is_a_counter() {
        let names = census_record::counter_names();
        for w in CENSUS_40 {
            if let Whole(n) | Lo(n) | Hi(n) = w {
                assert!(names.iter().any(|k| k == n), "{n}");
            }
        }
    }
}
