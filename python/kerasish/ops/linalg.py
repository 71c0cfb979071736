"""Linear algebra ops, as keras.ops.linalg.

The factorisations (LU, Cholesky, QR, SVD, the symmetric and general eigendecompositions) and the solves
are engine primitives (rust/engine/src/ops/decomp.rs) computed on the host with the faer crate,
batched over leading axes, each with its gradient; det, slogdet, inv and pinv are engine ops
too. lstsq, matrix_rank, matrix_power, norm and cholesky_inverse are composed here from them,
as Keras's JAX backend composes them. Results follow JAX's: integers and bool compute in
float32, a singular matrix gives inf / NaN rather than an error.

``eig`` returns complex tensors (kerasish/_complex.py); ``jvp`` lives in ops/core.py's autograd terms.
"""

from __future__ import annotations

import builtins
import math
import numbers

from kerasish import _core, config
from kerasish._complex import ComplexTensor
from kerasish.ops.core import cast, convert_to_tensor
from kerasish.ops.numpy import (
    abs,
    any,
    expand_dims,
    eye,
    greater,
    greater_equal,
    isnan,
    logical_and,
    matmul,
    max,
    min,
    moveaxis,
    multiply,
    not_equal,
    power,
    sqrt,
    sum,
    swapaxes,
    where,
    zeros,
)
from kerasish.ops.operation import KerasTensor, apply_op, symbolic

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "lstsq",
    "lu_factor",
    "matrix_power",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
    "jvp",
]

_EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "float64": 2.0**-52}


def _float_dtype(*dtypes):
    """The dtype the decompositions return: the operands' common dtype, float32 for integers
    and bool (as JAX's promote_dtypes_inexact does in its default 32-bit mode)."""
    dt = _core.promote_types(*dtypes) if len(dtypes) > 1 else dtypes[0]
    return dt if "float" in dt else "float32"


def _assert_2d(x):
    if x.ndim < 2:
        raise ValueError(f"Expected input to have rank >= 2. Received input with shape {tuple(x.shape)}.")


def cholesky(x, upper=False):
    """The Cholesky factor of (x + x^T) / 2 (the lower one, or the upper one when `upper`),
    batched over leading axes. A matrix that is not positive definite raises a ValueError, as
    keras.ops.cholesky does eagerly (inside a traced step its factor is NaN instead)."""
    if isinstance(x, KerasTensor):
        # the shape is inferred on zeros, which are not positive definite: no check
        return apply_op("Cholesky", lambda a: _core.cholesky(a, bool(upper)), x)
    out = _core.cholesky(x, bool(upper))
    if not _core.is_tracing() and bool(any(isnan(out))):
        raise ValueError(
            "Cholesky decomposition failed: the input might not be a valid positive definite matrix "
            f"(shape {tuple(out.shape)}; the factor has NaNs)"
        )
    return out


@symbolic
def cholesky_inverse(x, upper=False):
    """The inverse of the matrix whose Cholesky factor is `x` (lower, or upper when `upper`):
    (L L^T)^-1 from triangular solves, as Keras's JAX backend computes it (batched here too)."""
    x = convert_to_tensor(x)
    _assert_2d(x)
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"Expected a square matrix. Received non-square input with shape {tuple(x.shape)}")
    dt = _float_dtype(x.dtype)
    identity = _core.broadcast_to(eye(x.shape[-1], dtype=dt).to(x.device), tuple(x.shape))
    inv_chol = solve_triangular(x, identity, lower=not upper)
    if upper:
        return matmul(inv_chol, swapaxes(inv_chol, -1, -2))
    return matmul(swapaxes(inv_chol, -1, -2), inv_chol)


@symbolic
def det(x):
    """The determinant of each (..., M, M) matrix."""
    return _core.det(x)


@symbolic
def eig(x):
    """Eigenvalues (..., M) and right eigenvectors (..., M, M), as columns, of each general real
    matrix: complex tensors (complex64, or complex128 for float64), as numpy.linalg.eig. Each
    eigenvector has unit 2-norm and its largest-magnitude component real and positive (LAPACK
    leaves the phase free; this one repeats). Differentiable where the eigenvalues are distinct."""
    w, v = _core.eig(x)
    return ComplexTensor(w), ComplexTensor(v)


@symbolic
def eigh(x):
    """Eigenvalues (ascending) and eigenvectors (as columns) of (x + x^T) / 2."""
    return _core.eigh(x)


@symbolic
def inv(x):
    """The inverse of each (..., M, M) matrix (inf / NaN for a singular one)."""
    return _core.inv(x)


@symbolic
def lu_factor(x):
    """(lu, pivots): L and U packed into one (..., M, N) tensor as LAPACK's getrf (and
    scipy.linalg.lu_factor) leave them, and the int32 row swaps (..., min(M, N))."""
    return _core.lu_factor(x)


def _axes(axis, ndim):
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"norm: axis {a} is out of bounds for a tensor of rank {ndim}")
        out.append(a % ndim)
    return tuple(out)


