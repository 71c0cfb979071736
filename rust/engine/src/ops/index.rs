//! Indexing. Ints, slices, None and Ellipsis build a view; integer arrays and boolean masks
//! then gather by flat position (gather_flat), whose gradient scatters back (scatter_add_flat).
//! On the GPU the flat positions are built there (`gpu::kernels::flat_index`) from the index
//! tensors, whose bounds are checked first (GPU index tensors: one read-back of their smallest
//! and largest value); the scatter is deterministic (no float atomics). In `x[key]` the index
//! arrays are part of the key, like Python ints and lists (which arrive as CPU arrays): CPU
//! arrays indexing a GPU tensor are uploaded. take and take_along_axis follow the device rule
//! of the other ops (`gpu::kernels::any`). A boolean mask's result shape depends on its values,
//! so a GPU mask is read back.
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
        Ok(vec![Some(zero)])
    });
    if adv.is_empty() {
        return Ok(base);
    }
    advanced(&base, &adv)
}

/// An advanced index: the view dim it applies to, its int64 tensor, and whether its values are
/// known to be in range (mask coordinates, take_along_axis's aranges).
type Adv = (usize, Tensor, bool);

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
    #[cfg(feature = "gpu")]
    if base.device() == crate::tensor::Device::Gpu {
        return advanced_gpu(base, adv, &bshape, &out_shape, split, &rest, &bs);
    }
    // flat position contributed by each index array, bounds checked
    let mut contrib: Vec<Vec<i64>> = Vec::new();
    for (d, t, in_range) in adv {
        let n = shape[*d] as i64;
        let lb = t.layout().broadcast_to("index", &bshape)?;
        let vals: Vec<i64> = read1(t, |s: &[i64]| crate::cpu::elementwise::map1(s, &lb, |v| v));
        let mut c = Vec::with_capacity(vals.len());
        for v in vals {
            let j = if v < 0 { v + n } else { v };
            if !in_range && (j < 0 || j >= n) {
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

/// Advanced indexing of a GPU tensor: bounds checked (CPU index tensors on the host, GPU ones by
/// one read-back of their extremes), then the flat positions built on the GPU and gathered. CPU
/// index arrays are uploaded; 0-d ones only shift the positions by a constant.
#[cfg(feature = "gpu")]
#[allow(clippy::too_many_arguments)]
fn advanced_gpu(
    base: &Tensor,
    adv: &[Adv],
    bshape: &[usize],
    out_shape: &[usize],
    split: usize,
    rest: &[usize],
    bs: &[isize],
) -> Result<Tensor> {
    use crate::tensor::Device;
    let shape = base.shape();
    if base.numel() > i32::MAX as usize {
        bail!(
            Memory,
            "index: a gpu tensor of {} elements is too large to index with arrays (positions are 32-bit)",
            base.numel()
        );
    }
    let out_of_bounds =
        |v: i64, d: usize| crate::error::Error::Index(format!("index {v} is out of bounds for axis {d} with size {}", shape[d]));
    // NumPy reads no index values when the broadcast index is empty
    let checked = bshape.iter().product::<usize>() > 0;
    let nbd = bshape.len();
    let mut c0 = 0i64;
    let mut terms: Vec<(Tensor, usize, usize)> = Vec::new();
    let mut on_gpu: Vec<(usize, Tensor)> = Vec::new();
    for (d, t, in_range) in adv {
        let n = shape[*d] as i64;
        let t = if t.device() == Device::Cpu {
            let vals: Vec<i64> = t.to_vec();
            if checked && !in_range {
                if let Some(&v) = vals.iter().find(|&&v| v < -n || v >= n) {
                    return Err(out_of_bounds(v, *d));
                }
            }
            if t.ndim() == 0 {
                if checked {
                    c0 += (if vals[0] < 0 { vals[0] + n } else { vals[0] }) * bs[*d] as i64;
                }
                continue;
            }
            t.to_device(Device::Gpu)?
        } else {
            if checked && !in_range {
                on_gpu.push((*d, t.clone()));
            }
            t.clone()
        };
        let lb = t.layout().broadcast_to("index", bshape)?;
        let mut strides = vec![0isize; out_shape.len()];
        strides[split..split + nbd].copy_from_slice(&lb.strides);
        terms.push((t.with_layout(Layout { shape: out_shape.to_vec(), strides, offset: lb.offset }), shape[*d], bs[*d] as usize));
    }
    if !on_gpu.is_empty() {
        let ts: Vec<&Tensor> = on_gpu.iter().map(|(_, t)| t).collect();
        for ((d, _), (lo, hi)) in on_gpu.iter().zip(crate::gpu::kernels::min_max(&ts)?) {
            let n = shape[*d] as i64;
            if lo < -n {
                return Err(out_of_bounds(lo, *d));
            }
            if hi >= n {
                return Err(out_of_bounds(hi, *d));
            }
        }
    }
    // the row-major stride in base of each output dim that is not an advanced one
    let mut rest_strides = vec![0usize; out_shape.len()];
    for (k, &d) in rest.iter().enumerate() {
        let at = if k < split { k } else { k + nbd };
        rest_strides[at] = bs[d] as usize;
    }
    let idx = crate::gpu::kernels::flat_index(out_shape, &rest_strides, c0, &terms)?;
    gather_flat(base, &idx)
}

/// out[i] = x.flat[idx[i]] (idx already in range); gradient scatters back with addition.
pub fn gather_flat(x: &Tensor, idx: &Tensor) -> Result<Tensor> {
    let out = if on_gpu("gather", &[x, idx])? {
        gpu_gather(x, idx)?
    } else {
        let xc = x.contiguous_data();
        let ids: Vec<i64> = idx.to_vec();
        with_dtype!(x.dtype(), T => {
            let v: Vec<T> = xc.with_contiguous(|s: &[T]| ids.iter().map(|&i| s[i as usize]).collect());
            Tensor::from_vec(v, idx.shape(), x.dtype())
        })
    };
    let idx = idx.clone();
    Ok(record("gather", out, &[x], move |g, inp, _| Ok(vec![Some(scatter_add_flat(g, &idx, inp[0].shape())?)])))
}

/// zeros(shape) with g[i] added at flat position idx[i]; the gradient gathers back.
pub fn scatter_add_flat(g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let out = if on_gpu("scatter_add", &[g, idx])? { gpu_scatter_add(g, idx, shape)? } else { scatter_add_cpu(g, idx, shape) };
    let idx = idx.clone();
    Ok(record("scatter_add", out, &[g], move |gg, _, _| Ok(vec![Some(gather_flat(gg, &idx)?)])))
}

/// True when the op's tensors are on the GPU (the device rule of `gpu::kernels::any`).
fn on_gpu(op: &str, ts: &[&Tensor]) -> Result<bool> {
    #[cfg(feature = "gpu")]
    return crate::gpu::kernels::any(op, ts);
    #[cfg(not(feature = "gpu"))]
    {
        let _ = (op, ts);
        Ok(false)
    }
}

#[cfg(feature = "gpu")]
fn gpu_gather(x: &Tensor, idx: &Tensor) -> Result<Tensor> {
    crate::gpu::kernels::gather(x, idx)
}
#[cfg(feature = "gpu")]
fn gpu_scatter_add(g: &Tensor, idx: &Tensor, shape: &[usize]) -> Result<Tensor> {
    crate::gpu::kernels::scatter_add(g, idx, shape)
}
#[cfg(not(feature = "gpu"))]
fn gpu_gather(_: &Tensor, _: &Tensor) -> Result<Tensor> {
    Err(crate::tensor::no_gpu())
}
#[cfg(not(feature = "gpu"))]
fn gpu_scatter_add(_: &Tensor, _: &Tensor, _: &[usize]) -> Result<Tensor> {
    Err(crate::tensor::no_gpu())
}

/// The CPU scatter: floats summed in float64 in position order; other dtypes keep the last value.
fn scatter_add_cpu(g: &Tensor, idx: &Tensor, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let ids: Vec<i64> = idx.to_vec();
    with_dtype!(g.dtype(), T => {
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
    })
}

/// take(x, indices, axis=None): elements (axis None, on the flattened tensor) or slices along axis.
pub fn take(x: &Tensor, indices: &Tensor, axis: Option<isize>) -> Result<Tensor> {
    if indices.dtype().is_float() || indices.dtype() == DType::Bool {
        bail!(DType, "take: indices must be integers, got {}", indices.dtype().name());
    }
    on_gpu("take", &[x, indices])?;
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
    let gpu = on_gpu("take_along_axis", &[x, indices])?;
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
            let r = if gpu {
                arange_gpu(x.shape()[d])?
            } else {
                Tensor::from_vec((0..x.shape()[d] as i64).collect::<Vec<i64>>(), &[x.shape()[d]], DType::I64)
            };
            items.push(Index::InRange(r.with_layout(Layout::contiguous(&s))));
        }
    }
    index(x, &items)
}

#[cfg(feature = "gpu")]
fn arange_gpu(n: usize) -> Result<Tensor> {
    crate::gpu::kernels::iota(n)
}
#[cfg(not(feature = "gpu"))]
fn arange_gpu(_: usize) -> Result<Tensor> {
    Err(crate::tensor::no_gpu())
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

#[cfg(all(test, feature = "gpu"))]
mod gpu_tests {
    use super::*;
    use crate::tensor::Device;

    /// The GPU scatter equals the CPU's for every GPU dtype: floats add up over repeated
    /// targets, integers and bools keep the value at the last position, untouched targets are 0.
    /// (From Python only float gradients reach the scatter.)
    #[test]
    fn scatter_add_matches_cpu_for_every_dtype() {
        if let Err(e) = crate::gpu::ctx() {
            eprintln!("skipped, no GPU: {e}");
            return;
        }
        let idx = Tensor::from_vec(vec![3i64, 0, 3, 5, 3, 0, 1], &[7], DType::I64);
        let cases: [(DType, Vec<f64>); 4] = [
            (DType::F32, vec![1.5, -2.0, 4.0, 7.0, 0.25, 3.0, 9.0]),
            (DType::I64, vec![10.0, -20.0, 30.0, 40.0, 50.0, 60.0, 70.0]),
            (DType::U8, vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]),
            (DType::Bool, vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]),
        ];
        for (dt, vals) in cases {
            let g = Tensor::from_vec(vals, &[7], DType::F64).convert(dt);
            let cpu = scatter_add_flat(&g, &idx, &[2, 3]).unwrap();
            let on_gpu =
                scatter_add_flat(&g.to_device(Device::Gpu).unwrap(), &idx.to_device(Device::Gpu).unwrap(), &[2, 3]).unwrap();
            assert_eq!(on_gpu.device(), Device::Gpu);
            let back = on_gpu.to_device(Device::Cpu).unwrap();
            assert_eq!(back.dtype(), dt);
            assert_eq!(back.shape(), &[2, 3]);
            assert_eq!(back.convert(DType::F64).to_vec::<f64>(), cpu.convert(DType::F64).to_vec::<f64>(), "{dt:?}");
        }
        // the last position wins for integers, not the first or the largest value
        let g = Tensor::from_vec(vec![10i64, -20, 30, 40, 50, 60, 70], &[7], DType::I64).to_device(Device::Gpu).unwrap();
        let out = scatter_add_flat(&g, &idx.to_device(Device::Gpu).unwrap(), &[6]).unwrap().to_device(Device::Cpu).unwrap();
        assert_eq!(out.to_vec::<i64>(), vec![60, 70, 0, 50, 0, 40]);
    }

    /// gather reads through the layout of a strided view, without a copy.
    #[test]
    fn gather_reads_strided_views() {
        if let Err(e) = crate::gpu::ctx() {
            eprintln!("skipped, no GPU: {e}");
            return;
        }
        let x = Tensor::from_vec((0..24).map(|v| v as f32).collect::<Vec<f32>>(), &[4, 6], DType::F32);
        let l = Layout { shape: vec![3, 2], strides: vec![-6, 3], offset: 19 }; // x[3:0:-1, 1::3]
        let idx = Tensor::from_vec(vec![5i64, 0, 2, 2], &[2, 2], DType::I64);
        let cpu = gather_flat(&x.with_layout(l.clone()), &idx).unwrap();
        let xg = x.to_device(Device::Gpu).unwrap().with_layout(l);
        let g = gather_flat(&xg, &idx.to_device(Device::Gpu).unwrap()).unwrap().to_device(Device::Cpu).unwrap();
        assert_eq!(g.to_vec::<f32>(), cpu.to_vec::<f32>());
        assert_eq!(cpu.to_vec::<f32>(), vec![10.0, 19.0, 13.0, 13.0]);
    }
}
