"""save_model / load_model / save_weights / load_weights.

A ``.keras`` file is an uncompressed zip of ``metadata.json``, ``config.json`` (the model's
architecture and compile arguments, as Keras lays them out) and ``model.weights.h5`` (HDF5, as
Keras writes it; ``model.weights.safetensors`` for bfloat16 models and in earlier kerasish files)
(every variable, named as Keras names its h5 groups: ``layers/<layer>/vars/<i>``, nested models
as ``layers/<model>/layers/<layer>/vars/<i>``, and ``optimizer/vars/<i>`` = iterations,
learning rate, then the slots). ``<layer>`` is the snake_case class name, ``_1``, ``_2``... for
repeats within one container, as Keras does, so that weights load into a freshly built model of the
same architecture whatever its auto-generated layer names.
"""
from __future__ import annotations

import contextlib
import datetime
import inspect
import json
import math
import os
import warnings

from kerasish import _core, losses, metrics, optimizers
from kerasish._core import __version__
from kerasish.backend.dtypes import INT_TYPES
from kerasish.layers.layer import WEIGHT_GUARD, Layer
from kerasish.metrics import metric_functions
from kerasish.naming import to_snake_case
from kerasish.saving import archive, h5_weights
from kerasish.saving import serialization_lib as ser

WEIGHTS_SUFFIXES = (".weights.safetensors", ".weights.h5")
MODEL_SUFFIXES = (".keras", ".h5")
LOAD_SLACK_VALUES = 1 << 20  # weight values a loaded config may ask for beyond the file's (see _weights_from_file)


def _is_file_like(obj):
    return hasattr(obj, "read") or hasattr(obj, "write")


def _path_str(filepath):
    try:
        return os.fspath(filepath)
    except TypeError:
        raise ValueError(f"Expected a file path (str or os.PathLike), got {type(filepath).__name__}") from None


# ---------------------------------------------------------------------------------------- variables
_SKIP = {}


def _keeps_layers(layer):
    """A Sequential or functional model (Keras saves their `layers` list first)."""
    return hasattr(layer, "_stack") or getattr(layer, "_graph", None) is not None


def _skipset(layer):
    """The attributes Keras's _walk_saveable does not visit: those every plain layer has."""
    key = "model" if _keeps_layers(layer) else "layer"
    if key not in _SKIP:
        _SKIP[key] = set(dir(Layer())) | ({"layers", "_graph", "_stack", "_layers"} if key == "model" else set())
    return _SKIP[key]


def _child_groups(layer):
    """(name, [layers]) in Keras's order: a Sequential's or functional model's `layers` first,
    then the attributes holding layers (or lists / dicts of them), public before private, by name."""
    if _keeps_layers(layer):
        yield "layers", list(layer.layers), True
    skip = _skipset(layer)
    for attr in sorted(dir(layer), key=lambda n: f"~{n}" if n.startswith("_") else n):
        if attr.startswith("__") or attr in skip:
            continue
        try:
            value = getattr(layer, attr)
        except Exception:
            continue
        if isinstance(value, Layer):
            yield attr, [value], False
        elif isinstance(value, (list, tuple, dict)):
            items = list(value.values()) if isinstance(value, dict) else list(value)
            if any(isinstance(v, Layer) for v in items):
                yield attr, items, True


def model_variables(model):
    """``[(key, variable)]`` of the model's variables (not the optimizer's), with the keys Keras's
    saving_lib gives them: a layer's own weights under `vars/<i>`, a sub-layer held by an
    attribute under the attribute's name (an LSTM's `cell/`), the layers of a list under the list's
    name and their class name (`layers/dense_1/`)."""
    out, seen = [], set()

    def walk(layer, prefix):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        for i, w in enumerate(layer.own_weights):
            out.append((f"{prefix}vars/{i}", w))
        for name, items, container in _child_groups(layer):
            if not container:
                walk(items[0], f"{prefix}{name}/")
                continue
            used = {}
            for child in items:
                if not isinstance(child, Layer):
                    continue
                base = to_snake_case(type(child).__name__)
                n = used.get(base, 0)
                used[base] = n + 1
                walk(child, f"{prefix}{name}/{base if n == 0 else f'{base}_{n}'}/")

    walk(model, "")
    return out


def optimizer_variables(optimizer):
    return [(f"optimizer/vars/{i}", v) for i, v in enumerate(optimizer.variables)]


