//! The census: integer counts reduced on the device (or by the CPU twin) and the
//! quantities derived from them on the host. Keep in sync with shaders/census.wgsl.

use bytemuck::{Pod, Zeroable};

/// Fixed-point scale of the oxygen sum: 1/1024 mmHg per unit.
pub const O2_SUM_SCALE: f64 = 1024.0;
/// Per-site cap of the fixed-point oxygen value (keeps a workgroup's partial sum in u32).
pub const O2_SITE_CAP: u32 = (1 << 24) - 1;

/// Keep in sync with `struct Census` in shaders/census.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct Census {
    /// Live tumour cells, cycling or quiescent.
    pub tumour_live: u32,
    pub quiescent: u32,
    pub necrotic: u32,
    pub vessel: u32,
    /// Live tumour cells below the hypoxic threshold this tick.
    pub hypoxic: u32,
    /// Vessel sites with perfusion > 0.
    pub perfused_vessel: u32,
    /// Σ round(pO2 · 1024) over all sites, as a 64-bit number in two words.
    pub o2_sum_lo: u32,
    pub o2_sum_hi: u32,
    /// Bounding box of tumour sites (live or necrotic); min = u32::MAX when there are none.
    pub min: [u32; 3],
    pub max: [u32; 3],
    /// Live tumour cells in the drug-tolerant persister state.
    pub persister: u32,
    /// Live tumour cells carrying an altered drug target (any drug).
    pub trait_target: u32,
    pub trait_efflux: u32,
    pub trait_slow_cycle: u32,
    /// Σ over live tumour cells of round(level · 65536) per drug (µM), 64-bit as
    /// (lo, hi) pairs.
    pub drug_sum: [u32; 8],
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
    pub _pad: [u32; 3],
}

/// Initial clones the census counts one by one.
pub const CENSUS_CLONES: usize = 8;

/// Fixed-point scale of the drug sums: 1/65536 µM per unit.
pub const DRUG_SUM_SCALE: f64 = 65536.0;

impl Census {
    /// The value the census buffer holds before a reduction.
    pub const CLEARED: Census = Census {
        tumour_live: 0,
        quiescent: 0,
        necrotic: 0,
        vessel: 0,
        hypoxic: 0,
        perfused_vessel: 0,
        o2_sum_lo: 0,
        o2_sum_hi: 0,
        min: [u32::MAX; 3],
        max: [0; 3],
        persister: 0,
        trait_target: 0,
        trait_efflux: 0,
        trait_slow_cycle: 0,
        drug_sum: [0; 8],
        clones: 0,
        mutations: 0,
        clone_live: [0; CENSUS_CLONES],
        acquired_live: 0,
        _pad: [0; 3],
    };

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

    pub fn drug_sum(&self, d: usize) -> u64 {
        (self.drug_sum[2 * d + 1] as u64) << 32 | self.drug_sum[2 * d] as u64
    }

    pub fn set_drug_sum(&mut self, d: usize, sum: u64) {
        self.drug_sum[2 * d] = sum as u32;
        self.drug_sum[2 * d + 1] = (sum >> 32) as u32;
    }

    /// Mean level of drug `d` (µM) over the live tumour cells' sites (0 without cells).
    pub fn drug_mean_um(&self, d: usize) -> f64 {
        if self.tumour_live == 0 {
            return 0.0;
        }
        self.drug_sum(d) as f64 / DRUG_SUM_SCALE / self.tumour_live as f64
    }

    pub fn o2_sum(&self) -> u64 {
        (self.o2_sum_hi as u64) << 32 | self.o2_sum_lo as u64
    }

    pub fn o2_mean_mmhg(&self, n_sites: u64) -> f64 {
        self.o2_sum() as f64 / O2_SUM_SCALE / n_sites.max(1) as f64
    }

    /// Tumour sites, live or necrotic.
    pub fn tumour_sites(&self) -> u32 {
        self.tumour_live + self.necrotic
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
