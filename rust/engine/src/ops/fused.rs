//! Fused layer epilogues: `bias_act(z, bias, act)` = act(z + bias) in one pass over z (bias along
//! the last axis, as Dense and Conv add it), and its backward in one pass plus the bias sum.
use super::{read1, read2, reduce::sum, FloatElem};
use crate::autograd::record;
use crate::bail;
use crate::cpu::elementwise::{map1, map2};
use crate::error::{fmt_shape, Result};
use crate::tensor::Tensor;

/// Activations whose derivative can be written from their output alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Linear,
    Relu,
    Sigmoid,
    Tanh,
}

impl Act {
    pub fn parse(op: &str, name: &str) -> Result<Act> {
        Ok(match name {
            "linear" => Act::Linear,
            "relu" => Act::Relu,
            "sigmoid" => Act::Sigmoid,
            "tanh" => Act::Tanh,
            _ => bail!(Value, "{op}: unknown activation '{name}'; valid: linear, relu, sigmoid, tanh"),
        })
    }

    #[inline(always)]
    fn f<T: FloatElem>(self, x: T) -> T {
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
    fn df<T: FloatElem>(self, y: T) -> T {
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

/// Checks a bias for outputs whose last dim is `c_dim`, of dtype `dt`.
pub(crate) fn check_bias(op: &str, bias: Option<&Tensor>, c_dim: usize, dt: crate::dtype::DType) -> Result<()> {
    if let Some(b) = bias {
        if b.shape() != [c_dim] || b.dtype() != dt {
            bail!(
                Shape,
                "{op}: bias of shape {} and dtype {} does not match the output's last dim {c_dim} and dtype {}",
                fmt_shape(b.shape()),
                b.dtype().name(),
                dt.name()
            );
        }
    }
    Ok(())
}

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

/// The gradient through act(z + bias) from the output gradient g and the output y: dz, and the
/// bias gradient (the sum over all but the last axis) when `want_bias`.
pub(crate) fn bias_act_backward(g: &Tensor, y: &Tensor, act: Act, want_bias: bool) -> Result<(Tensor, Option<Tensor>)> {
    #[cfg(feature = "gpu")]
    if crate::gpu::kernels::any("bias_act", &[g, y])? {
        let dz = crate::gpu::kernels::map("bias_act", &[g, y], y.dtype(), y.shape(), &crate::gpu::exprs::act_bwd(act), None)?;
        let lead: Vec<isize> = (0..dz.ndim() as isize - 1).collect();
        let gb = if want_bias { Some(sum(&dz, Some(&lead), false)?) } else { None };
        return Ok((dz, gb));
    }
    let dz = if owns_whole_buffer(g) && y.is_contiguous() && g.dtype() == y.dtype() && g.shape() == y.shape() {
        // nothing else can see g (the sweep passes each gradient on once): dz takes its memory
        crate::with_float!(y.dtype(), T => {
            let mut gb = g.storage().write();
            y.with_contiguous(|ys: &[T]| scale_by_df(<T as crate::storage::Elem>::slice_mut(&mut gb), ys, act));
        });
        g.clone()
    } else {
        crate::with_float!(y.dtype(), T => {
            let v = read2(g, y, |gs: &[T], ys: &[T]| per_act!(act, A => map2(gs, g.layout(), ys, y.layout(), |gi, yi| gi * A.df(yi))));
            Tensor::from_vec(v, y.shape(), y.dtype())
        })
    };
    let gb = if want_bias {
        let lead: Vec<isize> = (0..dz.ndim() as isize - 1).collect();
        Some(sum(&dz, Some(&lead), false)?)
    } else {
        None
    };
    Ok((dz, gb))
}

/// Whether `t` is the only handle on its storage and spans all of it in order.
fn owns_whole_buffer(t: &Tensor) -> bool {
    std::sync::Arc::strong_count(&t.0) == 1
        && t.storage().is_unique()
        && t.layout().contiguous_range() == Some((0, t.numel()))
        && t.storage().read().len() == t.numel()
}

// g *= act'(y) in place, in fixed pieces across threads.
fn scale_by_df<T: FloatElem>(gs: &mut [T], ys: &[T], act: Act) {
    use rayon::prelude::*;
    let n = gs.len().min(ys.len());
    let (gs, ys) = (&mut gs[..n], &ys[..n]);
    if n < crate::cpu::PAR_MIN {
        scale_piece(gs, ys, act);
    } else {
        gs.par_chunks_mut(crate::cpu::GRAIN).zip(ys.par_chunks(crate::cpu::GRAIN)).for_each(|(g, y)| scale_piece(g, y, act));
    }
}

crate::multiversion! {
    fn scale_piece<T>(gs: &mut [T], ys: &[T], act: Act) where {T: FloatElem} {
        per_act!(act, A => for (g, &y) in gs.iter_mut().zip(ys) {
            *g = *g * A.df(y);
        })
    }
}

/// act(z + bias): bias has shape (c,) with c = z's last dim (None: no bias).
pub fn bias_act(z: &Tensor, bias: Option<&Tensor>, act: Act) -> Result<Tensor> {
    if !z.dtype().is_float() || z.ndim() == 0 {
        bail!(
            Value,
            "bias_act: z must be a float tensor of at least 1 dim, got {} of shape {}",
            z.dtype().name(),
            fmt_shape(z.shape())
        );
    }
    check_bias("bias_act", bias, z.shape()[z.ndim() - 1], z.dtype())?;
    #[cfg(feature = "gpu")]
    if crate::gpu::kernels::any("bias_act", &[z, bias.unwrap_or(z)])? {
        use crate::gpu::{exprs, kernels::map};
        let out = match bias {
            Some(b) => map("bias_act", &[z, b], z.dtype(), z.shape(), &exprs::act_fwd(act, "(a + b)"), None)?,
            None => map("bias_act", &[z], z.dtype(), z.shape(), &exprs::act_fwd(act, "a"), None)?,
        };
        let inputs: Vec<&Tensor> = std::iter::once(z).chain(bias).collect();
        return Ok(record("bias_act", out, &inputs, move |g, inp, y| {
            let dz = map("bias_act", &[g, y], y.dtype(), y.shape(), &exprs::act_bwd(act), None)?;
            let lead: Vec<isize> = (0..dz.ndim() as isize - 1).collect();
            let gb = match inp.get(1) {
                Some(b) if b.requires_grad() => Some(sum(&dz, Some(&lead), false)?),
                _ => None,
            };
            Ok(vec![Some(dz), gb])
        }));
    }
    // the strided walker: bias is broadcast along the rows (stride 0), runs are vectorised and
    // large tensors split across threads
    let out = crate::with_float!(z.dtype(), T => {
        let v = match bias {
            Some(b) => {
                let lb = b.layout().broadcast_to("bias_act", z.shape())?;
                read2(z, b, |zs: &[T], bs: &[T]| per_act!(act, A => map2(zs, z.layout(), bs, &lb, |x, bj| A.f(x + bj))))
            }
            None => read1(z, |zs: &[T]| per_act!(act, A => map1(zs, z.layout(), |x| A.f(x)))),
        };
        Tensor::from_vec(v, z.shape(), z.dtype())
    });
    let inputs: Vec<&Tensor> = std::iter::once(z).chain(bias).collect();
    Ok(record("bias_act", out, &inputs, move |g, inp, y| {
        let want_bias = matches!(inp.get(1), Some(b) if b.requires_grad());
        let (dz, gb) = bias_act_backward(g, y, act, want_bias)?;
        Ok(vec![Some(dz), gb])
    }))
}
