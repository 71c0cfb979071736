//! Elementwise binary ops with NumPy broadcasting and dtype promotion, comparisons, where, clip:
//! the shape, dtype and gradient rules (the kernels: cpu/binary.rs, gpu/exprs.rs).
use super::{reduce::sum_to, shape::cast, unary};
use crate::autograd::record;
use crate::backend;
use crate::bail;
use crate::dtype::DType;
use crate::error::{fmt_shape, Result};
pub use crate::kinds::{Binary, Compare, GammaPart};
use crate::layout::broadcast_shapes;
use crate::tensor::Tensor;

impl Binary {
    /// Gradients of the inputs from the output gradient g (before summing back to input shapes).
    fn grad(self, g: &Tensor, a: &Tensor, b: &Tensor, out: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (ra, rb) = (a.requires_grad(), b.requires_grad());
        Ok(match self {
            Binary::Add => (Some(g.clone()), Some(g.clone())),
            Binary::Sub => (Some(g.clone()), if rb { Some(unary::neg(g)?) } else { None }),
            Binary::Mul => (if ra { Some(mul(g, b)?) } else { None }, if rb { Some(mul(g, a)?) } else { None }),
            Binary::Div => {
                (if ra { Some(div(g, b)?) } else { None }, if rb { Some(unary::neg(&div(&mul(g, out)?, b)?)?) } else { None })
            }
            Binary::Pow => (
                // d/da a^b = b * a^(b-1)
                if ra {
                    Some(mul(g, &mul(b, &binary(Binary::Pow, a, &sub(b, &Tensor::scalar(1.0, b.dtype()))?)?)?)?)
                } else {
                    None
                },
                // d/db a^b = a^b * ln(a), taken as 0 where a <= 0
                if rb {
                    let pos = compare(Compare::Gt, a, &Tensor::scalar(0.0, a.dtype()))?;
                    let safe_a = where_(&pos, a, &Tensor::scalar(1.0, a.dtype()))?;
                    Some(mul(g, &mul(out, &unary::log(&safe_a)?)?)?)
                } else {
                    None
                },
            ),
            Binary::Maximum | Binary::Minimum => {
                // the gradient goes to the selected input (to a on ties)
                let cmp = if self == Binary::Maximum { Compare::Ge } else { Compare::Le };
                let pick_a = cast(&compare(cmp, a, b)?, g.dtype())?;
                let ga = mul(g, &pick_a)?;
                let gb = sub(g, &ga)?;
                (Some(ga), Some(gb))
            }
            Binary::BitAnd | Binary::BitOr | Binary::BitXor | Binary::LeftShift | Binary::RightShift => (None, None),
            Binary::FloorDiv | Binary::Mod => {
                // floor_divide is piecewise constant; a mod b = a - floor(a/b) * b
                let gb =
                    if self == Binary::Mod && rb { Some(unary::neg(&mul(g, &binary(Binary::FloorDiv, a, b)?)?)?) } else { None };
                (if self == Binary::Mod { Some(g.clone()) } else { None }, gb)
            }
        })
    }
}

/// The dtype of a binary op's result: the operands' promotion (Keras's lattice), except that
/// true division of integers gives float32 and arithmetic on two bools other than add, multiply,
/// maximum and minimum gives int64 (Keras: int32).
fn result_dtype(op: Binary, a: DType, b: DType) -> DType {
    let d = DType::promote(a, b);
    match (op, d) {
        (Binary::Div, d) if !d.is_float() => DType::F32,
        (Binary::Add | Binary::Mul | Binary::Maximum | Binary::Minimum, DType::Bool) => DType::Bool,
        (Binary::BitAnd | Binary::BitOr | Binary::BitXor, DType::Bool) => DType::Bool,
        (_, DType::Bool) => DType::I64,
        (_, d) => d,
    }
}

/// The operands' common shape, checked (with the size of a result of dtype `out`) before any work.
fn result_shape(op: &str, a: &Tensor, b: &Tensor, out: DType) -> Result<Vec<usize>> {
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    crate::storage::check_size(op, &shape, out)?;
    Ok(shape)
}

pub fn binary(op: Binary, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if op.is_bitwise() && (a.dtype().is_float() || b.dtype().is_float()) {
        bail!(DType, "{}: takes integer or bool operands, got {} and {}", op.name(), a.dtype().name(), b.dtype().name());
    }
    let out_dt = result_dtype(op, a.dtype(), b.dtype());
    let dt = out_dt.compute();
    let shape = result_shape(op.name(), a, b, out_dt)?;
    let be = backend::for_inputs(op.name(), &[a, b])?;
    if out_dt.is_float() && dt != out_dt {
        // float16 / bfloat16: computed in float32 through recorded casts, rounded back
        return cast(&binary(op, &cast(a, dt)?, &cast(b, dt)?)?, out_dt);
    }
    // converting a view makes a new contiguous tensor: the kernel reads the converted operands
    // through their own layouts
    let (ac, bc) = (a.try_convert(dt)?, b.try_convert(dt)?);
    if op == Binary::Pow && dt == DType::I64 && bc.numel() > 0 && super::reduce::min(&bc, None, false)?.item_f64()? < 0.0 {
        bail!(Value, "power: integers to negative integer powers are not allowed; cast to float first");
    }
    let out = be.binary(op, &ac, &bc, &shape)?;
    // integers narrower than int64 keep the low bits of the int64 result, as their own
    // arithmetic would
    Ok(if dt.is_float() { record_binary(op, out, a, b) } else { out.try_convert(out_dt)? })
}

