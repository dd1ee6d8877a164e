// Bind groups shared by every kernel: 0 = parameters, 1 = cells, 2 = fields.
// Keep in sync with src/engine/gpu/layout.rs.

@group(0) @binding(0) var<uniform> sim: SimParams;
@group(0) @binding(1) var<uniform> field: FieldParams;
@group(0) @binding(2) var<uniform> sweep: SweepParams;

@group(1) @binding(0) var<storage, read> src: array<Site>;
@group(1) @binding(1) var<storage, read_write> dst: array<Site>;
@group(1) @binding(2) var<storage, read_write> wish: array<u32>;

@group(2) @binding(0) var<storage, read_write> conc: array<f32>;
@group(2) @binding(1) var<storage, read_write> residual: array<atomic<u32>>;
