//! The packed per-site record: the one place that lays it out. Every other piece of
//! code reads a site through the accessors here or `SiteFields`; the WGSL kernels
//! get every mask and shift from `shader_constants` (generated from this file).
//!
//! 16 bytes per site. `w0` is common to every kind:
//!
//! | bits | meaning |
//! | --- | --- |
//! | 0–3 | kind (`Kind`; 16 codes, 6–15 free for new kinds) |
//! | 4 | quiescent (hypoxic arrest) |
//! | 5 | persister (drug-tolerant state) |
//! | 6 | T cell engaged with a target (kills it when the engagement ends) |
//! | 7 | T cell exhausted (kill cap reached: kills no more) |
//! | 8 | T cell detached this tick after a contact that did not kill |
//! | 9 | vessel immature (formed by sprouting, not yet covered by pericytes) |
//! | 10 | vessel grown by the tumour (formed by sprouting during the run; host vessels lack it) |
//! | 11–15 | free flags |
//! | 16–31 | kind payload: the clone id of tumour and necrotic sites |
//!
//! `w1`–`w3` are the kind's payload:
//!
//! | kind | `w1` | `w2` | `w3` |
//! | --- | --- | --- | --- |
//! | tumour | bits 0–15 ticks into the cycle, 16–31 this cycle's length | bits 0–15 consecutive anoxic ticks, 16–31 ticks quiescent or persistent under a cycle-specific drug | heritable traits (`model::drug_params::TRAIT_*`) |
//! | necrotic | 0 | 0 | the traits it died with |
//! | vessel | bits 0–15 perfusion × 65535 after compression | bits 0–15 uncompressed perfusion × 65535 | bits 0–15 hours since it formed (immature vessels), 16–31 minutes of low wall shear stress (grown vessels) |
//! | vessel tip | bits 0–2 the face (`model::vasculature::FACES` index) towards its stalk | bits 0–15 lattice steps moved | 0 |
//! | T cell | bits 0–15 age in ticks, 16–23 kills, 24–31 divisions pending | bits 0–15 engagement ticks left, 16–20 the target's neighbour slot | 0 |
//! | empty | 0 | 0 | 0 |
//!
//! A new kind takes a free code in `Kind`, says here what its payload words hold, and
//! gets `SiteFields` members (and so snapshot arrays) for them.

use bytemuck::{Pod, Zeroable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Kind {
    Empty = 0,
    Tumour = 1,
    Necrotic = 2,
    Vessel = 3,
    /// A cytotoxic (CD8+) T cell (`model::immune`).
    TCell = 4,
    /// The tip cell of a vessel sprout (`model::vasculature`): it climbs the VEGF
    /// gradient and leaves immature vessel behind. Inert in the kernels.
    VesselTip = 5,
}

impl Kind {
    /// Every kind this build knows, by code.
    pub const ALL: [Kind; 6] = [
        Kind::Empty,
        Kind::Tumour,
        Kind::Necrotic,
        Kind::Vessel,
        Kind::TCell,
        Kind::VesselTip,
    ];

    /// The kind with this code, if this build knows it.
    pub fn from_code(code: u32) -> Option<Kind> {
        Kind::ALL.get(code as usize).copied()
    }

    /// The name used in exports, legends and shaders (`KIND_<NAME>`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Empty => "empty",
            Kind::Tumour => "tumour",
            Kind::Necrotic => "necrotic",
            Kind::Vessel => "vessel",
            Kind::TCell => "tcell",
            Kind::VesselTip => "vessel_tip",
        }
    }
}

/// Bits of `w0` that hold the kind: room for this many kinds.
pub const KIND_BITS: u32 = 4;
pub const MAX_KINDS: u32 = 1 << KIND_BITS;
pub const KIND_MASK: u32 = MAX_KINDS - 1;
pub const QUIESCENT_BIT: u32 = 1 << 4;
pub const PERSISTER_BIT: u32 = 1 << 5;
pub const ENGAGED_BIT: u32 = 1 << 6;
pub const EXHAUSTED_BIT: u32 = 1 << 7;
pub const DETACHED_BIT: u32 = 1 << 8;
/// Vessels formed by sprouting, until they mature (`model::vasculature`).
pub const IMMATURE_BIT: u32 = 1 << 9;
/// Vessel formed by sprouting during the run (host vessels lack it).
pub const GROWN_BIT: u32 = 1 << 10;
/// T cells: `w1` bits of the kill count and of the divisions pending.
pub const KILLS_SHIFT: u32 = 16;
pub const DIVISIONS_SHIFT: u32 = 24;
pub const BYTE: u32 = 0xff;
/// T cells: `w2` bits of the engaged target's neighbour slot.
pub const TARGET_SLOT_SHIFT: u32 = 16;
pub const CLONE_SHIFT: u32 = 16;
/// The halves of a payload word: `w & LOW16` and `w >> HALF_SHIFT`.
pub const HALF_SHIFT: u32 = 16;
pub const LOW16: u32 = 0xffff;
pub const HIGH16: u32 = 0xffff_0000;
/// Vessel tips: `w1` bits of the face towards the stalk.
pub const STALK_FACE_MASK: u32 = 0x7;
/// "No site": a neighbour outside the lattice, no winner.
pub const NO_SITE: u32 = u32::MAX;

