//! Matrix decompositions and solves (keras.ops.linalg): the shape checks, dtype rule and
//! gradient of each primitive, and the compositions built on them.
//!
//! | primitive        | kernel (cpu/decomp.rs, faer)      | gradient |
//! |------------------|-----------------------------------|----------|
//! | lu_factor        | LU with partial pivoting          | none     |
//! | slogdet          | LU                                | log|det|: A^-T |
//! | det              | LU (sign * exp(log|det|))         | the adjugate (SVD), so singular A too |
//! | solve            | LU                                | solves with A^T |
//! | solve_triangular | triangular solve                  | solves with A^T, the triangle kept |
//! | cholesky         | LLT                               | L^-T Phi(L^T G) L^-1 |
//! | qr               | Householder QR                    | M >= N reduced, or square |
//! | svd              | SVD (values only, thin, full)     | values always; vectors thin or square |
//! | eigh             | symmetric eigendecomposition      | distinct eigenvalues |
//! | eig              | general eigendecomposition        | distinct eigenvalues |
//! | pinv             | thin SVD                          | Golub & Pereyra's (as JAX's), no SVD gradient |
//!
//! inv is solve against the identity. The factorisations run on the host: the one kernel is the
//! CPU's (this module calls `cpu::decomp` directly, as the `Backend` trait has no such methods),
//! and GPU inputs go through `backend::via_host`. Inputs compute in float32 or float64 (integers
//! and bool in float32, float16 and bfloat16 in float32 and rounded back). Primitives with several
//! outputs that all carry gradients (qr, svd, eigh) return one packed tensor per matrix, recorded
//! once, whose views are the outputs: the autograd sums their gradients into the packed one.
use super::binary::{add, compare, div, mul, sub, where_};
use super::linalg::matmul;
use super::shape::{broadcast_to, cast, expand_dims, narrow, reshape_to, squeeze, swapaxes};
use super::unary::{exp, neg};
use super::{float_compute, Compare};
use crate::autograd::{no_grad, record};
use crate::backend;
use crate::bail;
use crate::cpu::decomp as host;
use crate::dtype::DType;
use crate::error::{fmt_shape, Error, Result};
use crate::layout::broadcast_shapes;
use crate::tensor::{Device, Tensor};

// ------------------------------------------------------------------------------------ helpers

/// (m, n) of a tensor of rank >= 2.
fn matrix(op: &str, x: &Tensor) -> Result<(usize, usize)> {
    if x.ndim() < 2 {
        bail!(Value, "{op}: expected input to have rank >= 2, got shape {}", fmt_shape(x.shape()));
    }
    let s = x.shape();
    Ok((s[s.len() - 2], s[s.len() - 1]))
}

/// n of a tensor of shape (..., n, n).
fn square(op: &str, x: &Tensor) -> Result<usize> {
    let (m, n) = matrix(op, x)?;
    if m != n {
        bail!(Value, "{op}: expected a square matrix, got non-square input with shape {}", fmt_shape(x.shape()));
    }
    Ok(n)
}

fn batch_of(x: &Tensor) -> Vec<usize> {
    x.shape()[..x.ndim() - 2].to_vec()
}

fn with_tail(batch: &[usize], tail: &[usize]) -> Vec<usize> {
    let mut s = batch.to_vec();
    s.extend_from_slice(tail);
    s
}

/// The last two axes swapped (a view).
fn mt(x: &Tensor) -> Result<Tensor> {
    swapaxes(x, -1, -2)
}

/// Runs a host kernel on tensors of one device: directly on the CPU; for GPU tensors through
/// `backend::via_host` (inputs down, kernel, outputs back up, a one-time warning).
fn on_host(op: &'static str, inputs: &[&Tensor], f: impl FnOnce(&[Tensor]) -> Result<Vec<Tensor>>) -> Result<Vec<Tensor>> {
    let dev = backend::for_inputs(op, inputs)?.device();
    if dev == Device::Cpu {
        let v: Vec<Tensor> = inputs.iter().map(|t| (*t).clone()).collect();
        return f(&v);
    }
    let mut rest = Vec::new();
    let first = backend::via_host(op, dev, inputs, |h| {
        let mut outs = f(h)?;
        rest = outs.split_off(1);
        outs.pop().ok_or_else(|| Error::Value(format!("{op}: no result")))
    })?;
    let mut v = vec![first];
    for t in rest {
        v.push(t.to_device(dev)?);
    }
    Ok(v)
}

