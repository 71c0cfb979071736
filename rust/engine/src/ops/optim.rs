//! Optimizer updates that write the variable and its slots in place, one pass over each
//! parameter (Keras 3's update rules). Step-dependent factors are read from the `iterations` and
//! learning-rate tensors when the update runs, so a traced step replays them correctly.
use crate::bail;
use crate::error::{fmt_shape, Result};
use crate::ops::FloatElem;
use crate::storage::Elem;
use crate::tensor::Tensor;
use rayon::prelude::*;

/// Elements per parallel piece.
const PIECE: usize = 1 << 14;

fn check(op: &str, var: &Tensor, others: &[(&str, &Tensor)]) -> Result<()> {
    if !var.dtype().is_float() {
        bail!(DType, "{op}: the variable must be float32 or float64, got {}", var.dtype().name());
    }
    for (name, t) in std::iter::once(&("variable", var)).chain(others) {
        if t.shape() != var.shape() || t.dtype() != var.dtype() {
            bail!(
                Value,
                "{op}: {name} has shape {} and dtype {}, the variable {} and {}",
                fmt_shape(t.shape()),
                t.dtype().name(),
                fmt_shape(var.shape()),
                var.dtype().name()
            );
        }
        if *name != "gradient" && t.layout().contiguous_range() != Some((0, t.numel())) {
            bail!(Value, "{op}: {name} must own contiguous storage (a variable, not a view)");
        }
    }
    let mut seen: Vec<&Tensor> = Vec::new();
    for (name, t) in others.iter().filter(|(n, _)| *n != "gradient") {
        if t.same_storage(var) || seen.iter().any(|s| s.same_storage(t)) {
            bail!(Value, "{op}: {name} shares memory with another state tensor");
        }
        seen.push(t);
    }
    Ok(())
}

/// Checks that a hyperparameter tensor has one element (the GPU kernels read it there).
#[cfg(feature = "gpu")]
fn scalar_shape(op: &str, name: &str, t: &Tensor) -> Result<()> {
    if t.numel() != 1 {
        bail!(Value, "{op}: {name} must be a scalar tensor, got shape {}", fmt_shape(t.shape()));
    }
    if t.device() == crate::tensor::Device::Cpu && t.ndim() > 0 {
        bail!(Device, "{op}: {name} is a cpu tensor of shape {} and the variable is on the gpu", fmt_shape(t.shape()));
    }
    Ok(())
}

fn scalar(op: &str, name: &str, t: &Tensor) -> Result<f64> {
    if t.numel() != 1 {
        bail!(Value, "{op}: {name} must be a scalar tensor, got shape {}", fmt_shape(t.shape()));
    }
    t.item_f64()
}

/// `f(i, [state...], g)` over matching pieces of the state slices (written) and the gradient.
fn for_pieces<T: Elem>(state: &mut [&mut [T]], g: &[T], f: impl Fn(&mut [&mut [T]], &[T]) + Sync) {
    let n = g.len();
    let pieces = n.div_ceil(PIECE).max(1);
    let ptrs: Vec<usize> = state.iter_mut().map(|s| s.as_mut_ptr() as usize).collect();
    let run = |p: usize| {
        let (lo, hi) = (p * PIECE, ((p + 1) * PIECE).min(n));
        // SAFETY: every state slice has n elements (checked by the caller), the slices are
        // distinct buffers (checked), and pieces do not overlap, so each element is written by
        // exactly one piece.
        let mut parts: Vec<&mut [T]> =
            ptrs.iter().map(|&ptr| unsafe { std::slice::from_raw_parts_mut((ptr as *mut T).add(lo), hi - lo) }).collect();
        f(&mut parts, &g[lo..hi]);
    };
    if n < 2 * PIECE {
        (0..pieces).for_each(run);
    } else {
        (0..pieces).into_par_iter().for_each(run);
    }
}

/// Runs `f` with the state tensors' elements (written) and the gradient's.
fn with_state<T: FloatElem>(state: &[&Tensor], grad: &Tensor, f: impl FnOnce(&mut [&mut [T]], &[T])) {
    let g = grad.contiguous_data();
    let gg = g.storage().read();
    let gs = T::slice(&gg);
    let mut guards: Vec<_> = state.iter().map(|t| t.storage().write()).collect();
    let mut slices: Vec<&mut [T]> = guards.iter_mut().map(|b| T::slice_mut(b)).collect();
    f(&mut slices, gs);
}

/// True when the variable is on the GPU; then its slots and gradient must be too.
#[cfg(feature = "gpu")]
fn gpu_state(op: &str, state: &[&Tensor], grad: &Tensor) -> Result<bool> {
    let on = |t: &Tensor| t.device() == crate::tensor::Device::Gpu;
    if !state.iter().any(|t| on(t)) && !on(grad) {
        return Ok(false);
    }
    if !state.iter().all(|t| on(t)) || !on(grad) {
        bail!(Device, "{op}: the variable, its gradient and its optimizer slots must all be on the same device");
    }
    Ok(true)
}

