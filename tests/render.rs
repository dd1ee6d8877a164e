//! The renderer on hand-made states: golden images of a 2D two-panel figure, a 3D
//! slice, a 3D projection and the CPU volume view; determinism; the projection rules;
//! and refused options.

mod render_common;

use image::RgbImage;
use oncolattice::engine::{BackendChoice, HostState};
use oncolattice::model::site::{Kind, Site};
use oncolattice::output::render::palette::{CYCLING, NECROTIC, VESSEL};
use oncolattice::output::render::{
    self, png_bytes, Axis, ColorMode, RenderError, RenderOptions, View, VolumeDevice,
};
use render_common::*;

fn draw(input: &render::RenderInput, opts: &RenderOptions) -> RgbImage {
    let mut device = VolumeDevice::new(BackendChoice::Cpu);
    match render::render(input, opts, &mut device, &mut |_, _| {}) {
        Ok(img) => img,
        Err(e) => panic!("render failed: {e}"),
    }
}

fn opts(panels: &[&str], view: Option<View>, size: Option<(u32, u32)>) -> RenderOptions {
    RenderOptions {
        panels: panels
            .iter()
            .map(|p| ColorMode::parse(p).unwrap())
            .collect(),
        view,
        size,
        backend: BackendChoice::Cpu,
        cutaway: false,
    }
}

fn cube() -> render::RenderInput {
    let s = lattice(32, 32, 32);
    let state = layered(&s, 11.0);
    input(s, state, 48)
}

#[test]
fn golden_2d_cells_and_oxygen() {
    let s = lattice(64, 48, 1);
    let state = layered(&s, 15.0);
    let img = draw(
        &input(s, state, 84),
        &opts(&["cells", "field:oxygen"], None, Some((400, 170))),
    );
    assert_eq!(img.dimensions(), (400, 170));
    assert_golden("cells_oxygen_2d", &img, 2, 0.002);
}

#[test]
fn golden_3d_slice() {
    let view = View::Slice {
        axis: Axis::X,
        k: 16,
    };
    let img = draw(&cube(), &opts(&["kind"], Some(view), Some((180, 180))));
    assert_golden("slice_x16_kind_3d", &img, 2, 0.002);
}

#[test]
fn golden_3d_projection() {
    let view = View::Project { axis: Axis::Z };
    let img = draw(
        &cube(),
        &opts(&["clone", "field:oxygen"], Some(view), Some((360, 180))),
    );
    assert_golden("project_z_clone_oxygen_3d", &img, 2, 0.002);
}

#[test]
fn golden_volume_cpu() {
    let mut o = opts(&["cells"], Some(View::Volume), Some((180, 180)));
    o.cutaway = true;
    let img = draw(&cube(), &o);
    // Colours come out of f32 arithmetic: allow rounding at the last bit.
    assert_golden("volume_cells_3d", &img, 3, 0.01);
    let bg = oncolattice::output::render::volume::BACKGROUND;
    assert_eq!(img.get_pixel(2, 176).0, bg, "a corner shows the background");
    assert_ne!(img.get_pixel(90, 90).0, bg, "the centre shows the tumour");
}

#[test]
fn rendering_is_deterministic() {
    let o = opts(&["cells", "field:oxygen", "trait:quiescent"], None, None);
    let a = png_bytes(&draw(&cube(), &o)).unwrap();
    let b = png_bytes(&draw(&cube(), &o)).unwrap();
    assert_eq!(a, b);
    let v = opts(&["clone"], Some(View::Volume), Some((96, 80)));
    assert_eq!(draw(&cube(), &v), draw(&cube(), &v));
}

#[test]
fn the_default_3d_view_is_the_mid_z_slice() {
    let mid = View::Slice {
        axis: Axis::Z,
        k: 16,
    };
    let a = draw(&cube(), &opts(&["cells"], None, None));
    let b = draw(&cube(), &opts(&["cells"], Some(mid), None));
    assert_eq!(a, b);
    // 32 sites at the frames' scale (19 px per site, nearest 600 px).
    assert_eq!(a.dimensions(), (608, 608));
}

/// A 1-pixel-per-site figure of a 12 × 10 × 6 lattice (no overlays at that size).
fn small_column_case() -> (render::RenderInput, usize) {
    let s = lattice(12, 10, 6);
    let n = s.site_count() as usize;
    let mut state = HostState::new(vec![Site::EMPTY; n], vec![5.0; n], 0);
    let at = |x: u32, y: u32, z: u32| (x + 12 * (y + 10 * z)) as usize;
    // Column (2, 3): a hot spot deep down.
    state.oxygen_mut()[at(2, 3, 1)] = 40.0;
    // Column (4, 4): vessel on top, tumour below: the tumour shows.
    state.sites[at(4, 4, 5)] = Site::vessel(1.0);
    state.sites[at(4, 4, 2)] = Site::tumour(0, 0, 10);
    // Column (6, 4): necrotic low, tumour high: the nearer (higher z) shows.
    state.sites[at(6, 4, 1)] = Site {
        w0: Kind::Necrotic as u32,
        ..Site::EMPTY
    };
    state.sites[at(6, 4, 4)] = Site::tumour(0, 0, 10);
    // Column (8, 4): necrotic only.
    state.sites[at(8, 4, 0)] = Site {
        w0: Kind::Necrotic as u32,
        ..Site::EMPTY
    };
    // Column (10, 4): vessel only.
    state.sites[at(10, 4, 3)] = Site::vessel(1.0);
    (input(s, state, 0), n)
}

