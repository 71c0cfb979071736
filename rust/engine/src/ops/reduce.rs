//! Reductions: sum, mean, max, min, argmax, argmin, var, std, and sum_to (broadcast's adjoint).
use super::{binary::*, shape::*, unary};
use crate::autograd::record;
use crate::backend;
use crate::bail;
use crate::error::{fmt_shape, Result};
use crate::kinds::Reduce;
use crate::layout::norm_axes;
use crate::tensor::Tensor;

fn keep_shape(shape: &[usize], axes: &[usize]) -> Vec<usize> {
    shape.iter().enumerate().map(|(i, &d)| if axes.contains(&i) { 1 } else { d }).collect()
}

/// The reduction without autograd; returns the result with reduced dims dropped.
fn reduce_raw(x: &Tensor, axes: &[usize], kind: Reduce, op: &str) -> Result<Tensor> {
    if kind != Reduce::Sum && axes.iter().any(|&a| x.shape()[a] == 0) {
        bail!(Value, "{op}: zero-size tensor of shape {} has no {op} along the reduced axes", fmt_shape(x.shape()));
    }
    backend::for_inputs(op, &[x])?.reduce(x, axes, kind)
}

fn finish(out: Tensor, x_shape: &[usize], axes: &[usize], keepdims: bool) -> Result<Tensor> {
    if keepdims {
        reshape_to(&out, &keep_shape(x_shape, axes))
    } else {
        Ok(out)
    }
}

/// Sums g back to `shape` over the dims that broadcasting added or expanded.
/// A reduction over axes, by the name `kerasish._core.reduce` takes.
pub type Reduction = fn(&Tensor, Option<&[isize]>, bool) -> Result<Tensor>;

pub fn reduction(name: &str) -> Result<Reduction> {
    Ok(match name {
        "sum" => sum,
        "mean" => mean,
        "max" => max,
        "min" => min,
        "var" => var,
        "std" => std,
        "logsumexp" => super::logsumexp,
        _ => bail!(Value, "unknown reduction '{name}'"),
    })
}

pub fn sum_to(g: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if g.shape() == shape {
        return Ok(g.clone());
    }
    let lead = g.ndim() - shape.len();
    let axes: Vec<isize> =
        (0..g.ndim()).filter(|&d| d < lead || (shape[d - lead] == 1 && g.shape()[d] != 1)).map(|d| d as isize).collect();
    let s = sum(g, Some(&axes), false)?;
    reshape_to(&s, shape)
}

/// Sums: floats keep their dtype (float16 and bfloat16 accumulate in float32), integers and
/// bools sum in int64.
pub fn sum(x: &Tensor, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
    let dt = x.dtype();
    if dt.is_float() && dt.compute() != dt {
        return cast(&sum(&cast(x, dt.compute())?, axes, keepdims)?, dt);
    }
    let ax = norm_axes("sum", axes, x.ndim())?;
    let out = finish(reduce_raw(x, &ax, Reduce::Sum, "sum")?, x.shape(), &ax, keepdims)?;
    if !out.dtype().is_float() {
        return Ok(out);
    }
    Ok(record("sum", out, &[x], move |g, inp, _| {
        let gk = reshape_to(g, &keep_shape(inp[0].shape(), &ax))?;
        Ok(vec![Some(broadcast_to(&gk, inp[0].shape())?)])
    }))
}

pub fn mean(x: &Tensor, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
    let ax = norm_axes("mean", axes, x.ndim())?;
    let count: usize = ax.iter().map(|&a| x.shape()[a]).product();
    let (xf, out_dt) = super::float_compute(x)?;
    let s = sum(&xf, axes, keepdims)?;
    cast(&div(&s, &Tensor::scalar(count as f64, s.dtype()))?, out_dt)
}

fn extreme(x: &Tensor, axes: Option<&[isize]>, keepdims: bool, min: bool) -> Result<Tensor> {
    let op = if min { "min" } else { "max" };
    let ax = norm_axes(op, axes, x.ndim())?;
    let kind = if min { Reduce::Min } else { Reduce::Max };
    let out = finish(reduce_raw(x, &ax, kind, op)?, x.shape(), &ax, keepdims)?;
    if !out.dtype().is_float() {
        return Ok(out);
    }
    Ok(record(op, out, &[x], move |g, inp, out| {
        // the gradient is shared equally by the elements that hit the extreme
        let ks = keep_shape(inp[0].shape(), &ax);
        let hit = cast(&compare(Compare::Eq, &inp[0], &reshape_to(out, &ks)?)?, g.dtype())?;
        let count = sum(&hit, Some(&ax.iter().map(|&a| a as isize).collect::<Vec<_>>()), true)?;
        Ok(vec![Some(mul(&hit, &div(&reshape_to(g, &ks)?, &count)?)?)])
    }))
}

pub fn max(x: &Tensor, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
    extreme(x, axes, keepdims, false)
}

pub fn min(x: &Tensor, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
    extreme(x, axes, keepdims, true)
}

/// Index of the largest (smallest) element along `axis`, or in the flattened tensor for None.
pub fn argextreme(x: &Tensor, axis: Option<isize>, keepdims: bool, min: bool) -> Result<Tensor> {
    let op = if min { "argmin" } else { "argmax" };
    let kind = if min { Reduce::ArgMin } else { Reduce::ArgMax };
    match axis {
        None => {
            if x.numel() == 0 {
                bail!(Value, "{op}: attempt to get {op} of an empty tensor");
            }
            // a contiguous x may still start at an offset (x = t[1:]): the flat view keeps it
            let src = if x.is_contiguous() { x.clone() } else { super::contiguous_copy(x)? };
            let mut l = crate::layout::Layout::contiguous(&[x.numel()]);
            l.offset = src.layout().offset;
            let flat = src.with_layout(l);
            let out = reduce_raw(&flat, &[0], kind, op)?;
            if keepdims {
                reshape_to(&out, &vec![1; x.ndim()])
            } else {
                Ok(out)
            }
        }
        Some(a) => {
            let ax = norm_axes(op, Some(&[a]), x.ndim())?;
            finish(reduce_raw(x, &ax, kind, op)?, x.shape(), &ax, keepdims)
        }
    }
}

pub fn argmax(x: &Tensor, axis: Option<isize>, keepdims: bool) -> Result<Tensor> {
    argextreme(x, axis, keepdims, false)
}

pub fn argmin(x: &Tensor, axis: Option<isize>, keepdims: bool) -> Result<Tensor> {
    argextreme(x, axis, keepdims, true)
}

/// Population variance (ddof 0, as keras.ops.var).
pub fn var(x: &Tensor, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
    let (xf, out_dt) = super::float_compute(x)?;
    let m = mean(&xf, axes, true)?;
    let d = sub(&xf, &m)?;
    cast(&mean(&unary::square(&d)?, axes, keepdims)?, out_dt)
}

pub fn std(x: &Tensor, axes: Option<&[isize]>, keepdims: bool) -> Result<Tensor> {
    unary::sqrt(&var(x, axes, keepdims)?)
}
