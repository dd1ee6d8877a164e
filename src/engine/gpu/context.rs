//! The device: which adapter to use and the `wgpu::Device` made from it. Kept apart
//! from the work (`GpuBackend`) so tests and tools can bring their own device.

use crate::engine::EngineError;
use std::fmt;
use std::sync::{Arc, Mutex};

/// Environment variable that picks an adapter by name (case-insensitive substring).
pub const ADAPTER_ENV: &str = "ONCOLATTICE_ADAPTER";

/// One adapter as `oncolattice info` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdapterReport {
    pub name: String,
    /// "Vulkan", "Gl", "Metal", "Dx12".
    pub backend: String,
    /// "DiscreteGpu", "IntegratedGpu", "VirtualGpu", "Other", "Cpu".
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_invocations_per_workgroup: u32,
}

impl AdapterReport {
    fn from_adapter(adapter: &wgpu::Adapter) -> AdapterReport {
        let info = adapter.get_info();
        let limits = adapter.limits();
        AdapterReport {
            name: info.name,
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: info.driver,
            driver_info: info.driver_info,
            max_buffer_size: limits.max_buffer_size,
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
            max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
        }
    }

    /// One line: "name [Backend, Type]".
    pub fn summary(&self) -> String {
        format!("{} [{}, {}]", self.name, self.backend, self.device_type)
    }

    /// Driver name and version, whichever the API reports (GL gives only a version).
    pub fn driver_line(&self) -> String {
        [self.driver.trim(), self.driver_info.trim()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Several lines: the summary, the driver and the limits that bound a grid.
    pub fn details(&self) -> String {
        format!(
            "{}\n  driver: {}\n  max buffer: {} B, max storage binding: {} B\n  \
             max workgroups per dimension: {}, max invocations per workgroup: {}",
            self.summary(),
            self.driver_line(),
            self.max_buffer_size,
            self.max_storage_buffer_binding_size,
            self.max_compute_workgroups_per_dimension,
            self.max_compute_invocations_per_workgroup,
        )
    }
}

impl fmt::Display for AdapterReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

fn instance(backends: wgpu::Backends) -> wgpu::Instance {
    // WGPU_BACKEND (e.g. "gl", "vulkan") replaces the set, as wgpu documents.
    let desc = wgpu::InstanceDescriptor {
        backends,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    }
    .with_env();
    wgpu::Instance::new(desc)
}

fn enumerate() -> Vec<wgpu::Adapter> {
    let all =
        wgpu::Backends::VULKAN | wgpu::Backends::GL | wgpu::Backends::METAL | wgpu::Backends::DX12;
    pollster::block_on(instance(all).enumerate_adapters(wgpu::Backends::all()))
}

/// Adapters of the native APIs only (Vulkan, Metal, DX12). Asked first, because
/// starting GL through EGL makes Mesa print warnings on machines without a display.
fn enumerate_native() -> Vec<wgpu::Adapter> {
    let native = wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12;
    pollster::block_on(instance(native).enumerate_adapters(wgpu::Backends::all()))
}

/// Every adapter wgpu finds, best first (the order `GpuContext::new` prefers).
pub fn list_adapters() -> Vec<AdapterReport> {
    let mut adapters = enumerate();
    adapters.sort_by_key(|a| rank(&Candidate::of(&a.get_info())));
    adapters.iter().map(AdapterReport::from_adapter).collect()
}

/// What adapter choice looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Candidate {
    name: String,
    backend: wgpu::Backend,
    device_type: wgpu::DeviceType,
}

impl Candidate {
    fn of(info: &wgpu::AdapterInfo) -> Candidate {
        Candidate {
            name: info.name.clone(),
            backend: info.backend,
            device_type: info.device_type,
        }
    }
}

/// Lower is better: discrete > integrated > virtual > other > cpu; then Vulkan first.
fn rank(info: &Candidate) -> (u8, u8) {
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    };
    let api = match info.backend {
        wgpu::Backend::Vulkan => 0,
        wgpu::Backend::Metal => 1,
        wgpu::Backend::Dx12 => 2,
        wgpu::Backend::Gl => 3,
        _ => 4,
    };
    (kind, api)
}

/// Picks the adapter from `infos` (index into it): honours the name filter, rejects
/// software adapters unless allowed, then takes the best rank.
fn choose(
    infos: &[Candidate],
    allow_software: bool,
    name_filter: Option<&str>,
) -> Result<usize, String> {
    let found = || {
        if infos.is_empty() {
            "wgpu found no adapter at all".to_string()
        } else {
            let names: Vec<String> = infos
                .iter()
                .map(|i| format!("{} [{:?}, {:?}]", i.name, i.backend, i.device_type))
                .collect();
            format!("found: {}", names.join("; "))
        }
    };
    let filter = name_filter.map(str::to_lowercase);
    let candidates = infos.iter().enumerate().filter(|(_, i)| {
        filter
            .as_deref()
            .is_none_or(|f| i.name.to_lowercase().contains(f))
    });
    let mut named = 0;
    let mut best: Option<(usize, (u8, u8))> = None;
    for (k, info) in candidates {
        named += 1;
        if !allow_software && info.device_type == wgpu::DeviceType::Cpu {
            continue;
        }
        let r = rank(info);
        if best.is_none_or(|(_, br)| r < br) {
            best = Some((k, r));
        }
    }
    match (best, filter) {
        (Some((k, _)), _) => Ok(k),
        (None, Some(f)) if named == 0 => Err(format!(
            "no adapter name contains \"{f}\" ({ADAPTER_ENV}); {}",
            found()
        )),
        (None, _) if named > 0 => Err(format!(
            "only software adapters, which the automatic choice passes over; {}",
            found()
        )),
        (None, _) => Err(found()),
    }
}

