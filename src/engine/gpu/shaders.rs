//! WGSL sources: one file per kernel in `shaders/`, shared code in `shaders/shared/`
//! pulled in by `#import name` lines (each module once), then parsed and validated
//! with naga so a broken shader fails without a GPU. Every kernel starts with the
//! constants generated from Rust (`model::shader_constants`); no `.wgsl` file holds
//! a copy of one.

/// The tick's kernels, in pass order, plus test-only probes and the renderer's volume
/// kernel (`render_volume`, used by `output::render`). Entry point = file name.
pub const TICK_KERNELS: [&str; 7] = [
    "field_sweep",
    "field_guard",
    "cells",
    "resolve",
    "clone_assign",
    "immune_moves",
    "census",
];
pub const ALL_KERNELS: [&str; 9] = [
    "field_guard",
    "field_sweep",
    "cells",
    "resolve",
    "clone_assign",
    "immune_moves",
    "census",
    "rng_probe",
    "render_volume",
];

const KERNEL_SOURCES: [(&str, &str); 9] = [
    (
        "field_guard",
        include_str!("../../../shaders/field_guard.wgsl"),
    ),
    (
        "field_sweep",
        include_str!("../../../shaders/field_sweep.wgsl"),
    ),
    ("cells", include_str!("../../../shaders/cells.wgsl")),
    ("resolve", include_str!("../../../shaders/resolve.wgsl")),
    (
        "clone_assign",
        include_str!("../../../shaders/clone_assign.wgsl"),
    ),
    (
        "immune_moves",
        include_str!("../../../shaders/immune_moves.wgsl"),
    ),
    ("census", include_str!("../../../shaders/census.wgsl")),
    ("rng_probe", include_str!("../../../shaders/rng_probe.wgsl")),
    (
        "render_volume",
        include_str!("../../../shaders/render_volume.wgsl"),
    ),
];

const SHARED_SOURCES: [(&str, &str); 9] = [
    ("drugs", include_str!("../../../shaders/shared/drugs.wgsl")),
    (
        "params",
        include_str!("../../../shaders/shared/params.wgsl"),
    ),
    ("site", include_str!("../../../shaders/shared/site.wgsl")),
    ("rng", include_str!("../../../shaders/shared/rng.wgsl")),
    (
        "lattice",
        include_str!("../../../shaders/shared/lattice.wgsl"),
    ),
    (
        "bindings",
        include_str!("../../../shaders/shared/bindings.wgsl"),
    ),
    (
        "immune",
        include_str!("../../../shaders/shared/immune.wgsl"),
    ),
    (
        "scene_lone",
        include_str!("../../../shaders/shared/scene_lone.wgsl"),
    ),
    (
        "scene_packed",
        include_str!("../../../shaders/shared/scene_packed.wgsl"),
    ),
];

/// The module `#import scene_params` pulls in: how the kernels read group 0's per-scene
/// parameters (`Flavour`).
const SCENE_PARAMS: &str = "scene_params";

/// How the kernels read each scene's parameters (`SimParams`, the field descriptors, the
/// drug set): a lone run, a pack of one, from uniforms (shaders/shared/scene_lone.wgsl);
/// a pack of several from storage arrays indexed by the scene (scene_packed.wgsl). The
/// arithmetic is the same, so a scene's results are too; on a SIMD device a uniform is
/// read once for every lane (BENCHMARKS.md, "Many scenes per GPU dispatch").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Lone,
    Packed,
}

impl Flavour {
    pub const ALL: [Flavour; 2] = [Flavour::Lone, Flavour::Packed];

    /// The flavour of a pack of `scenes` scenes.
    pub fn of_pack(scenes: u32) -> Flavour {
        if scenes <= 1 {
            Flavour::Lone
        } else {
            Flavour::Packed
        }
    }

    fn module(self) -> &'static str {
        match self {
            Flavour::Lone => "scene_lone",
            Flavour::Packed => "scene_packed",
        }
    }
}

/// The module `#import counters` pulls in: the census's counting function, generated
/// from the counter table (`model::counters::wgsl`).
const GENERATED_COUNTERS: &str = "counters";

#[derive(Debug, thiserror::Error)]
pub enum ShaderError {
    #[error("no kernel named {0}")]
    UnknownKernel(String),
    #[error("{kernel}: #import of unknown module {module}")]
    UnknownImport { kernel: String, module: String },
    #[error("{kernel}: WGSL parse error: {message}")]
    Parse { kernel: String, message: String },
    #[error("{kernel}: WGSL validation error: {message}")]
    Validate { kernel: String, message: String },
}

/// The kernel's full WGSL with its imports expanded, for a lone run.
pub fn source(kernel: &str) -> Result<String, ShaderError> {
    flavoured_source(kernel, Flavour::Lone)
}

