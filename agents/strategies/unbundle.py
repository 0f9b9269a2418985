"""Unbundle: switch the menu when a unit-cost shock passes a trigger."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from agents.offers import MENUS
from agents.strategies.base import Decision, Observation
from sim.params import FROZEN
from sim.validation import check_choice, check_range

__all__ = ["Unbundle"]


@dataclasses.dataclass(**FROZEN)
class Unbundle:
    """Hold list prices; once unit costs exceed budget by ``trigger``, switch to ``menu_after``.

    The usual move is from pure ``bundles`` to ``mixed`` or ``components``: an
    unbundled low option keeps the price-sensitive when costs force the bundle
    up. ``pass_through`` is the share of the cost increase added to prices
    from then on. State: whether the switch has happened.
    """

    kind: ClassVar[str] = "unbundle"
    trigger: float = 0.15
    menu_after: str = "mixed"
    pass_through: float = 0.0

    def __post_init__(self) -> None:
        check_range("trigger", self.trigger, 0.0, 10.0, low_open=True)
        check_choice("menu_after", self.menu_after, MENUS)
        check_range("pass_through", self.pass_through, 0.0, 1.0)

    def initial_state(self) -> bool:
        return False

    def decide(
        self, observation: Observation, state: bool, rng: np.random.Generator
    ) -> tuple[Decision, bool]:
        o = observation
        switched = state or o.cost_index >= 1.0 + self.trigger
        base = o.base_unit_cost if o.base_unit_cost is not None else o.unit_cost
        extra = self.pass_through * (o.unit_cost - base) if switched else 0.0
        price = o.list_price + extra
        return Decision(price=price, menu=self.menu_after if switched else None), switched
