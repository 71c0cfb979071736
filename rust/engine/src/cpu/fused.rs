//! The CPU's fused epilogues: act(z + bias) applied to rows while they are in cache (Dense and
//! Conv end with it), and the activation's derivative from the output.
use super::FloatElem;
use crate::kinds::Act;
use crate::tensor::Tensor;

impl Act {
    #[inline(always)]
    pub(crate) fn f<T: FloatElem>(self, x: T) -> T {
        match self {
            Act::Linear => x,
            Act::Relu => {
                // written so that NaN passes through (x <= 0 is false for NaN)
                #[allow(clippy::neg_cmp_op_on_partial_ord)]
                if !(x <= T::zero()) {
                    x
                } else {
                    T::zero()
                }
            } // NaN passes, as relu's
            Act::Sigmoid => super::unary::sig(x),
            Act::Tanh => x.tanh(),
        }
    }

    /// d act / dz from the output y.
    #[inline(always)]
    pub(crate) fn df<T: FloatElem>(self, y: T) -> T {
        match self {
            Act::Linear => T::one(),
            Act::Relu => {
                if y > T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            }
            Act::Sigmoid => y * (T::one() - y),
            Act::Tanh => T::one() - y * y,
        }
    }
}

/// Runs `$body` with `$A` a constant of the activation, so each arm's loop is compiled for one
/// activation (a match per element keeps the loop from being vectorised).
macro_rules! per_act {
    ($act:expr, $A:ident => $body:expr) => {
        match $act {
            Act::Linear => {
                const $A: Act = Act::Linear;
                $body
            }
            Act::Relu => {
                const $A: Act = Act::Relu;
                $body
            }
            Act::Sigmoid => {
                const $A: Act = Act::Sigmoid;
                $body
            }
            Act::Tanh => {
                const $A: Act = Act::Tanh;
                $body
            }
        }
    };
}
pub(crate) use per_act;

// rows (of bias.len() values each) = act(rows + bias), in place: the epilogue a kernel applies to
// its output while it is still in cache.
crate::multiversion! {
    fn epilogue_rows<T>(rows: &mut [T], o: usize, bias: Option<&[T]>, act: Act) where {T: FloatElem} {
        if o == 0 {
            return;
        }
        per_act!(act, A => match bias {
            Some(b) => {
                for row in rows.chunks_exact_mut(o) {
                    for (v, &bj) in row.iter_mut().zip(b) {
                        *v = A.f(*v + bj);
                    }
                }
            }
            None => rows.iter_mut().for_each(|v| *v = A.f(*v)),
        })
    }
}

/// The epilogue for outputs with `o` channels: None when there is nothing to do.
pub(crate) fn epilogue<T: FloatElem>(o: usize, bias: Option<&[T]>, act: Act) -> Option<impl Fn(&mut [T]) + Sync + '_> {
    (bias.is_some() || act != Act::Linear).then_some(move |rows: &mut [T]| epilogue_rows(rows, o, bias, act))
}

/// Whether `t` is the only handle on its storage and spans all of it in order, and is no part of
/// a recorded graph (a differentiable sweep, as jvp runs, keeps each gradient as its own tensor).
pub(crate) fn owns_whole_buffer(t: &Tensor) -> bool {
    std::sync::Arc::strong_count(&t.0) == 1
        && !t.requires_grad()
        && t.storage().is_unique()
        && t.layout().contiguous_range() == Some((0, t.numel()))
        && t.storage().read().len() == t.numel()
}

// g *= act'(y) in place, in fixed pieces across threads.
pub(crate) fn scale_by_df<T: FloatElem>(gs: &mut [T], ys: &[T], act: Act) {
    use rayon::prelude::*;
    let n = gs.len().min(ys.len());
    let (gs, ys) = (&mut gs[..n], &ys[..n]);
    if n < super::PAR_MIN {
        scale_piece(gs, ys, act);
    } else {
        gs.par_chunks_mut(super::GRAIN).zip(ys.par_chunks(super::GRAIN)).for_each(|(g, y)| scale_piece(g, y, act));
    }
}

crate::multiversion! {
    fn scale_piece<T>(gs: &mut [T], ys: &[T], act: Act) where {T: FloatElem} {
        per_act!(act, A => for (g, &y) in gs.iter_mut().zip(ys) {
            *g = *g * A.df(y);
        })
    }
}
