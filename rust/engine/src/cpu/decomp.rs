//! Dense factorisations on the host, through the faer crate: LU with partial pivoting,
//! Cholesky, Householder QR, the SVD and the symmetric eigendecomposition, and the solves built
//! on them. Each kernel runs over a batch of row-major matrices (the leading dims flattened), one
//! matrix per rayon task, faer itself sequential inside a task.
//!
//! Inputs are CPU tensors of float32 or float64 of the shapes the op table (ops/decomp.rs) has
//! checked. A numerical failure (a non-positive pivot in Cholesky, an SVD or eigensolver that does
//! not converge, non-finite input to an iterative method) fills that matrix's results with NaN,
//! as LAPACK does behind JAX; singular matrices give what the arithmetic gives (inf / NaN).
use crate::error::{Error, Result};
use crate::storage::{alloc, AllocRefused, Elem};
use crate::tensor::Tensor;
use crate::with_float;
use faer::linalg::solvers::{PartialPivLu, Qr, SelfAdjointEigen, Solve, Svd};
use faer::traits::RealField;
use faer::{Mat, MatMut, MatRef, Par, Side};
use rayon::prelude::*;

/// The element types the factorisations run in.
pub trait Real: RealField + Elem + Copy {
    const EPS: f64;
}
impl Real for f32 {
    const EPS: f64 = f32::EPSILON as f64;
}
impl Real for f64 {
    const EPS: f64 = f64::EPSILON;
}

fn nan<T: Real>() -> T {
    <T as Elem>::from_f64(f64::NAN)
}

fn c<T: Real>(v: f64) -> T {
    <T as Elem>::from_f64(v)
}

/// A zero-filled Vec of n elements (taken from the storage allocator, so its size is checked).
fn zeroed<U: Elem>(n: usize) -> Vec<U> {
    let mut v = alloc::<U>(n);
    v.resize(n, U::default());
    v
}

/// Runs a kernel, turning a panic inside it (a bug: inputs are checked before) into an error
/// that names the op instead of unwinding into the caller; a refused allocation unwinds on.
fn guard<R>(op: &str, f: impl FnOnce() -> R) -> Result<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => Ok(r),
        Err(p) => {
            if p.is::<AllocRefused>() {
                std::panic::resume_unwind(p)
            }
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Error::Value(format!("{op}: the factorisation failed inside faer ({msg}); this is a bug in kerasish")))
        }
    }
}

/// f(matrix, outputs) for each of `count` matrices of `mn` elements, in parallel; each matrix
/// writes `w` elements of one output Vec.
fn each<T: Real, U: Elem>(x: &Tensor, count: usize, mn: usize, w: usize, f: impl Fn(&[T], &mut [U]) + Sync) -> Vec<U> {
    let mut out = zeroed::<U>(count * w);
    if w > 0 {
        x.with_contiguous::<T, _>(|data| {
            out.par_chunks_mut(w).enumerate().for_each(|(b, o)| f(&data[b * mn..(b + 1) * mn], o));
        });
    }
    out
}

/// As `each`, for two outputs per matrix (widths w1 and w2).
fn each2<T: Real, U: Elem, V: Elem>(
    x: &Tensor,
    count: usize,
    mn: usize,
    (w1, w2): (usize, usize),
    f: impl Fn(&[T], &mut [U], &mut [V]) + Sync,
) -> (Vec<U>, Vec<V>) {
    let mut o1 = zeroed::<U>(count * w1);
    let mut o2 = zeroed::<V>(count * w2);
    x.with_contiguous::<T, _>(|data| {
        let m = |b: usize| &data[b * mn..(b + 1) * mn];
        match (w1 > 0, w2 > 0) {
            (true, true) => o1.par_chunks_mut(w1).zip(o2.par_chunks_mut(w2)).enumerate().for_each(|(b, (p, q))| f(m(b), p, q)),
            (true, false) => o1.par_chunks_mut(w1).enumerate().for_each(|(b, p)| f(m(b), p, &mut [])),
            (false, true) => o2.par_chunks_mut(w2).enumerate().for_each(|(b, q)| f(m(b), &mut [], q)),
            (false, false) => {}
        }
    });
    (o1, o2)
}

