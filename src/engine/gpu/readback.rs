//! Getting results off the device. Reports go through a ring of staging buffers that
//! are mapped asynchronously, so the tick loop never waits for a report unless every
//! slot is still in flight; whole-state reads (`read_blocking`) wait, and so does the
//! small read of the residual slots between a solve's chunks (`read_staged` into a
//! staging buffer the backend keeps).

use super::buffers::CENSUS_BYTES;
use super::GpuContext;
use crate::engine::{solve_stats, EngineError, TickReport};
use crate::model::census::Census;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// Staging slots for reports in flight. A report tick is at most every tick, and the
/// device runs a few ticks behind the host at most, so four rarely block.
pub const RING_SLOTS: usize = 4;

const IDLE: u8 = 0;
const MAPPING: u8 = 1;
const MAPPED: u8 = 2;
const FAILED: u8 = 3;

/// Polls the device, waiting for all submitted work when `wait` is set.
pub fn poll(ctx: &GpuContext, wait: bool) -> Result<(), EngineError> {
    let mode = if wait {
        wgpu::PollType::wait_indefinitely()
    } else {
        wgpu::PollType::Poll
    };
    ctx.device()
        .poll(mode)
        .map_err(|e| EngineError::Gpu(format!("device poll failed: {e}")))?;
    ctx.check()
}

/// How long a finished map may take to report back before it counts as lost.
const MAP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// Polls until the map behind `state` has called back. A waiting poll returns once the
/// device is idle, but when several threads share a device another thread's poll may
/// still be running our callback, so one poll is not always enough.
fn wait_mapped(ctx: &GpuContext, state: &AtomicU8) -> Result<u8, EngineError> {
    let deadline = std::time::Instant::now() + MAP_DEADLINE;
    loop {
        let s = state.load(Ordering::Acquire);
        if s != MAPPING {
            return Ok(s);
        }
        if std::time::Instant::now() > deadline {
            return Err(EngineError::Gpu(format!(
                "a buffer map did not complete within {} s",
                MAP_DEADLINE.as_secs()
            )));
        }
        poll(ctx, true)?;
        std::thread::yield_now();
    }
}

fn map_read(buffer: &wgpu::Buffer, state: &Arc<AtomicU8>) {
    state.store(MAPPING, Ordering::Release);
    let done = Arc::clone(state);
    buffer.map_async(wgpu::MapMode::Read, .., move |result| {
        let s = if result.is_ok() { MAPPED } else { FAILED };
        done.store(s, Ordering::Release);
    });
}

/// A mappable buffer that receives `bytes` from the start of a source buffer.
pub struct Staging {
    buffer: wgpu::Buffer,
    bytes: u64,
    state: Arc<AtomicU8>,
}

impl Staging {
    pub fn new(ctx: &GpuContext, label: &str, bytes: u64) -> Staging {
        let buffer = ctx.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            // Mapped sizes are multiples of 4 (every source here is).
            size: bytes.div_ceil(4).max(1) * 4,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Staging {
            buffer,
            bytes,
            state: Arc::new(AtomicU8::new(IDLE)),
        }
    }
}

/// Copies each source (bytes from offset 0) into its staging buffer at the end of
/// `encoder`, submits it, waits, and returns each source's bytes. A staging buffer
/// kept by the caller makes a read repeated every tick allocate nothing.
pub fn read_staged(
    ctx: &GpuContext,
    encoder: wgpu::CommandEncoder,
    reads: &[(&wgpu::Buffer, &Staging)],
) -> Result<Vec<Vec<u8>>, EngineError> {
    let at: Vec<(&wgpu::Buffer, u64, &Staging)> = reads.iter().map(|&(b, s)| (b, 0, s)).collect();
    read_staged_at(ctx, encoder, &at)
}

