"""Journey experience: the value a firm's customer journey adds or destroys (MODEL.md §8).

Waiting (in queues and in hand-offs between departments) and being passed from one
department to the next cost a customer utility::

    experience_f = - beta_wait * wait_f - beta_handoff * handoffs_f

:class:`JourneyValue` is a value component (``name = "journey"``, see
:mod:`sim.value`). Before choosing, a shopper expects a firm's journey to be what it
was last period (its reputation: the situation's ``journey_wait`` and
``journey_handoffs``, shape (firm,)); after buying, the journey the buyer actually went
through lowers the benefit delivered by :meth:`JourneyValue.penalty`, so a slow journey
also costs satisfaction, bonds (churn) and word of mouth. It contributes nothing while
the situation carries no journey (journeys off).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.params import FROZEN
from sim.validation import check_nonnegative

if TYPE_CHECKING:  # sim.value lists JourneyValue in COMPONENTS: import it lazily (no cycle)
    from sim.value import ChoiceSituation, Contribution

__all__ = ["JourneyValue"]


@dataclasses.dataclass(**FROZEN)
class JourneyValue:
    """Utility lost to a journey's waiting and hand-offs.

    Parameters
    ----------
    enabled : bool
    beta_wait : float
        Utility lost per unit of time waited (hours by default), >= 0.
    beta_handoff : float
        Utility lost per hand-off between departments, >= 0 (being passed on and
        asked again, beyond the wait it causes).
    """

    name: ClassVar[str] = "journey"
    enabled: bool = True
    beta_wait: float = 0.5
    beta_handoff: float = 0.1

    def __post_init__(self) -> None:
        check_nonnegative("beta_wait", self.beta_wait)
        check_nonnegative("beta_handoff", self.beta_handoff)

    def penalty(self, wait: np.ndarray, handoffs: np.ndarray) -> np.ndarray:
        """Utility lost, ``beta_wait * wait + beta_handoff * handoffs`` (same shape)."""
        return self.beta_wait * np.asarray(wait) + self.beta_handoff * np.asarray(handoffs)

    def contribution(self, s: ChoiceSituation) -> Contribution:
        """Expected experience of each offer's firm, shape (offer, 1); nothing outside."""
        from sim.value import Contribution

        wait, handoffs = s.journey_wait, s.journey_handoffs
        if wait is None or handoffs is None:
            return Contribution()
        loss = np.nan_to_num(self.penalty(wait, handoffs))[s.offer_firm]  # NaN: no journey
        return Contribution((-loss).astype(np.float32)[:, None])
