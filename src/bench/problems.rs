//! The standard problems of `oncolattice bench`, from the scenes in `scenes/bench/`
//! (compiled in, so the command runs from any directory).

use crate::scene::{Scene, SceneError};
use std::path::Path;

/// Which problems to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Size {
    /// 2D 128² and 3D 32³: seconds, for CI and laptops.
    Small,
    /// 2D 1024² and 3D 128³.
    Medium,
    /// Medium and 3D 256³.
    Large,
    /// 2D 128² with cytotoxic T cells (`[immune]`), about 5 % of the occupied sites:
    /// the cost of the T cells' passes. Opt-in, in none of the sizes above.
    Immune,
}

/// One standard problem.
#[derive(Debug, Clone, Copy)]
pub struct Problem {
    pub name: &'static str,
    /// The scene's TOML (from `scenes/bench/<name>.toml`).
    pub toml: &'static str,
    /// Ticks the tumour grows (after the initial solve) before timing starts.
    pub grow_ticks: u32,
}

impl Problem {
    pub fn scene(&self) -> Result<Scene, SceneError> {
        Scene::parse(
            self.toml,
            Path::new(&format!("scenes/bench/{}.toml", self.name)),
        )
    }
}

const SMALL_2D: Problem = Problem {
    name: "2d-128",
    toml: include_str!("../../scenes/bench/2d-128.toml"),
    grow_ticks: 4,
};
const SMALL_3D: Problem = Problem {
    name: "3d-32",
    toml: include_str!("../../scenes/bench/3d-32.toml"),
    grow_ticks: 4,
};
const MEDIUM_2D: Problem = Problem {
    name: "2d-1024",
    toml: include_str!("../../scenes/bench/2d-1024.toml"),
    grow_ticks: 4,
};
const MEDIUM_3D: Problem = Problem {
    name: "3d-128",
    toml: include_str!("../../scenes/bench/3d-128.toml"),
    grow_ticks: 4,
};
const LARGE_3D: Problem = Problem {
    name: "3d-256",
    toml: include_str!("../../scenes/bench/3d-256.toml"),
    grow_ticks: 2,
};

/// 2d-128 with T cells: recruited in the grow phase, ≈ 5 % of the occupied sites
/// when timing starts (tests/bench_immune.rs checks the share).
const IMMUNE_2D: Problem = Problem {
    name: "2d-128-immune",
    toml: include_str!("../../scenes/bench/2d-128-immune.toml"),
    grow_ticks: 8,
};

/// The problems of a size, smallest first.
pub fn problems(size: Size) -> Vec<Problem> {
    match size {
        Size::Small => vec![SMALL_2D, SMALL_3D],
        Size::Medium => vec![MEDIUM_2D, MEDIUM_3D],
        Size::Large => vec![MEDIUM_2D, MEDIUM_3D, LARGE_3D],
        Size::Immune => vec![IMMUNE_2D],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scene_parses_with_two_drugs() {
        for size in [Size::Small, Size::Large] {
            for p in problems(size) {
                let scene = p.scene().unwrap_or_else(|e| panic!("{}: {e}", p.name));
                assert_eq!(scene.drugs.len(), 2, "{}", p.name);
                assert!(
                    scene.immune.is_none(),
                    "{}: T cells only in size immune",
                    p.name
                );
            }
        }
    }

    #[test]
    fn the_immune_problem_is_2d_128_with_t_cells() {
        let [p] = problems(Size::Immune)[..] else {
            panic!("one immune problem");
        };
        let scene = p.scene().unwrap_or_else(|e| panic!("{}: {e}", p.name));
        assert_eq!(
            (scene.lattice.nx, scene.lattice.ny, scene.lattice.nz),
            (128, 128, 1)
        );
        assert_eq!(scene.drugs.len(), 2);
        let im = crate::model::immune::ImmuneParams::from_scene(&scene);
        assert_eq!((im.enabled, im.moves_per_tick), (1, 15));
    }
}
