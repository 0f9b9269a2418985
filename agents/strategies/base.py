"""The Strategy contract: a firm's pricing policy (STYLE.md §5).

A strategy is a small frozen parameter object. Each period it receives an
:class:`Observation` (only what a firm could know: its own prices, sales and
costs, rivals' posted prices, possibly lagged, and the economy index), its own
state from last period, and a generator; it returns a :class:`Decision` and its
new state. State is explicit and returned, never hidden in the object.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

__all__ = ["Observation", "Decision", "Strategy", "lowest_rival_price", "floor_price"]


@dataclasses.dataclass(frozen=True, slots=True)
class Observation:
    """The public market state a firm sees when it sets this period's prices.

    Attributes
    ----------
    period : int
        The period being decided.
    economy_index : float
        Last period's economy index (1 = normal).
    rung : ndarray of int, shape (own_offer,)
        Ladder rung of each own offer (0 = lowest).
    unit_cost : ndarray, shape (own_offer,)
        This period's unit cost of each own offer.
    list_price : ndarray, shape (own_offer,)
    price : ndarray, shape (own_offer,)
        Own prices posted last period.
    units : ndarray, shape (own_offer,)
        Own units sold last period.
    share : float
        Own share of last period's purchases.
    rival_price : ndarray, shape (rival_offer,)
        Rivals' posted prices as the firm sees them (after the information lag).
    rival_rung : ndarray of int, shape (rival_offer,)
    is_bundle : ndarray of bool, shape (own_offer,)
    menu : str
        The firm's current menu (see :mod:`agents.offers`).
    base_unit_cost : ndarray, shape (own_offer,)
        Unit cost before any cost shock (what the firm budgeted for).
    rival_on_sale : ndarray of bool, shape (rival_offer,), or None
        Whether each rival offer was on the menu when its price was seen (None: all).
    survey : ndarray, shape (own_offer, respondent), or None
        Stated willingness to pay, when the strategy asked for a survey
        (``survey_request(period)``) this period.
    """

    period: int
    economy_index: float
    rung: np.ndarray
    unit_cost: np.ndarray
    list_price: np.ndarray
    price: np.ndarray
    units: np.ndarray
    share: float
    rival_price: np.ndarray
    rival_rung: np.ndarray
    is_bundle: np.ndarray | None = None
    menu: str = "mixed"
    base_unit_cost: np.ndarray | None = None
    rival_on_sale: np.ndarray | None = None
    survey: np.ndarray | None = None

    @property
    def cost_index(self) -> float:
        """Current unit costs relative to budgeted ones (1 = no shock)."""
        if self.base_unit_cost is None or not (self.base_unit_cost > 0).any():
            return 1.0
        ok = self.base_unit_cost > 0
        return float(np.mean(self.unit_cost[ok] / self.base_unit_cost[ok]))


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    """What a firm posts this period.

    Attributes
    ----------
    price : ndarray, shape (own_offer,)
        List prices to post.
    menu : str or None
        Switch to this menu (None: keep the current one).
    concession : ndarray, shape (own_offer,), or None
        Price cut (fraction of the posted price) for buyers who commit.
    commitment : int
        Periods a buyer taking a concession commits for.
    """

    price: np.ndarray
    menu: str | None = None
    concession: np.ndarray | None = None
    commitment: int = 0


@runtime_checkable
class Strategy(Protocol):
    """A pricing policy: ``decide(observation, state, rng) -> (decision, state)``."""

    kind: ClassVar[str]

    def initial_state(self) -> Any: ...

    def decide(
        self, observation: Observation, state: Any, rng: np.random.Generator
    ) -> tuple[Decision, Any]: ...


def lowest_rival_price(observation: Observation) -> np.ndarray:
    """Lowest on-sale rival posted price on each own offer's ladder rung (list price if none).

    Bundles sit on rung -1, so they are compared with rivals' bundles only.

    Returns
    -------
    ndarray, shape (own_offer,)
    """
    o = observation
    target = o.list_price.astype(np.float64).copy()
    on_sale = np.ones(o.rival_rung.shape, bool) if o.rival_on_sale is None else o.rival_on_sale
    for k, rung in enumerate(o.rung):
        same = (o.rival_rung == rung) & on_sale
        if same.any():
            target[k] = o.rival_price[same].min()
    return target


def floor_price(observation: Observation, margin: float) -> np.ndarray:
    """The lowest price a cost-respecting strategy posts: ``unit_cost * (1 + margin)``."""
    return observation.unit_cost * (1.0 + margin)
