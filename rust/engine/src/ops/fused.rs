//! Fused layer epilogues: `bias_act(z, bias, act)` = act(z + bias) in one pass over z (bias along
//! the last axis, as Dense and Conv add it), and its backward in one pass plus the bias sum. The
//! kernels: cpu/fused.rs, gpu/exprs.rs.
use super::reduce::sum;
use crate::autograd::record;
use crate::backend;
use crate::bail;
use crate::error::{fmt_shape, Result};
pub use crate::kinds::Act;
use crate::tensor::Tensor;

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

/// The gradient through act(z + bias) from the output gradient g and the output y: dz, and the
/// bias gradient (the sum over all but the last axis) when `want_bias`.
pub(crate) fn bias_act_backward(g: &Tensor, y: &Tensor, act: Act, want_bias: bool) -> Result<(Tensor, Option<Tensor>)> {
    let be = backend::for_inputs("bias_act", &[g, y])?;
    let dz = be.bias_act_grad(g, y, act)?;
    let yk = y.clone();
    let dz = crate::autograd::linear_in("bias_act", dz, g, move |w| be.bias_act_grad(w, &yk, act));
    let gb = if want_bias {
        let lead: Vec<isize> = (0..dz.ndim() as isize - 1).collect();
        Some(sum(&dz, Some(&lead), false)?)
    } else {
        None
    };
    Ok((dz, gb))
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
    let dt = z.dtype();
    if dt.compute() != dt {
        let b = bias.map(|b| super::cast(b, dt.compute())).transpose()?;
        return super::cast(&bias_act(&super::cast(z, dt.compute())?, b.as_ref(), act)?, dt);
    }
    let inputs: Vec<&Tensor> = std::iter::once(z).chain(bias).collect();
    let out = backend::for_inputs("bias_act", &inputs)?.bias_act(z, bias, act)?;
    Ok(record("bias_act", out, &inputs, move |g, inp, y| {
        let want_bias = matches!(inp.get(1), Some(b) if b.requires_grad());
        let (dz, gb) = bias_act_backward(g, y, act, want_bias)?;
        Ok(vec![Some(dz), gb])
    }))
}