/// Keep in sync with `struct Site` in shaders/shared/site.wgsl.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Pod, Zeroable)]
pub struct Site {
    pub w0: u32,
    pub w1: u32,
    pub w2: u32,
    pub w3: u32,
}

impl Site {
    pub const EMPTY: Site = Site {
        w0: 0,
        w1: 0,
        w2: 0,
        w3: 0,
    };

    pub fn tumour(clone: u16, progress: u16, cycle_len: u16) -> Site {
        Site {
            w0: Kind::Tumour as u32 | (clone as u32) << CLONE_SHIFT,
            w1: progress as u32 | (cycle_len as u32) << 16,
            w2: 0,
            w3: 0,
        }
    }

    /// A T cell just recruited: age 0, no kills, not engaged.
    pub const TCELL: Site = Site {
        w0: Kind::TCell as u32,
        w1: 0,
        w2: 0,
        w3: 0,
    };

    pub fn vessel(perfusion: f64) -> Site {
        let p = perfusion_to_u16(perfusion) as u32;
        Site {
            w0: Kind::Vessel as u32,
            w1: p,
            w2: p,
            w3: 0,
        }
    }

    /// The kind code (`Kind as u32`), as the kernels compare it.
    #[inline]
    pub fn kind_code(&self) -> u32 {
        self.w0 & KIND_MASK
    }

    /// The kind. Codes this build does not know never enter a state (snapshots are
    /// refused, kernels write none); they read as empty.
    #[inline]
    pub fn kind(&self) -> Kind {
        // A match rather than `from_code`: this is on every kernel's hot path.
        match self.kind_code() {
            1 => Kind::Tumour,
            2 => Kind::Necrotic,
            3 => Kind::Vessel,
            4 => Kind::TCell,
            5 => Kind::VesselTip,
            code => {
                debug_assert!(code == 0, "kind code {code}");
                Kind::Empty
            }
        }
    }

    pub fn is_quiescent(&self) -> bool {
        self.w0 & QUIESCENT_BIT != 0
    }

    /// What a field sweep on the GPU reads of the site, in 4 bytes instead of 16
    /// (`site_code` in shaders/shared/bindings.wgsl): the low half of `w0` (kind and
    /// flags, which field terms are gated by), and in the high half a vessel's
    /// perfusion (0 for other kinds). Keep in sync with `solve_code` in
    /// shaders/shared/site.wgsl.
    pub fn solve_code(&self) -> u32 {
        let perfusion = if self.kind() == Kind::Vessel {
            (self.w1 & LOW16) << HALF_SHIFT
        } else {
            0
        };
        (self.w0 & LOW16) | perfusion
    }

    pub fn clone_id(&self) -> u16 {
        (self.w0 >> CLONE_SHIFT) as u16
    }

    pub fn progress(&self) -> u16 {
        (self.w1 & LOW16) as u16
    }

    pub fn cycle_len(&self) -> u16 {
        (self.w1 >> 16) as u16
    }

    pub fn anoxic_ticks(&self) -> u16 {
        (self.w2 & LOW16) as u16
    }

    pub fn is_persister(&self) -> bool {
        self.w0 & PERSISTER_BIT != 0
    }

    /// Ticks spent quiescent or persistent under a cycle-specific drug.
    pub fn sanctuary_ticks(&self) -> u16 {
        (self.w2 >> 16) as u16
    }

    pub fn traits(&self) -> u32 {
        self.w3
    }

    /// Perfusion of a vessel site in 0..=1.
    pub fn perfusion(&self) -> f32 {
        (self.w1 & LOW16) as f32 / 65535.0
    }

