//! CPU twin of shaders/census.wgsl.

use crate::model::census::Census;
use crate::model::counters::{self, SiteTest, MAX_SITE_COUNTERS};
use crate::model::lineage::word;
use crate::model::params::{
    FieldParams, SimParams, CENSUS_ALL_SITES, CENSUS_TUMOUR_SITES, MAX_FIELDS,
};
use crate::model::site::{Kind, Site};
use rayon::prelude::*;

use super::cells::grid_of;
use super::shared::min_len;

/// Sites per rayon task.
const CHUNK: usize = 16384;

/// The site counters of one kind, sorted by test, with the thresholds read once.
#[derive(Default)]
struct KindPlan {
    /// Bit k: counter k counts every site of the kind.
    always: u32,
    /// (counter, record word, mask)
    any_bit: Vec<(usize, usize, u32)>,
    /// (counter, field, threshold)
    field_below: Vec<(usize, usize, f32)>,
}

impl KindPlan {
    fn new(sim: &SimParams, counters: &[&counters::SiteCounter]) -> KindPlan {
        let mut plan = KindPlan::default();
        for c in counters {
            let k = c.id.index();
            match c.test {
                SiteTest::Always => plan.always |= 1 << k,
                SiteTest::AnyBit { word, mask } => plan.any_bit.push((k, word, mask)),
                SiteTest::FieldBelow { field, threshold } => {
                    plan.field_below.push((k, field, threshold.value(sim)))
                }
            }
        }
        plan
    }
}

/// Integer reductions over the lattice; independent of thread count. `conc` holds
/// every field (`model::fields` order, `n_sites` values each) and `fields` their
/// descriptors (for the census scale); `lineage` is the lineage buffer, or at least
/// its header (`Lineage::header`), which is copied.
pub fn census(
    sim: &SimParams,
    fields: &[FieldParams],
    src: &[Site],
    conc: &[f32],
    lineage: &[u32],
) -> Census {
    let grid = grid_of(sim);
    let n = sim.n_sites as usize;
    let n_fields = (sim.n_fields as usize).min(fields.len()).min(MAX_FIELDS);
    // Per field: whether to sum over all sites, over tumour cells, and the scale.
    let sums: Vec<(bool, bool, f32)> = fields[..n_fields]
        .iter()
        .map(|f| {
            (
                f.census_sums & CENSUS_ALL_SITES != 0,
                f.census_sums & CENSUS_TUMOUR_SITES != 0,
                f.census_scale,
            )
        })
        .collect();
    debug_assert!(counters::by_kind()[Kind::Empty as usize].is_empty());
    let plans: Vec<KindPlan> = counters::by_kind()
        .iter()
        .map(|list| KindPlan::new(sim, list))
        .collect();
    let counts = src
        .par_chunks(CHUNK)
        .enumerate()
        .with_min_len(min_len(1))
        .map(|(chunk, sites)| {
            let base = chunk * CHUNK;
            let mut acc = Census::CLEARED;
            // Sites by which counters of each group of eight they passed.
            let mut hist = [[0u32; 256]; MAX_SITE_COUNTERS / 8];
            // Sites of live tumour cells in this chunk, for the fields summed there.
            let mut tumour_at: Vec<u32> = Vec::with_capacity(sites.len());
            for (k, s) in sites.iter().enumerate() {
                let i = base + k;
                let code = s.kind_code();
                if code == Kind::Empty as u32 {
                    // No counter counts empty sites (`SITE_COUNTERS`), no sum needs them.
                    continue;
                }
                let plan = &plans[code as usize];
                let words = [s.w0, s.w1, s.w2, s.w3];
                let mut passed = plan.always;
                for &(k, w, mask) in &plan.any_bit {
                    passed |= ((words[w] & mask != 0) as u32) << k;
                }
                for &(k, f, threshold) in &plan.field_below {
                    passed |= ((conc[f * n + i] < threshold) as u32) << k;
                }
                // One increment per byte of the mask, not one per counter: the
                // counters stay out of a chain of stores to the same few words.
                for (g, h) in hist.iter_mut().enumerate() {
                    h[(passed >> (8 * g) & 0xff) as usize] += 1;
                }
                let kind = s.kind();
                if kind == Kind::Tumour {
                    tumour_at.push(k as u32);
                    let id = s.clone_id() as u32;
                    if let Some(n) = acc.clone_live.get_mut(id as usize) {
                        *n += 1;
                    }
                    acc.acquired_live += (id >= sim.initial_clones) as u32;
                }
                if matches!(kind, Kind::Tumour | Kind::Necrotic) {
                    let c = grid.coords(i as u32);
                    for (a, &ca) in c.iter().enumerate() {
                        acc.min[a] = acc.min[a].min(ca);
                        acc.max[a] = acc.max[a].max(ca);
                    }
                }
            }
            for (g, h) in hist.iter().enumerate() {
                for (bits, &sites) in h.iter().enumerate().skip(1) {
                    if sites == 0 {
                        continue;
                    }
                    for b in 0..8 {
                        if bits >> b & 1 != 0 {
                            acc.counts[8 * g + b] += sites;
                        }
                    }
                }
            }
            // Field by field: each field's values of the chunk are contiguous.
            for (f, &(all, at_tumour, scale)) in sums.iter().enumerate() {
                let values = &conc[f * n + base..f * n + base + sites.len()];
                if all {
                    let sum = values.iter().map(|&c| Census::fixed(c, scale) as u64).sum();
                    acc.set_field_sum(f, sum);
                }
                if at_tumour {
                    let sum = tumour_at
                        .iter()
                        .map(|&k| Census::fixed(values[k as usize], scale) as u64)
                        .sum();
                    acc.set_field_tumour_sum(f, sum);
                }
            }
            acc
        })
        .reduce(|| Census::CLEARED, merge_census);
    Census {
        clones: lineage[word::NEXT_CLONE],
        mutations: lineage[word::MUTATIONS],
        ..counts
    }
}

/// Combines two partial censuses (what the GPU does when a census adds into a buffer);
/// the lineage counts are stored, not added: `b`'s win.
pub fn merge_census(a: Census, b: Census) -> Census {
    let mut out = Census {
        counts: std::array::from_fn(|k| a.counts[k] + b.counts[k]),
        min: std::array::from_fn(|k| a.min[k].min(b.min[k])),
        max: std::array::from_fn(|k| a.max[k].max(b.max[k])),
        clones: b.clones,
        mutations: b.mutations,
        clone_live: std::array::from_fn(|k| a.clone_live[k] + b.clone_live[k]),
        acquired_live: a.acquired_live + b.acquired_live,
        ..Census::CLEARED
    };
    for f in 0..MAX_FIELDS {
        out.set_field_sum(f, a.field_sum(f).wrapping_add(b.field_sum(f)));
        out.set_field_tumour_sum(f, a.field_tumour_sum(f).wrapping_add(b.field_tumour_sum(f)));
    }
    out
}
