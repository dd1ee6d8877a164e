// Bind groups shared by every kernel: 0 = parameters, 1 = cells, 2 = fields.
// Keep in sync with src/engine/gpu/layout.rs.

@group(0) @binding(0) var<uniform> sim: SimParams;
// Field 0 is oxygen, field 1 + d is drug d.
@group(0) @binding(1) var<uniform> fields: array<FieldParams, MAX_FIELDS>;
@group(0) @binding(2) var<uniform> sweep: SweepParams;
@group(0) @binding(3) var<uniform> drug_set: DrugSet;

@group(1) @binding(0) var<storage, read> src: array<Site>;
@group(1) @binding(1) var<storage, read_write> dst: array<Site>;
@group(1) @binding(2) var<storage, read_write> wish: array<u32>;
// What the field sweeps read of each site of state A (`solve_code` in site.wgsl):
// written by resolve with the state it writes, and by the host on upload.
@group(1) @binding(3) var<storage, read_write> site_code: array<u32>;

// n_fields × n_sites values: conc[f * n_sites + i].
@group(2) @binding(0) var<storage, read_write> conc: array<f32>;
// n_fields × sweep capacity slots; a sweep uses residual[sweep.residual_slot].
@group(2) @binding(1) var<storage, read_write> residual: array<atomic<u32>>;
// PD thresholds: pd_table[d * PD_TABLE_LEN + pd_index(level)].
@group(2) @binding(3) var<storage, read> pd_table: array<u32>;
// Cumulative exposure (AUC, 1/1024 µM·h) of the cell at each site: exposure[d * n_sites + i].
@group(2) @binding(4) var<storage, read_write> exposure: array<u32>;
// The lineage table and this tick's mutation events; layout in src/model/lineage.rs.
@group(2) @binding(5) var<storage, read_write> lineage: array<atomic<u32>>;

