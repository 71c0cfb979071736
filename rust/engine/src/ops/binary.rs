//! Elementwise binary ops with NumPy broadcasting and dtype promotion, comparisons, where, clip.
use super::{read2, reduce::sum_to, shape::cast, unary};
use crate::autograd::record;
use crate::bail;
use crate::cpu::elementwise::{map2, map3};
use crate::dtype::DType;
use crate::error::{fmt_shape, Result};
use crate::layout::{broadcast_shapes, Layout};
use crate::storage::Elem;
use crate::tensor::Tensor;
use crate::{with_dtype, with_float};
use num_traits::Float;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
    FloorDiv,
    Mod,
}

impl Binary {
    pub fn parse(name: &str) -> Result<Binary> {
        Ok(match name {
            "add" => Binary::Add,
            "subtract" => Binary::Sub,
            "multiply" => Binary::Mul,
            "divide" => Binary::Div,
            "power" => Binary::Pow,
            "maximum" => Binary::Maximum,
            "minimum" => Binary::Minimum,
            "floor_divide" => Binary::FloorDiv,
            "mod" => Binary::Mod,
            _ => bail!(Value, "unknown binary op '{name}'"),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "subtract",
            Binary::Mul => "multiply",
            Binary::Div => "divide",
            Binary::Pow => "power",
            Binary::Maximum => "maximum",
            Binary::Minimum => "minimum",
            Binary::FloorDiv => "floor_divide",
            Binary::Mod => "mod",
        }
    }

    fn float<T: Float + Elem>(self, a: &[T], la: &Layout, b: &[T], lb: &Layout) -> Vec<T> {
        match self {
            Binary::Add => map2(a, la, b, lb, |x, y| x + y),
            Binary::Sub => map2(a, la, b, lb, |x, y| x - y),
            Binary::Mul => map2(a, la, b, lb, |x, y| x * y),
            Binary::Div => map2(a, la, b, lb, |x, y| x / y),
            Binary::Pow => map2(a, la, b, lb, |x, y| x.powf(y)),
            // NaN propagates, as in NumPy's maximum/minimum
            Binary::Maximum => map2(a, la, b, lb, |x, y| if x >= y || x.is_nan() { x } else { y }),
            Binary::Minimum => map2(a, la, b, lb, |x, y| if x <= y || x.is_nan() { x } else { y }),
            Binary::FloorDiv => map2(a, la, b, lb, |x, y| divmod(x, y).0),
            Binary::Mod => map2(a, la, b, lb, |x, y| divmod(x, y).1),
        }
    }

    fn int(self, a: &[i64], la: &Layout, b: &[i64], lb: &Layout) -> Vec<i64> {
        match self {
            Binary::Add => map2(a, la, b, lb, |x, y| x.wrapping_add(y)),
            Binary::Sub => map2(a, la, b, lb, |x, y| x.wrapping_sub(y)),
            Binary::Mul => map2(a, la, b, lb, |x, y| x.wrapping_mul(y)),
            Binary::Pow => map2(a, la, b, lb, |x, y| x.wrapping_pow(y.clamp(0, u32::MAX as i64) as u32)),
            Binary::Maximum => map2(a, la, b, lb, |x, y| x.max(y)),
            Binary::Minimum => map2(a, la, b, lb, |x, y| x.min(y)),
            // Python's floor semantics; division by zero gives 0, as NumPy does
            Binary::FloorDiv | Binary::Div => map2(a, la, b, lb, |x, y| {
                if y == 0 {
                    0
                } else {
                    x.wrapping_div(y) - ((x.wrapping_rem(y) != 0) && ((x < 0) != (y < 0))) as i64
                }
            }),
            Binary::Mod => map2(a, la, b, lb, |x, y| {
                if y == 0 {
                    0
                } else {
                    let r = x.wrapping_rem(y);
                    if r != 0 && ((r < 0) != (y < 0)) {
                        r + y
                    } else {
                        r
                    }
                }
            }),
        }
    }

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
            Binary::FloorDiv | Binary::Mod => {
                // floor_divide is piecewise constant; a mod b = a - floor(a/b) * b
                let gb =
                    if self == Binary::Mod && rb { Some(unary::neg(&mul(g, &binary(Binary::FloorDiv, a, b)?)?)?) } else { None };
                (if self == Binary::Mod { Some(g.clone()) } else { None }, gb)
            }
        })
    }
}

