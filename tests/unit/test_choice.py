"""Analytic benchmarks and invariants of the logit choice kernels.

Tables are offer-major: shape (offer, customer).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.choice import OUTSIDE, choice_probabilities, choose, expected_surplus


def closed_form(v, u0, consider, s):
    """P_j = exp(V_j/s) / (exp(u0/s) + sum_k in S exp(V_k/s)), by hand, one customer at a time."""
    out = np.zeros_like(v)
    out0 = np.zeros(v.shape[1])
    for i in range(v.shape[1]):
        num = [np.exp(v[j, i] / s) if consider[j, i] else 0.0 for j in range(v.shape[0])]
        den = np.exp(u0[i] / s) + sum(num)
        out[:, i] = np.array(num) / den
        out0[i] = np.exp(u0[i] / s) / den
    return out, out0


def test_probabilities_equal_the_closed_form():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(6, 50))
    u0 = rng.normal(size=50)
    consider = rng.random((6, 50)) < 0.7
    for s in (0.5, 1.0, 3.0):
        p, p0 = choice_probabilities(v, u0, consider, s)
        q, q0 = closed_form(v, u0, consider, s)
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(p0, q0, rtol=1e-12)


def test_sampled_shares_converge_to_probabilities():
    rng = np.random.default_rng(2)
    n = 200_000
    v = np.tile([[1.0], [0.5], [-0.2]], (1, n))
    consider = np.ones((3, n), bool)
    u0 = np.zeros(n)
    choice = choose(v, u0, consider, 1.0, rng.random(n))
    p, p0 = choice_probabilities(v[:, :1], u0[:1], consider[:, :1], 1.0)
    expected = np.r_[p0, p[:, 0]]
    shares = np.bincount(choice + 1, minlength=4) / n
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(shares - expected) < 5 * se)


def test_float32_utilities_choose_like_float64():
    rng = np.random.default_rng(5)
    v = rng.normal(size=(9, 20_000))
    consider = rng.random(v.shape) < 0.8
    u0, u = rng.normal(size=20_000), rng.random(20_000)
    a = choose(v, u0, consider, 1.0, u)
    b = choose(v.astype(np.float32), u0.astype(np.float32), consider, 1.0, u.astype(np.float32))
    assert (a == b).mean() > 0.999


def test_large_utilities_do_not_overflow():
    v = np.array([[1000.0], [999.0]])
    p, p0 = choice_probabilities(v, np.array([0.0]), np.ones((2, 1), bool), 1.0)
    assert np.isfinite(p).all() and p0[0] == 0.0
    np.testing.assert_allclose(p[0, 0] / p[1, 0], np.e)


def test_offers_outside_the_consideration_set_are_never_chosen():
    rng = np.random.default_rng(3)
    v = np.full((3, 1000), 10.0)
    consider = np.zeros((3, 1000), bool)
    consider[1] = True
    choice = choose(v, np.zeros(1000), consider, 1.0, rng.random(1000))
    assert set(np.unique(choice)) <= {OUTSIDE, 1}


def test_zero_noise_is_surplus_maximisation_and_ties_go_outside():
    v = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 0.0], [3.0, 3.0, 1.0]]).T
    u0 = np.array([0.0, 0.0, 0.0])
    consider = np.array([[1, 1, 1], [1, 1, 1], [1, 0, 1]], bool).T
    choice = choose(v, u0, consider, 0.0, np.zeros(3))
    assert choice.tolist() == [1, OUTSIDE, 0]
    p, p0 = choice_probabilities(v, u0, consider, 0.0)
    assert p[:, 0].tolist() == [0, 1, 0] and p0.tolist() == [0, 1, 0]


def test_surplus_is_the_logsum_and_tends_to_the_max_as_noise_vanishes():
    v = np.array([[1.0], [2.0]])
    u0 = np.array([0.5])
    consider = np.ones((2, 1), bool)
    s = expected_surplus(v, u0, consider, 1.0)
    np.testing.assert_allclose(s, np.log(np.exp(0.5) + np.exp(1) + np.exp(2)) - 0.5)
    assert expected_surplus(v, u0, consider, 1e-3)[0] == pytest.approx(1.5, abs=1e-2)
    assert expected_surplus(v, u0, consider, 0.0)[0] == 1.5


utilities = arrays(np.float64, (4, 7), elements=st.floats(-20, 20))


@settings(max_examples=60, deadline=None)
@given(v=utilities, u0=arrays(np.float64, 7, elements=st.floats(-20, 20)),
       mask=arrays(np.bool_, (4, 7)), s=st.floats(0.05, 5))
def test_probabilities_are_a_distribution(v, u0, mask, s):
    p, p0 = choice_probabilities(v, u0, mask, s)
    assert (p >= 0).all() and (p0 >= 0).all()
    np.testing.assert_allclose(p.sum(axis=0) + p0, 1.0, rtol=1e-9)
    assert (p[~mask] == 0).all()
    assert (expected_surplus(v, u0, mask, s) >= 0).all()


@settings(max_examples=60, deadline=None)
@given(v=utilities, u0=arrays(np.float64, 7, elements=st.floats(-20, 20)),
       j=st.integers(0, 3), bump=st.floats(0.01, 5), s=st.floats(0.1, 5))
def test_demand_falls_with_own_value_loss_and_rivals_gain(v, u0, j, bump, s):
    """Raising offer j's price lowers V_j: its probability falls, every other one rises."""
    mask = np.ones(v.shape, bool)
    p, p0 = choice_probabilities(v, u0, mask, s)
    w = v.copy()
    w[j] -= bump
    q, q0 = choice_probabilities(w, u0, mask, s)
    assert (q[j] <= p[j] + 1e-12).all()
    others = np.delete(np.arange(4), j)
    assert (q[others] >= p[others] - 1e-12).all() and (q0 >= p0 - 1e-12).all()
