//! Parameters the kernels read, converted once from the scene's physical units to
//! lattice units. Keep in sync with shaders/shared/params.wgsl.

use crate::model::rng;
use crate::model::site::Kind;
use crate::scene::drugs::DrugEntry;
use crate::scene::Scene;
use bytemuck::{Pod, Zeroable};

/// Per-tick simulation parameters (uniform, group 0 binding 0).
/// Keep in sync with `struct SimParams` in shaders/shared/params.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct SimParams {
    pub nx: u32,
    pub ny: u32,
    pub nz: u32,
    pub n_sites: u32,
    /// 1 for the Moore neighbourhood, 0 for von Neumann.
    pub moore: u32,
    pub tick: u32,
    /// `rng::tick_key(seed, tick)`.
    pub tick_key: u32,
    /// Apoptosis happens when a draw is below this.
    pub apoptosis_threshold: u32,
    /// Consecutive anoxic ticks that cause necrosis.
    pub anoxic_ticks: u32,
    /// Mean cycle length in ticks, 8 fractional bits.
    pub cycle_mean_fx8: i32,
    /// Scales the centred Irwin–Hall sum to the cycle's standard deviation (see `cycle_len`).
    pub cycle_sd_coef: i32,
    pub hypoxic_mmhg: f32,
    pub anoxic_mmhg: f32,
    /// Vessel compression: with k tumour sites (live or necrotic) among a vessel's
    /// neighbours, perfusion = base for k ≤ onset, 0 for k ≥ collapse, linear between.
    pub compression_onset: u32,
    pub compression_collapse: u32,
    /// Clones of the initial tumour (`[[clones]]`, at least 1): ids below are
    /// initial, ids from here on were founded by mutation (the census counts both).
    pub initial_clones: u32,
    /// Fields of the scene (`model::fields`): oxygen, drugs, factors.
    pub n_fields: u32,
    /// 1 when some kind of the scene wishes to swap with or kill an occupant (scenes
    /// with T cells); 0 makes resolve ignore claims on occupied sites and skip
    /// looking for them, which halves its neighbourhood gathers.
    pub occupied_actions: u32,
    /// 1 while the scene advances; 0 for a scene of a GPU pack whose run has ended
    /// (the kernels leave its sites alone). The CPU backend ignores it.
    pub scene_active: u32,
    /// Residual slots per scene on the GPU (fields × sweep capacity), set by the GPU
    /// backend when it writes the parameters. The CPU backend ignores it.
    pub residual_stride: u32,
}

/// One diffusing field's constants in lattice units (uniform, group 0 binding 1): the
/// field descriptor every field (oxygen, each drug, each signalling factor) is an
/// instance of. The steady equation at a site, divided by D/h², is
/// Σₙ(cₙ − c) − decay·c + exchange·perfusion·(level − c) + Σ terms = 0,
/// where each term of `terms` that matches the site's kind and state adds a source or
/// a sink (`FieldTerm`). Keep in sync with `struct FieldParams` in shaders/shared/params.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct FieldParams {
    /// k·h²/D.
    pub decay: f32,
    /// Vessel exchange rate·h²/D for a fully perfused site.
    pub vessel_exchange: f32,
    /// Blood level in the field's unit.
    pub vessel_level: f32,
    pub boundary_level: f32,
    /// 1 when the boundary is held at `boundary_level`, 0 for no flux.
    pub fixed_boundary: u32,
    pub omega: f32,
    pub tolerance: f32,
    pub max_sweeps: u32,
    /// Workgroups (x, y) of one full half-sweep: `field_guard` writes them as the next
    /// sweep's indirect dispatch size, or zeros once the solve has converged. Filled in
    /// by the GPU backend; the CPU backend ignores them.
    pub sweep_groups: [u32; 2],
    /// Fixed-point units per field unit of the census sums of this field.
    pub census_scale: f32,
    /// Which census sums the field's outputs read: `CENSUS_ALL_SITES`,
    /// `CENSUS_TUMOUR_SITES` (bits); the census skips the others (they stay 0).
    pub census_sums: u32,
    /// How many of `terms` apply.
    pub n_terms: u32,
    pub _pad: [u32; 3],
    pub terms: [FieldTerm; MAX_FIELD_TERMS],
}

