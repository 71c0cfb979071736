// 2-D pooling on contiguous NHWC float32 data; windows are clipped to the image.
// mt: [n, h, w, c, ph, pw, sh, sw, pt, pl, oh, ow, offset].
// {FWD} and {MAX}: o = the window's maximum, oi = its flat input index (the first in scan order).
// {MAX} backward: o[input pixel] = sum of gy over the windows whose maximum it is (x = gy, xi = oi).
// {FWD} average: o = the window's mean over the pixels inside the image.
// average backward: o[input pixel] = sum over covering windows of gy / window size (x = gy).
// Backward passes are gathers in a fixed order: no atomics, and sums repeat exactly.
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
{EXTRA}

fn count(oy: i32, ox: i32) -> f32 {
    let y0 = oy * mt[6] - mt[8];
    let x0 = ox * mt[7] - mt[9];
    let y1 = min(y0 + mt[4], mt[1]);
    let x1 = min(x0 + mt[5], mt[2]);
    return f32(max(y1 - max(y0, 0), 0) * max(x1 - max(x0, 0), 0));
}

// a grid-stride loop (few workgroups on CPU adapters, where each workgroup costs a task)
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let total = select(mt[0] * mt[1] * mt[2] * mt[3], mt[0] * mt[10] * mt[11] * mt[3], {FWD});
    let stride = i32(nw.x * nw.y * 256u);
    for (var e = i32(gid.x + gid.y * nw.x * 256u); e < total; e = e + stride) { item(e); }
}

fn item(e: i32) {
    let n = mt[0]; let h = mt[1]; let w = mt[2]; let c = mt[3];
    let ph = mt[4]; let pw = mt[5]; let sh = mt[6]; let sw = mt[7];
    let pt = mt[8]; let pl = mt[9]; let oh = mt[10]; let ow = mt[11]; let off = mt[12];
    if ({FWD}) {
        if (e >= n * oh * ow * c) { return; }
        let ch = e % c;
        let ox = (e / c) % ow;
        let oy = (e / (c * ow)) % oh;
        let b = e / (c * ow * oh);
        let y0 = oy * sh - pt;
        let x0 = ox * sw - pl;
        var best = 0.0;
        var bi = -1;
        var sum = 0.0;
        for (var yy = max(y0, 0); yy < min(y0 + ph, h); yy = yy + 1) {
            for (var xx = max(x0, 0); xx < min(x0 + pw, w); xx = xx + 1) {
                let idx = ((b * h + yy) * w + xx) * c + ch;
                let v = x[off + idx];
                sum = sum + v;
                if (bi < 0 || v > best) { best = v; bi = idx; }
            }
        }
        if ({MAX}) {
            o[e] = best;
            {STORE_INDEX}
        } else {
            o[e] = sum / count(oy, ox);
        }
    } else {
        if (e >= n * h * w * c) { return; }
        let ch = e % c;
        let xx = (e / c) % w;
        let y = (e / (c * w)) % h;
        let b = e / (c * w * h);
        var acc = 0.0;
        // windows (oy, ox) with oy*sh - pt <= y < oy*sh - pt + ph
        let oy0 = max((y + pt - ph + sh) / sh, 0);
        let ox0 = max((xx + pl - pw + sw) / sw, 0);
        for (var oy = oy0; oy < oh && oy * sh - pt <= y; oy = oy + 1) {
            if (y >= oy * sh - pt + ph) { continue; }
            for (var ox = ox0; ox < ow && ox * sw - pl <= xx; ox = ox + 1) {
                if (xx >= ox * sw - pl + pw) { continue; }
                let oe = ((b * oh + oy) * ow + ox) * c + ch;
                {BACK}
            }
        }
        o[e] = acc;
    }
}