fn on_host1(op: &'static str, inputs: &[&Tensor], f: impl FnOnce(&[Tensor]) -> Result<Tensor>) -> Result<Tensor> {
    let mut v = on_host(op, inputs, |h| Ok(vec![f(h)?]))?;
    Ok(v.remove(0))
}

/// The views of a packed tensor (batch..., total) as tensors of `batch + shape_i`.
fn unpack(p: &Tensor, batch: &[usize], shapes: &[&[usize]]) -> Result<Vec<Tensor>> {
    let count: usize = batch.iter().product();
    let total: usize = shapes.iter().map(|s| s.iter().product::<usize>()).sum();
    let flat = reshape_to(p, &[count, total])?;
    let mut off = 0;
    let mut out = Vec::with_capacity(shapes.len());
    for s in shapes {
        let len: usize = s.iter().product();
        out.push(reshape_to(&narrow(&flat, 1, off, len)?, &with_tail(batch, s))?);
        off += len;
    }
    Ok(out)
}

/// An (n, n) mask on `like`'s device and dtype: 1 where `keep(i, j)`, else 0.
fn mask(n: usize, like: &Tensor, keep: impl Fn(usize, usize) -> bool) -> Result<Tensor> {
    let v: Vec<f64> = (0..n * n).map(|p| if keep(p / n, p % n) { 1.0 } else { 0.0 }).collect();
    Tensor::from_vec(v, &[n, n], DType::F64).convert(like.dtype()).to_device(like.device())
}

fn eye_like(n: usize, like: &Tensor) -> Result<Tensor> {
    mask(n, like, |i, j| i == j)
}

fn scalar(v: f64, like: &Tensor) -> Tensor {
    Tensor::scalar(v, like.dtype())
}

/// x[..., None, None].
fn expand2(x: &Tensor) -> Result<Tensor> {
    expand_dims(&expand_dims(x, -1)?, -1)
}

/// (x + x^T) / 2: the input JAX's cholesky and eigh factor.
fn symmetrize(x: &Tensor) -> Result<Tensor> {
    mul(&add(x, &mt(x)?)?, &scalar(0.5, x))
}

fn check_sizes(op: &str, shapes: &[&[usize]], dt: DType) -> Result<()> {
    for s in shapes {
        crate::storage::check_size(op, s, dt)?;
    }
    Ok(())
}

// ------------------------------------------------------------------------------ LU family

/// keras.ops.lu_factor: (LU packed as LAPACK's getrf leaves it (..., M, N), pivots (..., K) int32).
pub fn lu_factor(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let (m, n) = matrix("lu_factor", x)?;
    let (xc, out) = float_compute(x)?;
    let batch = batch_of(x);
    check_sizes("lu_factor", &[x.shape()], xc.dtype())?;
    let v = on_host("lu_factor", &[&xc], |h| host::lu(&h[0], &batch, m, n))?;
    Ok((cast(&v[0], out)?, v[1].clone()))
}

fn slogdet_raw(xc: &Tensor, n: usize) -> Result<(Tensor, Tensor)> {
    let batch = batch_of(xc);
    let v = on_host("slogdet", &[xc], |h| host::slogdet(&h[0], &batch, n))?;
    Ok((v[0].clone(), v[1].clone()))
}

/// keras.ops.slogdet: (sign, log|det|); log|det| has the gradient A^-T (sign none).
pub fn slogdet(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let n = square("slogdet", x)?;
    let (xc, out) = float_compute(x)?;
    let (sign, logdet) = slogdet_raw(&xc, n)?;
    let logdet = record("slogdet", logdet, &[&xc], |g, inp, _| Ok(vec![Some(mul(&expand2(g)?, &mt(&inv(&inp[0])?)?)?)]));
    Ok((cast(&sign, out)?, cast(&logdet, out)?))
}

/// keras.ops.det, sign * exp(log|det|) as JAX computes it; the gradient is the transposed
/// adjugate (the cofactor matrix), which a singular matrix has too.
pub fn det(x: &Tensor) -> Result<Tensor> {
    let n = square("det", x)?;
    let (xc, out) = float_compute(x)?;
    let (sign, logdet) = slogdet_raw(&xc, n)?;
    let d = mul(&sign, &exp(&logdet)?)?;
    let d = record("det", d, &[&xc], move |g, inp, _| {
        let a = &inp[0];
        let batch = batch_of(a);
        let adj = on_host1("det", &[a], |h| host::adjugate(&h[0], &batch, n))?;
        Ok(vec![Some(mul(&expand2(g)?, &mt(&adj)?)?)])
    });
    cast(&d, out)
}

