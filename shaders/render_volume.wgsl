// The volume view of `oncolattice render --volume`: one thread per pixel marches an
// orthographic ray through per-site colours front to back, lit from the gradient of
// opacity. Written alike with `march` in src/output/render/volume.rs (the CPU path);
// both work in f32 and agree within rounding.

// Keep in sync with `VolumeParams` in src/output/render/volume.rs.
struct VolumeParams {
    width: u32,
    height: u32,
    nx: u32,
    ny: u32,
    nz: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    origin: vec4<f32>,
    right: vec4<f32>,
    down: vec4<f32>,
    dir: vec4<f32>,
    light: vec4<f32>,
    background: vec4<f32>,
    // w = 1: leave out the octant x >= cut.x, y < cut.y, z >= cut.z.
    cut: vec4<f32>,
    step: f32,
    ambient: f32,
    min_transmittance: f32,
    _pad3: f32,
}

@group(0) @binding(0) var<uniform> params: VolumeParams;
// r | g << 8 | b << 16 | opacity << 24 per site, x fastest.
@group(0) @binding(1) var<storage, read> sites: array<u32>;
// The image, packed the same way (opacity 255), row 0 at the top.
@group(0) @binding(2) var<storage, read_write> pixels: array<u32>;

const F32_MAX: f32 = 3.40282347e+38;

fn site_index(x: i32, y: i32, z: i32) -> u32 {
    return u32(x) + params.nx * (u32(y) + params.ny * u32(z));
}

fn is_cut(x: i32, y: i32, z: i32) -> bool {
    let c = params.cut;
    return c.w > 0.0 && f32(x) >= c.x && f32(y) < c.y && f32(z) >= c.z;
}

fn alpha_at(x: i32, y: i32, z: i32) -> f32 {
    if is_cut(x, y, z) {
        return 0.0;
    }
    if x < 0 || y < 0 || z < 0 || x >= i32(params.nx) || y >= i32(params.ny) || z >= i32(params.nz) {
        return 0.0;
    }
    return f32(sites[site_index(x, y, z)] >> 24u) / 255.0;
}

fn pack_rgb(c: vec3<f32>) -> u32 {
    let q = vec3<u32>(floor(clamp(c, vec3<f32>(0.0), vec3<f32>(1.0)) * 255.0 + 0.5));
    return q.x | (q.y << 8u) | (q.z << 16u) | (255u << 24u);
}

fn march(px: u32, py: u32) -> u32 {
    let fx = f32(px) + 0.5;
    let fy = f32(py) + 0.5;
    let o = params.origin.xyz + params.right.xyz * fx + params.down.xyz * fy;
    let d = params.dir.xyz;
    let n = vec3<f32>(f32(params.nx), f32(params.ny), f32(params.nz));
    var t0 = 0.0;
    var t1 = F32_MAX;
    for (var i = 0; i < 3; i++) {
        let inv = 1.0 / d[i];
        let a = (0.0 - o[i]) * inv;
        let b = (n[i] - o[i]) * inv;
        t0 = max(t0, min(a, b));
        t1 = min(t1, max(a, b));
    }
    let bg = params.background.xyz;
    if t1 <= t0 {
        return pack_rgb(bg);
    }
    var colour = vec3<f32>(0.0);
    var trans = 1.0;
    let steps = u32(ceil((t1 - t0) / params.step));
    for (var k = 0u; k < steps; k++) {
        let t = t0 + (f32(k) + 0.5) * params.step;
        let x = clamp(i32(floor(o.x + d.x * t)), 0, i32(params.nx) - 1);
        let y = clamp(i32(floor(o.y + d.y * t)), 0, i32(params.ny) - 1);
        let z = clamp(i32(floor(o.z + d.z * t)), 0, i32(params.nz) - 1);
        if is_cut(x, y, z) {
            continue;
        }
        let s = sites[site_index(x, y, z)];
        let a = f32(s >> 24u) / 255.0;
        if a <= 0.0 {
            continue;
        }
        let g = vec3<f32>(
            alpha_at(x + 1, y, z) - alpha_at(x - 1, y, z),
            alpha_at(x, y + 1, z) - alpha_at(x, y - 1, z),
            alpha_at(x, y, z + 1) - alpha_at(x, y, z - 1),
        );
        let len = sqrt(g.x * g.x + g.y * g.y + g.z * g.z);
        var shade = 1.0;
        if len > 0.0 {
            let lambert = -(g.x * params.light.x + g.y * params.light.y + g.z * params.light.z) / len;
            shade = params.ambient + (1.0 - params.ambient) * max(lambert, 0.0);
        }
        let rgb = vec3<f32>(f32(s & 255u), f32((s >> 8u) & 255u), f32((s >> 16u) & 255u)) / 255.0;
        colour += trans * a * shade * rgb;
        trans *= 1.0 - a;
        if trans < params.min_transmittance {
            break;
        }
    }
    return pack_rgb(colour + trans * bg);
}

@compute @workgroup_size(8, 8, 1)
fn render_volume(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.width || id.y >= params.height {
        return;
    }
    pixels[id.x + params.width * id.y] = march(id.x, id.y);
}
