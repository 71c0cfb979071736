//! Layout = shape + strides (in elements, may be negative or zero) + offset into the storage.
//! Views (reshape of contiguous data, transpose, slicing, broadcasting, expand_dims, squeeze)
//! only build a new Layout; the data is never touched.
use crate::bail;
use crate::error::{fmt_shape, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub shape: Vec<usize>,
    pub strides: Vec<isize>,
    pub offset: usize,
}

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

pub fn contiguous_strides(shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut s = 1isize;
    for i in (0..shape.len()).rev() {
        strides[i] = s;
        s *= shape[i].max(1) as isize;
    }
    strides
}

/// Resolves a possibly negative axis against `ndim`.
pub fn norm_axis(op: &str, axis: isize, ndim: usize) -> Result<usize> {
    let a = if axis < 0 { axis + ndim as isize } else { axis };
    if a < 0 || a >= ndim as isize {
        bail!(Index, "{op}: axis {axis} is out of bounds for a tensor of rank {ndim}");
    }
    Ok(a as usize)
}

/// Resolves an optional list of axes (None = all) into a sorted, duplicate-free list.
pub fn norm_axes(op: &str, axes: Option<&[isize]>, ndim: usize) -> Result<Vec<usize>> {
    let mut out = match axes {
        None => (0..ndim).collect::<Vec<_>>(),
        Some(ax) => ax.iter().map(|&a| norm_axis(op, a, ndim)).collect::<Result<Vec<_>>>()?,
    };
    out.sort_unstable();
    let n = out.len();
    out.dedup();
    if out.len() != n {
        bail!(Value, "{op}: repeated axis in {:?}", axes.unwrap_or(&[]));
    }
    Ok(out)
}

/// NumPy broadcasting of two shapes.
pub fn broadcast_shapes(op: &str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            bail!(Shape, "{op}: shapes {} and {} cannot be broadcast together", fmt_shape(a), fmt_shape(b));
        };
    }
    Ok(out)
}

impl Layout {
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: 0 }
    }

    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// Row-major contiguous (size-1 dims may have any stride).
    pub fn is_contiguous(&self) -> bool {
        let mut expect = 1isize;
        for i in (0..self.shape.len()).rev() {
            if self.shape[i] != 1 && self.strides[i] != expect {
                return false;
            }
            expect *= self.shape[i] as isize;
        }
        true
    }

    /// Storage range [start, end) the layout can touch, for contiguous layouts.
    pub fn contiguous_range(&self) -> Option<(usize, usize)> {
        // an empty view's offset may lie past its storage (x[2:] of 2 rows): it reads nothing
        if self.numel() == 0 {
            return Some((0, 0));
        }
        if self.is_contiguous() {
            Some((self.offset, self.offset + self.numel()))
        } else {
            None
        }
    }

    /// View with these shape broadcast to `shape` (stride 0 along expanded dims).
    pub fn broadcast_to(&self, op: &str, shape: &[usize]) -> Result<Layout> {
        if shape.len() < self.ndim() {
            bail!(Shape, "{op}: cannot broadcast {} to {}", fmt_shape(&self.shape), fmt_shape(shape));
        }
        crate::storage::check_numel(op, shape)?;
        let lead = shape.len() - self.ndim();
        let mut strides = vec![0isize; shape.len()];
        for i in 0..self.ndim() {
            let (d, t) = (self.shape[i], shape[lead + i]);
            if d == t {
                strides[lead + i] = self.strides[i];
            } else if d != 1 {
                bail!(Shape, "{op}: cannot broadcast {} to {}", fmt_shape(&self.shape), fmt_shape(shape));
            }
        }
        Ok(Layout { shape: shape.to_vec(), strides, offset: self.offset })
    }

    pub fn permute(&self, perm: &[usize]) -> Layout {
        Layout {
            shape: perm.iter().map(|&p| self.shape[p]).collect(),
            strides: perm.iter().map(|&p| self.strides[p]).collect(),
            offset: self.offset,
        }
    }

    /// A reshape that keeps the data where it is, if the strides allow it (NumPy's rule:
    /// each group of merged dims must be contiguous with respect to each other).
    pub fn reshape_view(&self, shape: &[usize]) -> Option<Layout> {
        if self.is_contiguous() {
            return Some(Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: self.offset });
        }
        // Drop size-1 dims of the source, then match groups.
        let src: Vec<(usize, isize)> =
            self.shape.iter().zip(&self.strides).filter(|(d, _)| **d != 1).map(|(d, s)| (*d, *s)).collect();
        let mut strides = vec![0isize; shape.len()];
        let (mut i, mut j) = (0usize, 0usize);
        while j < shape.len() {
            if shape[j] == 1 {
                strides[j] = 0;
                j += 1;
                continue;
            }
            if i >= src.len() {
                return None;
            }
            // grow a group of source dims [i0, i) and target dims [j0, j) with equal products
            let (i0, j0) = (i, j);
            let (mut ps, mut pt) = (src[i].0, shape[j]);
            i += 1;
            j += 1;
            while ps != pt {
                if ps < pt {
                    if i >= src.len() {
                        return None;
                    }
                    ps *= src[i].0;
                    i += 1;
                } else {
                    if j >= shape.len() {
                        return None;
                    }
                    pt *= shape[j];
                    j += 1;
                }
            }
            // the source group must be contiguous in itself
            for k in i0..i - 1 {
                if src[k].1 != src[k + 1].1 * src[k + 1].0 as isize {
                    return None;
                }
            }
            let mut s = src[i - 1].1;
            for k in (j0..j).rev() {
                strides[k] = s;
                s *= shape[k] as isize;
            }
        }
        if i != src.len() {
            return None;
        }
        Some(Layout { shape: shape.to_vec(), strides, offset: self.offset })
    }

    /// Storage offset of a logical multi-index.
    pub fn offset_of(&self, idx: &[usize]) -> usize {
        let mut o = self.offset as isize;
        for (i, s) in idx.iter().zip(&self.strides) {
            o += *i as isize * s;
        }
        o as usize
    }
}

