"""keras.ops.linalg (and keras.ops.slogdet / logdet): forward against NumPy / SciPy and real
Keras on JAX, float32 and float64, batched, on every device (float32 on the GPU), float64
gradients against finite differences, errors, dtypes, singular and empty inputs."""

import math

import numpy as np
import pytest
import scipy.linalg

import kerasish as K
from conftest import check_grad
from kerasish import _core, ops
from kerasish.ops import linalg as la
from oracle import oracle, real_keras
from test_views_dtypes import DEVICES

R = np.random.default_rng(11)


def t(x, device="cpu"):
    return K.tensor(np.asarray(x)).to(device)


def well(shape, dtype=np.float64):
    """Random square matrices far from singular."""
    n = shape[-1]
    return (R.normal(size=shape) + 2 * n**0.5 * np.eye(n)).astype(dtype)


def spd(shape, dtype=np.float64):
    a = R.normal(size=shape)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def tol(dtype):
    return dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-11)


def cases(device):
    """(dtype, batch shape) pairs to run on a device: float64 only on the CPU."""
    dts = [np.float32] if device == "gpu" else [np.float32, np.float64]
    return [(dt, b) for dt in dts for b in [(), (3,), (2, 2)]]


def on(x, device, dtype):
    got = x
    assert got.device == device, f"result on {got.device}, expected {device}"
    assert got.dtype == np.dtype(dtype).name
    return got.numpy()


# ------------------------------------------------------------------------------- forward


@pytest.mark.parametrize("device", DEVICES)
def test_solve_inv_det_slogdet(device):
    for dt, b in cases(device):
        a = well(b + (4, 4), dt)
        rhs = R.normal(size=b + (4, 3)).astype(dt)
        vec = R.normal(size=(4,)).astype(dt)
        np.testing.assert_allclose(on(la.solve(t(a, device), t(rhs, device)), device, dt), np.linalg.solve(a, rhs), **tol(dt))
        want = np.linalg.solve(a, np.broadcast_to(vec, b + (4,))[..., None])[..., 0]
        np.testing.assert_allclose(on(la.solve(t(a, device), t(vec, device)), device, dt), want, **tol(dt))
        np.testing.assert_allclose(on(la.inv(t(a, device)), device, dt), np.linalg.inv(a), **tol(dt))
        np.testing.assert_allclose(on(la.det(t(a, device)), device, dt), np.linalg.det(a), **tol(dt))
        s, ld = ops.slogdet(t(a, device))
        s0, ld0 = np.linalg.slogdet(a)
        np.testing.assert_array_equal(on(s, device, dt), s0)
        np.testing.assert_allclose(on(ld, device, dt), ld0, **tol(dt))
        np.testing.assert_allclose(on(ops.logdet(t(a, device)), device, dt), ld0, **tol(dt))
    # batch dims broadcast between a and b
    a, rhs = well((3, 1, 4, 4)), R.normal(size=(2, 4, 2))
    np.testing.assert_allclose(la.solve(a, rhs).numpy(), np.linalg.solve(a, rhs), rtol=1e-10)


@pytest.mark.parametrize("device", DEVICES)
def test_solve_triangular(device):
    for dt, b in cases(device):
        a = well(b + (5, 5), dt)
        rhs = R.normal(size=b + (5, 2)).astype(dt)
        for lower in (True, False):
            tri = np.tril(a) if lower else np.triu(a)
            # only the named triangle is read: the other one holds junk
            got = on(la.solve_triangular(t(a, device), t(rhs, device), lower=lower), device, dt)
            np.testing.assert_allclose(got, np.linalg.solve(tri, rhs), **tol(dt))
            v = rhs[..., 0]
            got = on(la.solve_triangular(t(a, device), t(v, device), lower=lower), device, dt)
            np.testing.assert_allclose(got, np.linalg.solve(tri, v[..., None])[..., 0], **tol(dt))


@pytest.mark.parametrize("device", DEVICES)
def test_cholesky_and_cholesky_inverse(device):
    for dt, b in cases(device):
        s = spd(b + (4, 4), dt)
        l0 = np.linalg.cholesky(s)
        np.testing.assert_allclose(on(la.cholesky(t(s, device)), device, dt), l0, **tol(dt))
        np.testing.assert_allclose(on(la.cholesky(t(s, device), upper=True), device, dt), np.swapaxes(l0, -1, -2), **tol(dt))
        # the factor of (x + x^T) / 2, as JAX: an asymmetric input is symmetrised first
        skew = np.triu(R.normal(size=b + (4, 4)), 1).astype(dt)
        np.testing.assert_allclose(on(la.cholesky(t(s + skew - np.swapaxes(skew, -1, -2), device)), device, dt), l0, **tol(dt))
        r = dict(rtol=1e-3, atol=1e-4) if dt == np.float32 else tol(dt)
        np.testing.assert_allclose(on(la.cholesky_inverse(t(l0, device)), device, dt), np.linalg.inv(s), **r)
        u0 = np.swapaxes(l0, -1, -2)
        np.testing.assert_allclose(on(la.cholesky_inverse(t(u0, device), upper=True), device, dt), np.linalg.inv(s), **r)


