//! Indexing. Ints, slices, None and Ellipsis build a view; integer arrays and boolean masks
//! then gather by flat position (gather_flat), whose gradient scatters back (scatter_add_flat).
//! The flat positions are built by the backend (on the GPU by `gpu::kernels::flat_index`) from the index
//! tensors, whose bounds are checked first (GPU index tensors: one read-back of their smallest
//! and largest value); the scatter is deterministic (no float atomics). In `x[key]` the index
//! arrays are part of the key, like Python ints and lists (which arrive as CPU arrays): CPU
//! arrays indexing a GPU tensor are uploaded. take and take_along_axis follow the device rule
//! of the other ops (`backend::for_inputs`). A boolean mask's result shape depends on its values,
//! so a GPU mask is read back.
use super::{assign, shape::*};
use crate::autograd::record;
use crate::backend::{self, IndexGeom};
use crate::bail;
use crate::dtype::DType;
use crate::error::{fmt_shape, Result};
use crate::layout::{broadcast_shapes, contiguous_strides, norm_axis, Layout};
use crate::tensor::Tensor;

#[derive(Clone)]
pub enum Index {
    Int(isize),
    Slice(Option<isize>, Option<isize>, Option<isize>),
    NewAxis,
    Ellipsis,
    /// An integer (int64) or boolean tensor.
    Array(Tensor),
    /// An int64 tensor the engine built with every value valid for its dim (take_along_axis's
    /// aranges): not bounds-checked.
    InRange(Tensor),
}

/// Python's slice.indices(): normalised (start, step, length) for a dim of size n.
fn slice_indices(start: Option<isize>, stop: Option<isize>, step: Option<isize>, n: usize) -> Result<(isize, isize, usize)> {
    let n = n as isize;
    let step = step.unwrap_or(1);
    if step == 0 {
        bail!(Value, "slice step cannot be zero");
    }
    let clamp = |v: Option<isize>, default: isize| -> isize {
        match v {
            None => default,
            Some(v) => {
                let v = if v < 0 { v + n } else { v };
                if step > 0 {
                    v.clamp(0, n)
                } else {
                    v.clamp(-1, n - 1)
                }
            }
        }
    };
    let (b, e) = if step > 0 { (clamp(start, 0), clamp(stop, n)) } else { (clamp(start, n - 1), clamp(stop, -1)) };
    let len = if step > 0 { (e - b + step - 1).div_euclid(step) } else { (b - e - step - 1).div_euclid(-step) };
    Ok((b, step, len.max(0) as usize))
}

/// x[items]: NumPy's basic and advanced indexing (reading).
pub fn index(x: &Tensor, items: &[Index]) -> Result<Tensor> {
    // how many dims each item consumes
    let consumes = |it: &Index| match it {
        Index::Int(_) | Index::Slice(..) => 1,
        Index::Array(t) if t.dtype() == DType::Bool => t.ndim(),
        Index::Array(_) | Index::InRange(_) => 1,
        Index::NewAxis | Index::Ellipsis => 0,
    };
    let used: usize = items.iter().map(consumes).sum();
    if items.iter().filter(|i| matches!(i, Index::Ellipsis)).count() > 1 {
        bail!(Index, "an index can only have a single ellipsis ('...')");
    }
    if used > x.ndim() {
        bail!(Index, "too many indices for tensor: tensor is {}-dimensional, but {used} were indexed", x.ndim());
    }
    let mut full: Vec<Index> = Vec::with_capacity(items.len() + x.ndim());
    let mut saw_ellipsis = false;
    for it in items {
        if matches!(it, Index::Ellipsis) {
            saw_ellipsis = true;
            full.extend((0..x.ndim() - used).map(|_| Index::Slice(None, None, None)));
        } else {
            full.push(it.clone());
        }
    }
    if !saw_ellipsis {
        full.extend((0..x.ndim() - used).map(|_| Index::Slice(None, None, None)));
    }
    // NumPy: once any array index is present, integers are advanced indices too
    if full.iter().any(|i| matches!(i, Index::Array(_) | Index::InRange(_))) {
        let gpu_key = full.iter().any(|i| matches!(i, Index::Array(t) | Index::InRange(t) if t.device() != x.device()));
        if x.device() == crate::tensor::Device::Cpu && gpu_key {
            bail!(
                Device,
                "advanced indexing: the tensor is on the cpu and an index array is on the gpu; move the index with .to('cpu') (or the tensor with .to('gpu'))"
            );
        }
        for it in full.iter_mut() {
            if let Index::Int(i) = it {
                *it = Index::Array(Tensor::from_vec(vec![*i as i64], &[], DType::I64));
            }
        }
    }
    let (layout, arrays) = basic(x.layout(), &full)?;
    let adv = index_tensors(&arrays)?;
    let items = std::sync::Arc::new(full);
    let base = view("index", x, layout, move |g, inp, _| {
        let zero = super::zeros_on(inp[0].shape(), g.dtype(), g)?;
        let (l, _) = basic(zero.layout(), &items)?;
        assign(&zero.with_layout(l), g)?;
        // g placed into zeros: the adjoint takes the same view of its argument
        let items = items.clone();
        Ok(vec![Some(crate::autograd::linear_in("index", zero, g, move |w| {
            let w = super::contiguous_copy(w)?;
            Ok(w.with_layout(basic(w.layout(), &items)?.0))
        }))])
    });
    if adv.is_empty() {
        return Ok(base);
    }
    advanced(&base, &adv)
}

