//! What colour a site gets under each `--color` mode, built from the named per-site
//! arrays of `output::arrays`: categories (cells, kind, clone) get a categorical
//! palette and a legend, traits the magma map and fields the viridis map with a colour
//! bar. A trait or field added to the arrays is drawable at once.

use super::canvas::{blend, Rgb, BLACK};
use super::colormap::{tick_label, Colormap, Range};
use crate::engine::HostState;
use crate::output::arrays::{site_arrays, ArrayData, ArrayRole, NamedArray};
use crate::scene::Scene;

pub const CYCLING: Rgb = [46, 184, 76];
pub const QUIESCENT: Rgb = [250, 190, 40];
pub const NECROTIC: Rgb = [110, 68, 42];
pub const VESSEL: Rgb = [215, 30, 40];
pub const VESSEL_UNPERFUSED: Rgb = [100, 20, 30];
/// Cytotoxic T cells: a saturated blue that stands out among green, yellow and brown.
pub const TCELL: Rgb = [30, 90, 230];
/// Tips of vessel sprouts: a magenta apart from the vessels' reds.
pub const VESSEL_TIP: Rgb = [235, 60, 200];
pub const TISSUE_ANOXIC: Rgb = [18, 26, 70];
pub const TISSUE_OXYGENATED: Rgb = [236, 238, 246];
/// Empty sites where oxygen plays no part in the colour.
pub const TISSUE: Rgb = [222, 224, 232];

/// Volume opacity per half-site step (of 255) of live and necrotic tumour sites.
pub const OPACITY_LIVE: u8 = 90;
pub const OPACITY_NECROTIC: u8 = 160;

/// A `--color` choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColorMode {
    /// Cycling, quiescent, necrotic, vessel, T cell; empty sites tinted by oxygen.
    Cells,
    /// The `kind` array: empty, tumour, necrotic, vessel, T cell.
    Kind,
    /// Tumour and necrotic sites by clone id.
    Clone,
    /// A per-site trait array, by name.
    Trait(String),
    /// A field array, by name.
    Field(String),
}

impl ColorMode {
    /// Parses `cells`, `kind`, `clone`, `trait:NAME` or `field:NAME` (names unchecked).
    pub fn parse(s: &str) -> Option<ColorMode> {
        match s.trim() {
            "cells" => Some(ColorMode::Cells),
            "kind" => Some(ColorMode::Kind),
            "clone" => Some(ColorMode::Clone),
            other => {
                let (kind, name) = other.split_once(':')?;
                let name = name.trim();
                if name.is_empty() {
                    return None;
                }
                match kind.trim() {
                    "trait" => Some(ColorMode::Trait(name.to_string())),
                    "field" => Some(ColorMode::Field(name.to_string())),
                    _ => None,
                }
            }
        }
    }

    pub fn spec(&self) -> String {
        match self {
            ColorMode::Cells => "cells".into(),
            ColorMode::Kind => "kind".into(),
            ColorMode::Clone => "clone".into(),
            ColorMode::Trait(n) => format!("trait:{n}"),
            ColorMode::Field(n) => format!("field:{n}"),
        }
    }
}

/// Every `--color` value a state allows, in a fixed order.
pub fn allowed(arrays: &[NamedArray]) -> Vec<String> {
    let mut out = vec!["cells".to_string(), "kind".into(), "clone".into()];
    for (role, prefix) in [(ArrayRole::Trait, "trait"), (ArrayRole::Field, "field")] {
        out.extend(
            arrays
                .iter()
                .filter(|a| a.role == role)
                .map(|a| format!("{prefix}:{}", a.name)),
        );
    }
    out
}

/// What a panel shows beside its map.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Legend(Vec<(String, Rgb)>),
    Bar {
        map: Colormap,
        range: Range,
        /// Above the bar: the unit, or the name when dimensionless.
        label: String,
    },
}

