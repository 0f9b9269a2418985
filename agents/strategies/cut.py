"""Cut: lower prices by a depth when the economy turns down; restore by a rule."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from agents.strategies._trigger import DownturnTrigger, TriggerState
from agents.strategies.base import Decision, Observation, floor_price
from sim.params import FROZEN
from sim.validation import check_nonnegative, check_range

__all__ = ["Cut"]


@dataclasses.dataclass(**FROZEN)
class Cut:
    """Post ``list * (1 - depth)`` while the downturn trigger is on, list prices otherwise.

    Never below ``unit_cost * (1 + floor_margin)``. Everyone sees the cut: it
    moves reference prices and, for quality-inferring customers, perceived quality.
    """

    kind: ClassVar[str] = "cut"
    depth: float = 0.15
    trigger: DownturnTrigger = dataclasses.field(default_factory=DownturnTrigger)
    floor_margin: float = 0.0

    def __post_init__(self) -> None:
        check_range("depth", self.depth, 0.0, 1.0, low_open=True, high_open=True)
        check_nonnegative("floor_margin", self.floor_margin)

    def initial_state(self) -> TriggerState:
        return TriggerState()

    def decide(
        self, observation: Observation, state: TriggerState, rng: np.random.Generator
    ) -> tuple[Decision, TriggerState]:
        o = observation
        state = self.trigger.update(state, o.economy_index)
        price = o.list_price * (1.0 - self.depth) if state.active else o.list_price.copy()
        return Decision(price=np.maximum(price, floor_price(o, self.floor_margin))), state