/// An adapter's device and queue, plus what the backend needs to know about them.
pub struct GpuContext {
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    device: wgpu::Device,
    queue: wgpu::Queue,
    /// The first uncaptured device error or device loss, for `check`.
    failure: Arc<Mutex<Option<String>>>,
}

impl GpuContext {
    /// Picks an adapter (see `list_adapters` for the order; `ONCOLATTICE_ADAPTER`
    /// narrows it by name) and creates its device. `allow_software = false` rejects
    /// CPU adapters such as llvmpipe.
    pub fn new(allow_software: bool) -> Result<GpuContext, EngineError> {
        super::quiet::quietly(|| GpuContext::probe(allow_software))
    }

    fn probe(allow_software: bool) -> Result<GpuContext, EngineError> {
        let filter = std::env::var(ADAPTER_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty());
        let pick = |adapters: &[wgpu::Adapter]| {
            let infos: Vec<Candidate> = adapters
                .iter()
                .map(|a| Candidate::of(&a.get_info()))
                .collect();
            choose(&infos, allow_software, filter.as_deref().map(str::trim))
        };
        // GL is probed only where no native API answers at all: a machine with a
        // working Vulkan loader has no better GL adapter.
        let native = enumerate_native();
        let adapters = if native.is_empty() {
            enumerate()
        } else {
            native
        };
        let k = pick(&adapters).map_err(EngineError::NoAdapter)?;
        GpuContext::from_adapter(&adapters[k])
    }

    /// Creates the device of a given adapter with the adapter's own limits, so that
    /// grids up to what the hardware allows work.
    pub fn from_adapter(adapter: &wgpu::Adapter) -> Result<GpuContext, EngineError> {
        let info = adapter.get_info();
        let desc = wgpu::DeviceDescriptor {
            label: Some("oncolattice.device"),
            // Timestamp queries only time `oncolattice bench`; taken where offered.
            required_features: adapter.features() & wgpu::Features::TIMESTAMP_QUERY,
            required_limits: adapter.limits(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&desc))
            .map_err(|e| EngineError::Device(format!("{} [{:?}]: {e}", info.name, info.backend)))?;
        Ok(GpuContext::from_device(info, device, queue))
    }

    /// Wraps a device the caller created (tests, embedding applications).
    /// Installs handlers that record validation errors and device loss, so that they
    /// surface as `EngineError::Gpu` from the backend rather than as a panic.
    pub fn from_device(
        info: wgpu::AdapterInfo,
        device: wgpu::Device,
        queue: wgpu::Queue,
    ) -> GpuContext {
        let limits = device.limits();
        let failure: Arc<Mutex<Option<String>>> = Arc::default();
        let record = |slot: &Arc<Mutex<Option<String>>>, message: String| {
            if let Ok(mut f) = slot.lock() {
                f.get_or_insert(message);
            }
        };
        let slot = Arc::clone(&failure);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| record(&slot, e.to_string())));
        let slot = Arc::clone(&failure);
        device.set_device_lost_callback(move |reason, message| {
            record(&slot, format!("device lost ({reason:?}): {message}"))
        });
        GpuContext {
            info,
            limits,
            device,
            queue,
            failure,
        }
    }

    /// The first device error or loss since the context was made, if any.
    pub fn check(&self) -> Result<(), EngineError> {
        match self.failure.lock() {
            Ok(f) => match f.as_ref() {
                Some(message) => Err(EngineError::Gpu(format!("{}: {message}", self.describe()))),
                None => Ok(()),
            },
            Err(_) => Err(EngineError::Gpu("device error state poisoned".into())),
        }
    }

    /// "name [Backend, Type]", e.g. "llvmpipe (LLVM 15.0.6, 256 bits) [Vulkan, Cpu]".
    pub fn describe(&self) -> String {
        format!(
            "{} [{:?}, {:?}]",
            self.info.name, self.info.backend, self.info.device_type
        )
    }

    pub fn info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// The device's limits (the adapter's, as requested).
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, backend: wgpu::Backend, device_type: wgpu::DeviceType) -> Candidate {
        Candidate {
            name: name.into(),
            backend,
            device_type,
        }
    }

    #[test]
    fn prefers_discrete_then_vulkan_and_filters_software() {
        use wgpu::{Backend as B, DeviceType as D};
        let infos = [
            info("llvmpipe", B::Vulkan, D::Cpu),
            info("igpu gl", B::Gl, D::IntegratedGpu),
            info("igpu vk", B::Vulkan, D::IntegratedGpu),
            info("llvmpipe", B::Gl, D::Cpu),
        ];
        assert_eq!(choose(&infos, false, None), Ok(2));
        assert_eq!(choose(&infos, true, Some("LLVM")), Ok(0));
        assert!(choose(&infos, false, Some("llvm"))
            .unwrap_err()
            .contains("software"));
        assert!(choose(&infos, true, Some("nvidia"))
            .unwrap_err()
            .contains("found: llvmpipe [Vulkan, Cpu]"));
        assert!(choose(&infos[..1], false, None).is_err());
        assert!(choose(&[], true, None).unwrap_err().contains("no adapter"));
    }
}
