//! Documented defaults. Each value names its source; change a value only with a source.

use super::*;

pub fn nz() -> u32 {
    1
}
/// One cell per site: carcinoma cells are 15–25 µm across (Anderson et al. 2006,
/// Cell 127:905, use 20 µm lattice sites for the same reason).
pub fn site_size_um() -> f64 {
    20.0
}
pub fn neighbourhood() -> Neighbourhood {
    Neighbourhood::Moore
}
/// One hour resolves a ~20 h cycle and hours-long anoxia; oxygen is quasi-steady on it.
pub fn tick_h() -> f64 {
    1.0
}
pub fn duration_days() -> f64 {
    10.0
}
pub fn report_every_h() -> f64 {
    12.0
}
pub fn vessel_layout() -> VesselLayout {
    VesselLayout::Random
}
/// Capillary sites make up a few per cent of well-vascularised tissue; 1 % of 20 µm
/// sites gives an intercapillary distance near 200 µm (Krogh cylinder radii of
/// 50–100 µm, Secomb et al. 2004, Ann Biomed Eng 32:1519).
pub fn vessel_density() -> f64 {
    0.01
}
pub fn vessel_spacing_um() -> f64 {
    200.0
}
pub fn vessel_axis() -> Axis {
    Axis::Y
}
pub fn perfusion() -> f64 {
    1.0
}
/// Solid stress of a growing tumour compresses and collapses its vessels (Padera et al.
/// 2004, Nature 427:695; Stylianopoulos et al. 2012, PNAS 109:15101): flow falls once
/// half of a vessel's neighbourhood is tumour and stops when it is surrounded.
pub fn compression_onset() -> f64 {
    0.5
}
pub fn compression_collapse() -> f64 {
    1.0
}
/// O2 diffusivity in tissue 2×10⁻⁹ m²/s = 1.2×10⁵ µm²/min (Grimes et al. 2014,
/// J R Soc Interface 11:20131124).
pub fn o2_diffusion_um2_per_min() -> f64 {
    1.2e5
}
/// Mean microvascular pO2 in tumours ≈ 40 mmHg (Vaupel, Kallinowski & Okunieff 1989,
/// Cancer Res 49:6449).
pub fn vessel_po2_mmhg() -> f64 {
    40.0
}
/// The capillary wall is no barrier to oxygen (Secomb et al. 2004): a fast exchange
/// keeps a perfused vessel site within ~2 % of blood pO2.
pub fn o2_vessel_exchange_per_min() -> f64 {
    1.0e5
}
/// Tumour O2 consumption a ≈ 15 mmHg/s = 900 mmHg/min (Grimes et al. 2014).
pub fn o2_uptake_mmhg_per_min() -> f64 {
    900.0
}
/// Michaelis–Menten half-maximal pO2 of 1 mmHg (Secomb et al. 2004).
pub fn o2_uptake_half_max_mmhg() -> f64 {
    1.0
}
/// Host tissue consumption as first-order loss with a 200 µm diffusion length
/// (λ = √(D/k) = √(1.2×10⁵/3) µm); oxygen reaches 150–200 µm from a vessel
/// (Thomlinson & Gray 1955, Br J Cancer 9:539).
pub fn o2_decay_per_min() -> f64 {
    3.0
}
pub fn o2_tolerance_mmhg() -> f64 {
    1.0e-3
}
pub fn max_sweeps_per_tick() -> u32 {
    200
}
/// Over-relaxation that speeds red-black sweeps on these screened-Poisson problems.
pub fn sor_omega() -> f64 {
    1.5
}
/// Cultured carcinoma lines cycle in 18–24 h (HeLa ≈ 22 h; Ghaffarizadeh et al. 2018,
/// PLoS Comput Biol 14:e1005991 use ≈ 18–23 h).
pub fn cycle_mean_h() -> f64 {
    20.0
}
pub fn cycle_sd_h() -> f64 {
    2.0
}
/// Proliferation stops in chronic hypoxia below ~5 mmHg; "hypoxic" tumour regions are
/// < 10 mmHg (Höckel & Vaupel 2001, J Natl Cancer Inst 93:266).
pub fn hypoxic_mmhg() -> f64 {
    5.0
}
/// Anoxia ≈ below 0.5 mmHg (Höckel & Vaupel 2001).
pub fn anoxic_mmhg() -> f64 {
    0.5
}
/// Tumour cells survive hours of anoxia before necrosis (Papandreou et al. 2005,
/// Cancer Res 65:3171; Höckel & Vaupel 2001).
pub fn anoxic_duration_h() -> f64 {
    12.0
}
/// 5.31667×10⁻⁵ /min, PhysiCell's default apoptosis rate (Ghaffarizadeh et al. 2018).
pub fn apoptosis_per_h() -> f64 {
    0.00319
}
/// S + G2 + M take ≈ 10–12 h of a ≈ 20–24 h mammalian cycle; G1 takes the rest
/// (Alberts et al., Molecular Biology of the Cell, 6th ed., ch. 17).
pub fn s_g2_m_h() -> f64 {
    10.0
}
pub fn frame_every_h() -> f64 {
    24.0
}

impl Default for Time {
    fn default() -> Self {
        Time {
            tick_h: tick_h(),
            duration_days: duration_days(),
            report_every_h: report_every_h(),
        }
    }
}

impl Default for Tumour {
    fn default() -> Self {
        Tumour {
            centre_um: None,
            radius_um: Some(60.0),
            cell_count: None,
            arrangement: crate::scene::drugs::defaults::arrangement(),
        }
    }
}

impl Default for Vessels {
    fn default() -> Self {
        Vessels {
            layout: vessel_layout(),
            density: vessel_density(),
            spacing_um: vessel_spacing_um(),
            axis: vessel_axis(),
            perfusion: perfusion(),
            perfusion_spread: 0.0,
            compression_onset: compression_onset(),
            compression_collapse: compression_collapse(),
        }
    }
}

impl Default for Oxygen {
    fn default() -> Self {
        Oxygen {
            diffusion_um2_per_min: o2_diffusion_um2_per_min(),
            vessel_po2_mmhg: vessel_po2_mmhg(),
            vessel_exchange_per_min: o2_vessel_exchange_per_min(),
            uptake_mmhg_per_min: o2_uptake_mmhg_per_min(),
            uptake_half_max_mmhg: o2_uptake_half_max_mmhg(),
            decay_per_min: o2_decay_per_min(),
            boundary_mmhg: None,
            tolerance_mmhg: o2_tolerance_mmhg(),
            max_sweeps_per_tick: max_sweeps_per_tick(),
            sor_omega: sor_omega(),
        }
    }
}

impl Default for Cells {
    fn default() -> Self {
        Cells {
            cycle_mean_h: cycle_mean_h(),
            cycle_sd_h: cycle_sd_h(),
            hypoxic_mmhg: hypoxic_mmhg(),
            anoxic_mmhg: anoxic_mmhg(),
            anoxic_duration_h: anoxic_duration_h(),
            apoptosis_per_h: apoptosis_per_h(),
            s_g2_m_h: s_g2_m_h(),
        }
    }
}

impl Default for Output {
    fn default() -> Self {
        Output {
            frame_every_h: frame_every_h(),
            frame_pixels_per_site: 0,
        }
    }
}
