// Uniform float32 samples from the ChaCha8 stream the CPU generator (rand_chacha's ChaCha8Rng)
// would produce at the same word position, so a seed gives the same numbers on both devices.
// mt: [n, block_lo, block_hi, skip, key0..key7, low bits, high bits, unit (1: low 0, high 1)].
// Invocation j makes block (block + j) of 16 words = 8 u64 draws; draw i = 8 j + k - skip.
// A draw is (hi:lo >> 11) * 2^-53 rounded to the nearest float32 (ties to even), as the CPU's
// f64 -> f32 conversion rounds it.
@group(0) @binding(0) var<storage, read> mt: array<u32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;

fn rotl(x: u32, r: u32) -> u32 { return (x << r) | (x >> (32u - r)); }

fn qr(s: ptr<function, array<u32, 16>>, a: u32, b: u32, c: u32, d: u32) {
    (*s)[a] += (*s)[b]; (*s)[d] = rotl((*s)[d] ^ (*s)[a], 16u);
    (*s)[c] += (*s)[d]; (*s)[b] = rotl((*s)[b] ^ (*s)[c], 12u);
    (*s)[a] += (*s)[b]; (*s)[d] = rotl((*s)[d] ^ (*s)[a], 8u);
    (*s)[c] += (*s)[d]; (*s)[b] = rotl((*s)[b] ^ (*s)[c], 7u);
}

// (m_hi:m_lo), a 53-bit integer, times 2^-53, rounded to float32
fn unit53(m_hi: u32, m_lo: u32) -> f32 {
    if (m_hi == 0u && m_lo == 0u) { return 0.0; }
    var top: u32;  // index of the highest set bit
    if (m_hi != 0u) { top = 32u + firstLeadingBit(m_hi); } else { top = firstLeadingBit(m_lo); }
    if (top <= 23u) { return ldexp(f32(m_lo), -53); }
    let sh = top - 23u;  // 1..29 bits to drop, all of them in m_lo
    var mant = (m_lo >> sh) | (m_hi << (32u - sh));
    let rem = m_lo & ((1u << sh) - 1u);
    let half = 1u << (sh - 1u);
    if (rem > half || (rem == half && (mant & 1u) == 1u)) { mant = mant + 1u; }
    return ldexp(f32(mant), i32(sh) - 53);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let j = gid.x + gid.y * nw.x * 64u;
    let n = mt[0];
    let skip = mt[3];
    if (j * 8u >= n + skip) { return; }
    let lo = mt[1] + j;
    let hi = mt[2] + select(0u, 1u, lo < j);
    var s = array<u32, 16>(0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u,
        mt[4], mt[5], mt[6], mt[7], mt[8], mt[9], mt[10], mt[11], lo, hi, 0u, 0u);
    let init = s;
    for (var r = 0; r < 4; r++) {
        qr(&s, 0u, 4u, 8u, 12u); qr(&s, 1u, 5u, 9u, 13u); qr(&s, 2u, 6u, 10u, 14u); qr(&s, 3u, 7u, 11u, 15u);
        qr(&s, 0u, 5u, 10u, 15u); qr(&s, 1u, 6u, 11u, 12u); qr(&s, 2u, 7u, 8u, 13u); qr(&s, 3u, 4u, 9u, 14u);
    }
    let low = bitcast<f32>(mt[12]);
    let high = bitcast<f32>(mt[13]);
    let unit = mt[14] == 1u;
    for (var k = 0u; k < 8u; k++) {
        let i = j * 8u + k;
        if (i < skip || i - skip >= n) { continue; }
        let w0 = s[2u * k] + init[2u * k];
        let w1 = s[2u * k + 1u] + init[2u * k + 1u];
        // (w1:w0) >> 11
        let u = unit53(w1 >> 11u, (w0 >> 11u) | (w1 << 21u));
        o[i - skip] = select(low + (high - low) * u, u, unit);
    }
}
