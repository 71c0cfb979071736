"""Objects registered for loading by name, as keras/src/saving/object_registration.py:
``register_keras_serializable`` and the ``custom_object_scope`` stack."""
import inspect
import threading

_GLOBAL_CUSTOM_OBJECTS = {}  # "package>name" -> object
_GLOBAL_CUSTOM_NAMES = {}  # id(object) -> "package>name"
_scope = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under ``"package>name"`` so that saved configs
    naming it load without ``custom_objects`` (as ``keras.saving.register_keras_serializable``)."""
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"`package` must be a string without '>', got {package!r}")

    def decorator(obj):
        serialized = name if name is not None else getattr(obj, "__name__", None)
        if not isinstance(serialized, str) or not serialized:
            raise ValueError(f"Cannot register {obj!r}: give it a `name`")
        key = f"{package}>{serialized}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[id(obj)] = key
        return obj

    return decorator


def get_registered_name(obj):
    """``"package>name"`` for a registered object, else its ``__name__``."""
    key = _GLOBAL_CUSTOM_NAMES.get(id(obj))
    if key is not None and _GLOBAL_CUSTOM_OBJECTS.get(key) is obj:
        return key
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    objs = get_custom_objects(custom_objects)
    if name in objs:
        return objs[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


class custom_object_scope:
    """``with custom_object_scope({"MyLayer": MyLayer}): load_model(...)``."""

    def __init__(self, custom_objects=None, *more):
        self.custom_objects = dict(custom_objects or {})
        for d in more:
            self.custom_objects.update(d or {})

    def __enter__(self):
        stack = getattr(_scope, "stack", None)
        if stack is None:
            stack = _scope.stack = []
        stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scope.stack.pop()


CustomObjectScope = custom_object_scope


def get_custom_objects(custom_objects=None):
    """The registered objects, then any scopes', then ``custom_objects`` (later ones win)."""
    out = dict(_GLOBAL_CUSTOM_OBJECTS)
    for d in getattr(_scope, "stack", None) or []:
        out.update(d)
    if custom_objects:
        if not isinstance(custom_objects, dict):
            raise ValueError(f"`custom_objects` must be a dict of name -> class or function, got {type(custom_objects).__name__}")
        out.update(custom_objects)
    return out