@pytest.mark.parametrize("device", DEVICES)
def test_qr(device):
    for dt, b in cases(device):
        for m, n in [(5, 3), (3, 5), (4, 4)]:
            x = R.normal(size=b + (m, n)).astype(dt)
            k = min(m, n)
            for mode, (qs, rs) in [("reduced", ((m, k), (k, n))), ("complete", ((m, m), (m, n)))]:
                q, r = la.qr(t(x, device), mode=mode)
                q, r = on(q, device, dt), on(r, device, dt)
                assert q.shape == b + qs and r.shape == b + rs
                np.testing.assert_allclose(q @ r, x, **tol(dt))
                np.testing.assert_allclose(
                    np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(qs[1]), b + (qs[1],) * 2), **tol(dt)
                )
                np.testing.assert_array_equal(np.tril(r, -1), 0)
                # the same factors as NumPy's up to the sign of each column of q / row of r
                q0, r0 = np.linalg.qr(x, mode=mode)
                d = np.sign(np.diagonal(r, axis1=-2, axis2=-1)[..., :k]) * np.sign(np.diagonal(r0, axis1=-2, axis2=-1)[..., :k])
                np.testing.assert_allclose(q[..., :k] * d[..., None, :], q0[..., :k], **tol(dt))
                np.testing.assert_allclose(r[..., :k, :] * d[..., :, None], r0[..., :k, :], **tol(dt))


def _sign_fix(u, vh):
    """Columns of u (and rows of vh) with the first component of largest |.| positive."""
    idx = np.argmax(np.abs(u), axis=-2)[..., None, :]
    sgn = np.sign(np.take_along_axis(u, idx, axis=-2))
    return u * sgn, (vh * np.swapaxes(sgn, -1, -2) if vh is not None else None)


@pytest.mark.parametrize("device", DEVICES)
def test_svd(device):
    for dt, b in cases(device):
        for m, n in [(5, 3), (3, 5), (4, 4)]:
            x = R.normal(size=b + (m, n)).astype(dt)
            k = min(m, n)
            s0 = np.linalg.svd(x, compute_uv=False)
            np.testing.assert_allclose(on(la.svd(t(x, device), compute_uv=False), device, dt), s0, **tol(dt))
            for full in (True, False):
                u, s, vh = (on(y, device, dt) for y in la.svd(t(x, device), full_matrices=full))
                assert u.shape == b + ((m, m) if full else (m, k)) and vh.shape == b + ((n, n) if full else (k, n))
                np.testing.assert_allclose(s, s0, **tol(dt))
                np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], x, **tol(dt))
                for q in (u, np.swapaxes(vh, -1, -2)):
                    np.testing.assert_allclose(
                        np.swapaxes(q, -1, -2) @ q,
                        np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2),
                        **tol(dt),
                    )
                u0, _, vh0 = np.linalg.svd(x, full_matrices=False)
                a, av = _sign_fix(u[..., :k], vh[..., :k, :])
                c, cv = _sign_fix(u0, vh0)
                np.testing.assert_allclose(a, c, **tol(dt))
                np.testing.assert_allclose(av, cv, **tol(dt))


@pytest.mark.parametrize("device", DEVICES)
def test_eigh(device):
    for dt, b in cases(device):
        s = spd(b + (5, 5), dt) - 5 * np.eye(5, dtype=dt)
        w, v = la.eigh(t(s, device))
        w, v = on(w, device, dt), on(v, device, dt)
        w0, v0 = np.linalg.eigh(s)
        np.testing.assert_allclose(w, w0, **tol(dt))
        np.testing.assert_allclose(s @ v, v * w[..., None, :], **dict(tol(dt), atol=1e-4 if dt == np.float32 else 1e-10))
        np.testing.assert_allclose(
            _sign_fix(v, None)[0], _sign_fix(v0, None)[0], **dict(tol(dt), atol=1e-4 if dt == np.float32 else 1e-10)
        )


@pytest.mark.parametrize("device", DEVICES)
def test_lu_factor(device):
    for dt, b in cases(device):
        for m, n in [(4, 4), (5, 3), (3, 5)]:
            x = R.normal(size=b + (m, n)).astype(dt)
            lu, piv = la.lu_factor(t(x, device))
            assert piv.dtype == "int32" and piv.device == device
            lu, piv = on(lu, device, dt), piv.numpy()
            flat_x, flat_lu, flat_p = x.reshape(-1, m, n), lu.reshape(-1, m, n), piv.reshape(-1, min(m, n))
            for xi, lui, pi in zip(flat_x, flat_lu, flat_p):
                lu0, p0 = scipy.linalg.lu_factor(xi.astype(np.float64))
                np.testing.assert_array_equal(pi, p0)
                np.testing.assert_allclose(lui, lu0, **dict(tol(dt), atol=1e-4 if dt == np.float32 else 1e-12))