/// f(a, b, out) over two batches of equal count (a: `an` elements each, b: `bn`), `w` outputs each.
fn each_pair<T: Real>(
    a: &Tensor,
    b: &Tensor,
    count: usize,
    (an, bn): (usize, usize),
    w: usize,
    f: impl Fn(&[T], &[T], &mut [T]) + Sync,
) -> Vec<T> {
    let mut out = zeroed::<T>(count * w);
    if w > 0 {
        a.with_contiguous::<T, _>(|da| {
            b.with_contiguous::<T, _>(|db| {
                out.par_chunks_mut(w).enumerate().for_each(|(i, o)| f(&da[i * an..(i + 1) * an], &db[i * bn..(i + 1) * bn], o));
            })
        });
    }
    out
}

fn view<T: Real>(a: &[T], m: usize, n: usize) -> MatRef<'_, T> {
    MatRef::from_row_major_slice(a, m, n)
}

/// Writes `src` into `dst` in row-major order.
fn put<T: Real>(dst: &mut [T], src: MatRef<'_, T>) {
    let n = src.ncols();
    for i in 0..src.nrows() {
        for j in 0..n {
            dst[i * n + j] = src[(i, j)];
        }
    }
}

/// Writes the transpose of `src` into `dst` in row-major order.
fn put_t<T: Real>(dst: &mut [T], src: MatRef<'_, T>) {
    put(dst, src.transpose())
}

/// An owned copy of one triangle of a row-major n x n matrix (the other triangle zero).
fn triangle<T: Real>(a: &[T], n: usize, lower: bool) -> Mat<T> {
    Mat::from_fn(n, n, |i, j| if (lower && j <= i) || (!lower && j >= i) { a[i * n + j] } else { c(0.0) })
}

fn finite<T: Real>(a: &[T]) -> bool {
    a.iter().all(|x| x.to_f64().is_finite())
}

fn fill_identity<T: Real>(dst: &mut [T], m: usize, n: usize) {
    for i in 0..m {
        for j in 0..n {
            dst[i * n + j] = c(if i == j { 1.0 } else { 0.0 });
        }
    }
}

/// LAPACK's pivot sequence (row i was swapped with row piv[i] at step i, for i < k) from a
/// row permutation made of such swaps (`fwd[i]`: the input row that ends in row i).
fn lapack_pivots(fwd: &[usize], k: usize, piv: &mut [i32]) {
    let m = fwd.len();
    let mut cur: Vec<usize> = (0..m).collect(); // cur[pos] = input row now at pos
    let mut pos: Vec<usize> = (0..m).collect(); // pos[row] = where that input row is now
    for i in 0..k {
        let j = pos[fwd[i]];
        piv[i] = j as i32;
        let (ri, rj) = (cur[i], cur[j]);
        cur.swap(i, j);
        pos[ri] = j;
        pos[rj] = i;
    }
}

fn tensor<T: Elem>(v: Vec<T>, shape: &[usize], dtype: crate::dtype::DType) -> Tensor {
    Tensor::from_vec(v, shape, dtype)
}

fn with_tail(batch: &[usize], tail: &[usize]) -> Vec<usize> {
    let mut s = batch.to_vec();
    s.extend_from_slice(tail);
    s
}

// --------------------------------------------------------------------------------- kernels

/// LU with partial pivoting of each (m, n) matrix: [L and U packed as LAPACK's getrf leaves them
/// (m, n), the pivots (min(m, n),) as int32].
pub fn lu(x: &Tensor, batch: &[usize], m: usize, n: usize) -> Result<Vec<Tensor>> {
    let count = batch.iter().product();
    let k = m.min(n);
    with_float!(x.dtype(), T => guard("lu_factor", || {
        let (packed, piv) = each2::<T, T, i32>(x, count, m * n, (m * n, k), |a, o, p| {
            if m == 0 || n == 0 {
                return;
            }
            let lu = PartialPivLu::new(view(a, m, n));
            let (l, u) = (lu.L(), lu.U());
            for i in 0..m {
                for j in 0..n {
                    o[i * n + j] = if i > j { l[(i, j)] } else { u[(i, j)] };
                }
            }
            lapack_pivots(lu.P().arrays().0, k, p);
        });
        vec![
            tensor(packed, &with_tail(batch, &[m, n]), x.dtype()),
            tensor(piv, &with_tail(batch, &[k]), crate::dtype::DType::I32),
        ]
    }))
}