/// Per-site colours of one mode.
pub struct Colouring {
    mode: ColorMode,
    kind: Vec<u8>,
    /// Cells: quiescent flag; Clone: clone id.
    aux: Vec<u32>,
    /// Cells: perfusion; Trait/Field: the values; Cells also the oxygen tint (`tint`).
    values: Vec<f32>,
    tint: Vec<f32>,
    po2_full: f32,
    map: Option<(Colormap, Range)>,
    pub title: String,
    pub key: Key,
}

fn as_u32(d: &ArrayData) -> Vec<u32> {
    (0..d.len()).map(|i| d.get_f64(i) as u32).collect()
}

fn as_f32(d: &ArrayData) -> Vec<f32> {
    match d {
        ArrayData::F32(v) => v.clone(),
        _ => (0..d.len()).map(|i| d.get_f64(i) as f32).collect(),
    }
}

/// The colour of clone `id`: Tableau 10 for the first ten, then hues spaced by the
/// golden angle.
pub fn clone_colour(id: u32) -> Rgb {
    if id < 10 {
        let c = colorous::TABLEAU10[id as usize];
        return [c.r, c.g, c.b];
    }
    let h = (id as f64 * 0.618_033_988_749_895).fract() * 6.0;
    let (s, v) = (0.65, 0.85);
    let f = h.fract();
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    let (r, g, b) = match h as u32 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    [r, g, b].map(|c| (c * 255.0).round() as u8)
}

/// The pO2 that counts as fully oxygenated in a scene (blood or boundary level).
pub fn po2_full(scene: &Scene) -> f32 {
    let full = scene
        .oxygen
        .vessel_po2_mmhg
        .max(scene.oxygen.boundary_mmhg.unwrap_or(0.0));
    if full > 0.0 {
        full as f32
    } else {
        1.0
    }
}

fn lerp(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    std::array::from_fn(|i| (a[i] as f32 + (b[i] as f32 - a[i] as f32) * t).round() as u8)
}

/// Largest number of clones a legend lists by name.
const LEGEND_CLONES: usize = 8;

