"""Early, one-line validation of parameters.

Every check raises :class:`ConfigError`, whose message names the field, the value
received and what is allowed, so a bad config stops before the model runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "ConfigError",
    "check_choice",
    "check_finite",
    "check_int",
    "check_nonnegative",
    "check_positive",
    "check_probability",
    "check_range",
]


class ConfigError(ValueError):
    """A parameter or config value is invalid.

    Parameters
    ----------
    field : str
        Dotted path of the offending field, e.g. ``firms.a.tiers.good.price``.
    value : Any
        The value received.
    allowed : str
        What would have been accepted.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}: got {value!r}; allowed: {allowed}")

    def within(self, prefix: str) -> ConfigError:
        """The same error with ``prefix`` prepended to its field path."""
        field = f"{prefix}.{self.field}" if prefix else self.field
        return ConfigError(field, self.value, self.allowed)


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(field, value, "a number")
    return float(value)


def check_finite(field: str, value: Any) -> float:
    """Return ``value`` as float if it is a finite number."""
    x = _number(field, value)
    if not math.isfinite(x):
        raise ConfigError(field, value, "a finite number")
    return x


def check_range(
    field: str, value: Any, low: float, high: float, *, low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` if it lies in the interval between ``low`` and ``high``."""
    x = _number(field, value)
    if not math.isfinite(x):
        lb, rb = ("(" if low_open else "["), (")" if high_open else "]")
        raise ConfigError(field, value, f"a number in {lb}{low:g}, {high:g}{rb}")
    too_low = x <= low if low_open else x < low
    too_high = x >= high if high_open else x > high
    if too_low or too_high:
        lb, rb = ("(" if low_open else "["), (")" if high_open else "]")
        raise ConfigError(field, value, f"a number in {lb}{low:g}, {high:g}{rb}")
    return x


def check_positive(field: str, value: Any) -> float:
    """Return ``value`` if it is a finite number > 0."""
    x = _number(field, value)
    if not math.isfinite(x) or x <= 0:
        raise ConfigError(field, value, "a finite number > 0")
    return x


def check_nonnegative(field: str, value: Any) -> float:
    """Return ``value`` if it is a finite number >= 0."""
    x = _number(field, value)
    if not math.isfinite(x) or x < 0:
        raise ConfigError(field, value, "a finite number >= 0")
    return x


def check_probability(field: str, value: Any) -> float:
    """Return ``value`` if it is a probability in [0, 1]."""
    return check_range(field, value, 0.0, 1.0)


def check_int(field: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` if it is an integer within the optional bounds."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(field, value, "an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        raise ConfigError(field, value, f"an integer in [{lo}, {hi}]")
    return value


def check_choice(field: str, value: Any, options: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``options``."""
    options = tuple(options)
    if value not in options:
        raise ConfigError(field, value, "one of " + ", ".join(map(str, options)))
    return value


def check_vector(field: str, values: Sequence[Any], *, nonnegative: bool = True) -> tuple:
    """Return ``values`` as a tuple of finite floats (>= 0 unless told otherwise)."""
    check = check_nonnegative if nonnegative else check_finite
    return tuple(check(f"{field}[{k}]", v) for k, v in enumerate(values))
