"""Best response: re-price to the profit-maximising prices under a logit demand fitted to data.

Every ``review_every`` periods the firm fits a logit demand to what it has
observed — its own prices and unit sales by offer, its share of all purchases,
and an assumed share of in-market customers who buy nothing (``outside_share``,
a belief: firms do not see non-buyers) — and sets the prices that maximise its
expected profit against the rivals' current prices.

The fit: with the outside share believed to be ``s0``, each own offer's market
share is ``s_jt = q_jt / M_t`` with ``M_t = Q_t / (1 - s0)`` and ``Q_t`` all
purchases (own units / own share). Berry's inversion gives mean utilities
``log(s_jt / s0) = delta_j - alpha * p_jt``; ``alpha`` is the within-offer
regression slope of those log-odds on price, shrunk toward ``price_coef_prior``
(weight ``prior_weight``, in squared price units) so it is defined without
price variation. Small random price experiments (``exploration``) create
variation. Rivals and non-buyers together form the competing "outside" whose
share is what the own offers do not take; the best response is then the
multi-product logit optimum (:func:`sim.equilibrium.bertrand_nash_prices`
with all own offers under one owner).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from agents.strategies.base import Decision, Observation, floor_price
from sim.equilibrium import bertrand_nash_prices
from sim.params import FROZEN
from sim.validation import check_int, check_nonnegative, check_positive, check_range

__all__ = ["BestResponse"]


@dataclasses.dataclass(**FROZEN)
class BestResponse:
    """Fit logit demand to own sales every ``review_every`` periods and best-respond."""

    kind: ClassVar[str] = "best_response"
    review_every: int = 4
    window: int = 26
    outside_share: float = 0.2
    price_coef_prior: float = 0.05
    prior_weight: float = 400.0
    exploration: float = 0.02
    floor_margin: float = 0.0
    max_markup: float = 3.0

    def __post_init__(self) -> None:
        check_int("review_every", self.review_every, low=1)
        check_int("window", self.window, low=2)
        check_range("outside_share", self.outside_share, 0.0, 1.0, low_open=True,
                    high_open=True)
        check_positive("price_coef_prior", self.price_coef_prior)
        check_nonnegative("prior_weight", self.prior_weight)
        check_range("exploration", self.exploration, 0.0, 0.5)
        check_nonnegative("floor_margin", self.floor_margin)
        check_positive("max_markup", self.max_markup)

    def initial_state(self) -> tuple:
        return ((), None)

    def fit(self, history: tuple) -> tuple[np.ndarray, float] | None:
        """Mean utilities (shape (own_offer,)) and price coefficient from the history."""
        rows = [(p, q, sh) for p, q, sh in history if sh > 0 and (q > 0).all()]
        if not rows:
            return None
        p = np.array([r[0] for r in rows])
        q = np.array([r[1] for r in rows])
        share = np.array([r[2] for r in rows])
        s0 = self.outside_share
        market = q.sum(axis=1) / share / (1.0 - s0)
        log_odds = np.log(q / market[:, None] / s0)
        x, y = p - p.mean(axis=0), log_odds - log_odds.mean(axis=0)
        slope = -(x * y).sum()
        alpha = (slope + self.prior_weight * self.price_coef_prior) / (
            (x * x).sum() + self.prior_weight)
        alpha = max(alpha, 0.1 * self.price_coef_prior)
        delta = (log_odds + alpha * p).mean(axis=0)
        return delta, alpha

    def decide(
        self, observation: Observation, state: tuple, rng: np.random.Generator
    ) -> tuple[Decision, tuple]:
        o = observation
        history, current = state
        if o.period > 0:
            history = (*history, (o.price.copy(), o.units.copy(), o.share))[-self.window:]
        floor = floor_price(o, self.floor_margin)
        if current is None:
            current = o.list_price.copy()
        if o.period > 0 and o.period % self.review_every == 0:
            fitted = self.fit(history)
            if fitted is not None:
                delta, alpha = fitted
                own = np.ones((delta.size, delta.size))
                try:
                    best = bertrand_nash_prices(delta, alpha, o.unit_cost, own)
                    current = np.clip(best, floor, o.unit_cost * (1 + self.max_markup) + 1e-9)
                except RuntimeError:
                    pass  # keep the last prices when the optimum cannot be found
        wiggle = 1.0 + self.exploration * rng.uniform(-1.0, 1.0, size=current.shape)
        price = np.maximum(current * wiggle, floor)
        return Decision(price=price), (history, current)
