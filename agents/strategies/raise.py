"""Raise: put prices up by a fraction when the economy turns down (protect margin)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from agents.strategies._trigger import DownturnTrigger, TriggerState
from agents.strategies.base import Decision, Observation
from sim.params import FROZEN
from sim.validation import check_range

__all__ = ["Raise"]


@dataclasses.dataclass(**FROZEN)
class Raise:
    """Post ``list * (1 + by)`` while the downturn trigger is on, list prices otherwise.

    With ``trigger.restore = never`` the raise is permanent once made.
    """

    kind: ClassVar[str] = "raise"
    by: float = 0.1
    trigger: DownturnTrigger = dataclasses.field(default_factory=DownturnTrigger)

    def __post_init__(self) -> None:
        check_range("by", self.by, 0.0, 5.0, low_open=True)

    def initial_state(self) -> TriggerState:
        return TriggerState()

    def decide(
        self, observation: Observation, state: TriggerState, rng: np.random.Generator
    ) -> tuple[Decision, TriggerState]:
        o = observation
        state = self.trigger.update(state, o.economy_index)
        price = o.list_price * (1.0 + self.by) if state.active else o.list_price.copy()
        return Decision(price=np.maximum(price, o.unit_cost)), state
