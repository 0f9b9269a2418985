"""Pricing strategies, one module each, behind the :class:`Strategy` contract.

A strategy is found by its ``kind``: the module ``agents.strategies.<kind>``
holds a class whose ``kind`` attribute equals it. Adding a strategy is one
module, one YAML in ``configs/strategy/`` and one test class; nothing here
needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

from agents.strategies.base import Decision, Observation, Strategy
from sim.params import from_mapping
from sim.validation import ConfigError

__all__ = ["Decision", "Observation", "Strategy", "available", "strategy_class", "build"]


def available() -> tuple[str, ...]:
    """Kinds of strategy shipped in this package."""
    return tuple(sorted(
        m.name for m in pkgutil.iter_modules(__path__) if m.name not in ("base",)
        and not m.name.startswith("_")
    ))


def strategy_class(kind: str, field: str = "strategy.kind") -> type:
    """The strategy class for ``kind``; ConfigError naming the allowed kinds if none."""
    if not isinstance(kind, str) or kind not in available():
        raise ConfigError(field, kind, "one of " + ", ".join(available()))
    module = importlib.import_module(f"{__name__}.{kind}")
    for obj in vars(module).values():
        if isinstance(obj, type) and getattr(obj, "kind", None) == kind:
            return obj
    raise ConfigError(field, kind, "one of " + ", ".join(available()))


def build(data: Mapping[str, Any] | Strategy, path: str = "strategy") -> Strategy:
    """Build a strategy from ``{kind: ..., <its parameters>}``."""
    if isinstance(data, Strategy):
        return data
    if not isinstance(data, Mapping) or "kind" not in data:
        raise ConfigError(path, data, "a mapping with a 'kind' key")
    params = {k: v for k, v in data.items() if k != "kind"}
    return from_mapping(strategy_class(data["kind"], f"{path}.kind"), params, path)