/// `read_staged` from an offset into each source.
pub fn read_staged_at(
    ctx: &GpuContext,
    mut encoder: wgpu::CommandEncoder,
    reads: &[(&wgpu::Buffer, u64, &Staging)],
) -> Result<Vec<Vec<u8>>, EngineError> {
    for (source, offset, s) in reads {
        if s.bytes > 0 {
            encoder.copy_buffer_to_buffer(source, *offset, &s.buffer, 0, s.bytes);
        }
    }
    ctx.queue().submit([encoder.finish()]);
    for (_, _, s) in reads {
        map_read(&s.buffer, &s.state);
    }
    poll(ctx, true)?;
    let mut parts = Vec::with_capacity(reads.len());
    for (_, _, s) in reads {
        if wait_mapped(ctx, &s.state)? != MAPPED {
            return Err(EngineError::Gpu(
                "mapping a staging buffer for reading failed".into(),
            ));
        }
        {
            let view = s
                .buffer
                .get_mapped_range(..)
                .map_err(|e| EngineError::Gpu(format!("reading a staging buffer: {e}")))?;
            parts.push(view[..s.bytes as usize].to_vec());
        }
        s.buffer.unmap();
    }
    Ok(parts)
}

/// `read_staged` into fresh staging buffers, one per source, so none is larger than
/// its source (which already fits the device's limits).
pub fn read_blocking(
    ctx: &GpuContext,
    encoder: wgpu::CommandEncoder,
    sources: &[(&wgpu::Buffer, u64)],
) -> Result<Vec<Vec<u8>>, EngineError> {
    let at: Vec<(&wgpu::Buffer, u64, u64)> = sources.iter().map(|&(b, n)| (b, 0, n)).collect();
    read_blocking_at(ctx, encoder, &at)
}

/// `read_blocking` of (source, offset, bytes) ranges.
pub fn read_blocking_at(
    ctx: &GpuContext,
    encoder: wgpu::CommandEncoder,
    sources: &[(&wgpu::Buffer, u64, u64)],
) -> Result<Vec<Vec<u8>>, EngineError> {
    let staging: Vec<Staging> = sources
        .iter()
        .enumerate()
        .map(|(k, &(_, _, bytes))| {
            Staging::new(ctx, &format!("oncolattice.staging_blocking_{k}"), bytes)
        })
        .collect();
    let reads: Vec<(&wgpu::Buffer, u64, &Staging)> = sources
        .iter()
        .zip(&staging)
        .map(|(&(source, offset, _), s)| (source, offset, s))
        .collect();
    read_staged_at(ctx, encoder, &reads)
}

/// Reinterprets little-endian bytes as `u32`/`f32`/`Site` words without alignment demands.
pub fn cast_vec<T: bytemuck::Pod>(bytes: &[u8]) -> Vec<T> {
    bytes
        .chunks_exact(std::mem::size_of::<T>())
        .map(bytemuck::pod_read_unaligned)
        .collect()
}

struct Slot {
    buffer: wgpu::Buffer,
    state: Arc<AtomicU8>,
}

/// One scene's report in a ring slot: which tick, and how to read its solve.
#[derive(Debug, Clone, Copy)]
pub struct ReportRequest {
    pub scene: usize,
    pub tick: u64,
    /// Oxygen's residual slots to read (its cap).
    pub sweeps: u32,
    pub tolerance: f32,
}

/// A ring slot in flight: where it lands and the scenes that asked for a report.
struct InFlight {
    slot: usize,
    requests: Vec<ReportRequest>,
}

/// Staging buffers for the census and residual of every scene of the pack, handed out
/// in tick order. A slot holds the censuses (one per scene) then the residual buffer
/// (`residual_stride` slots per scene, oxygen's first).
pub struct ReportRing {
    /// Residual slots per scene each staging buffer holds.
    stride: u32,
    scenes: u32,
    slots: Vec<Slot>,
    free: Vec<usize>,
    in_flight: VecDeque<InFlight>,
}

