"""What is on the market in one period: posted prices, menus, concessions, unit costs."""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["MarketOffers"]


@dataclasses.dataclass(frozen=True, slots=True)
class MarketOffers:
    """The period's offers as customers and accountants see them (J offers).

    Attributes
    ----------
    posted : ndarray, shape (offer,)
        Posted (list) prices; what rivals observe and what signals quality.
    on_sale : ndarray of bool, shape (offer,)
    concession : ndarray, shape (offer,)
        Price cut (fraction) for buyers who commit.
    commitment : ndarray of int, shape (offer,)
        Periods a buyer taking the concession commits for (0: no concession).
    unit_cost : ndarray, shape (offer,)
        This period's unit cost.
    attributes : ndarray, shape (offer, dimension), or None
        This period's offer attributes (None: the offer book's).
    """

    posted: np.ndarray
    on_sale: np.ndarray
    concession: np.ndarray
    commitment: np.ndarray
    unit_cost: np.ndarray
    attributes: np.ndarray | None = None

    @classmethod
    def at(cls, posted: np.ndarray, unit_cost: np.ndarray | None = None) -> MarketOffers:
        """Everything on sale at ``posted`` prices, no concessions."""
        posted = np.asarray(posted, dtype=np.float64)
        n = posted.shape[0]
        cost = np.zeros(n) if unit_cost is None else np.asarray(unit_cost, dtype=np.float64)
        return cls(posted, np.ones(n, bool), np.zeros(n), np.zeros(n, np.int64), cost)

    @property
    def paid(self) -> np.ndarray:
        """What a buyer pays, shape (offer,)."""
        return self.posted * (1.0 - self.concession)
