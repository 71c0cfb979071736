"""keras.ops.image against real Keras 3 on JAX (tests/oracle.py): every op on several shapes and
arguments, float32 and float64, batched and unbatched, channels_last and channels_first; the
gradients of the differentiable ones (float64, finite differences); the errors Keras raises; the
same ops on the GPU (float32) against the CPU.

Where Keras's JAX backend has an accident, kerasish follows Keras's documentation and the
tests compare with what the documentation means: gaussian_blur's data_format=None is the
configured format (the JAX backend reads it as channels_first); the c0, c1 of an affine
transform count as 0 (the JAX backend multiplies them by the channel index); one transform or one
set of points serves a whole batch (the JAX backend fails); rgb_to_grayscale and ssim of float64
images compute in float64 (Keras's result_type computes them in float32, so those comparisons
allow float32 rounding). Keras's JAX backend has no "area" resize; jax.image.resize's "area" is
the oracle there. reconstruct_patches is newer than the installed Keras; it is checked against
extract_patches and a NumPy reference.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest

import kerasish as K
from conftest import away_from, check_grad, to_np
from kerasish import _core, ops
from oracle import oracle, real_keras
from test_views_dtypes import DEVICES

I = ops.image  # noqa: E741

KERAS_NAMES = ["affine_transform", "crop_images", "elastic_transform", "extract_patches", "extract_patches_3d", "gaussian_blur",
               "hsv_to_rgb", "map_coordinates", "pad_images", "perspective_transform", "reconstruct_patches", "resize",
               "rgb_to_grayscale", "rgb_to_hsv", "scale_and_translate", "sobel_edges", "ssim"]
MODES = ["constant", "nearest", "wrap", "mirror", "reflect"]
TOL = {"float32": 2e-5, "float64": 1e-10}


def _rng(seed=0):
    return np.random.default_rng(seed)


def _img(shape, dtype="float32", seed=0):
    return _rng(seed).uniform(size=shape).astype(dtype)


def _kimage():
    return real_keras().ops.image


def _same(got, want, tol=None):
    """got (a kerasish tensor) has want's shape, dtype and values."""
    want = np.asarray(want)
    assert isinstance(got, K.Tensor)
    assert tuple(got.shape) == want.shape, f"shape {tuple(got.shape)} != {want.shape}"
    assert got.dtype == str(want.dtype), f"dtype {got.dtype} != {want.dtype}"
    g = to_np(got)
    if np.issubdtype(want.dtype, np.integer):
        np.testing.assert_array_equal(g, want)
    else:
        t = TOL.get(str(want.dtype), 2e-5) if tol is None else tol
        np.testing.assert_allclose(g, want, rtol=t, atol=t)


def _cf(x):
    """A channels-last (batch of) image(s) as channels-first."""
    return np.moveaxis(x, -1, -3)


def test_every_keras_name_is_exported():
    for name in KERAS_NAMES:
        assert callable(getattr(I, name)), name
    assert sorted(I.__all__) == sorted(KERAS_NAMES)
    import kerasish.ops.image as mod
    assert mod is I


@oracle
def test_the_names_match_the_installed_keras():
    public = {n for n in dir(_kimage()) if not n.startswith("_")}
    assert public - set(KERAS_NAMES) == set(), "names the installed Keras has and kerasish lacks"


class _Oracle:
    """Collects (kerasish result, Keras call) pairs; check() runs all the Keras calls of a test in
    one jax.jit (one XLA compilation instead of one per primitive: the oracle's cost) and compares."""

    def __init__(self):
        self.ki = _kimage()
        self.cases = []

    def add(self, label, got, fn, *args, tol=None):
        self.cases.append((label, got, fn, tuple(np.asarray(a) for a in args), tol))

    def check(self):
        import jax
        fns = [c[2] for c in self.cases]
        wants = jax.jit(lambda args: [f(*a) for f, a in zip(fns, args)])([c[3] for c in self.cases])
        for (label, got, _, _, tol), want in zip(self.cases, wants):
            try:
                _same(got, np.asarray(want), tol)
            except AssertionError as e:
                raise AssertionError(f"{label}: {e}") from None


@pytest.fixture
def kc():
    return _Oracle()


# ---------------------------------------------------------------- colour

@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_colour_conversions_match_keras(kc, dtype):
    KI = kc.ki
    for df in ("channels_last", "channels_first"):
        for shape in ((2, 5, 6, 3), (5, 6, 3)):
            x = _img(shape, dtype)
            x[..., 0, 0, :] = [0.2, 0.2, 0.2]  # a grey pixel: zero range
            x[..., 1, 1, :] = [0.9, 0.3, 0.9]  # ties of the maximum
            if df == "channels_first":
                x = _cf(x)
            t, what = K.tensor(x), f"{dtype} {df} {shape}"
            # Keras computes the grey of float64 images in float32 (its result_type); kerasish in float64
            kc.add(f"grey {what}", I.rgb_to_grayscale(t, df), lambda a, df=df: KI.rgb_to_grayscale(a, df), x,
                   tol=2e-5 if dtype == "float32" else 1e-7)
            kc.add(f"hsv {what}", I.rgb_to_hsv(t, df), lambda a, df=df: KI.rgb_to_hsv(a, df), x)
            kc.add(f"rgb {what}", I.hsv_to_rgb(t, df), lambda a, df=df: KI.hsv_to_rgb(a, df), x)
            _same(I.hsv_to_rgb(I.rgb_to_hsv(t, df), df), x, tol=1e-5 if dtype == "float32" else 1e-12)
    if dtype == "float32":
        u = (_img((2, 4, 5, 3)) * 255).astype(np.uint8)  # computed in float32, truncated back
        kc.add("grey uint8", I.rgb_to_grayscale(K.tensor(u)), KI.rgb_to_grayscale, u)
    kc.check()
    g = _img((4, 5, 1))
    _same(I.rgb_to_grayscale(K.tensor(g)), g)