impl ReportRing {
    pub fn new(ctx: &GpuContext, residual_stride: u32, scenes: u32) -> ReportRing {
        let scenes = scenes.max(1);
        let bytes = scenes as u64 * (CENSUS_BYTES + 4 * residual_stride as u64);
        let slots = (0..RING_SLOTS)
            .map(|k| Slot {
                buffer: ctx.device().create_buffer(&wgpu::BufferDescriptor {
                    label: Some(&format!("oncolattice.staging_report_{k}")),
                    size: bytes,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }),
                state: Arc::new(AtomicU8::new(IDLE)),
            })
            .collect();
        ReportRing {
            stride: residual_stride,
            scenes,
            slots,
            free: (0..RING_SLOTS).rev().collect(),
            in_flight: VecDeque::new(),
        }
    }

    /// (residual slots per scene, scenes) the slots are sized for.
    pub fn sized_for(&self) -> (u32, u32) {
        (self.stride, self.scenes)
    }

    pub fn is_idle(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// A free slot; when none is free, waits for the oldest reports and moves them to `out`.
    pub fn acquire(
        &mut self,
        ctx: &GpuContext,
        out: &mut [VecDeque<TickReport>],
    ) -> Result<usize, EngineError> {
        while self.free.is_empty() {
            self.harvest(ctx, true, out)?;
        }
        self.free
            .pop()
            .ok_or_else(|| EngineError::Gpu("report ring is empty".into()))
    }

    /// Appends the copies of every scene's census and residual into `slot`.
    pub fn encode_copy(
        &self,
        slot: usize,
        encoder: &mut wgpu::CommandEncoder,
        census: &wgpu::Buffer,
        residual: &wgpu::Buffer,
    ) {
        let staging = &self.slots[slot].buffer;
        let census_bytes = self.scenes as u64 * CENSUS_BYTES;
        encoder.copy_buffer_to_buffer(census, 0, staging, 0, census_bytes);
        encoder.copy_buffer_to_buffer(
            residual,
            0,
            staging,
            census_bytes,
            4 * self.scenes as u64 * self.stride as u64,
        );
    }

    /// Call after the submit that holds `encode_copy`: starts the asynchronous map.
    pub fn submitted(&mut self, slot: usize, requests: Vec<ReportRequest>) {
        let s = &self.slots[slot];
        map_read(&s.buffer, &s.state);
        self.in_flight.push_back(InFlight { slot, requests });
    }

    /// Moves finished reports, oldest first, to `out[scene]`. Without `wait` it stops
    /// at the first slot still in flight; with `wait` it blocks until all have arrived.
    pub fn harvest(
        &mut self,
        ctx: &GpuContext,
        wait: bool,
        out: &mut [VecDeque<TickReport>],
    ) -> Result<(), EngineError> {
        if self.in_flight.is_empty() {
            return Ok(());
        }
        poll(ctx, wait)?;
        while let Some(front) = self.in_flight.front() {
            let slot = &self.slots[front.slot];
            match slot.state.load(Ordering::Acquire) {
                MAPPED => {}
                FAILED => return Err(EngineError::Gpu("mapping a report buffer failed".into())),
                _ if wait => {
                    wait_mapped(ctx, &slot.state)?;
                    continue;
                }
                _ => break,
            }
            {
                let view = slot
                    .buffer
                    .get_mapped_range(..)
                    .map_err(|e| EngineError::Gpu(format!("reading a report: {e}")))?;
                let residual_at = self.scenes as usize * CENSUS_BYTES as usize;
                for r in &front.requests {
                    let c = r.scene * CENSUS_BYTES as usize;
                    let census: Census =
                        bytemuck::pod_read_unaligned(&view[c..c + CENSUS_BYTES as usize]);
                    let from = residual_at + 4 * r.scene * self.stride as usize;
                    let residual: Vec<u32> = cast_vec(&view[from..from + 4 * r.sweeps as usize]);
                    out[r.scene].push_back(TickReport {
                        tick: r.tick,
                        census,
                        solve: solve_stats(&residual, r.tolerance),
                    });
                }
            }
            slot.buffer.unmap();
            slot.state.store(IDLE, Ordering::Release);
            self.free.push(front.slot);
            self.in_flight.pop_front();
        }
        Ok(())
    }
}