/// `FieldParams::census_sums`: the sum over every site, over live tumour cells' sites.
pub const CENSUS_ALL_SITES: u32 = 1;
pub const CENSUS_TUMOUR_SITES: u32 = 2;

/// `FieldTerm::order`: a zero-order source (`rate`, field unit per D/h²), a
/// first-order sink (`rate`·c) or a saturable (Michaelis–Menten) sink
/// `rate`·c/(`half_max` + c), linearised with the site's previous value.
pub const TERM_ZERO_ORDER: u32 = 0;
pub const TERM_FIRST_ORDER: u32 = 1;
pub const TERM_MICHAELIS_MENTEN: u32 = 2;

/// A source or sink at the sites of one kind whose `w0` has every bit of `state` set
/// (0: every site of the kind; `site::QUIESCENT_BIT`: hypoxic cells). Keep in sync with
/// `struct FieldTerm` in shaders/shared/params.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct FieldTerm {
    pub kind: u32,
    pub state: u32,
    pub order: u32,
    /// Lattice units: the source, the rate constant, or Vmax (all × h²/D).
    pub rate: f32,
    pub half_max: f32,
    pub _pad: [u32; 3],
}

impl FieldTerm {
    pub fn new(kind: crate::model::site::Kind, state: u32, order: u32, rate: f64) -> FieldTerm {
        FieldTerm {
            kind: kind as u32,
            state,
            order,
            rate: rate as f32,
            ..FieldTerm::default()
        }
    }
}

/// What a sweep's largest change must stay below for a solve to count as converged,
/// for a field of tolerance `tolerance` solved with SOR factor `omega`. A sweep changes
/// a site by ω × (its Gauss–Seidel correction); for ω < 1 that change shrinks with ω
/// while the solution is still far off (ω = 10⁻⁹ would "converge" after one sweep at
/// zero), so the bound is on the larger of the change and the correction:
/// tolerance × min(ω, 1). For ω ≥ 1 it is the tolerance itself.
pub fn stopping_tolerance(tolerance: f64, omega: f64) -> f32 {
    (tolerance * omega.min(1.0)) as f32
}

impl FieldParams {
    /// Adds a source or sink; a zero rate adds nothing (it would not change the
    /// solution, and leaving it out keeps the arithmetic of a field without it).
    ///
    /// # Panics
    /// With more than `MAX_FIELD_TERMS` terms (scene validation refuses them first).
    pub fn with_term(mut self, term: FieldTerm) -> FieldParams {
        if term.rate == 0.0 {
            return self;
        }
        let k = self.n_terms as usize;
        assert!(
            k < MAX_FIELD_TERMS,
            "more than {MAX_FIELD_TERMS} field terms"
        );
        self.terms[k] = term;
        self.n_terms += 1;
        self
    }

    /// The terms in use.
    pub fn active_terms(&self) -> &[FieldTerm] {
        &self.terms[..(self.n_terms as usize).min(MAX_FIELD_TERMS)]
    }
}

/// Which half of the red-black sweep, which sweep of the tick and which field
/// (dynamic uniform). Keep in sync with `struct SweepParams` in shaders/shared/params.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Default, Pod, Zeroable)]
pub struct SweepParams {
    pub colour: u32,
    pub index: u32,
    /// 0 = oxygen, 1 + d = drug d.
    pub field: u32,
    /// Slot of this sweep in the residual buffer; the previous sweep of the same
    /// field uses the slot before it.
    pub residual_slot: u32,
}

