//! The census history of a snapshot header, by counter name.
//!
//! Format 1 stored each report's `Census` as its raw words, so growing the census
//! made every earlier snapshot unreadable. Format 2 stores columns: the report ticks,
//! one column of values per named counter, and the solve statistics. A reader fills
//! a counter the file lacks with 0 and refuses a counter it does not know, as it
//! refuses an unknown required section: dropping it would resume a different run.
//!
//! `slots` is the one table of names: the site counters by the names their table
//! declares (`model::counters`), the other census members by names given here.

use super::header::{ReportRecord, SolveRecord};
use crate::model::census::Census;
use crate::model::counters::SITE_COUNTERS;
use bytemuck::Zeroable;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a named counter lives in a `Census`.
enum Slot<'a> {
    Word(&'a mut u32),
    /// A 64-bit sum kept as two words, (lo, hi): one counter, since its halves mean
    /// nothing apart.
    Wide(&'a mut u32, &'a mut u32),
}

impl Slot<'_> {
    fn get(&self) -> u64 {
        match self {
            Slot::Word(w) => **w as u64,
            Slot::Wide(lo, hi) => (**hi as u64) << 32 | **lo as u64,
        }
    }

    /// Stores `v`; false when it does not fit the counter.
    fn set(&mut self, v: u64) -> bool {
        match self {
            Slot::Word(w) => match u32::try_from(v) {
                Ok(v) => {
                    **w = v;
                    true
                }
                Err(_) => false,
            },
            Slot::Wide(lo, hi) => {
                **lo = v as u32;
                **hi = (v >> 32) as u32;
                true
            }
        }
    }
}