# ---------------------------------------------------------------- resize and scale_and_translate

@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_resize_matches_keras(kc, dtype):
    KI = kc.ki
    cases = [((2, 9, 11, 3), (4, 5), False, "channels_last"),   # down
             ((2, 9, 11, 3), (4, 5), True, "channels_last"),    # down, antialiased
             ((7, 6, 2), (13, 9), False, "channels_last"),      # up, unbatched
             ((2, 3, 7, 6), (5, 12), True, "channels_first"),   # mixed, channels first
             ((3, 8, 8), (3, 8), False, "channels_first")]      # one axis only
    for interp in ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"):
        for shape, size, aa, df in cases:
            x = _img(shape, dtype, seed=len(shape))
            kc.add(f"{interp} {shape} -> {size} antialias={aa} {df} {dtype}",
                   I.resize(K.tensor(x), size, interp, antialias=aa, data_format=df),
                   lambda a, size=size, interp=interp, aa=aa, df=df: KI.resize(a, size, interp, antialias=aa, data_format=df), x)
    kc.check()


@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_resize_area_matches_jax_image(kc, dtype):
    import jax
    for shape, size in (((2, 9, 12, 3), (4, 5)), ((2, 4, 5, 1), (9, 11)), ((2, 6, 6, 2), (3, 6))):
        x = _img(shape, dtype)
        out = (shape[0],) + size + (shape[3],)
        kc.add(f"area {shape} -> {size} {dtype}", I.resize(K.tensor(x), size, "area"),
               lambda a, out=out: jax.image.resize(a, out, "area", antialias=False), x)
        kc.add(f"area antialias {shape} -> {size} {dtype}", I.resize(K.tensor(x), size, "area", antialias=True),
               lambda a, out=out: jax.image.resize(a, out, "area", antialias=True), x)
    kc.check()


@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_resize_crop_pad_and_integers_match_keras(kc, dtype):
    KI = kc.ki
    for df, shapes in (("channels_last", (((2, 7, 12, 3), (5, 5)), ((9, 4, 2), (4, 6)))),
                       ("channels_first", (((2, 7, 12, 3), (5, 5)), ((2, 8, 6, 1), (3, 7))))):
        for shape, size in shapes:
            x = _img(shape, dtype)
            if df == "channels_first":
                x = _cf(x)
            for kw in ({"crop_to_aspect_ratio": True}, {"pad_to_aspect_ratio": True, "fill_value": 0.25}):
                for interp in ("bilinear", "nearest"):
                    kc.add(f"{interp} {kw} {shape} -> {size} {df}", I.resize(K.tensor(x), size, interp, data_format=df, **kw),
                           lambda a, size=size, interp=interp, df=df, kw=kw: KI.resize(a, size, interp, data_format=df, **kw), x)
    if dtype == "float32":
        u = (_img((2, 6, 7, 3)) * 255).astype(np.uint8)
        for interp in ("nearest", "bilinear", "bicubic", "lanczos3"):  # rounded back; bicubic overshoots: saturated
            kc.add(f"uint8 {interp}", I.resize(K.tensor(u), (9, 4), interp),
                   lambda a, interp=interp: KI.resize(a, (9, 4), interp), u)
        n = (_img((5, 5, 2)) * 1000 - 500).astype(np.int64)
        kc.add("int64 bicubic", I.resize(K.tensor(n), (3, 8), "bicubic"), lambda a: KI.resize(a, (3, 8), "bicubic"), n)
    kc.check()


@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scale_and_translate_matches_keras(kc, dtype):
    KI = kc.ki
    for method in ("linear", "bilinear", "cubic", "lanczos3", "lanczos5"):
        for antialias in (True, False):
            x = _img((2, 7, 9, 3), dtype)
            s, t = np.array([0.6, 1.4], dtype), np.array([0.5, -1.25], dtype)
            kc.add(f"{method} {dtype} antialias={antialias}",
                   I.scale_and_translate(K.tensor(x), (2, 5, 12, 3), K.tensor(s), K.tensor(t), (1, 2), method, antialias),
                   lambda a, b, c, m=method, aa=antialias: KI.scale_and_translate(a, (2, 5, 12, 3), b, c, (1, 2), m, aa), x, s, t)
        x = _img((6, 8), dtype)
        kc.add(f"{method} one axis", I.scale_and_translate(K.tensor(x), (6, 5), [1.0], [0.3], (-1,), method),
               lambda a, m=method: KI.scale_and_translate(a, (6, 5), np.array([1.0], a.dtype), np.array([0.3], a.dtype),
                                                          (-1,), m), x)
    kc.check()


# ---------------------------------------------------------------- map_coordinates, affine, perspective

