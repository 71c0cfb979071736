"""Odd-input cases for the fuzz tests in test_errors.py (not collected by pytest itself).

Run as a script, it executes the named cases (all by default) one after another and prints
one JSON line per case, so that the parent test can tell Python exceptions from crashes:
``{"case": ..., "outcome": "ok" | "exc", "type": ..., "msg": ..., "grad_mode": bool}``.
A ``BEGIN`` line is printed before each case, so a case that kills the process is known.
"""
from __future__ import annotations

import itertools
import json
import os
import sys

import numpy as np

import kerasish as K
from kerasish import ops


def _inputs():
    nan = np.array([np.nan, 1.0, np.inf, -np.inf], dtype=np.float32)
    return {
        "empty1": lambda: K.zeros((0,)),
        "empty2": lambda: K.zeros((0, 3)),
        "empty3": lambda: K.zeros((2, 0, 3)),
        "scalar0d": lambda: ops.sum(K.ones((2,))),
        "nan": lambda: K.tensor(nan),
        "ints": lambda: K.tensor([[1, 2], [3, -4]]),
        "bools": lambda: K.tensor([True, False, True]),
        "f64": lambda: K.tensor(np.ones((2, 3, 4))),
        "huge_vals": lambda: K.tensor(np.full((3,), 3e38, np.float32)),
        "img": lambda: K.tensor(np.ones((1, 3, 3, 2), np.float32)),
        "view": lambda: K.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4)).T[::-1],
        "size1": lambda: K.ones((1, 1, 1)),
    }


AXES = [None, 0, 1, -1, 3, -4, 2**40, -(2**40), 2**62, (0, 0), (0, 7), (), (-1, 0)]


