"""Complex tensors (kerasish/_complex.py) and the ops that make them: keras.ops.eig, polar,
view_as_complex and view_as_real. Forward against NumPy and real Keras on JAX, on every device
(complex64 on the GPU), float64 gradients against finite differences (eig's against JAX's too,
on losses that do not depend on the eigenvectors' phase), dtypes, operators, symbolic calls and
errors."""

import numpy as np
import pytest

import kerasish as K
from conftest import check_grad, numeric_grad
from kerasish import ops
from kerasish._complex import ComplexTensor
from oracle import oracle, real_keras
from test_views_dtypes import DEVICES

R = np.random.default_rng(14)


def t(x, device="cpu"):
    return K.tensor(np.asarray(x)).to(device)


def cx(shape, dtype=np.complex128):
    return (R.normal(size=shape) + 1j * R.normal(size=shape)).astype(dtype)


def got(z, device, dtype):
    """z's values, after checking it is a complex tensor of `dtype` on `device`."""
    assert isinstance(z, ComplexTensor), type(z)
    assert z.device == device and z.dtype == dtype, (z.device, z.dtype)
    return z.numpy()


def phase_fixed(v):
    """Eigenvectors (columns) scaled to unit norm with their largest-magnitude component real
    and positive: the normalisation kerasish's eig returns (NumPy's leaves the phase free)."""
    v = v / np.linalg.norm(v, axis=-2, keepdims=True)
    big = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], axis=-2)
    return v * (np.abs(big) / big)


def by_eigenvalue(w, v):
    """Eigenpairs sorted by (real, imaginary) part of the eigenvalue, per matrix."""
    order = np.lexsort((np.round(w.imag, 5), np.round(w.real, 5)), axis=-1)
    return np.take_along_axis(w, order, -1), np.take_along_axis(v, order[..., None, :], -1)


# ---------------------------------------------------------------------------------- eig

@pytest.mark.parametrize("device", DEVICES)
def test_eig_matches_numpy(device):
    dts = [np.float32] if device == "gpu" else [np.float32, np.float64]
    for dt in dts:
        for b in [(), (3,), (2, 2)]:
            a = R.normal(size=b + (5, 5)).astype(dt)
            w, v = ops.eig(t(a, device))
            cd = "complex64" if dt == np.float32 else "complex128"
            w, v = got(w, device, cd), got(v, device, cd)
            assert w.shape == b + (5,) and v.shape == b + (5, 5)
            tol = dict(rtol=1e-3, atol=1e-4) if dt == np.float32 else dict(rtol=1e-9, atol=1e-10)
            # A V = V diag(w), unit columns whose largest component is real and positive
            np.testing.assert_allclose(a @ v, v * w[..., None, :], **tol)
            np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1, **tol)
            big = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], axis=-2)
            np.testing.assert_allclose(big.imag, 0, atol=tol["atol"])
            assert (big.real > 0).all()
            w0, v0 = np.linalg.eig(a.astype(np.float64))
            ws, vs = by_eigenvalue(w, v)
            w0s, v0s = by_eigenvalue(w0, phase_fixed(v0))
            np.testing.assert_allclose(ws, w0s, **tol)
            np.testing.assert_allclose(vs, v0s, **dict(tol, atol=10 * tol["atol"]))


def test_eig_edge_cases():
    # complex pairs come out conjugate; a real spectrum has zero imaginary parts
    rot = np.array([[0.0, -2.0], [2.0, 0.0]])
    w, _ = ops.eig(rot)
    np.testing.assert_allclose(np.sort_complex(w.numpy()), [-2j, 2j], atol=1e-12)
    w, v = ops.eig(np.diag([3.0, 1.0, 2.0]))
    np.testing.assert_allclose(w.numpy(), [3, 1, 2])
    np.testing.assert_allclose(v.numpy(), np.eye(3))
    # integers compute in float32 (complex64), as JAX's
    assert ops.eig(np.eye(2, dtype=np.int32))[0].dtype == "complex64"
    # empty and non-finite inputs
    w, v = ops.eig(np.zeros((0, 0)))
    assert w.shape == (0,) and v.shape == (0, 0)
    w, v = ops.eig(np.full((3, 3), np.nan))
    assert np.isnan(w.numpy().real).all() and np.isnan(v.numpy().real).all()
    with pytest.raises(ValueError, match="square"):
        ops.eig(np.ones((2, 3)))
    with pytest.raises(ValueError):
        ops.eig(np.ones(3))


