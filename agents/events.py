"""Dated events on firms (MODEL.md §9): entry into the market and price wars.

An entrant is a firm with ``entry_period > 0``: until then its offers are off the
market, it does not advertise, and nobody knows it (it starts with no awareness);
from then on it competes with its offers and strategy like any firm. Several
entrants with different entry periods make a wave.

A price war is a window in which a firm prices every offer at most
``(1 - depth)`` times its list price, whatever its strategy says.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.params import FROZEN
from sim.validation import check_int, check_range

__all__ = ["PriceWar"]


@dataclasses.dataclass(**FROZEN)
class PriceWar:
    """A firm's price war: from ``start`` for ``duration`` periods, prices at most
    ``(1 - depth) * list price``.

    Examples
    --------
    >>> PriceWar(start=2, duration=3, depth=0.2).active(np.arange(6)).tolist()
    [False, False, True, True, True, False]
    """

    start: int = 12
    duration: int = 8
    depth: float = 0.25

    def __post_init__(self) -> None:
        check_int("start", self.start, low=0)
        check_int("duration", self.duration, low=1)
        check_range("depth", self.depth, 0.0, 1.0, low_open=True, high_open=True)

    def active(self, period: np.ndarray | int) -> np.ndarray | bool:
        """Whether the war is on in ``period``."""
        return (period >= self.start) & (period < self.start + self.duration)

    def ceiling(self, list_price: np.ndarray) -> np.ndarray:
        """The highest price allowed while the war is on, shape of ``list_price``."""
        return list_price * (1.0 - self.depth)
