//! What to simulate: the scene file's structure in physical units, its documented
//! defaults, and validation that names the file, line, key and what is allowed.
//!
//! Every default carries its literature source in a comment. Conversion to lattice
//! units happens in `model::params`, never here.

mod defaults;
pub mod describe;
pub mod drugs;
pub mod error;
pub mod factors;
pub mod immune;
pub mod therapy;
mod validate;
mod validate_drugs;
mod validate_pk;
mod validate_therapy;
pub mod vasculature;

use serde::{Deserialize, Serialize};
use std::path::Path;

pub use drugs::{
    Arrangement, Drug, DrugClass, DrugInteraction, InitialClone, Resistance, TraitName,
};
pub use error::SceneError;

/// A whole scene file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Free-form name used in outputs; defaults to the file stem.
    #[serde(default)]
    pub name: String,
    /// Seed of every random draw. Required: a run is never seeded from the clock.
    pub seed: u64,
    pub lattice: Lattice,
    #[serde(default)]
    pub time: Time,
    #[serde(default)]
    pub tumour: Tumour,
    #[serde(default)]
    pub vessels: Vessels,
    #[serde(default)]
    pub oxygen: Oxygen,
    #[serde(default)]
    pub cells: Cells,
    /// Parameters of the resistance traits that clones may carry.
    #[serde(default)]
    pub resistance: Resistance,
    #[serde(default)]
    pub output: Output,
    /// Drugs, each with its own diffusing field (at most `MAX_DRUGS`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drugs: Vec<Drug>,
    /// Diffusing signalling factors, each a field with its own sources and sinks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<factors::Factor>,
    /// How the drugs of a combination act together on one cell.
    #[serde(default)]
    pub drug_interaction: DrugInteraction,
    /// Pre-existing clones of the initial tumour; none means one clone without traits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clones: Vec<InitialClone>,
    /// The patient whose pharmacokinetics the drugs follow.
    #[serde(default)]
    pub patient: therapy::PatientSpec,
    /// Cytotoxic T cells (`[immune]`); absent means no immune system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immune: Option<immune::Immune>,
    /// A living vessel network (`[vasculature]`); absent means fixed vessels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vasculature: Option<vasculature::Vasculature>,
    /// The treatment plan; absent means no treatment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub therapy: Option<therapy::Therapy>,
}