@oracle
def test_eig_matches_keras():
    k = real_keras()
    a = R.normal(size=(2, 4, 4))
    w, v = ops.eig(a)
    w0, v0 = (np.asarray(r) for r in k.ops.eig(a))
    ws, vs = by_eigenvalue(w.numpy(), v.numpy())
    w0s, v0s = by_eigenvalue(w0, phase_fixed(v0))
    np.testing.assert_allclose(ws, w0s, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(vs, v0s, rtol=1e-8, atol=1e-9)


def test_grad_eig():
    # the full result (values and phase-fixed vectors) against finite differences; the
    # eigenvalues of these matrices are distinct, some real, some complex pairs
    for a in [R.normal(size=(4, 4)), R.normal(size=(2, 3, 3)), np.array([[0.0, -2.0], [1.5, 0.3]])]:
        check_grad(lambda y: ops.concatenate([ops.ravel(ops.view_as_real(r)) for r in ops.eig(y)]), [a])


@oracle
def test_grad_eig_matches_jax():
    """On a loss that does not depend on the phase (JAX's eigenvectors are normalised in norm
    only), kerasish's gradient is JAX's."""
    import jax
    import jax.numpy as jnp

    k = real_keras()  # noqa: F841 - enables float64 in JAX
    a = R.normal(size=(4, 4))
    c1, c2, c3 = R.normal(size=4), R.normal(size=4), R.normal(size=(4, 4))

    def loss_jax(y):
        w, v = jax.lax.linalg.eig(y, compute_left_eigenvectors=False, enable_eigvec_derivs=True)
        return jnp.sum(c1 * w.real) + jnp.sum(c2 * w.imag) + jnp.sum(c3 * jnp.abs(v) ** 2)

    y = K.tensor(a, requires_grad=True)
    w, v = ops.eig(y)
    loss = ops.sum(c1 * ops.real(w)) + ops.sum(c2 * ops.imag(w)) + ops.sum(c3 * ops.square(ops.abs(v)))
    loss.backward()
    np.testing.assert_allclose(loss.numpy(), loss_jax(a), rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), jax.grad(loss_jax)(a), rtol=1e-8, atol=1e-10)


# ----------------------------------------------------------------- view_as_complex / real

@pytest.mark.parametrize("device", DEVICES)
def test_view_as_complex_and_real(device):
    x = R.normal(size=(3, 4, 2)).astype(np.float32)
    z = ops.view_as_complex(t(x, device))
    np.testing.assert_array_equal(got(z, device, "complex64"), x[..., 0] + 1j * x[..., 1])
    r = ops.view_as_real(z)
    assert r.device == device and r.dtype == "float32" and r.shape == (3, 4, 2)
    np.testing.assert_array_equal(r.numpy(), x)
    # views of a view: a transposed, sliced input
    xv = t(np.swapaxes(R.normal(size=(2, 5, 3)), 0, 2).astype(np.float32), device)[:, ::2]
    np.testing.assert_array_equal(ops.view_as_complex(xv).numpy(), xv.numpy()[..., 0] + 1j * xv.numpy()[..., 1])
    # float64 and integers give complex64, as Keras's; a real input to view_as_real gets zeros
    assert ops.view_as_complex(np.ones((2, 2))).dtype == "complex64"
    assert ops.view_as_complex(np.ones((2,), np.int32)).dtype == "complex64"
    np.testing.assert_array_equal(ops.view_as_real(t(np.float32([1, 2]), device)).numpy(), [[1, 0], [2, 0]])
    np.testing.assert_array_equal(ops.view_as_real(np.array([1 + 2j, 3 - 4j])).numpy(), [[1, 2], [3, -4]])
    for bad in [np.ones((3,)), np.ones((2, 3)), np.float32(1.0)]:
        with pytest.raises(ValueError, match=r"Last dimension of input must be size 2 .*Received shape"):
            ops.view_as_complex(bad)