/// The scenes of a GPU pack that a dispatch covers: `first` … `first + count − 1`, one
/// per `workgroup_id.z` (uniform, group 0 binding 4). The whole pack for a tick; one
/// scene for a run's own work (its first solve, a scan's census). Keep in sync with
/// `struct PackRange` in shaders/shared/params.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Pod, Zeroable)]
pub struct PackRange {
    pub first: u32,
    pub count: u32,
    pub _pad: [u32; 2],
}

/// Fields a scene can hold (`model::fields`): oxygen, up to `MAX_DRUGS` drugs and
/// signalling factors.
pub use crate::scene::{MAX_FIELDS, MAX_FIELD_TERMS};

/// Capillary radius for the vessel wall area per site: a vessel site holds a capillary
/// segment of radius 5 µm along its length h, so S/V = 2π·r/h² (capillary diameters
/// are 5–10 µm; Secomb et al. 2004, Ann Biomed Eng 32:1519).
pub const CAPILLARY_RADIUS_UM: f64 = 5.0;

/// Drug fields are solved to this fraction of the drug's IC50: far finer than the
/// PD tables resolve.
pub const DRUG_TOLERANCE_OF_IC50: f64 = 1e-3;

/// Standard deviation of the centred, shifted Irwin–Hall sum used in `cycle_len`:
/// four 16-bit uniforms summed, minus their mean, shifted right by 4.
pub const CYCLE_NOISE_SD: f64 = 65536.0 / 1.732_050_807_568_877_2 / 16.0;

impl SimParams {
    pub fn from_scene(scene: &Scene) -> SimParams {
        let tick_h = scene.time.tick_h;
        let c = &scene.cells;
        let mean_ticks = c.cycle_mean_h / tick_h;
        let sd_ticks = c.cycle_sd_h / tick_h;
        SimParams {
            nx: scene.lattice.nx,
            ny: scene.lattice.ny,
            nz: scene.lattice.nz,
            n_sites: scene.site_count() as u32,
            moore: (scene.lattice.neighbourhood == crate::scene::Neighbourhood::Moore) as u32,
            tick: 0,
            tick_key: rng::tick_key(scene.seed, 0),
            apoptosis_threshold: rng::threshold(c.apoptosis_per_h * tick_h),
            anoxic_ticks: (c.anoxic_duration_h / tick_h).round().max(1.0) as u32,
            cycle_mean_fx8: (mean_ticks * 256.0).round() as i32,
            cycle_sd_coef: (sd_ticks * 256.0 * 256.0 / CYCLE_NOISE_SD).round() as i32,
            hypoxic_mmhg: c.hypoxic_mmhg as f32,
            anoxic_mmhg: c.anoxic_mmhg as f32,
            compression_onset: compression_count(scene, scene.vessels.compression_onset),
            compression_collapse: compression_count(scene, scene.vessels.compression_collapse),
            initial_clones: scene.clones.len().max(1) as u32,
            n_fields: (1 + scene.drugs.len() + scene.factors.len()) as u32,
            // T cells kill occupied sites.
            occupied_actions: scene.immune.is_some() as u32,
            scene_active: 1,
            residual_stride: 0,
        }
    }

    /// The same parameters for T-cell move `m` of this tick: its own RNG key
    /// (`rng::substep_key`), everything else the tick's.
    pub fn at_substep(mut self, m: u32) -> SimParams {
        self.tick_key = rng::substep_key(self.tick_key, m);
        self
    }

    /// The same parameters for tick `tick` of a run seeded with `seed`.
    pub fn at_tick(mut self, seed: u64, tick: u32) -> SimParams {
        self.tick = tick;
        self.tick_key = rng::tick_key(seed, tick);
        self
    }
}

/// A fraction of the cell neighbourhood as a count of neighbours (rounded).
fn compression_count(scene: &Scene, fraction: f64) -> u32 {
    let grid = crate::model::lattice::Grid::from_scene(scene);
    (fraction * grid.cell_offsets().len() as f64).round() as u32
}