impl Colouring {
    /// The colouring of `mode` for a state; `Err` lists the allowed values.
    pub fn new(scene: &Scene, state: &HostState, mode: &ColorMode) -> Result<Colouring, String> {
        let arrays = site_arrays(scene, state);
        let find = |name: &str, role: Option<ArrayRole>| {
            arrays
                .iter()
                .find(|a| a.name == name && role.is_none_or(|r| a.role == r))
        };
        let refuse = || {
            format!(
                "unknown --color {:?}; allowed: {}",
                mode.spec(),
                allowed(&arrays).join(", ")
            )
        };
        let kind = find("kind", None)
            .map(|a| as_u32(&a.data).into_iter().map(|k| k as u8).collect())
            .ok_or_else(refuse)?;
        let mut c = Colouring {
            mode: mode.clone(),
            kind,
            aux: Vec::new(),
            values: Vec::new(),
            tint: Vec::new(),
            po2_full: po2_full(scene),
            map: None,
            title: mode.spec(),
            key: Key::Legend(Vec::new()),
        };
        let present = |k: u8| c.kind.contains(&k);
        match mode {
            ColorMode::Cells => {
                c.aux = find("quiescent", None).map_or_else(Vec::new, |a| as_u32(&a.data));
                c.values = find("perfusion", None).map_or_else(Vec::new, |a| as_f32(&a.data));
                c.tint = find("oxygen", Some(ArrayRole::Field))
                    .map_or_else(Vec::new, |a| as_f32(&a.data));
                c.title = "cells".into();
                let mut entries = vec![
                    ("cycling".to_string(), CYCLING),
                    ("quiescent".into(), QUIESCENT),
                    ("necrotic".into(), NECROTIC),
                    ("vessel".into(), VESSEL),
                    ("T cell".into(), TCELL),
                    ("sprout tip".into(), VESSEL_TIP),
                ];
                if c.tint.is_empty() {
                    entries.push(("tissue".into(), TISSUE));
                } else {
                    entries.push(("tissue".into(), TISSUE_OXYGENATED));
                    entries.push(("anoxic tissue".into(), TISSUE_ANOXIC));
                }
                // Only what the lattice holds.
                let quiescent = (0..c.kind.len())
                    .any(|i| c.kind[i] == 1 && c.aux.get(i).is_some_and(|&q| q != 0));
                let cycling = (0..c.kind.len())
                    .any(|i| c.kind[i] == 1 && c.aux.get(i).is_none_or(|&q| q == 0));
                entries.retain(|(n, _)| match n.as_str() {
                    "cycling" => cycling,
                    "quiescent" => quiescent,
                    "necrotic" => present(2),
                    "vessel" => present(3),
                    "T cell" => present(4),
                    "sprout tip" => present(5),
                    _ => present(0),
                });
                c.key = Key::Legend(entries);
            }
            ColorMode::Kind => {
                c.title = "kind".into();
                let all = [
                    ("empty", TISSUE, 0),
                    ("tumour", CYCLING, 1),
                    ("necrotic", NECROTIC, 2),
                    ("vessel", VESSEL, 3),
                    ("T cell", TCELL, 4),
                    ("sprout tip", VESSEL_TIP, 5),
                ];
                c.key = Key::Legend(
                    all.iter()
                        .filter(|e| present(e.2))
                        .map(|e| (e.0.to_string(), e.1))
                        .collect(),
                );
            }
            ColorMode::Clone => {
                c.aux = find("clone", None)
                    .map(|a| as_u32(&a.data))
                    .ok_or_else(refuse)?;
                let mut ids: Vec<u32> = c
                    .aux
                    .iter()
                    .zip(&c.kind)
                    .filter(|(_, &k)| k == 1 || k == 2)
                    .map(|(&id, _)| id)
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                let mut entries: Vec<(String, Rgb)> = ids
                    .iter()
                    .take(LEGEND_CLONES)
                    .map(|&id| (format!("clone {id}"), clone_colour(id)))
                    .collect();
                if ids.len() > LEGEND_CLONES {
                    entries.push((format!("+{} more", ids.len() - LEGEND_CLONES), TISSUE));
                }
                if present(2) {
                    let first = ids.first().copied().unwrap_or(0);
                    let dark = blend(clone_colour(first), BLACK, 140);
                    entries.push(("necrotic: darker".into(), dark));
                }
                if present(3) {
                    entries.push(("vessel".into(), VESSEL_UNPERFUSED));
                }
                if present(4) {
                    entries.push(("T cell".into(), TCELL));
                }
                if present(5) {
                    entries.push(("sprout tip".into(), VESSEL_TIP));
                }
                c.title = "clone".into();
                c.key = Key::Legend(entries);
            }
            ColorMode::Trait(name) | ColorMode::Field(name) => {
                let role = match mode {
                    ColorMode::Trait(_) => ArrayRole::Trait,
                    _ => ArrayRole::Field,
                };
                let a = find(name, Some(role)).ok_or_else(refuse)?;
                c.values = as_f32(&a.data);
                let map = if role == ArrayRole::Field {
                    Colormap::Viridis
                } else {
                    Colormap::Magma
                };
                // Oxygen maps 0..blood pO2 so every frame of a run shares one scale.
                let range = if name == "oxygen" {
                    Range::fixed(0.0, c.po2_full as f64)
                } else {
                    Range::of(c.values.iter().map(|&v| v as f64))
                };
                c.map = Some((map, range));
                c.title = if a.unit.is_empty() {
                    a.name.to_string()
                } else {
                    format!("{} ({})", a.name, a.unit)
                };
                let label: &str = if a.unit.is_empty() { &a.name } else { &a.unit };
                c.key = Key::Bar {
                    map,
                    range,
                    label: label.to_string(),
                };
            }
        }
        Ok(c)
    }

    pub fn mode(&self) -> &ColorMode {
        &self.mode
    }

    pub fn sites(&self) -> usize {
        self.kind.len()
    }

    /// Whether sites map to a continuous value (projected by maximum).
    pub fn is_continuous(&self) -> bool {
        self.map.is_some()
    }

