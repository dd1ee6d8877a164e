// Lattice geometry. Keep in sync with src/model/lattice.rs.
// Requires params.wgsl (SimParams `sim`).

fn site_coords(i: u32) -> vec3<u32> {
    let x = i % sim.nx;
    let yz = i / sim.nx;
    return vec3<u32>(x, yz % sim.ny, yz / sim.ny);
}

fn site_index(c: vec3<u32>) -> u32 {
    return c.x + sim.nx * (c.y + sim.ny * c.z);
}

// Offsets of the 3×3×3 block in canonical order (dz, dy, dx ascending, as in
// Grid::cell_offsets); loop k over 0..NEIGHBOUR_SLOTS and skip those not in_neighbourhood.

fn offset_of(k: u32) -> vec3<i32> {
    return vec3<i32>(i32(k % 3u) - 1, i32((k / 3u) % 3u) - 1, i32(k / 9u) - 1);
}

// Whether offset (dx, dy, dz) belongs to the cell neighbourhood (canonical order is
// dz, dy, dx ascending, as in Grid::cell_offsets).
fn in_neighbourhood(d: vec3<i32>) -> bool {
    let manhattan = abs(d.x) + abs(d.y) + abs(d.z);
    if manhattan == 0 {
        return false;
    }
    if sim.nz == 1u && d.z != 0 {
        return false;
    }
    return sim.moore == 1u || manhattan == 1;
}

// The neighbour of c at offset d, or NO_SITE outside the lattice.
fn neighbour_at(c: vec3<u32>, d: vec3<i32>) -> u32 {
    let p = vec3<i32>(c) + d;
    if p.x < 0 || p.y < 0 || p.z < 0 || p.x >= i32(sim.nx) || p.y >= i32(sim.ny) || p.z >= i32(sim.nz) {
        return NO_SITE;
    }
    return site_index(vec3<u32>(p));
}
