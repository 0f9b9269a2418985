"""Undercut: price a step below the lowest comparable rival, never below a cost floor."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from agents.strategies.base import Decision, Observation, floor_price, lowest_rival_price
from sim.params import FROZEN
from sim.validation import check_int, check_nonnegative, check_range

__all__ = ["Undercut"]


@dataclasses.dataclass(**FROZEN)
class Undercut:
    """Post ``(1 - by)`` times the lowest rival price on the same rung, ``lag`` periods late.

    Clipped to ``[unit_cost * (1 + floor_margin), list_price]``: an undercutter
    never prices above its own list nor below its cost floor; an offer whose rung no
    on-sale rival shares keeps its list price. State: recent targets.
    """

    kind: ClassVar[str] = "undercut"
    by: float = 0.05
    lag: int = 1
    floor_margin: float = 0.0

    def __post_init__(self) -> None:
        check_range("by", self.by, 0.0, 1.0, high_open=True)
        check_int("lag", self.lag, low=0)
        check_nonnegative("floor_margin", self.floor_margin)

    def initial_state(self) -> tuple[np.ndarray, ...]:
        return ()

    def decide(
        self, observation: Observation, state: tuple[np.ndarray, ...], rng: np.random.Generator
    ) -> tuple[Decision, tuple[np.ndarray, ...]]:
        o = observation
        rival = lowest_rival_price(o)
        has_rival = _rung_has_rival(o)  # a rung with no rival keeps its list price
        target = np.where(has_rival, rival * (1.0 - self.by), o.list_price)
        queue = (*state, target)[-(self.lag + 1):]
        seen = queue[0] if len(queue) == self.lag + 1 else o.list_price
        floor = floor_price(o, self.floor_margin)
        return Decision(price=np.clip(seen, floor, np.maximum(o.list_price, floor))), queue


def _rung_has_rival(o: Observation) -> np.ndarray:
    """Whether some on-sale rival sits on each own offer's rung, shape (own_offer,)."""
    on_sale = np.ones(o.rival_rung.shape, bool) if o.rival_on_sale is None else o.rival_on_sale
    return np.array([((o.rival_rung == r) & on_sale).any() for r in o.rung], dtype=bool)
