"""Errors: the exception types and messages of bad calls, and a fuzz over odd inputs that must
give only Python exceptions of the expected families, never a Rust panic or a crash."""
import collections
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import _fuzz_cases
import kerasish as K
from kerasish import ops

FAMILIES = (ValueError, TypeError, IndexError, RuntimeError)
FAMILY_NAMES = {"ValueError", "TypeError", "IndexError", "RuntimeError"}


def raises_family(fn, family):
    """Calls fn, asserts it raises `family` (not a panic), returns the exception."""
    with pytest.raises(BaseException) as info:
        fn()
    e = info.value
    assert type(e).__name__ != "PanicException", f"Rust panic: {e}"
    assert isinstance(e, family), f"expected {family}, got {type(e).__name__}: {e}"
    return e


# ---------------------------------------------------------------- shape errors


def test_matmul_shape_error_message():
    e = raises_family(lambda: ops.matmul(K.ones((2, 3)), K.ones((2, 3))), ValueError)
    msg = str(e)
    assert "matmul" in msg and "(2, 3)" in msg and "inner dimensions 3 and 2 differ" in msg
    e = raises_family(lambda: K.ones((2, 3)) @ K.ones((4,)), ValueError)
    assert "matmul" in str(e) and "(4,)" in str(e)
    e = raises_family(lambda: ops.matmul(K.ones((2, 2, 3)), K.ones((3, 3, 1))), ValueError)
    assert "matmul" in str(e) and "(2, 2, 3)" in str(e) and "(3, 3, 1)" in str(e)
    raises_family(lambda: ops.matmul(K.ones((2,)), K.ones((3,))), ValueError)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "floor_divide", "mod"])
def test_broadcast_error_names_op_and_shapes(name):
    e = raises_family(lambda: getattr(ops, name)(K.ones((2, 3)), K.ones((4,))), ValueError)
    msg = str(e)
    assert name in msg and "(2, 3)" in msg and "(4,)" in msg


def test_broadcast_errors_other_ops():
    for fn in (
        lambda: K.ones((2, 3)) + K.ones((3, 2)),
        lambda: ops.equal(K.ones((2, 3)), K.ones((3, 2))),
        lambda: ops.where(K.ones((2, 3)) > 0, K.ones((3, 2)), 0.0),
        lambda: ops.broadcast_to(K.ones((2, 3)), (3, 3)),
        lambda: ops.clip(K.ones((2, 3)), K.zeros((3, 2)), 1.0),
    ):
        e = raises_family(fn, ValueError)
        assert "(2, 3)" in str(e) or "(3, 2)" in str(e), str(e)


def test_other_shape_errors():
    e = raises_family(lambda: ops.concatenate([K.ones((2, 3)), K.ones((2, 4))], axis=0), ValueError)
    assert "concatenate" in str(e) and "(2, 3)" in str(e) and "(2, 4)" in str(e)
    e = raises_family(lambda: ops.stack([K.ones((2,)), K.ones((3,))]), ValueError)
    assert "stack" in str(e)
    e = raises_family(lambda: ops.reshape(K.ones((2, 3)), (4, 2)), ValueError)
    assert "reshape" in str(e) and "(2, 3)" in str(e)
    raises_family(lambda: ops.reshape(K.ones((2, 3)), (-1, -1)), ValueError)
    e = raises_family(lambda: ops.conv(K.ones((1, 4, 4, 3)), K.ones((2, 2, 2, 1))), ValueError)
    assert "conv" in str(e)
    raises_family(lambda: ops.split(K.ones((5,)), 2), ValueError)
    raises_family(lambda: ops.squeeze(K.ones((2, 3)), 0), ValueError)
    raises_family(lambda: ops.transpose(K.ones((2, 3)), (0, 0)), ValueError)
    raises_family(lambda: ops.transpose(K.ones((2, 3)), (0,)), ValueError)
    e = raises_family(lambda: ops.binary_crossentropy(K.ones((2, 3)), K.ones((3, 2))), ValueError)
    assert "binary_crossentropy" in str(e)
    raises_family(lambda: ops.categorical_crossentropy(K.ones((2, 3)), K.ones((2, 4))), ValueError)
    raises_family(lambda: ops.sparse_categorical_crossentropy(K.tensor([0, 1, 2]), K.ones((2, 4))), ValueError)
    raises_family(lambda: ops.power(K.tensor([2]), K.tensor([-1])), ValueError)


