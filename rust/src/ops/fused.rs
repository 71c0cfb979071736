//! Fused layer epilogues: `bias_act(z, bias, act)` = act(z + bias) in one pass over z (bias along
//! the last axis, as Dense and Conv add it), and its backward in one pass plus the bias sum.
use super::{read1, read2, reduce::sum, FloatElem};
use crate::cpu::elementwise::{map1, map2};
use crate::autograd::record;
use crate::bail;
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
    pub fn parse(name: &str) -> Result<Act> {
        Ok(match name {
            "linear" => Act::Linear,
            "relu" => Act::Relu,
            "sigmoid" => Act::Sigmoid,
            "tanh" => Act::Tanh,
            _ => bail!(Value, "bias_act: unknown activation '{name}'; valid: linear, relu, sigmoid, tanh"),
        })
    }

    #[inline(always)]
    fn f<T: FloatElem>(self, x: T) -> T {
        match self {
            Act::Linear => x,
            Act::Relu => if !(x <= T::zero()) { x } else { T::zero() }, // NaN passes, as relu's
            Act::Sigmoid => super::unary::sig(x),
            Act::Tanh => x.tanh(),
        }
    }

    /// d act / dz from the output y.
    #[inline(always)]
    fn df<T: FloatElem>(self, y: T) -> T {
        match self {
            Act::Linear => T::one(),
            Act::Relu => if y > T::zero() { T::one() } else { T::zero() },
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
            Act::Linear => { const $A: Act = Act::Linear; $body }
            Act::Relu => { const $A: Act = Act::Relu; $body }
            Act::Sigmoid => { const $A: Act = Act::Sigmoid; $body }
            Act::Tanh => { const $A: Act = Act::Tanh; $body }
        }
    };
}

/// act(z + bias): bias has shape (c,) with c = z's last dim (None: no bias).
pub fn bias_act(z: &Tensor, bias: Option<&Tensor>, act: Act) -> Result<Tensor> {
    if !z.dtype().is_float() || z.ndim() == 0 {
        bail!(Value, "bias_act: z must be a float tensor of at least 1 dim, got {} of shape {}", z.dtype().name(), fmt_shape(z.shape()));
    }
    let c_dim = z.shape()[z.ndim() - 1];
    if let Some(b) = bias {
        if b.shape() != [c_dim] || b.dtype() != z.dtype() {
            bail!(
                Shape,
                "bias_act: bias of shape {} and dtype {} does not match z's last dim {c_dim} and dtype {}",
                fmt_shape(b.shape()),
                b.dtype().name(),
                z.dtype().name()
            );
        }
    }
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
        let dz = crate::with_float!(y.dtype(), T => {
            let v = read2(g, y, |gs: &[T], ys: &[T]| per_act!(act, A => map2(gs, g.layout(), ys, y.layout(), |gi, yi| gi * A.df(yi))));
            Tensor::from_vec(v, y.shape(), y.dtype())
        });
        let lead: Vec<isize> = (0..dz.ndim() as isize - 1).collect();
        let gb = match inp.get(1) {
            Some(b) if b.requires_grad() => Some(sum(&dz, Some(&lead), false)?),
            _ => None,
        };
        Ok(vec![Some(dz), gb])
    }))
}
