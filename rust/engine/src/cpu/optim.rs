//! The CPU's optimizer updates: the variable and its slots written in place in one pass, cut
//! into fixed pieces across threads (Keras 3's update rules).
use super::unary::c;
use super::FloatElem;
use crate::backend::Update;
use crate::error::{fmt_shape, Result};
use crate::storage::Elem;
use crate::tensor::Tensor;
use rayon::prelude::*;

/// Elements per parallel piece.
const PIECE: usize = 1 << 14;

fn scalar(op: &str, name: &str, t: &Tensor) -> Result<f64> {
    if t.numel() != 1 {
        crate::bail!(Value, "{op}: {name} must be a scalar tensor, got shape {}", fmt_shape(t.shape()));
    }
    t.item_f64()
}

/// Writes the state in place (see `Backend::update`).
pub fn update(kind: &Update, state: &[&Tensor], grad: &Tensor, lr: &Tensor) -> Result<()> {
    match kind {
        Update::Sgd { momentum, nesterov } => {
            let lr = scalar("sgd_update", "learning_rate", lr)?;
            crate::with_float!(state[0].dtype(), T => {
                let (lr, mu): (T, T) = (c(lr), c(*momentum));
                with_state::<T>(state, grad, |s, g| for_pieces(s, g, |p, g| match p {
                    [w, m] => sgd_momentum(w, m, g, lr, mu, *nesterov),
                    [w] => sgd_plain(w, g, lr),
                    _ => unreachable!(),
                }));
            });
        }
        Update::Adam { iterations, beta_1, beta_2, epsilon } => {
            let lr = scalar("adam_update", "learning_rate", lr)?;
            let t = scalar("adam_update", "iterations", iterations)? + 1.0;
            let alpha = lr * (1.0 - beta_2.powf(t)).sqrt() / (1.0 - beta_1.powf(t));
            crate::with_float!(state[0].dtype(), T => {
                let (a, b1, b2, eps): (T, T, T, T) = (c(alpha), c(1.0 - beta_1), c(1.0 - beta_2), c(*epsilon));
                with_state::<T>(state, grad, |s, g| for_pieces(s, g, |p, g| match p {
                    [w, m, v] => adam(w, m, v, g, a, b1, b2, eps),
                    [w, m, v, h] => adam_amsgrad(w, m, v, h, g, a, b1, b2, eps),
                    _ => unreachable!(),
                }));
            });
        }
    }
    Ok(())
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
