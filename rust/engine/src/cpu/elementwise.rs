//! Elementwise maps over one, two or three strided operands that share one (broadcast) shape.
use super::{GRAIN, PAR_MIN};
use crate::layout::{coalesce, Layout};
use crate::storage::{alloc, Elem};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Fills `out` (length n) by calling `fill(start, piece)` on pieces, in parallel when large.
fn fill_pieces<O: Elem>(n: usize, piece: usize, fill: impl Fn(usize, &mut [MaybeUninit<O>]) + Sync) -> Vec<O> {
    let mut out: Vec<O> = alloc(n);
    {
        let spare = &mut out.spare_capacity_mut()[..n];
        if n >= PAR_MIN {
            spare.par_chunks_mut(piece.max(1)).enumerate().for_each(|(i, c)| fill(i * piece, c));
        } else {
            fill(0, spare);
        }
    }
    // SAFETY: every element of [0, n) was written by `fill` (each piece covers its whole chunk).
    unsafe { out.set_len(n) };
    out
}

/// Storage offsets of the first element of row `row` (rows = all dims but the last).
#[inline]
fn row_offsets<const K: usize>(row: usize, outer: &[usize], strides: &[Vec<isize>; K], base: [usize; K]) -> [usize; K] {
    let mut off = base.map(|b| b as isize);
    let mut r = row;
    for d in (0..outer.len()).rev() {
        let i = (r % outer[d]) as isize;
        r /= outer[d];
        for k in 0..K {
            off[k] += i * strides[k][d];
        }
    }
    off.map(|o| o as usize)
}

/// The general engine: walks K operands in row-major order of `shape`, calling
/// `row(offsets, inner_strides, len, out)` for each run of the innermost dim.
fn walk<const K: usize, O: Elem>(
    shape: &[usize],
    layouts: [&Layout; K],
    row: impl Fn([usize; K], [isize; K], &mut [MaybeUninit<O>]) + Sync,
) -> Vec<O> {
    let n: usize = shape.iter().product();
    if n == 0 {
        return Vec::new();
    }
    let strides_in: [&[isize]; K] = layouts.map(|l| l.strides.as_slice());
    let (cshape, cstrides) = coalesce(shape, &strides_in);
    let nd = cshape.len();
    let inner = cshape[nd - 1];
    let inner_strides: [isize; K] = std::array::from_fn(|k| cstrides[k][nd - 1]);
    let outer_strides: [Vec<isize>; K] = std::array::from_fn(|k| cstrides[k][..nd - 1].to_vec());
    let outer = &cshape[..nd - 1];
    let base: [usize; K] = layouts.map(|l| l.offset);
    // A piece is a whole number of rows, or a part of one long row.
    let piece = if inner >= GRAIN { GRAIN } else { inner * (GRAIN / inner) };
    fill_pieces(n, piece, |start, out| {
        let mut done = 0;
        while done < out.len() {
            let pos = start + done;
            let (r, j) = (pos / inner, pos % inner);
            let len = (inner - j).min(out.len() - done);
            let mut off = row_offsets(r, outer, &outer_strides, base);
            for k in 0..K {
                off[k] = (off[k] as isize + j as isize * inner_strides[k]) as usize;
            }
            row(off, inner_strides, &mut out[done..done + len]);
            done += len;
        }
    })
}

multiversion! {
    fn run1<A, O, F>(x: &[A], out: &mut [MaybeUninit<O>], f: &F) where {A: Copy, F: Fn(A) -> O} {
        for (d, &v) in out.iter_mut().zip(x) {
            d.write(f(v));
        }
    }
    fn run2<A, B, O, F>(a: &[A], b: &[B], out: &mut [MaybeUninit<O>], f: &F) where {A: Copy, B: Copy, F: Fn(A, B) -> O} {
        for ((d, &x), &y) in out.iter_mut().zip(a).zip(b) {
            d.write(f(x, y));
        }
    }
    fn run2_scalar_b<A, B, O, F>(a: &[A], y: B, out: &mut [MaybeUninit<O>], f: &F) where {A: Copy, B: Copy, F: Fn(A, B) -> O} {
        for (d, &x) in out.iter_mut().zip(a) {
            d.write(f(x, y));
        }
    }
    fn run2_scalar_a<A, B, O, F>(x: A, b: &[B], out: &mut [MaybeUninit<O>], f: &F) where {A: Copy, B: Copy, F: Fn(A, B) -> O} {
        for (d, &y) in out.iter_mut().zip(b) {
            d.write(f(x, y));
        }
    }
}

/// out[i] = f(x[i]) over a strided x.
pub fn map1<A: Copy + Sync, O: Elem>(x: &[A], lx: &Layout, f: impl Fn(A) -> O + Sync) -> Vec<O> {
    walk(&lx.shape, [lx], |[o], [s], out| {
        if s == 1 {
            let n = out.len();
            run1(&x[o..o + n], out, &f);
        } else {
            for (i, d) in out.iter_mut().enumerate() {
                d.write(f(x[(o as isize + i as isize * s) as usize]));
            }
        }
    })
}

/// out[i] = f(a[i], b[i]); both layouts already broadcast to one shape.
pub fn map2<A: Copy + Sync, B: Copy + Sync, O: Elem>(
    a: &[A],
    la: &Layout,
    b: &[B],
    lb: &Layout,
    f: impl Fn(A, B) -> O + Sync,
) -> Vec<O> {
    walk(&la.shape, [la, lb], |[oa, ob], [sa, sb], out| {
        let n = out.len();
        match (sa, sb) {
            (1, 1) => run2(&a[oa..oa + n], &b[ob..ob + n], out, &f),
            (1, 0) => run2_scalar_b(&a[oa..oa + n], b[ob], out, &f),
            (0, 1) => run2_scalar_a(a[oa], &b[ob..ob + n], out, &f),
            _ => {
                for (i, d) in out.iter_mut().enumerate() {
                    let x = a[(oa as isize + i as isize * sa) as usize];
                    let y = b[(ob as isize + i as isize * sb) as usize];
                    d.write(f(x, y));
                }
            }
        }
    })
}

/// out[i] = f(a[i], b[i], c[i]); all layouts already broadcast to one shape.
pub fn map3<A: Copy + Sync, B: Copy + Sync, C: Copy + Sync, O: Elem>(
    a: &[A],
    la: &Layout,
    b: &[B],
    lb: &Layout,
    c: &[C],
    lc: &Layout,
    f: impl Fn(A, B, C) -> O + Sync,
) -> Vec<O> {
    walk(&la.shape, [la, lb, lc], |[oa, ob, oc], [sa, sb, sc], out| {
        for (i, d) in out.iter_mut().enumerate() {
            let i = i as isize;
            d.write(f(
                a[(oa as isize + i * sa) as usize],
                b[(ob as isize + i * sb) as usize],
                c[(oc as isize + i * sc) as usize],
            ));
        }
    })
}
