// Convolution helpers for im2col + matmul on NHWC data with (kh, kw, in, out) kernels.
// mt: [n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, offset].
// {IM2COL} true (im2col): o[p, q] (p = (b, oy, ox), q = (i, j, ch)) = x[b, oy*sh + i*dh - pt, ox*sw + j*dw - pl, ch] or 0.
// {IM2COL} false (col2im): o[b, y, x, ch] = sum over the taps (i, j) that read it of cols[(b, oy, ox), (i, j, ch)],
// in a fixed order (a gather, so no atomics and the sum repeats exactly).
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

// a grid-stride loop: each invocation takes items first, first + stride, ... (few workgroups on
// CPU adapters, where each workgroup costs a task)
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let total = select(mt[0] * mt[1] * mt[2] * mt[3], mt[0] * mt[12] * mt[13] * mt[4] * mt[5] * mt[3], {IM2COL});
    let stride = i32(nw.x * nw.y * 256u);
    for (var e = i32(gid.x + gid.y * nw.x * 256u); e < total; e = e + stride) { item(e); }
}

fn item(e: i32) {
    let n = mt[0]; let h = mt[1]; let w = mt[2]; let c = mt[3];
    let kh = mt[4]; let kw = mt[5]; let sh = mt[6]; let sw = mt[7];
    let dh = mt[8]; let dw = mt[9]; let pt = mt[10]; let pl = mt[11];
    let oh = mt[12]; let ow = mt[13]; let off = mt[14];
    let kk = kh * kw * c;
    if ({IM2COL}) {
        if (e >= n * oh * ow * kk) { return; }
        let p = e / kk;
        let q = e % kk;
        let ch = q % c;
        let j = (q / c) % kw;
        let i = q / (c * kw);
        let ox = p % ow;
        let oy = (p / ow) % oh;
        let b = p / (ow * oh);
        let y = oy * sh + i * dh - pt;
        let xx = ox * sw + j * dw - pl;
        var v = 0.0;
        if (y >= 0 && y < h && xx >= 0 && xx < w) { v = x[off + ((b * h + y) * w + xx) * c + ch]; }
        o[e] = v;
    } else {
        if (e >= n * h * w * c) { return; }
        let ch = e % c;
        let xx = (e / c) % w;
        let y = (e / (c * w)) % h;
        let b = e / (c * w * h);
        var acc = 0.0;
        for (var i = 0; i < kh; i = i + 1) {
            let ty = y + pt - i * dh;
            if (ty < 0 || ty % sh != 0 || ty / sh >= oh) { continue; }
            let oy = ty / sh;
            for (var j = 0; j < kw; j = j + 1) {
                let tx = xx + pl - j * dw;
                if (tx < 0 || tx % sw != 0 || tx / sw >= ow) { continue; }
                let ox = tx / sw;
                acc = acc + x[off + ((b * oh + oy) * ow + ox) * kk + (i * kw + j) * c + ch];
            }
        }
        o[e] = acc;
    }
}