/// x = a^-1 b for a (..., n, n) and b (..., n, k) of one float dtype and batch shape.
fn solve_mat(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let batch = batch_of(a);
    let (n, k) = (a.shape()[a.ndim() - 1], b.shape()[b.ndim() - 1]);
    check_sizes("solve", &[&with_tail(&batch, &[n, k])], a.dtype())?;
    let x = on_host1("solve", &[a, b], |h| host::solve(&h[0], &h[1], &batch, n, k))?;
    Ok(record("solve", x, &[a, b], |g, inp, x| {
        let gb = solve_mat(&mt(&inp[0])?, g)?;
        let ga = if inp[0].requires_grad() { Some(neg(&matmul(&gb, &mt(x)?)?)?) } else { None };
        Ok(vec![ga, Some(gb)])
    }))
}

/// Keras's checks of a solve's operands (keras/src/ops/linalg.py: _assert_2d, _assert_square,
/// _assert_1d, _assert_a_b_compat).
fn check_solve(op: &str, a: &Tensor, b: &Tensor) -> Result<usize> {
    let n = square(op, a)?;
    if b.ndim() < 1 {
        bail!(Value, "{op}: expected b to have rank >= 1, got a scalar");
    }
    let (sa, sb) = (a.shape(), b.shape());
    if a.ndim() == b.ndim() && sa[sa.len() - 2] != sb[sb.len() - 2] {
        bail!(
            Value,
            "{op}: incompatible shapes between a and b: expected a.shape[-2] == b.shape[-2], got a.shape={} and b.shape={}",
            fmt_shape(sa),
            fmt_shape(sb)
        );
    }
    if a.ndim() + 1 == b.ndim() && sa[sa.len() - 1] != sb[sb.len() - 1] {
        bail!(
            Value,
            "{op}: incompatible shapes between a and b: expected a.shape[-1] == b.shape[-1], got a.shape={} and b.shape={}",
            fmt_shape(sa),
            fmt_shape(sb)
        );
    }
    Ok(n)
}

/// Both operands in their common float compute dtype, b as (..., n, k), and both broadcast to
/// one batch shape; returns (a, b, whether b was a vector, the result dtype).
fn solve_operands(op: &str, a: &Tensor, b: &Tensor, vector: bool, n: usize) -> Result<(Tensor, Tensor, DType)> {
    let out = DType::promote(a.dtype(), b.dtype()).to_float();
    let (ac, bc) = (cast(a, out.compute())?, cast(b, out.compute())?);
    let b2 = if vector { expand_dims(&bc, -1)? } else { bc };
    let rows = b2.shape()[b2.ndim() - 2];
    if rows != n {
        bail!(
            Value,
            "{op}: a of shape {} and b of shape {} do not match: b needs {n} rows (b.shape[{}])",
            fmt_shape(a.shape()),
            fmt_shape(b.shape()),
            if vector { -1 } else { -2 }
        );
    }
    let batch = broadcast_shapes(op, &a.shape()[..a.ndim() - 2], &b2.shape()[..b2.ndim() - 2]).map_err(|_| {
        Error::Shape(format!(
            "{op}: the batch dimensions of a (shape {}) and b (shape {}) cannot be broadcast together",
            fmt_shape(a.shape()),
            fmt_shape(b.shape())
        ))
    })?;
    let k = b2.shape()[b2.ndim() - 1];
    let af = broadcast_to(&ac, &with_tail(&batch, &[n, n]))?;
    let bf = broadcast_to(&b2, &with_tail(&batch, &[n, k]))?;
    Ok((af, bf, out))
}

/// keras.ops.solve: a (..., M, M), b (..., M) or (..., M, N) (a vector only when b is 1-D, as
/// in JAX); batch dims broadcast.
pub fn solve(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let n = check_solve("solve", a, b)?;
    if b.ndim() > 1
        && a.ndim() == b.ndim() + 1
        && a.shape()[a.ndim() - 1] == b.shape()[b.ndim() - 1]
        && a.shape()[a.ndim() - 1] != b.shape()[b.ndim() - 2]
    {
        bail!(
            Value,
            "solve: invalid shapes {} and {}: b is read as a batch of matrices (..., M, N); for a batch of vectors pass b[..., None] and squeeze the result",
            fmt_shape(a.shape()),
            fmt_shape(b.shape())
        );
    }
    let vector = b.ndim() == 1;
    let (af, bf, out) = solve_operands("solve", a, b, vector, n)?;
    let x = solve_mat(&af, &bf)?;
    let x = if vector { squeeze(&x, Some(&[-1]))? } else { x };
    cast(&x, out)
}

