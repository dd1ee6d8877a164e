// The packed per-site record. Keep in sync with src/model/site.rs.
// w0: bits 0-1 kind, bit 2 quiescent, bits 16-31 clone id
// w1: tumour: bits 0-15 ticks into the cycle, 16-31 cycle length; vessel: bits 0-15 perfusion
// w2: bits 0-15 consecutive anoxic ticks
// w3: reserved for heritable traits

struct Site {
    w0: u32,
    w1: u32,
    w2: u32,
    w3: u32,
}

const KIND_EMPTY: u32 = 0u;
const KIND_TUMOUR: u32 = 1u;
const KIND_NECROTIC: u32 = 2u;
const KIND_VESSEL: u32 = 3u;
const KIND_MASK: u32 = 3u;
const QUIESCENT_BIT: u32 = 4u;
const LOW16: u32 = 0xffffu;
const HIGH16: u32 = 0xffff0000u;
const NO_SITE: u32 = 0xffffffffu;

fn kind_of(s: Site) -> u32 {
    return s.w0 & KIND_MASK;
}

fn perfusion_of(s: Site) -> f32 {
    return f32(s.w1 & LOW16) * (1.0 / 65535.0);
}

// What a field sweep reads of a site, in 4 bytes instead of 16: bits 0-1 the kind,
// bits 16-31 a vessel's perfusion (0 for other kinds). Keep in sync with
// Site::solve_code in src/model/site.rs.
fn solve_code(s: Site) -> u32 {
    let kind = kind_of(s);
    return kind | select(0u, (s.w1 & LOW16) << 16u, kind == KIND_VESSEL);
}

fn code_kind(code: u32) -> u32 {
    return code & KIND_MASK;
}

// Equals perfusion_of(s) for the site the code came from, to the bit.
fn code_perfusion(code: u32) -> f32 {
    return f32(code >> 16u) * (1.0 / 65535.0);
}
