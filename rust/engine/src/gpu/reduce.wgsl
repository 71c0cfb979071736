// One workgroup per output element. mt: [m, k, nd_kept, nd_red, offset,
// kept shape, kept strides, reduced shape, reduced strides]. {T}: element type; {SUM}: sum,
// else an extreme ({BETTER} is > or <) whose value ({ARG} false) or first index ({ARG} true)
// is written. Each thread folds elements lid, lid + 256, ... in order; the tree below merges
// them in a fixed order, so the result does not depend on timing.
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<{TO}>;
@group(0) @binding(2) var<storage, read> x: array<{T}>;

var<workgroup> sv: array<{T}, 256>;
var<workgroup> si: array<i32, 256>;

const NONE: i32 = 2147483647;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let lid = lid3.x;
    let row = wid.x + wid.y * nw.x;
    let m = u32(mt[0]);
    let k = u32(mt[1]);
    let ndk = mt[2];
    let ndr = mt[3];
    let live = row < m;
    var base = mt[4];
    var acc: {T} = {INIT};
    var ai: i32 = NONE;
    if (live) {
        var rem = row;
        for (var d = ndk - 1; d >= 0; d = d - 1) {
            let s = u32(mt[5 + d]);
            base = base + i32(rem % s) * mt[5 + ndk + d];
            rem = rem / s;
        }
        let rb = 5 + 2 * ndk;
        for (var j = lid; j < k; j = j + 256u) {
            var r = j;
            var off = base;
            for (var d = ndr - 1; d >= 0; d = d - 1) {
                let s = u32(mt[rb + d]);
                off = off + i32(r % s) * mt[rb + ndr + d];
                r = r / s;
            }
            let v = x[off];
            if ({SUM}) {
                acc = acc + v;
            } else if (ai == NONE || better(v, acc)) {
                acc = v;
                ai = i32(j);
            }
        }
    }
    sv[lid] = acc;
    si[lid] = ai;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lid < s) {
            let w = sv[lid + s];
            let wi = si[lid + s];
            if ({SUM}) {
                sv[lid] = sv[lid] + w;
            } else {
                let v = sv[lid];
                let vi = si[lid];
                let take = wi != NONE && (vi == NONE || better(w, v) || (same(w, v) && wi < vi));
                if (take) {
                    sv[lid] = w;
                    si[lid] = wi;
                }
            }
        }
        workgroupBarrier();
    }
    if (live && lid == 0u) {
        if ({ARG}) {
            o[row] = {TO}(si[0]);
        } else {
            o[row] = {TO}(sv[0]);
        }
    }
}

// NaN is the most extreme value (max / min propagate it, argmax / argmin give the first NaN), as
// NumPy; a float is tested by its bits, since WGSL lets a compiler assume floats are never NaN
fn nan_(y: {T}) -> bool { return {ISNAN}; }
fn better(w: {T}, v: {T}) -> bool {
    if (nan_(w)) { return !nan_(v); }
    return !nan_(v) && w {BETTER} v;
}
fn same(w: {T}, v: {T}) -> bool {
    if (nan_(w)) { return nan_(v); }
    return !nan_(v) && w == v;
}
