//! Every constant the WGSL kernels share with Rust, taken from the Rust definitions:
//! the one source of truth. `engine::gpu::shaders` writes them as the WGSL module
//! that every kernel starts with, so no `.wgsl` file holds a copy (a test checks that
//! none declares one of these names).

use crate::model::{
    action, census, counters, drug_params as drugs, immune, lineage, params, pd, rng, site,
};

/// A constant's WGSL type and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConstValue {
    U32(u32),
    F32(f32),
}

/// Threads per workgroup of every 1D kernel (`@workgroup_size(WORKGROUP_SIZE)`); the
/// dispatch sizes in `engine::gpu` divide by it.
pub const WORKGROUP_SIZE: u32 = 256;

/// Heritable trait bits a daughter can gain by mutation (`DrugSet::mutation_threshold`).
pub const TRAIT_BITS: u32 = 8;

/// Every shared constant, by its WGSL name.
pub fn all() -> Vec<(String, ConstValue)> {
    use ConstValue::{F32, U32};
    let mut out: Vec<(String, ConstValue)> = Vec::new();
    let mut u = |name: &str, v: u32| out.push((name.to_string(), U32(v)));
    u("WORKGROUP_SIZE", WORKGROUP_SIZE);
    // The site record (model::site).
    u("KIND_MASK", site::KIND_MASK);
    u("QUIESCENT_BIT", site::QUIESCENT_BIT);
    u("PERSISTER_BIT", site::PERSISTER_BIT);
    u("CLONE_SHIFT", site::CLONE_SHIFT);
    u("HALF_SHIFT", site::HALF_SHIFT);
    u("LOW16", site::LOW16);
    u("HIGH16", site::HIGH16);
    u("NO_SITE", site::NO_SITE);
    u("ENGAGED_BIT", site::ENGAGED_BIT);
    u("EXHAUSTED_BIT", site::EXHAUSTED_BIT);
    u("DETACHED_BIT", site::DETACHED_BIT);
    u("TCELL_KILLS_SHIFT", site::KILLS_SHIFT);
    u("TCELL_DIVISIONS_SHIFT", site::DIVISIONS_SHIFT);
    u("TCELL_TARGET_SLOT_SHIFT", site::TARGET_SLOT_SHIFT);
    u("BYTE", site::BYTE);
    for kind in site::Kind::ALL {
        u(&format!("KIND_{}", kind.name().to_uppercase()), kind as u32);
    }
    // Wishes and actions (model::action).
    u("NEIGHBOUR_SLOTS", action::NEIGHBOUR_SLOTS);
    u("WISH_SLOT_MASK", action::WISH_SLOT_MASK);
    u("WISH_ACTION_SHIFT", action::WISH_ACTION_SHIFT);
    for a in action::Action::ALL {
        u(&format!("ACTION_{}", a.name().to_uppercase()), a as u32);
    }
    // RNG streams (model::rng::stream).
    u("STREAM_APOPTOSIS", rng::stream::APOPTOSIS);
    u("STREAM_TARGET", rng::stream::TARGET);
    u("STREAM_PRIORITY", rng::stream::PRIORITY);
    u("STREAM_CYCLE_A", rng::stream::CYCLE_A);
    u("STREAM_CYCLE_B", rng::stream::CYCLE_B);
    u("STREAM_PERSISTER", rng::stream::PERSISTER);
    u("STREAM_DRUG0", rng::stream::DRUG0);
    u("STREAM_MUTATION0", rng::stream::MUTATION0);
    u("STREAM_RECRUIT", rng::stream::RECRUIT);
    u("STREAM_CONTACT", rng::stream::CONTACT);
    u("STREAM_KILL", rng::stream::KILL);
    u("STREAM_WALK_BIAS", rng::stream::WALK_BIAS);
    u("STREAM_WALK_PICK", rng::stream::WALK_PICK);
    u("STREAM_EXPAND", rng::stream::EXPAND);
    // The T cells (model::immune): its tables, fixed point and "no such field".
    u("NO_FIELD", immune::NO_FIELD);
    u("ONE16", immune::ONE16);
    u("KILL_SHIFT", immune::KILL_SHIFT);
    u("IMMUNE_TABLES", immune::TABLES as u32);
    u("IMMUNE_TABLE_RECRUIT", immune::TABLE_RECRUIT as u32);
    u("IMMUNE_TABLE_PDL1", immune::TABLE_PDL1 as u32);
    u("IMMUNE_TABLE_SUPPRESS", immune::TABLE_SUPPRESS as u32);
    u("IMMUNE_TABLE_KILL", immune::TABLE_KILL as u32);
    u("IMMUNE_TABLE_BLOCK", immune::TABLE_BLOCK as u32);
    // Drugs, traits and PD tables (model::drug_params, model::pd).
    u("MAX_DRUGS", crate::scene::MAX_DRUGS as u32);
    u("MAX_FIELDS", params::MAX_FIELDS as u32);
    u("MAX_SITE_COUNTERS", counters::MAX_SITE_COUNTERS as u32);
    u("MAX_FIELD_TERMS", params::MAX_FIELD_TERMS as u32);
    u("TERM_ZERO_ORDER", params::TERM_ZERO_ORDER);
    u("TERM_FIRST_ORDER", params::TERM_FIRST_ORDER);
    u("TERM_MICHAELIS_MENTEN", params::TERM_MICHAELIS_MENTEN);
    u("CENSUS_ALL_SITES", params::CENSUS_ALL_SITES);
    u("CENSUS_TUMOUR_SITES", params::CENSUS_TUMOUR_SITES);
    u("INTERACTION_BLISS", drugs::INTERACTION_BLISS);
    u(
        "INTERACTION_HIGHEST_SINGLE_AGENT",
        drugs::INTERACTION_HIGHEST_SINGLE_AGENT,
    );
    u("CLASS_CYCLE_SPECIFIC", drugs::CLASS_CYCLE_SPECIFIC);
    u("CLASS_NONSPECIFIC", drugs::CLASS_NONSPECIFIC);
    u("CLASS_TARGETED", drugs::CLASS_TARGETED);
    u("CLASS_CYTOSTATIC", drugs::CLASS_CYTOSTATIC);
    u("TRAIT_TARGET_MASK", drugs::TRAIT_TARGET_MASK);
    u("TRAIT_EFFLUX", drugs::TRAIT_EFFLUX);
    u("TRAIT_SLOW_CYCLE", drugs::TRAIT_SLOW_CYCLE);
    u("TRAIT_ANTIGEN_LOSS", drugs::TRAIT_ANTIGEN_LOSS);
    u("TRAIT_PDL1", drugs::TRAIT_PDL1);
    u("TRAIT_BITS", TRAIT_BITS);
    u("PD_SHIFT", pd::PD_SHIFT);
    u("PD_TABLE_LEN", pd::PD_TABLE_LEN as u32);
    // The lineage buffer (model::lineage).
    u("LINEAGE_NEXT_CLONE", lineage::word::NEXT_CLONE as u32);
    u("LINEAGE_EVENTS", lineage::word::EVENTS as u32);
    u("LINEAGE_MUTATIONS", lineage::word::MUTATIONS as u32);
    u("LINEAGE_UNASSIGNED", lineage::word::UNASSIGNED as u32);
    u("LINEAGE_EVENTS_AT", lineage::EVENTS_AT as u32);
    u("LINEAGE_RECORDS_AT", lineage::RECORDS_AT as u32);
    u("EVENT_CAP", lineage::EVENT_CAP);
    u("LINEAGE_WORDS", lineage::BUFFER_WORDS as u32);
    u("MAX_CLONES", lineage::MAX_CLONES);
    // The census (model::census).
    u("O2_SITE_CAP", census::O2_SITE_CAP);
    u("CENSUS_CLONES", census::CENSUS_CLONES as u32);
    out.push(("O2_SUM_SCALE".into(), F32(census::O2_SUM_SCALE as f32)));
    out.push(("DRUG_SUM_SCALE".into(), F32(census::DRUG_SUM_SCALE as f32)));
    out.push(("AUC_MAX".into(), F32(drugs::AUC_MAX)));
    out
}

/// The constants as a WGSL module: `const NAME: u32 = 123u;` per line. Floats are
/// written with enough digits to read back to the same bits.
pub fn wgsl() -> String {
    let mut text =
        String::from("// Generated from Rust by model::shader_constants; do not copy.\n");
    for (name, value) in all() {
        let line = match value {
            ConstValue::U32(v) => format!("const {name}: u32 = {v}u;\n"),
            ConstValue::F32(v) => format!("const {name}: f32 = {v:?};\n"),
        };
        text.push_str(&line);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_floats_read_back_exactly() {
        let all = all();
        let mut names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        let text = wgsl();
        assert!(text.contains("const KIND_VESSEL: u32 = 3u;\n"));
        assert!(text.contains("const ACTION_DIVIDE: u32 = 1u;\n"));
        assert!(text.contains("const AUC_MAX: f32 = 4294967000.0;\n"));
        assert_eq!("4294967000.0".parse::<f32>().unwrap(), drugs::AUC_MAX);
    }
}