@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_map_coordinates_matches_keras(kc, dtype):
    KI = kc.ki
    v = _img((3, 4, 5), dtype)
    n = (v * 100).astype(np.int64)  # integers: rounded half away from zero
    one = _img((1, 6), dtype)  # a length-1 axis
    c3 = _rng(2).uniform(-2, 6, size=(3, 10)).astype(dtype)
    for order in (0, 1):
        for mode in MODES:
            def mc(a, b, order=order, mode=mode, cval=0.0):
                return KI.map_coordinates(a, b, order, mode, cval)
            x = _img((5, 7), dtype)
            c = _rng(1).uniform(-4, 11, size=(2, 3, 8)).astype(dtype)
            c[:, 0, :4] = [[-1.5, 0.5, 2.5, 4.5], [-0.5, 1.5, 6.5, 7.0]]  # halves: rounded away from zero
            kc.add(f"order {order} {mode} {dtype}", I.map_coordinates(K.tensor(x), K.tensor(c), order, mode, 0.75),
                   functools.partial(mc, cval=0.75), x, c)
            if order == 1:
                kc.add(f"order {order} {mode} 3-D", I.map_coordinates(K.tensor(v), K.tensor(c3), order, mode), mc, v, c3)
                kc.add(f"order {order} {mode} int64", I.map_coordinates(K.tensor(n), K.tensor(c3), order, mode), mc, n, c3)
                kc.add(f"order {order} {mode} length 1", I.map_coordinates(K.tensor(one), K.tensor(c3[:2]), order, mode),
                       mc, one, c3[:2])
    kc.check()


_TRANSFORMS = np.array([[1.1, 0.2, -1.5, 0.1, 0.9, 0.7, 0, 0],
                        [0.8, -0.3, 2.0, 0.25, 1.2, -1.0, 0, 0]])


@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_affine_transform_matches_keras(kc, dtype):
    KI = kc.ki
    for interp in ("nearest", "bilinear"):
        for mode in MODES:
            def at(a, b, interp=interp, mode=mode, cval=0.0, df="channels_last"):
                return KI.affine_transform(a, b, interp, mode, cval, df)
            x, t = _img((2, 7, 9, 3), dtype), _TRANSFORMS.astype(dtype)
            kc.add(f"{interp} {mode} {dtype}", I.affine_transform(K.tensor(x), K.tensor(t), interp, mode, 0.5),
                   functools.partial(at, cval=0.5), x, t)
            if (interp, mode) in (("bilinear", "reflect"), ("nearest", "constant")):
                kc.add(f"{interp} {mode} {dtype} channels_first", I.affine_transform(K.tensor(_cf(x)), K.tensor(t), interp, mode,
                                                                                     0.5, "channels_first"),
                       functools.partial(at, cval=0.5, df="channels_first"), _cf(x), t)
            if (interp, mode) in (("bilinear", "wrap"), ("nearest", "mirror")):
                x, t = _img((6, 5, 2), dtype), _TRANSFORMS[1].astype(dtype)  # unbatched
                kc.add(f"{interp} {mode} unbatched", I.affine_transform(K.tensor(x), t, interp, mode), at, x, t)
    # one transform for the batch; c0 and c1 count as 0
    x = _img((3, 6, 7, 2), dtype)
    t = _TRANSFORMS[0].astype(dtype)
    projective = t.copy()
    projective[6:] = [0.01, -0.02]
    for label, tt in (("one transform", t), ("one transform, batched", t[None]), ("c0, c1 ignored", projective)):
        kc.add(label, I.affine_transform(K.tensor(x), tt), lambda a, b: KI.affine_transform(a, b), x, np.tile(t, (3, 1)))
    if dtype == "float32":
        u = (x * 255).astype(np.uint8)  # integer images: rounded half away from zero
        kc.add("uint8", I.affine_transform(K.tensor(u[:1]), t), lambda a, b: KI.affine_transform(a, b), u[:1], t[None])
    kc.check()


_START = np.array([[[0, 0], [0, 7], [9, 0], [9, 7]], [[0, 0], [0, 7], [9, 0], [9, 7]]], "float32")
_END = np.array([[[0.5, 0.3], [0.2, 7.5], [8.6, -0.4], [9.3, 7.1]], [[1, 1], [0.5, 6.5], [8, 0.5], [10, 6]]], "float32")


@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_perspective_transform_matches_keras(kc, dtype):
    KI = kc.ki
    tol = 1e-4  # the homography is solved in float32, as Keras does; its rounding differs from LAPACK's
    for interp in ("nearest", "bilinear"):
        def pt(a, s, e, interp=interp, cval=0.0, df="channels_last"):
            return KI.perspective_transform(a, s, e, interp, cval, df)
        for df in ("channels_last", "channels_first"):
            x = _img((2, 8, 10, 3), dtype)
            if df == "channels_first":
                x = _cf(x)
            kc.add(f"{interp} {dtype} {df}",
                   I.perspective_transform(K.tensor(x), K.tensor(_START), K.tensor(_END), interp, 0.25, df),
                   functools.partial(pt, cval=0.25, df=df), x, _START, _END, tol=tol)
        x = _img((8, 10, 2), dtype)
        kc.add(f"{interp} unbatched", I.perspective_transform(K.tensor(x), _START[0], _END[1], interp),
               pt, x, _START[0], _END[1], tol=tol)
        x = _img((2, 8, 10, 1), dtype)  # one set of points for the batch
        kc.add(f"{interp} one set of points", I.perspective_transform(K.tensor(x), _START[0], _END[0], interp),
               pt, x, _START, np.stack([_END[0], _END[0]]), tol=tol)
    kc.check()


# ---------------------------------------------------------------- filters

