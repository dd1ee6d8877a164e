//! Clones and their ancestry. Every mutation on division founds a new clone; the
//! lineage table records, per clone id, its parent clone, the tick it was founded, its
//! traits and the site of its founding cell.
//!
//! On the device the table lives in one `u32` buffer (group 2, binding 5; keep in sync
//! with shaders/shared/bindings.wgsl and shaders/clone_assign.wgsl):
//!
//! | words | content |
//! |---|---|
//! | 0 | clones founded so far (the next clone id) |
//! | 1 | mutant daughters born this tick (the event counter; zero between ticks) |
//! | 2 | mutations so far, including those that could not get a clone id |
//! | 3 | mutations that could not get a clone id (event list full or ids exhausted) |
//! | 4 .. 4 + `EVENT_CAP` | this tick's mutant sites, in no particular order |
//! | then `RECORD_WORDS` per clone id | parent (or `NO_PARENT`), birth tick, traits, founder site |
//!
//! `resolve` appends mutant daughters to the event list; `clone_assign` (one
//! workgroup) ranks them by site index and numbers them from word 0, so the ids do not
//! depend on thread order. A mutant that gets no id keeps its parent's clone id (with
//! its new traits); word 3 counts those.

use serde::Serialize;

/// Clone ids are 16 bits in the site record.
pub const MAX_CLONES: u32 = 1 << 16;
/// Mutant daughters one tick can number; more in one tick and none of them get an id.
pub const EVENT_CAP: u32 = 4096;
pub const HEADER_WORDS: usize = 4;
pub const RECORD_WORDS: usize = 4;
/// Parent of an initial clone.
pub const NO_PARENT: u32 = u32::MAX;

/// Word indices of the header.
pub mod word {
    pub const NEXT_CLONE: usize = 0;
    pub const EVENTS: usize = 1;
    pub const MUTATIONS: usize = 2;
    pub const UNASSIGNED: usize = 3;
}

/// First word of the event list and of the records.
pub const EVENTS_AT: usize = HEADER_WORDS;
pub const RECORDS_AT: usize = HEADER_WORDS + EVENT_CAP as usize;
/// Length of the device buffer in words.
pub const BUFFER_WORDS: usize = RECORDS_AT + MAX_CLONES as usize * RECORD_WORDS;

/// One clone of the lineage table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CloneRecord {
    /// The clone it descends from; `None` for the scene's initial clones.
    pub parent: Option<u16>,
    /// Ticks completed when its founding cell was born (0 for initial clones).
    pub birth_tick: u32,
    /// Trait bits (`model::drug_params::TRAIT_*`).
    pub traits: u32,
    /// Site index of the founding cell (`u32::MAX` for initial clones).
    pub founder_site: u32,
}

impl CloneRecord {
    pub fn initial(traits: u32) -> CloneRecord {
        CloneRecord {
            parent: None,
            birth_tick: 0,
            traits,
            founder_site: u32::MAX,
        }
    }

    /// Whether the clone was founded at or before `tick` ticks had completed (always
    /// when `None`, e.g. a run without treatment).
    pub fn founded_by(&self, tick: Option<u64>) -> bool {
        tick.is_none_or(|t| self.birth_tick as u64 <= t)
    }

    pub fn words(&self) -> [u32; RECORD_WORDS] {
        [
            self.parent.map_or(NO_PARENT, u32::from),
            self.birth_tick,
            self.traits,
            self.founder_site,
        ]
    }

    fn from_words(w: &[u32]) -> Result<CloneRecord, String> {
        let parent = match w[0] {
            NO_PARENT => None,
            p if p < MAX_CLONES => Some(p as u16),
            p => return Err(format!("parent clone {p} is not a clone id")),
        };
        Ok(CloneRecord {
            parent,
            birth_tick: w[1],
            traits: w[2],
            founder_site: w[3],
        })
    }
}

/// The lineage table on the host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lineage {
    /// Indexed by clone id.
    pub clones: Vec<CloneRecord>,
    /// Mutations so far (each founds a clone unless counted in `unassigned`).
    pub mutations: u32,
    /// Mutations that kept their parent's clone id.
    pub unassigned: u32,
}

impl Lineage {
    /// The scene's initial clones, with the given traits, ids 0, 1, ...
    pub fn initial(traits: &[u32]) -> Lineage {
        Lineage {
            clones: traits.iter().map(|&t| CloneRecord::initial(t)).collect(),
            mutations: 0,
            unassigned: 0,
        }
    }

    /// The device buffer (`BUFFER_WORDS` words; an empty event list).
    pub fn to_words(&self) -> Vec<u32> {
        let mut w = vec![0u32; BUFFER_WORDS];
        self.write_header(&mut w);
        for (k, c) in self.clones.iter().enumerate() {
            let at = RECORDS_AT + k * RECORD_WORDS;
            w[at..at + RECORD_WORDS].copy_from_slice(&c.words());
        }
        w
    }