/// Perfusion (×65535) of a vessel site with base perfusion `base` and `k` tumour
/// neighbours. Twin of `compressed_perfusion` in shaders/cells.wgsl.
pub fn compressed_perfusion(sim: &SimParams, base: u32, k: u32) -> u32 {
    let (onset, collapse) = (sim.compression_onset, sim.compression_collapse);
    if k <= onset {
        base
    } else if k >= collapse {
        0
    } else {
        base * (collapse - k) / (collapse - onset)
    }
}

impl FieldParams {
    /// Oxygen in mmHg: Michaelis–Menten uptake by live tumour cells (first order when
    /// the half-maximum is 0).
    pub fn oxygen(scene: &Scene) -> FieldParams {
        let o = &scene.oxygen;
        let h = scene.lattice.site_size_um;
        let scale = h * h / o.diffusion_um2_per_min; // min per (D/h²)
        let mut uptake = FieldTerm::new(
            Kind::Tumour,
            0,
            TERM_MICHAELIS_MENTEN,
            o.uptake_mmhg_per_min * scale,
        );
        uptake.half_max = o.uptake_half_max_mmhg as f32;
        if o.uptake_half_max_mmhg <= 0.0 {
            uptake.order = TERM_FIRST_ORDER;
        }
        FieldParams {
            decay: (o.decay_per_min * scale) as f32,
            vessel_exchange: (o.vessel_exchange_per_min * scale) as f32,
            vessel_level: o.vessel_po2_mmhg as f32,
            boundary_level: o.boundary_mmhg.unwrap_or(0.0) as f32,
            fixed_boundary: o.boundary_mmhg.is_some() as u32,
            omega: o.sor_omega as f32,
            tolerance: stopping_tolerance(o.tolerance_mmhg, o.sor_omega),
            max_sweeps: o.max_sweeps_per_tick,
            census_scale: crate::model::census::O2_SUM_SCALE as f32,
            // The time series shows oxygen's mean over the lattice.
            census_sums: CENSUS_ALL_SITES,
            ..FieldParams::default()
        }
        .with_term(uptake)
    }

    /// Drug `d` in µM, with blood at `plasma_um`: first-order uptake by live tumour
    /// cells, exchange through perfused vessel walls at permeability × S/V.
    pub fn drug(scene: &Scene, d: usize, plasma_um: f64) -> FieldParams {
        let drug = &scene.drugs[d];
        let boundary = drug.enters_from == DrugEntry::Boundary;
        let h = scene.lattice.site_size_um;
        let scale = h * h / drug.diffusion_um2_per_min;
        let surface_per_volume = 2.0 * std::f64::consts::PI * CAPILLARY_RADIUS_UM / (h * h);
        FieldParams {
            decay: (drug.decay_per_min * scale) as f32,
            vessel_exchange: (drug.vessel_permeability_um_per_min * surface_per_volume * scale)
                as f32,
            vessel_level: plasma_um as f32,
            // A drug entering from the boundary holds the faces at its blood level
            // while it is in the blood; otherwise the faces are closed.
            boundary_level: if boundary { plasma_um as f32 } else { 0.0 },
            fixed_boundary: u32::from(boundary && plasma_um > 0.0),
            omega: scene.oxygen.sor_omega as f32,
            tolerance: stopping_tolerance(
                drug.ic50_um * DRUG_TOLERANCE_OF_IC50,
                scene.oxygen.sor_omega,
            ),
            max_sweeps: scene.oxygen.max_sweeps_per_tick,
            census_scale: crate::model::census::DRUG_SUM_SCALE as f32,
            // The time series shows a drug's mean at the tumour cells.
            census_sums: CENSUS_TUMOUR_SITES,
            ..FieldParams::default()
        }
        .with_term(FieldTerm::new(
            Kind::Tumour,
            0,
            TERM_FIRST_ORDER,
            drug.cell_uptake_per_min * scale,
        ))
    }