/// Merges adjacent dims that every layout can walk as one (same shape, compatible strides),
/// and drops size-1 dims. Returns the merged shape and one stride list per layout.
pub fn coalesce(shape: &[usize], strides: &[&[isize]]) -> (Vec<usize>, Vec<Vec<isize>>) {
    let k = strides.len();
    let mut out_shape: Vec<usize> = Vec::with_capacity(shape.len());
    let mut out_strides: Vec<Vec<isize>> = vec![Vec::with_capacity(shape.len()); k];
    for d in 0..shape.len() {
        if shape[d] == 1 {
            continue;
        }
        if let Some(&last) = out_shape.last() {
            let mergeable = (0..k).all(|t| *out_strides[t].last().unwrap() == strides[t][d] * shape[d] as isize);
            if mergeable {
                *out_shape.last_mut().unwrap() = last * shape[d];
                for t in 0..k {
                    *out_strides[t].last_mut().unwrap() = strides[t][d];
                }
                continue;
            }
        }
        out_shape.push(shape[d]);
        for t in 0..k {
            out_strides[t].push(strides[t][d]);
        }
    }
    if out_shape.is_empty() {
        out_shape.push(1);
        for s in out_strides.iter_mut() {
            s.push(0);
        }
    }
    (out_shape, out_strides)
}

/// Calls `f(storage_offset)` for every element of `l` in row-major order.
pub fn for_each_offset(l: &Layout, mut f: impl FnMut(usize)) {
    let n = l.numel();
    if n == 0 {
        return;
    }
    if let Some((a, b)) = l.contiguous_range() {
        (a..b).for_each(f);
        return;
    }
    let nd = l.ndim();
    let mut idx = vec![0usize; nd];
    let mut off = l.offset as isize;
    for _ in 0..n {
        f(off as usize);
        for d in (0..nd).rev() {
            idx[d] += 1;
            off += l.strides[d];
            if idx[d] < l.shape[d] {
                break;
            }
            off -= l.strides[d] * l.shape[d] as isize;
            idx[d] = 0;
        }
    }
}