@symbolic
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002
    """Vector norms (one axis) or matrix norms (two axes), as jax.numpy.linalg.norm: for
    matrices None / "fro", "nuc", inf, -inf, 1, -1, 2, -2; for vectors any number (0 counts
    the non-zeros). Integers and bool give floatx."""
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise ValueError(f"Invalid `ord` argument. Expected one of {{'fro', 'nuc'}} when using string. Received: ord={ord}")
    x = convert_to_tensor(x)
    if "float" not in x.dtype:
        x = cast(x, config.floatx())
    keepdims = bool(keepdims)
    if axis is None:
        if ord is None:
            return sqrt(sum(multiply(x, x), keepdims=keepdims))
        axis = tuple(range(x.ndim))
    axis = _axes(axis, x.ndim)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(
        f"Improper number of axes for norm: axis={axis}. Pass one axis to compute a vector-norm, "
        "or two axes to compute a matrix-norm."
    )


def _vector_norm(x, ord, axis, keepdims):  # noqa: A002
    if isinstance(ord, str):
        raise ValueError(f"Invalid `ord` argument for vector norm. Received: ord={ord}")
    if ord is None or ord == 2:
        return sqrt(sum(multiply(x, x), axis=axis, keepdims=keepdims))
    if ord == math.inf:
        return max(abs(x), axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return min(abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return cast(sum(not_equal(x, 0), axis=axis, keepdims=keepdims), x.dtype)
    if ord == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    if not isinstance(ord, numbers.Real):
        raise ValueError(f"Invalid `ord` argument for vector norm. Received: ord={ord}")
    return power(sum(power(abs(x), float(ord)), axis=axis, keepdims=keepdims), 1.0 / float(ord))


def _matrix_norm(x, ord, axis, keepdims):  # noqa: A002
    row, col = axis
    if row == col:
        raise ValueError(f"norm: the two axes must differ, got axis={axis}")
    if ord is None or ord == "fro":
        return sqrt(sum(multiply(x, x), axis=axis, keepdims=keepdims))
    if ord in (1, -1):
        if not keepdims and col > row:
            col -= 1
        red = max if ord == 1 else min
        return red(sum(abs(x), axis=row, keepdims=keepdims), axis=col, keepdims=keepdims)
    if ord in (math.inf, -math.inf):
        if not keepdims and row > col:
            row -= 1
        red = max if ord == math.inf else min
        return red(sum(abs(x), axis=col, keepdims=keepdims), axis=row, keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        s = _core.svd(moveaxis(x, axis, (-2, -1)), False, False)[0]
        y = max(s, axis=-1) if ord == 2 else min(s, axis=-1) if ord == -2 else sum(s, axis=-1)
        if keepdims:
            for a in sorted(axis):
                y = expand_dims(y, a)
        return y
    raise ValueError(f"Invalid `ord` argument for matrix norm. Received: ord={ord}")


@symbolic
def qr(x, mode="reduced"):
    """(q, r): reduced (q (..., M, K), r (..., K, N), K = min(M, N)) or complete (q (..., M, M),
    r (..., M, N)) Householder QR."""
    if mode not in {"reduced", "complete"}:
        raise ValueError(f"`mode` argument value not supported. Expected one of {{'reduced', 'complete'}}. Received: mode={mode}")
    return _core.qr(x, mode)


@symbolic
def solve(a, b):
    """x with a @ x = b: a (..., M, M), b (..., M) or (..., M, N) (a vector only when 1-D)."""
    return _core.solve(a, b)


@symbolic
def solve_triangular(a, b, lower=False):
    """x with a @ x = b for triangular a (only its upper, or lower when `lower`, triangle read)."""
    return _core.solve_triangular(a, b, bool(lower))


@symbolic
def svd(x, full_matrices=True, compute_uv=True):
    """(u, s, vh) with x = u[..., :K] * s @ vh[..., :K, :]; s alone when not `compute_uv`."""
    out = _core.svd(x, bool(full_matrices), bool(compute_uv))
    return tuple(out) if compute_uv else out[0]


@symbolic
def lstsq(a, b, rcond=None):
    """The least-squares (minimum-norm) solution of a @ x = b, a (M, N), b (M,) or (M, K), from
    the thin SVD as JAX computes it: singular values below rcond * the largest are dropped
    (rcond default eps * max(M, N))."""
    a, b = convert_to_tensor(a), convert_to_tensor(b)
    if a.ndim != 2:
        raise ValueError(f"Expected a to have rank 2. Received: a.shape={tuple(a.shape)}")
    if b.ndim not in (1, 2):
        raise ValueError(f"Expected b to have rank 1 or 2. Received: b.shape={tuple(b.shape)}")
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"Expected b.shape[0] to be equal to a.shape[0]. Received: a.shape={tuple(a.shape)}, b.shape={tuple(b.shape)}"
        )
    dt = _float_dtype(a.dtype, b.dtype)
    a, b = cast(a, dt), cast(b, dt)
    vector = b.ndim == 1
    if vector:
        b = expand_dims(b, -1)
    m, n = a.shape
    if m == 0 or n == 0:
        x = zeros((n, b.shape[1]), dtype=dt)
    else:
        eps = _EPS[dt]
        rcond = eps * builtins.max(m, n) if rcond is None else (eps if rcond < 0 else float(rcond))
        u, s, vt = _core.svd(a, False, True)
        mask = logical_and(greater(s, 0), greater_equal(s, multiply(s[0], rcond)))
        safe_s = where(mask, s, 1.0)
        s_inv = expand_dims(where(mask, 1.0 / safe_s, 0.0), -1)
        x = matmul(swapaxes(vt, 0, 1), multiply(s_inv, matmul(swapaxes(u, 0, 1), b)))
    return x[:, 0] if vector else x


@symbolic
def matrix_rank(x, tol=None):
    """The number of singular values above `tol` (absolute; default the largest singular value
    * max(M, N) * eps), int32, for each (..., M, N) matrix."""
    x = convert_to_tensor(x)
    _assert_2d(x)
    s = _core.svd(x, False, False)[0]
    if tol is None:
        dt = _float_dtype(x.dtype)
        tol = multiply(max(s, axis=-1), builtins.max(x.shape[-2:]) * _EPS[dt]) if s.shape[-1] else 0.0
    tol = expand_dims(convert_to_tensor(tol, dtype=s.dtype), -1)
    return cast(sum(greater(s, tol), axis=-1), "int32")


@symbolic
def matrix_power(x, n):
    """x raised to the integer power n by repeated squaring (n < 0: of the inverse; n = 0: the
    identity). Integer matrices stay integers for n >= 0."""
    if not isinstance(n, int):
        raise TypeError(f"n must be an integer. Received: n={n} of type {type(n)}")
    x = convert_to_tensor(x)
    _assert_2d(x)
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"Expected a square matrix. Received non-square input with shape {tuple(x.shape)}")
    if n == 0:
        return _core.broadcast_to(eye(x.shape[-1], dtype=x.dtype).to(x.device), tuple(x.shape))
    if n < 0:
        x, n = inv(x), -n
    if n == 1:
        return x
    if n == 2:
        return matmul(x, x)
    if n == 3:
        return matmul(matmul(x, x), x)
    z = result = None
    while n > 0:
        z = x if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


@symbolic
def pinv(x, rcond=None):
    """The Moore-Penrose pseudoinverse (..., N, M) of each (..., M, N) matrix, from its thin
    SVD: singular values at most rcond * the largest are dropped (rcond default
    10 * max(M, N) * eps)."""
    return _core.pinv(x, None if rcond is None else float(rcond))


def jvp(fun, primals, tangents, has_aux=False):
    """The Jacobian-vector product of `fun` at `primals` along `tangents`, as keras.ops.jvp:
    (fun(*primals), J @ tangents), or with has_aux=True (out, J @ tangents, aux) where fun returns
    (out, aux). primals and tangents are sequences of tensors (or nested lists / tuples / dicts of
    them) of the same structure and shapes; the tangents come back in the structure of fun's output.

    Computed exactly by two reverse passes in the engine (the second differentiates the first in
    its cotangent); a function through an op whose gradient rule is not differentiable yet (max
    pooling) raises a ValueError naming it."""
    from kerasish._tensor import enable_grad
    from kerasish.ops.core import _pack_as
    from kerasish.tree import flatten

    if not isinstance(primals, (list, tuple)) or not isinstance(tangents, (list, tuple)):
        raise TypeError(f"jvp: primals and tangents must be tuples or lists, got {type(primals).__name__} "
                        f"and {type(tangents).__name__}")
    flat_p, flat_t = flatten(list(primals)), flatten(list(tangents))
    if len(flat_p) != len(flat_t):
        raise ValueError(f"jvp: primals and tangents must have the same structure, got {len(flat_p)} and "
                         f"{len(flat_t)} leaves")
    leaves = []
    for p in flat_p:
        x = convert_to_tensor(p).detach()
        if x.dtype not in ("float16", "bfloat16", "float32", "float64"):
            x = cast(x, config.floatx())
        x.requires_grad = True
        leaves.append(x)
    with enable_grad():
        result = fun(*_pack_as(list(primals), leaves))
    aux = None
    if has_aux:
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise ValueError("jvp: with has_aux=True, fun must return (output, aux)")
        result, aux = result
    outs = [convert_to_tensor(o) for o in flatten(result)]
    tan = _core.jvp(outs, leaves, [convert_to_tensor(t) for t in flat_t])
    primals_out = _pack_as(result, [o.detach() for o in outs])
    tangents_out = _pack_as(result, tan)
    return (primals_out, tangents_out, aux) if has_aux else (primals_out, tangents_out)