@pytest.mark.parametrize("axis", [2, -3, 10])
def test_axis_out_of_range(axis):
    """NumPy raises AxisError (a ValueError and an IndexError); either family is fine."""
    x = K.ones((2, 3))
    for fn in (ops.sum, ops.max, ops.mean, ops.var, ops.logsumexp, ops.argmax, ops.softmax, ops.log_softmax, ops.squeeze):
        raises_family(lambda fn=fn: fn(x, axis=axis), (ValueError, IndexError))
    raises_family(lambda: ops.concatenate([x, x], axis=axis), (ValueError, IndexError))
    raises_family(lambda: ops.stack([x, x], axis=axis + 1 if axis > 0 else axis - 1), (ValueError, IndexError))
    raises_family(lambda: ops.split(x, 1, axis=axis), (ValueError, IndexError))
    raises_family(lambda: ops.take(x, K.tensor([0]), axis=axis), (ValueError, IndexError))
    raises_family(lambda: ops.expand_dims(x, axis + 1 if axis > 0 else axis - 1), (ValueError, IndexError))


# ---------------------------------------------------------------- dtype errors


def test_dtype_errors():
    e = raises_family(lambda: K.tensor([1, 2], dtype="float16x"), TypeError)
    assert "float16x" in str(e)
    raises_family(lambda: K.zeros((2,), dtype="complex64"), TypeError)
    raises_family(lambda: K.ones((2,)).astype("complex"), TypeError)
    raises_family(lambda: K.tensor(np.array([1 + 2j])), TypeError)
    # float labels to one_hot are Keras's (tests/test_linalg_shape.py), not an error
    raises_family(lambda: ops.take(K.ones((3,)), K.tensor([0.0, 1.0])), TypeError)
    raises_family(lambda: K.tensor([1, 2], requires_grad=True), TypeError)


def test_float_index_array_rejected():
    x = K.ones((3, 2))
    # NumPy raises IndexError here; either IndexError or TypeError is a fine Python answer
    e = raises_family(lambda: x[K.tensor([0.0, 1.0])], (TypeError, IndexError))
    assert "integer" in str(e)
    raises_family(lambda: x[np.array([1.0])], (TypeError, IndexError))
    raises_family(lambda: x[1.5], (TypeError, IndexError))


# ---------------------------------------------------------------- index errors


def test_index_errors():
    x = K.ones((3, 4))
    e = raises_family(lambda: x[3], IndexError)
    assert "3" in str(e)
    raises_family(lambda: x[-4], IndexError)
    raises_family(lambda: x[0, 4], IndexError)
    raises_family(lambda: x[0, -5], IndexError)
    e = raises_family(lambda: x[0, 0, 0], IndexError)
    assert "too many indices" in str(e)
    raises_family(lambda: x[..., 0, ...], IndexError)
    raises_family(lambda: x[K.tensor(np.array([True, False]))], IndexError)  # mask of wrong shape
    raises_family(lambda: x[K.tensor(np.ones((3, 3), bool))], IndexError)
    raises_family(lambda: x[K.tensor([0, 3])], IndexError)
    raises_family(lambda: x[:, K.tensor([-5])], IndexError)
    raises_family(lambda: x[K.tensor([0, 1]), K.tensor([0, 1, 2])], IndexError)  # cannot broadcast
    raises_family(lambda: ops.take(x, K.tensor([12])), IndexError)
    raises_family(lambda: ops.take(x, K.tensor([4]), axis=1), IndexError)
    raises_family(lambda: ops.take_along_axis(x, K.tensor([[3]]), axis=0), IndexError)
    raises_family(lambda: x["a"], IndexError)
    raises_family(lambda: x[True], IndexError)


# ---------------------------------------------------------------- value errors


@pytest.mark.parametrize(
    "call",
    [
        lambda p: ops.conv(K.ones((1, 4, 4, 1)), K.ones((2, 2, 1, 1)), padding=p),
        lambda p: ops.conv(K.ones((1, 4, 1)), K.ones((2, 1, 1)), padding=p),
        lambda p: ops.max_pool(K.ones((1, 4, 4, 1)), 2, padding=p),
        lambda p: ops.average_pool(K.ones((1, 4, 4, 1)), 2, padding=p),
        lambda p: K._core.conv(K.ones((1, 4, 4, 1)), K.ones((2, 2, 1, 1)), [1, 1], p, [1, 1]),
        lambda p: K._core.max_pool(K.ones((1, 4, 4, 1)), [2, 2], [2, 2], p),
    ],
    ids=["conv", "conv1d", "max_pool", "average_pool", "core.conv", "core.max_pool"],
)
@pytest.mark.parametrize("padding", ["full", "causal", ""])
def test_invalid_padding(call, padding):
    e = raises_family(lambda: call(padding), ValueError)
    assert "'valid'" in str(e) and "'same'" in str(e)


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0], [0, 100]])
@pytest.mark.parametrize("from_logits", [True, False])
def test_sparse_label_out_of_range(labels, from_logits):
    out = K.tensor(np.full((2, 3), 1 / 3))
    e = raises_family(lambda: ops.sparse_categorical_crossentropy(K.tensor(labels), out, from_logits=from_logits), ValueError)
    assert "label" in str(e)


