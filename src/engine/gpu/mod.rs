//! The wgpu backend: the WGSL kernels of `shaders/` run pass for pass as the CPU
//! reference does.
//!
//! - `context`: adapter choice and device creation, apart from the work;
//! - `layout`: the explicit bind-group layouts (0 = parameters, 1 = cells, 2 = fields);
//! - `pipelines`: one compute pipeline per kernel, and the dispatch geometry;
//! - `buffers`: device memory of a lattice (44 B per site) and its bind groups, and the
//!   immune substep slots;
//! - `readback`: the asynchronous report ring and blocking reads;
//! - `backend`: `GpuBackend`, the passes for a pack of one or more scenes;
//! - `lone`: `GpuBackend` as the `Backend` of a lone run (a pack of one);
//! - `pack`: `GpuPack`, a pack shared by runs on their own threads, one `PackLane` each;
//! - `solve_plan`: how many sweeps a tick's solve offers before asking the device;
//! - `probe`: the RNG probe kernel for the RNG contract test;
//! - `quiet`: keeps what drivers print while probed out of a quiet run.

mod backend;
mod buffers;
mod context;
mod layout;
mod lone;
pub mod pack;
mod pipelines;
pub mod probe;
mod quiet;
mod readback;
pub mod shaders;
pub mod solve_plan;

pub use backend::GpuBackend;
pub use buffers::{bytes_per_site, Substep, BYTES_PER_SITE, MAX_SUBSTEPS};
pub use context::{list_adapters, AdapterReport, GpuContext, ADAPTER_ENV};
pub use layout::group_entries;
pub use pack::{pack_key, GpuPack, PackLane};
pub use pipelines::{dispatch_size, WORKGROUP_SIZE};
pub use quiet::set_quiet_drivers;
pub use readback::{cast_vec, read_blocking, RING_SLOTS};
