//! What `oncolattice bench` found: the table on stdout and the same numbers as JSON.

use super::problems::Size;
use super::timing::Reference;
use crate::engine::gpu::GpuContext;
use crate::engine::BackendInfo;
use std::fmt::Write as _;

/// The whole run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchReport {
    pub version: String,
    pub size: Size,
    /// Timed samples per number (after a warm-up); each number is their median.
    pub repeats: usize,
    /// How time was taken.
    pub timing: String,
    pub backend: BackendInfo,
    /// The GPU adapter, for the GPU backend.
    pub adapter: Option<Adapter>,
    /// The device's own bandwidth, measured in this run.
    pub reference: Reference,
    pub problems: Vec<ProblemResult>,
    /// Problems not run, with the reason.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Adapter {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    pub vendor: u32,
    pub device: u32,
    pub timestamp_query: bool,
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
}

impl Adapter {
    pub fn of(ctx: &GpuContext) -> Adapter {
        let (i, l) = (ctx.info(), ctx.limits());
        Adapter {
            name: i.name.clone(),
            backend: format!("{:?}", i.backend),
            device_type: format!("{:?}", i.device_type),
            driver: i.driver.clone(),
            driver_info: i.driver_info.clone(),
            vendor: i.vendor,
            device: i.device,
            timestamp_query: ctx
                .device()
                .features()
                .contains(wgpu::Features::TIMESTAMP_QUERY),
            max_buffer_size: l.max_buffer_size,
            max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub problem: String,
    pub reason: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ProblemResult {
    pub name: String,
    /// nx, ny, nz.
    pub dims: [u32; 3],
    pub sites: u64,
    /// Oxygen and each drug.
    pub fields: u64,
    /// Red-black sweeps of every field in the timed (fixed-work) tick.
    pub sweeps_per_field: u32,
    /// Tumour cells alive when timing started.
    pub tumour_live: u64,
    /// T cells, and sites not empty, when timing started (T cells only with `[immune]`).
    pub tcells: u64,
    pub occupied_sites: u64,
    /// A realistic tick (each field solved from the previous tick's field to its
    /// tolerance): median oxygen sweeps it needed and median seconds.
    pub to_tolerance_oxygen_sweeps: f64,
    pub to_tolerance_tick_s: f64,
    /// GPU only: the same realistic tick with every sweep offered at once instead of
    /// in chunks (`engine::gpu::solve_plan`), median seconds of ticks alternating
    /// with the chunked ones.
    pub to_tolerance_unchunked_tick_s: Option<f64>,
    /// One row per kernel, then `tick` (the whole tick).
    pub kernels: Vec<KernelRow>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct KernelRow {
    /// field_sweep (one half-sweep of oxygen), cells, resolve, census, immune_moves
    /// (one T-cell move: immune_moves and resolve; scenes with `[immune]`), or tick.
    pub kernel: String,
    pub dispatches_per_tick: u64,
    /// Median seconds of one dispatch (of the whole tick for `tick`).
    pub median_s: f64,
    /// Sites the dispatch updates per second (a half-sweep updates half the sites).
    pub site_updates_per_s: f64,
    /// Bytes one dispatch moves (bench::bytes).
    pub bytes_per_dispatch: u64,
    pub bytes_per_tick: u64,
    /// bytes_per_dispatch / median_s.
    pub bandwidth_gb_s: f64,
    /// bandwidth_gb_s over the reference bandwidth.
    pub fraction_of_reference: f64,
}

impl KernelRow {
    pub fn new(
        kernel: &str,
        dispatches_per_tick: u64,
        median_s: f64,
        site_updates: u64,
        bytes_per_dispatch: u64,
        reference: &Reference,
    ) -> KernelRow {
        let bandwidth_gb_s = bytes_per_dispatch as f64 / median_s / 1e9;
        KernelRow {
            kernel: kernel.into(),
            dispatches_per_tick,
            median_s,
            site_updates_per_s: site_updates as f64 / median_s,
            bytes_per_dispatch,
            bytes_per_tick: bytes_per_dispatch * dispatches_per_tick,
            bandwidth_gb_s,
            fraction_of_reference: bandwidth_gb_s / reference.bandwidth_gb_s,
        }
    }
}

fn bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

fn seconds(s: f64) -> String {
    match s {
        s if s >= 1.0 => format!("{s:.3} s"),
        s if s >= 1e-3 => format!("{:.3} ms", s * 1e3),
        s => format!("{:.1} µs", s * 1e6),
    }
}

impl BenchReport {
    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let b = &self.backend;
        let size = format!("{:?}", self.size).to_lowercase();
        let _ = writeln!(out, "oncolattice {} bench --size {size}", self.version);
        let _ = writeln!(out, "backend:   {} on {} ({})", b.kind, b.device, b.detail);
        if let Some(a) = &self.adapter {
            let _ = writeln!(
                out,
                "adapter:   {} [{} {}], timestamp queries: {}",
                a.name,
                a.backend,
                a.device_type,
                if a.timestamp_query { "yes" } else { "no" }
            );
        }
        let _ = writeln!(
            out,
            "timing:    {}; median of {}",
            self.timing, self.repeats
        );
        let r = &self.reference;
        let _ = writeln!(
            out,
            "reference: {} {:.2} GB/s ({} per run, {})",
            r.kind,
            r.bandwidth_gb_s,
            bytes(r.bytes),
            seconds(r.median_s)
        );
        for p in &self.problems {
            let [nx, ny, nz] = p.dims;
            let _ = write!(
                out,
                "\n{}: {nx}×{ny}×{nz} = {} sites, {} fields × {} sweeps per tick, {} live tumour cells",
                p.name, p.sites, p.fields, p.sweeps_per_field, p.tumour_live
            );
            if p.tcells > 0 {
                let _ = write!(
                    out,
                    ", {} T cells ({:.1} % of {} occupied sites)",
                    p.tcells,
                    100.0 * p.tcells as f64 / p.occupied_sites.max(1) as f64,
                    p.occupied_sites
                );
            }
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "  {:<12} {:>6} {:>11} {:>14} {:>11} {:>11} {:>9} {:>8}",
                "kernel", "n/tick", "median", "site-upd/s", "bytes", "bytes/tick", "GB/s", "of ref"
            );
            for k in &p.kernels {
                let _ = writeln!(
                    out,
                    "  {:<12} {:>6} {:>11} {:>14.3e} {:>11} {:>11} {:>9.2} {:>7.1}%",
                    k.kernel,
                    k.dispatches_per_tick,
                    seconds(k.median_s),
                    k.site_updates_per_s,
                    bytes(k.bytes_per_dispatch),
                    bytes(k.bytes_per_tick),
                    k.bandwidth_gb_s,
                    100.0 * k.fraction_of_reference
                );
            }
            let _ = write!(
                out,
                "  to tolerance: {:.0} oxygen sweeps per tick (median), tick {}",
                p.to_tolerance_oxygen_sweeps,
                seconds(p.to_tolerance_tick_s)
            );
            if let Some(s) = p.to_tolerance_unchunked_tick_s {
                let _ = write!(out, " (every sweep offered at once: {})", seconds(s));
            }
            let _ = writeln!(out);
        }
        for s in &self.skipped {
            let _ = writeln!(out, "\n{}: skipped: {}", s.problem, s.reason);
        }
        out
    }
}
