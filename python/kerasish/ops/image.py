"""Image ops, as keras.ops.image: colour conversions, resizing and resampling, geometric
transforms, filters, patches and SSIM, with Keras 3's signatures, defaults and errors.

Every op is a composite of other ops, so it runs on every device and differentiates through its
parts:

* resizing and ``scale_and_translate`` are separable: one interpolation matrix per resized axis
  (jax.image's kernels: triangle, Keys cubic, Lanczos 3 and 5, area), applied with a matmul along
  that axis. For ``resize`` the matrices are NumPy constants made from the static sizes; for
  ``scale_and_translate`` they are computed with ops from the ``scale`` and ``translation``
  tensors, which the gradient reaches too;
* ``map_coordinates``, ``affine_transform``, ``perspective_transform`` and ``elastic_transform``
  compute their sample coordinates with ops and gather the input's values at the neighbouring
  grid points (``take`` on the flattened input), jax.scipy.ndimage's fill modes (constant,
  nearest, wrap, mirror, reflect) and orders (0: nearest, 1: linear);
* ``gaussian_blur``, ``sobel_edges`` and ``ssim`` filter each channel with a 2-D convolution of
  the channels moved into the batch axis (a depthwise filter);
* patches are gathered with ``take`` and rearranged with reshapes and transposes.

``data_format=None`` means ``keras.config.image_data_format()``. Where Keras's JAX backend has an
accident this follows Keras's documentation instead: ``gaussian_blur`` reads ``None`` as the
configured format, the ``c0, c1`` entries of an affine transform count as 0, one transform (or
one set of points) applies to every image of a batch, and ``elastic_transform`` draws two
independent displacement fields.
"""
from __future__ import annotations

import functools
import itertools
import math
import numbers

import numpy as np

from kerasish import _core, config
from kerasish import random as _random
from kerasish.ops import numpy as knp
from kerasish.ops.core import cast, convert_to_tensor
from kerasish.ops.core import slice as _slice
from kerasish.ops.nn import conv as _conv
from kerasish.ops.operation import symbolic

__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "reconstruct_patches",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")
AFFINE_TRANSFORM_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}  # -> order
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
SCALE_AND_TRANSLATE_METHODS = ("linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic", "lanczos3", "lanczos5")
# the kernel each resize / scale_and_translate method names
_KERNELS = {"bilinear": "linear", "linear": "linear", "trilinear": "linear", "bicubic": "cubic", "cubic": "cubic",
            "tricubic": "cubic", "lanczos3": "lanczos3", "lanczos5": "lanczos5", "area": "area"}
# a weight column summing to less than this is dropped (zero), as jax.image drops it
_WEIGHT_SUM_MIN = 1000.0 * float(np.finfo(np.float32).eps)


# ---------------------------------------------------------------- argument normalisation

def _data_format(data_format):
    if data_format is None:
        return config.image_data_format()
    df = str(data_format).lower()
    if df not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={df}")
    return df


def _is_float(dtype):
    return str(dtype).startswith(("float", "bfloat"))


def _float_dtype(dtype):
    """The dtype an op computes in: a float input's own, else float32 (as Keras's result_type)."""
    return dtype if _is_float(dtype) else "float32"


def _on(t, like):
    return t if t.device == like.device else t.to(like.device)


def _const(values, dtype, like):
    """A constant (NumPy values) of `dtype` on the device of `like`."""
    return _on(_core.tensor(np.asarray(values), dtype), like)


def _as(value, dtype, like):
    """`value` (a tensor, array or numbers) as a tensor of `dtype` on the device of `like`."""
    if isinstance(value, _core.Tensor):
        return cast(_on(value, like), dtype)
    return _on(convert_to_tensor(value, dtype), like)


def _scalar(value, dtype, like):
    if not _is_float(dtype) and not isinstance(value, bool):
        value = int(value)
    return _core.full((), float(value), dtype, like.device)


def _iota(n, like):
    return _on(_core.arange(0, int(n), 1, "int64"), like)


def _check_image_rank(x):
    if x.ndim not in (3, 4):
        raise ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: images.shape={tuple(x.shape)}")