/// [sign, log|det|] of each square matrix, from its LU factors as JAX computes them: a zero on
/// U's diagonal gives sign 0 and -inf.
pub fn slogdet(x: &Tensor, batch: &[usize], n: usize) -> Result<Vec<Tensor>> {
    let count = batch.iter().product();
    with_float!(x.dtype(), T => guard("slogdet", || {
        let (sign, logdet) = each2::<T, T, T>(x, count, n * n, (1, 1), |a, s, l| {
            if n == 0 {
                s[0] = c(1.0);
                l[0] = c(0.0);
                return;
            }
            let lu = PartialPivLu::new(view(a, n, n));
            let u = lu.U();
            let mut piv = vec![0i32; n];
            lapack_pivots(lu.P().arrays().0, n, &mut piv);
            let mut parity = piv.iter().enumerate().filter(|&(i, &p)| p as usize != i).count();
            let (mut zero, mut sum) = (false, 0.0f64);
            for i in 0..n {
                let d = u[(i, i)].to_f64();
                zero |= d == 0.0;
                parity += (d < 0.0) as usize;
                sum += d.abs().ln();
            }
            if zero {
                s[0] = c(0.0);
                l[0] = c(f64::NEG_INFINITY);
            } else {
                s[0] = c(if parity % 2 == 0 { 1.0 } else { -1.0 });
                l[0] = c(sum);
            }
        });
        vec![tensor(sign, batch, x.dtype()), tensor(logdet, batch, x.dtype())]
    }))
}

/// x = a^-1 b for each pair (a: (n, n), b: (n, k)), by LU with partial pivoting.
pub fn solve(a: &Tensor, b: &Tensor, batch: &[usize], n: usize, k: usize) -> Result<Tensor> {
    let count = batch.iter().product();
    with_float!(a.dtype(), T => guard("solve", || {
        let out = each_pair::<T>(a, b, count, (n * n, n * k), n * k, |a, b, o| {
            let lu = PartialPivLu::new(view(a, n, n));
            let mut x = view(b, n, k).to_owned();
            lu.solve_in_place(x.as_mut());
            put(o, x.as_ref());
        });
        tensor(out, &with_tail(batch, &[n, k]), a.dtype())
    }))
}

/// x = a^-1 b for triangular a (only its lower or upper triangle is read).
pub fn solve_triangular(a: &Tensor, b: &Tensor, batch: &[usize], n: usize, k: usize, lower: bool) -> Result<Tensor> {
    let count = batch.iter().product();
    with_float!(a.dtype(), T => guard("solve_triangular", || {
        let out = each_pair::<T>(a, b, count, (n * n, n * k), n * k, |a, b, o| {
            let t = triangle(a, n, lower);
            let mut x = view(b, n, k).to_owned();
            let rhs: MatMut<'_, T> = x.as_mut();
            if lower {
                faer::linalg::triangular_solve::solve_lower_triangular_in_place(t.as_ref(), rhs, Par::Seq);
            } else {
                faer::linalg::triangular_solve::solve_upper_triangular_in_place(t.as_ref(), rhs, Par::Seq);
            }
            put(o, x.as_ref());
        });
        tensor(out, &with_tail(batch, &[n, k]), a.dtype())
    }))
}

/// The lower Cholesky factor of each matrix (its lower triangle read); NaN where the matrix is
/// not positive definite.
pub fn cholesky(x: &Tensor, batch: &[usize], n: usize) -> Result<Tensor> {
    let count = batch.iter().product();
    with_float!(x.dtype(), T => guard("cholesky", || {
        let out = each::<T, T>(x, count, n * n, n * n, |a, o| {
            match faer::linalg::solvers::Llt::new(view(a, n, n), Side::Lower) {
                Ok(llt) => put(o, llt.L()),
                Err(_) => o.fill(nan()),
            }
        });
        tensor(out, &with_tail(batch, &[n, n]), x.dtype())
    }))
}

