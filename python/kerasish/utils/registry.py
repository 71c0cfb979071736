"""The one registry helper behind every module's ``get`` / ``serialize`` / ``deserialize``
(activations, initializers, regularizers, losses, metrics, optimizers, schedules): each module
keeps a table of names (``ALL_OBJECTS_DICT``) and these functions do the rest. Objects are only
ever looked up in ``custom_objects`` and in that table, never imported from a ``module`` a
config names."""
import inspect


def valid_names(table, hidden=()):
    """The names a table accepts, for error messages."""
    return ", ".join(sorted(k for k in table if k not in hidden))


def get(identifier, deserialize, kind, valid, default=None, instantiate_classes=True):
    """``None`` -> `default`; a name or config dict -> `deserialize(identifier)`; a class -> a
    default instance (when `instantiate_classes`); a callable or instance -> itself."""
    if identifier is None:
        return default
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if instantiate_classes and inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Valid names are: {valid()}")


def to_config(obj, module, builtin=True):
    """An object -> Keras's ``{"module", "class_name", "config", "registered_name"}`` dict (a
    class of the user's: its own module and a registered name); a plain function -> Keras's
    ``{"class_name": "function"}`` form."""
    if obj is None:
        return None
    if not hasattr(obj, "get_config"):
        return {"module": "builtins", "class_name": "function", "config": getattr(obj, "__name__", repr(obj)),
                "registered_name": "function"}
    cls = type(obj)
    return {"module": module if builtin else cls.__module__, "class_name": cls.__name__, "config": obj.get_config(),
            "registered_name": None if builtin else cls.__name__}


def from_config(config, table, kind, valid_names, custom_objects=None):
    """The object a name or config dict describes (initializers, regularizers), looked up in
    ``custom_objects`` then ``table``."""
    if config is None:
        return None
    if isinstance(config, dict) and config.get("class_name") == "function":
        fn = (custom_objects or {}).get(config.get("config"))
        if fn is None:
            raise ValueError(f"Unknown function {config.get('config')!r}: pass it in `custom_objects`")
        return fn
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret {kind} identifier: {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or table.get(name)
    if cls is None:
        raise ValueError(f"Unknown {kind}: {name!r}. Valid names are: {valid_names}")
    return cls.from_config(config.get("config") or {})


def deserialize(config, table, kind, valid, custom_objects=None, instantiate_custom=True):
    """A class instance (from a config dict or a class name) or a function (from its name), for
    tables that hold both (losses, metrics); a class named in `custom_objects` is instantiated
    when `instantiate_custom`."""
    if config is None:
        return None
    if isinstance(config, dict):
        cls_name = config.get("class_name")
        cls = (custom_objects or {}).get(cls_name) or table.get(cls_name)
        if cls is None:
            raise ValueError(f"Unknown {kind}: {cls_name!r}. Valid names are: {valid()}")
        return cls.from_config(config.get("config") or {}) if inspect.isclass(cls) else cls
    if custom_objects and config in custom_objects:
        obj = custom_objects[config]
        return obj() if instantiate_custom and inspect.isclass(obj) else obj
    if isinstance(config, str) and config in table:
        obj = table[config]
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Unknown {kind}: {config!r}. Valid names are: {valid()}")
