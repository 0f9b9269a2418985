"""The best-response strategy: the contract, and its demand fit against a known logit."""

from __future__ import annotations

import numpy as np
import pytest

from agents.strategies.best_response import BestResponse
from sim.equilibrium import logit_shares
from tests.contract import test_strategy_contract as contract


def synthetic_history(alpha=0.08, delta=(3.0, 3.5, 4.0), periods=30, seed=0):
    """Own sales of a 3-offer firm facing two rivals, from a true logit with price variation."""
    rng = np.random.default_rng(seed)
    rival_delta, rival_price = np.array([3.0, 3.2]), np.array([40.0, 55.0])
    rows = []
    for _ in range(periods):
        p = np.array([35.0, 55.0, 85.0]) * (1 + 0.1 * rng.uniform(-1, 1, 3))
        s = logit_shares(np.r_[delta, rival_delta], alpha, np.r_[p, rival_price])
        q = 10_000.0 * s[:3]
        rows.append((p, q, float(s[:3].sum() / s.sum())))
    return tuple(rows)


def test_the_fit_recovers_the_price_coefficient_of_a_true_logit():
    history = synthetic_history(alpha=0.08)
    # the firm's belief about the outside share: right on average (it cannot see non-buyers)
    s0 = float(np.mean([1 - q.sum() / sh / 10_000.0 for _, q, sh in history]))
    delta, alpha = BestResponse(prior_weight=0.0, outside_share=s0).fit(history)
    assert alpha == pytest.approx(0.08, rel=0.1)
    assert np.all(np.diff(delta) > 0)  # dearer tiers carry more value


def test_without_price_variation_the_prior_decides():
    history = tuple((np.array([35.0, 55.0]), np.array([100.0, 50.0]), 0.3) for _ in range(10))
    _, alpha = BestResponse(price_coef_prior=0.07).fit(history)
    assert alpha == pytest.approx(0.07)


class TestBestResponse(contract.StrategyContract):
    strategy = BestResponse(exploration=0.0)

    def test_reprices_only_at_reviews_and_prices_above_cost(self):
        eps = [contract.observation(period=t) for t in range(9)]
        prices, _ = contract.play(BestResponse(review_every=4, exploration=0.0), eps)
        np.testing.assert_array_equal(prices[1], prices[3])
        assert not np.array_equal(prices[3], prices[4])
        assert (prices >= contract.observation().unit_cost).all()

    def test_exploration_wiggles_prices_around_the_chosen_ones(self):
        eps = [contract.observation(period=t) for t in range(3)]
        prices, _ = contract.play(BestResponse(exploration=0.05), eps, seed=1)
        ratio = prices[1] / contract.observation().list_price
        assert (np.abs(ratio - 1) <= 0.05 + 1e-12).all() and not np.allclose(ratio, 1)
