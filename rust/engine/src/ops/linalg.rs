//! matmul (NumPy semantics: 1-D operands promoted, batch dims broadcast) and dot.
use super::{binary::mul, reduce::sum_to, shape::*};
use crate::autograd::record;
use crate::backend;
use crate::bail;
use crate::dtype::DType;
use crate::error::{fmt_shape, Result};
use crate::layout::{broadcast_shapes, Layout};
use crate::tensor::Tensor;

pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.ndim() == 0 || b.ndim() == 0 {
        bail!(Value, "matmul: operands must be at least 1-D, got shapes {} and {}", fmt_shape(a.shape()), fmt_shape(b.shape()));
    }
    let ka = a.shape()[a.ndim() - 1];
    let kb = b.shape()[if b.ndim() == 1 { 0 } else { b.ndim() - 2 }];
    if ka != kb {
        bail!(Shape, "matmul: {} @ {}: inner dimensions {ka} and {kb} differ", fmt_shape(a.shape()), fmt_shape(b.shape()));
    }
    // 1-D operands: (k,) -> (1, k) on the left, (k, 1) on the right, removed again afterwards
    let a2 = if a.ndim() == 1 { expand_dims(a, 0)? } else { a.clone() };
    let b2 = if b.ndim() == 1 { expand_dims(b, 1)? } else { b.clone() };
    let out = matmul_nd(&a2, &b2)?;
    match (a.ndim() == 1, b.ndim() == 1) {
        (false, false) => Ok(out),
        (true, true) => reshape(&out, &[]),
        (true, false) => squeeze(&out, Some(&[-2])),
        (false, true) => squeeze(&out, Some(&[-1])),
    }
}

/// Both operands at least 2-D with matching inner dims.
fn matmul_nd(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    // int8 @ int8 accumulates in int32, as Keras's matmul does; other integers in their
    // promotion (computed in int64, the low bits kept)
    let out_dt = match (a.dtype(), b.dtype()) {
        (DType::I8, DType::I8) => DType::I32,
        (x, y) => DType::promote(x, y),
    };
    let dt = out_dt.compute();
    if out_dt.is_float() && dt != out_dt {
        return cast(&matmul_nd(&cast(a, dt)?, &cast(b, dt)?)?, out_dt);
    }
    let (na, nb) = (a.ndim(), b.ndim());
    let (m, k, n) = (a.shape()[na - 2], a.shape()[na - 1], b.shape()[nb - 1]);
    let batch = broadcast_shapes("matmul", &a.shape()[..na - 2], &b.shape()[..nb - 2]).map_err(|_| {
        crate::error::Error::Shape(format!(
            "matmul: {} @ {}: batch dimensions cannot be broadcast together",
            fmt_shape(a.shape()),
            fmt_shape(b.shape())
        ))
    })?;
    let mut out_shape = batch.clone();
    out_shape.extend([m, n]);
    crate::storage::check_size("matmul", &out_shape, dt)?;
    let (ac, bc) = (a.try_convert(dt)?, b.try_convert(dt)?);
    let full = |x: &Tensor, r: usize, c: usize| -> Result<Layout> {
        let mut s = batch.clone();
        s.extend([r, c]);
        x.layout().broadcast_to("matmul", &s)
    };
    let (la, lb) = (full(&ac, m, k)?, full(&bc, k, n)?);
    let out = backend::for_inputs("matmul", &[a, b])?.matmul(&ac, &la, &bc, &lb, &batch, m, n, k)?;
    if !dt.is_float() {
        return out.try_convert(out_dt);
    }
    Ok(record_matmul(out, a, b))
}

fn record_matmul(out: Tensor, a: &Tensor, b: &Tensor) -> Tensor {
    record("matmul", out, &[a, b], |g, inp, _| {
        let (a, b) = (&inp[0], &inp[1]);
        let ga = if a.requires_grad() { Some(sum_to(&matmul_nd(g, &swapaxes(b, -1, -2)?)?, a.shape())?) } else { None };
        let gb = if b.requires_grad() { Some(sum_to(&matmul_nd(&swapaxes(a, -1, -2)?, g)?, b.shape())?) } else { None };
        Ok(vec![ga, gb])
    })
}

/// NumPy's dot: products with scalars, inner product of vectors, matmul of matrices, and for
/// N-D operands a sum over the last axis of a and the second-to-last of b.
pub fn dot(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return mul(a, b);
    }
    if b.ndim() <= 2 {
        return matmul(a, b);
    }
    let nb = b.ndim();
    let k = b.shape()[nb - 2];
    if a.shape()[a.ndim() - 1] != k {
        bail!(
            Shape,
            "dot: shapes {} and {} not aligned: {} (dim {}) != {k} (dim {})",
            fmt_shape(a.shape()),
            fmt_shape(b.shape()),
            a.shape()[a.ndim() - 1],
            a.ndim() - 1,
            nb - 2
        );
    }
    // move b's axis -2 to the front and flatten the rest
    let mut perm: Vec<isize> = vec![(nb - 2) as isize];
    perm.extend((0..nb).filter(|&d| d != nb - 2).map(|d| d as isize));
    let bt = reshape(&transpose(b, Some(&perm))?, &[k as isize, -1])?;
    let a2 = reshape(a, &[-1, k as isize])?;
    let mut shape: Vec<usize> = a.shape()[..a.ndim() - 1].to_vec();
    shape.extend(&b.shape()[..nb - 2]);
    shape.push(b.shape()[nb - 1]);
    reshape_to(&matmul(&a2, &bt)?, &shape)
}
