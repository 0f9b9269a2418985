"""Cost-plus: a fixed markup on the current unit cost (passes cost shocks through)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from agents.strategies.base import Decision, Observation
from sim.params import FROZEN
from sim.validation import check_nonnegative

__all__ = ["CostPlus"]


@dataclasses.dataclass(**FROZEN)
class CostPlus:
    """Post ``unit_cost * (1 + markup)`` for every offer, every period."""

    kind: ClassVar[str] = "cost_plus"
    markup: float = 0.8

    def __post_init__(self) -> None:
        check_nonnegative("markup", self.markup)

    def initial_state(self) -> None:
        return None

    def decide(
        self, observation: Observation, state: None, rng: np.random.Generator
    ) -> tuple[Decision, None]:
        return Decision(price=observation.unit_cost * (1.0 + self.markup)), None
