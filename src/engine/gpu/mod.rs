//! The wgpu backend.

pub mod shaders;

use super::{Backend, BackendInfo, EngineError, HostState, KernelIo, Pass, SolveStats, TickReport};
use crate::model::params::{FieldParams, SimParams, SweepParams};
use crate::scene::Scene;
use std::sync::Arc;

/// Placeholder until the wgpu backend lands.
pub struct GpuContext;

impl GpuContext {
    pub fn new(_allow_software: bool) -> Result<GpuContext, EngineError> {
        Err(EngineError::NoAdapter("GPU backend not built yet".into()))
    }
    pub fn describe(&self) -> String {
        String::new()
    }
}

pub struct GpuBackend;

impl GpuBackend {
    pub fn new(_ctx: Arc<GpuContext>, _scene: &Scene) -> Result<GpuBackend, EngineError> {
        Err(EngineError::NoAdapter("GPU backend not built yet".into()))
    }
}

impl Backend for GpuBackend {
    fn info(&self) -> BackendInfo {
        unimplemented!()
    }
    fn upload(&mut self, _: &HostState) -> Result<(), EngineError> {
        unimplemented!()
    }
    fn download(&mut self) -> Result<HostState, EngineError> {
        unimplemented!()
    }
    fn solve_blocking(
        &mut self,
        _: &SimParams,
        _: &FieldParams,
    ) -> Result<SolveStats, EngineError> {
        unimplemented!()
    }
    fn tick(&mut self, _: &SimParams, _: &FieldParams, _: bool) -> Result<(), EngineError> {
        unimplemented!()
    }
    fn poll_reports(&mut self, _: bool) -> Result<Vec<TickReport>, EngineError> {
        unimplemented!()
    }
    fn run_pass(
        &mut self,
        _: Pass,
        _: &SimParams,
        _: &FieldParams,
        _: &SweepParams,
        _: &mut KernelIo,
    ) -> Result<(), EngineError> {
        unimplemented!()
    }
}
