//! CPU twin of shaders/clone_assign.wgsl: numbers the tick's mutant daughters.

use crate::model::lineage::{
    word, CloneRecord, EVENTS_AT, EVENT_CAP, MAX_CLONES, RECORDS_AT, RECORD_WORDS,
};
use crate::model::site::{Site, CLONE_SHIFT, LOW16};

/// Numbers this tick's mutant daughters (CPU twin of shaders/clone_assign.wgsl): by
/// ascending site index from the next free id, writing each one's clone id into its
/// site and its record into the table; `birth_tick` is the ticks completed after this
/// one. Resets the event counter.
pub fn clone_assign(words: &mut [u32], sites: &mut [Site], birth_tick: u32) {
    let count = words[word::EVENTS];
    let next = words[word::NEXT_CLONE];
    words[word::MUTATIONS] = words[word::MUTATIONS].wrapping_add(count);
    if count > EVENT_CAP {
        words[word::UNASSIGNED] = words[word::UNASSIGNED].wrapping_add(count);
    } else {
        let mut events = words[EVENTS_AT..EVENTS_AT + count as usize].to_vec();
        events.sort_unstable();
        for (rank, &site) in events.iter().enumerate() {
            let id = next + rank as u32;
            if id >= MAX_CLONES {
                words[word::UNASSIGNED] = words[word::UNASSIGNED].wrapping_add(1);
                continue;
            }
            let s = &mut sites[site as usize];
            let record = CloneRecord {
                parent: Some((s.w0 >> CLONE_SHIFT) as u16),
                birth_tick,
                traits: s.w3,
                founder_site: site,
            };
            let at = RECORDS_AT + id as usize * RECORD_WORDS;
            words[at..at + RECORD_WORDS].copy_from_slice(&record.words());
            s.w0 = (s.w0 & LOW16) | id << CLONE_SHIFT;
        }
        words[word::NEXT_CLONE] = (next + count).min(MAX_CLONES);
    }
    words[word::EVENTS] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lineage::Lineage;

    #[test]
    fn mutants_are_numbered_by_site_from_the_next_id() {
        let mut l = Lineage::initial(&[0, 16]).to_words();
        let mut sites = vec![Site::EMPTY; 10];
        for (site, parent, traits) in [(9u32, 1u16, 17u32), (2, 0, 32), (5, 1, 48)] {
            sites[site as usize] = Site::tumour(parent, 0, 20);
            sites[site as usize].w3 = traits;
        }
        l[word::EVENTS] = 3;
        l[EVENTS_AT..EVENTS_AT + 3].copy_from_slice(&[9, 2, 5]);
        clone_assign(&mut l, &mut sites, 11);
        let t = Lineage::from_words(&l).unwrap();
        assert_eq!(t.clones.len(), 5);
        assert_eq!(t.mutations, 3);
        assert_eq!(l[word::EVENTS], 0);
        assert_eq!(
            [sites[2], sites[5], sites[9]].map(|s| s.clone_id()),
            [2, 3, 4]
        );
        assert_eq!(t.clones[2].parent, Some(0));
        assert_eq!(t.clones[3].parent, Some(1));
        assert_eq!(t.clones[4].traits, 17);
        assert_eq!(t.clones[4].founder_site, 9);
        assert_eq!(t.clones[4].birth_tick, 11);
    }

    #[test]
    fn overflow_keeps_parent_ids_and_is_counted() {
        let mut l = Lineage::initial(&[0]).to_words();
        let mut sites = vec![Site::tumour(0, 0, 20); 4];
        l[word::EVENTS] = EVENT_CAP + 1;
        clone_assign(&mut l, &mut sites, 3);
        assert_eq!(&l[..4], &[1, 0, EVENT_CAP + 1, EVENT_CAP + 1]);
        assert!(sites.iter().all(|s| s.clone_id() == 0));
        // Ids run out: the first mutant takes the last id, the second keeps its parent's.
        l[word::NEXT_CLONE] = MAX_CLONES - 1;
        l[word::EVENTS] = 2;
        l[EVENTS_AT..EVENTS_AT + 2].copy_from_slice(&[3, 1]);
        clone_assign(&mut l, &mut sites, 4);
        assert_eq!(sites[1].clone_id(), 0xffff);
        assert_eq!(sites[3].clone_id(), 0);
        assert_eq!(l[word::NEXT_CLONE], MAX_CLONES);
        assert_eq!(l[word::UNASSIGNED], EVENT_CAP + 2);
    }
}