def _ints(name, value, n):
    """`value` (an int or a sequence of n ints) as a tuple of n ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    try:
        t = tuple(int(v) for v in value)
    except TypeError:
        raise ValueError(f"Invalid `{name}` argument: expected an int or a tuple of {n} ints. Received: {name}={value}") from None
    if len(t) == 1:
        t = t * n
    if len(t) != n:
        raise ValueError(f"Invalid `{name}` argument: expected an int or a tuple of {n} ints. Received: {name}={value}")
    return t


def _to_channels_last(x, data_format):
    return knp.moveaxis(x, -3, -1) if data_format == "channels_first" else x


def _from_channels_last(x, data_format):
    return knp.moveaxis(x, -1, -3) if data_format == "channels_first" else x


def _pad_axis(x, axis, before, after, value):
    """x with `before` / `after` entries of `value` added along `axis`."""
    if not before and not after:
        return x
    parts = []
    for n in (before, after):
        shape = list(x.shape)
        shape[axis] = n
        parts.append(_core.full(tuple(shape), float(value), x.dtype, x.device) if n else None)
    return knp.concatenate([p for p in (parts[0], x, parts[1]) if p is not None], axis)


def _round_half_away(x):
    """Rounds half away from zero (lax.round), exactly: |x| - floor(|x|) is exact."""
    a = knp.abs(x)
    f = knp.floor(a)
    r = knp.add(f, cast(knp.greater_equal(knp.subtract(a, f), 0.5), x.dtype))
    return knp.multiply(knp.sign(x), r)


def _saturate_cast(x, dtype):
    """x cast to an integer dtype, clipped to its range first (Keras's saturate_cast)."""
    info = np.iinfo(np.dtype(dtype))
    lo, hi = float(info.min), float(info.max)
    if info.bits < 53:
        x = knp.clip(x, lo, hi)
    return cast(x, dtype)


def _contract(x, axis, w):
    """x with its `axis` (length m) mapped through the (m, n) matrix w: sum_i x[..., i, ...] w[i, j]."""
    shape = tuple(x.shape)
    m, n = w.shape
    a, b = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
    if b == 1:
        y = knp.matmul(knp.reshape(x, (a, m)), w)
    else:
        y = knp.matmul(knp.transpose(w), knp.reshape(x, (a, m, b)))
    return knp.reshape(y, shape[:axis] + (n,) + shape[axis + 1:])


# ---------------------------------------------------------------- colour

@symbolic
def rgb_to_grayscale(images, data_format=None):
    """Converts RGB images to grayscale: 0.2989 R + 0.5870 G + 0.1140 B (one channel kept in
    place); one-channel images come back as they are. The result has the input's dtype."""
    data_format = _data_format(data_format)
    x = convert_to_tensor(images)
    _check_image_rank(x)
    axis = -1 if data_format == "channels_last" else -3
    if x.shape[axis] not in (1, 3):
        raise ValueError("Invalid channel size: expected 3 (RGB) or 1 (Grayscale). "
                         f"Received input with shape: images.shape={tuple(x.shape)}")
    if x.shape[axis] == 1:
        return x
    original = x.dtype
    xf = cast(x, _float_dtype(original))
    w = _const([[0.2989], [0.5870], [0.1140]], xf.dtype, xf)
    y = knp.matmul(_to_channels_last(xf, data_format), w)
    return cast(_from_channels_last(y, data_format), original)


def _check_float_images(x):
    _check_image_rank(x)
    if not _is_float(x.dtype):
        raise ValueError(f"Invalid images dtype: expected float dtype. Received: images.dtype={x.dtype}")


def _planes(x, data_format):
    axis = -1 if data_format == "channels_last" else -3
    if x.shape[axis] != 3:
        raise ValueError(f"Input images must have 3 channels, but received images with {x.shape[axis]} channels.")
    return [knp.squeeze(p, axis) for p in knp.split(x, 3, axis)], axis


@symbolic
def rgb_to_hsv(images, data_format=None):
    """Converts float RGB images (values in [0, 1]) to HSV, all three in [0, 1] (a hue of 0 is
    red, 1/3 green, 2/3 blue), as dm_pix and Keras compute it."""
    data_format = _data_format(data_format)
    x = convert_to_tensor(images)
    _check_float_images(x)
    eps = float(np.finfo(np.dtype(x.dtype)).eps)
    x = knp.where(knp.less(knp.abs(x), eps), 0.0, x)
    (r, g, b), axis = _planes(x, data_format)
    value = knp.maximum(knp.maximum(r, g), b)
    minimum = knp.minimum(knp.minimum(r, g), b)
    range_ = knp.subtract(value, minimum)
    safe_value = knp.where(knp.greater(value, 0), value, 1.0)
    safe_range = knp.where(knp.greater(range_, 0), range_, 1.0)
    saturation = knp.where(knp.greater(value, 0), knp.divide(range_, safe_value), 0.0)
    norm = knp.divide(1.0, knp.multiply(6.0, safe_range))
    hue = knp.where(knp.equal(value, g), knp.add(knp.multiply(norm, knp.subtract(b, r)), 2.0 / 6.0),
                    knp.add(knp.multiply(norm, knp.subtract(r, g)), 4.0 / 6.0))
    hue = knp.where(knp.equal(value, r), knp.multiply(norm, knp.subtract(g, b)), hue)
    hue = knp.add(knp.where(knp.greater(range_, 0), hue, 0.0), cast(knp.less(hue, 0.0), hue.dtype))
    return knp.stack([hue, saturation, value], axis)


@symbolic
def hsv_to_rgb(images, data_format=None):
    """Converts float HSV images (values in [0, 1]) to RGB, as dm_pix and Keras compute it."""
    data_format = _data_format(data_format)
    x = convert_to_tensor(images)
    _check_float_images(x)
    (hue, saturation, value), axis = _planes(x, data_format)
    dh = knp.multiply(knp.mod(hue, 1.0), 6.0)
    dr = knp.clip(knp.subtract(knp.abs(knp.subtract(dh, 3.0)), 1.0), 0.0, 1.0)
    dg = knp.clip(knp.subtract(2.0, knp.abs(knp.subtract(dh, 2.0))), 0.0, 1.0)
    db = knp.clip(knp.subtract(2.0, knp.abs(knp.subtract(dh, 4.0))), 0.0, 1.0)
    one_minus_s = knp.subtract(1.0, saturation)
    planes = [knp.multiply(value, knp.add(one_minus_s, knp.multiply(saturation, d))) for d in (dr, dg, db)]
    return knp.stack(planes, axis)


# ---------------------------------------------------------------- resampling kernels (jax.image's)

def _np_kernel(kind, x):
    if kind == "linear":
        return np.maximum(0.0, 1.0 - np.abs(x))
    if kind == "cubic":  # Keys, a = -0.5
        out = ((1.5 * x - 2.5) * x) * x + 1.0
        out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
        return np.where(x >= 2.0, 0.0, out)
    radius = 3.0 if kind == "lanczos3" else 5.0
    y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius)
    out = np.where(x > 1e-3, y / np.where(x != 0, np.pi ** 2 * x ** 2, 1.0), 1.0)
    return np.where(x > radius, 0.0, out)


def _np_weight_mat(m, n, scale, translation, kind, antialias):
    """The (m, n) matrix that resamples an axis of length m to length n (float64 NumPy), as
    jax.image.compute_weight_mat makes it."""
    inv_scale = 1.0 / scale
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample_f = (np.arange(n, dtype=np.float64) + 0.5) * inv_scale - translation * inv_scale - 0.5
    if kind == "area":
        left_i = np.arange(n, dtype=np.float64) * inv_scale - translation * inv_scale
        right_i = left_i + inv_scale
        left_j = np.arange(m, dtype=np.float64)
        right_j = left_j + 1.0
        w = np.maximum(0.0, np.minimum(right_i[None, :], right_j[:, None]) - np.maximum(left_i[None, :], left_j[:, None]))
    else:
        x = np.abs(sample_f[None, :] - np.arange(m, dtype=np.float64)[:, None]) / kernel_scale
        w = _np_kernel(kind, x)
    total = np.sum(w, axis=0, keepdims=True)
    w = np.where(np.abs(total) > _WEIGHT_SUM_MIN, w / np.where(total != 0, total, 1.0), 0.0)
    inside = (sample_f >= -0.5) & (sample_f <= m - 0.5)
    return np.where(inside[None, :], w, 0.0)


def _ops_kernel(kind, x):
    if kind == "linear":
        return knp.maximum(0.0, knp.subtract(1.0, knp.abs(x)))
    if kind == "cubic":
        out = knp.add(knp.multiply(knp.multiply(knp.subtract(knp.multiply(1.5, x), 2.5), x), x), 1.0)
        far = knp.add(knp.multiply(knp.subtract(knp.multiply(knp.add(knp.multiply(-0.5, x), 2.5), x), 4.0), x), 2.0)
        out = knp.where(knp.greater_equal(x, 1.0), far, out)
        return knp.where(knp.greater_equal(x, 2.0), 0.0, out)
    radius = 3.0 if kind == "lanczos3" else 5.0
    y = knp.multiply(knp.multiply(radius, knp.sin(knp.multiply(np.pi, x))), knp.sin(knp.multiply(np.pi / radius, x)))
    den = knp.where(knp.not_equal(x, 0), knp.multiply(np.pi ** 2, knp.square(x)), 1.0)
    out = knp.where(knp.greater(x, 1e-3), knp.divide(y, den), 1.0)
    return knp.where(knp.greater(x, radius), 0.0, out)