@oracle
def test_view_as_complex_polar_match_keras():
    k = real_keras()
    x = R.normal(size=(3, 2)).astype(np.float32)
    z0 = np.asarray(k.ops.view_as_complex(x))
    z = ops.view_as_complex(x)
    assert z.dtype == z0.dtype.name
    np.testing.assert_array_equal(z.numpy(), z0)
    np.testing.assert_array_equal(ops.view_as_real(z).numpy(), np.asarray(k.ops.view_as_real(z0)))
    r, a = np.abs(R.normal(size=(2, 3))).astype(np.float32), R.normal(size=(2, 3)).astype(np.float32)
    p0 = np.asarray(k.ops.polar(r, a))
    p = ops.nn.polar(r, a)
    assert p.dtype == p0.dtype.name
    np.testing.assert_allclose(p.numpy(), p0, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("device", DEVICES)
def test_polar(device):
    r, a = np.abs(R.normal(size=(2, 3))), R.normal(size=(2, 3))
    dts = [np.float32] if device == "gpu" else [np.float32, np.float64]
    for dt in dts:
        p = ops.polar(t(r.astype(dt), device), t(a.astype(dt), device))
        cd = "complex64" if dt == np.float32 else "complex128"
        np.testing.assert_allclose(got(p, device, cd), r * np.exp(1j * a), rtol=1e-6 if dt == np.float32 else 1e-14)
    # broadcasting, and polar in ops.nn
    np.testing.assert_allclose(ops.nn.polar(2.0, np.array([0.0, np.pi / 2])).numpy(), [2, 2j], atol=1e-7)


def test_grad_polar_and_views():
    check_grad(lambda r, a: ops.view_as_real(ops.polar(r, a)), [np.abs(R.normal(size=3)) + 0.5, R.normal(size=3)])
    # complex arithmetic on complex128 (polar of float64 parts), back to real
    c = ops.polar(np.abs(R.normal(size=3)), R.normal(size=3))
    check_grad(lambda r, a: ops.view_as_real(ops.exp(ops.polar(r, a) * c / (c + ops.polar(r, a)))),
               [np.abs(R.normal(size=3)) + 0.5, R.normal(size=3)])
    def mm(r, a):
        return ops.abs(ops.sum(ops.matmul(ops.polar(r, ops.transpose(a)), ops.conj(ops.polar(a, ops.transpose(r)))), axis=0))

    check_grad(mm, [R.normal(size=(2, 3)), R.normal(size=(3, 2))])
    # view_as_complex is complex64 whatever its input (Keras's): a linear map, whose central
    # differences are exact up to float32 rounding
    x0, c32, w = R.normal(size=(3, 2)), ops.view_as_complex(R.normal(size=(3, 2))), R.normal(size=(3, 2))

    def f(x):
        return ops.sum(ops.view_as_real(ops.view_as_complex(x) * c32) * w)

    x = K.tensor(x0.astype(np.float32), requires_grad=True)
    f(x).backward()
    want = numeric_grad(lambda v: f(K.tensor(v.astype(np.float32))).numpy(), [x0], eps=0.25)[0]
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ arithmetic and dtypes

def _pairs():
    """(kerasish operand, NumPy operand) pairs: complex tensors, real tensors, numbers, arrays."""
    z1, z2 = cx((3, 4)), cx((4,))
    return [
        (ops.convert_to_tensor(z1), z1), (ops.convert_to_tensor(z2), z2),
        (K.tensor(R.normal(size=(3, 4))), None), (2.5, 2.5), (1 - 2j, 1 - 2j), (z2, z2),
    ]


BINARY = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide}


def test_binary_ops_match_numpy():
    pairs = _pairs()
    for name, f in BINARY.items():
        for a, na in pairs:
            for b, nb in pairs:
                if not any(isinstance(v, ComplexTensor) for v in (a, b)):
                    continue
                na_ = na if na is not None else a.numpy()
                nb_ = nb if nb is not None else b.numpy()
                out = getattr(ops, name)(a, b)
                want = f(na_, nb_)
                np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, err_msg=f"{name}({a!r}, {b!r})")
                assert out.dtype == "complex128"
    # the operators, both ways round, with real tensors, arrays and Python numbers
    z, zn = pairs[0]
    x = K.tensor(R.normal(size=(3, 4)))
    for got_, want in [(z + x, zn + x.numpy()), (x - z, x.numpy() - zn), (x * z, x.numpy() * zn), (x / z, x.numpy() / zn),
                       (z * 1j, zn * 1j), (x * 1j, x.numpy() * 1j), (1j + x, 1j + x.numpy()), (-z, -zn), (abs(z), abs(zn)),
                       (np.ones(4) + z, 1 + zn), (x @ ops.transpose(z), x.numpy() @ zn.T),
                       (z @ ops.transpose(x), zn @ x.numpy().T)]:
        np.testing.assert_allclose(np.asarray(got_.numpy() if hasattr(got_, "numpy") else got_), want, rtol=1e-12)