/// Householder QR of each (m, n) matrix, packed per matrix as [Q, R]: reduced, Q (m, k) and R
/// (k, n); complete, Q (m, m) and R (m, n).
pub fn qr(x: &Tensor, batch: &[usize], m: usize, n: usize, complete: bool) -> Result<Tensor> {
    let count = batch.iter().product();
    let k = m.min(n);
    let (qc, rr) = if complete { (m, m) } else { (k, k) };
    let (qs, rs) = (m * qc, rr * n);
    with_float!(x.dtype(), T => guard("qr", || {
        let out = each::<T, T>(x, count, m * n, qs + rs, |a, o| {
            let (oq, or) = o.split_at_mut(qs);
            if m == 0 || n == 0 {
                fill_identity(oq, m, qc);
                return;
            }
            if !finite(a) {
                o.fill(nan());
                return;
            }
            let f = Qr::new(view(a, m, n));
            if complete {
                put(oq, f.compute_Q().as_ref());
            } else {
                put(oq, f.compute_thin_Q().as_ref());
            }
            // R: the upper trapezoid of k rows, then zero rows (already zero) in complete mode
            let r = f.thin_R();
            for i in 0..k {
                for j in 0..n {
                    or[i * n + j] = if j >= i { r[(i, j)] } else { c(0.0) };
                }
            }
        });
        tensor(out, &with_tail(batch, &[qs + rs]), x.dtype())
    }))
}

/// The SVD of each (m, n) matrix, packed per matrix as [U, s, Vh]: full, U (m, m) and Vh (n, n);
/// thin, U (m, k) and Vh (k, n); s (k,) in descending order.
pub fn svd(x: &Tensor, batch: &[usize], m: usize, n: usize, full: bool) -> Result<Tensor> {
    let count = batch.iter().product();
    let k = m.min(n);
    let (uc, vr) = if full { (m, n) } else { (k, k) };
    let (us, vs) = (m * uc, vr * n);
    with_float!(x.dtype(), T => guard("svd", || {
        let out = each::<T, T>(x, count, m * n, us + k + vs, |a, o| {
            let (ou, rest) = o.split_at_mut(us);
            let (os, ov) = rest.split_at_mut(k);
            if m == 0 || n == 0 {
                fill_identity(ou, m, uc);
                fill_identity(ov, vr, n);
                return;
            }
            if !finite(a) {
                o.fill(nan());
                return;
            }
            let r = if full { Svd::new(view(a, m, n)) } else { Svd::new_thin(view(a, m, n)) };
            match r {
                Ok(f) => {
                    put(ou, f.U());
                    let s = f.S().column_vector();
                    for i in 0..k {
                        os[i] = s[i];
                    }
                    put_t(ov, f.V());
                }
                Err(_) => o.fill(nan()),
            }
        });
        tensor(out, &with_tail(batch, &[us + k + vs]), x.dtype())
    }))
}

/// The singular values of each (m, n) matrix, (k,) in descending order.
pub fn singular_values(x: &Tensor, batch: &[usize], m: usize, n: usize) -> Result<Tensor> {
    let count = batch.iter().product();
    let k = m.min(n);
    with_float!(x.dtype(), T => guard("svd", || {
        let out = each::<T, T>(x, count, m * n, k, |a, o| {
            if !finite(a) {
                o.fill(nan());
                return;
            }
            match view(a, m, n).singular_values() {
                Ok(s) => o.copy_from_slice(&s),
                Err(_) => o.fill(nan()),
            }
        });
        tensor(out, &with_tail(batch, &[k]), x.dtype())
    }))
}

/// The eigendecomposition of each symmetric matrix (its lower triangle read), packed per
/// matrix as [w (n,) ascending, V (n, n) with the eigenvectors as columns].
pub fn eigh(x: &Tensor, batch: &[usize], n: usize) -> Result<Tensor> {
    let count = batch.iter().product();
    with_float!(x.dtype(), T => guard("eigh", || {
        let out = each::<T, T>(x, count, n * n, n + n * n, |a, o| {
            let (ow, ov) = o.split_at_mut(n);
            if !finite(a) {
                o.fill(nan());
                return;
            }
            match SelfAdjointEigen::new(view(a, n, n), Side::Lower) {
                Ok(e) => {
                    let w = e.S().column_vector();
                    for i in 0..n {
                        ow[i] = w[i];
                    }
                    put(ov, e.U());
                }
                Err(_) => o.fill(nan()),
            }
        });
        tensor(out, &with_tail(batch, &[n + n * n]), x.dtype())
    }))
}