def _ops_weight_mat(m, n, scale, translation, kind, antialias, like):
    """_np_weight_mat with ops, from 0-d `scale` and `translation` tensors (of the compute dtype)."""
    dt = scale.dtype
    inv_scale = knp.divide(1.0, scale)
    kernel_scale = knp.maximum(inv_scale, 1.0) if antialias else None
    out_i = cast(_iota(n, like), dt)
    in_j = cast(_iota(m, like), dt)
    sample_f = knp.subtract(knp.subtract(knp.multiply(knp.add(out_i, 0.5), inv_scale), knp.multiply(translation, inv_scale)), 0.5)
    x = knp.abs(knp.subtract(knp.reshape(sample_f, (1, n)), knp.reshape(in_j, (m, 1))))
    if kernel_scale is not None:
        x = knp.divide(x, kernel_scale)
    w = _ops_kernel(kind, x)
    total = knp.sum(w, axis=0, keepdims=True)
    safe_total = knp.where(knp.not_equal(total, 0), total, 1.0)
    w = knp.where(knp.greater(knp.abs(total), _WEIGHT_SUM_MIN), knp.divide(w, safe_total), 0.0)
    inside = knp.logical_and(knp.greater_equal(sample_f, -0.5), knp.less_equal(sample_f, m - 0.5))
    return knp.where(knp.reshape(inside, (1, n)), w, 0.0)


def _nearest_indices(m, n):
    """jax.image's nearest-neighbour source rows for resizing m to n (computed in float32)."""
    f = (np.arange(n, dtype=np.float32) + np.float32(0.5)) * np.float32(m) / np.float32(n)
    return np.floor(f.astype(np.float32)).astype(np.int64)


# ---------------------------------------------------------------- resize

@symbolic
def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resizes images to `size` = (height, width), as jax.image.resize (half-pixel centres):
    "nearest", "bilinear", "bicubic" (Keys), "lanczos3", "lanczos5" or "area"; `antialias`
    widens the kernel when downsampling. `crop_to_aspect_ratio` first crops the largest centred
    window of the target's aspect ratio; `pad_to_aspect_ratio` pads the short side evenly with
    `fill_value` instead. Integer images are resized in float32 and rounded back (saturating)."""
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers. Received: size={size}")
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"`size` must have positive height and width. Received: size={size}")
    x = convert_to_tensor(images)
    if x.ndim < 3 or x.ndim > 4:
        raise ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: images.shape={tuple(x.shape)}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
    data_format = _data_format(data_format)
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError("Invalid value for argument `interpolation`. Expected of one "
                         f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}")
    if fill_mode != "constant":
        raise ValueError("Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
                         f"Received: fill_mode={fill_mode}")
    target_h, target_w = int(size[0]), int(size[1])
    h_axis = x.ndim - 3 if data_format == "channels_last" else x.ndim - 2
    w_axis = h_axis + 1
    height, width = x.shape[h_axis], x.shape[w_axis]
    original = x.dtype
    if interpolation != "nearest":
        x = cast(x, _float_dtype(original))

    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
        crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
        h0, w0 = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
        key = [slice(None)] * x.ndim
        key[h_axis], key[w_axis] = slice(h0, h0 + crop_h), slice(w0, w0 + crop_w)
        x = x[tuple(key)]
    elif pad_to_aspect_ratio:
        pad_h = max(height, int(float(width * target_h) / target_w))
        pad_w = max(width, int(float(height * target_w) / target_h))
        h0, w0 = int(float(pad_h - height) / 2), int(float(pad_w - width) / 2)
        if h0 > 0:
            x = _pad_axis(x, h_axis, h0, h0, fill_value)
        elif w0 > 0:
            x = _pad_axis(x, w_axis, w0, w0, fill_value)

    for axis, n in ((h_axis, target_h), (w_axis, target_w)):
        m = x.shape[axis]
        if m == n:
            continue
        if interpolation == "nearest":
            x = knp.take(x, _const(_nearest_indices(m, n), "int64", x), axis)
        else:
            w = _np_weight_mat(m, n, n / m, 0.0, _KERNELS[interpolation], bool(antialias))
            x = _contract(x, axis, _const(w, x.dtype, x))
    if x.dtype != original:
        x = _saturate_cast(knp.round(x), original) if not _is_float(original) else cast(x, original)
    return x


@symbolic
def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method, antialias=True):
    """Resamples `images` to `output_shape`, each axis of `spatial_dims` mapped as
    x_out = x_in * scale + translation (half-pixel centres; samples outside the input count
    zero), as jax.image.scale_and_translate. `method`: "linear"/"bilinear"/"trilinear",
    "cubic"/"bicubic"/"tricubic", "lanczos3" or "lanczos5". The interpolation matrices are
    computed with ops from `scale` and `translation`, so the gradient reaches them."""
    if method not in SCALE_AND_TRANSLATE_METHODS:
        raise ValueError("Invalid value for argument `method`. Expected of one "
                         f"{set(SCALE_AND_TRANSLATE_METHODS)}. Received: method={method}")
    x = convert_to_tensor(images)
    x = cast(x, _float_dtype(x.dtype))
    output_shape = tuple(int(s) for s in output_shape)
    if len(output_shape) != x.ndim:
        raise ValueError("shape must have length equal to the number of dimensions of x; "
                         f" {output_shape} vs {tuple(x.shape)}")
    dims = [int(d) % x.ndim if -x.ndim <= int(d) < x.ndim else None for d in spatial_dims]
    if None in dims:
        raise ValueError(f"spatial_dims {tuple(spatial_dims)} are out of range for images of rank {x.ndim}")
    s, t = _as(scale, x.dtype, x), _as(translation, x.dtype, x)
    s, t = knp.reshape(s, (-1,)), knp.reshape(t, (-1,))
    if s.shape[0] != len(dims) or t.shape[0] != len(dims):
        raise ValueError(f"scale and translation must have one entry per spatial dim ({len(dims)}); "
                         f"got {s.shape[0]} and {t.shape[0]}")
    for d in range(x.ndim):
        if d not in dims and x.shape[d] != output_shape[d]:
            raise ValueError(f"output_shape {output_shape} changes dim {d} of images {tuple(x.shape)}, "
                             f"which is not in spatial_dims {tuple(spatial_dims)}")
    for i, d in enumerate(dims):
        w = _ops_weight_mat(x.shape[d], output_shape[d], s[i], t[i], _KERNELS[method], bool(antialias), x)
        x = _contract(x, d, w)
    return x


# ---------------------------------------------------------------- resampling at coordinates

def _fix_index(index, size, mode):
    """jax.scipy.ndimage's index fixers: where each mode reads a grid point outside [0, size)."""
    if mode == "nearest":
        return knp.clip(index, 0, size - 1)
    if mode == "wrap":
        return knp.mod(index, size)
    if mode == "mirror":
        if size == 1:
            return knp.zeros_like(index)
        s = size - 1  # half-wavelength of the triangular wave
        return knp.abs(knp.subtract(knp.mod(knp.add(index, s), 2 * s), s))
    if mode == "reflect":
        return knp.floor_divide(knp.subtract(_fix_index(knp.add(knp.multiply(index, 2), 1), 2 * size + 1, "mirror"), 1), 2)
    return knp.clip(index, 0, size - 1)  # constant: any in-range row; the value is replaced


