"""Drivers: exogenous time paths (MODEL.md §9).

A driver is a frozen parameter object with ``path(n_periods) -> ndarray``.
The economy index e_t (1 = normal times) shrinks budgets, raises price
sensitivity and defers purchases of wants (MODEL.md §4); the unit-cost
multiplier scales every offer's unit cost; price transparency tau_t in [0, 1]
shrinks what non-insiders see of offers' non-price attributes (commoditisation).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from sim.params import FROZEN, from_mapping
from sim.validation import ConfigError, check_choice, check_int, check_probability, check_range

__all__ = ["Driver", "Steady", "Downturn", "Shock", "Ramp", "Waves", "DRIVERS", "build"]


@runtime_checkable
class Driver(Protocol):
    """An exogenous time path."""

    kind: ClassVar[str]

    def path(self, n_periods: int) -> np.ndarray: ...


@dataclasses.dataclass(**FROZEN)
class Steady:
    """A constant economy index."""

    kind: ClassVar[str] = "steady"
    level: float = 1.0

    def __post_init__(self) -> None:
        check_range("level", self.level, 0.0, 10.0, low_open=True)

    def path(self, n_periods: int) -> np.ndarray:
        """Economy index, shape (period,)."""
        return np.full(n_periods, self.level, dtype=np.float64)


SHAPES = ("V", "U", "L", "W")


@dataclasses.dataclass(**FROZEN)
class Downturn:
    """A downturn of ``depth`` starting at ``onset``, lasting ``duration`` periods.

    ``shape`` is the recovery shape: V (straight down and up), U (quick drop,
    flat bottom, quick recovery), L (quick drop, slow partial climb), W (two
    dips). ``recovery`` is the share of the loss regained by the end of the
    window; the index stays there afterwards. Period t takes the shape's value
    at the middle of the period, so even a one-period downturn shows.

    Examples
    --------
    >>> Downturn(depth=0.2, onset=2, duration=5, shape="V").path(9).round(2).tolist()
    [1.0, 1.0, 0.96, 0.88, 0.8, 0.88, 0.96, 1.0, 1.0]
    """

    kind: ClassVar[str] = "downturn"
    depth: float = 0.15
    onset: int = 12
    duration: int = 16
    shape: str = "U"
    recovery: float = 1.0

    def __post_init__(self) -> None:
        check_range("depth", self.depth, 0.0, 1.0, high_open=True)
        check_int("onset", self.onset, low=0)
        check_int("duration", self.duration, low=1)
        check_choice("shape", self.shape, SHAPES)
        if self.shape == "W" and self.duration < 2:
            raise ConfigError("duration", self.duration, "at least 2 periods for a W shape")
        check_probability("recovery", self.recovery)

    def dip(self, x: np.ndarray) -> np.ndarray:
        """Fraction of ``depth`` lost at window position x in [0, 1]."""
        tri = lambda z: np.clip(1 - np.abs(2 * z - 1), 0, 1)  # noqa: E731
        ramp = {
            "V": tri(x),
            "U": np.clip(np.minimum(x / 0.2, (1 - x) / 0.2), 0, 1),
            "L": np.where(x < 0.2, x / 0.2, 1 - (x - 0.2) / 0.8),
            "W": np.where(x < 0.5, tri(2 * x), tri(2 * x - 1)),
        }[self.shape]
        trough = {"V": 0.5, "U": 0.2, "L": 0.2, "W": 0.75}[self.shape]
        floor = (1 - self.recovery) * (x >= trough)
        return np.maximum(np.clip(ramp, 0, 1), floor)

    def path(self, n_periods: int) -> np.ndarray:
        """Economy index, shape (period,)."""
        t = np.arange(n_periods, dtype=np.float64)
        x = (t - self.onset + 0.5) / self.duration  # the shape at the middle of each period
        inside = (x >= 0) & (x <= 1)
        dip = np.where(inside, self.dip(np.clip(x, 0, 1)), 0.0)
        dip = np.where(x > 1, 1 - self.recovery, dip)
        return 1.0 - self.depth * dip


@dataclasses.dataclass(**FROZEN)
class Shock:
    """A step change: the level moves by ``size`` (a fraction) at ``onset``.

    It lasts ``duration`` periods (0 = for good), reached over ``ramp``
    periods. ``size=0.3`` raises a unit-cost multiplier from 1 to 1.3.

    Examples
    --------
    >>> Shock(size=0.5, onset=2, duration=3).path(7).tolist()
    [1.0, 1.0, 1.5, 1.5, 1.5, 1.0, 1.0]
    """

    kind: ClassVar[str] = "shock"
    size: float = 0.3
    onset: int = 12
    duration: int = 0
    ramp: int = 1

    def __post_init__(self) -> None:
        check_range("size", self.size, -1.0, 10.0, low_open=True)
        check_int("onset", self.onset, low=0)
        check_int("duration", self.duration, low=0)
        check_int("ramp", self.ramp, low=1)

    def path(self, n_periods: int) -> np.ndarray:
        """Level, shape (period,)."""
        t = np.arange(n_periods, dtype=np.float64)
        rise = np.clip((t - self.onset + 1) / self.ramp, 0.0, 1.0)
        if self.duration:
            rise = np.where(t >= self.onset + self.duration, 0.0, rise)
        return 1.0 + self.size * rise


@dataclasses.dataclass(**FROZEN)
class Ramp:
    """A level moving linearly from ``start`` to ``end`` over ``duration`` periods from
    ``onset``, and staying there (price transparency rising as a market commoditises).

    Examples
    --------
    >>> Ramp(start=0.0, end=0.8, onset=1, duration=4).path(7).round(2).tolist()
    [0.0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.8]
    """

    kind: ClassVar[str] = "ramp"
    start: float = 0.0
    end: float = 0.0
    onset: int = 0
    duration: int = 1

    def __post_init__(self) -> None:
        check_range("start", self.start, -10.0, 10.0)
        check_range("end", self.end, -10.0, 10.0)
        check_int("onset", self.onset, low=0)
        check_int("duration", self.duration, low=1)

    def path(self, n_periods: int) -> np.ndarray:
        """Level, shape (period,); period t takes the ramp's value at its middle."""
        t = np.arange(n_periods, dtype=np.float64)
        x = np.clip((t - self.onset + 0.5) / self.duration, 0.0, 1.0)
        return self.start + (self.end - self.start) * x


