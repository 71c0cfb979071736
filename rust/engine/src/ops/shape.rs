//! Views (reshape, transpose, broadcast_to, expand_dims, squeeze, split) and the ops that
//! move data between tensors (cast, concatenate, stack).
use super::{assign, contiguous_copy, reduce::sum_to, zeros_on};
use crate::autograd::record;
use crate::bail;
use crate::dtype::DType;
use crate::error::{fmt_shape, Result};
use crate::layout::{norm_axis, numel, Layout};
use crate::tensor::Tensor;

/// A view of x with another layout over the same storage, recording `rule` for autograd.
pub(crate) fn view(
    name: &'static str,
    x: &Tensor,
    layout: Layout,
    rule: impl Fn(&Tensor, &[Tensor], &Tensor) -> Result<Vec<Option<Tensor>>> + Send + Sync + 'static,
) -> Tensor {
    record(name, x.with_layout(layout), &[x], rule)
}

/// Converts to dtype; the gradient converts back (only between float dtypes).
pub fn cast(x: &Tensor, dtype: DType) -> Result<Tensor> {
    if x.dtype() == dtype {
        return Ok(x.clone());
    }
    let out = x.try_convert(dtype)?;
    if !(dtype.is_float() && x.dtype().is_float()) {
        return Ok(out);
    }
    let from = x.dtype();
    Ok(record("cast", out, &[x], move |g, _, _| Ok(vec![Some(g.try_convert(from)?)])))
}

/// The same bytes read as `dtype` (NumPy's and Keras's `view`): the last axis grows or shrinks by
/// the ratio of the item sizes. The result is a new tensor on x's device, outside the graph (a
/// bit pattern has no gradient); the reinterpretation runs on the host.
pub fn bitcast(x: &Tensor, dtype: DType) -> Result<Tensor> {
    if dtype == x.dtype() {
        return Ok(x.clone());
    }
    let (a, b) = (x.dtype().size(), dtype.size());
    let mut shape = x.shape().to_vec();
    if a != b {
        let Some(last) = shape.last_mut() else {
            bail!(
                Value,
                "view: a 0-d tensor changes dtype only to one of the same item size ({} has {a} bytes, {} has {b})",
                x.dtype().name(),
                dtype.name()
            )
        };
        let bytes = last.saturating_mul(a);
        if bytes % b != 0 {
            bail!(
                Value,
                "view: the last axis of shape {} ({} {}-byte items) does not split into {}-byte {} items",
                fmt_shape(x.shape()),
                last,
                a,
                b,
                dtype.name()
            );
        }
        *last = bytes / b;
    }
    let dev = x.device();
    let host = x.to_device(crate::tensor::Device::Cpu)?;
    crate::io::from_le_bytes("view: the data", &crate::io::le_bytes(&host), &shape, dtype)?.to_device(dev)
}

/// Resolves a requested shape with at most one -1.
pub fn infer_shape(x_shape: &[usize], shape: &[isize]) -> Result<Vec<usize>> {
    let n = numel(x_shape);
    let fixed: Vec<usize> = shape.iter().filter(|&&d| d >= 0).map(|&d| d as usize).collect();
    if fixed.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).is_none() {
        bail!(Shape, "reshape: cannot reshape a tensor of shape {} (size {n}) into {shape:?}", fmt_shape(x_shape));
    }
    let mut unknown = None;
    let mut known = 1usize;
    for (i, &d) in shape.iter().enumerate() {
        if d == -1 {
            if unknown.is_some() {
                bail!(Value, "reshape: can only specify one unknown dimension (-1), got {shape:?}");
            }
            unknown = Some(i);
        } else if d < 0 {
            bail!(Value, "reshape: negative dimension {d} in {shape:?}");
        } else {
            known *= d as usize;
        }
    }
    let mut out: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = unknown {
        if known == 0 || !n.is_multiple_of(known) {
            bail!(Shape, "reshape: cannot reshape a tensor of shape {} (size {n}) into {shape:?}", fmt_shape(x_shape));
        }
        out[i] = n / known;
    }
    if numel(&out) != n {
        bail!(Shape, "reshape: cannot reshape a tensor of shape {} (size {n}) into {}", fmt_shape(x_shape), fmt_shape(&out));
    }
    crate::storage::check_numel("reshape", &out)?;
    Ok(out)
}

