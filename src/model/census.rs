//! The census: integer counts reduced on the device (or by the CPU twin) and the
//! quantities derived from them on the host. Keep in sync with shaders/census.wgsl.

use crate::model::counters::{Counter, MAX_SITE_COUNTERS};
use crate::model::fields;
use crate::model::params::MAX_FIELDS;
use bytemuck::{Pod, Zeroable};

/// Fixed-point scale of the oxygen sum: 1/1024 mmHg per unit.
pub const O2_SUM_SCALE: f64 = 1024.0;
/// Per-site cap of the fixed-point oxygen value (keeps a workgroup's partial sum in u32).
pub const O2_SITE_CAP: u32 = (1 << 24) - 1;

/// Keep in sync with `struct Census` in shaders/census.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct Census {
    /// Sites counted by each named counter (`model::counters`, by `Counter` index).
    pub counts: [u32; MAX_SITE_COUNTERS],
    /// Bounding box of tumour sites (live or necrotic); min = u32::MAX when there are none.
    pub min: [u32; 3],
    pub max: [u32; 3],
    /// Clones founded so far (initial ones included) and mutations so far, from the
    /// lineage table (`model::lineage`).
    pub clones: u32,
    pub mutations: u32,
    /// Live tumour cells of clones 0 … 7, by id. The time series shows the slots of
    /// the scene's initial clones (the first `CENSUS_CLONES`); with fewer initial
    /// clones the other slots count the first mutant clones, which `acquired_live`
    /// counts too.
    pub clone_live: [u32; CENSUS_CLONES],
    /// Live tumour cells of clones founded by mutation (id ≥ `initial_clones`).
    pub acquired_live: u32,
    /// Per field f (the field order of `model::fields`): Σ over every site of
    /// round(value · scale_f), 64-bit as the pair (2f, 2f + 1) of (lo, hi) words, with
    /// the field's `FieldParams::census_scale`.
    pub field_sum: [u32; 2 * MAX_FIELDS],
    /// The same sums over the sites of live tumour cells only.
    pub field_tumour_sum: [u32; 2 * MAX_FIELDS],
    pub _pad: [u32; 3],
}

/// Initial clones the census counts one by one.
pub const CENSUS_CLONES: usize = 8;

/// Fixed-point scale of the drug sums: 1/65536 µM per unit (and of other fields).
pub const DRUG_SUM_SCALE: f64 = 65536.0;

fn pair(words: &[u32], f: usize) -> u64 {
    (words[2 * f + 1] as u64) << 32 | words[2 * f] as u64
}

fn set_pair(words: &mut [u32], f: usize, v: u64) {
    words[2 * f] = v as u32;
    words[2 * f + 1] = (v >> 32) as u32;
}

impl Census {
    /// The value the census buffer holds before a reduction.
    pub const CLEARED: Census = Census {
        counts: [0; MAX_SITE_COUNTERS],
        min: [u32::MAX; 3],
        max: [0; 3],
        clones: 0,
        mutations: 0,
        clone_live: [0; CENSUS_CLONES],
        acquired_live: 0,
        field_sum: [0; 2 * MAX_FIELDS],
        field_tumour_sum: [0; 2 * MAX_FIELDS],
        _pad: [0; 3],
    };

    /// Sites counted by `c`.
    pub fn count(&self, c: Counter) -> u32 {
        self.counts[c.index()]
    }

    pub fn set_count(&mut self, c: Counter, n: u32) {
        self.counts[c.index()] = n;
    }

    /// Live tumour cells, cycling or quiescent.
    pub fn tumour_live(&self) -> u32 {
        self.count(Counter::TumourLive)
    }

    /// Field `f`'s fixed-point sum over every site.
    pub fn field_sum(&self, f: usize) -> u64 {
        pair(&self.field_sum, f)
    }

    pub fn set_field_sum(&mut self, f: usize, sum: u64) {
        set_pair(&mut self.field_sum, f, sum)
    }

    /// Field `f`'s fixed-point sum over the live tumour cells' sites.
    pub fn field_tumour_sum(&self, f: usize) -> u64 {
        pair(&self.field_tumour_sum, f)
    }

    pub fn set_field_tumour_sum(&mut self, f: usize, sum: u64) {
        set_pair(&mut self.field_tumour_sum, f, sum)
    }

    /// Mean of field `f` (census scale `scale`) over `n_sites` sites.
    pub fn field_mean(&self, f: usize, scale: f64, n_sites: u64) -> f64 {
        self.field_sum(f) as f64 / scale / n_sites.max(1) as f64
    }

    /// Mean of field `f` over the live tumour cells' sites (0 without cells).
    pub fn field_tumour_mean(&self, f: usize, scale: f64) -> f64 {
        if self.tumour_live() == 0 {
            return 0.0;
        }
        self.field_tumour_sum(f) as f64 / scale / self.tumour_live() as f64
    }

    /// Fixed-point value of one site's pO2 in the oxygen sum.
    #[inline]
    pub fn o2_fixed(c: f32) -> u32 {
        Census::fixed(c, O2_SUM_SCALE as f32)
    }

    /// Fixed-point value of a level (`fixed` in shaders/census.wgsl).
    #[inline]
    pub fn fixed(c: f32, scale: f32) -> u32 {
        let v = (c.max(0.0) * scale + 0.5).floor();
        if v >= O2_SITE_CAP as f32 {
            O2_SITE_CAP
        } else {
            v as u32
        }
    }

    /// Drug `d`'s sum over live tumour cells (its field is `fields::drug_field(d)`).
    pub fn drug_sum(&self, d: usize) -> u64 {
        self.field_tumour_sum(fields::drug_field(d))
    }

    /// Mean level of drug `d` (µM) over the live tumour cells' sites (0 without cells).
    pub fn drug_mean_um(&self, d: usize) -> f64 {
        self.field_tumour_mean(fields::drug_field(d), DRUG_SUM_SCALE)
    }

    pub fn o2_sum(&self) -> u64 {
        self.field_sum(fields::OXYGEN)
    }

    pub fn o2_mean_mmhg(&self, n_sites: u64) -> f64 {
        self.field_mean(fields::OXYGEN, O2_SUM_SCALE, n_sites)
    }

    /// Tumour sites, live or necrotic.
    pub fn tumour_sites(&self) -> u32 {
        self.tumour_live() + self.count(Counter::Necrotic)
    }

    /// Largest bounding-box extent of the tumour in µm (0 without tumour).
    pub fn diameter_um(&self, site_um: f64) -> f64 {
        if self.tumour_sites() == 0 {
            return 0.0;
        }
        (0..3)
            .map(|a| (self.max[a] - self.min[a] + 1) as f64)
            .fold(0.0, f64::max)
            * site_um
    }

    /// Radius of the disc (2D) or ball (3D) with the tumour's area or volume.
    pub fn equivalent_radius_um(&self, site_um: f64, is_3d: bool) -> f64 {
        let n = self.tumour_sites() as f64;
        if is_3d {
            (3.0 * n / (4.0 * std::f64::consts::PI)).cbrt() * site_um
        } else {
            (n / std::f64::consts::PI).sqrt() * site_um
        }
    }
}