/// keras.ops.inv: solve against the identity.
pub fn inv(x: &Tensor) -> Result<Tensor> {
    let n = square("inv", x)?;
    let (xc, out) = float_compute(x)?;
    let eye = broadcast_to(&eye_like(n, &xc)?, xc.shape())?;
    cast(&solve_mat(&xc, &eye)?, out)
}

// ---------------------------------------------------------------------- triangular solves

fn trsm(a: &Tensor, b: &Tensor, lower: bool) -> Result<Tensor> {
    let batch = batch_of(a);
    let (n, k) = (a.shape()[a.ndim() - 1], b.shape()[b.ndim() - 1]);
    check_sizes("solve_triangular", &[&with_tail(&batch, &[n, k])], a.dtype())?;
    let x = on_host1("solve_triangular", &[a, b], |h| host::solve_triangular(&h[0], &h[1], &batch, n, k, lower))?;
    Ok(record("solve_triangular", x, &[a, b], move |g, inp, x| {
        let gb = trsm(&mt(&inp[0])?, g, !lower)?;
        let ga = if inp[0].requires_grad() {
            let full = neg(&matmul(&gb, &mt(x)?)?)?;
            let n = full.shape()[full.ndim() - 1];
            Some(mul(&full, &mask(n, &full, |i, j| if lower { j <= i } else { j >= i })?)?)
        } else {
            None
        };
        Ok(vec![ga, Some(gb)])
    }))
}

/// keras.ops.solve_triangular: only a's lower (or upper) triangle is read. b is a vector when
/// 1-D, or when a.ndim == b.ndim + 1 and the last dims match (JAX's batched vectors).
pub fn solve_triangular(a: &Tensor, b: &Tensor, lower: bool) -> Result<Tensor> {
    let n = check_solve("solve_triangular", a, b)?;
    let vector = b.ndim() == 1 || (a.ndim() == b.ndim() + 1 && a.shape()[a.ndim() - 1] == b.shape()[b.ndim() - 1]);
    let (af, bf, out) = solve_operands("solve_triangular", a, b, vector, n)?;
    let x = trsm(&af, &bf, lower)?;
    let x = if vector { squeeze(&x, Some(&[-1]))? } else { x };
    cast(&x, out)
}

// -------------------------------------------------------------------------------- cholesky

fn cholesky_lower(a: &Tensor, n: usize) -> Result<Tensor> {
    let batch = batch_of(a);
    let l = on_host1("cholesky", &[a], |h| host::cholesky(&h[0], &batch, n))?;
    Ok(record("cholesky", l, &[a], move |g, _, l| {
        // gA = L^-T P L^-1 with P = sym(tril(L^T G)) halved (Murray 2016; PyTorch's form)
        let lt = mt(l)?;
        let m = mul(&matmul(&lt, g)?, &mask(n, g, |i, j| j <= i)?)?;
        let p = mul(&add(&m, &mt(&mul(&m, &mask(n, g, |i, j| j < i)?)?)?)?, &scalar(0.5, g))?;
        let x = trsm(&lt, &p, false)?; // L^-T P
        Ok(vec![Some(mt(&trsm(&lt, &mt(&x)?, false)?)?)]) // (L^-T X^T)^T = X L^-1
    }))
}

/// keras.ops.cholesky of (a + a^T) / 2 (as JAX's): the lower factor, or its transpose when
/// `upper`. A matrix that is not positive definite gives NaN (keras.ops raises on it eagerly).
pub fn cholesky(x: &Tensor, upper: bool) -> Result<Tensor> {
    let n = square("cholesky", x)?;
    let (xc, out) = float_compute(x)?;
    let l = cholesky_lower(&symmetrize(&xc)?, n)?;
    let l = if upper { mt(&l)? } else { l };
    cast(&l, out)
}

// -------------------------------------------------------------------------------------- qr

