// Softmax ({LOG} false) or log-softmax ({LOG} true) over rows of a contiguous float32 tensor.
// mt: [rows, n, offset]. One workgroup per row; max and sum are merged in a fixed tree.
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

var<workgroup> sh: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let lid = lid3.x;
    let row = wid.x + wid.y * nw.x;
    let rows = u32(mt[0]);
    let n = u32(mt[1]);
    let live = row < rows;
    let base = u32(mt[2]) + row * n;
    var mx = bitcast<f32>(0xff800000u);
    if (live) {
        for (var j = lid; j < n; j = j + 256u) {
            mx = max(mx, x[base + j]);
        }
    }
    sh[lid] = mx;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lid < s) { sh[lid] = max(sh[lid], sh[lid + s]); }
        workgroupBarrier();
    }
    let rmax = sh[0];
    workgroupBarrier();
    // a row of -inf (or +inf) gives NaN as the CPU kernel does; finite rows are shifted by their max
    var sum = 0.0;
    if (live) {
        for (var j = lid; j < n; j = j + 256u) {
            sum = sum + exp(x[base + j] - rmax);
        }
    }
    sh[lid] = sum;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lid < s) { sh[lid] = sh[lid] + sh[lid + s]; }
        workgroupBarrier();
    }
    let total = sh[0];
    if (live) {
        let lt = log(total);
        for (var j = lid; j < n; j = j + 256u) {
            let v = x[base + j] - rmax;
            if ({LOG}) {
                o[row * n + j] = v - lt;
            } else {
                o[row * n + j] = exp(v) / total;
            }
        }
    }
}
