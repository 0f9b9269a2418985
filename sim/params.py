"""Build frozen parameter dataclasses from plain mappings (parsed YAML, dicts).

One mechanism serves every parameter class: keys must be the dataclass's field
names (a misspelled key is an error that lists the allowed ones), nested
dataclasses, tuples and name-keyed mappings of dataclasses are built
recursively, and validation errors raised in ``__post_init__`` come back with
the full dotted path of the field. Hydra is not imported here: the config
layer hands over plain containers.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from sim.validation import ConfigError

__all__ = ["from_mapping", "to_mapping", "FROZEN", "FrozenMap"]

T = TypeVar("T")

#: The options every parameter class uses (STYLE §3).
FROZEN = dict(frozen=True, slots=True, kw_only=True)


class FrozenMap(Mapping):
    """An immutable, picklable, order-keeping mapping (for name-keyed parameter collections)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | None = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FrozenMap is immutable")

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __reduce__(self):
        return (FrozenMap, (self._data,))


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _convert(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, path) if len(inner) == 1 else value
    if _is_dataclass_type(tp):
        if dataclasses.is_dataclass(value):
            return value
        if hasattr(tp, "from_mapping"):
            if not isinstance(value, Mapping):
                raise ConfigError(path, value, f"a mapping of {tp.__name__} entries")
            return tp.from_mapping(value, path)
        return from_mapping(tp, value, path)
    if origin is tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ConfigError(path, value, "a list")
        item = args[0] if args else Any
        return tuple(_convert(item, v, f"{path}[{k}]") for k, v in enumerate(value))
    if origin in (dict, Mapping, typing.Mapping) or tp in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(path, value, "a mapping of name: value")
        item = args[1] if len(args) == 2 else Any
        if _is_dataclass_type(item) and "name" in {f.name for f in dataclasses.fields(item)}:
            # name-keyed collection: the key is the object's name
            out = {}
            for k, v in value.items():
                if not isinstance(v, Mapping) and not dataclasses.is_dataclass(v):
                    raise ConfigError(_join(path, k), v, f"a mapping of {item.__name__} fields")
                data = dict(v) if isinstance(v, Mapping) else v
                if isinstance(data, dict):
                    data.setdefault("name", str(k))
                out[str(k)] = _convert(item, data, _join(path, k))
            return FrozenMap(out)
        return FrozenMap(
            {str(k): _convert(item, v, _join(path, k)) for k, v in value.items()}
        )
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def from_mapping(cls: type[T], data: Any, path: str = "") -> T:
    """Build ``cls`` from a mapping whose keys are its field names.

    Parameters
    ----------
    cls : type
        A dataclass.
    data : Mapping
        Field values; nested mappings become nested dataclasses.
    path : str
        Dotted location of ``data`` in the whole config, for error messages.

    Raises
    ------
    ConfigError
        On an unknown key, a missing required field, or an invalid value.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(path or cls.__name__, data, f"a mapping of {cls.__name__} fields")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        allowed = ("one of " + ", ".join(sorted(fields)) if fields
                   else f"no keys ({cls.__name__} has no parameters)")
        raise ConfigError(_join(path, unknown[0]), "unknown key", allowed)
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], _join(path, name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(_join(path, name), "missing", f"a value for {cls.__name__}.{name}")
    try:
        return cls(**kwargs)
    except ConfigError as err:
        raise err.within(path) from None


def to_mapping(obj: Any) -> Any:
    """Plain containers (dict/list/float...) from a parameter object, for YAML/provenance."""
    if hasattr(obj, "to_mapping") and not isinstance(obj, type):
        return obj.to_mapping()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: to_mapping(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        kind = getattr(type(obj), "kind", None)
        if isinstance(kind, str) and "kind" not in out:
            out = {"kind": kind, **out}
        return out
    if isinstance(obj, Mapping):
        return {str(k): to_mapping(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_mapping(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):
        return obj.item()
    return obj