@pytest.mark.parametrize("device", DEVICES)
def test_pinv_lstsq_rank_power(device):
    for dt, b in cases(device):
        x = R.normal(size=b + (5, 3)).astype(dt)
        np.testing.assert_allclose(on(la.pinv(t(x, device)), device, dt), np.linalg.pinv(x), **tol(dt))
        np.testing.assert_allclose(
            on(la.pinv(t(np.swapaxes(x, -1, -2), device)), device, dt), np.linalg.pinv(np.swapaxes(x, -1, -2)), **tol(dt)
        )
        low = x @ R.normal(size=(3, 4)).astype(dt)  # rank 3 of 4 columns
        np.testing.assert_array_equal(la.matrix_rank(t(low, device)).numpy(), np.linalg.matrix_rank(low))
        assert la.matrix_rank(t(low, device)).dtype == "int32"
        sq = (R.normal(size=b + (3, 3)) / 2).astype(dt)
        for p in (0, 1, 2, 3, 5, -1, -3):
            np.testing.assert_allclose(
                on(la.matrix_power(t(sq, device), p), device, dt),
                np.linalg.matrix_power(sq.astype(np.float64), p),
                **(dict(rtol=1e-3, atol=1e-4) if dt == np.float32 else tol(dt)),
            )
    for dt in [np.float32] if device == "gpu" else [np.float32, np.float64]:
        a, y, y1 = R.normal(size=(6, 3)).astype(dt), R.normal(size=(6, 2)).astype(dt), R.normal(size=6).astype(dt)
        np.testing.assert_allclose(
            on(la.lstsq(t(a, device), t(y, device)), device, dt), np.linalg.lstsq(a, y, rcond=None)[0], **tol(dt)
        )
        np.testing.assert_allclose(
            on(la.lstsq(t(a, device), t(y1, device)), device, dt), np.linalg.lstsq(a, y1, rcond=None)[0], **tol(dt)
        )
        # under-determined, rank-deficient: the minimum-norm solution
        w = np.concatenate([a.T, a.T[:1]], axis=0)  # (4, 6) of rank 3
        np.testing.assert_allclose(
            on(la.lstsq(t(w, device), t(y1[:4], device)), device, dt),
            np.linalg.lstsq(w, y1[:4], rcond=None)[0],
            **dict(tol(dt), atol=1e-4 if dt == np.float32 else 1e-10),
        )
    np.testing.assert_array_equal(la.matrix_rank(np.diag([1.0, 0.1, 0.01]), tol=0.05).numpy(), 2)
    np.testing.assert_array_equal(
        la.matrix_power(np.array([[1, 2], [3, 4]]), 3).numpy(), np.linalg.matrix_power(np.array([[1, 2], [3, 4]]), 3)
    )