def _interp_nodes(coord, order):
    """[(grid index, weight or None)] of the points order-0 or order-1 interpolation reads."""
    if order == 0:
        if not _is_float(coord.dtype):
            return [(cast(coord, "int64"), None)]
        return [(cast(_round_half_away(coord), "int64"), None)]
    if not _is_float(coord.dtype):
        coord = cast(coord, "float32")
    lower = knp.floor(coord)
    upper_weight = knp.subtract(coord, lower)
    lower_weight = knp.subtract(1.0, upper_weight)
    index = cast(lower, "int64")
    return [(index, lower_weight), (knp.add(index, 1), upper_weight)]


def _gather_interp(src, coords, sizes, order, mode, cval, base=None):
    """Interpolates the rows of `src` (the input flattened to (prod(sizes), C)) at `coords` (one
    tensor per axis of `sizes`, all of one shape S), as jax.scipy.ndimage.map_coordinates does
    per channel; `base` (broadcasting to S) is added to each flat position (a batch's offset).
    Returns S + (C,), in the dtype the weights and values promote to."""
    strides = [math.prod(sizes[i + 1:]) for i in range(len(sizes))]
    per_axis = []
    for c, size in zip(coords, sizes):
        nodes = []
        for index, weight in _interp_nodes(c, order):
            valid = None
            if mode == "constant":
                valid = knp.logical_and(knp.greater_equal(index, 0), knp.less(index, size))
            nodes.append((_fix_index(index, size, mode), valid, weight))
        per_axis.append(nodes)
    shape = tuple(coords[0].shape)
    fill = _scalar(cval, src.dtype, src) if mode == "constant" else None
    out = None
    for combo in itertools.product(*per_axis):
        pos = base
        for (index, _, _), stride in zip(combo, strides):
            term = index if stride == 1 else knp.multiply(index, stride)
            pos = term if pos is None else knp.add(pos, term)
        pos = knp.broadcast_to(pos, shape)
        v = knp.reshape(knp.take(src, knp.reshape(pos, (-1,)), 0), shape + (src.shape[1],))
        valids = [valid for _, valid, _ in combo if valid is not None]
        if valids:
            v = knp.where(knp.expand_dims(functools.reduce(knp.logical_and, valids), -1), v, fill)
        weights = [w for _, _, w in combo if w is not None]
        if weights:
            v = knp.multiply(knp.expand_dims(functools.reduce(knp.multiply, weights), -1), v)
        out = v if out is None else knp.add(out, v)
    return out


def _finish(result, dtype):
    """The interpolated values in the input's dtype (integers rounded half away from zero)."""
    if result.dtype == dtype:
        return result
    if not _is_float(dtype):
        result = _round_half_away(result)
    return cast(result, dtype)


def _sample_images(x, rows, cols, order, mode, cval):
    """x (N, H, W, C) read at (rows, cols), each (N, ...): order-0/1 interpolation per channel."""
    n, h, w, c = x.shape
    src = knp.reshape(x, (n * h * w, c))
    base = knp.reshape(knp.multiply(_iota(n, x), h * w), (n,) + (1,) * (rows.ndim - 1))
    return _finish(_gather_interp(src, [rows, cols], (h, w), order, mode, cval, base), x.dtype)


def _check_fill_mode(fill_mode):
    if fill_mode not in FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected of one {set(FILL_MODES)}. "
                         f"Received: fill_mode={fill_mode}")


def _check_interpolation(interpolation):
    if interpolation not in AFFINE_TRANSFORM_INTERPOLATIONS:
        raise ValueError("Invalid value for argument `interpolation`. Expected of one "
                         f"{set(AFFINE_TRANSFORM_INTERPOLATIONS)}. Received: interpolation={interpolation}")


@symbolic
def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """The values of `inputs` at `coordinates` (shape (inputs.ndim, ...)): order 0 takes the
    nearest grid point (halves away from zero), order 1 interpolates linearly; points outside
    are read by `fill_mode` ("constant": `fill_value`, "nearest", "wrap", "mirror", "reflect"),
    as jax.scipy.ndimage.map_coordinates. The gradient reaches the inputs and the coordinates."""
    x = convert_to_tensor(inputs)
    if isinstance(coordinates, (list, tuple)) and any(isinstance(c, _core.Tensor) for c in coordinates):
        coordinates = knp.stack([convert_to_tensor(c) for c in coordinates], 0)
    c = convert_to_tensor(coordinates)
    if c.ndim == 0 or c.shape[0] != x.ndim:
        raise ValueError("First dim of `coordinates` must be the same as the rank of `inputs`. "
                         f"Received inputs with shape: {tuple(x.shape)} and coordinate leading dim of "
                         f"{c.shape[0] if c.ndim else None}")
    if c.ndim < 2:
        raise ValueError(f"Invalid coordinates rank: expected at least rank 2. Received input with shape: {tuple(c.shape)}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected one of {set(FILL_MODES)}. "
                         f"Received: fill_mode={fill_mode}")
    if isinstance(order, bool) or order not in range(2):
        raise ValueError(f"Invalid value for argument `order`. Expected one of {[0, 1]}. Received: order={order}")
    c = _on(c, x)
    src = knp.reshape(x, (-1, 1))
    out = _gather_interp(src, [c[i] for i in range(x.ndim)], tuple(x.shape), int(order), fill_mode, fill_value)
    return _finish(knp.squeeze(out, -1), x.dtype)


def _batched(x, data_format):
    """(images as a channels-last batch, whether a batch axis was added)."""
    unbatched = x.ndim == 3
    if unbatched:
        x = knp.expand_dims(x, 0)
    if data_format == "channels_first":
        x = knp.transpose(x, (0, 2, 3, 1))
    return x, unbatched


def _unbatched(y, data_format, unbatched):
    if data_format == "channels_first":
        y = knp.transpose(y, (0, 3, 1, 2))
    return knp.squeeze(y, 0) if unbatched else y


def _per_image(t, n, what):
    """A (1 or n, ...) tensor of per-image parameters broadcast to n images."""
    if t.shape[0] == n:
        return t
    if t.shape[0] == 1:
        return knp.broadcast_to(t, (n,) + tuple(t.shape[1:]))
    raise ValueError(f"Got {t.shape[0]} {what} for a batch of {n} images: give one, or one per image.")


