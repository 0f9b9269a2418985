"""Hold: keep list prices whatever happens."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from agents.strategies.base import Decision, Observation
from sim.params import FROZEN

__all__ = ["Hold"]


@dataclasses.dataclass(**FROZEN)
class Hold:
    """Post the list price of every offer every period."""

    kind: ClassVar[str] = "hold"

    def initial_state(self) -> None:
        return None

    def decide(
        self, observation: Observation, state: None, rng: np.random.Generator
    ) -> tuple[Decision, None]:
        return Decision(price=observation.list_price.copy()), None