@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gaussian_blur_and_sobel_edges_match_keras(kc, dtype):
    KI = kc.ki
    for shape, ks, sigma, df in (((2, 7, 9, 3), (3, 3), (1.0, 1.0), "channels_last"),
                                 ((2, 7, 9, 3), (5, 3), (1.5, 0.7), "channels_last"),
                                 ((3, 8, 6), (4, 7), (2.0, 1.2), "channels_first"),
                                 ((8, 6, 2), (1, 5), (0.5, 3.0), "channels_last")):
        x = _img(shape, dtype)
        kc.add(f"blur {shape} {ks} {sigma} {df} {dtype}", I.gaussian_blur(K.tensor(x), ks, sigma, df),
               lambda a, ks=ks, sigma=sigma, df=df: KI.gaussian_blur(a, ks, sigma, df), x)
    x = _img((2, 7, 9, 3), dtype)  # data_format=None: the configured channels_last
    kc.add(f"blur default {dtype}", I.gaussian_blur(K.tensor(x)), lambda a: KI.gaussian_blur(a, data_format="channels_last"), x)
    kc.add(f"sobel {dtype}", I.sobel_edges(K.tensor(x)), KI.sobel_edges, x)
    kc.add(f"sobel channels_first {dtype}", I.sobel_edges(K.tensor(_cf(x)), "channels_first"),
           lambda a: KI.sobel_edges(a, "channels_first"), _cf(x))
    if dtype == "float32":
        n = (_img((2, 6, 7, 3)) * 100).astype(np.int64)
        kc.add("sobel int64", I.sobel_edges(K.tensor(n)), KI.sobel_edges, n)
    kc.check()


@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ssim_matches_keras(kc, dtype):
    KI = kc.ki
    tol = 2e-5 if dtype == "float32" else 1e-6  # Keras computes float64 images in float32
    a = _img((2, 13, 15, 3), dtype)
    b = np.clip(a + 0.15 * _rng(1).normal(size=a.shape), 0, 1).astype(dtype)
    kc.add(f"ssim {dtype}", I.ssim(K.tensor(a), K.tensor(b)), KI.ssim, a, b, tol=tol)
    kc.add(f"ssim channels_first {dtype}", I.ssim(K.tensor(_cf(a)), K.tensor(_cf(b)), data_format="channels_first"),
           lambda p, q: KI.ssim(p, q, data_format="channels_first"), _cf(a), _cf(b), tol=tol)
    kw = {"max_val": 2.0, "filter_size": 7, "filter_sigma": 1.0, "k1": 0.02, "k2": 0.05}
    kc.add(f"ssim unbatched {dtype}", I.ssim(K.tensor(a[0]), K.tensor(b[0]), **kw),
           lambda p, q: KI.ssim(p, q, **kw), a[0], b[0], tol=tol)
    np.testing.assert_allclose(to_np(I.ssim(K.tensor(a), K.tensor(a))), [1.0, 1.0], rtol=1e-6)
    kc.check()


# ---------------------------------------------------------------- elastic_transform

@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_elastic_transform_from_given_noise_matches_keras_pieces(kc, dtype):
    """kerasish's elastic deformation of given noise equals Keras's recipe (its gaussian_blur and
    map_coordinates) applied to the same noise (the noise itself is each library's own)."""
    from kerasish.ops.image import _elastic
    KI = kc.ki
    alpha, sigma, k = 3.0, 1.2, int(6 * 1.2) | 1
    ys, xs = np.meshgrid(np.arange(9), np.arange(8), indexing="ij")

    def recipe(x, dx, dy, order, mode):
        blur = [KI.gaussian_blur((d * sigma)[..., None], (k, k), (sigma, sigma), "channels_last")[..., 0] for d in (dx, dy)]
        return real_keras().ops.stack([
            real_keras().ops.stack([KI.map_coordinates(x[b, ..., c], [ys + alpha * blur[1][b], xs + alpha * blur[0][b]],
                                                       order, mode, 0.5)
                                    for c in range(x.shape[-1])], -1) for b in range(x.shape[0])])

    for mode, order in zip(MODES, (1, 0, 1, 0, 1)):
        x = _img((2, 9, 8, 2), dtype)
        dx, dy = _rng(1).normal(size=(2, 2, 9, 8)).astype(dtype)
        got = _elastic(K.tensor(x), K.tensor(dx), K.tensor(dy), alpha, sigma, order, mode, 0.5)
        kc.add(f"{mode} order {order} {dtype}", got, lambda a, b, c, o=order, m=mode: recipe(a, b, c, o, m), x, dx, dy)
    kc.check()


def test_elastic_transform_shapes_seeds_and_identity():
    x = _img((2, 10, 12, 3))
    a = I.elastic_transform(K.tensor(x), seed=7)
    assert a.shape == (2, 10, 12, 3) and a.dtype == "float32"
    np.testing.assert_array_equal(to_np(a), to_np(I.elastic_transform(K.tensor(x), seed=7)))
    assert not np.allclose(to_np(a), to_np(I.elastic_transform(K.tensor(x), seed=8)))
    assert not np.allclose(to_np(a), x)
    # alpha = 0: every pixel samples itself
    np.testing.assert_allclose(to_np(I.elastic_transform(K.tensor(x), alpha=0.0, seed=1)), x, rtol=1e-6, atol=1e-7)
    cf = I.elastic_transform(K.tensor(_cf(x[0])), 5.0, 2.0, "nearest", "constant", seed=K.random.SeedGenerator(3),
                             data_format="channels_first")
    assert cf.shape == (3, 10, 12)
    y = (x * 255).astype(np.uint8)
    assert I.elastic_transform(K.tensor(y), seed=2).dtype == "uint8"
    x64 = I.elastic_transform(K.tensor(x.astype("float64")), alpha=0.0, seed=1)
    assert x64.dtype == "float64"
    np.testing.assert_allclose(to_np(x64), x, rtol=1e-12)


# ---------------------------------------------------------------- patches, padding, cropping

