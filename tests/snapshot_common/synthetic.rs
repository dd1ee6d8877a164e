//! Synthetic snapshots for the round-trip tests: a small 3D scene with two drugs, a
//! header with every key set to an unusual value, and a state with every site kind,
//! random members and awkward floats. No run writes such a state (NaN oxygen, clone
//! ids past the lineage table), so the tests read it back with `Snapshot::decode`,
//! which checks the format but not the meaning (`Snapshot::read` refuses it).

use oncolattice::engine::{HostState, SolveStats, TickReport};
use oncolattice::model::census::Census;
use oncolattice::model::counters::Counter;
use oncolattice::model::lineage::{CloneRecord, Lineage};
use oncolattice::model::rng;
use oncolattice::model::site::{Site, SiteFields};
use oncolattice::output::snapshot::codec;
use oncolattice::output::snapshot::{
    BackendRecord, ReportRecord, RngState, RunRecord, SnapshotHeader, SnapshotRecord, FORMAT_NAME,
    RNG_SCHEME,
};
use oncolattice::scene::Scene;

pub const SCENE: &str = r#"
name = "roundtrip"
seed = 123456789012
[lattice]
nx = 7
ny = 5
nz = 3
site_size_um = 17.5
[time]
duration_days = 2
[[drugs]]
name = "cisplatin"
class = "nonspecific"
emax_per_h = 0.1
ic50_um = 2.0
[[drugs]]
name = "erlotinib"
class = "targeted"
emax_per_h = 0.2
ic50_um = 0.5
"#;

pub fn drug_names() -> Vec<String> {
    vec!["cisplatin".into(), "erlotinib".into()]
}

/// SplitMix64, for reproducible test data.
pub struct Rand(pub u64);

impl Rand {
    pub fn u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 32) as u32
    }
}

pub fn header(scene: &Scene, tick: u64) -> SnapshotHeader {
    let mut census = Census::CLEARED;
    census.set_count(Counter::TumourLive, 12);
    census.set_field_sum(0, (3 << 32) | 0xdead_beef);
    let report = |t: u64, residual: f32| {
        ReportRecord::from(&TickReport {
            tick: t,
            census,
            solve: SolveStats {
                sweeps: 7,
                residual,
                converged: residual < 1e-3,
            },
        })
    };
    SnapshotHeader {
        format: FORMAT_NAME.into(),
        format_version: codec::FORMAT_VERSION,
        oncolattice_version: env!("CARGO_PKG_VERSION").into(),
        tick,
        time_h: tick as f64 * scene.time.tick_h,
        seed: scene.seed,
        rng: RngState {
            scheme: RNG_SCHEME.into(),
            next_tick_key: rng::tick_key(scene.seed, tick as u32),
        },
        dims: [7, 5, 3],
        n_sites: 105,
        site_size_um: 17.5,
        scene_toml: scene.to_resolved_toml(),
        scene_file: "scenes/some where/roundtrip.toml".into(),
        backend: BackendRecord {
            kind: "gpu".into(),
            device: "Some GPU \"quoted\" µ".into(),
            detail: "Vulkan, DiscreteGpu".into(),
            note: "GPU backend (requested)".into(),
        },
        initial_solve: SolveStats {
            sweeps: 321,
            residual: 9.765625e-4,
            converged: true,
        }
        .into(),
        run: RunRecord {
            total_ticks: scene.total_ticks(),
            report_every_ticks: 6,
            frame_every_ticks: Some(12),
            snapshot_every_ticks: Some(24),
            snapshot_every_days: Some(1.0),
            last_frame_tick: Some(24),
            frames_crc32: vec![1, 0xffff_ffff, 3],
            snapshots: vec![SnapshotRecord {
                tick: 24,
                crc32: 0x1234_5678,
            }],
            plots: false,
        },
        census_history: vec![
            report(0, 1e-4),
            report(6, f32::MIN_POSITIVE / 8.0),
            report(12, 0.1 + 0.2),
        ],
        plasma_um: vec![0.1 + 0.2, 1.0 / 3.0],
        therapy: None,
        therapy_log: Vec::new(),
    }
}

/// A site of each kind in turn, every member that applies to it drawn at random (the
/// others are 0, as `Site::unpack` gives them).
pub fn random_site(r: &mut Rand, i: usize) -> Site {
    let kind = (i % 4) as u32;
    let mut f = SiteFields {
        kind,
        quiescent: r.u32() & 1 != 0,
        persister: r.u32() & 1 != 0,
        ..SiteFields::default()
    };
    match kind {
        3 => {
            f.perfusion = r.u32() as u16;
            f.base_perfusion = r.u32() as u16;
        }
        1 | 2 => {
            f.clone = r.u32() as u16;
            f.cycle_progress = r.u32() as u16;
            f.cycle_length = r.u32() as u16;
            f.anoxic_ticks = r.u32() as u16;
            f.sanctuary_ticks = r.u32() as u16;
            f.traits = r.u32();
        }
        _ => {}
    }
    let site = Site::pack(&f).unwrap();
    assert_eq!(site.unpack(), f);
    site
}

pub fn state(n: usize) -> HostState {
    let mut r = Rand(42);
    let sites = (0..n).map(|i| random_site(&mut r, i)).collect();
    let specials = [
        0.0f32,
        -0.0,
        f32::MIN_POSITIVE,
        f32::MIN_POSITIVE / 3.0,
        f32::MAX,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::from_bits(0x7fc0_1234),
        1.0 / 3.0,
    ];
    let mut float = |i: usize| {
        specials
            .get(i)
            .copied()
            .unwrap_or_else(|| f32::from_bits(r.u32()))
    };
    let oxygen = (0..n).map(&mut float).collect();
    let mut st = HostState::new(sites, oxygen, 2);
    for (i, d) in st.fields[n..].iter_mut().enumerate() {
        *d = float(i % 7);
    }
    for (i, e) in st.exposure.iter_mut().enumerate() {
        *e = (i as u32).wrapping_mul(0x9e37_79b9);
    }
    st.lineage = Lineage::initial(&[0, 16]);
    st.lineage.clones.push(CloneRecord {
        parent: Some(1),
        birth_tick: 12,
        traits: 16 | 32,
        founder_site: 77,
    });
    st.lineage.mutations = 4;
    st.lineage.unassigned = 3;
    st
}