/// The kernel's full WGSL with its imports expanded, reading the scene parameters as
/// `flavour` says.
pub fn flavoured_source(kernel: &str, flavour: Flavour) -> Result<String, ShaderError> {
    let text = KERNEL_SOURCES
        .iter()
        .find(|(name, _)| *name == kernel)
        .map(|(_, text)| *text)
        .ok_or_else(|| ShaderError::UnknownKernel(kernel.to_string()))?;
    let mut seen = Vec::new();
    let mut out = crate::model::shader_constants::wgsl();
    expand(kernel, flavour, text, &mut seen, &mut out)?;
    Ok(out)
}

fn expand(
    kernel: &str,
    flavour: Flavour,
    text: &str,
    seen: &mut Vec<String>,
    out: &mut String,
) -> Result<(), ShaderError> {
    for line in text.lines() {
        if let Some(module) = line.trim().strip_prefix("#import ") {
            let module = match module.trim() {
                SCENE_PARAMS => flavour.module(),
                other => other,
            };
            if seen.iter().any(|m| m == module) {
                continue;
            }
            let shared = SHARED_SOURCES
                .iter()
                .find(|(name, _)| *name == module)
                .map(|(_, t)| *t)
                .or((module == GENERATED_COUNTERS).then_some(""))
                .ok_or_else(|| ShaderError::UnknownImport {
                    kernel: kernel.to_string(),
                    module: module.to_string(),
                })?;
            seen.push(module.to_string());
            if module == GENERATED_COUNTERS {
                out.push_str(&crate::model::counters::wgsl());
                continue;
            }
            expand(kernel, flavour, shared, seen, out)?;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(())
}

/// Parses and validates one kernel (lone flavour) with naga, returning the module for
/// reflection.
pub fn validated_module(
    kernel: &str,
) -> Result<(naga::Module, naga::valid::ModuleInfo), ShaderError> {
    validated_flavour(kernel, Flavour::Lone)
}

/// `validated_module` for the kernel in `flavour`.
pub fn validated_flavour(
    kernel: &str,
    flavour: Flavour,
) -> Result<(naga::Module, naga::valid::ModuleInfo), ShaderError> {
    let text = flavoured_source(kernel, flavour)?;
    let module = naga::front::wgsl::parse_str(&text).map_err(|e| ShaderError::Parse {
        kernel: kernel.to_string(),
        message: e.emit_to_string(&text),
    })?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .map_err(|e| ShaderError::Validate {
        kernel: kernel.to_string(),
        message: e.emit_to_string(&text),
    })?;
    Ok((module, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kernel_parses_and_validates() {
        for kernel in ALL_KERNELS {
            for flavour in Flavour::ALL {
                if let Err(e) = validated_flavour(kernel, flavour) {
                    panic!("{flavour:?}: {e}");
                }
            }
        }
    }

    /// Module-scope `const` names declared by the `.wgsl` files themselves.
    fn declared_consts() -> Vec<(String, &'static str)> {
        KERNEL_SOURCES
            .iter()
            .chain(SHARED_SOURCES.iter())
            .flat_map(|(file, text)| {
                text.lines()
                    .filter_map(|l| l.strip_prefix("const "))
                    .filter_map(|rest| rest.split(':').next())
                    .map(move |name| (name.trim().to_string(), *file))
            })
            .collect()
    }

    #[test]
    fn no_shader_keeps_its_own_copy_of_a_shared_constant() {
        let shared: Vec<String> = crate::model::shader_constants::all()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let own = declared_consts();
        for (name, file) in &own {
            assert!(
                !shared.contains(name),
                "{file}.wgsl declares {name}, which is generated from Rust"
            );
        }
        // What the shaders may keep: constants no Rust code knows.
        let names: Vec<&str> = own.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["F32_MAX"], "WGSL-only constants changed");
    }

    #[test]
    fn imports_are_expanded_once() {
        let text = source("cells").unwrap();
        assert_eq!(text.matches("struct SimParams").count(), 1);
        assert!(!text.contains("#import"));
    }

    #[test]
    fn a_lone_run_reads_uniforms_and_a_pack_reads_arrays_by_scene() {
        let lone = flavoured_source("field_sweep", Flavour::Lone).unwrap();
        assert!(lone.contains("var<uniform> sim: SimParams;"));
        assert!(lone.contains("var<uniform> fields: array<FieldParams, MAX_FIELDS>;"));
        assert!(!lone.contains("var<storage, read> sims"));
        let packed = flavoured_source("field_sweep", Flavour::Packed).unwrap();
        assert!(packed.contains("var<storage, read> sims: array<SimParams>;"));
        assert!(packed.contains("var<private> sim: SimParams;"));
        assert!(!packed.contains("var<uniform> sim:"));
        assert_eq!(Flavour::of_pack(1), Flavour::Lone);
        assert_eq!(Flavour::of_pack(2), Flavour::Packed);
    }
}