/// Reshape: a view when the strides allow it, else a copy.
pub fn reshape(x: &Tensor, shape: &[isize]) -> Result<Tensor> {
    let shape = infer_shape(x.shape(), shape)?;
    let (src, layout) = match x.layout().reshape_view(&shape) {
        Some(l) => (x.clone(), l),
        None => {
            let c = contiguous_copy(x)?;
            let l = Layout::contiguous(&shape);
            (c, l)
        }
    };
    let out = src.with_layout(layout);
    Ok(record("reshape", out, &[x], |g, inp, _| Ok(vec![Some(reshape_to(g, inp[0].shape())?)])))
}

pub(crate) fn reshape_to(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    reshape(x, &shape.iter().map(|&d| d as isize).collect::<Vec<_>>())
}

/// Permutes the axes (None reverses them, as NumPy's transpose does).
pub fn transpose(x: &Tensor, axes: Option<&[isize]>) -> Result<Tensor> {
    let nd = x.ndim();
    let perm: Vec<usize> = match axes {
        None => (0..nd).rev().collect(),
        Some(a) => {
            if a.len() != nd {
                bail!(Value, "transpose: axes {a:?} do not match a tensor of rank {nd}");
            }
            let p = a.iter().map(|&ax| norm_axis("transpose", ax, nd)).collect::<Result<Vec<_>>>()?;
            let mut seen = vec![false; nd];
            for &q in &p {
                if seen[q] {
                    bail!(Value, "transpose: repeated axis in {a:?}");
                }
                seen[q] = true;
            }
            p
        }
    };
    let mut inv = vec![0isize; nd];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i as isize;
    }
    let layout = x.layout().permute(&perm);
    Ok(view("transpose", x, layout, move |g, _, _| Ok(vec![Some(transpose(g, Some(&inv))?)])))
}

/// Swaps two axes.
pub fn swapaxes(x: &Tensor, a: isize, b: isize) -> Result<Tensor> {
    let nd = x.ndim();
    let (a, b) = (norm_axis("swapaxes", a, nd)?, norm_axis("swapaxes", b, nd)?);
    let mut perm: Vec<isize> = (0..nd as isize).collect();
    perm.swap(a, b);
    transpose(x, Some(&perm))
}

pub fn broadcast_to(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let layout = x.layout().broadcast_to("broadcast_to", shape)?;
    Ok(view("broadcast_to", x, layout, |g, inp, _| Ok(vec![Some(sum_to(g, inp[0].shape())?)])))
}

pub fn expand_dims(x: &Tensor, axis: isize) -> Result<Tensor> {
    let nd = x.ndim() + 1;
    let ax = norm_axis("expand_dims", axis, nd)?;
    let mut l = x.layout().clone();
    l.shape.insert(ax, 1);
    l.strides.insert(ax, 0);
    Ok(view("expand_dims", x, l, |g, inp, _| Ok(vec![Some(reshape_to(g, inp[0].shape())?)])))
}

/// Removes the given size-1 axes (None: all of them).
pub fn squeeze(x: &Tensor, axes: Option<&[isize]>) -> Result<Tensor> {
    let nd = x.ndim();
    let drop: Vec<usize> = match axes {
        None => (0..nd).filter(|&i| x.shape()[i] == 1).collect(),
        Some(a) => {
            let v = a.iter().map(|&ax| norm_axis("squeeze", ax, nd)).collect::<Result<Vec<_>>>()?;
            for &d in &v {
                if x.shape()[d] != 1 {
                    bail!(Value, "squeeze: cannot select axis {d} of shape {}: its size is not 1", fmt_shape(x.shape()));
                }
            }
            v
        }
    };
    let l = x.layout();
    let keep: Vec<usize> = (0..nd).filter(|i| !drop.contains(i)).collect();
    let layout = Layout {
        shape: keep.iter().map(|&i| l.shape[i]).collect(),
        strides: keep.iter().map(|&i| l.strides[i]).collect(),
        offset: l.offset,
    };
    Ok(view("squeeze", x, layout, |g, inp, _| Ok(vec![Some(reshape_to(g, inp[0].shape())?)])))
}

/// Flattens to 1-D.
pub fn flatten(x: &Tensor) -> Result<Tensor> {
    reshape(x, &[-1])
}

/// The view x[start:stop] along `axis` (step 1); its gradient is scattered back into zeros.
pub fn narrow(x: &Tensor, axis: usize, start: usize, len: usize) -> Result<Tensor> {
    let mut l = x.layout().clone();
    l.offset = (l.offset as isize + start as isize * l.strides[axis]) as usize;
    l.shape[axis] = len;
    Ok(view("slice", x, l, move |g, inp, _| {
        let full = zeros_on(inp[0].shape(), g.dtype(), g)?;
        let dst = narrow(&full, axis, start, len)?;
        assign(&dst, g)?;
        // g placed into zeros: the adjoint takes the same slice of its argument
        Ok(vec![Some(crate::autograd::linear_in("slice", full, g, move |w| narrow(w, axis, start, len)))])
    }))
}