def test_unary_reductions_and_shapes_match_numpy():
    zn = cx((2, 3, 4))
    z = ops.convert_to_tensor(zn)
    checks = [
        (ops.real(z), zn.real), (ops.imag(z), zn.imag), (ops.conj(z), zn.conj()), (ops.conjugate(z), zn.conj()),
        (ops.abs(z), np.abs(zn)), (ops.absolute(z), np.abs(zn)), (ops.angle(z), np.angle(zn)), (ops.exp(z), np.exp(zn)),
        (ops.square(z), zn**2), (ops.negative(z), -zn),
        (ops.sum(z), zn.sum()), (ops.sum(z, axis=(0, 2), keepdims=True), zn.sum((0, 2), keepdims=True)),
        (ops.mean(z, axis=-1), zn.mean(-1)), (ops.mean(ops.sum(z)), zn.sum()),
        (ops.reshape(z, (4, -1)), zn.reshape(4, -1)), (ops.transpose(z, (2, 0, 1)), zn.transpose(2, 0, 1)),
        (ops.transpose(z), zn.T), (ops.expand_dims(z, 1), zn[:, None]), (ops.squeeze(z[:1]), zn[0]),
        (ops.concatenate([z, zn], axis=1), np.concatenate([zn, zn], 1)), (ops.stack([z, z], axis=-1), np.stack([zn, zn], -1)),
        (ops.zeros_like(z), np.zeros_like(zn)), (ops.matmul(z, ops.transpose(z, (0, 2, 1))), zn @ zn.transpose(0, 2, 1)),
        (z[1, ::-2], zn[1, ::-2]), (z[..., 0], zn[..., 0]),
    ]
    for g, want in checks:
        np.testing.assert_allclose(np.asarray(g), want, rtol=1e-12, atol=1e-14)
    # real ops give real tensors; complex64 stays complex64
    assert ops.abs(z).dtype == "float64" and ops.real(z).dtype == "float64"
    z32 = ops.convert_to_tensor(zn.astype(np.complex64))
    assert z32.dtype == "complex64" and ops.abs(z32).dtype == "float32"
    assert ops.multiply(z32, K.tensor(np.ones(4, np.float32))).dtype == "complex64"
    assert ops.multiply(z32, K.tensor(np.ones(4))).dtype == "complex128"
    assert ops.add(z32, 1j).dtype == "complex64"
    # real inputs to real / imag / conj
    np.testing.assert_array_equal(ops.real(np.array([1.0, 2.0])).numpy(), [1, 2])
    np.testing.assert_array_equal(ops.imag(np.array([1.0, 2.0])).numpy(), [0, 0])


def test_conversions_and_dtypes():
    zn = cx((2, 2), np.complex64)
    z = ops.convert_to_tensor(zn)
    assert ops.is_tensor(z) and ops.shape(z) == (2, 2) and ops.dtype(z) == "complex64" and z.ndim == 2 and len(z) == 2
    np.testing.assert_array_equal(ops.convert_to_numpy(z), zn)
    np.testing.assert_array_equal(np.asarray(z), zn)
    assert ops.convert_to_tensor(zn, "complex128").dtype == "complex128"
    assert ops.cast(np.ones(2, np.int32), "complex64").dtype == "complex64"
    np.testing.assert_array_equal(ops.cast(z, "float32").numpy(), zn.real)
    assert ops.cast(K.tensor(np.ones(2)), np.complex128).dtype == "complex128"
    assert "complex64" in repr(z) and "j" in repr(z)
    assert K.backend.standardize_dtype("complex64") == "complex64"
    assert K.backend.standardize_dtype(np.complex128) == "complex128"
    assert K.backend.standardize_dtype(complex) == "complex64"
    with pytest.raises(TypeError, match="truth value"):
        bool(z)


@oracle
def test_result_type_matches_keras():
    """Keras's lattice puts every real dtype but float64 below complex64 and float64 below
    complex128. (Keras on JAX maps 64-bit results to 32 bits; kerasish keeps float64 and
    complex128, as the real dtypes' rule says.)"""
    k = real_keras()
    reals = ["bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
    for c in ["complex64", "complex128"]:
        for d in reals + ["complex64", "complex128", int, float, complex]:
            want = k.backend.result_type(c, d)
            wide = "complex128" in (c, d) or d == "float64"
            assert K.backend.result_type(c, d) == ("complex128" if wide else want), (c, d)
            assert want == "complex64"


def test_unsupported_ops_and_devices():
    z = ops.convert_to_tensor(cx((3,)))
    with pytest.raises(TypeError, match=r"sin: complex tensors are not supported by this op.*multiply"):
        ops.sin(z)
    with pytest.raises(TypeError, match="floor_divide"):
        K.tensor(np.ones(3)) // z
    if "gpu" in DEVICES:
        zg = ops.view_as_complex(t(np.ones((2, 2), np.float32), "gpu"))
        assert (zg * zg).device == "gpu" and ops.abs(zg).device == "gpu"
        with pytest.raises(TypeError, match="GPU"):
            z.to("gpu")  # complex128 holds float64 parts, which the GPU lacks


def test_symbolic_calls_build_models():
    x = K.Input((4, 4))
    w, v = ops.eig(x)
    assert w.dtype == "complex64" and w.shape == (None, 4) and v.shape == (None, 4, 4)
    y = ops.view_as_real(ops.multiply(w, ops.conj(w)))
    m = K.Model(x, ops.abs(v))
    a = R.normal(size=(2, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(m.predict(a, verbose=0), np.abs(ops.eig(a)[1].numpy()), rtol=1e-6)
    assert y.shape == (None, 4, 2) and y.dtype == "float32"
    zin = K.Input((3,), dtype="complex64")
    assert ops.real(zin).dtype == "float32" and ops.polar(K.Input((3,)), K.Input((3,))).dtype == "complex64"