/// Drugs a scene may define (each is a field and a slot in the per-drug kernel data).
pub const MAX_DRUGS: usize = 4;
/// Fields a scene may hold in all: oxygen, each drug and each signalling factor
/// (each costs 4 bytes per site on the device and in snapshots).
pub const MAX_FIELDS: usize = 8;
/// Sources and sinks one field may have (`[[factors.sources]]`).
pub const MAX_FIELD_TERMS: usize = 4;
/// Pre-existing clones a scene may define.
pub const MAX_INITIAL_CLONES: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Neighbourhood {
    /// Face neighbours: 4 in 2D, 6 in 3D.
    VonNeumann,
    /// Face, edge and corner neighbours: 8 in 2D, 26 in 3D.
    Moore,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lattice {
    pub nx: u32,
    pub ny: u32,
    /// 1 makes the scene two-dimensional.
    #[serde(default = "defaults::nz")]
    pub nz: u32,
    #[serde(default = "defaults::site_size_um")]
    pub site_size_um: f64,
    #[serde(default = "defaults::neighbourhood")]
    pub neighbourhood: Neighbourhood,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Time {
    #[serde(default = "defaults::tick_h")]
    pub tick_h: f64,
    #[serde(default = "defaults::duration_days")]
    pub duration_days: f64,
    #[serde(default = "defaults::report_every_h")]
    pub report_every_h: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tumour {
    /// Centre of the initial tumour in µm from the lattice origin; default: the lattice centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre_um: Option<[f64; 3]>,
    /// Fill every free site within this radius (give this or `cell_count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius_um: Option<f64>,
    /// Or place this many cells on the free sites nearest the centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_count: Option<u32>,
    /// How `[[clones]]` are laid out: `mixed` or `patches`.
    #[serde(default = "drugs::defaults::arrangement")]
    pub arrangement: Arrangement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VesselLayout {
    /// No vessels: oxygen comes only from a fixed boundary, if any.
    None,
    /// Capillary sites scattered at random with the given `density`.
    Random,
    /// Straight vessels along `axis`, `spacing_um` apart.
    Lines,
    /// Vessels along every axis, `spacing_um` apart (a regular grid).
    Grid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    X,
    Y,
    Z,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vessels {
    #[serde(default = "defaults::vessel_layout")]
    pub layout: VesselLayout,
    /// Fraction of sites that are capillaries (`random`).
    #[serde(default = "defaults::vessel_density")]
    pub density: f64,
    /// Distance between vessels (`lines`, `grid`).
    #[serde(default = "defaults::vessel_spacing_um")]
    pub spacing_um: f64,
    /// Direction of straight vessels (`lines`).
    #[serde(default = "defaults::vessel_axis")]
    pub axis: Axis,
    /// Mean perfusion of a vessel site, 0 (no flow) to 1 (fully perfused).
    #[serde(default = "defaults::perfusion")]
    pub perfusion: f64,
    /// Each vessel site's perfusion is drawn uniformly in `perfusion ± perfusion_spread`, clamped to 0..1.
    #[serde(default)]
    pub perfusion_spread: f64,
    /// Vessel compression by the growing tumour: a vessel's perfusion starts to fall
    /// once this fraction of its neighbours are tumour sites (live or necrotic) ...
    #[serde(default = "defaults::compression_onset")]
    pub compression_onset: f64,
    /// ... and is 0 (collapsed) from this fraction on. Set both to 1 for no compression.
    #[serde(default = "defaults::compression_collapse")]
    pub compression_collapse: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oxygen {
    #[serde(default = "defaults::o2_diffusion_um2_per_min")]
    pub diffusion_um2_per_min: f64,
    #[serde(default = "defaults::vessel_po2_mmhg")]
    pub vessel_po2_mmhg: f64,
    /// Rate at which a fully perfused vessel site equilibrates with blood
    /// (wall permeability × surface-to-volume ratio).
    #[serde(default = "defaults::o2_vessel_exchange_per_min")]
    pub vessel_exchange_per_min: f64,
    /// Maximal consumption of a site filled by a live tumour cell (Michaelis–Menten Vmax).
    #[serde(default = "defaults::o2_uptake_mmhg_per_min")]
    pub uptake_mmhg_per_min: f64,
    /// pO2 at which consumption is half-maximal (Michaelis–Menten Km).
    #[serde(default = "defaults::o2_uptake_half_max_mmhg")]
    pub uptake_half_max_mmhg: f64,
    /// First-order loss everywhere: consumption by the host tissue around the tumour.
    #[serde(default = "defaults::o2_decay_per_min")]
    pub decay_per_min: f64,
    /// pO2 held at the lattice boundary; absent means a no-flux boundary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary_mmhg: Option<f64>,
    /// The solve stops when a sweep changes no site by more than this.
    #[serde(default = "defaults::o2_tolerance_mmhg")]
    pub tolerance_mmhg: f64,
    /// Iteration cap per tick (red-black sweeps).
    #[serde(default = "defaults::max_sweeps_per_tick")]
    pub max_sweeps_per_tick: u32,
    /// Over-relaxation factor of the red-black SOR solver, in (0, 2).
    #[serde(default = "defaults::sor_omega")]
    pub sor_omega: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cells {
    #[serde(default = "defaults::cycle_mean_h")]
    pub cycle_mean_h: f64,
    #[serde(default = "defaults::cycle_sd_h")]
    pub cycle_sd_h: f64,
    /// Below this pO2 a cell stops cycling (quiescence) until oxygen returns.
    #[serde(default = "defaults::hypoxic_mmhg")]
    pub hypoxic_mmhg: f64,
    /// Below this pO2 a cell counts as anoxic ...
    #[serde(default = "defaults::anoxic_mmhg")]
    pub anoxic_mmhg: f64,
    /// ... and dies by necrosis after this long without a break.
    #[serde(default = "defaults::anoxic_duration_h")]
    pub anoxic_duration_h: f64,
    #[serde(default = "defaults::apoptosis_per_h")]
    pub apoptosis_per_h: f64,
    /// Duration of S, G2 and M at the end of each cycle, the window in which
    /// cycle-specific drugs kill.
    #[serde(default = "defaults::s_g2_m_h")]
    pub s_g2_m_h: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// Interval between PNG frames; 0 disables frames.
    #[serde(default = "defaults::frame_every_h")]
    pub frame_every_h: f64,
    /// Pixels per lattice site in frames; 0 picks a size near 600 pixels.
    #[serde(default)]
    pub frame_pixels_per_site: u32,
}

impl Scene {
    /// Reads, parses and validates a scene file.
    pub fn load(path: &Path) -> Result<Scene, SceneError> {
        let bytes = std::fs::read(path)
            .map_err(|e| SceneError::whole_file(path, format!("cannot read scene file: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            // Where the text stops being UTF-8, counted in the valid part before it.
            let valid = e.utf8_error().valid_up_to();
            let prefix = std::str::from_utf8(&e.as_bytes()[..valid]).unwrap_or_default();
            let (line, column) = error::line_col(prefix, valid);
            SceneError {
                line: Some(line),
                column: Some(column),
                ..SceneError::whole_file(path, "is not UTF-8 text (a scene file must be UTF-8)")
            }
        })?;
        Scene::parse(&text, path)
    }

    /// Parses and validates scene text; `path` is used in messages and for the default name.
    pub fn parse(text: &str, path: &Path) -> Result<Scene, SceneError> {
        let mut scene: Scene =
            toml::from_str(text).map_err(|e| error::from_toml(path, text, &e))?;
        if scene.name.is_empty() {
            scene.name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "scene".into());
        }
        if let Err(issue) = validate::validate(&scene) {
            let (line, column) = match error::locate_issue(text, &issue.key, &issue.message) {
                Some(at) => {
                    let (l, c) = error::line_col(text, at);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            return Err(SceneError {
                file: path.to_path_buf(),
                line,
                column,
                key: issue.key,
                message: issue.message,
            });
        }
        Ok(scene)
    }

    /// The scene with every default filled in, as TOML.
    pub fn to_resolved_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a validated scene always serialises")
    }

    pub fn is_3d(&self) -> bool {
        self.lattice.nz > 1
    }

    pub fn site_count(&self) -> u64 {
        self.lattice.nx as u64 * self.lattice.ny as u64 * self.lattice.nz as u64
    }

    /// Number of ticks the run lasts.
    pub fn total_ticks(&self) -> u64 {
        (self.time.duration_days * 24.0 / self.time.tick_h)
            .round()
            .max(1.0) as u64
    }

    /// Ticks between two rows of the time series.
    pub fn report_every_ticks(&self) -> u64 {
        (self.time.report_every_h / self.time.tick_h)
            .round()
            .max(1.0) as u64
    }

    /// Ticks between two frames; `None` when frames are off.
    pub fn frame_every_ticks(&self) -> Option<u64> {
        (self.output.frame_every_h > 0.0).then(|| {
            (self.output.frame_every_h / self.time.tick_h)
                .round()
                .max(1.0) as u64
        })
    }
}