@symbolic
def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0, data_format=None):
    """Applies projective transforms [a0, a1, a2, b0, b1, b2, c0, c1] (one, or one per image):
    output pixel (x, y) reads the input at (a0 x + a1 y + a2, b0 x + b1 y + b2); c0 and c1 count
    as 0, as on Keras's backends other than TensorFlow. `interpolation`: "nearest" or
    "bilinear"; `fill_mode`: "constant" (`fill_value`), "nearest", "wrap", "mirror", "reflect"."""
    data_format = _data_format(data_format)
    _check_interpolation(interpolation)
    _check_fill_mode(fill_mode)
    x = convert_to_tensor(images)
    t = transform if isinstance(transform, _core.Tensor) else convert_to_tensor(transform, _float_dtype(x.dtype))
    _check_image_rank(x)
    if t.ndim not in (1, 2):
        raise ValueError("Invalid transform rank: expected rank 1 (single transform) or rank 2 (batch of transforms). "
                         f"Received input with shape: transform.shape={tuple(t.shape)}")
    if t.shape[-1] != 8:
        raise ValueError("Invalid transform shape: expected 8 parameters per transform. "
                         f"Received: transform.shape={tuple(t.shape)}")
    x, unbatched = _batched(x, data_format)
    if t.ndim == 1:
        t = knp.expand_dims(t, 0)
    n, h, w, _ = x.shape
    dt = _float_dtype(x.dtype)
    t = _per_image(_as(t, dt, x), n, "transforms")
    a0, a1, a2, b0, b1, b2 = (knp.reshape(t[:, i], (n, 1, 1)) for i in range(6))
    ys = knp.reshape(cast(_iota(h, x), dt), (1, h, 1))
    xs = knp.reshape(cast(_iota(w, x), dt), (1, 1, w))
    rows = knp.add(knp.add(knp.multiply(ys, b1), knp.multiply(xs, b0)), b2)
    cols = knp.add(knp.add(knp.multiply(ys, a1), knp.multiply(xs, a0)), a2)
    out = _sample_images(x, rows, cols, AFFINE_TRANSFORM_INTERPOLATIONS[interpolation], fill_mode, fill_value)
    return _unbatched(out, data_format, unbatched)


def _solve(a, b):
    """Solves a x = b for batches of small systems, a (N, n, n) and b (N, n): LU with partial
    pivoting (LAPACK's getrf / getrs order), unrolled into ops."""
    n = a.shape[-1]
    m = knp.concatenate([a, knp.expand_dims(b, -1)], -1)  # (N, n, n + 1)
    rows = _iota(n, a)
    batch = a.shape[0]
    for k in range(n):
        col = knp.where(knp.greater_equal(rows, k), knp.abs(m[:, :, k]), -1.0)
        p = knp.expand_dims(knp.argmax(col, axis=1), -1)  # (N, 1)
        perm = knp.where(knp.equal(rows, k), p, knp.where(knp.equal(rows, p), k, rows))  # swaps rows k and p
        m = knp.take_along_axis(m, knp.broadcast_to(knp.expand_dims(perm, -1), (batch, n, n + 1)), 1)
        factor = knp.multiply(m[:, :, k], knp.divide(1.0, m[:, k:k + 1, k]))
        factor = knp.where(knp.greater(rows, k), factor, 0.0)
        m = knp.subtract(m, knp.multiply(knp.expand_dims(factor, -1), m[:, k:k + 1, :]))
    x = [None] * n
    for i in range(n - 1, -1, -1):
        s = m[:, i, n]
        for j in range(n - 1, i, -1):
            s = knp.subtract(s, knp.multiply(m[:, i, j], x[j]))
        x[i] = knp.divide(s, m[:, i, i])
    return knp.stack(x, 1)


def _homography(start, end):
    """(N, 8) coefficients mapping the end points onto the start points, as Keras solves them."""
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = knp.zeros_like(ex), knp.ones_like(ex)
    nsx, nsy = knp.negative(sx), knp.negative(sy)
    x_rows = knp.stack([ex, ey, ones, zeros, zeros, zeros, knp.multiply(nsx, ex), knp.multiply(nsx, ey)], -1)
    y_rows = knp.stack([zeros, zeros, zeros, ex, ey, ones, knp.multiply(nsy, ex), knp.multiply(nsy, ey)], -1)
    a = knp.concatenate([x_rows, y_rows], 1)
    return _solve(a, knp.concatenate([sx, sy], -1))


@symbolic
def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0, data_format=None):
    """Warps images so that the four `start_points` (x, y) land on the four `end_points` ((4, 2),
    or (N, 4, 2): one set per image, or one for all), pixels from outside filled with
    `fill_value`. The homography is solved in float32, as Keras does."""
    data_format = _data_format(data_format)
    _check_interpolation(interpolation)
    x = convert_to_tensor(images)
    _check_image_rank(x)
    sp, ep = (p if isinstance(p, _core.Tensor) else convert_to_tensor(p, "float32") for p in (start_points, end_points))
    if tuple(sp.shape[-2:]) != (4, 2) or sp.ndim not in (2, 3):
        raise ValueError("Invalid start_points shape: expected (4,2) for a single image or (N,4,2) for a batch. "
                         f"Received shape: {tuple(sp.shape)}")
    if tuple(ep.shape[-2:]) != (4, 2) or ep.ndim not in (2, 3):
        raise ValueError("Invalid end_points shape: expected (4,2) for a single image or (N,4,2) for a batch. "
                         f"Received shape: {tuple(ep.shape)}")
    if tuple(sp.shape) != tuple(ep.shape):
        raise ValueError("start_points and end_points must have the same shape. "
                         f"Received start_points.shape={tuple(sp.shape)}, end_points.shape={tuple(ep.shape)}")
    x, unbatched = _batched(x, data_format)
    if sp.ndim == 2:
        sp, ep = knp.expand_dims(sp, 0), knp.expand_dims(ep, 0)
    n, h, w, _ = x.shape
    tr = _homography(_as(sp, "float32", x), _as(ep, "float32", x))
    tr = _per_image(tr, n, "sets of points")
    t = [knp.reshape(tr[:, i], (n, 1, 1)) for i in range(8)]
    gx = knp.reshape(cast(_iota(w, x), "float32"), (1, 1, w))
    gy = knp.reshape(cast(_iota(h, x), "float32"), (1, h, 1))
    denom = knp.add(knp.add(knp.multiply(t[6], gx), knp.multiply(t[7], gy)), 1.0)
    cols = knp.divide(knp.add(knp.add(knp.multiply(t[0], gx), knp.multiply(t[1], gy)), t[2]), denom)
    rows = knp.divide(knp.add(knp.add(knp.multiply(t[3], gx), knp.multiply(t[4], gy)), t[5]), denom)
    out = _sample_images(x, rows, cols, AFFINE_TRANSFORM_INTERPOLATIONS[interpolation], "constant", fill_value)
    return _unbatched(out, data_format, unbatched)