def test_value_errors_misc():
    raises_family(lambda: ops.conv(K.ones((1, 4, 4, 1)), K.ones((2, 2, 1, 1)), strides=0), ValueError)
    raises_family(lambda: ops.max_pool(K.ones((1, 4, 4, 1)), 0), ValueError)
    raises_family(lambda: ops.conv(K.ones((1, 4, 4, 1)), K.ones((2, 2, 1, 1)), data_format="channels_first"), ValueError)
    raises_family(lambda: ops.where(K.ones((2,)) > 0), ValueError)
    raises_family(lambda: K.arange(0, 5, 0), ValueError)
    raises_family(lambda: K.random.randint((2,), 3, 1), ValueError)
    raises_family(lambda: K.random.normal((2,), dtype="int64"), ValueError)
    raises_family(lambda: ops.concatenate([]), ValueError)
    raises_family(lambda: ops.softmax(ops.sum(K.ones((2,)))), ValueError)
    raises_family(lambda: K.ones((2,)).to("cuda"), ValueError)
    raises_family(lambda: K.ones((2,)).item(), ValueError)


def test_negative_sizes_raise_value_error():
    """NumPy: "negative dimensions are not allowed" (ValueError)."""
    raises_family(lambda: K.eye(-1), ValueError)
    raises_family(lambda: ops.one_hot(K.tensor([0]), -1), ValueError)
    raises_family(lambda: K.zeros((-1, 2)), (ValueError, TypeError))


# ---------------------------------------------------------------- fuzz (in a subprocess: a crash must fail a test, not the run)

_SCRIPT = os.path.join(os.path.dirname(__file__), "_fuzz_cases.py")


def _run_isolated(names, timeout=240):
    """Runs the cases in child processes; a child that dies marks its case 'crash' and the rest
    run in a fresh child."""
    results = {}
    todo = list(names)
    # the cap bounds what the cases may hold (a request over it is a MemoryError), so a case that
    # asks for gigabytes the machine has does not take them
    env = dict(os.environ, RUST_BACKTRACE="0", KERASISH_MAX_MEMORY="2G")
    while todo:
        p = subprocess.run(
            [sys.executable, _SCRIPT, "-"], input=json.dumps(todo), capture_output=True, text=True, timeout=timeout, env=env,
            cwd=os.path.dirname(__file__),
        )
        current = None
        for line in p.stdout.splitlines():
            if line.startswith("BEGIN "):
                current = json.loads(line[6:])
            elif line.startswith("END "):
                rec = json.loads(line[4:])
                results[rec["case"]] = rec
                current = None
        if current is None:
            assert p.returncode == 0, p.stderr[-2000:]
            break
        results[current] = {"case": current, "outcome": "crash", "type": f"exit code {p.returncode}", "msg": p.stderr[-300:],
                            "grad_mode": True}
        todo = todo[todo.index(current) + 1 :]
    return results


def _group(name):
    if name.startswith(("size:", "deep:", "random:")):
        return name.split(":")[0]
    head = name.split("(")[0]
    groups = {
        "unary": {"negative", "abs", "square", "sqrt", "exp", "log", "log1p", "tanh", "sigmoid", "relu", "leaky_relu", "elu",
                  "selu", "gelu", "gelu_erf", "softplus", "silu"},
        "binary": {"add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "floor_divide", "mod", "equal", "less",
                   "greater_equal", "where", "clip", "iadd"},
        "reduction": {"sum", "mean", "max", "min", "var", "std", "logsumexp", "argmax", "argmin"},
        "linalg_shape": {"matmul", "dot", "concatenate", "stack", "transpose", "reshape", "expand_dims", "squeeze",
                         "broadcast_to", "split", "one_hot", "take", "take_along_axis"},
        "nn": {"softmax", "log_softmax", "bce", "cce", "scce", "conv", "max_pool", "average_pool"},
        "indexing": {"getitem", "index"},
    }
    for g, heads in groups.items():
        if head in heads:
            return g
    return "creation_misc"


GROUPS = ["unary", "binary", "reduction", "linalg_shape", "nn", "indexing", "creation_misc", "size", "deep", "random"]


@pytest.fixture(scope="module")
def fuzz_results():
    return _run_isolated(_fuzz_cases.case_names())