fn record_binary(op: Binary, out: Tensor, a: &Tensor, b: &Tensor) -> Tensor {
    record(op.name(), out, &[a, b], move |g, inp, out| {
        let (a, b) = (&inp[0], &inp[1]);
        let (ga, gb) = op.grad(g, a, b, out)?;
        Ok(vec![
            match ga {
                Some(t) if a.requires_grad() => Some(sum_to(&t, a.shape())?),
                _ => None,
            },
            match gb {
                Some(t) if b.requires_grad() => Some(sum_to(&t, b.shape())?),
                _ => None,
            },
        ])
    })
}

pub fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(Binary::Add, a, b)
}
pub fn sub(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(Binary::Sub, a, b)
}
pub fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(Binary::Mul, a, b)
}
pub fn div(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(Binary::Div, a, b)
}
pub fn pow(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(Binary::Pow, a, b)
}
pub fn maximum(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(Binary::Maximum, a, b)
}
pub fn minimum(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(Binary::Minimum, a, b)
}

/// The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a), elementwise with
/// broadcasting, in a float dtype (integers give float32), as keras.ops.gammainc (JAX's values at
/// the edges). Gradients in both arguments; the kernel is the CPU's (the GPU goes through the host).
pub fn gammainc(a: &Tensor, x: &Tensor) -> Result<Tensor> {
    let out_dt = DType::promote(a.dtype(), x.dtype()).to_float();
    let dt = out_dt.compute();
    let shape = result_shape("gammainc", a, x, out_dt)?;
    if dt != out_dt {
        return cast(&gammainc(&cast(a, dt)?, &cast(x, dt)?)?, out_dt);
    }
    let be = backend::for_inputs("gammainc", &[a, x])?;
    // broadcast views read by the kernel (outside the graph: the op's own rule covers them)
    let spread = |t: &Tensor| -> Result<Tensor> {
        let t = t.try_convert(dt)?;
        Ok(t.with_layout(t.layout().broadcast_to("gammainc", &shape)?))
    };
    let (ac, xc) = (spread(a)?, spread(x)?);
    let out = be.gammainc(GammaPart::P, &ac, &xc)?;
    Ok(record("gammainc", out, &[a, x], move |g, inp, _| {
        let part = |p: GammaPart, like: &Tensor| -> Result<Option<Tensor>> {
            if !like.requires_grad() {
                return Ok(None);
            }
            Ok(Some(sum_to(&mul(g, &be.gammainc(p, &ac, &xc)?)?, like.shape())?))
        };
        Ok(vec![part(GammaPart::DpDa, &inp[0])?, part(GammaPart::DpDx, &inp[1])?])
    }))
}

/// Comparison giving a bool tensor (no gradient).
pub fn compare(op: Compare, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dt = DType::promote(a.dtype(), b.dtype());
    let shape = result_shape("compare", a, b, DType::Bool)?;
    let be = backend::for_inputs("compare", &[a, b])?;
    be.compare(op, &a.try_convert(dt)?, &b.try_convert(dt)?, &shape)
}

/// where(condition, x1, x2): x1 where the condition holds, else x2; all three broadcast.
pub fn where_(cond: &Tensor, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
    let s = broadcast_shapes("where", cond.shape(), x1.shape())?;
    let shape = broadcast_shapes("where", &s, x2.shape()).map_err(|_| {
        crate::error::Error::Shape(format!(
            "where: shapes {}, {} and {} cannot be broadcast together",
            fmt_shape(cond.shape()),
            fmt_shape(x1.shape()),
            fmt_shape(x2.shape())
        ))
    })?;
    let dt = DType::promote(x1.dtype(), x2.dtype());
    crate::storage::check_size("where", &shape, dt)?;
    let be = backend::for_inputs("where", &[cond, x1, x2])?;
    let (c, a, b) = (cond.try_convert(DType::Bool)?, x1.try_convert(dt)?, x2.try_convert(dt)?);
    let out = be.select(&c, &a, &b, &shape)?;
    if !dt.is_float() {
        return Ok(out);
    }
    Ok(record("where", out, &[x1, x2], move |g, inp, _| {
        let zero = Tensor::scalar(0.0, g.dtype());
        let ga = if inp[0].requires_grad() { Some(sum_to(&where_(&c, g, &zero)?, inp[0].shape())?) } else { None };
        let gb = if inp[1].requires_grad() { Some(sum_to(&where_(&c, &zero, g)?, inp[1].shape())?) } else { None };
        Ok(vec![ga, gb])
    }))
}

/// clip(x, x_min, x_max) = minimum(maximum(x, x_min), x_max); the gradient passes inside the range.
pub fn clip(x: &Tensor, lo: &Tensor, hi: &Tensor) -> Result<Tensor> {
    minimum(&maximum(x, lo)?, hi)
}
