// Advanced indexing: the flat-index builder, the gather, and the five passes of the
// deterministic scatter-add (its gradient). Each section below is one kernel with entry `main`;
// kernels.rs picks a section by its `//== name` line. All flat loops are grid-stride.

//== flat_index
// o[i] (int32) = c0 + sum over output dims r of coord_r * mt_rest[r]
//               + sum over this pass's index tensors k of norm(t_k[p_k(i)]) * s_k,
// norm(v) = v < 0 ? v + n_k : v (bounds were checked before). Several passes accumulate in place
// (ACC true: o[i] += ...). mt: [count, nd, c0, out shape (nd), rest strides (nd), then per index
// tensor k: offset, n_k, s_k, strides over the output dims (nd)].
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<i32>;
{DECL}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let stride = nw.x * nw.y * 256u;
    for (var i = gid.x + gid.y * nw.x * 256u; i < u32(mt[0]); i = i + stride) { item(i); }
}

fn item(i: u32) {
    let nd = mt[1];
    let tb = 3 + 2 * nd;
    var acc = mt[2];
    var rem = i;
{INIT}
    for (var d = nd - 1; d >= 0; d = d - 1) {
        let s = u32(mt[3 + d]);
        let j = i32(rem % s);
        rem = rem / s;
        acc = acc + j * mt[3 + nd + d];
{STEP}
    }
{TERMS}
    if ({ACC}) {
        o[i] = o[i] + acc;
    } else {
        o[i] = acc;
    }
}

//== gather
// o[i] = x at row-major position idx[i] of x's (coalesced) layout; 0 for a position outside x
// (never made by the engine, which checks bounds first). mt: [count, nd, x offset, idx offset,
// x numel, x shape (nd), x strides (nd)].
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<{T}>;
@group(0) @binding(2) var<storage, read> x: array<{T}>;
@group(0) @binding(3) var<storage, read> ix: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let stride = nw.x * nw.y * 256u;
    for (var i = gid.x + gid.y * nw.x * 256u; i < u32(mt[0]); i = i + stride) { item(i); }
}

fn item(i: u32) {
    let nd = mt[1];
    let v = ix[u32(mt[3]) + i];
    if (v < 0 || v >= mt[4]) {
        o[i] = {T}(0);
        return;
    }
    var rem = u32(v);
    var p = mt[2];
    for (var d = nd - 1; d >= 0; d = d - 1) {
        let s = u32(mt[5 + d]);
        p = p + i32(rem % s) * mt[5 + nd + d];
        rem = rem / s;
    }
    o[i] = x[p];
}

//== scatter_count
// Pass 1 of scatter-add: cnt[t] = how many positions i have idx[i] == t (integer atomics, so
// the counts do not depend on timing). mt: [m, idx offset, n].
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> cnt: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> ix: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let stride = nw.x * nw.y * 256u;
    for (var i = gid.x + gid.y * nw.x * 256u; i < u32(mt[0]); i = i + stride) {
        let t = ix[u32(mt[1]) + i];
        if (t >= 0 && t < mt[2]) {
            atomicAdd(&cnt[u32(t)], 1u);
        }
    }
}

//== scan_tiles
// Pass 2 of scatter-add, one workgroup per tile of 1024 counts (4 per invocation): offs[j] = the
// exclusive prefix sum of cnt within the tile, tsum[tile] = the tile's total. mt: [n].
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read> cnt: array<u32>;
@group(0) @binding(2) var<storage, read_write> offs: array<u32>;
@group(0) @binding(3) var<storage, read_write> tsum: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let lid = lid3.x;
    let n = u32(mt[0]);
    let tile = wid.x + wid.y * nw.x;
    let a = tile * 1024u + lid * 4u;
    var c: array<u32, 4>;
    var s = 0u;
    for (var k = 0u; k < 4u; k = k + 1u) {
        if (a + k < n) {
            c[k] = cnt[a + k];
        }
        s = s + c[k];
    }
    var run = wg_scan(lid, s);
    for (var k = 0u; k < 4u; k = k + 1u) {
        if (a + k < n) {
            offs[a + k] = run;
        }
        run = run + c[k];
    }
    if (lid == 255u && tile * 1024u < n) {
        tsum[tile] = tot[255];
    }
}

//== scan_totals
// Pass 3: the exclusive prefix sum of the tile totals, in place, in one workgroup: each
// invocation sums a chunk, a workgroup scan of the chunk totals, then each rewrites its chunk.
// mt: [number of tiles].
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> tsum: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid3: vec3<u32>) {
    let lid = lid3.x;
    let n = u32(mt[0]);
    let chunk = (n + 255u) / 256u;
    let a = min(lid * chunk, n);
    let b = min(a + chunk, n);
    var s = 0u;
    for (var j = a; j < b; j = j + 1u) {
        s = s + tsum[j];
    }
    var run = wg_scan(lid, s);
    for (var j = a; j < b; j = j + 1u) {
        let c = tsum[j];
        tsum[j] = run;
        run = run + c;
    }
}