def test_fuzz_covers_many_cases(fuzz_results):
    assert len(fuzz_results) == len(_fuzz_cases.case_names()) > 5000
    c = collections.Counter(_group(n) for n in fuzz_results)
    assert all(c[g] > 0 for g in GROUPS), c
    # the odd inputs do reach both outcomes
    outcomes = collections.Counter(r["outcome"] for r in fuzz_results.values())
    assert outcomes["ok"] > 500 and outcomes["exc"] > 500, outcomes


@pytest.mark.parametrize("group", GROUPS)
def test_fuzz_only_python_exceptions(fuzz_results, group):
    allowed = set(FAMILY_NAMES)
    if group in ("size", "random"):
        allowed |= {"MemoryError"}  # what NumPy raises for allocations that cannot be made
    bad = collections.defaultdict(list)
    for name, r in fuzz_results.items():
        if _group(name) != group:
            continue
        if r["outcome"] == "crash":
            bad[("CRASH " + r["type"], r["msg"][-120:])].append(name)
        elif r["outcome"] == "exc" and not (set(r["mro"]) & allowed):
            bad[(r["type"], r["msg"][:120])].append(name)
        if not r["grad_mode"]:
            bad[("gradient recording left off", "")].append(name)
    if bad:
        lines = [f"{len(v)} x {k[0]}: {k[1]!r}; e.g. {v[:3]}" for k, v in sorted(bad.items(), key=lambda kv: -len(kv[1]))]
        pytest.fail("unexpected outcomes:\n" + "\n".join(lines))


# ---------------------------------------------------------------- impossible allocations


@pytest.mark.parametrize("make", [
    lambda: K.zeros((2**40,)),
    lambda: K.ones((2**36,)),
    lambda: K.random.normal((2**40,)),
    lambda: ops.matmul(K.zeros((2**20, 1)), K.zeros((1, 2**20))),
    lambda: K.layers.Dense(2**36)(K.zeros((1, 2))),
    lambda: K.arange(10**13),
    lambda: ops.exp(ops.broadcast_to(K.ones((1,)), (2**20, 2**20))),  # a view costs nothing, its result does
    lambda: ops.cast(ops.broadcast_to(K.ones((1,)), (2**20, 2**20)), "int64"),
    lambda: K.ones((1,)) + ops.broadcast_to(K.ones((1,)), (2**21, 2**21)),
    lambda: ops.sum(ops.broadcast_to(K.ones((1,)), (2**21, 2**21)) * 2.0),
    lambda: K._core.permutation(2**45),
    lambda: ops.split(K.zeros((0, 2)), 2**62),
], ids=["zeros", "ones", "normal", "outer_matmul", "dense", "arange", "exp_of_view", "cast_of_view", "add_view",
        "sum_of_product", "permutation", "split"])
def test_impossible_allocations_raise_memory_error_at_once(make):
    """Compared with what the machine can give before any memory is touched (reserving address
    space succeeds far past the RAM there is, so it is no check): a MemoryError naming the bytes."""
    import time

    t = time.perf_counter()
    e = raises_family(make, MemoryError)
    assert time.perf_counter() - t < 2.0
    msg = str(e)
    assert "bytes" in msg or "tensors" in msg, msg
    if "result of shape" in msg:
        assert "(" in msg and "memory available" in msg or "overflows" in msg, msg


def test_memory_cap_from_the_environment():
    """KERASISH_MAX_MEMORY caps what tensors may hold together (a MemoryError beyond it)."""
    code = (
        "import kerasish as K\n"
        "a = K.zeros((2**20,))\n"  # 4 MiB: fine
        "try:\n"
        "    K.zeros((2**27,))\n"  # 512 MiB: over the cap
        "except MemoryError as e:\n"
        "    print('refused', e)\n"
        "b = K.zeros((2**24,))\n"  # 64 MiB: fine
        "try:\n"
        "    [K.zeros((2**24,)) for _ in range(8)]\n"  # 8 x 64 MiB held together: over the cap
        "except MemoryError as e:\n"
        "    print('refused', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, KERASISH_MAX_MEMORY="256M"))
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert len(lines) == 2 and all(ln.startswith("refused") and "KERASISH_MAX_MEMORY" in ln for ln in lines), out.stdout
    assert "(134217728,)" in lines[0] and "512.0 MiB" in lines[0] and "256.0 MiB" in lines[0]


def test_copying_a_huge_broadcast_view_is_a_memory_error():
    """tensor() of a view copies all of it: refused by the allocator's check as a MemoryError
    (not a panic), like the ops on such a view."""
    view = ops.broadcast_to(K.ones((1,)), (2**20, 2**20))
    raises_family(lambda: K.tensor(view), MemoryError)
    raises_family(lambda: K.tensor(view, dtype="float64"), MemoryError)
