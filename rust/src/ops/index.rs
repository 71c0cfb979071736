//! Indexing. Ints, slices, None and Ellipsis build a view; integer arrays and boolean masks
//! then gather by flat position (gather_flat), whose gradient scatters back (scatter_add_flat).
use super::{assign, read1, shape::*};
use crate::autograd::record;
use crate::bail;
use crate::dtype::DType;
use crate::error::{fmt_shape, Result};
use crate::layout::{broadcast_shapes, contiguous_strides, norm_axis, Layout};
use crate::tensor::Tensor;
use crate::with_dtype;

#[derive(Clone)]
pub enum Index {
    Int(isize),
    Slice(Option<isize>, Option<isize>, Option<isize>),
    NewAxis,
    Ellipsis,
    /// An integer (int64) or boolean tensor.
    Array(Tensor),
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
                if step > 0 { v.clamp(0, n) } else { v.clamp(-1, n - 1) }
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
        Index::Array(_) => 1,
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
    if full.iter().any(|i| matches!(i, Index::Array(_))) {
        let mut ts: Vec<&Tensor> = vec![x];
        ts.extend(full.iter().filter_map(|i| if let Index::Array(t) = i { Some(t) } else { None }));
        crate::tensor::cpu_only("advanced indexing", &ts)?;
        for it in full.iter_mut() {
            if let Index::Int(i) = it {
                *it = Index::Array(Tensor::from_vec(vec![*i as i64], &[], DType::I64));
            }
        }
    }
    let (layout, adv) = basic(x.layout(), &full)?;
    let items = std::sync::Arc::new(full);
    let base = view("index", x, layout, move |g, inp, _| {
        let zero = super::zeros_on(inp[0].shape(), g.dtype(), g)?;
        let (l, _) = basic(zero.layout(), &items)?;
        assign(&zero.with_layout(l), g)?;
        Ok(vec![Some(zero)])
    });
    if adv.is_empty() {
        return Ok(base);
    }
    advanced(&base, &adv)
}

/// The view that ints, slices and None select from layout `l` (advanced items keep their dims),
/// and the advanced index tensors with the view dims they apply to.
fn basic(l: &Layout, full: &[Index]) -> Result<(Layout, Vec<(usize, Tensor)>)> {
    let mut layout = Layout { shape: vec![], strides: vec![], offset: l.offset };
    let mut offset = l.offset as isize;
    let mut adv: Vec<(usize, Tensor)> = Vec::new();
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
                layout.strides.push(l.strides[d] * step);
                d += 1;
            }
            Index::NewAxis => {
                layout.shape.push(1);
                layout.strides.push(0);
            }
            Index::Array(t) => {
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
                    for (j, nz) in nonzero(t).into_iter().enumerate() {
                        adv.push((layout.shape.len() + j, nz));
                    }
                } else {
                    if t.dtype().is_float() {
                        bail!(Index, "arrays used as indices must be of integer or boolean type, got {}", t.dtype().name());
                    }
                    adv.push((layout.shape.len(), t.convert(DType::I64)));
                }
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
    Ok((layout, adv))
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
    coords.into_iter().map(|c| { let n = c.len(); Tensor::from_vec(c, &[n], DType::I64) }).collect()
}

/// Advanced indexing on `base` with index tensors at the given dims.
fn advanced(base: &Tensor, adv: &[(usize, Tensor)]) -> Result<Tensor> {
    let shape = base.shape().to_vec();
    let mut bshape: Vec<usize> = adv[0].1.shape().to_vec();
    for (_, t) in &adv[1..] {
        bshape = broadcast_shapes("index", &bshape, t.shape()).map_err(|_| {
            crate::error::Error::Index(format!(
                "shape mismatch: indexing arrays could not be broadcast together with shapes {}",
                adv.iter().map(|(_, t)| fmt_shape(t.shape())).collect::<Vec<_>>().join(" ")
            ))
        })?;
    }
    let dims: Vec<usize> = adv.iter().map(|(d, _)| *d).collect();
    let consecutive = dims.windows(2).all(|w| w[1] == w[0] + 1);
    let rest: Vec<usize> = (0..shape.len()).filter(|d| !dims.contains(d)).collect();
    // output dims: (rest before, broadcast, rest after) when consecutive, else (broadcast, rest)
    let split = if consecutive { rest.iter().filter(|&&d| d < dims[0]).count() } else { 0 };
    let mut out_shape: Vec<usize> = rest[..split].iter().map(|&d| shape[d]).collect();
    out_shape.extend(&bshape);
    out_shape.extend(rest[split..].iter().map(|&d| shape[d]));
    crate::storage::check_size("index", &out_shape, DType::I64)?;
    let bs = contiguous_strides(&shape);
    // flat position contributed by each index array, bounds checked
    let mut contrib: Vec<Vec<i64>> = Vec::new();
    for (d, t) in adv {
        let n = shape[*d] as i64;
        let lb = t.layout().broadcast_to("index", &bshape)?;
        let vals: Vec<i64> = read1(t, |s: &[i64]| crate::cpu::elementwise::map1(s, &lb, |v| v));
        let mut c = Vec::with_capacity(vals.len());
        for v in vals {
            let j = if v < 0 { v + n } else { v };
            if j < 0 || j >= n {
                bail!(Index, "index {v} is out of bounds for axis {d} with size {n}");
            }
            c.push(j * bs[*d] as i64);
        }
        contrib.push(c);
    }
    let nb: usize = bshape.iter().product();
    let adv_flat: Vec<i64> = (0..nb).map(|i| contrib.iter().map(|c| c[i]).sum()).collect();
    // walk the output in row-major order
    let rest_before: Vec<usize> = rest[..split].to_vec();
    let rest_after: Vec<usize> = rest[split..].to_vec();
    let n_before: usize = rest_before.iter().map(|&d| shape[d]).product();
    let n_after: usize = rest_after.iter().map(|&d| shape[d]).product();
    let offs = |dims: &[usize], mut r: usize| -> i64 {
        let mut o = 0i64;
        for &d in dims.iter().rev() {
            o += (r % shape[d]) as i64 * bs[d] as i64;
            r /= shape[d];
        }
        o
    };
    let after_offs: Vec<i64> = (0..n_after).map(|r| offs(&rest_after, r)).collect();
    let mut idx = Vec::with_capacity(n_before * nb * n_after);
    for rb in 0..n_before {
        let ob = offs(&rest_before, rb);
        for &a in &adv_flat {
            for &oa in &after_offs {
                idx.push(ob + a + oa);
            }
        }
    }
    let idx = Tensor::from_vec(idx, &out_shape, DType::I64);
    gather_flat(base, &idx)
}