    fn write_header(&self, w: &mut [u32]) {
        w[..HEADER_WORDS].copy_from_slice(&self.header());
    }

    /// The first `HEADER_WORDS` words of the device buffer (what the census reads).
    pub fn header(&self) -> [u32; HEADER_WORDS] {
        let mut h = [0; HEADER_WORDS];
        h[word::NEXT_CLONE] = self.clones.len() as u32;
        h[word::MUTATIONS] = self.mutations;
        h[word::UNASSIGNED] = self.unassigned;
        h
    }

    /// Reads the header and the records of a device buffer (or of its first
    /// `RECORDS_AT + clones × RECORD_WORDS` words).
    pub fn from_words(w: &[u32]) -> Result<Lineage, String> {
        if w.len() < RECORDS_AT {
            return Err(format!("{} lineage words, fewer than the header", w.len()));
        }
        let n = w[word::NEXT_CLONE];
        if n > MAX_CLONES {
            return Err(format!("{n} clones, more than {MAX_CLONES}"));
        }
        let end = RECORDS_AT + n as usize * RECORD_WORDS;
        if w.len() < end {
            return Err(format!("{n} clones but {} lineage words", w.len()));
        }
        let clones = w[RECORDS_AT..end]
            .chunks_exact(RECORD_WORDS)
            .map(CloneRecord::from_words)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Lineage {
            clones,
            mutations: w[word::MUTATIONS],
            unassigned: w[word::UNASSIGNED],
        })
    }

    /// The snapshot section: a header row (clones, mutations, unassigned, 0), then one
    /// row per clone.
    pub fn to_rows(&self) -> Vec<u32> {
        let mut rows = Vec::with_capacity((self.clones.len() + 1) * RECORD_WORDS);
        rows.extend_from_slice(&[self.clones.len() as u32, self.mutations, self.unassigned, 0]);
        for c in &self.clones {
            rows.extend_from_slice(&c.words());
        }
        rows
    }

    /// Inverse of `to_rows`, checking the table is a valid ancestry: every parent is an
    /// earlier clone.
    pub fn from_rows(rows: &[u32]) -> Result<Lineage, String> {
        if rows.len() < RECORD_WORDS || rows.len() % RECORD_WORDS != 0 {
            return Err(format!(
                "{} words is not a header row and whole rows",
                rows.len()
            ));
        }
        let n = rows[0] as usize;
        if n + 1 != rows.len() / RECORD_WORDS {
            return Err(format!(
                "the header counts {n} clones but {} rows follow",
                rows.len() / RECORD_WORDS - 1
            ));
        }
        if n > MAX_CLONES as usize {
            return Err(format!("{n} clones, more than {MAX_CLONES}"));
        }
        let clones = rows[RECORD_WORDS..]
            .chunks_exact(RECORD_WORDS)
            .map(CloneRecord::from_words)
            .collect::<Result<Vec<_>, _>>()?;
        if let Some((k, c)) = clones
            .iter()
            .enumerate()
            .find(|(k, c)| c.parent.is_some_and(|p| p as usize >= *k))
        {
            return Err(format!(
                "clone {k} has parent {:?}, not an earlier clone",
                c.parent
            ));
        }
        Ok(Lineage {
            clones,
            mutations: rows[1],
            unassigned: rows[2],
        })
    }

    /// Clone ids founded before `tick` ticks had completed (all of them when `None`).
    pub fn founded_before(&self, tick: Option<u64>) -> Vec<u16> {
        self.clones
            .iter()
            .enumerate()
            .filter(|(_, c)| c.founded_by(tick))
            .map(|(k, _)| k as u16)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_rows_round_trip() {
        let mut l = Lineage::initial(&[0, 16]);
        l.clones.push(CloneRecord {
            parent: Some(1),
            birth_tick: 7,
            traits: 16 | 1,
            founder_site: 42,
        });
        l.mutations = 3;
        l.unassigned = 2;
        let w = l.to_words();
        assert_eq!(w.len(), BUFFER_WORDS);
        assert_eq!(&w[..4], &[3, 0, 3, 2]);
        assert_eq!(Lineage::from_words(&w).unwrap(), l);
        assert_eq!(Lineage::from_rows(&l.to_rows()).unwrap(), l);
        assert_eq!(l.founded_before(Some(6)), vec![0, 1]);
        assert_eq!(l.founded_before(Some(7)), vec![0, 1, 2]);
    }

    #[test]
    fn rows_with_a_later_parent_are_refused() {
        let mut rows = Lineage::initial(&[0]).to_rows();
        rows[0] = 2;
        rows.extend_from_slice(&[1, 3, 0, 5]);
        assert!(Lineage::from_rows(&rows).unwrap_err().contains("clone 1"));
        rows.truncate(6);
        assert!(Lineage::from_rows(&rows).is_err());
    }
}