@dataclasses.dataclass(**FROZEN)
class Waves:
    """Disruption in waves (seed 002:1431): a technology frontier that steps up by ``step``
    at each onset, over ``duration`` periods, and then holds (a stable spell).

    Customers judge the ``dimension`` attribute of every offer against the frontier, so
    an offer that does not keep up loses value as each wave passes (see
    :class:`agents.innovation.InnovationParams` for how firms keep up).

    Examples
    --------
    >>> Waves(onsets=(1, 5), step=1.0, duration=2).path(8).tolist()
    [0.0, 0.25, 0.75, 1.0, 1.0, 1.25, 1.75, 2.0]
    """

    kind: ClassVar[str] = "waves"
    onsets: tuple[int, ...] = (8, 28)
    step: float = 1.0
    duration: int = 4
    dimension: str = "convenience"

    def __post_init__(self) -> None:
        onsets = self.onsets
        if isinstance(onsets, int) or not isinstance(onsets, (list, tuple)) or not onsets:
            raise ConfigError("onsets", onsets, "a non-empty list of periods")
        object.__setattr__(self, "onsets", tuple(onsets))
        for i, t in enumerate(self.onsets):
            check_int(f"onsets[{i}]", t, low=0)
        if list(self.onsets) != sorted(set(self.onsets)):
            raise ConfigError("onsets", list(self.onsets), "increasing periods")
        check_range("step", self.step, 0.0, 100.0, low_open=True)
        check_int("duration", self.duration, low=1)
        if not isinstance(self.dimension, str) or not self.dimension:
            raise ConfigError("dimension", self.dimension, "a value dimension's name")

    @property
    def onset(self) -> int:
        """The first wave's onset (checked against the horizon)."""
        return self.onsets[0]

    def path(self, n_periods: int) -> np.ndarray:
        """Technology frontier, shape (period,); 0 before the first wave."""
        t = np.arange(n_periods, dtype=np.float64)[:, None]
        rise = np.clip((t - np.array(self.onsets) + 0.5) / self.duration, 0.0, 1.0)
        return self.step * rise.sum(axis=1)


#: Drivers by ``kind``.
DRIVERS: dict[str, type] = {d.kind: d for d in (Steady, Downturn, Shock, Ramp, Waves)}


def build(data: Mapping[str, Any] | Driver, path: str = "economy") -> Driver:
    """Build a driver from ``{kind: ..., <its parameters>}``."""
    if isinstance(data, Driver):
        return data
    if not isinstance(data, Mapping) or data.get("kind") not in DRIVERS:
        kind = data.get("kind") if isinstance(data, Mapping) else data
        raise ConfigError(f"{path}.kind", kind, "one of " + ", ".join(DRIVERS))
    params = {k: v for k, v in data.items() if k != "kind"}
    return from_mapping(DRIVERS[data["kind"]], params, path)
