//! A snapshot checked by meaning, after its checksums, its layout and its scene: every
//! header value against the scene and the tick, the census history against the report
//! ticks and the state, and the state against what a site and a field can hold. A file
//! whose CRCs are valid but whose content no run could have written (a frame interval
//! of 0, an emptied history, NaN oxygen, a clone id past the lineage table) is refused
//! here rather than panic or silently continue a different run.

use super::header::{ReportRecord, SnapshotHeader};
use crate::engine::HostState;
use crate::model::counters::Counter;
use crate::model::drug_params::{
    TRAIT_ANTIGEN_LOSS, TRAIT_EFFLUX, TRAIT_PDL1, TRAIT_SLOW_CYCLE, TRAIT_TARGET_MASK,
};
use crate::model::fields;
use crate::model::site::Kind;
use crate::scene::Scene;

/// Every trait bit a site can carry.
const KNOWN_TRAITS: u32 =
    TRAIT_TARGET_MASK | TRAIT_EFFLUX | TRAIT_SLOW_CYCLE | TRAIT_ANTIGEN_LOSS | TRAIT_PDL1;

/// What is wrong with a snapshot whose container and layout are sound.
pub fn check(h: &SnapshotHeader, scene: &Scene, state: &HostState) -> Result<(), String> {
    check_header(h, scene)?;
    check_history(h, scene)?;
    check_therapy(h, scene)?;
    check_state(h, scene, state)
}

/// The bookkeeping a run of `scene` writes at tick `h.tick`.
fn check_header(h: &SnapshotHeader, scene: &Scene) -> Result<(), String> {
    let tick = h.tick;
    let tick_h = scene.time.tick_h;
    if h.time_h.to_bits() != (tick as f64 * tick_h).to_bits() {
        return Err(format!(
            "time_h {} is not tick {tick} × its scene's time.tick_h {tick_h} h",
            h.time_h
        ));
    }
    if h.site_size_um.to_bits() != scene.lattice.site_size_um.to_bits() {
        return Err(format!(
            "site_size_um {} differs from its scene's lattice.site_size_um {}",
            h.site_size_um, scene.lattice.site_size_um
        ));
    }
    let r = &h.run;
    let expect = |key: &str, found: String, want: String| {
        if found == want {
            Ok(())
        } else {
            Err(format!("run.{key} is {found}; its scene gives {want}"))
        }
    };
    expect(
        "total_ticks",
        r.total_ticks.to_string(),
        scene.total_ticks().to_string(),
    )?;
    expect(
        "report_every_ticks",
        r.report_every_ticks.to_string(),
        scene.report_every_ticks().to_string(),
    )?;
    expect(
        "frame_every_ticks",
        format!("{:?}", r.frame_every_ticks),
        format!("{:?}", scene.frame_every_ticks()),
    )?;
    match (r.snapshot_every_ticks, r.snapshot_every_days) {
        (None, None) => {}
        (Some(every), Some(days))
            if every >= 1
                && days.is_finite()
                && days > 0.0
                && (days * 24.0 / tick_h).round().max(1.0) == every as f64 => {}
        (ticks, days) => {
            return Err(format!(
                "run.snapshot_every_ticks {ticks:?} and run.snapshot_every_days {days:?} \
                 do not describe one snapshot interval of whole ticks ≥ 1"
            ))
        }
    }
    check_frames(h)?;
    let want: Vec<u64> = match r.snapshot_every_ticks {
        Some(every) => (1..).map(|k| k * every).take_while(|&t| t < tick).collect(),
        None => Vec::new(),
    };
    let found: Vec<u64> = r.snapshots.iter().map(|s| s.tick).collect();
    if found != want {
        return Err(format!(
            "run.snapshots lists ticks {found:?}; a run with snapshot_every_ticks {:?} \
             wrote {want:?} before tick {tick}",
            r.snapshot_every_ticks
        ));
    }
    let solve = f32::from_bits(h.initial_solve.residual_bits);
    if !solve.is_finite() {
        return Err(format!("initial_solve.residual is {solve}"));
    }
    Ok(())
}

/// The frames written up to the tick: at tick 0, every `frame_every_ticks`, and at the
/// end of the run (a snapshot at the last tick may come before that frame, on Ctrl-C).
fn check_frames(h: &SnapshotHeader) -> Result<(), String> {
    let r = &h.run;
    let count = r.frames_crc32.len() as u64;
    let ok = match r.frame_every_ticks {
        None => count == 0 && r.last_frame_tick.is_none(),
        Some(every) => {
            let regular = h.tick / every + 1;
            let last = (regular - 1) * every;
            let at_regular = count == regular && r.last_frame_tick == Some(last);
            let at_end = h.tick == r.total_ticks
                && h.tick != last
                && count == regular + 1
                && r.last_frame_tick == Some(h.tick);
            at_regular || at_end
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "run.frames_crc32 has {count} frames and run.last_frame_tick is {:?}, which a run \
             with frame_every_ticks {:?} does not have at tick {}",
            r.last_frame_tick, r.frame_every_ticks, h.tick
        ))
    }
}

