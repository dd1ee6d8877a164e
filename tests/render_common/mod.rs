//! Helpers of the render and plot tests: hand-made lattice states (independent of the
//! simulation, so golden images change only when drawing changes) and golden-image
//! comparison with a tolerance.
//!
//! A golden image lives in tests/golden/NAME.png. On a mismatch the test writes
//! target/golden-failures/NAME.actual.png and NAME.diff.png (differing pixels in
//! red over a faded copy) and fails. `ONCOLATTICE_BLESS=1` rewrites the goldens.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use image::RgbImage;
use oncolattice::engine::HostState;
use oncolattice::model::site::{Kind, Site, QUIESCENT_BIT};
use oncolattice::output::render::RenderInput;
use oncolattice::scene::Scene;
use std::path::{Path, PathBuf};

pub fn scene(toml: &str) -> Scene {
    match Scene::parse(toml, Path::new("test-scene.toml")) {
        Ok(s) => s,
        Err(e) => panic!("test scene is invalid: {e}"),
    }
}

/// A lattice of `nx × ny × nz` sites of 20 µm with blood at 40 mmHg.
pub fn lattice(nx: u32, ny: u32, nz: u32) -> Scene {
    scene(&format!(
        "seed = 5\n[lattice]\nnx = {nx}\nny = {ny}\nnz = {nz}\nsite_size_um = 20.0\n\
         [oxygen]\nvessel_po2_mmhg = 40.0\n"
    ))
}

/// A layered tumour around the lattice centre: necrotic core (r < 0.2 R), quiescent
/// shell (r < 0.55 R), cycling rim (r < R), with four clones by quadrant; vessels
/// on a grid every 9 sites with perfusion falling across x; oxygen rising from
/// 2 mmHg at the centre to 40 mmHg far away.
pub fn layered(scene: &Scene, radius: f64) -> HostState {
    let l = &scene.lattice;
    let (cx, cy, cz) = (
        l.nx as f64 / 2.0 - 0.5,
        l.ny as f64 / 2.0 - 0.5,
        l.nz as f64 / 2.0 - 0.5,
    );
    let n = scene.site_count() as usize;
    let mut sites = vec![Site::EMPTY; n];
    let mut oxygen = vec![0.0f32; n];
    for z in 0..l.nz {
        for y in 0..l.ny {
            for x in 0..l.nx {
                let i = (x + l.nx * (y + l.ny * z)) as usize;
                let (dx, dy, dz) = (x as f64 - cx, y as f64 - cy, z as f64 - cz);
                let r = (dx * dx + dy * dy + dz * dz).sqrt();
                let clone = (dx >= 0.0) as u16 + 2 * (dy >= 0.0) as u16;
                oxygen[i] = (2.0 + 38.0 * (1.0 - (-r / (0.8 * radius)).exp())) as f32;
                sites[i] = if r < 0.2 * radius {
                    Site {
                        w0: Kind::Necrotic as u32 | (clone as u32) << 16,
                        ..Site::EMPTY
                    }
                } else if r < 0.55 * radius {
                    let mut s = Site::tumour(clone, 3, 20);
                    s.w0 |= QUIESCENT_BIT;
                    s
                } else if r < radius {
                    Site::tumour(clone, (x % 7) as u16, 20)
                } else if x % 9 == 4 && y % 9 == 4 && (l.nz == 1 || z % 9 == 4) {
                    Site::vessel(1.0 - x as f64 / l.nx as f64)
                } else {
                    Site::EMPTY
                };
            }
        }
    }
    HostState::new(sites, oxygen, 0)
}

pub fn input(scene: Scene, state: HostState, tick: u64) -> RenderInput {
    RenderInput { scene, state, tick }
}

fn failures_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/golden-failures");
    std::fs::create_dir_all(&dir).expect("target/golden-failures");
    dir
}

/// Pixels differ when a channel differs by more than `channel_tol`; at most
/// `max_bad_fraction` of the pixels may differ.
pub fn compare(a: &RgbImage, b: &RgbImage, channel_tol: u8) -> (usize, RgbImage) {
    assert_eq!(a.dimensions(), b.dimensions(), "image sizes differ");
    let mut diff = RgbImage::new(a.width(), a.height());
    let mut bad = 0;
    for (x, y, pa) in a.enumerate_pixels() {
        let pb = b.get_pixel(x, y);
        let d = (0..3).map(|c| pa[c].abs_diff(pb[c])).max().unwrap();
        let faded = pa.0.map(|v| 192 + v / 4);
        if d > channel_tol {
            bad += 1;
            diff.put_pixel(x, y, image::Rgb([255, 0, 0]));
        } else {
            diff.put_pixel(x, y, image::Rgb(faded));
        }
    }
    (bad, diff)
}

/// Compares `img` with tests/golden/NAME.png.
pub fn assert_golden(name: &str, img: &RgbImage, channel_tol: u8, max_bad_fraction: f64) {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.png"));
    if std::env::var("ONCOLATTICE_BLESS").is_ok_and(|v| v == "1") {
        img.save(&golden).expect("write golden");
        return;
    }
    let expected = match image::open(&golden) {
        Ok(i) => i.to_rgb8(),
        Err(e) => {
            let actual = failures_dir().join(format!("{name}.actual.png"));
            img.save(&actual).unwrap();
            panic!(
                "{}: {e}; the image drawn is in {} (ONCOLATTICE_BLESS=1 makes it the golden)",
                golden.display(),
                actual.display()
            );
        }
    };
    if expected.dimensions() != img.dimensions() {
        let actual = failures_dir().join(format!("{name}.actual.png"));
        img.save(&actual).unwrap();
        panic!(
            "{name}: size {:?}, golden {:?}; actual in {}",
            img.dimensions(),
            expected.dimensions(),
            actual.display()
        );
    }
    let (bad, diff) = compare(img, &expected, channel_tol);
    let allowed = (max_bad_fraction * (img.width() * img.height()) as f64) as usize;
    if bad > allowed {
        let dir = failures_dir();
        img.save(dir.join(format!("{name}.actual.png"))).unwrap();
        diff.save(dir.join(format!("{name}.diff.png"))).unwrap();
        panic!(
            "{name}: {bad} pixels differ by more than {channel_tol} (allowed {allowed}); \
             see {}/{name}.actual.png and {name}.diff.png",
            dir.display()
        );
    }
}

/// Fraction of pixels equal to `c`.
pub fn share_of(img: &RgbImage, c: [u8; 3]) -> f64 {
    img.pixels().filter(|p| p.0 == c).count() as f64 / (img.width() * img.height()) as f64
}
