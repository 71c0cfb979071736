"""Keras's ``{"module", "class_name", "config", "registered_name"}`` dicts for config-carrying
objects (initializers, regularizers), written and read by one pair of functions."""


def to_config(obj, module):
    """An object -> Keras's dict; a plain function -> Keras's ``{"class_name": "function"}`` form."""
    if obj is None:
        return None
    if not hasattr(obj, "get_config"):
        return {"module": "builtins", "class_name": "function", "config": getattr(obj, "__name__", repr(obj)),
                "registered_name": "function"}
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(), "registered_name": None}


def from_config(config, table, kind, valid_names, custom_objects=None):
    """The object a name or config dict describes, looked up in ``custom_objects`` then ``table``
    (never imported from the ``module`` it names)."""
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