/// SGD: `m = momentum*m - lr*g; w += m` (nesterov: `w += momentum*m - lr*g`), or `w -= lr*g`.
pub fn sgd_update(var: &Tensor, grad: &Tensor, m: Option<&Tensor>, lr: &Tensor, momentum: f64, nesterov: bool) -> Result<()> {
    let op = "sgd_update";
    let mut others = vec![("gradient", grad)];
    if let Some(m) = m {
        others.push(("momentum", m));
    }
    check(op, var, &others)?;
    let mut state = vec![var];
    state.extend(m);
    #[cfg(feature = "gpu")]
    if gpu_state(op, &state, grad)? {
        scalar_shape(op, "learning_rate", lr)?;
        let kind = match (m.is_some(), nesterov) {
            (false, _) => 0,
            (true, false) => 1,
            (true, true) => 2,
        };
        return crate::gpu::kernels::optim(&state, grad, kind, lr, None, &[momentum as f32]);
    }
    let lr = scalar(op, "learning_rate", lr)?;
    crate::with_float!(var.dtype(), T => {
        let (lr, mu): (T, T) = (crate::ops::c(lr), crate::ops::c(momentum));
        with_state::<T>(&state, grad, |s, g| for_pieces(s, g, |p, g| match p {
            [w, m] => sgd_momentum(w, m, g, lr, mu, nesterov),
            [w] => sgd_plain(w, g, lr),
            _ => unreachable!(),
        }));
    });
    Ok(())
}

/// Adam: `m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= m * alpha / (sqrt(v) + eps)` with
/// `alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)`, t = iterations + 1 (amsgrad: v_hat = max(v_hat, v)).
#[allow(clippy::too_many_arguments)]
pub fn adam_update(
    var: &Tensor,
    grad: &Tensor,
    m: &Tensor,
    v: &Tensor,
    v_hat: Option<&Tensor>,
    lr: &Tensor,
    iterations: &Tensor,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
) -> Result<()> {
    let op = "adam_update";
    let mut others = vec![("gradient", grad), ("momentum", m), ("velocity", v)];
    if let Some(h) = v_hat {
        others.push(("velocity_hat", h));
    }
    check(op, var, &others)?;
    let mut state = vec![var, m, v];
    state.extend(v_hat);
    #[cfg(feature = "gpu")]
    if gpu_state(op, &state, grad)? {
        scalar_shape(op, "learning_rate", lr)?;
        scalar_shape(op, "iterations", iterations)?;
        let kind = if v_hat.is_some() { 4 } else { 3 };
        let params = [beta_1.ln() as f32, beta_2.ln() as f32, (1.0 - beta_1) as f32, (1.0 - beta_2) as f32, epsilon as f32];
        return crate::gpu::kernels::optim(&state, grad, kind, lr, Some(iterations), &params);
    }
    let lr = scalar(op, "learning_rate", lr)?;
    let t = scalar(op, "iterations", iterations)? + 1.0;
    let alpha = lr * (1.0 - beta_2.powf(t)).sqrt() / (1.0 - beta_1.powf(t));
    crate::with_float!(var.dtype(), T => {
        let (a, b1, b2, eps): (T, T, T, T) = (crate::ops::c(alpha), crate::ops::c(1.0 - beta_1), crate::ops::c(1.0 - beta_2), crate::ops::c(epsilon));
        with_state::<T>(&state, grad, |s, g| for_pieces(s, g, |p, g| match p {
            [w, m, v] => adam(w, m, v, g, a, b1, b2, eps),
            [w, m, v, h] => adam_amsgrad(w, m, v, h, g, a, b1, b2, eps),
            _ => unreachable!(),
        }));
    });
    Ok(())
}

// The per-piece update loops. Each slice is cut to the gradient's length first, so the loops have
// no bounds checks and compile to vector code (sqrt and divide included).
crate::multiversion! {
    fn sgd_plain<T>(w: &mut [T], g: &[T], lr: T) where {T: FloatElem} {
        let w = &mut w[..g.len()];
        for (w, &g) in w.iter_mut().zip(g) {
            *w = *w - g * lr;
        }
    }

    fn sgd_momentum<T>(w: &mut [T], m: &mut [T], g: &[T], lr: T, mu: T, nesterov: bool) where {T: FloatElem} {
        let n = g.len();
        let (w, m) = (&mut w[..n], &mut m[..n]);
        for i in 0..n {
            let mi = m[i] * mu - g[i] * lr;
            m[i] = mi;
            w[i] = if nesterov { w[i] + (mi * mu - g[i] * lr) } else { w[i] + mi };
        }
    }

    fn adam<T>(w: &mut [T], m: &mut [T], v: &mut [T], g: &[T], a: T, b1: T, b2: T, eps: T) where {T: FloatElem} {
        let n = g.len();
        let (w, m, v) = (&mut w[..n], &mut m[..n], &mut v[..n]);
        for i in 0..n {
            let mi = m[i] + (g[i] - m[i]) * b1;
            let vi = v[i] + (g[i] * g[i] - v[i]) * b2;
            m[i] = mi;
            v[i] = vi;
            w[i] = w[i] - mi * a / (vi.sqrt() + eps);
        }
    }

    fn adam_amsgrad<T>(w: &mut [T], m: &mut [T], v: &mut [T], h: &mut [T], g: &[T], a: T, b1: T, b2: T, eps: T) where {T: FloatElem} {
        let n = g.len();
        let (w, m, v, h) = (&mut w[..n], &mut m[..n], &mut v[..n], &mut h[..n]);
        for i in 0..n {
            let mi = m[i] + (g[i] - m[i]) * b1;
            let vi = v[i] + (g[i] * g[i] - v[i]) * b2;
            let hi = if h[i] > vi { h[i] } else { vi };
            m[i] = mi;
            v[i] = vi;
            h[i] = hi;
            w[i] = w[i] - mi * a / (hi.sqrt() + eps);
        }
    }
}
