"""The Strategy contract, and story tests of each shipped strategy.

Every strategy's test class subclasses :class:`StrategyContract` and provides
``strategy`` (an instance); the contract tests then run for it.
"""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from agents.strategies import Strategy, available, build
from agents.strategies.base import Observation
from agents.strategies.hold import Hold
from agents.strategies.match import Match


def observation(period=1, rival_price=(30.0, 50.0, 80.0), **kw) -> Observation:
    base = dict(
        period=period, economy_index=1.0, rung=np.array([0, 1, 2]),
        unit_cost=np.array([15.0, 25.0, 40.0]), list_price=np.array([35.0, 55.0, 85.0]),
        price=np.array([35.0, 55.0, 85.0]), units=np.array([10.0, 5.0, 2.0]), share=0.3,
        rival_price=np.array(rival_price, dtype=float), rival_rung=np.array([0, 1, 2]),
    )
    base.update(kw)
    return Observation(**base)


def play(strategy, observations, seed=0):
    rng = np.random.default_rng(seed)
    state, prices = strategy.initial_state(), []
    for o in observations:
        decision, state = strategy.decide(o, state, rng)
        prices.append(decision.price)
    return np.array(prices), state


class StrategyContract:
    strategy: Strategy
    respects_unit_cost = True

    def episode(self):
        cuts = [(30.0, 50.0, 80.0), (20.0, 30.0, 60.0), (10.0, 10.0, 10.0), (40.0, 60.0, 90.0)]
        return [observation(period=t, rival_price=r) for t, r in enumerate(cuts * 3)]

    def test_satisfies_the_protocol(self):
        assert isinstance(self.strategy, Strategy)
        assert self.strategy.kind in available()

    def test_is_deterministic_for_a_seed(self):
        a, _ = play(self.strategy, self.episode(), seed=3)
        b, _ = play(self.strategy, self.episode(), seed=3)
        np.testing.assert_array_equal(a, b)

    def test_prices_are_finite_and_non_negative(self):
        prices, _ = play(self.strategy, self.episode())
        assert np.isfinite(prices).all() and (prices >= 0).all()

    def test_respects_the_unit_cost_floor(self):
        if self.respects_unit_cost:
            prices, _ = play(self.strategy, self.episode())
            assert (prices >= observation().unit_cost - 1e-9).all()

    def test_state_round_trips(self):
        """Continuing from a pickled state gives the same decisions as never stopping."""
        eps = self.episode()
        whole, _ = play(self.strategy, eps)
        rng = np.random.default_rng(0)
        state = self.strategy.initial_state()
        for o in eps[:5]:
            _, state = self.strategy.decide(o, state, rng)
        state = pickle.loads(pickle.dumps(state))
        for t, o in enumerate(eps[5:], start=5):
            decision, state = self.strategy.decide(o, state, rng)
            np.testing.assert_array_equal(decision.price, whole[t])

    def test_pickles(self):
        assert pickle.loads(pickle.dumps(self.strategy)) == self.strategy

    def test_is_frozen(self):
        with pytest.raises((AttributeError, TypeError)):
            self.strategy.kind = "other"  # type: ignore[misc]
        for f in dataclasses.fields(self.strategy):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(self.strategy, f.name, 0)


class TestHold(StrategyContract):
    strategy = Hold()

    def test_posts_list_prices_whatever_rivals_do(self):
        prices, _ = play(self.strategy, self.episode())
        assert (prices == observation().list_price).all()


class TestMatch(StrategyContract):
    strategy = Match(lag=1, floor_margin=0.0)

    def test_follows_the_lowest_rival_on_the_same_rung_one_period_late(self):
        eps = [observation(period=t, rival_price=r) for t, r in enumerate(
            [(30, 50, 80), (20, 30, 60), (20, 30, 60), (40, 60, 90)])]
        prices, _ = play(self.strategy, eps)
        np.testing.assert_array_equal(prices[0], [35, 55, 85])  # nothing seen a lag ago yet
        np.testing.assert_array_equal(prices[1], [30, 50, 80])
        np.testing.assert_array_equal(prices[2], [20, 30, 60])
        np.testing.assert_array_equal(prices[3], [20, 30, 60])

    def test_never_below_the_floor_nor_above_list(self):
        s = Match(lag=0, floor_margin=0.1)
        (low,), _ = play(s, [observation(rival_price=(1, 1, 1))])
        np.testing.assert_allclose(low, observation().unit_cost * 1.1)
        (high,), _ = play(s, [observation(rival_price=(100, 100, 100))])
        np.testing.assert_array_equal(high, observation().list_price)

    def test_keeps_list_price_on_a_rung_no_rival_has(self):
        (p,), _ = play(Match(lag=0), [observation(rival_price=(20.0,), rival_rung=np.array([0]))])
        np.testing.assert_array_equal(p, [20, 55, 85])


def test_build_finds_strategies_by_kind_without_a_registry():
    assert build({"kind": "match", "lag": 2}) == Match(lag=2)
    assert build({"kind": "hold"}) == Hold()