/// keras.ops.qr: reduced (Q (..., M, K), R (..., K, N)) or complete (Q (..., M, M), R (..., M, N)).
/// The gradient is JAX's: M >= N in reduced mode, square matrices in complete mode.
pub fn qr(x: &Tensor, complete: bool) -> Result<(Tensor, Tensor)> {
    let (m, n) = matrix("qr", x)?;
    let (xc, out) = float_compute(x)?;
    let batch = batch_of(x);
    let k = m.min(n);
    let (qs, rs) = if complete { ([m, m], [m, n]) } else { ([m, k], [k, n]) };
    check_sizes("qr", &[&with_tail(&batch, &qs), &with_tail(&batch, &rs)], xc.dtype())?;
    let p = on_host1("qr", &[&xc], |h| host::qr(&h[0], &batch, m, n, complete))?;
    let shape = xc.shape().to_vec();
    let p = record("qr", p, &[&xc], move |g, _, p| {
        if m < n || (complete && m != n) {
            bail!(
                Value,
                "qr: the gradient is defined for inputs (..., M, N) with M >= N in 'reduced' mode and for square ones in 'complete' mode (as in JAX), got shape {}",
                fmt_shape(&shape)
            );
        }
        let b = &shape[..shape.len() - 2];
        let qr = unpack(p, b, &[&qs, &rs])?;
        let gs = unpack(g, b, &[&qs, &rs])?;
        let (q, r, gq, gr) = (&qr[0], &qr[1], &gs[0], &gs[1]);
        // gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q
        let mm = sub(&matmul(r, &mt(gr)?)?, &matmul(&mt(gq)?, q)?)?;
        let low = mul(&mm, &mask(n, &mm, |i, j| j <= i)?)?;
        let strict = mul(&mm, &mask(n, &mm, |i, j| j < i)?)?;
        let y = add(gq, &matmul(q, &add(&low, &mt(&strict)?)?)?)?;
        Ok(vec![Some(mt(&trsm(r, &mt(&y)?, false)?)?)])
    });
    let v = unpack(&p, &batch, &[&qs, &rs])?;
    Ok((cast(&v[0], out)?, cast(&v[1], out)?))
}

// ------------------------------------------------------------------------------------- svd

/// The singular values (..., K), descending; the gradient U diag(g) V^T needs no distinct values.
fn singular_values(xc: &Tensor, m: usize, n: usize) -> Result<Tensor> {
    let batch = batch_of(xc);
    let s = on_host1("svd", &[xc], |h| host::singular_values(&h[0], &batch, m, n))?;
    Ok(record("svd", s, &[xc], move |g, inp, _| {
        let (u, _, vh) = svd_thin(&inp[0], m, n)?;
        Ok(vec![Some(matmul(&mul(&u, &expand_dims(g, -2)?)?, &vh)?)])
    }))
}

/// (U, s, Vh) thin, without a gradient.
fn svd_thin(xc: &Tensor, m: usize, n: usize) -> Result<(Tensor, Tensor, Tensor)> {
    let batch = batch_of(xc);
    let k = m.min(n);
    let p = on_host1("svd", &[xc], |h| host::svd(&h[0], &batch, m, n, false))?;
    let v = unpack(&p, &batch, &[&[m, k], &[k], &[k, n]])?;
    Ok((v[0].clone(), v[1].clone(), v[2].clone()))
}

/// keras.ops.svd: (U, s, Vh), full (U (..., M, M), Vh (..., N, N)) or not (U (..., M, K), Vh
/// (..., K, N)), or s alone. The gradient of the vectors needs distinct singular values, and
/// with full_matrices a square input (JAX has none with full_matrices).
pub fn svd(x: &Tensor, full_matrices: bool, compute_uv: bool) -> Result<Vec<Tensor>> {
    let (m, n) = matrix("svd", x)?;
    let (xc, out) = float_compute(x)?;
    let batch = batch_of(x);
    let k = m.min(n);
    check_sizes("svd", &[&with_tail(&batch, &[m, m]), &with_tail(&batch, &[n, n])], xc.dtype())?;
    if !compute_uv {
        return Ok(vec![cast(&singular_values(&xc, m, n)?, out)?]);
    }
    let (us, vs) = if full_matrices { ([m, m], [n, n]) } else { ([m, k], [k, n]) };
    let p = on_host1("svd", &[&xc], |h| host::svd(&h[0], &batch, m, n, full_matrices))?;
    let b2 = batch.clone();
    let p = record("svd", p, &[&xc], move |g, _, p| {
        if full_matrices && m != n {
            bail!(
                Value,
                "svd: the gradient of U and Vh with full_matrices=True is defined only for square inputs, got (..., {m}, {n}); use full_matrices=False"
            );
        }
        let f = unpack(p, &b2, &[&us, &[k], &vs])?;
        let gs = unpack(g, &b2, &[&us, &[k], &vs])?;
        let (u, s, vh, gu, gsv, gvh) = (&f[0], &f[1], &f[2], &gs[0], &gs[1], &gs[2]);
        svd_backward(u, s, vh, gu, gsv, gvh, m, n)
    });
    let v = unpack(&p, &batch, &[&us, &[k], &vs])?;
    v.iter().map(|t| cast(t, out)).collect()
}