pub fn concatenate(xs: &[Tensor], axis: isize) -> Result<Tensor> {
    if xs.is_empty() {
        bail!(Value, "concatenate: need at least one tensor");
    }
    let nd = xs[0].ndim();
    if nd == 0 {
        bail!(Value, "concatenate: zero-dimensional tensors cannot be concatenated");
    }
    let ax = norm_axis("concatenate", axis, nd)?;
    let mut shape = xs[0].shape().to_vec();
    let mut dt = xs[0].dtype();
    for t in &xs[1..] {
        let ok = t.ndim() == nd && (0..nd).all(|d| d == ax || t.shape()[d] == shape[d]);
        if !ok {
            bail!(
                Shape,
                "concatenate: shapes {} and {} differ outside axis {ax}",
                fmt_shape(xs[0].shape()),
                fmt_shape(t.shape())
            );
        }
        shape[ax] += t.shape()[ax];
        dt = DType::promote(dt, t.dtype());
    }
    crate::storage::check_size("concatenate", &shape, dt)?;
    if xs.iter().any(|t| t.device() != xs[0].device()) {
        bail!(Device, "concatenate: expected all tensors on the same device, got cpu and gpu; move them with .to() first");
    }
    let out = zeros_on(&shape, dt, &xs[0])?;
    let mut starts = Vec::with_capacity(xs.len());
    let mut at = 0;
    for t in xs {
        starts.push(at);
        crate::autograd::no_grad(|| assign(&narrow(&out, ax, at, t.shape()[ax])?, t))?;
        at += t.shape()[ax];
    }
    let refs: Vec<&Tensor> = xs.iter().collect();
    Ok(record("concatenate", out, &refs, move |g, inp, _| {
        inp.iter()
            .zip(&starts)
            .map(|(t, &s)| Ok(if t.requires_grad() { Some(narrow(g, ax, s, t.shape()[ax])?) } else { None }))
            .collect()
    }))
}

pub fn stack(xs: &[Tensor], axis: isize) -> Result<Tensor> {
    if xs.is_empty() {
        bail!(Value, "stack: need at least one tensor");
    }
    for t in &xs[1..] {
        if t.shape() != xs[0].shape() {
            bail!(
                Shape,
                "stack: all tensors must have the same shape, got {} and {}",
                fmt_shape(xs[0].shape()),
                fmt_shape(t.shape())
            );
        }
    }
    let ax = norm_axis("stack", axis, xs[0].ndim() + 1)? as isize;
    let e = xs.iter().map(|t| expand_dims(t, ax)).collect::<Result<Vec<_>>>()?;
    concatenate(&e, ax)
}

/// split(x, sections or cut points, axis): views along one axis.
pub fn split(x: &Tensor, sections: Option<usize>, points: Option<&[usize]>, axis: isize) -> Result<Vec<Tensor>> {
    let ax = norm_axis("split", axis, x.ndim())?;
    let n = x.shape()[ax];
    let cuts: Vec<usize> = match (sections, points) {
        (Some(k), _) => {
            if k == 0 || !n.is_multiple_of(k) {
                bail!(Value, "split: axis {ax} of size {n} does not divide into {k} equal sections");
            }
            // an empty axis divides into any number of empty sections: each is a tensor
            let per_piece = std::mem::size_of::<crate::tensor::Inner>() + 2 * x.ndim() * 8 + 8;
            crate::storage::check_bytes(k.saturating_mul(per_piece)).map_err(|why| {
                crate::Error::Memory(format!("split: {k} sections of axis {ax} (size {n}) are {k} tensors, {why}"))
            })?;
            (0..=k).map(|i| (i as u128 * n as u128 / k as u128) as usize).collect()
        }
        (None, Some(p)) => {
            let mut c = vec![0];
            c.extend(p.iter().map(|&q| q.min(n)));
            c.push(n);
            c
        }
        (None, None) => bail!(Value, "split: give a number of sections or a list of indices"),
    };
    cuts.windows(2).map(|w| narrow(x, ax, w[0], w[1].saturating_sub(w[0]))).collect()
}

/// A contiguous copy (or x itself when already contiguous); gradient passes through.
pub fn contiguous(x: &Tensor) -> Result<Tensor> {
    if x.is_contiguous() {
        return Ok(x.clone());
    }
    let out = contiguous_copy(x)?;
    Ok(record("contiguous", out, &[x], |g, _, _| Ok(vec![Some(g.clone())])))
}
