//! Ops along one axis that look at a whole row: argsort (sort, top_k and in_top_k are composed
//! from it in Python: values are gathered with take_along_axis, which carries the gradient) and
//! cumsum.
use super::index::{index, Index};
use super::shape::{cast, swapaxes};
use crate::autograd::record;
use crate::backend;
use crate::dtype::DType;
use crate::error::Result;
use crate::layout::norm_axis;
use crate::tensor::Tensor;

/// Runs a last-axis row op along `axis` (moved to the end and back, as views).
fn along(x: &Tensor, axis: isize, op: &str, f: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    if x.ndim() == 0 {
        let y = f(&super::reshape_to(x, &[1])?)?;
        return super::reshape_to(&y, &[]);
    }
    let ax = norm_axis(op, axis, x.ndim())? as isize;
    let last = x.ndim() as isize - 1;
    if ax == last {
        return f(x);
    }
    swapaxes(&f(&swapaxes(x, ax, last)?)?, ax, last)
}

/// The int64 positions that sort x along `axis` (stable; NaN last, or first when descending).
pub fn argsort(x: &Tensor, axis: isize, descending: bool) -> Result<Tensor> {
    along(x, axis, "argsort", |r| backend::for_inputs("argsort", &[r])?.argsort(r, descending))
}

/// Running sums along `axis`, in the input's dtype as Keras gives them (integers narrower than
/// int64 wrap; bools count in int64; float16 and bfloat16 accumulate in float32). The gradient
/// is the running sum of the gradient taken from the other end.
pub fn cumsum(x: &Tensor, axis: isize) -> Result<Tensor> {
    let out_dt = if x.dtype() == DType::Bool { DType::I64 } else { x.dtype() };
    let dt = out_dt.compute();
    if dt != out_dt {
        return cast(&cumsum(&cast(x, dt)?, axis)?, out_dt);
    }
    let xc = cast(x, dt)?;
    along(&xc, axis, "cumsum", |r| {
        let out = backend::for_inputs("cumsum", &[r])?.cumsum(r)?;
        if !dt.is_float() {
            return Ok(out);
        }
        Ok(record("cumsum", out, &[r], |g, _, _| {
            let last = g.ndim() as isize - 1;
            Ok(vec![Some(flip(&cumsum(&flip(g, last)?, last)?, last)?)])
        }))
    })
}

/// x reversed along `axis` (a view).
fn flip(x: &Tensor, axis: isize) -> Result<Tensor> {
    let ax = norm_axis("flip", axis, x.ndim())?;
    let items: Vec<Index> = (0..x.ndim())
        .map(|d| if d == ax { Index::Slice(None, None, Some(-1)) } else { Index::Slice(None, None, None) })
        .collect();
    index(x, &items)
}
