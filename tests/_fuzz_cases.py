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
import random
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
    for a, k, st, pad, dil in itertools.product(conv_inputs, kernels, [1, 0, 2**40], ["valid", "same", "full"],
                                                [1, 0, 3]):
        add(f"conv({a},{k},s={st},{pad},d={dil})",
            lambda a=a, k=k, st=st, pad=pad, dil=dil: ops.conv(inp[a](), kernels[k](), strides=st, padding=pad,
                                                               dilation_rate=dil))
    for f, a, ps, st, pad in itertools.product(["max_pool", "average_pool"], conv_inputs, [1, 2, 0, 50], [None, 1, 0],
                                               ["valid", "same", "x"]):
        add(f"{f}({a},{ps},{st},{pad})",
            lambda f=f, a=a, ps=ps, st=st, pad=pad: getattr(ops, f)(inp[a](), ps, strides=st, padding=pad))

    idxs = [5, -5, (0, 0, 0, 0, 0), slice(None, None, 0), 1.5, "a", [1.5], True, None, (None,) * 40, (Ellipsis, Ellipsis),
            [[0, 1], [1]], np.array([1.0]), np.array([[True]]), np.array([-(2**62)]), (slice(2**62, -(2**62), -(2**62)),),
            (slice(-(2**63), 2**63 - 1),), [], np.zeros((0, 1), np.int64)]
    for a, i in itertools.product(names, range(len(idxs))):
        add(f"getitem({a},{idxs[i]!r})", lambda a=a, i=i: inp[a]()[idxs[i]])

    for d in ["complex64", "float16", 5, object, "", None]:
        add(f"tensor(dtype={d!r})", lambda d=d: K.tensor([1, 2], dtype=d))
    for data in ["abc", [[1], [1, 2]], np.array([1 + 2j]), np.array(["x"]), {"a": 1}, object(), [None],
                 np.array([1], dtype=object), 2**70]:
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


# ---------------------------------------------------------------- random cases (seeded, bounded)
# Each "random:<i>" case draws, from its own seeded generator, an input of a random dtype, shape
# (sizes 0, 1 and small) and kind of view, then one op with arguments from a pool of hostile
# values (huge, negative and overflowing integers, empty and odd index expressions), and takes
# the gradient when the result is a float that records one.
N_RANDOM = 4000
DTYPES = ["bool", "uint8", "int64", "float32", "float64"]
BIG = [0, 1, -1, 2, 3, -2, 5, 2**31, -(2**31) - 1, 2**32 + 1, 2**45, 2**62, -(2**62), 2**63 - 1, -(2**63)]


def _r_int(r, small=6):
    return r.choice(BIG) if r.random() < 0.35 else r.randrange(-small, small + 1)


def _r_shape(r, rank=None, hostile=False):
    rank = r.randrange(0, 5) if rank is None else rank
    return tuple((abs(_r_int(r)) if hostile and r.random() < 0.3 else r.choice([0, 1, 1, 2, 2, 3, 4])) for _ in range(rank))


def _r_tensor(r, shape=None, dtype=None):
    shape = _r_shape(r) if shape is None else shape
    dtype = dtype or r.choice(DTYPES)
    rng = np.random.default_rng(r.randrange(2**32))
    base = rng.integers(-4, 9, size=shape) if dtype in ("bool", "uint8", "int64") else rng.normal(size=shape) * 3
    if dtype == "uint8":
        base = np.abs(base)
    t = K.tensor(base.astype(dtype), requires_grad=dtype.startswith("float") and r.random() < 0.5)
    return _r_view(r, t)


def _r_slice(r):
    pick = lambda: None if r.random() < 0.3 else _r_int(r, 4)  # noqa: E731
    step = None if r.random() < 0.5 else r.choice([1, 2, -1, -2, 3, 0, 2**62, -(2**62)])
    return slice(pick(), pick(), step)


def _r_view(r, t):
    kind = r.randrange(6)
    if t.ndim == 0 or kind == 0:
        return t
    if kind == 1:
        return t.T
    if kind == 2:
        return t[tuple(_r_slice(r) for _ in range(r.randrange(1, t.ndim + 1)))]
    if kind == 3:
        return ops.broadcast_to(t, (r.choice([1, 2, 3]),) + tuple(t.shape))
    if kind == 4 and t.shape[0] > 0:
        return t[r.randrange(t.shape[0])]
    return ops.expand_dims(t, 0)[:, ::-1] if t.ndim < 4 else t


def _r_index(r, t):
    items = []
    for _ in range(r.randrange(0, 4)):
        k = r.randrange(8)
        if k == 0:
            items.append(_r_int(r, 3))
        elif k == 1:
            items.append(_r_slice(r))
        elif k == 2:
            items.append([_r_int(r, 3) for _ in range(r.randrange(0, 4))])
        elif k == 3:
            items.append(None)
        elif k == 4:
            items.append(Ellipsis)
        elif k == 5:
            items.append(np.array([_r_int(r, 3) for _ in range(r.randrange(0, 3))], dtype=np.int64))
        elif k == 6:
            n = t.shape[len(items)] if len(items) < t.ndim else r.randrange(0, 3)
            items.append(np.array([r.random() < 0.5 for _ in range(n)], dtype=bool))
        else:
            items.append(_r_tensor(r, (r.randrange(0, 3),), "int64"))
    return tuple(items) if r.random() < 0.8 else (items[0] if items else ())