    /// Perfusion computed exactly as `perfusion_of` in shaders/shared/site.wgsl does.
    #[inline]
    pub fn perfusion_wgsl(&self) -> f32 {
        (self.w1 & LOW16) as f32 * (1.0 / 65535.0)
    }
}

/// A site's state as named values: what snapshots store (one array per member, see
/// output/snapshot) and what code outside the kernels should build sites from, so
/// that the packing in `Site` can change without touching them. Members that do not
/// apply to the site's kind are 0 (`false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SiteFields {
    /// `Kind as u32`.
    pub kind: u32,
    pub quiescent: bool,
    pub persister: bool,
    /// Tumour and necrotic sites.
    pub clone: u16,
    /// Tumour cells: ticks into the cycle and this cycle's length.
    pub cycle_progress: u16,
    pub cycle_length: u16,
    /// Tumour cells: consecutive anoxic ticks; ticks spent quiescent or persistent
    /// under a cycle-specific drug.
    pub anoxic_ticks: u16,
    pub sanctuary_ticks: u16,
    /// Tumour and necrotic sites: heritable traits (`model::drug_params::TRAIT_*`).
    pub traits: u32,
    /// Vessels: perfusion × 65535 after compression, and uncompressed.
    pub perfusion: u16,
    pub base_perfusion: u16,
    /// Vessels: formed by sprouting and not yet mature; hours since it formed; minutes
    /// its wall shear stress has been below the regression threshold.
    pub immature: bool,
    /// Vessels: formed by sprouting during the run (host vessels are not).
    pub grown: bool,
    pub vessel_age_h: u16,
    pub low_shear_min: u16,
    /// Vessel tips: the face towards the stalk, and lattice steps moved.
    pub stalk_face: u8,
    pub tip_steps: u16,
    /// T cells: engaged with a target, exhausted, detached this tick.
    pub engaged: bool,
    pub exhausted: bool,
    pub detached: bool,
    /// T cells: age in ticks, kills so far, divisions pending.
    pub age_ticks: u16,
    pub kills: u8,
    pub divisions_pending: u8,
    /// T cells: ticks until the engaged target dies, and its neighbour slot.
    pub engagement_ticks: u16,
    pub target_slot: u8,
}

impl Site {
    /// The named values of this site (`Site::pack` of them gives it back).
    pub fn unpack(&self) -> SiteFields {
        let kind = self.kind();
        let mut f = SiteFields {
            kind: kind as u32,
            quiescent: self.is_quiescent(),
            persister: self.is_persister(),
            ..SiteFields::default()
        };
        match kind {
            Kind::Vessel => {
                f.perfusion = (self.w1 & LOW16) as u16;
                f.base_perfusion = (self.w2 & LOW16) as u16;
                f.immature = self.w0 & IMMATURE_BIT != 0;
                f.grown = self.w0 & GROWN_BIT != 0;
                f.vessel_age_h = (self.w3 & LOW16) as u16;
                f.low_shear_min = (self.w3 >> HALF_SHIFT) as u16;
            }
            Kind::VesselTip => {
                f.stalk_face = (self.w1 & STALK_FACE_MASK) as u8;
                f.tip_steps = (self.w2 & LOW16) as u16;
            }
            Kind::Tumour | Kind::Necrotic => {
                f.clone = self.clone_id();
                f.cycle_progress = self.progress();
                f.cycle_length = self.cycle_len();
                f.anoxic_ticks = self.anoxic_ticks();
                f.sanctuary_ticks = self.sanctuary_ticks();
                f.traits = self.traits();
            }
            Kind::TCell => {
                f.engaged = self.w0 & ENGAGED_BIT != 0;
                f.exhausted = self.w0 & EXHAUSTED_BIT != 0;
                f.detached = self.w0 & DETACHED_BIT != 0;
                f.age_ticks = (self.w1 & LOW16) as u16;
                f.kills = (self.w1 >> KILLS_SHIFT & BYTE) as u8;
                f.divisions_pending = (self.w1 >> DIVISIONS_SHIFT) as u8;
                f.engagement_ticks = (self.w2 & LOW16) as u16;
                f.target_slot = (self.w2 >> TARGET_SLOT_SHIFT & 0x1f) as u8;
            }
            Kind::Empty => {}
        }
        f
    }