/// gA = U [(F o skew(U^T gU)) S + S (F o skew(V^T gV)) + diag(gS)] V^T
///      + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),  F_ij = 1 / (s_j^2 - s_i^2).
fn svd_backward(
    u: &Tensor,
    s: &Tensor,
    vh: &Tensor,
    gu: &Tensor,
    gs: &Tensor,
    gvh: &Tensor,
    m: usize,
    n: usize,
) -> Result<Vec<Option<Tensor>>> {
    let k = m.min(n);
    let eye = eye_like(k, s)?;
    let s2 = mul(s, s)?;
    let e = sub(&expand_dims(&s2, -2)?, &expand_dims(&s2, -1)?)?; // e_ij = s_j^2 - s_i^2
    let f = where_(&compare(Compare::Eq, &eye, &scalar(1.0, &eye))?, &scalar(0.0, s), &div(&scalar(1.0, s), &add(&e, &eye)?)?)?;
    let utgu = matmul(&mt(u)?, gu)?;
    let vtgv = matmul(vh, &mt(gvh)?)?;
    let j = mul(&f, &sub(&utgu, &mt(&utgu)?)?)?;
    let kk = mul(&f, &sub(&vtgv, &mt(&vtgv)?)?)?;
    let inner =
        add(&add(&mul(&j, &expand_dims(s, -2)?)?, &mul(&kk, &expand_dims(s, -1)?)?)?, &mul(&eye, &expand_dims(gs, -2)?)?)?;
    let mut ga = matmul(&matmul(u, &inner)?, vh)?;
    if m > k {
        // (I - U U^T) gU S^-1 Vh
        let t = div(gu, &expand_dims(s, -2)?)?;
        let t = sub(&t, &matmul(u, &matmul(&mt(u)?, &t)?)?)?;
        ga = add(&ga, &matmul(&t, vh)?)?;
    }
    if n > k {
        // U S^-1 gVh (I - V Vh)
        let t = div(gvh, &expand_dims(s, -1)?)?;
        let t = sub(&t, &matmul(&matmul(&t, &mt(vh)?)?, vh)?)?;
        ga = add(&ga, &matmul(u, &t)?)?;
    }
    Ok(vec![Some(ga)])
}

// ------------------------------------------------------------------------------------ eigh

/// keras.ops.eigh of (a + a^T) / 2 (as JAX's): eigenvalues (..., N) ascending and eigenvectors
/// (..., N, N) as columns. The gradient of the vectors needs distinct eigenvalues.
pub fn eigh(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let n = square("eigh", x)?;
    let (xc, out) = float_compute(x)?;
    let xs = symmetrize(&xc)?;
    let batch = batch_of(x);
    check_sizes("eigh", &[x.shape()], xc.dtype())?;
    let p = on_host1("eigh", &[&xs], |h| host::eigh(&h[0], &batch, n))?;
    let b2 = batch.clone();
    let p = record("eigh", p, &[&xs], move |g, _, p| {
        let f = unpack(p, &b2, &[&[n], &[n, n]])?;
        let gs = unpack(g, &b2, &[&[n], &[n, n]])?;
        let (w, v, gw, gv) = (&f[0], &f[1], &gs[0], &gs[1]);
        // gA = V (diag(gw) + F o (V^T gV)) V^T, F_ij = 1 / (w_j - w_i) off the diagonal
        let eye = eye_like(n, w)?;
        let e = sub(&expand_dims(w, -2)?, &expand_dims(w, -1)?)?;
        let fm =
            where_(&compare(Compare::Eq, &eye, &scalar(1.0, &eye))?, &scalar(0.0, w), &div(&scalar(1.0, w), &add(&e, &eye)?)?)?;
        let inner = add(&mul(&eye, &expand_dims(gw, -2)?)?, &mul(&fm, &matmul(&mt(v)?, gv)?)?)?;
        Ok(vec![Some(matmul(&matmul(v, &inner)?, &mt(v)?)?)])
    });
    let v = unpack(&p, &batch, &[&[n], &[n, n]])?;
    Ok((cast(&v[0], out)?, cast(&v[1], out)?))
}