def _all_variables(model):
    items = model_variables(model)
    opt = getattr(model, "optimizer", None)
    if opt is not None and hasattr(opt, "variables"):
        items += optimizer_variables(opt)
    return items


def _weights_bytes(model):
    items = _all_variables(model)
    return _core.safetensors_dumps([(k, v) for k, v in items], {"format": "kerasish", "keras_version": __version__})


def _label(key, variable):
    return f"{key!r} ({getattr(variable, 'path', '?')})"


def _group(key):
    return key.rsplit("vars/", 1)[0] or "<model>/"


def _same_kind(t, v):
    """t in v's dtype when both are integers of different widths (Keras on JAX stores int64 state,
    such as an optimizer's iteration count, as int32), else t as it is."""
    if t.dtype != v.dtype and t.dtype in INT_TYPES and v.dtype in INT_TYPES:
        return _core.convert_to_tensor(t, v.dtype)
    return t


def _check_and_assign(model, tensors, skip_mismatch=False, strict_optimizer=False, where="the weights file"):
    """Checks every saved tensor against the model's variables (names, shapes, dtypes), then
    assigns them all; nothing is assigned when a check fails."""
    if not isinstance(tensors, dict):
        tensors = dict(tensors)
    expected = model_variables(model)
    model_keys = {k for k, _ in expected}
    file_layer_keys = [k for k in tensors if not k.startswith("optimizer/")]
    assignments, problems, skipped = [], [], set()

    # group by layer, as Keras's skip_mismatch skips whole layers
    by_group = {}
    for k, v in expected:
        by_group.setdefault(_group(k), []).append((k, v))
    file_groups = {}
    for k in file_layer_keys:
        file_groups.setdefault(_group(k), []).append(k)
    for group, items in by_group.items():
        issues = []
        for k, v in items:
            t = tensors.get(k)
            if t is not None:
                t = tensors[k] = _same_kind(t, v)
            if t is None:
                issues.append(f"{_label(k, v)} with shape {tuple(v.shape)} is missing from {where}")
            elif tuple(t.shape) != tuple(v.shape):
                issues.append(f"{_label(k, v)} has shape {tuple(v.shape)} in the model but {tuple(t.shape)} in {where}")
            elif t.dtype != v.dtype:
                issues.append(f"{_label(k, v)} has dtype {v.dtype} in the model but {t.dtype} in {where}")
        extra = [k for k in file_groups.get(group, []) if k not in model_keys]
        if extra:
            issues.append(f"{where} holds {len(extra)} more variable(s) for this layer: {sorted(extra)}")
        if issues:
            if skip_mismatch:
                warnings.warn(f"Skipping loading weights for {group.rstrip('/')} due to mismatch: " + "; ".join(issues),
                              stacklevel=3)
                skipped.add(group)
                continue
            problems.extend(issues)
        else:
            assignments.extend((v, tensors[k]) for k, v in items)
    unknown = sorted(k for g, ks in file_groups.items() if g not in by_group for k in ks)
    if unknown:
        msg = (f"{where} holds {len(unknown)} variable(s) the model does not have: {unknown[:10]}"
               f"{' ...' if len(unknown) > 10 else ''} (different architecture, or the model is not built yet: "
               "build it, e.g. by calling it on a batch, before loading weights)")
        if skip_mismatch:
            warnings.warn("Skipping " + msg, stacklevel=3)
        else:
            problems.append(msg)
    if problems:
        raise ValueError(f"Cannot load weights into model {model.name!r}: " + "; ".join(problems))

    # optimizer state: only when the model has an optimizer (compiled)
    opt = getattr(model, "optimizer", None)
    saved_opt = sorted((k for k in tensors if k.startswith("optimizer/")), key=_opt_index)
    if opt is not None and saved_opt:
        for k in saved_opt:
            _opt_index(k)  # validates the name
        if not opt.built and len(saved_opt) > len(opt.variables):
            trainable = model.trainable_weights
            if trainable:
                opt.build(trainable)
        current = optimizer_variables(opt)
        names = [k for k, _ in current]
        if names != saved_opt:
            msg = (f"the optimizer {opt.name!r} has {len(current)} variables but {where} holds {len(saved_opt)} "
                   "optimizer variables")
            if strict_optimizer:
                raise ValueError(f"Cannot load the optimizer state of model {model.name!r}: {msg}")
            warnings.warn(f"Skipping variable loading for the optimizer: {msg}.", stacklevel=3)
        else:
            opt_problems = []
            for k, v in current:
                t = tensors[k] = _same_kind(tensors[k], v)
                if tuple(t.shape) != tuple(v.shape) or t.dtype != v.dtype:
                    opt_problems.append(f"{_label(k, v)} is {v.dtype}{tuple(v.shape)} in the optimizer but "
                                        f"{t.dtype}{tuple(t.shape)} in {where}")
            if opt_problems and not skip_mismatch:
                raise ValueError(f"Cannot load the optimizer state of model {model.name!r}: " + "; ".join(opt_problems))
            if opt_problems:
                warnings.warn("Skipping the optimizer state: " + "; ".join(opt_problems), stacklevel=3)
            else:
                assignments.extend((v, tensors[k]) for k, v in current)
    elif saved_opt:
        for k in saved_opt:
            _opt_index(k)
    for v, t in assignments:
        v.assign(t)