/// The eigendecomposition of each general (non-symmetric) matrix, packed per matrix as
/// [w (n, 2), V (n, n, 2)] (each complex number as its real and imaginary parts side by side)
/// with the eigenvectors as columns, each of
/// unit 2-norm with its largest-magnitude component real and positive (LAPACK's geev leaves
/// that component real; the sign is fixed here so that results repeat).
pub fn eig(x: &Tensor, batch: &[usize], n: usize) -> Result<Tensor> {
    let count = batch.iter().product();
    with_float!(x.dtype(), T => guard("eig", || {
        let nn = n * n;
        let out = each::<T, T>(x, count, nn, 2 * n + 2 * nn, |a, o| {
            if !finite(a) {
                o.fill(nan());
                return;
            }
            let e = match faer::linalg::solvers::Eigen::new_from_real(view(a, n, n)) {
                Ok(e) => e,
                Err(_) => return o.fill(nan()),
            };
            let (w, u) = (e.S().column_vector(), e.U());
            let (ow, ov) = o.split_at_mut(2 * n);
            for j in 0..n {
                ow[2 * j] = w[j].re;
                ow[2 * j + 1] = w[j].im;
                // the column's norm and its largest component, in float64
                let col: Vec<(f64, f64)> = (0..n).map(|i| (u[(i, j)].re.to_f64(), u[(i, j)].im.to_f64())).collect();
                let norm = col.iter().map(|&(r, i)| r * r + i * i).sum::<f64>().sqrt();
                let big = col.iter().copied().fold((0.0f64, 0.0f64), |b, z| if z.0.hypot(z.1) > b.0.hypot(b.1) { z } else { b });
                let mag = big.0.hypot(big.1);
                // divide by norm * (big / |big|): unit norm, that component real and positive
                let (pr, pi) = if mag > 0.0 && norm > 0.0 { (big.0 / mag * norm, big.1 / mag * norm) } else { (1.0, 0.0) };
                let d = pr * pr + pi * pi;
                for (i, &(r, im)) in col.iter().enumerate() {
                    ov[2 * (i * n + j)] = c((r * pr + im * pi) / d);
                    ov[2 * (i * n + j) + 1] = c((im * pr - r * pi) / d);
                }
            }
        });
        tensor(out, &with_tail(batch, &[2 * n + 2 * nn]), x.dtype())
    }))
}

/// The adjugate of each square matrix (adj(A) A = det(A) I, defined for singular A too), from
/// its SVD A = U S V^T: adj(A) = det(U) det(V) V diag(prod_{j != i} s_j) U^T.
pub fn adjugate(x: &Tensor, batch: &[usize], n: usize) -> Result<Tensor> {
    let count = batch.iter().product();
    with_float!(x.dtype(), T => guard("det", || {
        let out = each::<T, T>(x, count, n * n, n * n, |a, o| {
            if n == 1 {
                o[0] = c(1.0);
                return;
            }
            if !finite(a) {
                o.fill(nan());
                return;
            }
            let f = match Svd::new(view(a, n, n)) {
                Ok(f) => f,
                Err(_) => return o.fill(nan()),
            };
            let (u, v) = (f.U(), f.V());
            let s = f.S().column_vector();
            let sign = u.determinant().to_f64().signum() * v.determinant().to_f64().signum();
            // prod_{j != i} s_j from prefix and suffix products
            let mut pre = vec![1.0f64; n + 1];
            for i in 0..n {
                pre[i + 1] = pre[i] * s[i].to_f64();
            }
            let mut suf = vec![1.0f64; n + 1];
            for i in (0..n).rev() {
                suf[i] = suf[i + 1] * s[i].to_f64();
            }
            let cof: Vec<f64> = (0..n).map(|i| sign * pre[i] * suf[i + 1]).collect();
            for r in 0..n {
                for col in 0..n {
                    let mut acc = 0.0f64;
                    for i in 0..n {
                        acc += v[(r, i)].to_f64() * cof[i] * u[(col, i)].to_f64();
                    }
                    o[r * n + col] = c(acc);
                }
            }
        });
        tensor(out, &with_tail(batch, &[n, n]), x.dtype())
    }))
}

/// Machine epsilon of a compute dtype (float32 or float64).
pub fn eps(dtype: crate::dtype::DType) -> f64 {
    with_float!(dtype, T => <T as Real>::EPS)
}