    /// The site with these values; `None` when `kind` is not a kind this build knows.
    pub fn pack(f: &SiteFields) -> Option<Site> {
        let kind = Kind::from_code(f.kind)?;
        let flags = if f.quiescent { QUIESCENT_BIT } else { 0 }
            | if f.persister { PERSISTER_BIT } else { 0 };
        Some(match kind {
            Kind::Vessel => Site {
                w0: kind as u32
                    | flags
                    | if f.immature { IMMATURE_BIT } else { 0 }
                    | if f.grown { GROWN_BIT } else { 0 },
                w1: f.perfusion as u32,
                w2: f.base_perfusion as u32,
                w3: f.vessel_age_h as u32 | (f.low_shear_min as u32) << HALF_SHIFT,
            },
            Kind::VesselTip => Site {
                w0: kind as u32,
                w1: f.stalk_face as u32 & STALK_FACE_MASK,
                w2: f.tip_steps as u32,
                w3: 0,
            },
            Kind::TCell => Site {
                w0: kind as u32
                    | if f.engaged { ENGAGED_BIT } else { 0 }
                    | if f.exhausted { EXHAUSTED_BIT } else { 0 }
                    | if f.detached { DETACHED_BIT } else { 0 },
                w1: f.age_ticks as u32
                    | (f.kills as u32) << KILLS_SHIFT
                    | (f.divisions_pending as u32) << DIVISIONS_SHIFT,
                w2: f.engagement_ticks as u32
                    | ((f.target_slot as u32) & 0x1f) << TARGET_SLOT_SHIFT,
                w3: 0,
            },
            _ => Site {
                w0: kind as u32 | flags | (f.clone as u32) << CLONE_SHIFT,
                w1: f.cycle_progress as u32 | (f.cycle_length as u32) << 16,
                w2: f.anoxic_ticks as u32 | (f.sanctuary_ticks as u32) << 16,
                w3: f.traits,
            },
        })
    }
}

pub fn perfusion_to_u16(p: f64) -> u16 {
    (p.clamp(0.0, 1.0) * 65535.0).round() as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_code_holds_kind_and_a_vessels_perfusion() {
        let v = Site::vessel(0.5);
        assert_eq!(v.solve_code(), Kind::Vessel as u32 | ((v.w1 & LOW16) << 16));
        assert_eq!(v.solve_code() >> 16, 32768);
        // A tumour cell's cycle progress (w1's low half) is not perfusion.
        let mut t = Site::tumour(513, 7, 21);
        assert_eq!(t.solve_code(), Kind::Tumour as u32);
        t.w0 |= QUIESCENT_BIT;
        assert_eq!(t.solve_code(), Kind::Tumour as u32 | QUIESCENT_BIT);
        assert_eq!(Site::EMPTY.solve_code(), 0);
    }

    #[test]
    fn named_values_round_trip() {
        let mut t = Site::tumour(513, 7, 21);
        t.w0 |= QUIESCENT_BIT | PERSISTER_BIT;
        t.w2 = 9 | 4 << 16;
        t.w3 = 0x21;
        let tcell = Site {
            w0: Kind::TCell as u32 | ENGAGED_BIT | DETACHED_BIT,
            w1: 77 | 3 << KILLS_SHIFT | 2 << DIVISIONS_SHIFT,
            w2: 5 | 22 << TARGET_SLOT_SHIFT,
            w3: 0,
        };
        for s in [t, Site::vessel(0.25), Site::EMPTY, tcell] {
            assert_eq!(Site::pack(&s.unpack()), Some(s));
        }
        let f = t.unpack();
        assert_eq!((f.clone, f.cycle_progress, f.cycle_length), (513, 7, 21));
        assert_eq!((f.anoxic_ticks, f.sanctuary_ticks, f.traits), (9, 4, 0x21));
        assert!(f.quiescent && f.persister);
        let kind = 99;
        assert_eq!(Site::pack(&SiteFields { kind, ..f }), None);
    }

    #[test]
    fn packing_round_trips() {
        let s = Site::tumour(513, 7, 21);
        assert_eq!(s.kind(), Kind::Tumour);
        assert_eq!(s.clone_id(), 513);
        assert_eq!(s.progress(), 7);
        assert_eq!(s.cycle_len(), 21);
        assert!(!s.is_quiescent());
        let v = Site::vessel(0.5);
        assert_eq!(v.kind(), Kind::Vessel);
        assert!((v.perfusion() - 0.5).abs() < 1e-4);
        assert_eq!(std::mem::size_of::<Site>(), 16);
    }
}