def _r_axis(r, nd):
    k = r.random()
    if k < 0.15:
        return None
    if k < 0.3:
        return tuple(_r_int(r, nd + 1) for _ in range(r.randrange(0, 3)))
    return _r_int(r, nd + 1)


def _random_case(i):
    r = random.Random(1_000_003 * i + 17)

    def run():
        x = _r_tensor(r)
        nd = x.ndim
        k = r.randrange(24)
        if k == 0:
            y = getattr(ops, r.choice(["add", "subtract", "multiply", "divide", "power", "maximum", "minimum",
                                       "floor_divide", "mod", "equal", "less", "greater_equal"]))(x, _r_tensor(r))
        elif k == 1:
            y = getattr(ops, r.choice(["sum", "mean", "max", "min", "var", "std", "logsumexp", "any", "all"]))(
                x, axis=_r_axis(r, nd), keepdims=r.random() < 0.5)
        elif k == 2:
            y = getattr(ops, r.choice(["argmax", "argmin"]))(x, axis=r.choice([None, _r_int(r, nd + 1)]))
        elif k == 3:
            y = ops.reshape(x, tuple(r.choice([-1, 0, 1, 2, 3, 6, _r_int(r)]) for _ in range(r.randrange(0, 4))))
        elif k == 4:
            y = ops.transpose(x, None if r.random() < 0.2 else tuple(_r_int(r, nd) for _ in range(nd + r.choice([-1, 0, 0, 1]))))
        elif k == 5:
            y = getattr(ops, r.choice(["expand_dims", "squeeze"]))(x, _r_int(r, nd + 1))
        elif k == 6:
            arg = _r_int(r) if r.random() < 0.5 else [_r_int(r, 4) for _ in range(r.randrange(0, 4))]
            y = ops.split(x, arg, axis=_r_int(r, nd))
        elif k == 7:
            y = getattr(ops, r.choice(["concatenate", "stack"]))([x, _r_tensor(r, tuple(x.shape), x.dtype)],
                                                                 axis=_r_int(r, nd + 1))
        elif k == 8:
            y = ops.take(x, _r_tensor(r, _r_shape(r, r.randrange(0, 3)), "int64"), axis=r.choice([None, _r_int(r, nd)]))
        elif k == 9:
            y = ops.take_along_axis(x, _r_tensor(r, tuple(x.shape), "int64"), axis=_r_int(r, nd))
        elif k in (10, 11, 12):
            y = x[_r_index(r, x)]
        elif k == 13:
            y = ops.one_hot(_r_tensor(r, dtype="int64"), _r_int(r))
        elif k == 14:
            shape = _r_shape(r, hostile=True)
            y = getattr(K, r.choice(["zeros", "ones"]))(shape) if r.random() < 0.5 else K.full(shape, 1.5)
        elif k == 15:
            y = K.arange(_r_int(r), r.choice([None, _r_int(r)]), r.choice([None, 1, -1, 3, 0.5, _r_int(r)]))
        elif k == 16:
            y = getattr(K.random, r.choice(["normal", "uniform"]))(_r_shape(r, hostile=True))
        elif k == 17:
            y = ops.broadcast_to(x, _r_shape(r, r.randrange(0, 6), hostile=r.random() < 0.3))
        elif k == 18:
            y = r.choice([ops.matmul, ops.dot])(x, _r_tensor(r))
        elif k == 19:
            img = _r_tensor(r, (r.randrange(0, 3), r.randrange(0, 6), r.randrange(0, 6), r.randrange(1, 3)), "float32")
            if r.random() < 0.5:
                ker = _r_tensor(r, (r.randrange(0, 4), r.randrange(0, 4), img.shape[-1], r.randrange(0, 3)), "float32")
                y = ops.conv(img, ker, strides=r.choice([1, 2, _r_int(r)]), padding=r.choice(["valid", "same"]),
                             dilation_rate=r.choice([1, 2, _r_int(r)]))
            else:
                y = getattr(ops, r.choice(["max_pool", "average_pool"]))(
                    img, r.choice([1, 2, 3, _r_int(r)]), strides=r.choice([None, 1, 2, _r_int(r)]),
                    padding=r.choice(["valid", "same"]))
        elif k == 20:
            y = getattr(ops, r.choice(["softmax", "log_softmax"]))(x, axis=r.choice([-1, _r_int(r, nd + 1)]))
        elif k == 21:
            y = ops.cast(x, r.choice(DTYPES))
        elif k == 22:
            y = K._core.permutation(abs(_r_int(r, 8)))
            return y
        else:
            y = K.eye(_r_int(r, 4), r.choice([None, _r_int(r, 4)]), k=_r_int(r, 3))
        for t in (y if isinstance(y, (list, tuple)) else [y]):
            if isinstance(t, K.Tensor) and t.requires_grad and t.dtype.startswith("float"):
                ops.sum(t).backward()
        return y

    return run


def all_cases():
    c = _cases()
    c.update({f"random:{i}": _random_case(i) for i in range(N_RANDOM)})
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