NORMS_VEC = [None, 1, 2, 3, 0.5, 0, math.inf, -math.inf, -1, -2]
NORMS_MAT = [None, "fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2]


@pytest.mark.parametrize("device", DEVICES)
def test_norm(device):
    for dt in [np.float32] if device == "gpu" else [np.float32, np.float64]:
        x = R.normal(size=(3, 4, 5)).astype(dt)
        x[0, 0, 0] = 0
        for keepdims in (False, True):
            for o in NORMS_VEC:
                for ax in (-1, 1):
                    got = on(la.norm(t(x, device), ord=o, axis=ax, keepdims=keepdims), device, dt)
                    np.testing.assert_allclose(got, np.linalg.norm(x, ord=o, axis=ax, keepdims=keepdims), **tol(dt))
            for o in NORMS_MAT:
                for ax in [(1, 2), (2, 0), (-1, -2)]:
                    got = on(la.norm(t(x, device), ord=o, axis=ax, keepdims=keepdims), device, dt)
                    np.testing.assert_allclose(got, np.linalg.norm(x, ord=o, axis=ax, keepdims=keepdims), **tol(dt))
            np.testing.assert_allclose(
                on(la.norm(t(x, device), keepdims=keepdims), device, dt),
                np.linalg.norm(x.ravel()).reshape((1,) * 3 if keepdims else ()),
                **tol(dt),
            )
        np.testing.assert_allclose(on(la.norm(t(x[0], device), ord=1), device, dt), np.linalg.norm(x[0], ord=1), **tol(dt))
    got = la.norm(np.array([[1, 2], [3, 4]]))
    assert got.dtype == "float32"
    np.testing.assert_allclose(got.numpy(), np.sqrt(30), rtol=1e-6)


def test_dtypes():
    a = np.array([[4, 2], [2, 3]])
    for dt in ("int32", "int64", "uint8", "bool"):
        x = K.tensor(a if dt != "bool" else np.eye(2), dtype=dt)
        for f in (
            la.det,
            la.inv,
            la.cholesky,
            la.pinv,
            lambda y: la.solve(y, y),
            lambda y: la.qr(y)[0],
            lambda y: la.svd(y)[1],
            lambda y: la.eigh(y)[0],
            lambda y: ops.slogdet(y)[1],
            lambda y: la.lu_factor(y)[0],
        ):
            assert f(x).dtype == "float32", (dt, f)
    x16 = K.tensor(np.array([[4.0, 2], [2, 3]]), dtype="float16")
    for f in (la.det, la.inv, la.cholesky, lambda y: la.svd(y)[1], lambda y: la.qr(y)[1]):
        y = f(x16)
        assert y.dtype == "float16"
        np.testing.assert_allclose(y.numpy().astype(np.float64), f(x16.numpy().astype(np.float32)).numpy(), rtol=2e-3)
    # mixed operands promote
    assert la.solve(np.eye(2, dtype=np.float32), np.ones(2)).dtype == "float64"
    assert la.solve(np.eye(2, dtype=np.float32), K.tensor(np.ones(2), dtype="int32")).dtype == "float32"
    assert la.lstsq(np.eye(2, dtype=np.float32), np.ones(2)).dtype == "float64"


def test_singular_and_empty():
    z = np.zeros((4, 4))
    assert la.det(z).numpy() == 0
    s, ld = ops.slogdet(z)
    assert s.numpy() == 0 and ld.numpy() == -np.inf
    sing = np.array([[1.0, 2], [2, 4]])
    assert la.det(sing).numpy() == 0
    assert not np.isfinite(la.inv(np.ones((3, 3))).numpy()).all()
    assert not np.isfinite(la.solve(np.ones((2, 2)), np.ones(2)).numpy()).all()
    assert la.det(np.zeros((0, 0))).numpy() == 1
    assert la.det(np.zeros((3, 0, 0))).shape == (3,)
    u, s, vh = la.svd(np.ones((0, 3)))
    assert (u.shape, s.shape, vh.shape) == ((0, 0), (0,), (3, 3))
    np.testing.assert_array_equal(vh.numpy(), np.eye(3))
    q, r = la.qr(np.ones((0, 3)))
    assert (q.shape, r.shape) == ((0, 0), (0, 3))
    assert la.pinv(np.ones((0, 3))).shape == (3, 0)
    assert la.solve(np.zeros((2, 0, 0)), np.zeros((2, 0, 3))).shape == (2, 0, 3)
    w, v = la.eigh(np.zeros((0, 0)))
    assert (w.shape, v.shape) == ((0,), (0, 0))
    # non-finite input to the iterative methods: NaN, as JAX gives
    assert np.isnan(la.svd(np.full((2, 2), np.nan), compute_uv=False).numpy()).all()
    assert np.isnan(la.eigh(np.full((3, 3), np.inf))[0].numpy()).all()


def test_cholesky_not_positive_definite():
    with pytest.raises(ValueError, match="Cholesky decomposition failed"):
        la.cholesky(np.array([[1.0, 2], [2, 1]]))
    # the primitive itself gives NaN for that matrix only (what a traced step sees)
    out = _core.cholesky(np.stack([np.array([[1.0, 2], [2, 1]]), np.eye(2)]))
    assert np.isnan(out.numpy()[0]).all()
    np.testing.assert_array_equal(out.numpy()[1], np.eye(2))


def test_errors():
    m23, v3 = np.ones((2, 3)), np.ones(3)
    for f in (
        la.det,
        la.inv,
        la.cholesky,
        la.eigh,
        ops.slogdet,
        ops.logdet,
        la.cholesky_inverse,
        lambda x: la.matrix_power(x, 2),
    ):
        with pytest.raises(ValueError, match=r"square.*\(2, 3\)"):
            f(m23)
        with pytest.raises(ValueError, match=r"rank >= 2.*\(3,\)"):
            f(v3)
    for f in (la.qr, la.svd, la.lu_factor, la.pinv, la.matrix_rank):
        with pytest.raises(ValueError, match=r"rank >= 2.*\(3,\)"):
            f(v3)
    for f in (la.solve, la.solve_triangular):
        with pytest.raises(ValueError, match=r"a.shape\[-2\] == b.shape\[-2\].*\(2, 2\).*\(3, 5\)"):
            f(np.eye(2), np.ones((3, 5)))
        with pytest.raises(ValueError, match=r"a.shape\[-1\] == b.shape\[-1\].*\(2, 2\).*\(3, 2, 5\)"):
            f(np.eye(2), np.ones((3, 2, 5)))
        with pytest.raises(ValueError, match=r"rows"):
            f(np.eye(2), np.ones(3))
        with pytest.raises(ValueError, match="cannot be broadcast"):
            f(np.ones((3, 2, 2)), np.ones((4, 2, 1)))
    with pytest.raises(ValueError, match=r"invalid shapes.*\(3, 2, 2\).*\(3, 2\)"):
        la.solve(np.ones((3, 2, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="mode"):
        la.qr(np.eye(2), mode="r")
    with pytest.raises(ValueError, match="mode"):
        _core.qr(np.eye(2), "full")
    with pytest.raises(TypeError, match="n must be an integer"):
        la.matrix_power(np.eye(2), 2.0)
    with pytest.raises(ValueError, match="rank 2"):
        la.lstsq(np.ones((2, 2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="rank 1 or 2"):
        la.lstsq(np.ones((3, 2)), np.ones((3, 2, 2)))
    with pytest.raises(ValueError, match=r"b.shape\[0\]"):
        la.lstsq(np.ones((3, 2)), np.ones(2))
    with pytest.raises(ValueError, match="vector norm"):
        la.norm(np.ones(3), ord="fro")
    with pytest.raises(ValueError, match="matrix norm"):
        la.norm(np.ones((2, 2)), ord=3)
    with pytest.raises(ValueError, match="'fro', 'nuc'"):
        la.norm(np.ones((2, 2)), ord="x")
    with pytest.raises(ValueError, match="Improper number of axes"):
        la.norm(np.ones((2, 2, 2)), ord=1)


def test_gpu_float64_refused():
    if "gpu" not in DEVICES:
        pytest.skip("no GPU")
    with pytest.raises(TypeError):
        la.det(t(np.eye(2)).to("gpu"))


def test_symbolic():
    x = K.Input((4, 3))
    q, r = la.qr(x)
    assert q.shape == (None, 4, 3) and r.shape == (None, 3, 3)
    u, s, vh = la.svd(x)
    assert (u.shape, s.shape, vh.shape) == ((None, 4, 4), (None, 3), (None, 3, 3))
    sq = K.Input((3, 3))
    assert la.cholesky(sq).shape == (None, 3, 3)  # inferred on zeros: no positive-definite check
    assert la.det(sq).shape == (None,) and la.inv(sq).shape == (None, 3, 3)
    w, v = la.eigh(sq)
    assert w.shape == (None, 3) and v.shape == (None, 3, 3)
    assert la.norm(sq, axis=-1).shape == (None, 3) and la.matrix_power(sq, 3).shape == (None, 3, 3)
    lu, piv = la.lu_factor(x)
    assert lu.shape == (None, 4, 3) and piv.dtype == "int32"
    model = K.Model(sq, la.inv(sq))
    a = well((2, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(a, verbose=0), np.linalg.inv(a), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------- gradients


def test_grad_solve_inv_det():
    a, b = well((2, 3, 3)), R.normal(size=(2, 3, 2))
    check_grad(la.solve, [a, b])
    check_grad(la.solve, [a[0], R.normal(size=3)])
    check_grad(la.solve, [a[:1], b])  # a broadcast over b's batch
    check_grad(la.inv, [a])
    check_grad(la.det, [a])
    check_grad(la.det, [R.normal(size=(5, 5))])
    check_grad(lambda x: ops.slogdet(x)[1], [a])
    check_grad(ops.logdet, [spd((3, 3))])
    for lower in (True, False):
        check_grad(lambda x, y: la.solve_triangular(x, y, lower=lower), [a, b])
        check_grad(lambda x, y: la.solve_triangular(x, y, lower=lower), [a, R.normal(size=(2, 3))])


def test_grad_det_singular_is_the_cofactor_matrix():
    """det's gradient is the cofactor matrix, defined for singular matrices too (as JAX's)."""
    for a in (np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]), np.zeros((3, 3)), np.outer([1.0, 2, 3], [1.0, -1, 2])):
        x = K.tensor(a, requires_grad=True)
        la.det(x).backward()
        cof = np.array(
            [[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(3)] for i in range(3)]
        )
        np.testing.assert_allclose(x.grad.numpy(), cof, atol=1e-12)


def test_grad_cholesky():
    s = spd((2, 4, 4))
    check_grad(la.cholesky, [s])
    check_grad(lambda x: la.cholesky(x, upper=True), [s])
    check_grad(la.cholesky_inverse, [np.linalg.cholesky(s)])
    check_grad(lambda x: la.cholesky_inverse(x, upper=True), [np.ascontiguousarray(np.swapaxes(np.linalg.cholesky(s), -1, -2))])


def test_grad_qr():
    for shape in [(2, 5, 3), (4, 4)]:
        x = R.normal(size=shape)
        check_grad(lambda y: ops.concatenate([ops.ravel(q) for q in la.qr(y)]), [x])
    x = R.normal(size=(4, 4))
    check_grad(lambda y: ops.concatenate([ops.ravel(q) for q in la.qr(y, mode="complete")]), [x])
    for shape, mode in [((3, 5), "reduced"), ((5, 3), "complete")]:
        y = K.tensor(R.normal(size=shape), requires_grad=True)
        with pytest.raises(ValueError, match="gradient is defined"):
            ops.sum(la.qr(y, mode=mode)[0]).backward()


def _svd_invariants(y, full=False):
    u, s, vh = la.svd(y, full_matrices=full)
    return ops.concatenate([ops.ravel(u * u), ops.ravel(vh * vh), ops.ravel(s), ops.ravel(u[..., :, :1] * vh[..., :1, :])])


def test_grad_svd():
    for shape in [(5, 3), (3, 5), (2, 4, 4)]:
        x = R.normal(size=shape)
        check_grad(lambda y: la.svd(y, compute_uv=False), [x])
        check_grad(_svd_invariants, [x])
    check_grad(lambda y: _svd_invariants(y, full=True), [R.normal(size=(4, 4))])
    # repeated singular values: the values alone still differentiate
    check_grad(lambda y: la.svd(y, compute_uv=False), [np.eye(3) * 2 + 1e-3 * R.normal(size=(3, 3))], rtol=1e-3)
    y = K.tensor(R.normal(size=(4, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="full_matrices"):
        ops.sum(la.svd(y)[0]).backward()


def test_grad_eigh():
    s = spd((2, 4, 4))

    def f(y):
        w, v = la.eigh(y)
        return ops.concatenate([ops.ravel(w), ops.ravel(v * v), ops.ravel(v[..., :, :1] * v[..., :, 1:2])])

    check_grad(f, [s])
    check_grad(f, [R.normal(size=(3, 3))])  # asymmetric: the gradient of eigh((x + x^T) / 2)


def test_grad_norm():
    x = R.normal(size=(3, 4))
    for o in NORMS_VEC:
        if o == 0:
            continue
        check_grad(lambda y: la.norm(y, ord=o, axis=-1), [x])
    for o in NORMS_MAT:
        check_grad(lambda y: la.norm(y, ord=o, axis=(0, 1)), [x])
    check_grad(la.norm, [x])


def test_grad_pinv_lstsq_power():
    for shape in [(5, 3), (3, 5), (2, 4, 4)]:
        check_grad(la.pinv, [R.normal(size=shape)])
    check_grad(la.lstsq, [R.normal(size=(6, 3)), R.normal(size=(6, 2))])
    check_grad(la.lstsq, [R.normal(size=(3, 5)), R.normal(size=3)])
    sq = R.normal(size=(3, 3)) / 2 + np.eye(3)
    for p in (2, 3, 5, -1, -2):
        check_grad(lambda y: la.matrix_power(y, p), [sq])


@pytest.mark.parametrize("device", DEVICES)
def test_grad_on_device(device):
    """float32 backward through the host kernels on each device equals the CPU's."""
    a, b = well((2, 3, 3), np.float32), R.normal(size=(2, 3, 2)).astype(np.float32)
    grads = {}
    for dev in ("cpu", device):
        x, y = K.tensor(a).to(dev), K.tensor(b).to(dev)
        x.requires_grad = True
        y.requires_grad = True
        out = (
            ops.sum(la.solve(x, y))
            + ops.sum(la.det(x))
            + ops.sum(la.svd(x, compute_uv=False))
            + ops.sum(la.cholesky(ops.matmul(x, ops.swapaxes(x, -1, -2))))
        )
        out.backward()
        assert x.grad.device == dev
        grads[dev] = (x.grad.numpy(), y.grad.numpy())
    for g0, g1 in zip(grads["cpu"], grads[device]):
        np.testing.assert_allclose(g1, g0, rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------------------- real Keras


def _kn(x):
    return np.asarray(real_keras().ops.convert_to_numpy(x))


@oracle
def test_matches_keras_forward():
    keras = real_keras()
    ko = keras.ops
    a, s, x, b = well((2, 4, 4)), spd((2, 4, 4)), R.normal(size=(2, 5, 3)), R.normal(size=(2, 4, 2))
    pairs = [
        (la.det(a), ko.det(a)),
        (la.inv(a), ko.inv(a)),
        (la.solve(a, b), ko.solve(a, b)),
        (la.solve(a[0], b[0, :, 0]), ko.solve(a[0], b[0, :, 0])),
        (la.solve_triangular(a, b), ko.solve_triangular(a, b)),
        (la.solve_triangular(a, b, lower=True), ko.solve_triangular(a, b, lower=True)),
        (la.cholesky(s), ko.cholesky(s)),
        (la.cholesky(s, upper=True), ko.cholesky(s, upper=True)),
        (la.cholesky_inverse(np.linalg.cholesky(s[0])), ko.cholesky_inverse(np.linalg.cholesky(s[0]))),
        (ops.slogdet(a)[0], ko.slogdet(a)[0]),
        (ops.slogdet(a)[1], ko.slogdet(a)[1]),
        (ops.logdet(s), ko.logdet(s)),
        (la.svd(x, compute_uv=False), ko.svd(x, compute_uv=False)),
        (la.eigh(s)[0], ko.eigh(s)[0]),
        (la.pinv(x), ko.pinv(x)),
        (la.pinv(x, rcond=0.5), ko.pinv(x, rcond=0.5)),
        (la.lstsq(x[0], b[0, :, 0].repeat(2)[:5]), ko.lstsq(x[0], b[0, :, 0].repeat(2)[:5])),
        (la.matrix_rank(x @ R.normal(size=(3, 4))), ko.matrix_rank(x @ R.normal(size=(3, 4)))),
        (la.lu_factor(a)[0], ko.lu_factor(a)[0]),
        (la.lu_factor(x)[1], ko.lu_factor(x)[1]),
        (la.det(np.zeros((4, 4))), ko.det(np.zeros((4, 4)))),
        (ops.slogdet(np.zeros((4, 4)))[1], ko.slogdet(np.zeros((4, 4)))[1]),
    ]
    for i, (got, want) in enumerate(pairs):
        want = _kn(want)
        assert got.shape == want.shape, (i, got.shape, want.shape)
        assert got.dtype == str(want.dtype), (i, got.dtype, want.dtype)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-10, err_msg=f"pair {i}")
    # Keras's norm on JAX computes float64 input in float32 (its result_type maps float64 down);
    # kerasish keeps float64, so the values agree to float32's precision
    norms = [(la.norm(x, ord=o, axis=(1, 2)), ko.norm(x, ord=o, axis=(1, 2))) for o in NORMS_MAT]
    norms += [(la.norm(x, ord=o, axis=-1, keepdims=True), ko.norm(x, ord=o, axis=-1, keepdims=True)) for o in NORMS_VEC]
    norms.append((la.norm(x), ko.norm(x)))
    for i, (got, want) in enumerate(norms):
        want = _kn(want)
        assert got.shape == want.shape and got.dtype == "float64", (i, got.shape, want.shape, got.dtype)
        np.testing.assert_allclose(got.numpy(), want, rtol=2e-6, atol=1e-6, err_msg=f"norm {i}")
    # the decompositions agree up to the signs of the singular / eigen / Q vectors
    for full in (True, False):
        u, sv, vh = (y.numpy() for y in la.svd(x, full_matrices=full))
        ku, ks, kvh = (_kn(y) for y in ko.svd(x, full_matrices=full))
        assert u.shape == ku.shape and vh.shape == kvh.shape
        np.testing.assert_allclose(
            _sign_fix(u[..., :3], vh[..., :3, :])[0], _sign_fix(ku[..., :3], kvh[..., :3, :])[0], rtol=1e-9, atol=1e-10
        )
    for mode in ("reduced", "complete"):
        q, r = (y.numpy() for y in la.qr(x, mode=mode))
        kq, kr = (_kn(y) for y in ko.qr(x, mode=mode))
        assert q.shape == kq.shape and r.shape == kr.shape
        d = np.sign(np.diagonal(r, axis1=-2, axis2=-1)) * np.sign(np.diagonal(kr, axis1=-2, axis2=-1))
        np.testing.assert_allclose(q[..., :3] * d[..., None, :], kq[..., :3], rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(r[..., :3, :] * d[..., :, None], kr[..., :3, :], rtol=1e-9, atol=1e-10)
    w, v = (y.numpy() for y in la.eigh(s))
    kw, kv = (_kn(y) for y in ko.eigh(s))
    np.testing.assert_allclose(_sign_fix(v, None)[0], _sign_fix(kv, None)[0], rtol=1e-8, atol=1e-9)
    mp = getattr(ko, "matrix_power", None) or getattr(keras.ops.linalg, "matrix_power", None)
    if mp is not None:  # Keras 3.15 has no matrix_power yet
        for p in (0, 3, -2):
            np.testing.assert_allclose(la.matrix_power(a, p).numpy(), _kn(mp(a, p)), rtol=1e-9, atol=1e-10)


@oracle
def test_matches_keras_dtypes_and_errors():
    keras = real_keras()
    ko = keras.ops
    a = np.array([[4, 2], [2, 3]], dtype=np.int32)
    for f, kf in [
        (la.det, ko.det),
        (la.inv, ko.inv),
        (la.cholesky, ko.cholesky),
        (la.pinv, ko.pinv),
        (lambda y: la.svd(y)[1], lambda y: ko.svd(y)[1]),
        (lambda y: la.eigh(y)[0], lambda y: ko.eigh(y)[0]),
        (lambda y: la.lu_factor(y)[1], lambda y: ko.lu_factor(y)[1]),
        (la.matrix_rank, ko.matrix_rank),
        (la.norm, ko.norm),
        (lambda y: ops.slogdet(y)[1], lambda y: ko.slogdet(y)[1]),
    ]:
        got, want = f(K.tensor(a, dtype="int32")), _kn(kf(a))
        assert got.dtype == str(want.dtype), (f, got.dtype, want.dtype)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    bad = [
        (lambda m: m.det(np.ones((2, 3)))),
        (lambda m: m.inv(np.ones(3))),
        (lambda m: m.cholesky(np.array([[1.0, 2], [2, 1]]))),
        (lambda m: m.solve(np.eye(2), np.ones((3, 5)))),
        (lambda m: m.solve(np.ones((3, 2, 2)), np.ones((3, 2)))),
        (lambda m: m.qr(np.eye(2), mode="r")),
        (lambda m: m.norm(np.ones(3), ord="fro")),
        (lambda m: m.norm(np.ones((2, 2)), ord=3)),
        (lambda m: m.lstsq(np.ones((3, 2)), np.ones(2))),
        (lambda m: m.matrix_rank(np.ones(3))),
        (lambda m: m.pinv(np.ones(3))),
    ]
    for i, f in enumerate(bad):
        with pytest.raises((ValueError, TypeError)):
            f(keras.eager.ops)  # eager: some checks read values, which a compiled call cannot
        with pytest.raises(ValueError):
            f(la)


@oracle
def test_matches_keras_gradients():
    """Gradients against JAX's through real Keras (float64)."""
    import jax

    keras = real_keras()
    ko = keras.ops
    a, s, x, b = well((2, 3, 3)), spd((2, 3, 3)), R.normal(size=(4, 3)), R.normal(size=(2, 3, 2))
    cases = [
        (lambda m, y: m.sum(m.det(y)), a),
        (lambda m, y: m.sum(m.inv(y) ** 2), a),
        (lambda m, y: m.sum(m.slogdet(y)[1]), a),
        (lambda m, y: m.sum(m.cholesky(y) ** 2), s),
        (lambda m, y: m.sum(m.solve(y, b) ** 2), a),
        (lambda m, y: m.sum(m.solve_triangular(y, b, lower=True) ** 2), a),
        (lambda m, y: m.sum(m.pinv(y) ** 2), x),
        (lambda m, y: m.sum(m.svd(y, compute_uv=False) ** 3), x),
        (lambda m, y: m.sum(m.eigh(y)[0] ** 3), s),
        (lambda m, y: m.sum(m.norm(y, ord="nuc")), x),
        (lambda m, y: m.sum(m.norm(y, ord=2)), x),
        (lambda m, y: m.sum(m.qr(y)[1] ** 2) + m.sum(m.qr(y)[0][:, 0]), x),
        (lambda m, y: m.sum(m.lstsq(y, x[:, 0]) ** 2), x),
        # rank-deficient: JAX's pinv rule holds the rank (finite differences cannot check it)
        (lambda m, y: m.sum(m.pinv(y) ** 2), R.normal(size=(4, 2)) @ R.normal(size=(2, 3))),
    ]
    for i, (f, x0) in enumerate(cases):
        want = np.asarray(jax.grad(lambda y: f(ko, y))(x0))
        y = K.tensor(x0, requires_grad=True)
        f(ops, y).backward()
        # Keras's norm computes float64 in float32 (see above)
        r = dict(rtol=2e-5, atol=1e-6) if i in (9, 10) else dict(rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(y.grad.numpy(), want, **r, err_msg=f"case {i}")


def test_odd_inputs_give_results_or_python_errors():
    """Shapes with 0 and 1 dims, broadcast and transposed views, NaN / inf, every dtype family:
    each function ends in a result or a ValueError / TypeError, never a panic."""
    rng = np.random.default_rng(5)
    fns = [
        la.det,
        la.inv,
        la.cholesky,
        la.eigh,
        la.qr,
        lambda x: la.qr(x, mode="complete"),
        la.svd,
        lambda x: la.svd(x, full_matrices=False),
        lambda x: la.svd(x, compute_uv=False),
        la.lu_factor,
        la.pinv,
        la.matrix_rank,
        ops.slogdet,
        ops.logdet,
        la.norm,
        lambda x: la.norm(x, ord=2, axis=(-2, -1)),
        lambda x: la.matrix_power(x, -2),
        la.cholesky_inverse,
        lambda x: la.solve(x, x),
        lambda x: la.solve_triangular(x, x[..., :1] if x.ndim else x),
        lambda x: la.lstsq(x, x),
    ]
    n = 0
    for trial in range(60):
        shape = tuple(int(d) for d in rng.choice([0, 1, 2, 3], size=rng.integers(0, 5)))
        x = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 4)
        if x.size and trial % 4 == 0:
            x.flat[rng.integers(x.size)] = rng.choice([np.nan, np.inf, -np.inf])
        dt = ["float64", "float32", "int64", "bool"][trial % 4]
        xt = K.tensor(x, dtype=dt)
        if trial % 3 == 0 and xt.ndim >= 2:
            xt = ops.swapaxes(xt, -1, -2)
        if trial % 5 == 0:
            xt = ops.broadcast_to(xt, (2,) + tuple(xt.shape))
        for f in fns:
            try:
                out = f(xt)
            except (ValueError, TypeError) as e:
                assert "inside faer" not in str(e), e  # a caught panic
                continue
            for o in out if isinstance(out, tuple) else (out,):
                o.numpy()
            n += 1
    assert n > 200, n
