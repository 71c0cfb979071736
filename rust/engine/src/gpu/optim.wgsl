// In-place optimizer updates (Keras 3's rules, as rust/src/ops/optim.rs). Bindings s0..s3 are the
// variable and its slots (declared by kernels.rs), lrb the learning rate and itb the iteration
// count (both read here, on the GPU: no value goes back to the host);
// mt: [n, gradient offset, kind, lr offset, iterations offset, params as f32 bits].
// kind 0: w -= lr*g; 1/2: SGD momentum (2 = Nesterov), params momentum;
// 3/4: Adam (4 = AMSGrad), params ln(b1), ln(b2), 1-b1, 1-b2, eps, with
// alpha = lr * sqrt(1 - b2^t) / (1 - b1^t), t = iterations + 1 (1 - b^t as -expm1(t ln b): no cancellation).
fn par(i: i32) -> f32 { return bitcast<f32>(mt[5 + i]); }

// a grid-stride loop (few workgroups on CPU adapters, where each workgroup costs a task)
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
    let stride = nw.x * nw.y * 256u;
    let lr = lrb[u32(mt[3])];
    var alpha = lr;
    if ({ADAM}) {
        let t = step_count();
        alpha = lr * sqrt(-expm1_(t * par(1))) / (-expm1_(t * par(0)));
    }
    for (var i = gid.x + gid.y * nw.x * 256u; i < u32(mt[0]); i = i + stride) { item(i, alpha); }
}

fn item(i: u32, lr: f32) {
    let gi = g[u32(mt[1]) + i];
    let kind = mt[2];
    if (kind == 0) {
        s0[i] = s0[i] - gi * lr;
    } else if (kind == 1 || kind == 2) {
        let mu = par(0);
        let mi = s1[i] * mu - gi * lr;
        s1[i] = mi;
        if (kind == 2) { s0[i] = s0[i] + (mi * mu - gi * lr); } else { s0[i] = s0[i] + mi; }
    } else {
        let a = lr;
        let b1 = par(2);
        let b2 = par(3);
        let eps = par(4);
        let mi = s1[i] + (gi - s1[i]) * b1;
        let vi = s2[i] + (gi * gi - s2[i]) * b2;
        s1[i] = mi;
        s2[i] = vi;
        var h = vi;
        if (kind == 4) {
            h = select(vi, s3[i], s3[i] > vi);
            s3[i] = h;
        }
        s0[i] = s0[i] - mi * a / (sqrt(h) + eps);
    }
}