@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extract_patches_match_keras(kc, dtype):
    KI = kc.ki
    x = _img((2, 9, 11, 3), dtype)
    for size, strides, dilation, padding in ((3, None, 1, "valid"), ((3, 2), (2, 1), 1, "same"), ((2, 2), 1, 2, "valid"),
                                             ((4, 3), (3, 3), 1, "same"), ((2, 3), 2, (1, 2), "same")):
        kc.add(f"{size} {strides} {dilation} {padding} {dtype}", I.extract_patches(K.tensor(x), size, strides, dilation, padding),
               lambda a, args=(size, strides, dilation, padding): KI.extract_patches(a, *args), x)
    kc.add(f"unbatched {dtype}", I.extract_patches(K.tensor(x[0]), (2, 4)), lambda a: KI.extract_patches(a, (2, 4)), x[0])
    kc.add(f"channels_first {dtype}",
           I.extract_patches(K.tensor(_cf(x)), (3, 2), (1, 2), padding="same", data_format="channels_first"),
           lambda a: KI.extract_patches(a, (3, 2), (1, 2), padding="same", data_format="channels_first"), _cf(x))
    v = _img((2, 5, 6, 7, 2), dtype)
    for size, strides, padding in (((2, 3, 2), (1, 2, 2), "same"), (2, None, "valid"), ((3, 2, 4), 2, "valid")):
        kc.add(f"3-D {size} {strides} {padding} {dtype}", I.extract_patches_3d(K.tensor(v), size, strides, padding=padding),
               lambda a, args=(size, strides, 1, padding): KI.extract_patches_3d(a, *args), v)
    kc.add(f"3-D through extract_patches, unbatched {dtype}", I.extract_patches(K.tensor(v[0]), (2, 2, 3)),
           lambda a: KI.extract_patches(a, (2, 2, 3)), v[0])
    vcf = np.moveaxis(v, -1, 1)
    kc.add(f"3-D channels_first {dtype}", I.extract_patches_3d(K.tensor(vcf), 2, data_format="channels_first"),
           lambda a: KI.extract_patches_3d(a, 2, data_format="channels_first"), vcf)
    if dtype == "float32":
        n = (_img((2, 9, 11, 3)) * 100).astype(np.uint8)
        kc.add("uint8", I.extract_patches(K.tensor(n), 2), lambda a: KI.extract_patches(a, 2), n)
    kc.check()


