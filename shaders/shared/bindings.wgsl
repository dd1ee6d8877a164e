// Bind groups shared by every kernel: 0 = parameters, 1 = cells, 2 = fields.
// Keep in sync with src/engine/gpu/layout.rs.
//
// The buffers hold a pack of one or more scenes of one lattice shape (ARCHITECTURE.md,
// "Many scenes per device"): scene s is pack.first + workgroup_id.z of a dispatch, its sites
// are s·n_sites … (s + 1)·n_sites − 1 of every per-site array. Group 0's per-scene
// parameters (`sim`, `fields`, `drug_set`) come from the `scene_params` import: uniforms
// for a lone run (scene_lone.wgsl), entry s of storage arrays for a pack of several
// (scene_packed.wgsl). Each kernel calls `enter_scene` first; a site's index `i` in the
// kernels is its index within its scene (what the RNG and the lineage see), and
// `at(i)`, `field_at(f, i)` the slots of that site in the packed arrays.

#import scene_params
@group(0) @binding(2) var<uniform> sweep: SweepParams;
// The scenes this dispatch covers: scene = pack.first + workgroup_id.z.
@group(0) @binding(4) var<uniform> pack: PackRange;
// The immune substep of a dispatch of resolve or immune_moves (a dynamic offset).
@group(0) @binding(6) var<uniform> substep: Substep;

@group(1) @binding(0) var<storage, read> src: array<Site>;
@group(1) @binding(1) var<storage, read_write> dst: array<Site>;
@group(1) @binding(2) var<storage, read_write> wish: array<u32>;
// What the field sweeps read of each site of state A (`solve_code` in site.wgsl):
// written by resolve with the state it writes, and by the host on upload.
@group(1) @binding(3) var<storage, read_write> site_code: array<u32>;

// n_fields × (all scenes' sites) values: conc[field_at(f, i)].
@group(2) @binding(0) var<storage, read_write> conc: array<f32>;
// Per scene `sim.residual_stride` slots (n_fields × sweep capacity); a sweep uses
// residual[residual_at(sweep.residual_slot)].
@group(2) @binding(1) var<storage, read_write> residual: array<atomic<u32>>;
// PD thresholds: pd_table[pd_at(d) + pd_index(level)].
@group(2) @binding(3) var<storage, read> pd_table: array<u32>;
// Cumulative exposure (AUC, 1/1024 µM·h) of the cell at each site: exposure[exposure_at(d, i)].
@group(2) @binding(4) var<storage, read_write> exposure: array<u32>;
// Per scene one lineage table with this tick's mutation events (LINEAGE_WORDS words
// from lineage_base); layout in src/model/lineage.rs.
@group(2) @binding(5) var<storage, read_write> lineage: array<atomic<u32>>;
// Per scene the IMMUNE_TABLES tables of model::immune, PD_TABLE_LEN entries each:
// immune_table[immune_table_at(t) + index].
@group(2) @binding(6) var<storage, read> immune_table: array<u32>;

// The scene this invocation works on (set by enter_scene).
var<private> scene: u32;
// First site of the scene in the per-site arrays.
var<private> base: u32;
// Sites of every scene of the pack: the stride of per-field and per-drug arrays.
var<private> all_sites: u32;
var<private> lineage_base: u32;

fn at(i: u32) -> u32 {
    return base + i;
}

fn field_at(f: u32, i: u32) -> u32 {
    return f * all_sites + base + i;
}

fn exposure_at(d: u32, i: u32) -> u32 {
    return d * all_sites + base + i;
}

fn residual_at(slot: u32) -> u32 {
    return scene * sim.residual_stride + slot;
}

fn pd_at(d: u32) -> u32 {
    return (scene * drug_set.n_drugs + d) * PD_TABLE_LEN;
}

fn immune_table_at(t: u32) -> u32 {
    return (scene * IMMUNE_TABLES + t) * PD_TABLE_LEN;
}

