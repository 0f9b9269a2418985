"""Analytic benchmarks of the Nash–Bertrand solver for logit demand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import bertrand_nash_prices
from sim.equilibrium import first_order_conditions, logit_shares
from sim.validation import ConfigError


@settings(max_examples=40, deadline=None)
@given(delta=st.lists(st.floats(-3, 5), min_size=1, max_size=6),
       alpha=st.floats(0.05, 3), cost=st.floats(0, 10))
def test_single_product_markups_satisfy_the_identity(delta, alpha, cost):
    c = np.full(len(delta), cost)
    p = bertrand_nash_prices(delta, alpha, c)
    s = logit_shares(delta, alpha, p)
    np.testing.assert_allclose(p - c, 1.0 / (alpha * (1.0 - s)), rtol=1e-9, atol=1e-10)
    assert (p > c).all()


def test_multi_product_first_order_conditions_hold_at_the_solution():
    delta = np.array([2.0, 1.5, 1.0, 0.5, 2.5])
    cost = np.array([1.0, 0.8, 1.2, 0.5, 2.0])
    own = np.zeros((5, 5))
    for firm in ([0, 1, 2], [3], [4]):
        own[np.ix_(firm, firm)] = 1
    p = bertrand_nash_prices(delta, 0.7, cost, own)
    s = logit_shares(delta, 0.7, p)
    assert np.max(np.abs(first_order_conditions(p, delta, 0.7, cost, own) / s)) < 1e-10
    # logit: a multi-product firm puts the same markup on all its products
    np.testing.assert_allclose(np.ptp((p - cost)[:3]), 0.0, atol=1e-9)


def test_symmetric_firms_get_symmetric_prices():
    p = bertrand_nash_prices([1.0, 1.0, 1.0], 0.5, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(p, p[0], rtol=1e-12)


def test_merging_two_firms_raises_their_prices():
    delta, cost = np.array([1.0, 1.2, 0.8]), np.array([1.0, 1.0, 1.0])
    apart = bertrand_nash_prices(delta, 1.0, cost)
    merged = bertrand_nash_prices(delta, 1.0, cost, np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]]))
    assert (merged[:2] > apart[:2]).all()
    assert merged[2] > apart[2]  # the rival's best response to dearer rivals rises too


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(ownership=np.ones((2, 2))), "ownership"),
    (dict(ownership=np.array([[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]])), "ownership"),
    (dict(ownership=np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]])), "ownership"),
    (dict(price_coef=0.0), "price_coef"),
    (dict(price_coef=-1.0), "price_coef"),
    (dict(marginal_cost=[1.0, 1.0]), "marginal_cost"),
    (dict(mean_utility=[1.0, np.nan, 0.0]), "mean_utility"),
])
def test_bad_inputs_name_the_argument(kwargs, field):
    args = dict(mean_utility=[1.0, 1.0, 1.0], price_coef=1.0, marginal_cost=[1.0, 1.0, 1.0])
    args.update(kwargs)
    with pytest.raises(ConfigError, match=f"^{field}:"):
        bertrand_nash_prices(**args)


def test_says_so_when_it_cannot_reach_the_tolerance():
    with pytest.raises(RuntimeError, match="did not converge"):
        bertrand_nash_prices([1.0, 2.0], 1.0, [0.5, 0.5], tol=1e-300)