    /// The mapped value of site `i` (continuous modes).
    pub fn value(&self, i: usize) -> f32 {
        self.values.get(i).copied().unwrap_or(0.0)
    }

    /// The colour of a value (continuous modes).
    pub fn value_colour(&self, v: f32) -> Rgb {
        match self.map {
            Some((map, range)) => map.at(range.t(v as f64)),
            None => TISSUE,
        }
    }

    /// How much a site matters along a projection ray: T cells 3 (so that they show
    /// among tumour cells), tumour and necrotic 2, vessel 1, empty 0.
    pub fn priority(&self, i: usize) -> u8 {
        match self.kind[i] {
            4 => 3,
            1 | 2 => 2,
            3 => 1,
            _ => 0,
        }
    }

    /// The colour of site `i` in a slice.
    pub fn colour(&self, i: usize) -> Rgb {
        let kind = self.kind[i];
        match &self.mode {
            ColorMode::Cells => match kind {
                1 if self.aux.get(i).is_some_and(|&q| q != 0) => QUIESCENT,
                1 => CYCLING,
                2 => NECROTIC,
                3 => lerp(VESSEL_UNPERFUSED, VESSEL, self.value(i)),
                4 => TCELL,
                5 => VESSEL_TIP,
                _ => match self.tint.get(i) {
                    Some(&po2) => {
                        let t = if po2.is_finite() {
                            po2 / self.po2_full
                        } else {
                            0.0
                        };
                        lerp(TISSUE_ANOXIC, TISSUE_OXYGENATED, t.clamp(0.0, 1.0).sqrt())
                    }
                    None => TISSUE,
                },
            },
            ColorMode::Kind => match kind {
                1 => CYCLING,
                2 => NECROTIC,
                3 => VESSEL,
                4 => TCELL,
                5 => VESSEL_TIP,
                _ => TISSUE,
            },
            ColorMode::Clone => match kind {
                1 => clone_colour(self.aux[i]),
                2 => blend(clone_colour(self.aux[i]), BLACK, 140),
                3 => VESSEL_UNPERFUSED,
                4 => TCELL,
                5 => VESSEL_TIP,
                _ => TISSUE,
            },
            ColorMode::Trait(_) | ColorMode::Field(_) => self.value_colour(self.value(i)),
        }
    }

    /// Colour and opacity (per half-site step, of 255) of site `i` in a volume view:
    /// only tumour and necrotic sites are drawn.
    pub fn volume_rgba(&self, i: usize) -> [u8; 4] {
        let a = match self.kind[i] {
            1 => OPACITY_LIVE,
            2 => OPACITY_NECROTIC,
            _ => return [0; 4],
        };
        let [r, g, b] = self.colour(i);
        [r, g, b, a]
    }

    /// The key of the volume view: the legend without what it leaves out (vessels,
    /// empty sites).
    pub fn volume_key(&self) -> Key {
        match &self.key {
            Key::Legend(entries) => Key::Legend(
                entries
                    .iter()
                    .filter(|(n, _)| {
                        !matches!(
                            n.as_str(),
                            "vessel" | "sprout tip" | "tissue" | "anoxic tissue" | "empty"
                        )
                    })
                    .cloned()
                    .collect(),
            ),
            bar => bar.clone(),
        }
    }

    /// Labels of the colour bar: (value, text), top to bottom.
    pub fn bar_labels(range: &Range) -> Vec<String> {
        let mid = (range.lo + range.hi) / 2.0;
        [range.hi, mid, range.lo]
            .iter()
            .map(|&v| tick_label(v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print_back() {
        for s in ["cells", "kind", "clone", "trait:quiescent", "field:oxygen"] {
            assert_eq!(ColorMode::parse(s).unwrap().spec(), s);
        }
        for s in ["", "trait:", "colour", "field"] {
            assert_eq!(ColorMode::parse(s), None, "{s}");
        }
        assert_ne!(clone_colour(11), clone_colour(12));
    }
}