def _opt_index(key):
    parts = key.split("/")
    if len(parts) != 3 or parts[1] != "vars" or not parts[2].isdigit():
        raise ValueError(f"Invalid variable name {key!r} in the weights file (expected 'optimizer/vars/<index>')")
    return int(parts[2])


def _archive_tensors(members, where):
    """The weights of an archive's members: kerasish's safetensors, or the HDF5 Keras writes."""
    if archive.H5_WEIGHTS_FILENAME in members:
        return h5_weights.read_weights(members[archive.H5_WEIGHTS_FILENAME], where)
    return _load_tensors(members[archive.WEIGHTS_FILENAME], where)


def _load_tensors(data, where):
    if h5_weights.is_hdf5(data):  # a .weights.h5 file Keras wrote
        return h5_weights.read_weights(data, where)
    try:
        items, _meta = _core.safetensors_loads(data)
    except ValueError as e:
        raise ValueError(f"{where}: invalid weights data: {e}") from None
    except Exception as e:  # the engine's dtype errors and the like
        raise ValueError(f"{where}: invalid weights data: {type(e).__name__}: {e}") from None
    return dict(items)


@contextlib.contextmanager
def _weights_from_file(tensors, where):
    """While the config builds the model, the weights the layers ask for may hold no more values
    together than the file's (model) tensors do: the file bounds what loading allocates,
    whatever shapes the config asks for (a 1.6 KB config asking for a (2**34, 10) kernel is
    refused before anything is allocated). Weights that fit but differ from the file's are named
    afterwards, with both shapes, by _check_and_assign."""
    # a little over the file's own count, so that a model that differs from the file by a few
    # values still builds and gets _check_and_assign's message naming the weight and both shapes
    left = [sum(math.prod(t.shape) for k, t in tensors.items() if not k.startswith("optimizer/")) + LOAD_SLACK_VALUES]

    def claim(layer, shape):
        n = math.prod(shape)
        if n > left[0]:
            raise ValueError(f"the saved config gives layer {layer.name!r} a weight of shape {shape} ({n} values), "
                             f"more than the {left[0]} values left in the tensors of {where}'s weights "
                             f"(and {LOAD_SLACK_VALUES} more; a corrupt or hostile config); nothing was allocated for it")
        left[0] -= n

    token = WEIGHT_GUARD.set(claim)
    try:
        yield
    finally:
        WEIGHT_GUARD.reset(token)


# ---------------------------------------------------------------------------------------- compile config
def _serialize_loss(loss):
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, (list, tuple)):
        return [_serialize_loss(item) for item in loss]
    if isinstance(loss, dict):
        return {str(k): _serialize_loss(v) for k, v in loss.items()}
    if inspect.isclass(loss):
        loss = loss()
    if isinstance(loss, losses.Loss):
        out = losses.serialize(loss)
        if type(loss) is not getattr(losses, type(loss).__name__, None):
            out["module"] = type(loss).__module__
            out["registered_name"] = ser.get_registered_name(type(loss))
        return out
    if callable(loss):
        name = losses.serialize(loss)
        if losses.ALL_OBJECTS_DICT.get(name) is loss:
            return name
        return ser.get_registered_name(loss)
    raise ValueError(f"Cannot save the compiled loss {loss!r}")


