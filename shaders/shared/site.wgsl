// The packed per-site record: laid out in src/model/site.rs (its table says what each
// kind's payload words hold); every mask and shift comes from the generated constants.

struct Site {
    w0: u32,
    w1: u32,
    w2: u32,
    w3: u32,
}

fn kind_of(s: Site) -> u32 {
    return s.w0 & KIND_MASK;
}

fn perfusion_of(s: Site) -> f32 {
    return f32(s.w1 & LOW16) * (1.0 / 65535.0);
}

// What a field sweep reads of a site, in 4 bytes instead of 16: the low half of w0
// (kind and flags, which field terms are gated by), and in the high half a vessel's
// perfusion (0 for other kinds). Keep in sync with Site::solve_code in src/model/site.rs.
fn solve_code(s: Site) -> u32 {
    let kind = kind_of(s);
    return (s.w0 & LOW16) | select(0u, (s.w1 & LOW16) << HALF_SHIFT, kind == KIND_VESSEL);
}

fn code_kind(code: u32) -> u32 {
    return code & KIND_MASK;
}

// Equals perfusion_of(s) for the site the code came from, to the bit.
fn code_perfusion(code: u32) -> f32 {
    return f32(code >> HALF_SHIFT) * (1.0 / 65535.0);
}