/// out[i] = x.flat[idx[i]] (idx already in range); gradient scatters back with addition.
pub fn gather_flat(x: &Tensor, idx: &Tensor) -> Result<Tensor> {
    crate::tensor::cpu_only("advanced indexing (gather)", &[x, idx])?;
    let xc = x.contiguous_data();
    let ids: Vec<i64> = idx.to_vec();
    let out = with_dtype!(x.dtype(), T => {
        let v: Vec<T> = xc.with_contiguous(|s: &[T]| ids.iter().map(|&i| s[i as usize]).collect());
        Tensor::from_vec(v, idx.shape(), x.dtype())
    });
    let idx = idx.clone();
    Ok(record("gather", out, &[x], move |g, inp, _| {
        Ok(vec![Some(scatter_add_flat(g, &idx, inp[0].shape())?)])
    }))
}

/// zeros(shape) with g[i] added at flat position idx[i]; the gradient gathers back.
pub fn scatter_add_flat(g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor> {
    crate::tensor::cpu_only("scatter_add", &[g, idx])?;
    let n: usize = shape.iter().product();
    let ids: Vec<i64> = idx.to_vec();
    let out = with_dtype!(g.dtype(), T => {
        let gv: Vec<T> = g.to_vec();
        let mut acc = vec![T::default(); n];
        if g.dtype().is_float() {
            let mut f = vec![0f64; n];
            for (&i, &v) in ids.iter().zip(&gv) { f[i as usize] += crate::storage::Elem::to_f64(v); }
            for (a, v) in acc.iter_mut().zip(f) { *a = crate::storage::Elem::from_f64(v); }
        } else {
            for (&i, &v) in ids.iter().zip(&gv) { acc[i as usize] = v; }
        }
        Tensor::from_vec(acc, shape, g.dtype())
    });
    let idx = idx.clone();
    Ok(record("scatter_add", out, &[g], move |gg, _, _| Ok(vec![Some(gather_flat(gg, &idx)?)])))
}

/// take(x, indices, axis=None): elements (axis None, on the flattened tensor) or slices along axis.
pub fn take(x: &Tensor, indices: &Tensor, axis: Option<isize>) -> Result<Tensor> {
    if indices.dtype().is_float() || indices.dtype() == DType::Bool {
        bail!(DType, "take: indices must be integers, got {}", indices.dtype().name());
    }
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
    crate::tensor::cpu_only("take_along_axis", &[x, indices])?;
    let ax = norm_axis("take_along_axis", axis, x.ndim())?;
    if indices.ndim() != x.ndim() {
        bail!(Shape, "take_along_axis: indices of rank {} do not match x of rank {}", indices.ndim(), x.ndim());
    }
    let mut items = Vec::new();
    for d in 0..x.ndim() {
        if d == ax {
            items.push(Index::Array(indices.convert(DType::I64)));
        } else {
            let mut s = vec![1usize; x.ndim()];
            s[d] = x.shape()[d];
            let r: Vec<i64> = (0..x.shape()[d] as i64).collect();
            items.push(Index::Array(Tensor::from_vec(r, &s, DType::I64)));
        }
    }
    index(x, &items)
}

/// one_hot(x, num_classes): float32 rows with a 1 at each label; labels out of range give zeros.
pub fn one_hot(x: &Tensor, num_classes: usize, dtype: DType) -> Result<Tensor> {
    if x.dtype().is_float() {
        bail!(DType, "one_hot: labels must be integers, got {}", x.dtype().name());
    }
    #[cfg(feature = "gpu")]
    if x.device() == crate::tensor::Device::Gpu {
        // labels == 0..num_classes along a new last axis (labels out of range give zeros)
        let l = super::expand_dims(&x.try_convert(DType::I64)?, -1)?;
        let hit = super::compare(super::Compare::Eq, &l, &crate::gpu::kernels::iota(num_classes)?)?;
        return super::cast(&hit, dtype);
    }
    let labels: Vec<i64> = x.convert(DType::I64).to_vec();
    let mut shape = x.shape().to_vec();
    shape.push(num_classes);
    crate::storage::check_size("one_hot", &shape, DType::F64)?;
    let mut out = vec![0f64; labels.len() * num_classes];
    for (i, &l) in labels.iter().enumerate() {
        if l >= 0 && (l as usize) < num_classes {
            out[i * num_classes + l as usize] = 1.0;
        }
    }
    Ok(Tensor::from_vec(out, &shape, DType::F64).convert(dtype))
}