/// Python's (and NumPy's) float divmod: floor division computed from fmod, so that
/// 1.0 // 0.1 == 9.0 and the remainder has the divisor's sign.
#[inline(always)]
fn divmod<T: Float>(a: T, b: T) -> (T, T) {
    if b == T::zero() {
        return (a / b, a % b);
    }
    let mut m = a % b;
    let mut div = (a - m) / b;
    if m != T::zero() {
        if (b < T::zero()) != (m < T::zero()) {
            m = m + b;
            div = div - T::one();
        }
    } else {
        m = T::zero().copysign(b);
    }
    let fd = if div != T::zero() {
        let f = div.floor();
        if div - f > T::from(0.5).unwrap_or_else(T::one) {
            f + T::one()
        } else {
            f
        }
    } else {
        T::zero().copysign(a / b)
    };
    (fd, m)
}

/// The dtype a binary op computes in: true division of integers gives float32 (as in Keras).
fn compute_dtype(op: Binary, a: DType, b: DType) -> DType {
    let d = DType::promote(a, b);
    match (op, d) {
        (Binary::Div, d) if !d.is_float() => DType::F32,
        (_, DType::Bool | DType::U8) => DType::I64,
        (_, d) => d,
    }
}

/// The operands' common shape, checked (with the size of a result of dtype `out`) before any work.
fn result_shape(op: &str, a: &Tensor, b: &Tensor, out: DType) -> Result<Vec<usize>> {
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    crate::storage::check_size(op, &shape, out)?;
    Ok(shape)
}

/// Both operands converted to `dt`, with their layouts broadcast to `shape`. The layouts are
/// taken from the converted tensors, which the kernel reads: converting a view makes a new
/// contiguous tensor, so the view's own strides and offset no longer apply.
fn converted(op: &str, shape: &[usize], a: &Tensor, b: &Tensor, dt: DType) -> Result<(Tensor, Layout, Tensor, Layout)> {
    let (ac, bc) = (a.convert(dt), b.convert(dt));
    let (la, lb) = (ac.layout().broadcast_to(op, shape)?, bc.layout().broadcast_to(op, shape)?);
    Ok((ac, la, bc, lb))
}

