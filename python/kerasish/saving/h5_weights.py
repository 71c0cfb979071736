"""Reading (and, for ``.weights.h5`` files, writing) the weights as Keras 3 lays them out:
``model.weights.h5`` in a ``.keras`` archive and
``.weights.h5`` files (HDF5, read with h5py). Keras's layout is kerasish's own key scheme
(saving_lib.model_variables): ``layers/<name>/vars/<i>``, nested models' ``layers/<name>/layers/...``,
``optimizer/vars/<i>``; each dataset becomes the tensor of that key.

The file is data, never code, and is bounded by its own size: only plain numeric datasets are
read (no object, string or compound dtypes); a dataset that would read other files (external
storage, virtual datasets; external links are not followed) or that is filtered (compressed,
so that it could inflate past the file) is refused, and every dataset must fit in the bytes the
file has before it is read."""
from __future__ import annotations

import io

import numpy as np

from kerasish import _core

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def is_hdf5(data):
    return bytes(data[:8]) == HDF5_SIGNATURE


def read_weights(data, where):
    """``{key: Tensor}`` of the HDF5 bytes `data` (Keras's weights layout)."""
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency
        raise ImportError(f"{where} holds HDF5 weights (as Keras writes them); reading them needs h5py "
                          "(`pip install h5py`)") from None
    if not is_hdf5(data):
        raise ValueError(f"{where}: the weights are not an HDF5 file")
    budget = len(data)
    out, problems = {}, []

    def visit(name, obj):
        if isinstance(obj, h5py.Group):
            return None
        if not isinstance(obj, h5py.Dataset):
            problems.append(f"{name!r} is a {type(obj).__name__}, not a dataset")
            return None
        dt = obj.dtype
        if dt.kind not in _KINDS or dt.names is not None or dt.subdtype is not None:
            problems.append(f"{name!r} has dtype {dt}, not a numeric dtype")
            return None
        if obj.is_virtual or obj.external:
            problems.append(f"{name!r} reads its data from other files")
            return None
        if obj.compression is not None or obj.scaleoffset is not None or obj.shuffle or obj.fletcher32:
            problems.append(f"{name!r} is filtered (compressed); Keras writes weights unfiltered")
            return None
        nbytes = int(np.prod(obj.shape, dtype=np.int64)) * dt.itemsize if obj.shape else dt.itemsize
        if nbytes > budget:
            problems.append(f"{name!r} declares shape {obj.shape} ({nbytes} bytes), more than the {len(data)}-byte file holds")
            return None
        out[name] = obj[()]
        return None

    try:
        with h5py.File(io.BytesIO(bytes(data)), "r") as f:
            f.visititems(visit)
    except ValueError:
        raise
    except Exception as e:  # corrupt or truncated HDF5: h5py's OSError, KeyError, ...
        raise ValueError(f"{where}: cannot read the HDF5 weights (corrupt or truncated?): {type(e).__name__}: {e}") from None
    if problems:
        raise ValueError(f"{where}: refusing the HDF5 weights: " + "; ".join(problems[:5]))
    # "layers/dense/vars/0" -> tensor; groups with no datasets (an InputLayer's) hold nothing
    return {k: _core.tensor(np.array(v, order="C")) for k, v in out.items()}


def write_weights(items):
    """HDF5 bytes of ``[(key, variable)]`` in Keras's layout (a group per ``.../vars``, one
    dataset per variable, unfiltered), which Keras's ``load_weights`` reads."""
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for key, v in items:
            if v.dtype == "bfloat16":
                raise ValueError(f"{key} is bfloat16, which HDF5 cannot hold; save to a `.weights.safetensors` "
                                 "file, which holds every kerasish dtype")
            try:
                f.create_dataset(key, data=v.numpy())
            except (TypeError, ValueError) as e:  # bfloat16: HDF5 has no such type
                raise ValueError(f"{key} ({v.dtype}) cannot be written to HDF5 ({e}); save to a "
                                 "`.weights.safetensors` file, which holds every kerasish dtype") from None
            group = key.rsplit("/", 1)[0]
            f[group].attrs["name"] = getattr(v, "path", key).split("/")[0]
    return buf.getvalue()