def _serialize_metric(metric):
    if metric is None or isinstance(metric, str):
        return metric
    if isinstance(metric, (list, tuple)):
        return [_serialize_metric(m) for m in metric]
    if isinstance(metric, dict):
        return {str(k): _serialize_metric(v) for k, v in metric.items()}
    if inspect.isclass(metric):
        metric = metric()
    if isinstance(metric, metrics.Metric):
        out = metrics.serialize(metric)
        if metrics.ALL_OBJECTS_DICT.get(type(metric).__name__) is not type(metric):
            out["module"] = type(metric).__module__
            out["registered_name"] = ser.get_registered_name(type(metric))
        return out
    if callable(metric):
        name = getattr(metric, "__name__", None)
        if metric_functions.FUNCTIONS.get(name) is metric:
            return name
        return ser.get_registered_name(metric)
    raise ValueError(f"Cannot save the compiled metric {metric!r}")


def compile_config(opt, loss, loss_weights, metrics, weighted_metrics, run_eagerly):
    """compile()'s arguments as the .keras file records them (Trainer.get_compile_config)."""
    cfg = {
        "optimizer": optimizers.serialize(opt) if opt is not None else None,
        "loss": _serialize_loss(loss),
        "loss_weights": loss_weights,
        "metrics": _serialize_metric(metrics),
        "weighted_metrics": _serialize_metric(weighted_metrics),
        "run_eagerly": bool(run_eagerly),
        "steps_per_execution": 1,
        "jit_compile": False,
    }
    if opt is not None and optimizers.BUILTIN_OPTIMIZERS.get(type(opt).__name__.lower()) is not type(opt):
        cfg["optimizer"]["registered_name"] = ser.get_registered_name(type(opt))
    return ser.to_json_value(cfg, "the compile() arguments")


def _named(value, objs, kind, valid):
    if value in objs:
        return objs[value]
    if valid(value):
        return value
    raise ser.unknown_object_error(kind, value)


def _deserialize_loss(value, objs):
    def valid(name):
        return name in losses.ALL_OBJECTS_DICT or name.lower() in losses.SMART_NAMES

    if value is None:
        return None
    if isinstance(value, str):
        return _named(value, objs, "loss", valid)
    if isinstance(value, list):
        return [_deserialize_loss(v, objs) for v in value]
    if isinstance(value, dict) and "class_name" in value:
        class_name, config = ser.check_object_config(value, "loss")
        if class_name == "function":
            fn = value.get("config")
            if not isinstance(fn, str):
                raise ValueError(f"Invalid loss config: {value!r}")
            return _named(fn, objs, "loss", valid)
        reg = value.get("registered_name")
        if isinstance(reg, str) and reg in objs:
            value = {**value, "class_name": reg}
        elif class_name not in objs and not inspect.isclass(losses.ALL_OBJECTS_DICT.get(class_name)):
            raise ser.unknown_object_error("loss class", class_name)
        obj = losses.deserialize(value, custom_objects=objs)
        if not isinstance(obj, losses.Loss) and not callable(obj):
            raise ValueError(f"The saved loss {class_name!r} did not deserialize to a loss")
        return obj
    if isinstance(value, dict):
        return {str(k): _deserialize_loss(v, objs) for k, v in value.items()}
    raise ValueError(f"Invalid loss in compile_config: {value!r}")


def _deserialize_metric(value, objs):
    def valid(name):
        return name in metrics.ALL_OBJECTS_DICT or name.lower() in metrics.SMART_NAMES

    if value is None:
        return None
    if isinstance(value, str):
        return _named(value, objs, "metric", valid)
    if isinstance(value, list):
        return [_deserialize_metric(v, objs) for v in value]
    if isinstance(value, dict) and "class_name" in value:
        class_name, config = ser.check_object_config(value, "metric")
        if class_name == "function":
            return _named(value.get("config"), objs, "metric", valid) if isinstance(value.get("config"), str) else None
        reg = value.get("registered_name")
        if isinstance(reg, str) and reg in objs:
            value = {**value, "class_name": reg}
        elif class_name not in objs and not inspect.isclass(metrics.ALL_OBJECTS_DICT.get(class_name)):
            raise ser.unknown_object_error("metric class", class_name)
        obj = metrics.deserialize(value, custom_objects=objs)
        if not isinstance(obj, metrics.Metric):
            raise ValueError(f"The saved metric {class_name!r} did not deserialize to a Metric")
        return obj
    if isinstance(value, dict):
        return {str(k): _deserialize_metric(v, objs) for k, v in value.items()}
    raise ValueError(f"Invalid metric in compile_config: {value!r}")