pub fn binary(op: Binary, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dt = compute_dtype(op, a.dtype(), b.dtype());
    let shape = result_shape(op.name(), a, b, dt)?;
    #[cfg(feature = "gpu")]
    if crate::gpu::kernels::any(op.name(), &[a, b])? {
        let (ac, bc) = (a.try_convert(dt)?, b.try_convert(dt)?);
        // int64 powers with negative exponents are an error, as on the CPU: a GPU exponent's
        // smallest value is read back for it (integer powers with a tensor exponent are rare)
        if op == Binary::Pow && dt == DType::I64 && bc.numel() > 0 {
            let lo = match bc.device() {
                crate::tensor::Device::Gpu => crate::gpu::kernels::min_max(&[&bc])?[0].0,
                _ => bc.to_vec::<i64>().into_iter().min().unwrap_or(0),
            };
            if lo < 0 {
                bail!(Value, "power: integers to negative integer powers are not allowed; cast to float first");
            }
        }
        let e = if dt == DType::I64 { crate::gpu::exprs::binary_int(op) } else { crate::gpu::exprs::binary_float(op) };
        let out = crate::gpu::kernels::map(op.name(), &[&ac, &bc], dt, &shape, &e, None)?;
        return Ok(if dt.is_float() { record_binary(op, out, a, b) } else { out });
    }
    let (ac, la, bc, lb) = converted(op.name(), &shape, a, b, dt)?;
    if op == Binary::Pow && dt == DType::I64 && bc.to_vec::<i64>().iter().any(|&y| y < 0) {
        bail!(Value, "power: integers to negative integer powers are not allowed; cast to float first");
    }
    let out = match dt {
        DType::I64 => Tensor::from_vec(read2(&ac, &bc, |x: &[i64], y: &[i64]| op.int(x, &la, y, &lb)), &shape, dt),
        _ => with_float!(dt, T => Tensor::from_vec(read2(&ac, &bc, |x: &[T], y: &[T]| op.float(x, &la, y, &lb)), &shape, dt)),
    };
    if !dt.is_float() {
        return Ok(out);
    }
    Ok(record_binary(op, out, a, b))
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Compare {
    pub fn parse(name: &str) -> Result<Compare> {
        Ok(match name {
            "equal" => Compare::Eq,
            "not_equal" => Compare::Ne,
            "less" => Compare::Lt,
            "less_equal" => Compare::Le,
            "greater" => Compare::Gt,
            "greater_equal" => Compare::Ge,
            _ => bail!(Value, "unknown comparison '{name}'"),
        })
    }
}

/// Comparison giving a bool tensor (no gradient).
pub fn compare(op: Compare, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dt = DType::promote(a.dtype(), b.dtype());
    let shape = result_shape("compare", a, b, DType::Bool)?;
    #[cfg(feature = "gpu")]
    if crate::gpu::kernels::any("compare", &[a, b])? {
        let (ac, bc) = (a.try_convert(dt)?, b.try_convert(dt)?);
        return crate::gpu::kernels::map(
            "compare",
            &[&ac, &bc],
            DType::Bool,
            &shape,
            &crate::gpu::exprs::compare(op, dt.is_float()),
            None,
        );
    }
    let (ac, la, bc, lb) = converted("compare", &shape, a, b, dt)?;
    let v = with_dtype!(dt, T => read2(&ac, &bc, |x: &[T], y: &[T]| match op {
        Compare::Eq => map2(x, &la, y, &lb, |p, q| (p == q) as u8),
        Compare::Ne => map2(x, &la, y, &lb, |p, q| (p != q) as u8),
        Compare::Lt => map2(x, &la, y, &lb, |p, q| (p < q) as u8),
        Compare::Le => map2(x, &la, y, &lb, |p, q| (p <= q) as u8),
        Compare::Gt => map2(x, &la, y, &lb, |p, q| (p > q) as u8),
        Compare::Ge => map2(x, &la, y, &lb, |p, q| (p >= q) as u8),
    }));
    Ok(Tensor::from_vec(v, &shape, DType::Bool))
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
    let (c, a, b) = (cond.try_convert(DType::Bool)?, x1.try_convert(dt)?, x2.try_convert(dt)?);
    #[cfg(feature = "gpu")]
    let gpu_out = if crate::gpu::kernels::any("where", &[&c, &a, &b])? {
        Some(crate::gpu::kernels::map("where", &[&c, &a, &b], dt, &shape, "select(c, b, a != 0u)", None)?)
    } else {
        None
    };
    #[cfg(not(feature = "gpu"))]
    let gpu_out: Option<Tensor> = None;
    let out = match gpu_out {
        Some(o) => o,
        None => {
            let (lc, la, lb) = (
                c.layout().broadcast_to("where", &shape)?,
                a.layout().broadcast_to("where", &shape)?,
                b.layout().broadcast_to("where", &shape)?,
            );
            with_dtype!(dt, T => {
                let gc = c.storage().read();
                let v = read2(&a, &b, |xa: &[T], xb: &[T]| map3(u8::slice(&gc), &lc, xa, &la, xb, &lb, |m, p, q| if m != 0 { p } else { q }));
                Tensor::from_vec(v, &shape, dt)
            })
        }
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A promoted operand is read with the converted tensor's layout, not the view's.
    #[test]
    fn mixed_dtype_views_read_the_converted_operand() {
        let x = Tensor::from_vec((0u8..6).collect(), &[2, 3], DType::U8);
        let one = Tensor::scalar(1.0, DType::F32);
        let t = x.with_layout(x.layout().permute(&[1, 0]));
        assert_eq!(mul(&t, &one).unwrap().to_vec::<f32>(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        // an offset slice (row 1) and a 0-d offset view
        let row = x.with_layout(Layout { shape: vec![1, 3], strides: vec![3, 1], offset: 3 });
        assert_eq!(div(&row, &one).unwrap().to_vec::<f32>(), vec![3.0, 4.0, 5.0]);
        let b = Tensor::from_vec(vec![1u8, 1, 1], &[3], DType::Bool);
        let el = b.with_layout(Layout { shape: vec![], strides: vec![], offset: 1 });
        let zero = Tensor::scalar(0.0, DType::I64);
        assert_eq!(add(&el, &zero).unwrap().to_vec::<i64>(), vec![1]);
        assert_eq!(compare(Compare::Lt, &t, &Tensor::scalar(2.5, DType::F32)).unwrap().to_vec::<u8>(), vec![1, 0, 1, 0, 1, 0]);
    }
}