def _cases():
    inp = _inputs()
    names = sorted(inp)
    cases = {}

    def add(name, fn):
        cases[name] = fn

    unary = ["negative", "abs", "square", "sqrt", "exp", "log", "log1p", "tanh", "sigmoid", "relu", "leaky_relu",
             "elu", "selu", "gelu", "softplus", "silu"]
    for u, a in itertools.product(unary, names):
        add(f"{u}({a})", lambda u=u, a=a: getattr(ops, u)(inp[a]()))
    add("gelu_erf(nan)", lambda: ops.gelu(inp["nan"](), approximate=False))

    binary = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "floor_divide", "mod",
              "equal", "less", "greater_equal"]
    for b, x, y in itertools.product(binary, names, names):
        add(f"{b}({x},{y})", lambda b=b, x=x, y=y: getattr(ops, b)(inp[x](), inp[y]()))
    for x, y in itertools.product(names, names):
        add(f"where({x},{y})", lambda x=x, y=y: ops.where(inp[x](), inp[y](), inp[x]()))
        add(f"matmul({x},{y})", lambda x=x, y=y: ops.matmul(inp[x](), inp[y]()))
        add(f"dot({x},{y})", lambda x=x, y=y: ops.dot(inp[x](), inp[y]()))
        add(f"concatenate({x},{y})", lambda x=x, y=y: ops.concatenate([inp[x](), inp[y]()], axis=1))
        add(f"stack({x},{y})", lambda x=x, y=y: ops.stack([inp[x](), inp[y]()], axis=-1))
        add(f"bce({x},{y})", lambda x=x, y=y: ops.binary_crossentropy(inp[x](), inp[y](), from_logits=True))
        add(f"cce({x},{y})", lambda x=x, y=y: ops.categorical_crossentropy(inp[x](), inp[y]()))
        add(f"scce({x},{y})", lambda x=x, y=y: ops.sparse_categorical_crossentropy(inp[x](), inp[y](), from_logits=True))
        add(f"take({x},{y})", lambda x=x, y=y: ops.take(inp[x](), inp[y](), axis=0))
        add(f"take_along_axis({x},{y})", lambda x=x, y=y: ops.take_along_axis(inp[x](), inp[y](), axis=-1))
        add(f"index({x}[{y}])", lambda x=x, y=y: inp[x]()[inp[y]()])
        add(f"clip({x},{y})", lambda x=x, y=y: ops.clip(inp[x](), inp[y](), 1.0))
        add(f"iadd({x},{y})", lambda x=x, y=y: _iadd(inp[x](), inp[y]()))

    reductions = ["sum", "mean", "max", "min", "var", "std", "logsumexp"]
    for r, a, ax, kd in itertools.product(reductions, names, AXES, [False, True]):
        add(f"{r}({a},axis={ax},keepdims={kd})", lambda r=r, a=a, ax=ax, kd=kd: getattr(ops, r)(inp[a](), axis=ax, keepdims=kd))
    for r, a, ax in itertools.product(["argmax", "argmin"], names, [None, 0, -1, 5, -9, 2**62]):
        add(f"{r}({a},{ax})", lambda r=r, a=a, ax=ax: getattr(ops, r)(inp[a](), axis=ax))
    for f, a, ax in itertools.product(["softmax", "log_softmax"], names, [None, 0, -1, 4, -(2**40)]):
        add(f"{f}({a},{ax})", lambda f=f, a=a, ax=ax: getattr(ops, f)(inp[a](), axis=ax))

    for a, perm in itertools.product(names, [None, (0,), (1, 0), (0, 0), (5,), (-1, 0), (2, 1, 0), (0, 1, 2, 3, 4)]):
        add(f"transpose({a},{perm})", lambda a=a, perm=perm: ops.transpose(inp[a](), perm))
    for a, shp in itertools.product(names, [(-1,), (-1, -1), (0,), (3, -1), (-2,), (), (1,) * 10, (0, -1), (2**62, 4)]):
        add(f"reshape({a},{shp})", lambda a=a, shp=shp: ops.reshape(inp[a](), shp))
    for a, ax in itertools.product(names, [0, -1, 4, -6, 2**62, -(2**62)]):
        add(f"expand_dims({a},{ax})", lambda a=a, ax=ax: ops.expand_dims(inp[a](), ax))
        add(f"squeeze({a},{ax})", lambda a=a, ax=ax: ops.squeeze(inp[a](), ax))
    for a, shp in itertools.product(names, [(), (0,), (3, 0), (2, 3, 4), (5, 1, 1, 1), (1, 2, 3, 4, 5)]):
        add(f"broadcast_to({a},{shp})", lambda a=a, shp=shp: ops.broadcast_to(inp[a](), shp))
    for a, s, ax in itertools.product(names, [0, 1, 2, 3, [], [5, 1], [0, 0]], [0, -1, 3]):
        add(f"split({a},{s},{ax})", lambda a=a, s=s, ax=ax: ops.split(inp[a](), s, axis=ax))
    for a, c in itertools.product(names, [0, 1, 3]):
        add(f"one_hot({a},{c})", lambda a=a, c=c: ops.one_hot(inp[a](), c))

    add("concatenate([])", lambda: ops.concatenate([]))
    add("stack([])", lambda: ops.stack([]))
    add("concatenate(0d)", lambda: ops.concatenate([inp["scalar0d"](), inp["scalar0d"]()]))

    conv_inputs = ["img", "empty3", "f64", "view", "size1", "scalar0d"]
    kernels = {
        "k2": lambda: K.ones((2, 2, 2, 1)),
        "k_badc": lambda: K.ones((2, 2, 5, 1)),
        "k_empty": lambda: K.ones((0, 2, 2, 1)),
        "k_big": lambda: K.ones((9, 9, 2, 1)),
        "k1d": lambda: K.ones((2, 3, 1)),
        "k2d": lambda: K.ones((2, 2)),
    }
    for a, k, st, pad, dil in itertools.product(conv_inputs, kernels, [1, 0, 2**40], ["valid", "same", "full"], [1, 0, 3]):
        add(f"conv({a},{k},s={st},{pad},d={dil})",
            lambda a=a, k=k, st=st, pad=pad, dil=dil: ops.conv(inp[a](), kernels[k](), strides=st, padding=pad, dilation_rate=dil))
    for f, a, ps, st, pad in itertools.product(["max_pool", "average_pool"], conv_inputs, [1, 2, 0, 50], [None, 1, 0], ["valid", "same", "x"]):
        add(f"{f}({a},{ps},{st},{pad})", lambda f=f, a=a, ps=ps, st=st, pad=pad: getattr(ops, f)(inp[a](), ps, strides=st, padding=pad))

    idxs = [5, -5, (0, 0, 0, 0, 0), slice(None, None, 0), 1.5, "a", [1.5], True, None, (None,) * 40, (Ellipsis, Ellipsis),
            [[0, 1], [1]], np.array([1.0]), np.array([[True]]), np.array([-(2**62)]), (slice(2**62, -(2**62), -(2**62)),),
            (slice(-(2**63), 2**63 - 1),), [], np.zeros((0, 1), np.int64)]
    for a, i in itertools.product(names, range(len(idxs))):
        add(f"getitem({a},{idxs[i]!r})", lambda a=a, i=i: inp[a]()[idxs[i]])

    for d in ["complex64", "float16", 5, object, "", None]:
        add(f"tensor(dtype={d!r})", lambda d=d: K.tensor([1, 2], dtype=d))
    for data in ["abc", [[1], [1, 2]], np.array([1 + 2j]), np.array(["x"]), {"a": 1}, object(), [None], np.array([1], dtype=object), 2**70]:
        add(f"tensor({type(data).__name__}:{str(data)[:20]})", lambda data=data: K.tensor(data))
    for shp in [(-1,), (2, -3), "ab", (1.5,), None]:
        add(f"zeros({shp!r})", lambda shp=shp: K.zeros(shp))
    add("arange(step=0)", lambda: K.arange(0, 5, 0))
    add("arange(nan)", lambda: K.arange(float("nan")))
    add("eye(-1)", lambda: K.eye(-1))
    add("randint(5,5)", lambda: K.random.randint((2,), 5, 5))
    add("normal(int dtype)", lambda: K.random.normal((2,), dtype="int64"))
    add("uniform(bad shape)", lambda: K.random.uniform((-2,)))

    add("backward(wrong grad shape)", lambda: (K.tensor(np.ones(3), requires_grad=True) * 2).backward(gradient=np.ones(4)))
    add("backward(int grad)", lambda: (K.tensor(np.ones(3), requires_grad=True) * 2).backward(gradient=np.ones(3, np.int64)))
    add("backward(no grad)", lambda: K.ones((2,)).backward())
    add("grad setter(bad shape)", lambda: setattr(K.tensor(np.ones(3), requires_grad=True), "grad", K.ones((2,))))
    add("item(empty)", lambda: K.zeros((0,)).item())
    add("len(0d)", lambda: len(inp["scalar0d"]()))
    add("bool(many)", lambda: bool(K.ones((2,))))
    add("int(nan)", lambda: int(inp["nan"]()[0]))
    add("astype(bad)", lambda: K.ones((2,)).astype("complex"))
    add("pow with modulus", lambda: pow(K.ones((2,)), 2, 3))
    add("to(gpu)", lambda: K.ones((2,)).to("gpu"))
    add("one_hot(num_classes=-1)", lambda: ops.one_hot(K.tensor([0]), -1))
    add("max_pool(pool_size=-1)", lambda: ops.max_pool(inp["img"](), -1))
    add("conv(strides=-1)", lambda: ops.conv(inp["img"](), K.ones((1, 1, 2, 1)), strides=-1))
    return cases