// ------------------------------------------------------------------------------------- eig

/// A complex tensor as its real and imaginary parts: the engine holds complex values as real
/// tensors with a trailing axis of 2 (as `keras.ops.view_as_real` gives them); the eig gradient
/// computes on the two parts.
struct Cx {
    re: Tensor,
    im: Tensor,
}

impl Cx {
    /// The parts of a (..., 2) tensor.
    fn of(x: &Tensor) -> Result<Cx> {
        let ax = x.ndim() - 1;
        let part = |i| squeeze(&narrow(x, ax, i, 1)?, Some(&[-1]));
        Ok(Cx { re: part(0)?, im: part(1)? })
    }
    fn matmul(&self, o: &Cx) -> Result<Cx> {
        Ok(Cx {
            re: sub(&matmul(&self.re, &o.re)?, &matmul(&self.im, &o.im)?)?,
            im: add(&matmul(&self.re, &o.im)?, &matmul(&self.im, &o.re)?)?,
        })
    }
    fn mul(&self, o: &Cx) -> Result<Cx> {
        Ok(Cx {
            re: sub(&mul(&self.re, &o.re)?, &mul(&self.im, &o.im)?)?,
            im: add(&mul(&self.re, &o.im)?, &mul(&self.im, &o.re)?)?,
        })
    }
    /// The conjugate transpose.
    fn h(&self) -> Result<Cx> {
        Ok(Cx { re: mt(&self.re)?, im: neg(&mt(&self.im)?)? })
    }
}

/// keras.ops.eig of each real (..., N, N) matrix: eigenvalues (..., N, 2) and right
/// eigenvectors (..., N, N, 2) as columns, complex values as (real, imaginary) pairs. Each
/// eigenvector has unit 2-norm and its largest-magnitude component real and positive. The
/// gradient needs distinct eigenvalues; it is exact for that normalisation (JAX's keeps the norm
/// and not the phase, so the two agree on every loss that does not depend on the phase).
pub fn eig(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let n = square("eig", x)?;
    let (xc, _) = float_compute(x)?;
    let batch = batch_of(x);
    check_sizes("eig", &[&with_tail(&batch, &[2 * n + 2 * n * n])], xc.dtype())?;
    let p = on_host1("eig", &[&xc], |h| host::eig(&h[0], &batch, n))?;
    let b2 = batch.clone();
    let p = record("eig", p, &[&xc], move |g, _, p| {
        let f = unpack(p, &b2, &[&[n, 2], &[n, n, 2]])?;
        let gs = unpack(g, &b2, &[&[n, 2], &[n, n, 2]])?;
        let (w, v, gw, gv) = (Cx::of(&f[0])?, Cx::of(&f[1])?, Cx::of(&gs[0])?, Cx::of(&gs[1])?);
        let eye = eye_like(n, &w.re)?;
        let rowsum = |t: &Tensor| crate::ops::reduce::sum(t, Some(&[-2]), true);
        // the phase: column k's largest component p is real, so dv gains -i v Im(dv_p) / v_p,
        // whose adjoint adds i e_p Im(gv^H v) / v_p to gv
        let mag2 = add(&mul(&v.re, &v.re)?, &mul(&v.im, &v.im)?)?;
        let at_p = mt(&crate::ops::index::one_hot(&crate::ops::reduce::argmax(&mag2, Some(-2), false)?, n, w.re.dtype())?)?;
        let vp = super::unary::sqrt(&crate::ops::reduce::max(&mag2, Some(&[-2]), true)?)?;
        let im_gv = rowsum(&sub(&mul(&gv.re, &v.im)?, &mul(&gv.im, &v.re)?)?)?;
        let g1 = Cx { re: gv.re.clone(), im: add(&gv.im, &mul(&at_p, &div(&im_gv, &vp)?)?)? };
        // the unit norm: dv = du - v Re(v^H du), whose adjoint takes v Re(v^H g) from g
        let r = rowsum(&add(&mul(&v.re, &g1.re)?, &mul(&v.im, &g1.im)?)?)?;
        let g2 = Cx { re: sub(&g1.re, &mul(&v.re, &r)?)?, im: sub(&g1.im, &mul(&v.im, &r)?)? };
        // conj(F), F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it (1 / (I + w_j - w_i) - I)
        let e = Cx {
            re: add(&sub(&expand_dims(&w.re, -2)?, &expand_dims(&w.re, -1)?)?, &eye)?,
            im: sub(&expand_dims(&w.im, -2)?, &expand_dims(&w.im, -1)?)?,
        };
        let d = add(&mul(&e.re, &e.re)?, &mul(&e.im, &e.im)?)?;
        let fc = Cx { re: sub(&div(&e.re, &d)?, &eye)?, im: div(&e.im, &d)? };
        // gA = Re(V^-H (diag(gw) + conj(F) o (V^H g)) V^H)
        let vh = v.h()?;
        let t = fc.mul(&vh.matmul(&g2)?)?;
        let inner = Cx {
            re: add(&t.re, &mul(&eye, &expand_dims(&gw.re, -2)?)?)?,
            im: add(&t.im, &mul(&eye, &expand_dims(&gw.im, -2)?)?)?,
        };
        let rhs = inner.matmul(&vh)?;
        // V^H Y = rhs as the real system [[Re, -Im], [Im, Re]] [Re Y; Im Y] = [Re rhs; Im rhs]
        let top = super::shape::concatenate(&[vh.re.clone(), neg(&vh.im)?], -1)?;
        let bottom = super::shape::concatenate(&[vh.im.clone(), vh.re.clone()], -1)?;
        let big = super::shape::concatenate(&[top, bottom], -2)?;
        let y = solve(&big, &super::shape::concatenate(&[rhs.re, rhs.im], -2)?)?;
        Ok(vec![Some(narrow(&y, y.ndim() - 2, 0, n)?)])
    });
    let v = unpack(&p, &batch, &[&[n, 2], &[n, n, 2]])?;
    Ok((v[0].clone(), v[1].clone()))
}

