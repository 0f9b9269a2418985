"""Match: follow the lowest comparable rival price after a lag, never below a cost floor."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from agents.strategies.base import Decision, Observation, floor_price, lowest_rival_price
from sim.params import FROZEN
from sim.validation import check_int, check_nonnegative

__all__ = ["Match"]


@dataclasses.dataclass(**FROZEN)
class Match:
    """Match the lowest rival price on the same ladder rung, ``lag`` periods late.

    Each own offer's price is the lowest rival price on the same rung as seen
    ``lag`` periods before the last observation, clipped to
    ``[unit_cost * (1 + floor_margin), list_price]`` (the floor wins if it is
    above the list price); offers with no rival on their rung keep the list
    price. Only rivals' on-sale offers count, bundles against bundles. The
    reaction comes ``lag`` periods after the firm *sees* a price, which is one
    period after it is posted plus the market's information lag. State: the
    queue of recent targets.
    """

    kind: ClassVar[str] = "match"
    lag: int = 1
    floor_margin: float = 0.05

    def __post_init__(self) -> None:
        check_int("lag", self.lag, low=0)
        check_nonnegative("floor_margin", self.floor_margin)

    def initial_state(self) -> tuple[np.ndarray, ...]:
        return ()

    def decide(
        self, observation: Observation, state: tuple[np.ndarray, ...], rng: np.random.Generator
    ) -> tuple[Decision, tuple[np.ndarray, ...]]:
        o = observation
        queue = (*state, lowest_rival_price(o))[-(self.lag + 1):]
        seen = queue[0] if len(queue) == self.lag + 1 else o.list_price
        floor = floor_price(o, self.floor_margin)
        price = np.clip(seen, floor, np.maximum(o.list_price, floor))
        return Decision(price=price), queue