def _deserialize_optimizer(value, objs):
    if value is None:
        return "rmsprop"
    if isinstance(value, str):
        return optimizers.get(value)
    class_name, config = ser.check_object_config(value, "optimizer")
    reg = value.get("registered_name")
    cls = None
    for key in (reg, class_name):
        if isinstance(key, str) and key in objs:
            cls = objs[key]
            break
    if cls is None:
        cls = optimizers.BUILTIN_OPTIMIZERS.get(class_name.lower())
    if cls is None:
        raise ser.unknown_object_error("optimizer", class_name)
    if not (inspect.isclass(cls) and issubclass(cls, optimizers.Optimizer)):
        raise ValueError(f"The saved optimizer {class_name!r} resolves to {cls!r}, which is not an Optimizer class")
    lr = config.get("learning_rate")
    if isinstance(lr, dict):
        ser.check_object_config(lr, "learning rate schedule")
    return cls.from_config(dict(config), custom_objects=objs)


def compile_from_config(model, cfg, objs):
    if not isinstance(cfg, dict):
        raise ValueError("Invalid compile_config: expected a JSON object")
    kwargs = {
        "optimizer": _deserialize_optimizer(cfg.get("optimizer"), objs),
        "loss": _deserialize_loss(cfg.get("loss"), objs),
        "metrics": _deserialize_metric(cfg.get("metrics"), objs),
        "weighted_metrics": _deserialize_metric(cfg.get("weighted_metrics"), objs),
        "run_eagerly": bool(cfg.get("run_eagerly", False)),
    }
    lw = cfg.get("loss_weights")
    if lw is not None:
        if not (isinstance(lw, (list, dict)) or isinstance(lw, (int, float))):
            raise ValueError(f"Invalid loss_weights in compile_config: {lw!r}")
        kwargs["loss_weights"] = lw
    model.compile(**kwargs)


