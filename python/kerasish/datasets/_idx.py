"""Reading the IDX files MNIST is published in, and finding or fetching them.

Look-up order for a data set NAME with files F: the `path` argument (a directory holding F, or
a Keras-style .npz); $KERASISH_DATASETS/NAME/; the cache ~/.kerasish/datasets/NAME/ (or
$KERASISH_HOME/datasets/NAME/); else download from the mirrors, check each file's hash, and keep
it in the cache. A download is written to a temporary file and renamed into place only after its
hash matched, so a broken or corrupt download is never cached.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request

import numpy as np

_IDX_DTYPES = {0x08: np.uint8}


def parse_idx(data: bytes, what: str) -> np.ndarray:
    """Parses one (decompressed) IDX file, checking its header against its length."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(f"{what}: not an IDX file of unsigned bytes (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f"{what}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    count = 1
    for d in shape:
        count *= d
    if len(data) != header + count:
        raise ValueError(f"{what}: the header declares shape {shape} ({count} bytes) but the file holds "
                         f"{len(data) - header} bytes of data")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_idx_gz(path: str) -> np.ndarray:
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: cannot be read as a gzip file ({e})") from None
    return parse_idx(data, path)


def _digest(path: str, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_dir(name: str) -> str:
    home = os.environ.get("KERASISH_HOME") or os.path.join(os.path.expanduser("~"), ".kerasish")
    return os.path.join(home, "datasets", name)


def _download(url: str, dest: str, algo: str, expected: str, timeout: float) -> None:
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".download-")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            while True:
                chunk = resp.read(1 << 20)
                if not chunk:
                    break
                out.write(chunk)
        got = _digest(tmp, algo)
        if got != expected:
            raise ValueError(f"{url}: {algo} {got} does not match the published {expected}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def find_files(name: str, files: dict, mirrors: list, path=None, algo="sha256", timeout=60.0) -> dict:
    """Returns {file name: local path} for every file, looking in the places the module docstring lists."""
    candidates = []
    if path is not None:
        path = os.fspath(path)
        candidates += [path, os.path.join(path, name)]
    env = os.environ.get("KERASISH_DATASETS")
    if env:
        candidates.append(os.path.join(env, name))
    cache = cache_dir(name)
    candidates.append(cache)
    for d in candidates:
        if all(os.path.isfile(os.path.join(d, f)) for f in files):
            return {f: os.path.join(d, f) for f in files}
    if path is not None and not os.path.isdir(path):
        raise FileNotFoundError(f"{path}: no such data directory or file")
    errors = []
    for f, digest in files.items():
        dest = os.path.join(cache, f)
        if os.path.isfile(dest):
            continue
        for mirror in mirrors:
            try:
                _download(mirror + f, dest, algo, digest, timeout)
                break
            except (urllib.error.URLError, OSError, ValueError) as e:
                errors.append(f"  {mirror}{f}: {e}")
        else:
            raise OSError(
                f"Could not get the {name} data set: no local copy and no download succeeded.\n"
                + "\n".join(errors)
                + f"\nPut the files {', '.join(files)} in {cache} (or in a directory named by the environment "
                f"variable KERASISH_DATASETS, under {name}/), or pass path= to load_data."
            )
    return {f: os.path.join(cache, f) for f in files}


def load_four(name: str, files: dict, mirrors: list, path=None, algo="sha256"):
    """((x_train, y_train), (x_test, y_test)) from the four IDX files, or from a Keras-style .npz."""
    if path is not None and os.path.isfile(os.fspath(path)):
        with np.load(os.fspath(path), allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    paths = find_files(name, files, mirrors, path, algo)
    names = list(files)
    x_train, y_train, x_test, y_test = (read_idx_gz(paths[n]) for n in names)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError(f"{name}: images and labels differ in count")
    return (x_train, y_train), (x_test, y_test)