    /// Every field of a scene at the given plasma levels (µM, one per drug), in field
    /// order: oxygen, each drug, each factor (`model::fields`).
    pub fn all(scene: &Scene, plasma_um: &[f64]) -> Vec<FieldParams> {
        let mut out = vec![FieldParams::oxygen(scene)];
        out.extend(
            (0..scene.drugs.len())
                .map(|d| FieldParams::drug(scene, d, plasma_um.get(d).copied().unwrap_or(0.0))),
        );
        out.extend(
            scene
                .factors
                .iter()
                .map(|f| crate::model::fields::factor_params(scene, f)),
        );
        out
    }
}

/// This cycle's length in ticks for a cell at `site` (integer arithmetic only, so the
/// WGSL twin `cycle_len` in shaders/shared/cell.wgsl returns the same value).
pub fn cycle_len(p: &SimParams, site: u32) -> u32 {
    let a = rng::draw(p.tick_key, site, rng::stream::CYCLE_A);
    let b = rng::draw(p.tick_key, site, rng::stream::CYCLE_B);
    let s = (a & 0xffff) + (a >> 16) + (b & 0xffff) + (b >> 16);
    let centred = (s as i32 - 131_070) >> 4;
    let len_fx8 = p.cycle_mean_fx8 + ((centred * p.cycle_sd_coef) >> 8);
    (((len_fx8 + 128) >> 8).max(1) as u32).min(0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_lengths_have_the_scene_mean_and_spread() {
        let p = SimParams {
            tick_key: rng::tick_key(9, 3),
            cycle_mean_fx8: 20 * 256,
            cycle_sd_coef: (4.0 * 65536.0 / CYCLE_NOISE_SD).round() as i32,
            ..Default::default()
        };
        let n = 100_000u32;
        let draws: Vec<f64> = (0..n).map(|s| cycle_len(&p, s) as f64).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n as f64;
        // Rounding to whole ticks adds 1/12 tick² of variance.
        assert!((mean - 20.0).abs() < 0.05, "mean {mean}");
        assert!(
            (var.sqrt() - (16.0f64 + 1.0 / 12.0).sqrt()).abs() < 0.05,
            "sd {}",
            var.sqrt()
        );
    }

    #[test]
    fn a_drug_entering_from_the_boundary_holds_the_faces_while_given() {
        let text = |entry: &str| {
            format!(
                "seed = 1\n[lattice]\nnx = 8\nny = 8\n[[drugs]]\nname = \"d\"\nclass = \"nonspecific\"\nemax_per_h = 0.1\nic50_um = 1.0\n{entry}"
            )
        };
        let path = std::path::Path::new("t.toml");
        let boundary = Scene::parse(&text("enters_from = \"boundary\"\n"), path).unwrap();
        let given = FieldParams::drug(&boundary, 0, 1.5);
        assert_eq!((given.fixed_boundary, given.boundary_level), (1, 1.5));
        let stopped = FieldParams::drug(&boundary, 0, 0.0);
        assert_eq!((stopped.fixed_boundary, stopped.boundary_level), (0, 0.0));
        let vessels = Scene::parse(&text(""), path).unwrap();
        let default = FieldParams::drug(&vessels, 0, 1.5);
        assert_eq!((default.fixed_boundary, default.boundary_level), (0, 0.0));
        assert_eq!(default.vessel_level, given.vessel_level);
        // The default is not written out, so resolved scenes keep their bytes.
        assert!(!toml::to_string(&vessels.drugs[0])
            .unwrap()
            .contains("enters_from"));
        let err = Scene::parse(&text("enters_from = \"skin\"\n"), path).unwrap_err();
        assert!(err.to_string().contains("boundary"), "{err}");
    }

    #[test]
    fn struct_sizes_are_16_byte_multiples() {
        assert_eq!(std::mem::size_of::<SimParams>(), 80);
        assert_eq!(std::mem::size_of::<FieldParams>(), 192);
        assert_eq!(std::mem::size_of::<FieldTerm>(), 32);
        assert_eq!(std::mem::size_of::<SweepParams>(), 16);
    }
}