# ---------------------------------------------------------------- filters

def _depthwise(x, kernel, data_format, padding):
    """Each channel of a (batch of) image(s) filtered alone with `kernel` (kh, kw, 1, k): the
    channels moved into the batch axis of one 2-D convolution. Returns (N, C, Ho, Wo, k)."""
    if x.ndim == 3:
        x = knp.expand_dims(x, 0)
    if data_format == "channels_last":
        x = knp.transpose(x, (0, 3, 1, 2))
    n, c, h, w = x.shape
    y = _conv(knp.reshape(x, (n * c, h, w, 1)), kernel, padding=padding)
    return knp.reshape(y, (n, c) + tuple(y.shape[1:]))


def _gaussian_1d(size, sigma, dtype, like):
    x = _const(np.arange(size, dtype=np.float64) - (size - 1) / 2, dtype, like)
    k = knp.exp(knp.multiply(-0.5, knp.square(knp.divide(x, sigma))))
    return knp.divide(k, knp.sum(k))


@symbolic
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blurs each channel with a normalised Gaussian kernel ("same" zero padding). As in Keras,
    `kernel_size[0]` and `sigma[0]` shape the kernel along the width and `kernel_size[1]`,
    `sigma[1]` along the height. Integer images are blurred in float32."""
    data_format = _data_format(data_format)
    x = convert_to_tensor(images)
    _check_image_rank(x)
    x = cast(x, _float_dtype(x.dtype))
    ks = _ints("kernel_size", kernel_size, 2)
    s = _as(sigma, x.dtype, x)
    s0, s1 = (s, s) if s.ndim == 0 else (s[0], s[1])
    kernel = knp.outer(_gaussian_1d(ks[1], s1, x.dtype, x), _gaussian_1d(ks[0], s0, x.dtype, x))
    y = _depthwise(x, knp.reshape(kernel, (ks[1], ks[0], 1, 1)), data_format, "same")
    y = knp.squeeze(y, -1)  # (N, C, H, W)
    if data_format == "channels_last":
        y = knp.transpose(y, (0, 2, 3, 1))
    return knp.squeeze(y, 0) if x.ndim == 3 else y


_SOBEL_Y = [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]
_SOBEL_X = [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]


@symbolic
def sobel_edges(images, data_format=None):
    """Sobel gradients of each channel of a batch of images ("same" zero padding): shape
    images.shape + (2,), the last axis [dy, dx]."""
    data_format = _data_format(data_format)
    x = convert_to_tensor(images)
    if x.ndim != 4:
        raise ValueError(f"Invalid images rank: expected rank 4 (batch of images). Received: images.shape={list(x.shape)}")
    original = x.dtype
    x = cast(x, _float_dtype(original))
    kernel = _const(np.stack([_SOBEL_Y, _SOBEL_X], -1)[:, :, None, :], x.dtype, x)  # (3, 3, 1, 2)
    y = _depthwise(x, kernel, data_format, "same")  # (N, C, H, W, 2)
    if data_format == "channels_last":
        y = knp.transpose(y, (0, 2, 3, 1, 4))
    return cast(y, original)


@symbolic
def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    """Structural similarity of two images (or batches), Gaussian-weighted over `filter_size`
    windows ("valid") and averaged over positions and channels: a scalar per image pair, in the
    first image's dtype."""
    data_format = _data_format(data_format)
    x1, x2 = convert_to_tensor(image1), convert_to_tensor(image2)
    original = x1.dtype
    dt = _float_dtype(original)
    x1, x2 = cast(x1, dt), cast(x2, dt)
    for name, x in (("image1", x1), ("image2", x2)):
        if x.ndim not in (3, 4):
            raise ValueError(f"Invalid {name} rank: expected rank 3 (single image) or rank 4 (batch of images). "
                             f"Received input with shape: {name}.shape={tuple(x.shape)}")
    if tuple(x1.shape) != tuple(x2.shape):
        raise ValueError(f"image1 and image2 must have the same shape. Received: {tuple(x1.shape)} and {tuple(x2.shape)}")
    unbatched = x1.ndim == 3
    if unbatched:
        x1, x2 = knp.expand_dims(x1, 0), knp.expand_dims(x2, 0)
    if data_format == "channels_first":
        x1, x2 = knp.moveaxis(x1, 1, -1), knp.moveaxis(x2, 1, -1)
    b, h, w, c = x1.shape
    filter_size = int(filter_size)
    if h < filter_size or w < filter_size:
        raise ValueError(f"ssim: images of height {h} and width {w} are smaller than filter_size={filter_size}")
    g = _const(np.arange(filter_size, dtype=np.float64) - (filter_size - 1) / 2.0, dt, x1)
    g = knp.exp(knp.divide(knp.negative(knp.square(g)), 2.0 * float(filter_sigma) ** 2))
    g = knp.divide(g, knp.sum(g))
    kernel = knp.reshape(knp.outer(g, g), (filter_size, filter_size, 1, 1))
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    a = knp.reshape(knp.transpose(x1, (0, 3, 1, 2)), (-1, h, w, 1))
    bb = knp.reshape(knp.transpose(x2, (0, 3, 1, 2)), (-1, h, w, 1))

    def filt(v):
        return _conv(v, kernel, padding="valid")

    mu1, mu2 = filt(a), filt(bb)
    mu1_sq, mu2_sq, mu1_mu2 = knp.multiply(mu1, mu1), knp.multiply(mu2, mu2), knp.multiply(mu1, mu2)
    sigma1_sq = knp.subtract(filt(knp.multiply(a, a)), mu1_sq)
    sigma2_sq = knp.subtract(filt(knp.multiply(bb, bb)), mu2_sq)
    sigma12 = knp.subtract(filt(knp.multiply(a, bb)), mu1_mu2)
    num = knp.multiply(knp.add(knp.multiply(2.0, mu1_mu2), c1), knp.add(knp.multiply(2.0, sigma12), c2))
    den = knp.multiply(knp.add(knp.add(mu1_sq, mu2_sq), c1), knp.add(knp.add(sigma1_sq, sigma2_sq), c2))
    per_channel = knp.mean(knp.divide(num, den), axis=(1, 2, 3))
    result = knp.mean(knp.reshape(per_channel, (b, c)), axis=-1)
    if unbatched:
        result = knp.squeeze(result, 0)
    return cast(result, original)