/// One row per report tick up to the snapshot's: tick 0, every `report_every_ticks`,
/// and the last tick; counts no larger than the lattice.
fn check_history(h: &SnapshotHeader, scene: &Scene) -> Result<(), String> {
    let every = scene.report_every_ticks().max(1);
    let total = scene.total_ticks();
    let want: Vec<u64> = (0..=h.tick)
        .filter(|&t| t % every == 0 || t == total)
        .collect();
    let found: Vec<u64> = h.census_history.iter().map(|r| r.tick).collect();
    if found != want {
        let show = |v: &[u64]| match v {
            [] => "none".to_string(),
            [one] => format!("tick {one}"),
            [first, .., last] => format!("{} rows, ticks {first} to {last}", v.len()),
        };
        return Err(format!(
            "census_history has {}; a run reporting every {every} ticks has {} at tick {}",
            show(&found),
            show(&want),
            h.tick
        ));
    }
    let sites = scene.site_count();
    for r in &h.census_history {
        let c = &r.census;
        let (live, quiescent) = (c.tumour_live(), c.count(Counter::Quiescent));
        let (necrotic, vessel) = (c.count(Counter::Necrotic), c.count(Counter::Vessel));
        let cells = live as u64 + necrotic as u64 + vessel as u64;
        let residual = f32::from_bits(r.solve.residual_bits);
        if cells > sites || quiescent > live || !residual.is_finite() {
            return Err(format!(
                "census_history at tick {}: {} live, {} quiescent, {} necrotic and {} vessel \
                 sites on a lattice of {sites}, residual {residual}",
                r.tick, live, quiescent, necrotic, vessel
            ));
        }
    }
    Ok(())
}

/// Plasma levels, the therapy's state and its log, for `scene`'s drugs at the tick.
fn check_therapy(h: &SnapshotHeader, scene: &Scene) -> Result<(), String> {
    if let Some(bad) = h.plasma_um.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(format!("plasma_um holds {bad}"));
    }
    let n_drugs = scene.drugs.len();
    match &h.therapy {
        Some(t) => t.check_fits(scene, h.tick)?,
        None if h.therapy_log.is_empty() => return Ok(()),
        None => return Err("therapy_log without a therapy".into()),
    }
    if h.therapy_log.len() as u64 != h.tick {
        return Err(format!(
            "therapy_log has {} entries for {} ticks",
            h.therapy_log.len(),
            h.tick
        ));
    }
    for (k, t) in h.therapy_log.iter().enumerate() {
        let finite = t.plasma_um.iter().chain(&t.doses_mg).all(|v| v.is_finite());
        if t.tick != k as u64
            || t.plasma_um.len() != n_drugs
            || t.doses_mg.len() != n_drugs
            || !finite
        {
            return Err(format!(
                "therapy_log entry {k} (tick {}) does not hold finite levels and doses of the scene's {n_drugs} drugs",
                t.tick
            ));
        }
    }
    Ok(())
}

/// Finite fields; sites whose clone is in the lineage table and whose traits exist;
/// the counts of the last report row when it is the snapshot's tick.
fn check_state(h: &SnapshotHeader, scene: &Scene, state: &HostState) -> Result<(), String> {
    if let Some((f, site)) = state.non_finite() {
        let name = &fields::list(scene)[f].name;
        let value = state.field(f)[site];
        return Err(format!("field {name}: site {site} holds {value}"));
    }
    let clones = state.lineage.clones.len();
    let mut counts = [0u32; 3];
    for (i, s) in state.sites.iter().enumerate() {
        let kind = s.kind();
        let counted = match kind {
            Kind::Tumour => Some(0),
            Kind::Necrotic => Some(1),
            Kind::Vessel => Some(2),
            Kind::Empty | Kind::TCell | Kind::VesselTip => None,
        };
        if let Some(k) = counted {
            counts[k] += 1;
        }
        if matches!(kind, Kind::Tumour | Kind::Necrotic) {
            let f = s.unpack();
            if f.clone as usize >= clones || f.traits & !KNOWN_TRAITS != 0 {
                return Err(format!(
                    "site {i} holds clone {} with traits {:#x}; the lineage table has {clones} \
                     clones and the traits are {KNOWN_TRAITS:#x}",
                    f.clone, f.traits
                ));
            }
        }
    }
    if let Some(last) = h.census_history.last().filter(|r| r.tick == h.tick) {
        let c = &last.census;
        if [
            c.tumour_live(),
            c.count(Counter::Necrotic),
            c.count(Counter::Vessel),
        ] != counts
        {
            return Err(census_mismatch(last, counts));
        }
    }
    Ok(())
}

fn census_mismatch(r: &ReportRecord, counts: [u32; 3]) -> String {
    format!(
        "census_history at tick {} counts {} live tumour, {} necrotic and {} vessel sites; \
         the state holds {}, {} and {}",
        r.tick,
        r.census.tumour_live(),
        r.census.count(Counter::Necrotic),
        r.census.count(Counter::Vessel),
        counts[0],
        counts[1],
        counts[2]
    )
}