/// An advanced index: the view dim it applies to, its int64 tensor, and whether its values are
/// known to be in range (mask coordinates, take_along_axis's aranges).
use crate::backend::Adv;

/// The int64 index tensors of the array items `basic` found: integer arrays converted, boolean
/// masks turned into one coordinate tensor per masked dim (a GPU mask is read back for this).
fn index_tensors(arrays: &[(usize, &Index)]) -> Result<Vec<Adv>> {
    let mut adv = Vec::new();
    for &(at, it) in arrays {
        match it {
            Index::Array(t) if t.dtype() == DType::Bool => {
                let mask = t.to_device(crate::tensor::Device::Cpu)?;
                for (j, nz) in nonzero(&mask).into_iter().enumerate() {
                    adv.push((at + j, nz, true));
                }
            }
            Index::Array(t) => adv.push((at, t.try_convert(DType::I64)?, false)),
            Index::InRange(t) => adv.push((at, t.try_convert(DType::I64)?, true)),
            _ => {}
        }
    }
    Ok(adv)
}

/// The view that ints, slices and None select from layout `l` (advanced items keep their dims),
/// and the array items with the view dim each starts at (their values are not read here).
fn basic<'a>(l: &Layout, full: &'a [Index]) -> Result<(Layout, Vec<(usize, &'a Index)>)> {
    let mut layout = Layout { shape: vec![], strides: vec![], offset: l.offset };
    let mut offset = l.offset as isize;
    let mut arrays: Vec<(usize, &Index)> = Vec::new();
    let mut d = 0usize; // dim of the source
    for it in full {
        match it {
            Index::Int(i) => {
                let n = l.shape[d] as isize;
                let j = if *i < 0 { i + n } else { *i };
                if j < 0 || j >= n {
                    bail!(Index, "index {i} is out of bounds for axis {d} with size {n}");
                }
                offset += j * l.strides[d];
                d += 1;
            }
            Index::Slice(a, b, s) => {
                let (start, step, len) = slice_indices(*a, *b, *s, l.shape[d])?;
                if len > 0 {
                    offset += start * l.strides[d];
                }
                layout.shape.push(len);
                // over one element or none the stride is never used (and stride * a huge step
                // could overflow); over two or more, |step| < size keeps it within the storage
                layout.strides.push(if len > 1 { l.strides[d] * step } else { 0 });
                d += 1;
            }
            Index::NewAxis => {
                layout.shape.push(1);
                layout.strides.push(0);
            }
            Index::Array(t) | Index::InRange(t) => {
                let k = if t.dtype() == DType::Bool { t.ndim() } else { 1 };
                if t.dtype() == DType::Bool {
                    if t.shape() != &l.shape[d..d + k] {
                        bail!(
                            Index,
                            "boolean index of shape {} does not match the indexed dims {} of the tensor",
                            fmt_shape(t.shape()),
                            fmt_shape(&l.shape[d..d + k])
                        );
                    }
                } else if t.dtype().is_float() {
                    bail!(Index, "arrays used as indices must be of integer or boolean type, got {}", t.dtype().name());
                }
                arrays.push((layout.shape.len(), it));
                for j in 0..k {
                    layout.shape.push(l.shape[d + j]);
                    layout.strides.push(l.strides[d + j]);
                }
                d += k;
            }
            Index::Ellipsis => {}
        }
    }
    layout.offset = offset as usize;
    Ok((layout, arrays))
}

/// Coordinates of the true elements of a bool tensor: one int64 tensor per dim.
fn nonzero(mask: &Tensor) -> Vec<Tensor> {
    let v: Vec<u8> = mask.to_vec();
    let nd = mask.ndim();
    let strides = contiguous_strides(mask.shape());
    let mut coords: Vec<Vec<i64>> = vec![Vec::new(); nd];
    for (i, &m) in v.iter().enumerate() {
        if m != 0 {
            let mut r = i as isize;
            for k in 0..nd {
                coords[k].push((r / strides[k]) as i64);
                r %= strides[k];
            }
        }
    }
    coords
        .into_iter()
        .map(|c| {
            let n = c.len();
            Tensor::from_vec(c, &[n], DType::I64)
        })
        .collect()
}

/// Advanced indexing on `base` with index tensors at the given dims.
fn advanced(base: &Tensor, adv: &[Adv]) -> Result<Tensor> {
    let shape = base.shape().to_vec();
    let mut bshape: Vec<usize> = adv[0].1.shape().to_vec();
    for (_, t, _) in &adv[1..] {
        bshape = broadcast_shapes("index", &bshape, t.shape()).map_err(|_| {
            crate::error::Error::Index(format!(
                "shape mismatch: indexing arrays could not be broadcast together with shapes {}",
                adv.iter().map(|(_, t, _)| fmt_shape(t.shape())).collect::<Vec<_>>().join(" ")
            ))
        })?;
    }
    let dims: Vec<usize> = adv.iter().map(|(d, _, _)| *d).collect();
    let consecutive = dims.windows(2).all(|w| w[1] == w[0] + 1);
    let rest: Vec<usize> = (0..shape.len()).filter(|d| !dims.contains(d)).collect();
    // output dims: (rest before, broadcast, rest after) when consecutive, else (broadcast, rest)
    let split = if consecutive { rest.iter().filter(|&&d| d < dims[0]).count() } else { 0 };
    let mut out_shape: Vec<usize> = rest[..split].iter().map(|&d| shape[d]).collect();
    out_shape.extend(&bshape);
    out_shape.extend(rest[split..].iter().map(|&d| shape[d]));
    crate::storage::check_size("index", &out_shape, DType::I64)?;
    let bs = contiguous_strides(&shape);
    let geom = IndexGeom { bshape: &bshape, out_shape: &out_shape, split, rest: &rest, base_strides: &bs };
    let idx = backend::of(base.device())?.index_positions(base, adv, &geom)?;
    gather_flat(base, &idx)
}

/// out[i] = x.flat[idx[i]] (idx already in range); gradient scatters back with addition.
pub fn gather_flat(x: &Tensor, idx: &Tensor) -> Result<Tensor> {
    let out = backend::for_inputs("gather", &[x, idx])?.gather(x, idx)?;
    let idx = idx.clone();
    Ok(record("gather", out, &[x], move |g, inp, _| Ok(vec![Some(scatter_add_flat(g, &idx, inp[0].shape())?)])))
}

/// zeros(shape) with g[i] added at flat position idx[i]; the gradient gathers back.
pub fn scatter_add_flat(g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let out = backend::for_inputs("scatter_add", &[g, idx])?.scatter_add(g, idx, shape)?;
    let idx = idx.clone();
    Ok(record("scatter_add", out, &[g], move |gg, _, _| Ok(vec![Some(gather_flat(gg, &idx)?)])))
}

/// take(x, indices, axis=None): elements (axis None, on the flattened tensor) or slices along axis.
pub fn take(x: &Tensor, indices: &Tensor, axis: Option<isize>) -> Result<Tensor> {
    if indices.dtype().is_float() || indices.dtype() == DType::Bool {
        bail!(DType, "take: indices must be integers, got {}", indices.dtype().name());
    }
    backend::for_inputs("take", &[x, indices])?;
    match axis {
        None => index(&flatten(x)?, &[Index::Array(indices.clone())]),
        Some(a) => {
            let ax = norm_axis("take", a, x.ndim())?;
            let mut items: Vec<Index> = (0..ax).map(|_| Index::Slice(None, None, None)).collect();
            items.push(Index::Array(indices.clone()));
            index(x, &items)
        }
    }
}

/// take_along_axis(x, indices, axis): out[..., i, ...] = x[..., indices[..., i, ...], ...].
pub fn take_along_axis(x: &Tensor, indices: &Tensor, axis: isize) -> Result<Tensor> {
    let be = backend::for_inputs("take_along_axis", &[x, indices])?;
    let ax = norm_axis("take_along_axis", axis, x.ndim())?;
    if indices.ndim() != x.ndim() {
        bail!(Shape, "take_along_axis: indices of rank {} do not match x of rank {}", indices.ndim(), x.ndim());
    }
    let mut items = Vec::new();
    for d in 0..x.ndim() {
        if d == ax {
            items.push(Index::Array(indices.try_convert(DType::I64)?));
        } else {
            // 0 .. n along dim d, on x's device
            let mut s = vec![1usize; x.ndim()];
            s[d] = x.shape()[d];
            let r = be.iota(x.shape()[d])?;
            items.push(Index::InRange(r.with_layout(Layout::contiguous(&s))));
        }
    }
    index(x, &items)
}

/// one_hot(x, num_classes): rows with a 1 at each label (labels == 0..num_classes along a new
/// last axis); labels out of range give zeros. Composed, so it runs on every device.
pub fn one_hot(x: &Tensor, num_classes: usize, dtype: DType) -> Result<Tensor> {
    if x.dtype().is_float() {
        bail!(DType, "one_hot: labels must be integers, got {}", x.dtype().name());
    }
    let mut shape = x.shape().to_vec();
    shape.push(num_classes);
    crate::storage::check_size("one_hot", &shape, dtype)?;
    if x.numel() == 0 {
        // no labels: no classes are made either (num_classes may be far beyond memory)
        return super::zeros_on(&shape, dtype, x);
    }
    let l = super::expand_dims(&x.try_convert(DType::I64)?, -1)?;
    let hit = super::compare(super::Compare::Eq, &l, &backend::of(x.device())?.iota(num_classes)?)?;
    super::cast(&hit, dtype)
}

/// zeros(shape) with values[i] added at flat position positions[i] (the scatter behind
/// keras.ops.scatter and segment_sum): the positions are checked before anything is written
/// (on the GPU by one read-back of their smallest and largest value); floats add up in position
/// order, integers and bools add up in int64. With `last`, an element takes the value of the
/// last position that names it instead (integers only: the winner of each element).
pub fn scatter_add(values: &Tensor, positions: &Tensor, shape: &[usize], last: bool) -> Result<Tensor> {
    if positions.dtype() != DType::I64 {
        bail!(DType, "scatter_add: positions must be int64, got {}", positions.dtype().name());
    }
    if values.shape() != positions.shape() {
        bail!(
            Shape,
            "scatter_add: values of shape {} and positions of shape {} must match",
            fmt_shape(values.shape()),
            fmt_shape(positions.shape())
        );
    }
    let n = crate::storage::check_size("scatter_add", shape, values.dtype())?;
    if positions.numel() > 0 {
        let lo = super::min(positions, None, false)?.item_f64()?;
        let hi = super::max(positions, None, false)?.item_f64()?;
        if lo < 0.0 || hi >= n as f64 {
            let bad = if lo < 0.0 { lo } else { hi };
            bail!(
                Index,
                "scatter_add: position {bad} is out of bounds for a result of {n} elements (shape {})",
                fmt_shape(shape)
            );
        }
    }
    if last {
        if values.dtype().is_float() {
            bail!(DType, "scatter_add: last=True takes integer values, got {}", values.dtype().name());
        }
        return scatter_add_flat(values, positions, shape);
    }
    let out = backend::for_inputs("scatter_add", &[values, positions])?.scatter_sum(values, positions, shape)?;
    if !values.dtype().is_float() {
        return Ok(out);
    }
    let idx = positions.clone();
    Ok(record("scatter_add", out, &[values], move |gg, _, _| Ok(vec![Some(gather_flat(gg, &idx)?)])))
}