@symbolic
def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                      seed=None, data_format=None):
    """Elastic deformation: two standard-normal displacement fields (one per axis, drawn from
    `seed`: an int, a SeedGenerator or None), each times `sigma`, blurred with a Gaussian of
    `sigma` (kernel size int(6 sigma) | 1) and scaled by `alpha`, move each pixel's sample point;
    the image is resampled there with `interpolation` and `fill_mode`."""
    data_format = _data_format(data_format)
    _check_interpolation(interpolation)
    _check_fill_mode(fill_mode)
    x = convert_to_tensor(images)
    _check_image_rank(x)
    x, unbatched = _batched(x, data_format)
    n, h, w, _ = x.shape
    dt = _float_dtype(x.dtype)
    gen = _random.SeedGenerator(int(seed)) if isinstance(seed, numbers.Integral) else seed
    dx = _on(_random.normal((n, h, w), dtype=dt, seed=gen), x)
    dy = _on(_random.normal((n, h, w), dtype=dt, seed=gen), x)
    out = _elastic(x, dx, dy, float(alpha), float(sigma), AFFINE_TRANSFORM_INTERPOLATIONS[interpolation], fill_mode, fill_value)
    return _unbatched(out, data_format, unbatched)


def _elastic(x, dx, dy, alpha, sigma, order, fill_mode, fill_value):
    """elastic_transform of channels-last images x (N, H, W, C) from the standard-normal noise
    fields dx, dy (N, H, W)."""
    n, h, w, _ = x.shape
    k = int(6 * sigma) | 1

    def field(noise):
        blurred = gaussian_blur(knp.expand_dims(knp.multiply(noise, sigma), -1), (k, k), (sigma, sigma), "channels_last")
        return knp.multiply(alpha, knp.squeeze(blurred, -1))

    gx = knp.reshape(cast(_iota(w, x), dx.dtype), (1, 1, w))
    gy = knp.reshape(cast(_iota(h, x), dx.dtype), (1, h, 1))
    cols = knp.add(gx, field(dx))
    rows = knp.add(gy, field(dy))
    return _sample_images(x, rows, cols, order, fill_mode, fill_value)


# ---------------------------------------------------------------- patches

