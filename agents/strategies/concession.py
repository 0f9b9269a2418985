"""Concession: in a downturn, cut the price only for buyers who commit (a buyer concession)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from agents.strategies._trigger import DownturnTrigger, TriggerState
from agents.strategies.base import Decision, Observation
from sim.params import FROZEN
from sim.validation import check_int, check_range

__all__ = ["Concession"]


@dataclasses.dataclass(**FROZEN)
class Concession:
    """Keep list prices posted; while the trigger is on, give ``depth`` off to committing buyers.

    A buyer who takes the concession commits for ``commitment`` periods: they
    buy only from this firm while committed and do not lapse; their reference
    price follows the posted (list) price, so there is no loss when the
    concession ends, and the posted price sends no low-quality signal. The firm
    bears the discount on every conceded sale. Compare with ``cut`` of the same depth.
    """

    kind: ClassVar[str] = "concession"
    depth: float = 0.15
    commitment: int = 12
    trigger: DownturnTrigger = dataclasses.field(default_factory=DownturnTrigger)

    def __post_init__(self) -> None:
        check_range("depth", self.depth, 0.0, 0.95, low_open=True)
        check_int("commitment", self.commitment, low=1)

    def initial_state(self) -> TriggerState:
        return TriggerState()

    def decide(
        self, observation: Observation, state: TriggerState, rng: np.random.Generator
    ) -> tuple[Decision, TriggerState]:
        o = observation
        state = self.trigger.update(state, o.economy_index)
        depth = self.depth if state.active else 0.0
        # never concede below unit cost
        room = np.clip(1.0 - o.unit_cost / np.maximum(o.list_price, 1e-12), 0.0, 1.0)
        concession = np.minimum(depth, room)
        return Decision(price=o.list_price.copy(), concession=concession,
                        commitment=self.commitment), state