// ------------------------------------------------------------------------------------ pinv

/// keras.ops.pinv (JAX's): from the thin SVD, singular values at most rcond * the largest
/// (rcond default 10 * max(M, N) * eps) dropped. Its gradient is JAX's pinv rule, which needs
/// no SVD gradient.
pub fn pinv(x: &Tensor, rcond: Option<f64>) -> Result<Tensor> {
    let (m, n) = matrix("pinv", x)?;
    let (xc, out) = float_compute(x)?;
    let batch = batch_of(x);
    let shape = with_tail(&batch, &[n, m]);
    check_sizes("pinv", &[&shape], xc.dtype())?;
    if m == 0 || n == 0 {
        return cast(&Tensor::full_on(&shape, 0.0, xc.dtype(), xc.device())?, out);
    }
    let rtol = rcond.unwrap_or(10.0 * m.max(n) as f64 * host::eps(xc.dtype()));
    let p = no_grad(|| -> Result<Tensor> {
        let (u, s, vh) = svd_thin(&xc, m, n)?;
        let cutoff = mul(&narrow(&s, s.ndim() - 1, 0, 1)?, &scalar(rtol, &s))?;
        let s = where_(&compare(Compare::Gt, &s, &cutoff)?, &s, &scalar(f64::INFINITY, &s))?;
        matmul(&mt(&vh)?, &div(&mt(&u)?, &expand_dims(&s, -1)?)?)
    })?;
    let p = record("pinv", p, &[&xc], |g, inp, p| {
        // gA = -p^T G p^T + (I - a p) G^T p p^T + p^T p G^T (I - p a)
        let a = &inp[0];
        let (pt, gt) = (mt(p)?, mt(g)?);
        let t1 = neg(&matmul(&matmul(&pt, g)?, &pt)?)?;
        let x2 = matmul(&matmul(&gt, p)?, &pt)?; // G^T p p^T (m, n)
        let t2 = sub(&x2, &matmul(a, &matmul(p, &x2)?)?)?;
        let x3 = matmul(&matmul(&pt, p)?, &gt)?; // p^T p G^T (m, n)
        let t3 = sub(&x3, &matmul(&matmul(&x3, p)?, a)?)?;
        Ok(vec![Some(add(&add(&t1, &t2)?, &t3)?)])
    });
    cast(&p, out)
}