//== scatter_fill
// Pass 4: each position i goes into its target's bucket: perm[start(t) + k] = i, where start(t)
// = offs[t] + tsum[t / 1024] and k comes from counting cnt[t] back down to 0 atomically (so the
// order inside a bucket varies; pass 5 sorts it). mt: [m, idx offset, n].
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> cnt: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> offs: array<u32>;
@group(0) @binding(3) var<storage, read> tsum: array<u32>;
@group(0) @binding(4) var<storage, read_write> perm: array<u32>;
@group(0) @binding(5) var<storage, read> ix: array<i32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let stride = nw.x * nw.y * 256u;
    for (var i = gid.x + gid.y * nw.x * 256u; i < u32(mt[0]); i = i + stride) {
        let t = ix[u32(mt[1]) + i];
        if (t >= 0 && t < mt[2]) {
            let u = u32(t);
            let slot = offs[u] + tsum[u / 1024u] + atomicSub(&cnt[u], 1u) - 1u;
            perm[slot] = i;
        }
    }
}

//== scatter_sum
// Pass 5, one invocation per target t: its bucket perm[start(t) .. start(t + 1)) (start(n) =
// m) sorted ascending (insertion sort for small buckets, heapsort beyond, in place), then {SUM}
// true: o[t] = the sum of g over it in ascending position order (0 when empty), so the result
// repeats bit for bit; {SUM} false (integer and bool dtypes): o[t] = g at the last position (as
// the CPU's acc[t] = v), 0 when empty. mt: [n, g offset, m].
@group(0) @binding(0) var<storage, read> mt: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<{T}>;
@group(0) @binding(2) var<storage, read> offs: array<u32>;
@group(0) @binding(3) var<storage, read> tsum: array<u32>;
@group(0) @binding(4) var<storage, read_write> perm: array<u32>;
@group(0) @binding(5) var<storage, read> g: array<{T}>;

fn start(t: u32) -> u32 {
    if (t >= u32(mt[0])) { return u32(mt[2]); }
    return offs[t] + tsum[t / 1024u];
}

fn swap(a: u32, b: u32) {
    let t = perm[a];
    perm[a] = perm[b];
    perm[b] = t;
}

// restores the max-heap property below `root` in perm[s .. s + end)
fn sift(s: u32, start: u32, end: u32) {
    var root = start;
    loop {
        let child = 2u * root + 1u;
        if (child >= end) { break; }
        var big = root;
        if (perm[s + big] < perm[s + child]) { big = child; }
        if (child + 1u < end && perm[s + big] < perm[s + child + 1u]) { big = child + 1u; }
        if (big == root) { break; }
        swap(s + root, s + big);
        root = big;
    }
}

fn sort_bucket(s: u32, c: u32) {
    if (c <= 16u) {
        for (var j = 1u; j < c; j = j + 1u) {
            let v = perm[s + j];
            var k = j;
            while (k > 0u && perm[s + k - 1u] > v) {
                perm[s + k] = perm[s + k - 1u];
                k = k - 1u;
            }
            perm[s + k] = v;
        }
        return;
    }
    var start = c / 2u;
    while (start > 0u) {
        start = start - 1u;
        sift(s, start, c);
    }
    var end = c;
    while (end > 1u) {
        end = end - 1u;
        swap(s, s + end);
        sift(s, 0u, end);
    }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let stride = nw.x * nw.y * 256u;
    let goff = u32(mt[1]);
    for (var t = gid.x + gid.y * nw.x * 256u; t < u32(mt[0]); t = t + stride) {
        let s = start(t);
        let c = start(t + 1u) - s;
        var acc = {T}(0);
        if ({SUM}) {
            sort_bucket(s, c);
            for (var j = 0u; j < c; j = j + 1u) {
                acc = acc + g[goff + perm[s + j]];
            }
        } else if (c > 0u) {
            var last = perm[s];
            for (var j = 1u; j < c; j = j + 1u) {
                last = max(last, perm[s + j]);
            }
            acc = g[goff + last];
        }
        o[t] = acc;
    }
}

//== wg_scan
// Appended to scan_tiles and scan_totals: the exclusive prefix sum of s over the 256 invocations
// of a workgroup (Hillis-Steele in workgroup memory); afterwards tot[255] is the total.
var<workgroup> tot: array<u32, 256>;

fn wg_scan(lid: u32, s: u32) -> u32 {
    tot[lid] = s;
    workgroupBarrier();
    for (var k = 1u; k < 256u; k = k << 1u) {
        var v = 0u;
        if (lid >= k) {
            v = tot[lid - k];
        }
        workgroupBarrier();
        tot[lid] = tot[lid] + v;
        workgroupBarrier();
    }
    return tot[lid] - s;
}