# ---------------------------------------------------------------------------------------- public API
def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Saves the model as a ``.keras`` zip: config.json, metadata.json, model.weights.h5 (which
    Keras's load_model reads).
    The write is atomic (temporary file, fsync, rename)."""
    Model, _ = ser.model_classes()

    if kwargs:
        if "save_format" in kwargs:
            raise ValueError("The `save_format` argument is deprecated in Keras 3; save to a path ending in `.keras`.")
        raise ValueError(f"Unrecognized keyword arguments to save_model: {sorted(kwargs)}")
    if zipped is False:
        raise ValueError("Only zipped `.keras` archives are supported (zipped=False is not).")
    if not isinstance(model, Model):
        raise ValueError(f"save_model expects a kerasish Model, got {type(model).__name__}")
    if not _is_file_like(filepath):
        path = _path_str(filepath)
        if not str(path).endswith(MODEL_SUFFIXES):
            raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` extension for the "
                             f"native Keras format (recommended) or a `.h5` extension. Received: filepath={path}")
        if str(path).endswith(".h5"):
            warnings.warn("Saving to a `.h5` path writes kerasish's `.keras` zip format (there is no legacy HDF5 "
                          "writer); prefer the `.keras` extension.", stacklevel=3)
        archive.check_overwrite(path, overwrite)
    config = ser.serialize_layer(model)
    if getattr(model, "compiled", False):
        config["compile_config"] = model.get_compile_config()
    config_bytes = json.dumps(config).encode("utf-8")
    metadata = {"keras_version": __version__,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    # the weights as Keras writes them (HDF5, model.weights.h5), so that Keras loads the file;
    # bfloat16, which HDF5 cannot hold, keeps kerasish's safetensors member
    items = _all_variables(model)
    if any(v.dtype == "bfloat16" for _, v in items):
        weights = (archive.WEIGHTS_FILENAME, _weights_bytes(model))
    else:
        weights = (archive.H5_WEIGHTS_FILENAME, h5_weights.write_weights(items))
    members = [(archive.METADATA_FILENAME, json.dumps(metadata).encode("utf-8")),
               (archive.CONFIG_FILENAME, config_bytes), weights]
    archive.write_archive(filepath, members, overwrite=overwrite)


def _parse_json(data, name, where):
    try:
        value = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{where}: {name} is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{where}: {name} must hold a JSON object, got {type(value).__name__}")
    return value


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by :func:`save_model`. Class names resolve only against kerasish's own
    classes, registered objects and ``custom_objects``: nothing in the file is ever executed,
    imported or unpickled (``safe_mode`` is accepted for Keras compatibility; loading is always
    safe)."""
    Model, _ = ser.model_classes()

    where = "the file"
    if not _is_file_like(filepath) and not isinstance(filepath, (bytes, bytearray)):
        path = _path_str(filepath)
        where = repr(path)
        if not str(path).endswith(MODEL_SUFFIXES):
            raise ValueError(f"File format not supported: filepath={path}. kerasish loads `.keras` files (and the "
                             "`.h5` files its own save writes). Weights files load with `model.load_weights()`.")
    members = archive.read_archive(filepath)
    metadata = _parse_json(members[archive.METADATA_FILENAME], archive.METADATA_FILENAME, where)
    if not isinstance(metadata.get("keras_version", ""), str):
        raise ValueError(f"{where}: metadata.json has a non-string keras_version")
    config = _parse_json(members[archive.CONFIG_FILENAME], archive.CONFIG_FILENAME, where)
    tensors = _archive_tensors(members, where)
    del members
    objs = ser.get_custom_objects(custom_objects)
    try:
        with _weights_from_file(tensors, where):
            model = ser.deserialize_layer(config, objs)
        if not isinstance(model, Model):
            raise ValueError(f"The saved object is a {type(model).__name__}, not a model")
        if compile and config.get("compile_config") is not None:
            compile_from_config(model, config["compile_config"], objs)
        _check_and_assign(model, tensors, strict_optimizer=True, where="the saved weights")
    except ValueError as e:
        raise ValueError(f"Cannot load {where}: {e}") from None
    except MemoryError as e:
        raise ValueError(f"Cannot load {where}: the saved config asks for more memory than is available ({e})") from None
    except Exception as e:  # TypeError, KeyError, ZeroDivisionError... from a hostile or corrupt config
        raise ValueError(f"Cannot load {where}: the saved config is invalid ({type(e).__name__}: {e})") from e
    except BaseException as e:
        if type(e).__name__ == "PanicException":  # the engine refusing an impossible request
            raise ValueError(f"Cannot load {where}: the saved config is invalid (engine error: {e})") from e
        raise
    return model


def save_weights(model, filepath, overwrite=True):
    """Writes every variable of the model (and its optimizer's, when it has one) to a weights
    file; the path must end in ``.weights.safetensors`` (safetensors) or ``.weights.h5`` (HDF5 in
    Keras's layout, which Keras's load_weights reads)."""
    path = _path_str(filepath)
    if not str(path).endswith(WEIGHTS_SUFFIXES):
        raise ValueError("The filename must end in `.weights.h5` (HDF5, as Keras writes) or `.weights.safetensors`. "
                         f"Received: filepath={path}")
    archive.check_overwrite(path, overwrite)
    data = h5_weights.write_weights(_all_variables(model)) if str(path).endswith(".weights.h5") else _weights_bytes(model)
    archive.atomic_write(path, lambda f: f.write(data), overwrite=overwrite)


def load_weights(model, filepath, skip_mismatch=False):
    """Loads weights written by :func:`save_weights` (or the weights of a ``.keras`` file).
    Names, shapes and dtypes must match the model's (``skip_mismatch=True`` skips, with a
    warning, the layers that do not)."""
    path = _path_str(filepath)
    if str(path).endswith(WEIGHTS_SUFFIXES):
        if not os.path.exists(path):
            raise ValueError(f"File not found: filepath={path}")
        with archive.open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            if size > archive.MAX_TOTAL_SIZE:
                raise ValueError(f"{path!r} is {size} bytes, over the {archive.MAX_TOTAL_SIZE}-byte limit for weights files")
            data = f.read(size)
    elif str(path).endswith(MODEL_SUFFIXES):
        members = archive.read_archive(path, only=(archive.WEIGHTS_FILENAME, archive.H5_WEIGHTS_FILENAME))
        tensors = _archive_tensors(members, repr(path))
        _check_and_assign(model, tensors, skip_mismatch=skip_mismatch, where=repr(path))
        return
    else:
        raise ValueError("File format not supported: the filename must end in `.weights.h5`, `.weights.safetensors` "
                         f"or `.keras`. Received: filepath={path}")
    tensors = _load_tensors(data, repr(path))
    _check_and_assign(model, tensors, skip_mismatch=skip_mismatch, where=repr(path))