/// Every counter of `c` by name, in `Census` declaration order. The names are what
/// snapshots store: renaming one makes the files that hold it unreadable, so a rename
/// needs a new format version (or an alias read here).
fn slots(c: &mut Census) -> Vec<(String, Slot<'_>)> {
    // Destructured without `..`: a member added to `Census` does not compile until it
    // has a name here (or is declared padding).
    let Census {
        counts,
        min,
        max,
        clones,
        mutations,
        clone_live,
        acquired_live,
        field_sum,
        field_tumour_sum,
        _pad: _,
    } = c;
    // The site counters by their declared names; unused room has none.
    let mut out: Vec<(String, Slot<'_>)> = SITE_COUNTERS
        .iter()
        .zip(counts.iter_mut())
        .map(|(c, w)| (c.name.to_string(), Slot::Word(w)))
        .collect();
    for (axis, w) in ["x", "y", "z"].iter().zip(min.iter_mut()) {
        out.push((format!("min.{axis}"), Slot::Word(w)));
    }
    for (axis, w) in ["x", "y", "z"].iter().zip(max.iter_mut()) {
        out.push((format!("max.{axis}"), Slot::Word(w)));
    }
    out.push(("clones".into(), Slot::Word(clones)));
    out.push(("mutations".into(), Slot::Word(mutations)));
    for (k, w) in clone_live.iter_mut().enumerate() {
        out.push((format!("clone_live.{k}"), Slot::Word(w)));
    }
    out.push(("acquired_live".into(), Slot::Word(acquired_live)));
    // Per field, in field order (`model::fields`): 64-bit sums over every site and
    // over live tumour cells.
    for (name, sums) in [
        ("field_sum", field_sum),
        ("field_tumour_sum", field_tumour_sum),
    ] {
        for (f, pair) in sums.chunks_exact_mut(2).enumerate() {
            let (lo, hi) = pair.split_at_mut(1);
            out.push((format!("{name}.{f}"), Slot::Wide(&mut lo[0], &mut hi[0])));
        }
    }
    out
}

/// The counters of `c`, by name, in declaration order.
pub fn counters(c: &Census) -> Vec<(String, u64)> {
    let mut c = *c;
    slots(&mut c)
        .into_iter()
        .map(|(name, slot)| (name, slot.get()))
        .collect()
}

/// The names of every counter, in declaration order.
pub fn counter_names() -> Vec<String> {
    counters(&Census::zeroed())
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// Why a census history cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryError {
    /// A counter this build does not have.
    UnknownCounter(String),
    /// Anything else; the message says what.
    Invalid(String),
}

/// A census from named values. Counters that `values` lacks are 0 (the bounding box
/// too: a reader of a file without it sees a box at the origin). An unknown name, or
/// a value too large for its counter, is an error.
pub fn census_from(values: &BTreeMap<String, u64>) -> Result<Census, HistoryError> {
    let mut c = Census::zeroed();
    {
        let mut slots = slots(&mut c);
        for (name, &v) in values {
            let Some((_, slot)) = slots.iter_mut().find(|(n, _)| n == name) else {
                return Err(HistoryError::UnknownCounter(name.clone()));
            };
            if !slot.set(v) {
                return Err(HistoryError::Invalid(format!(
                    "counter {name} is {v}, more than its 32 bits hold"
                )));
            }
        }
    }
    Ok(c)
}

/// The history as the header stores it: one value per report in every column.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Columns {
    tick: Vec<u64>,
    counters: BTreeMap<String, Vec<u64>>,
    solve: SolveColumns,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SolveColumns {
    sweeps: Vec<u32>,
    /// f32 bits, so that outputs computed from the residual come back exactly.
    residual_bits: Vec<u32>,
    converged: Vec<bool>,
}

/// The header's `census_history` value for `records`.
pub fn history_to_json(records: &[ReportRecord]) -> serde_json::Value {
    let mut columns: BTreeMap<String, Vec<u64>> = counter_names()
        .into_iter()
        .map(|n| (n, Vec::with_capacity(records.len())))
        .collect();
    for r in records {
        for (name, v) in counters(&r.census) {
            columns.get_mut(&name).expect("every name").push(v);
        }
    }
    let columns = Columns {
        tick: records.iter().map(|r| r.tick).collect(),
        counters: columns,
        solve: SolveColumns {
            sweeps: records.iter().map(|r| r.solve.sweeps).collect(),
            residual_bits: records.iter().map(|r| r.solve.residual_bits).collect(),
            converged: records.iter().map(|r| r.solve.converged).collect(),
        },
    };
    serde_json::to_value(columns).expect("columns serialise")
}

/// `serialize_with` for `SnapshotHeader::census_history`.
pub(super) fn serialize_history<S: serde::Serializer>(
    records: &[ReportRecord],
    s: S,
) -> Result<S::Ok, S::Error> {
    history_to_json(records).serialize(s)
}

/// The records of a format-2 `census_history` value.
pub fn history_from_json(value: serde_json::Value) -> Result<Vec<ReportRecord>, HistoryError> {
    let c: Columns = serde_json::from_value(value)
        .map_err(|e| HistoryError::Invalid(format!("census_history: {e}")))?;
    let n = c.tick.len();
    let short = |what: &str, len: usize| {
        (len != n).then(|| {
            HistoryError::Invalid(format!(
                "census_history: {what} has {len} values for {n} ticks"
            ))
        })
    };
    let s = &c.solve;
    for (what, len) in [
        ("solve.sweeps", s.sweeps.len()),
        ("solve.residual_bits", s.residual_bits.len()),
        ("solve.converged", s.converged.len()),
    ]
    .into_iter()
    .chain(c.counters.iter().map(|(k, v)| (k.as_str(), v.len())))
    {
        if let Some(e) = short(what, len) {
            return Err(e);
        }
    }
    // Names first, so that an unknown counter is reported as such even in an empty
    // history.
    let known = counter_names();
    if let Some(name) = c.counters.keys().find(|k| !known.contains(k)) {
        return Err(HistoryError::UnknownCounter(name.clone()));
    }
    (0..n)
        .map(|i| {
            let values = c.counters.iter().map(|(k, v)| (k.clone(), v[i])).collect();
            let census = census_from(&values).map_err(|e| match e {
                HistoryError::Invalid(m) => {
                    HistoryError::Invalid(format!("census_history at tick {}: {m}", c.tick[i]))
                }
                other => other,
            })?;
            Ok(ReportRecord {
                tick: c.tick[i],
                census,
                solve: SolveRecord {
                    sweeps: s.sweeps[i],
                    residual_bits: s.residual_bits[i],
                    converged: s.converged[i],
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distinct() -> Census {
        // Every word a different value, the wide sums above 32 bits.
        let mut c = Census::zeroed();
        for (k, (_, mut slot)) in slots(&mut c).into_iter().enumerate() {
            let v = match &slot {
                Slot::Word(_) => 100 + k as u64,
                Slot::Wide(..) => (7u64 << 32) + k as u64,
            };
            assert!(slot.set(v));
        }
        c
    }

    /// The site counters come first, in table order; the rest follow at fixed offsets
    /// after them (`k`: how many site counters there are).
    #[test]
    fn every_counter_has_one_name() {
        let names = counter_names();
        let k = SITE_COUNTERS.len();
        assert_eq!(names.len(), k + 33, "{names:?}");
        let unique: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert_eq!(names[..2], ["tumour_live", "quiescent"]);
        assert_eq!(names[10], "tcell");
        assert_eq!(names[15], "vessel_tip");
        assert_eq!(names[k - 1], SITE_COUNTERS[k - 1].name);
        assert_eq!(names[k], "min.x");
        assert_eq!(names[k + 16], "acquired_live");
        assert_eq!(names[k + 17], "field_sum.0");
        assert_eq!(names[k + 32], "field_tumour_sum.7");
    }

    #[test]
    fn counters_round_trip_by_name() {
        let c = distinct();
        let k = SITE_COUNTERS.len() as u64;
        assert_eq!(c.o2_sum(), (7u64 << 32) + k + 17);
        assert_eq!(c.min, [100 + k, 101 + k, 102 + k].map(|v| v as u32));
        assert_eq!(c.drug_sum(3), (7u64 << 32) + k + 25 + 4);
        assert_eq!(c.clone_live[7], 100 + k as u32 + 15);
        let values: BTreeMap<String, u64> = counters(&c).into_iter().collect();
        assert_eq!(census_from(&values), Ok(c));
    }

    #[test]
    fn absent_counters_are_zero_and_unknown_ones_refused() {
        let values = BTreeMap::from([("tumour_live".to_string(), 9)]);
        let c = census_from(&values).unwrap();
        assert_eq!(c.tumour_live(), 9);
        assert_eq!((c.min, c.acquired_live, c.o2_sum()), ([0; 3], 0, 0));
        let values = BTreeMap::from([("immune_live".to_string(), 1)]);
        assert_eq!(
            census_from(&values),
            Err(HistoryError::UnknownCounter("immune_live".into()))
        );
        let values = BTreeMap::from([("necrotic".to_string(), 1 << 32)]);
        assert!(matches!(
            census_from(&values),
            Err(HistoryError::Invalid(m)) if m.contains("necrotic is 4294967296")
        ));
    }

    #[test]
    fn histories_round_trip_through_columns() {
        let records: Vec<ReportRecord> = (0..3)
            .map(|i| ReportRecord {
                tick: 6 * i,
                census: {
                    let mut c = distinct();
                    c.counts[0] = i as u32;
                    c
                },
                solve: SolveRecord {
                    sweeps: 10 + i as u32,
                    residual_bits: 0x3a80_0000 + i as u32,
                    converged: i != 1,
                },
            })
            .collect();
        let json = history_to_json(&records);
        assert_eq!(
            json["counters"]["tumour_live"],
            serde_json::json!([0, 1, 2])
        );
        assert_eq!(json["tick"], serde_json::json!([0, 6, 12]));
        assert_eq!(history_from_json(json.clone()), Ok(records));

        let mut ragged = json.clone();
        ragged["counters"]["hypoxic"] = serde_json::json!([1, 2]);
        assert_eq!(
            history_from_json(ragged),
            Err(HistoryError::Invalid(
                "census_history: hypoxic has 2 values for 3 ticks".into()
            ))
        );
        let mut unknown = json;
        unknown["counters"]["immune_live"] = serde_json::json!([1, 2, 3]);
        assert_eq!(
            history_from_json(unknown),
            Err(HistoryError::UnknownCounter("immune_live".into()))
        );
    }
}