# Sizes whose element counts overflow or cannot be allocated: a ValueError or MemoryError is the
# right answer here (NumPy: "array is too big" / "Maximum allowed size exceeded"), never a crash.
SIZE_CASES = {
    "zeros((2**40, 2**40))": lambda: K.zeros((2**40, 2**40)),
    "zeros((2**32, 2**32))[5]": lambda: K.zeros((2**32, 2**32))[5],
    "ones((2**62,))": lambda: K.ones((2**62,)),
    "full((2**21,)*3)": lambda: K.full((2**21, 2**21, 2**21), 1.0),
    "random.normal((2**62,))": lambda: K.random.normal((2**62,)),
    "random.uniform((2**32, 2**32))": lambda: K.random.uniform((2**32, 2**32)),
    "arange(1e30)": lambda: K.arange(1e30),
    "arange(inf)": lambda: K.arange(float("inf")),
    "arange(0, 1, 1e-300)": lambda: K.arange(0, 1, 1e-300),
    "eye(2**40)": lambda: K.eye(2**40),
    "one_hot(num_classes=2**62)": lambda: ops.one_hot(K.tensor([1]), 2**62),
    "broadcast_to((2**40, 2**40))": lambda: ops.broadcast_to(K.ones((1,)), (2**40, 2**40)),
    "sum(broadcast_to((2**33, 2**33)))": lambda: ops.sum(ops.broadcast_to(K.ones((1, 1)), (2**33, 2**33))),
    "expand 40 dims": lambda: K.ones((1,) * 40),
}


def _deep_graph_dropped():
    """A graph of 200000 chained ops dropped without backward (its nodes are freed then)."""
    x = K.tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y * 1.0
    del y
    return x


def _deep_graph_retained():
    x = K.tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(200_000):
        y = y + 0.0
    y.backward(gradient=np.ones(1), retain_graph=True)
    del y
    return x.grad


DEEP_CASES = {"deep_graph_dropped": _deep_graph_dropped, "deep_graph_retained_then_dropped": _deep_graph_retained}


def _iadd(a, b):
    a += b
    return a


def _touch(r):
    """Reads a result, so that a tensor with a broken layout shows up here."""
    if isinstance(r, (list, tuple)):
        for x in r:
            _touch(x)
        return
    if isinstance(r, K.Tensor):
        a = r.numpy()
        if a.size and a.size < 10**7:
            np.asarray(a).sum()
        repr(r)


def all_cases():
    c = _cases()
    c.update({"size:" + k: v for k, v in SIZE_CASES.items()})
    c.update({"deep:" + k: v for k, v in DEEP_CASES.items()})
    return c


def _run(names):
    cases = all_cases()
    # KERASISH_FUZZ_DEVICE=gpu: every tensor the cases make lives on the GPU (test_gpu.py)
    if os.environ.get("KERASISH_FUZZ_DEVICE"):
        K.config.set_device(os.environ["KERASISH_FUZZ_DEVICE"])
    for n in names:
        print("BEGIN " + json.dumps(n), flush=True)
        rec = {"case": n}
        try:
            _touch(cases[n]())
            rec["outcome"] = "ok"
        except BaseException as e:  # noqa: BLE001 - PanicException derives from BaseException
            rec.update(outcome="exc", type=type(e).__name__, mro=[c.__name__ for c in type(e).__mro__], msg=str(e)[:300])
        rec["grad_mode"] = K.is_grad_enabled()
        if not rec["grad_mode"]:
            K._core.set_grad_enabled(True)
        print("END " + json.dumps(rec), flush=True)


def case_names():
    return list(all_cases())


if __name__ == "__main__":
    names = json.loads(sys.stdin.read()) if len(sys.argv) > 1 and sys.argv[1] == "-" else case_names()
    _run(names)
