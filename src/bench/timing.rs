//! Timing helpers: medians, and the reference bandwidths each backend is compared
//! with, measured in the same run: a buffer-to-buffer copy on the GPU, a STREAM-like
//! triad on the CPU.

use crate::engine::gpu::GpuContext;
use crate::engine::EngineError;
use rayon::prelude::*;
use std::time::Instant;

/// The median of `samples` (the mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => 0.5 * (s[n / 2 - 1] + s[n / 2]),
    }
}

/// Seconds of `f`, run `repeats` times after one warm-up run; the median.
pub fn time_median(repeats: usize, mut f: impl FnMut()) -> f64 {
    f();
    let samples: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect();
    median(&samples)
}

/// A measured reference bandwidth.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reference {
    /// "gpu_buffer_copy" or "cpu_stream_triad".
    pub kind: String,
    /// Bytes one run moves (copy: read + write of the buffer; triad: 3 arrays).
    pub bytes: u64,
    /// Median seconds of one run.
    pub median_s: f64,
    pub bandwidth_gb_s: f64,
}

/// STREAM triad `a[i] = b[i] + s·c[i]` over three `len`-long f64 arrays on rayon's
/// pool; bytes counted as STREAM does (24 B per element, no write-allocate).
pub fn cpu_triad(len: usize, repeats: usize) -> Reference {
    let mut a = vec![0.0f64; len];
    let b: Vec<f64> = (0..len).map(|i| i as f64).collect();
    let c: Vec<f64> = (0..len).map(|i| (len - i) as f64).collect();
    let s = 3.0f64;
    let median_s = time_median(repeats, || {
        a.par_iter_mut()
            .zip(b.par_iter().zip(c.par_iter()))
            .with_min_len(1 << 14)
            .for_each(|(a, (b, c))| *a = b + s * c);
        std::hint::black_box(&a);
    });
    let bytes = 24 * len as u64;
    Reference {
        kind: "cpu_stream_triad".into(),
        bytes,
        median_s,
        bandwidth_gb_s: bytes as f64 / median_s / 1e9,
    }
}

/// A `size`-byte buffer-to-buffer copy, `per_submit` copies in one submit, host-timed
/// until the device is idle; the median per copy. Bytes: read + write (2 × size).
pub fn gpu_copy(
    ctx: &GpuContext,
    size: u64,
    per_submit: u32,
    repeats: usize,
) -> Result<Reference, EngineError> {
    let size = size.min(ctx.limits().max_buffer_size) & !3;
    let device = ctx.device();
    let buffer = |label| {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    };
    let (src, dst) = (
        buffer("oncolattice.bench.copy_src"),
        buffer("oncolattice.bench.copy_dst"),
    );
    let wait = || {
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| EngineError::Gpu(format!("device poll failed: {e}")))
    };
    let mut samples = Vec::new();
    for k in 0..=repeats.max(1) {
        let mut encoder = device.create_command_encoder(&Default::default());
        for _ in 0..per_submit.max(1) {
            encoder.copy_buffer_to_buffer(&src, 0, &dst, 0, size);
        }
        let commands = encoder.finish();
        let t0 = Instant::now();
        ctx.queue().submit([commands]);
        wait()?;
        // The first submit is the warm-up.
        if k > 0 {
            samples.push(t0.elapsed().as_secs_f64() / per_submit.max(1) as f64);
        }
    }
    ctx.check()?;
    let median_s = median(&samples);
    Ok(Reference {
        kind: "gpu_buffer_copy".into(),
        bytes: 2 * size,
        median_s,
        bandwidth_gb_s: 2.0 * size as f64 / median_s / 1e9,
    })
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
