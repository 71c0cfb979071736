"""kerasish.datasets: every look-up branch, the download (from a local HTTP server), corrupt files."""
import functools
import gzip
import http.server
import os
import shutil
import threading

import numpy as np
import pytest

from kerasish.datasets import _idx, fashion_mnist, mnist

SHARED = os.environ.get("KERASISH_DATASETS") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets")
MNIST_DIR = os.path.join(SHARED, "mnist")
pytestmark = pytest.mark.skipif(not os.path.isdir(MNIST_DIR), reason="needs the MNIST files (KERASISH_DATASETS)")


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    """No KERASISH_DATASETS, and an empty cache under a temporary home."""
    monkeypatch.delenv("KERASISH_DATASETS", raising=False)
    monkeypatch.setenv("KERASISH_HOME", str(tmp_path / "home"))
    return tmp_path


def _check(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert x_train.max() == 255 and x_train.min() == 0
    assert set(np.unique(y_test).tolist()) == set(range(10))


def test_from_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("KERASISH_DATASETS", SHARED)
    monkeypatch.setenv("KERASISH_HOME", str(tmp_path))
    _check(mnist.load_data())


def test_from_path_argument(no_env):
    _check(mnist.load_data(path=MNIST_DIR))
    _check(mnist.load_data(path=SHARED))  # a directory holding mnist/


def test_from_npz_path(no_env, tmp_path):
    (a, b), (c, d) = mnist.load_data(path=MNIST_DIR)
    p = tmp_path / "mnist.npz"
    np.savez(p, x_train=a[:10], y_train=b[:10], x_test=c[:5], y_test=d[:5])
    (a2, b2), (c2, d2) = mnist.load_data(path=str(p))
    assert a2.shape == (10, 28, 28) and np.array_equal(b2, b[:10]) and np.array_equal(c2, c[:5])


def test_from_cache(no_env):
    cache = _idx.cache_dir("mnist")
    shutil.copytree(MNIST_DIR, cache)
    _check(mnist.load_data())


def test_missing_path_is_a_clear_error(no_env):
    with pytest.raises(FileNotFoundError, match="no such data directory"):
        mnist.load_data(path=str(no_env / "nowhere"))


class _Server:
    """Serves a directory on 127.0.0.1; counts requests."""

    def __init__(self, directory):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
        handler.log_message = lambda *a, **k: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "srv"
    shutil.copytree(MNIST_DIR, root)
    s = _Server(root)
    yield s, root
    s.close()


def test_download_checks_hash_and_caches(no_env, server, monkeypatch):
    s, _ = server
    monkeypatch.setattr(mnist, "MIRRORS", ["http://127.0.0.1:9/unreachable/", s.url])
    _check(mnist.load_data())
    cache = _idx.cache_dir("mnist")
    assert sorted(os.listdir(cache)) == sorted(mnist.FILES)
    # the second call reads the cache: the server is gone
    s.close()
    _check(mnist.load_data())


def test_corrupt_download_is_detected_and_not_cached(no_env, server, monkeypatch):
    s, root = server
    p = root / "train-labels-idx1-ubyte.gz"
    data = bytearray(p.read_bytes())
    data[100] ^= 0xFF
    p.write_bytes(bytes(data))
    monkeypatch.setattr(mnist, "MIRRORS", [s.url])
    with pytest.raises(OSError) as e:
        mnist.load_data()
    msg = str(e.value)
    assert "does not match" in msg and "KERASISH_DATASETS" in msg and "train-labels-idx1-ubyte.gz" in msg
    cache = _idx.cache_dir("mnist")
    assert "train-labels-idx1-ubyte.gz" not in os.listdir(cache)
    assert not [f for f in os.listdir(cache) if f.startswith(".download")]


def test_offline_without_copy_says_where_to_put_files(no_env, monkeypatch):
    monkeypatch.setattr(mnist, "MIRRORS", ["http://127.0.0.1:9/"])
    with pytest.raises(OSError, match="Put the files"):
        mnist.load_data()


def test_fashion_mnist_uses_the_same_code(no_env, tmp_path, monkeypatch):
    # serve MNIST's files under fashion's names with fashion's digests replaced by theirs
    monkeypatch.setattr(fashion_mnist, "FILES", {k: _idx._digest(os.path.join(MNIST_DIR, k), "md5") for k in mnist.FILES})
    root = tmp_path / "fashion"
    shutil.copytree(MNIST_DIR, root)
    s = _Server(root)
    try:
        monkeypatch.setattr(fashion_mnist, "MIRRORS", [s.url])
        _check(fashion_mnist.load_data())
        assert os.path.isdir(_idx.cache_dir("fashion-mnist"))
    finally:
        s.close()


@pytest.mark.parametrize("damage", ["magic", "truncated", "header", "not-gzip"])
def test_corrupt_local_files_raise_clear_errors(no_env, tmp_path, damage):
    d = tmp_path / "bad"
    shutil.copytree(MNIST_DIR, d)
    p = d / "t10k-labels-idx1-ubyte.gz"
    raw = gzip.decompress(p.read_bytes())
    if damage == "magic":
        raw = b"\x00\x00\x0d\x01" + raw[4:]
    elif damage == "truncated":
        raw = raw[:-10]
    elif damage == "header":
        raw = raw[:4] + (10**9).to_bytes(4, "big") + raw[8:]
    if damage == "not-gzip":
        p.write_bytes(b"this is not gzip data")
    else:
        p.write_bytes(gzip.compress(raw))
    with pytest.raises(ValueError):
        mnist.load_data(path=str(d))
