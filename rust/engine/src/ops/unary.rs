//! Elementwise unary ops: the dtype rule and the gradient rule; the kernels (a table per
//! backend) are cpu/unary.rs and gpu/exprs.rs.
use super::shape::cast;
use crate::autograd::record;
use crate::backend;
use crate::dtype::DType;
use crate::error::Result;
pub use crate::kinds::Unary;
use crate::tensor::Tensor;

/// Applies a unary op. Integer and bool inputs compute in float32 (as Keras does), except
/// negative / abs / square / relu / sign / rounding, which keep integer dtypes (computed in
/// int64 and cast back); float16 and bfloat16 compute in float32 and are rounded back.
pub fn unary(op: Unary, x: &Tensor, p: f64) -> Result<Tensor> {
    let be = backend::for_inputs(op.name(), &[x])?;
    let dt = x.dtype();
    if !dt.is_float() {
        if op.keeps_ints() && dt != DType::Bool {
            if dt == DType::I64 {
                return be.unary(op, x, p);
            }
            return be.unary(op, &x.try_convert(DType::I64)?, p)?.try_convert(dt);
        }
        return unary(op, &x.try_convert(DType::F32)?, p);
    }
    if dt.compute() != dt {
        return cast(&unary(op, &cast(x, dt.compute())?, p)?, dt);
    }
    let out = be.unary(op, x, p)?;
    Ok(record(op.name(), out, &[x], move |g, inp, y| {
        let be = backend::for_inputs(op.name(), &[g, &inp[0], y])?;
        let gx = be.unary_grad(op, g, &inp[0], y, p)?;
        // g * op'(x) is diagonal in g: its own adjoint
        let (x, y) = (inp[0].clone(), y.clone());
        Ok(vec![Some(crate::autograd::linear_in(op.name(), gx, g, move |w| be.unary_grad(op, w, &x, &y, p)))])
    }))
}

macro_rules! unary_fns {
    ($($f:ident => $op:ident),*) => {
        $(pub fn $f(x: &Tensor) -> Result<Tensor> { unary(Unary::$op, x, 0.0) })*
    };
}
unary_fns!(neg => Neg, abs => Abs, square => Square, sqrt => Sqrt, exp => Exp, log => Log, log1p => Log1p,
           tanh => Tanh, sigmoid => Sigmoid, relu => Relu, selu => Selu, softplus => Softplus, silu => Silu);

pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Result<Tensor> {
    unary(Unary::LeakyRelu, x, negative_slope)
}
pub fn elu(x: &Tensor, alpha: f64) -> Result<Tensor> {
    unary(Unary::Elu, x, alpha)
}
pub fn gelu(x: &Tensor, approximate: bool) -> Result<Tensor> {
    unary(if approximate { Unary::Gelu } else { Unary::GeluErf }, x, 0.0)
}