def _np_reconstruct(patches, size, output_size, padding):
    """NumPy reference: each patch written back into its block, then the 'same' padding cropped."""
    b, grid, flat = patches.shape[0], patches.shape[1:-1], patches.shape[-1]
    c = flat // int(np.prod(size))
    full = np.zeros((b,) + tuple(g * p for g, p in zip(grid, size)) + (c,), patches.dtype)
    for idx in np.ndindex(*grid):
        block = tuple(slice(i * p, (i + 1) * p) for i, p in zip(idx, size))
        full[(slice(None),) + block] = patches[(slice(None),) + idx].reshape((b,) + tuple(size) + (c,))
    if padding == "same":
        start = [(g * p - o) // 2 for g, p, o in zip(grid, size, output_size)]
        full = full[(slice(None),) + tuple(slice(s, s + o) for s, o in zip(start, output_size))]
    return full


def test_reconstruct_patches_inverts_extract_patches():
    x = _img((2, 12, 10, 3))
    for size, padding, out in (((3, 5), "valid", (12, 10)), ((5, 4), "same", (12, 10)), (4, "valid", (12, 8))):
        p = I.extract_patches(K.tensor(x), size, padding=padding)
        r = I.reconstruct_patches(p, size, out, padding=padding)
        sz = (size, size) if isinstance(size, int) else size
        _same(r, _np_reconstruct(to_np(p), sz, out, padding))
        if padding == "same" or out == (12, 10):
            _same(r, x)
    cf = I.extract_patches(K.tensor(_cf(x)), (3, 2), data_format="channels_first")
    _same(I.reconstruct_patches(cf, (3, 2), (12, 10), data_format="channels_first"), _cf(x))
    u = I.extract_patches(K.tensor(x[0]), (4, 5))
    _same(I.reconstruct_patches(u, (4, 5), (12, 10), strides=(4, 5)), x[0])
    v = _img((2, 6, 7, 8, 2), "float64")
    p3 = I.extract_patches(K.tensor(v), (3, 4, 3), padding="same")
    _same(I.reconstruct_patches(p3, (3, 4, 3), (6, 7, 8), padding="same"), v)
    vcf = np.moveaxis(v[0], -1, 0)  # (C, D, H, W)
    p3 = I.extract_patches_3d(K.tensor(vcf), (2, 7, 4), data_format="channels_first")
    _same(I.reconstruct_patches(p3, (2, 7, 4), (6, 7, 8), data_format="channels_first"), vcf)


@oracle
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pad_and_crop_images_match_keras(kc, dtype):
    KI = kc.ki
    for df in ("channels_last", "channels_first"):
        for shape in ((2, 5, 6, 3), (5, 6, 3)):
            x = _img(shape, dtype)
            if df == "channels_first":
                x = _cf(x)
            for kw in ({"top_padding": 1, "left_padding": 2, "target_height": 9, "target_width": 10},
                       {"bottom_padding": 3, "right_padding": 0, "top_padding": 2, "left_padding": 1},
                       {"target_height": 5, "bottom_padding": 0, "target_width": 8, "right_padding": 2}):
                kc.add(f"pad {kw} {shape} {df}", I.pad_images(K.tensor(x), data_format=df, **kw),
                       lambda a, df=df, kw=kw: KI.pad_images(a, data_format=df, **kw), x)
            for kw in ({"top_cropping": 1, "left_cropping": 2, "target_height": 3, "target_width": 2},
                       {"bottom_cropping": 1, "right_cropping": 2, "top_cropping": 2, "left_cropping": 1},
                       {"target_height": 5, "bottom_cropping": 0, "target_width": 4, "right_cropping": 1}):
                kc.add(f"crop {kw} {shape} {df}", I.crop_images(K.tensor(x), data_format=df, **kw),
                       lambda a, df=df, kw=kw: KI.crop_images(a, data_format=df, **kw), x)
    kc.check()


# ---------------------------------------------------------------- gradients (float64)

def _g(shape, seed=0):
    return _rng(seed).uniform(0.05, 0.95, size=shape)


GRADS = {
    "resize_bilinear": (lambda x: I.resize(x, (5, 3)), [(1, 4, 5, 2)]),
    "resize_bicubic_up_cf": (lambda x: I.resize(x, (6, 7), "bicubic", data_format="channels_first"), [(2, 3, 4)]),
    "resize_lanczos3_antialias": (lambda x: I.resize(x, (2, 3), "lanczos3", antialias=True), [(5, 6, 1)]),
    "resize_area": (lambda x: I.resize(x, (3, 2), "area"), [(1, 5, 4, 1)]),
    "resize_pad_to_aspect_ratio": (lambda x: I.resize(x, (4, 4), pad_to_aspect_ratio=True, fill_value=0.3), [(3, 5, 1)]),
    "gaussian_blur": (lambda x: I.gaussian_blur(x, (3, 5), (0.8, 1.3)), [(1, 5, 6, 2)]),
    "sobel_edges": (lambda x: I.sobel_edges(x), [(1, 4, 5, 2)]),
    "rgb_to_grayscale": (lambda x: I.rgb_to_grayscale(x, "channels_first"), [(3, 3, 4)]),
    "rgb_to_hsv": (lambda x: I.rgb_to_hsv(x), [(3, 4, 3)]),
    "hsv_to_rgb": (lambda x: I.hsv_to_rgb(x), [(3, 4, 3)]),
    "extract_patches_overlapping_same": (lambda x: I.extract_patches(x, (3, 2), (2, 1), padding="same"), [(1, 5, 4, 2)]),
    "extract_patches_3d_dilated": (lambda x: I.extract_patches_3d(x, 2, 1, dilation_rate=(1, 2, 1)), [(3, 5, 3, 1)]),
    "reconstruct_patches": (lambda p: I.reconstruct_patches(p, (2, 3), (3, 5), padding="same"), [(1, 2, 2, 6)]),
    "pad_and_crop": (lambda x: I.crop_images(I.pad_images(x, 1, 2, 1, 0), 2, 1, 1, 1), [(4, 5, 2)]),
    "ssim": (lambda a, b: I.ssim(a, b, filter_size=3), [(1, 5, 4, 2), (1, 5, 4, 2)]),
}


@pytest.mark.parametrize("name", list(GRADS))
def test_gradients(name):
    fn, shapes = GRADS[name]
    check_grad(fn, [_g(s, seed=i) for i, s in enumerate(shapes)])


def test_gradients_of_the_resamplers():
    x = _g((2, 5, 6, 2))
    t = _TRANSFORMS
    for mode in MODES:
        check_grad(lambda im: I.affine_transform(im, t, "bilinear", mode, 0.3), [x])
    check_grad(lambda im: I.perspective_transform(im, _START, _END), [x[:, :, :, :1]])
    # map_coordinates: the input and the coordinates (kept away from the grid points, where the
    # interpolation has kinks)
    v = _g((4, 5))
    c = away_from(_rng(3).uniform(-1.5, 5.5, size=(2, 3, 4)), np.arange(-2, 7), margin=0.05)
    for mode in MODES:
        check_grad(lambda a, b: I.map_coordinates(a, b, 1, mode, 0.2), [v, c])
    # scale_and_translate: the images, the scale and the translation
    s, tr = np.array([0.8, 1.3]), np.array([0.4, -0.3])
    for method in ("linear", "cubic", "lanczos3"):
        check_grad(lambda im, a, b: I.scale_and_translate(im, (1, 4, 7, 1), a, b, (1, 2), method), [x[:1, :, :, :1], s, tr])
    # elastic_transform reaches the images
    check_grad(lambda im: I.elastic_transform(im, 2.0, 1.0, seed=4), [x[:1]])


# ---------------------------------------------------------------- symbolic tensors

def test_ops_record_on_symbolic_tensors():
    inp = K.Input((8, 10, 3))
    out = I.resize(inp, (4, 5))
    assert isinstance(out, K.KerasTensor) and out.shape == (None, 4, 5, 3)
    assert I.extract_patches(inp, 2).shape == (None, 4, 5, 12)
    assert I.rgb_to_grayscale(inp).shape == (None, 8, 10, 1)
    assert I.sobel_edges(inp).shape == (None, 8, 10, 3, 2)
    model = K.Model(inp, I.gaussian_blur(I.resize(inp, (4, 5), "bicubic")))
    x = _img((2, 8, 10, 3))
    np.testing.assert_allclose(to_np(model(K.tensor(x))), to_np(I.gaussian_blur(I.resize(K.tensor(x), (4, 5), "bicubic"))),
                               rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- errors

X3, X4 = np.zeros((4, 5, 3), "float32"), np.zeros((2, 4, 5, 3), "float32")
P = np.zeros((2, 2, 12), "float32")
ERRORS = [
    (lambda: I.resize(X4, (2, 2, 2)), ValueError, "Expected `size` to be a tuple of 2 integers"),
    (lambda: I.resize(X4, (0, 2)), ValueError, "`size` must have positive height and width"),
    (lambda: I.resize(X4[0, 0], (2, 2)), ValueError, "Invalid images rank: expected rank 3"),
    (lambda: I.resize(X4, (2, 2), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), ValueError, "Only one of"),
    (lambda: I.resize(X4, (2, 2), "cubic"), ValueError, "Invalid value for argument `interpolation`"),
    (lambda: I.resize(X4, (2, 2), fill_mode="reflect"), ValueError, "Only `'constant'` is supported"),
    (lambda: I.resize(X4, (2, 2), data_format="nhwc"), ValueError, "The `data_format` argument must be one of"),
    (lambda: I.rgb_to_grayscale(X4[..., :2]), ValueError, "Invalid channel size: expected 3 \\(RGB\\) or 1"),
    (lambda: I.rgb_to_grayscale(np.zeros((4, 5), "float32")), ValueError, "Invalid images rank"),
    (lambda: I.rgb_to_hsv(np.zeros((4, 5, 3), "int64")), ValueError, "Invalid images dtype: expected float dtype"),
    (lambda: I.hsv_to_rgb(np.zeros((4, 5, 4), "float32")), ValueError, "must have 3 channels"),
    (lambda: I.hsv_to_rgb(np.zeros((2, 2, 4, 5, 3), "float32")), ValueError, "Invalid images rank"),
    (lambda: I.scale_and_translate(X4, (2, 3, 3, 3), [1, 1], [0, 0], (1, 2), "nearest"), ValueError,
     "Invalid value for argument `method`"),
    (lambda: I.scale_and_translate(X4, (3, 3, 3), [1, 1], [0, 0], (1, 2), "linear"), ValueError, "shape must have length equal"),
    (lambda: I.affine_transform(X4, _TRANSFORMS, "bicubic"), ValueError, "Invalid value for argument `interpolation`"),
    (lambda: I.affine_transform(X4, _TRANSFORMS, fill_mode="edge"), ValueError, "Invalid value for argument `fill_mode`"),
    (lambda: I.affine_transform(X4[0, 0], _TRANSFORMS), ValueError, "Invalid images rank"),
    (lambda: I.affine_transform(X4, _TRANSFORMS[None]), ValueError, "Invalid transform rank"),
    (lambda: I.affine_transform(np.zeros((3, 4, 5, 1), "float32"), _TRANSFORMS), ValueError, "Got 2 transforms for a batch of 3"),
    (lambda: I.map_coordinates(X3, np.zeros((2, 4), "float32")), TypeError, "order"),
    (lambda: I.map_coordinates(X3, np.zeros((2, 4), "float32"), 1), ValueError, "First dim of `coordinates` must be the same"),
    (lambda: I.map_coordinates(X3[0, 0], np.zeros((1,), "float32"), 1), ValueError, "Invalid coordinates rank"),
    (lambda: I.map_coordinates(X3, np.zeros((3, 4), "float32"), 1, "edge"), ValueError, "Invalid value for argument `fill_mode`"),
    (lambda: I.map_coordinates(X3, np.zeros((3, 4), "float32"), 3), ValueError, "Invalid value for argument `order`"),
    (lambda: I.perspective_transform(X4, _START, _END, "area"), ValueError, "Invalid value for argument `interpolation`"),
    (lambda: I.perspective_transform(X4, _START[:, :3], _END), ValueError, "Invalid start_points shape"),
    (lambda: I.perspective_transform(X4, _START, _END[..., :1]), ValueError, "Invalid end_points shape"),
    (lambda: I.perspective_transform(X4, _START[0], _END), ValueError, "must have the same shape"),
    (lambda: I.perspective_transform(X4[0, 0], _START, _END), ValueError, "Invalid images rank"),
    (lambda: I.gaussian_blur(X4[0, 0]), ValueError, "Invalid images rank"),
    (lambda: I.sobel_edges(X3), ValueError, "expected rank 4"),
    (lambda: I.ssim(X4, X4[0, 0]), ValueError, "Invalid image2 rank"),
    (lambda: I.ssim(X3, X3), ValueError, "smaller than filter_size"),
    (lambda: I.elastic_transform(X4, interpolation="bicubic"), ValueError, "Invalid value for argument `interpolation`"),
    (lambda: I.elastic_transform(X4, fill_mode="edge"), ValueError, "Invalid value for argument `fill_mode`"),
    (lambda: I.extract_patches(X4, "2"), TypeError, "Invalid `size` argument. Expected an int or a tuple"),
    (lambda: I.extract_patches(X4, (1, 2, 3, 4)), ValueError, "Expected a tuple of length 2 or 3"),
    (lambda: I.extract_patches(X4, 2, padding="full"), ValueError, "Invalid `padding`"),
    (lambda: I.extract_patches(X4, 5), ValueError, "resulted in an empty output"),
    (lambda: I.extract_patches_3d(np.zeros((2, 4, 4, 4, 1), "float32"), 2, (1, 2)), ValueError, "Invalid `strides` argument"),
    (lambda: I.reconstruct_patches(P, (2, 2), (4, 4), strides=1), NotImplementedError, "non-overlapping"),
    (lambda: I.reconstruct_patches(P, (2, 2), (4, 5)), ValueError, "requires output_size to equal"),
    (lambda: I.reconstruct_patches(P, (2, 2), (4, 2), padding="same"), ValueError, "must be in the range"),
    (lambda: I.reconstruct_patches(np.zeros((2, 2, 10), "float32"), (2, 2), (4, 4)), ValueError, "is not divisible by prod"),
    (lambda: I.reconstruct_patches(P, (2, 2), 4), TypeError, "Invalid `output_size` argument"),
    (lambda: I.reconstruct_patches(np.zeros((2, 12), "float32"), (2, 2), (4, 4)), ValueError, "unexpected rank"),
    (lambda: I.pad_images(X4, 1, 1), ValueError, "Must specify exactly two of top_padding, bottom_padding, target_height"),
    (lambda: I.pad_images(X4, 1, 1, 1, 1, target_width=3), ValueError, "Must specify exactly two of left_padding"),
    (lambda: I.pad_images(X4, -1, 1, 1, 1), ValueError, "top_padding must be >= 0"),
    (lambda: I.pad_images(X4, 1, 1, target_height=2, target_width=9), ValueError, "bottom_padding must be >= 0"),
    (lambda: I.crop_images(X4, 1, 1, target_height=4, target_width=2), ValueError, "bottom_cropping must be >= 0"),
    (lambda: I.crop_images(X4, 1, 1, target_height=-1, target_width=2), ValueError, "target_height must be >= 0"),
    (lambda: I.crop_images(X4, 1, 1, 1), ValueError, "Must specify exactly two of left_cropping"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    fn, exc, match = ERRORS[i]
    with pytest.raises(exc, match=match):
        fn()


# ---------------------------------------------------------------- the GPU (float32) against the CPU

GPUS = [d for d in DEVICES if d != "cpu"]
_X = _img((2, 9, 10, 3))
_Y = np.clip(_X + 0.1 * _rng(5).normal(size=_X.shape), 0, 1).astype("float32")
_COORDS = _rng(1).uniform(-2, 10, (2, 4, 5)).astype("float32")
ON_DEVICE = {
    "rgb_to_grayscale": lambda x, y: I.rgb_to_grayscale(x),
    "rgb_to_hsv": lambda x, y: I.rgb_to_hsv(x),
    "hsv_to_rgb": lambda x, y: I.hsv_to_rgb(x),
    "resize_nearest": lambda x, y: I.resize(x, (5, 13), "nearest"),
    "resize_bicubic_antialias": lambda x, y: I.resize(x, (4, 14), "bicubic", antialias=True),
    "resize_area_pad": lambda x, y: I.resize(x, (6, 4), "area", pad_to_aspect_ratio=True),
    "scale_and_translate": lambda x, y: I.scale_and_translate(x, (2, 7, 6, 3), np.array([0.7, 0.6], "float32"),
                                                              np.array([0.5, 0.2], "float32"), (1, 2), "lanczos3"),
    "map_coordinates": lambda x, y: I.map_coordinates(x[0, :, :, 0], _COORDS, 1, "mirror"),
    "affine_reflect": lambda x, y: I.affine_transform(x, _TRANSFORMS.astype("float32"), "bilinear", "reflect"),
    "affine_nearest_wrap": lambda x, y: I.affine_transform(x, _TRANSFORMS.astype("float32"), "nearest", "wrap"),
    "perspective": lambda x, y: I.perspective_transform(x, _START, _END),
    "gaussian_blur": lambda x, y: I.gaussian_blur(x, (5, 3), (1.5, 0.8)),
    "sobel_edges": lambda x, y: I.sobel_edges(x),
    "ssim": lambda x, y: I.ssim(x, y, filter_size=7),
    "extract_patches": lambda x, y: I.extract_patches(x, (3, 2), (2, 1), padding="same"),
    "reconstruct_patches": lambda x, y: I.reconstruct_patches(I.extract_patches(x, 3), 3, (9, 9)),
    "pad_crop": lambda x, y: I.crop_images(I.pad_images(x, 1, 2, 3, 4), 2, 1, 0, 3),
    "elastic_transform": lambda x, y: I.elastic_transform(x, 4.0, 1.5, seed=11),
}


@pytest.mark.parametrize("device", GPUS)
@pytest.mark.parametrize("name", list(ON_DEVICE))
def test_on_the_gpu_as_on_the_cpu(device, name):
    fn = ON_DEVICE[name]
    _core.set_device("cpu")
    want = fn(K.tensor(_X), K.tensor(_Y))
    x, y = K.tensor(_X).to(device), K.tensor(_Y).to(device)
    got = fn(x, y)
    assert got.device == device
    tol = 1e-4 if name in ("perspective", "elastic_transform") else 2e-5
    _same(got, to_np(want), tol=tol)


GRAD_ON_DEVICE = ["resize_bicubic_antialias", "affine_reflect", "map_coordinates", "gaussian_blur", "ssim", "extract_patches",
                  "rgb_to_hsv"]


@pytest.mark.parametrize("device", GPUS)
@pytest.mark.parametrize("name", GRAD_ON_DEVICE)
def test_gradients_on_the_gpu_as_on_the_cpu(device, name):
    fn = ON_DEVICE[name]
    w = _rng(9).normal(size=to_np(fn(K.tensor(_X), K.tensor(_Y))).shape).astype("float32")
    grads = {}
    for dev in ("cpu", device):
        x = K.tensor(_X).to(dev)
        x.requires_grad = True
        ops.sum(fn(x, K.tensor(_Y).to(dev)) * K.tensor(w).to(dev)).backward()
        grads[dev] = to_np(x.grad)
    np.testing.assert_allclose(grads[device], grads["cpu"], rtol=1e-4, atol=1e-5)
