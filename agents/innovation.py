"""How firms keep up with disruption waves: lead, follow or cling (seed 002:1431, 002:1439).

A disruption driver (:class:`scenarios.drivers.Waves`) moves a technology frontier T_t;
customers judge each offer's disrupted attribute against it. A firm's *innovation
policy* sets the level L_f(t) it has adopted, added to its offers' attribute:

- ``lead``: adopts the frontier as it moves, L_f(t) = T_t;
- ``follow``: adopts what has proven itself, ``lag`` periods later, L_f(t) = T_{t-lag};
- ``cling``: keeps its tried-and-true offers, L_f(t) = 0.

Adopting costs ``adoption_cost`` per unit of level, booked as an investment in the
period of adoption, and a level gets cheaper to adopt as it ages (spillover: the cost
falls by ``spillover`` per period of the level's age), so followers pay less than
leaders for the same level, later. The model, not this module, decides who wins.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from sim.params import FROZEN
from sim.validation import check_choice, check_int, check_nonnegative, check_probability

__all__ = ["InnovationParams", "POLICIES", "adoption"]

POLICIES = ("lead", "follow", "cling")


@dataclasses.dataclass(**FROZEN)
class InnovationParams:
    """A firm's innovation policy under disruption.

    Attributes
    ----------
    policy : {"lead", "follow", "cling"}
    lag : int
        Periods a follower waits behind the frontier.
    adoption_cost : float
        Currency per unit of level adopted (at age 0).
    spillover : float
        Per-period fall of the cost of adopting a level as it ages, in [0, 1].
    """

    policy: str = "follow"
    lag: int = 6
    adoption_cost: float = 0.0
    spillover: float = 0.05

    def __post_init__(self) -> None:
        check_choice("policy", self.policy, POLICIES)
        check_int("lag", self.lag, low=1)
        check_nonnegative("adoption_cost", self.adoption_cost)
        check_probability("spillover", self.spillover)

    @property
    def age(self) -> int:
        """Age of the levels this policy adopts, in periods."""
        return self.lag if self.policy == "follow" else 0

    def levels(self, frontier: np.ndarray) -> np.ndarray:
        """Adopted level per period, shape (period,), for a frontier of shape (period,)."""
        if self.policy == "lead":
            return frontier.copy()
        if self.policy == "cling":
            return np.zeros_like(frontier)
        return np.concatenate([np.zeros(min(self.lag, frontier.size)), frontier[:-self.lag]])


def adoption(frontier: np.ndarray, policies: Sequence[InnovationParams]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Every firm's adopted level and its investment, per period.

    Parameters
    ----------
    frontier : ndarray, shape (period,)
        T_t, the technology frontier.
    policies : sequence of InnovationParams, length firm

    Returns
    -------
    levels : ndarray, shape (period, firm)
        L_f(t).
    investment : ndarray, shape (period, firm)
        ``adoption_cost * max(0, L_f(t) - L_f(t-1)) * (1 - spillover) ** age``.
    """
    levels = np.stack([p.levels(frontier) for p in policies], axis=1)
    step = np.diff(levels, axis=0, prepend=0.0).clip(min=0.0)
    price = np.array([p.adoption_cost * (1 - p.spillover) ** p.age for p in policies])
    return levels, step * price
