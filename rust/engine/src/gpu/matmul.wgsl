// Batched matmul with 64x64 output tiles: 16x16 threads compute 4x4 outputs each (rows ty + 16i,
// columns tx + 16j); A and B are staged through workgroup memory 16 deep along k. Operands are
// read through their strides (transposed and broadcast operands are not copied); the output is
// contiguous. mt: [m, n, k, batch_nd, a_rs, a_cs, b_rs, b_cs, a_off, b_off, z0,
// batch shape, a batch strides, b batch strides]. The k order is fixed: results repeat.
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<{T}>;
@group(0) @binding(2) var<storage, read> A: array<{T}>;
@group(0) @binding(3) var<storage, read> B: array<{T}>;

var<workgroup> As: array<{T}, 1024>;
var<workgroup> Bs: array<{T}, 1024>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = u32(mt[0]);
    let n = u32(mt[1]);
    let k = u32(mt[2]);
    let bd = mt[3];
    let a_rs = mt[4];
    let a_cs = mt[5];
    let b_rs = mt[6];
    let b_cs = mt[7];
    let batch = wid.z + u32(mt[10]);
    var ao = mt[8];
    var bo = mt[9];
    var rem = batch;
    for (var d = bd - 1; d >= 0; d = d - 1) {
        let s = u32(mt[11 + d]);
        let j = i32(rem % s);
        rem = rem / s;
        ao = ao + j * mt[11 + bd + d];
        bo = bo + j * mt[11 + 2 * bd + d];
    }
    let row0 = wid.y * 64u;
    let col0 = wid.x * 64u;
    let tx = lid.x;
    let ty = lid.y;
    let tid = ty * 16u + tx;
    // the 4x4 accumulators and the operands of one k step are named registers (the declarations
    // and products are generated unrolled: private arrays indexed in loops end up in memory on
    // some drivers)
{DECL}
    for (var t = 0u; t < k; t = t + 16u) {
        for (var q = 0u; q < 4u; q = q + 1u) {
            let e = tid + 256u * q;
            // A tile: 64 rows x 16 k
            let r = e / 16u;
            let kk = e % 16u;
            let gr = row0 + r;
            let gk = t + kk;
            var va = {ZERO};
            if (gr < m && gk < k) { va = A[ao + i32(gr) * a_rs + i32(gk) * a_cs]; }
            As[kk * 64u + r] = va;
            // B tile: 16 k x 64 columns
            let kb = e / 64u;
            let cb = e % 64u;
            let gkb = t + kb;
            let gc = col0 + cb;
            var vb = {ZERO};
            if (gkb < k && gc < n) { vb = B[bo + i32(gkb) * b_rs + i32(gc) * b_cs]; }
            Bs[kb * 64u + cb] = vb;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < 16u; kk = kk + 1u) {
{FMA}
        }
        workgroupBarrier();
    }
    let obase = batch * m * n;
{STORE}
}