def _geometry(n, k, s, d, padding):
    """(output length, padding before, padding after) of a window k (dilation d, stride s) over n."""
    span = (k - 1) * d + 1
    if padding == "valid":
        return ((n - span) // s + 1 if n >= span else 0), 0, 0
    out = -(-n // s)
    total = max((out - 1) * s + span - n, 0)
    return out, total // 2, total - total // 2


def _patches(x, size, strides, dilation, padding):
    """Patches of channels-last x (N, *spatial, C), windows `size` moved by `strides`: shape
    (N, *grid, prod(size) * C), each patch flattened in (window..., channel) order, as Keras's
    identity-kernel convolution orders them."""
    k = len(size)
    grid = []
    for i in range(k):
        axis = 1 + i
        out, lo, hi = _geometry(x.shape[axis], size[i], strides[i], dilation[i], padding)
        grid.append(out)
        x = _pad_axis(x, axis, lo, hi, 0)
        if strides[i] == size[i] and dilation[i] == 1:
            key = [slice(None)] * x.ndim
            key[axis] = slice(0, out * size[i])
            x = x[tuple(key)]
        else:
            idx = (np.arange(out)[:, None] * strides[i] + np.arange(size[i])[None, :] * dilation[i]).reshape(-1)
            x = knp.take(x, _const(idx, "int64", x), axis)
    if 0 in grid:
        raise ValueError("The convolution operation resulted in an empty output. This can happen if the input is too small "
                         "for the given kernel size, strides, dilation rate, and padding mode. Please check the input shape "
                         "and convolution parameters.")
    n, c = x.shape[0], x.shape[-1]
    x = knp.reshape(x, (n,) + tuple(v for g, p in zip(grid, size) for v in (g, p)) + (c,))
    perm = [0] + [1 + 2 * i for i in range(k)] + [2 + 2 * i for i in range(k)] + [2 * k + 1]
    return knp.reshape(knp.transpose(x, perm), (n,) + tuple(grid) + (math.prod(size) * c,))


def _bad_size(size):
    if not isinstance(size, (tuple, list)):
        raise TypeError("Invalid `size` argument. Expected an int or a tuple. "
                        f"Received: size={size} of type {type(size).__name__}")
    raise ValueError(f"Invalid `size` argument. Expected a tuple of length 2 or 3. Received: size={size} with length {len(size)}")


def _padding_mode(padding):
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"Invalid `padding`. Expected 'same' or 'valid'. Got: {padding}")
    return p


def _extract(x, size, strides, dilation_rate, padding, data_format):
    k = len(size)
    if x.ndim not in (k + 1, k + 2):
        raise ValueError(f"Invalid images rank for {k}D patches: expected rank {k + 1} (unbatched) or {k + 2} (batched). "
                         f"Received input with shape: {tuple(x.shape)}")
    unbatched = x.ndim == k + 1
    if unbatched:
        x = knp.expand_dims(x, 0)
    if data_format == "channels_first":
        x = knp.moveaxis(x, 1, -1)
    y = _patches(x, size, _ints("strides", strides, k), _ints("dilation_rate", dilation_rate, k), _padding_mode(padding))
    if data_format == "channels_first":
        y = knp.moveaxis(y, -1, 1)
    return knp.squeeze(y, 0) if unbatched else y


@symbolic
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of images (size: an int or (height, width)) or, for a `size` of three, of
    volumes: (..., *grid, prod(size) * channels), as Keras's extract_patches. `strides`
    defaults to `size` (non-overlapping); `padding`: "valid" or "same"."""
    if not isinstance(size, numbers.Integral):
        if not isinstance(size, (tuple, list)):
            _bad_size(size)
        if len(size) not in (2, 3):
            _bad_size(size)
        if len(size) == 3:
            return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    data_format = _data_format(data_format)
    size = _ints("size", size, 2)
    if not strides:
        strides = size
    return _extract(convert_to_tensor(images), size, strides, dilation_rate, padding, data_format)


@symbolic
def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of volumes (depth, height, width, channels), batched or not: (..., gD, gH, gW,
    pD * pH * pW * channels). `strides` defaults to `size`."""
    size = _ints("size", size, 3)
    if strides is None:
        strides = size
    if isinstance(strides, numbers.Integral):
        strides = (strides,) * 3
    if len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument. Got: {strides}")
    data_format = _data_format(data_format)
    return _extract(convert_to_tensor(volumes), size, strides, dilation_rate, padding, data_format)


@symbolic
def reconstruct_patches(patches, size, output_size, strides=None, padding="valid", data_format=None):
    """The image(s) or volume(s) that non-overlapping patches (strides == size) came from: the
    inverse of extract_patches. With "valid" padding `output_size` must be grid * size; with
    "same", the original spatial shape (the extraction's padding is cropped off)."""
    if not isinstance(size, numbers.Integral):
        if not isinstance(size, (tuple, list)):
            _bad_size(size)
        if len(size) not in (2, 3):
            _bad_size(size)
    if not isinstance(output_size, (tuple, list)):
        raise TypeError("Invalid `output_size` argument. Expected a tuple or list. "
                        f"Received: output_size={output_size} of type {type(output_size).__name__}")
    size = (int(size),) * 2 if isinstance(size, numbers.Integral) else tuple(int(s) for s in size)
    k = len(size)
    if len(output_size) != k:
        names = "(H, W)" if k == 2 else "(D, H, W)"
        raise ValueError(f"Invalid `output_size`. Expected length {k} {names}. Got: output_size={output_size}")
    if padding not in ("same", "valid"):
        raise ValueError(f"Invalid `padding`. Expected 'same' or 'valid'. Got: {padding}")
    if strides is not None:
        st = (strides,) * k if isinstance(strides, numbers.Integral) else tuple(strides)
        if st != size:
            raise NotImplementedError(
                f"`reconstruct_patches` currently supports only non-overlapping reconstruction (strides == size). "
                f"Got strides={strides} and size={size}. Overlap-add reconstruction is planned for a follow-up.")
    data_format = _data_format(data_format)
    x = convert_to_tensor(patches)
    if x.ndim not in (k + 1, k + 2):
        raise ValueError(f"`patches` has unexpected rank for {k}D reconstruction. Expected {k + 1} (unbatched) or "
                         f"{k + 2} (batched). Received shape: {tuple(x.shape)}")
    unbatched = x.ndim == k + 1
    if unbatched:
        x = knp.expand_dims(x, 0)
    if data_format == "channels_first":
        x = knp.moveaxis(x, 1, -1)
    b, grid, flat = x.shape[0], tuple(x.shape[1:1 + k]), x.shape[-1]
    volume = math.prod(size)
    if flat % volume:
        raise ValueError(f"`patches` last dim ({flat}) is not divisible by prod(size) ({volume}).")
    c = flat // volume
    names = ("depth", "height", "width")[-k:]
    for g, p, o, name in zip(grid, size, output_size, names):
        if padding == "valid" and g * p != o:
            raise ValueError("`padding='valid'` requires output_size to equal size * grid. "
                             f"Got output_size={tuple(output_size)}, grid={grid}, size={size}.")
        if padding == "same" and not g * p - p < o <= g * p:
            raise ValueError(f"For `padding='same'`, `output_size` {name} ({o}) must be in the range ((g-1)*p, g*p], i.e. "
                             f"({g * p - p}, {g * p}]. Got: grid={g}, patch={p}.")
    y = knp.reshape(x, (b,) + grid + size + (c,))
    perm = [0] + [v for i in range(k) for v in (1 + i, 1 + k + i)] + [2 * k + 1]
    y = knp.reshape(knp.transpose(y, perm), (b,) + tuple(g * p for g, p in zip(grid, size)) + (c,))
    if padding == "same":
        starts = [0] + [(g * p - o) // 2 for g, p, o in zip(grid, size, output_size)] + [0]
        y = _slice(y, starts, [b] + [int(o) for o in output_size] + [c])
    if data_format == "channels_first":
        y = knp.moveaxis(y, -1, 1)
    return knp.squeeze(y, 0) if unbatched else y


# ---------------------------------------------------------------- padding and cropping

def _validate_non_negative(value, name):
    if value is not None and value < 0:
        raise ValueError(f"{name} must be >= 0. Received: {name}={value}")


def _validate_two_of(a, b, target, dims):
    if [a, b, target].count(None) != 1:
        first, second, third = dims
        raise ValueError(f"Must specify exactly two of {first}, {second}, {third}. "
                         f"Received: {first}={a}, {second}={b}, {third}={target}")


@symbolic
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None, target_height=None,
               target_width=None, data_format=None):
    """Pads images with zeros: two of top_padding, bottom_padding, target_height (and of
    left_padding, right_padding, target_width) fix the third."""
    data_format = _data_format(data_format)
    x = convert_to_tensor(images)
    if x.ndim not in (3, 4):
        raise ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received: images.shape={tuple(x.shape)}")
    _validate_two_of(top_padding, bottom_padding, target_height, ("top_padding", "bottom_padding", "target_height"))
    _validate_two_of(left_padding, right_padding, target_width, ("left_padding", "right_padding", "target_width"))
    for v, name in ((top_padding, "top_padding"), (bottom_padding, "bottom_padding"), (target_height, "target_height"),
                    (left_padding, "left_padding"), (right_padding, "right_padding"), (target_width, "target_width")):
        _validate_non_negative(v, name)
    h_axis = x.ndim - 3 if data_format == "channels_last" else x.ndim - 2
    height, width = x.shape[h_axis], x.shape[h_axis + 1]
    if top_padding is None:
        top_padding = target_height - bottom_padding - height
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height
    if left_padding is None:
        left_padding = target_width - right_padding - width
    if right_padding is None:
        right_padding = target_width - left_padding - width
    for v, name in ((top_padding, "top_padding"), (left_padding, "left_padding"), (right_padding, "right_padding"),
                    (bottom_padding, "bottom_padding")):
        _validate_non_negative(v, name)
    x = _pad_axis(x, h_axis, int(top_padding), int(bottom_padding), 0)
    return _pad_axis(x, h_axis + 1, int(left_padding), int(right_padding), 0)


@symbolic
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None, target_height=None,
                target_width=None, data_format=None):
    """Crops images: two of top_cropping, bottom_cropping, target_height (and of left_cropping,
    right_cropping, target_width) fix the third."""
    data_format = _data_format(data_format)
    x = convert_to_tensor(images)
    if x.ndim not in (3, 4):
        raise ValueError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received: images.shape={tuple(x.shape)}")
    _validate_two_of(top_cropping, bottom_cropping, target_height, ("top_cropping", "bottom_cropping", "target_height"))
    _validate_two_of(left_cropping, right_cropping, target_width, ("left_cropping", "right_cropping", "target_width"))
    for v, name in ((top_cropping, "top_cropping"), (bottom_cropping, "bottom_cropping"), (target_height, "target_height"),
                    (left_cropping, "left_cropping"), (right_cropping, "right_cropping"), (target_width, "target_width")):
        _validate_non_negative(v, name)
    h_axis = x.ndim - 3 if data_format == "channels_last" else x.ndim - 2
    height, width = x.shape[h_axis], x.shape[h_axis + 1]
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping
    if target_width is None:
        target_width = width - right_cropping - left_cropping
    # the crop must fit: what is left below and to the right (Keras's symbolic check; its eager
    # JAX slice would clamp the start instead)
    for v, name in ((top_cropping, "top_cropping"), (target_height, "target_height"), (left_cropping, "left_cropping"),
                    (target_width, "target_width"), (height - target_height - top_cropping, "bottom_cropping"),
                    (width - target_width - left_cropping, "right_cropping")):
        _validate_non_negative(v, name)
    starts = [0] * x.ndim
    shape = list(x.shape)
    starts[h_axis], starts[h_axis + 1] = int(top_cropping), int(left_cropping)
    shape[h_axis], shape[h_axis + 1] = int(target_height), int(target_width)
    return _slice(x, starts, shape)