#[test]
fn projections_show_the_maximum_and_the_nearest_tumour_site() {
    let (inp, _) = small_column_case();
    let view = Some(View::Project { axis: Axis::Z });
    // Image row of lattice y is 9 - y (y up).
    let field = draw(&inp, &opts(&["field:oxygen"], view, Some((12, 10))));
    let hot = oncolattice::output::render::colormap::Colormap::Viridis.at(1.0);
    assert_eq!(field.get_pixel(2, 9 - 3).0, hot);
    assert_ne!(field.get_pixel(3, 9 - 3).0, hot);
    let kind = draw(&inp, &opts(&["kind"], view, Some((12, 10))));
    assert_eq!(kind.get_pixel(4, 5).0, CYCLING);
    assert_eq!(kind.get_pixel(6, 5).0, CYCLING);
    assert_eq!(kind.get_pixel(8, 5).0, NECROTIC);
    assert_eq!(kind.get_pixel(10, 5).0, VESSEL);
}

#[test]
fn slices_along_x_and_y_take_the_right_sites() {
    let (inp, _) = small_column_case();
    // x = 6: image (u, v) = (y, z); the tumour at (6, 4, 4) is at u = 4, row 5 - 4.
    let x = draw(
        &inp,
        &opts(
            &["kind"],
            Some(View::Slice {
                axis: Axis::X,
                k: 6,
            }),
            Some((10, 6)),
        ),
    );
    assert_eq!(x.get_pixel(4, 1).0, CYCLING);
    assert_eq!(x.get_pixel(4, 5 - 1).0, NECROTIC);
    // y = 4: image (u, v) = (x, z); the vessel at (10, 4, 3) is at u = 10, row 2.
    let y = draw(
        &inp,
        &opts(
            &["kind"],
            Some(View::Slice {
                axis: Axis::Y,
                k: 4,
            }),
            Some((12, 6)),
        ),
    );
    assert_eq!(y.get_pixel(10, 2).0, VESSEL);
}

fn refused(inp: &render::RenderInput, o: &RenderOptions) -> String {
    let mut device = VolumeDevice::new(BackendChoice::Cpu);
    match render::render(inp, o, &mut device, &mut |_, _| {}) {
        Ok(_) => panic!("rendering should have been refused"),
        Err(e) => {
            assert!(e.is_bad_input(), "{e}");
            assert!(matches!(e, RenderError::Input(_)));
            e.to_string()
        }
    }
}

#[test]
fn unknown_colours_and_slices_outside_the_lattice_are_refused() {
    let inp = cube();
    let msg = refused(&inp, &opts(&["trait:nope"], None, None));
    for name in ["cells", "kind", "clone", "trait:quiescent", "field:oxygen"] {
        assert!(msg.contains(name), "{msg}");
    }
    let msg = refused(&inp, &opts(&["field:quiescent"], None, None));
    assert!(msg.contains("allowed"), "{msg}");
    let msg = refused(
        &inp,
        &opts(
            &["cells"],
            Some(View::Slice {
                axis: Axis::Z,
                k: 32,
            }),
            None,
        ),
    );
    assert!(msg.contains("0 to 31"), "{msg}");
    let flat = lattice(20, 20, 1);
    let state = layered(&flat, 5.0);
    let flat = input(flat, state, 0);
    assert!(refused(&flat, &opts(&["cells"], Some(View::Volume), None)).contains("3D"));
    assert!(refused(
        &flat,
        &opts(&["cells"], Some(View::Project { axis: Axis::Z }), None)
    )
    .contains("3D"));
}

#[test]
fn option_strings_parse_or_explain() {
    assert_eq!(render::parse_size("640x360"), Ok((640, 360)));
    assert!(render::parse_size("640")
        .unwrap_err()
        .contains("WIDTHxHEIGHT"));
    assert!(render::parse_slice("q=3")
        .unwrap_err()
        .contains("x, y or z"));
    assert!(render::parse_panels("cells,nope")
        .unwrap_err()
        .contains("nope"));
}

#[test]
fn the_legend_and_colour_bar_are_drawn() {
    let s = lattice(64, 48, 1);
    let state = layered(&s, 15.0);
    let img = draw(
        &input(s, state, 84),
        &opts(&["cells", "field:oxygen"], None, Some((400, 170))),
    );
    // The colour bar, top right of the right panel, runs through viridis; the legend
    // of the left panel shows its swatches; labels are white.
    let viridis = oncolattice::output::render::colormap::Colormap::Viridis;
    let close = |a: [u8; 3], b: [u8; 3]| (0..3).all(|k| a[k].abs_diff(b[k]) <= 12);
    for t in [0.25, 0.5, 0.75, 0.97] {
        let c = viridis.at(t);
        let found = (330..400)
            .flat_map(|x| (0..90).map(move |y| (x, y)))
            .any(|(x, y)| close(img.get_pixel(x, y).0, c));
        assert!(found, "the colour bar shows viridis at {t}");
    }
    assert!(
        share_of(&img, [255, 255, 255]) > 0.005,
        "white overlay text"
    );
    let quiescent = oncolattice::output::render::palette::QUIESCENT;
    assert!(share_of(&img, quiescent) > 0.0);
}
