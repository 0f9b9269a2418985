"""Story tests of each value component on tiny hand-made choice situations.

Values are offer-major, shape (offer, shopper); the expectations below are written per
shopper (rows) and transposed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.value import (
    AttributeValue,
    BondValue,
    ContextValue,
    PriceValue,
    SocialValue,
    ValueFunction,
)
from sim.value import ChoiceSituation as CS


def situation(**kw) -> CS:
    """Two shoppers, three offers of two firms, two value dimensions."""
    n, j = 2, 3
    base = dict(
        weights=np.array([[0.5, 0.5], [1.0, 0.0]], np.float32).T,
        price_sensitivity=np.full(n, 0.1, np.float32),
        base_price_sensitivity=np.full(n, 0.1, np.float32),
        loss_aversion=np.full(n, 2.0, np.float32),
        infers_quality=np.zeros(n, bool),
        bond=np.array([[0.5, 0.0], [0.0, 0.0]], np.float32).T,
        reference_price=np.full((j, n), 10.0, np.float32),
        segment=np.zeros(n, np.int16),
        valuation_scale=np.ones(n, np.float32),
        consider=np.ones((j, n), bool),
        attributes=np.array([[4.0, 6.0], [6.0, 6.0], [8.0, 8.0]]),
        price=np.array([10.0, 20.0, 30.0]),
        list_price=np.array([10.0, 20.0, 30.0]),
        offer_firm=np.array([0, 0, 1]),
        valuations=np.full((j, 1), np.nan),
        social=np.array([0.2, -0.1]),
    )
    base.update({k: (v.T if k in ("reference_price", "consider", "valuations") else v)
                 for k, v in kw.items()})
    return CS(**base)


def per_shopper(contribution):
    """Offer values as rows per shopper, shape (shopper, offer)."""
    return np.asarray(contribution.offers).T


def test_attribute_value_is_weights_times_attributes():
    v = per_shopper(AttributeValue(beta=2.0).contribution(situation()))
    np.testing.assert_allclose(v, 2 * np.array([[5, 6, 8], [4, 6, 8]]))


def test_a_price_cut_lowers_perceived_quality_only_for_quality_inferrers():
    s = situation(price=np.array([5.0, 20.0, 30.0]), infers_quality=np.array([True, False]))
    v = per_shopper(AttributeValue(price_quality_elasticity=0.5).contribution(s))
    assert v[0, 0] == pytest.approx(5 * np.sqrt(0.5))
    assert v[1, 0] == pytest.approx(4.0)
    # delivered (true) benefit ignores the signal
    d = AttributeValue().delivered(s, np.array([0]), np.array([0]))
    assert d[0] == pytest.approx(5.0)


def test_stated_valuations_replace_weights_for_their_segment():
    table = np.array([[30.0, 40.0, 50.0]])  # (segment, offer)
    v = per_shopper(AttributeValue().contribution(situation(valuations=table)))
    np.testing.assert_allclose(v, 0.1 * table.repeat(2, axis=0))


def test_price_weighs_losses_against_the_reference_by_loss_aversion():
    s = situation(reference_price=np.array([[10, 10, 10], [10, 20, 40]], np.float32))
    v = per_shopper(PriceValue().contribution(s))
    # shopper 0: prices 10, 20, 30 against reference 10 -> losses 0, 10, 20 weigh lambda=2
    np.testing.assert_allclose(v[0], -0.1 * np.array([10, 20 + 10, 30 + 20]), rtol=1e-6)
    np.testing.assert_allclose(v[1], -0.1 * np.array([10, 20, 30]), rtol=1e-6)


def test_bond_and_social_attach_to_the_offers_firm():
    s = situation()
    np.testing.assert_allclose(per_shopper(BondValue(beta=2).contribution(s)),
                               [[1, 1, 0], [0, 0, 0]])
    np.testing.assert_allclose(per_shopper(SocialValue(beta=1).contribution(s)),
                               [[0.2, 0.2, -0.1]])


def test_compromise_favours_the_middle_offer_of_each_shoppers_own_set():
    consider = np.array([[True, True, True], [True, True, False]])
    c = ContextValue(compromise=1.0, attraction=0.0, overload=0.0)
    v = per_shopper(c.contribution(situation(consider=consider)))
    np.testing.assert_allclose(v, [[0, 1, 0], [0, 0, 0]])


def test_compromise_needs_strictly_cheaper_and_dearer_alternatives():
    """Equal prices are neither cheaper nor dearer, whatever the offers' order."""
    c = ContextValue(compromise=1.0, attraction=0.0, overload=0.0)
    for price in ([10.0, 20.0, 20.0], [20.0, 20.0, 10.0], [20.0, 10.0, 20.0]):
        v = per_shopper(c.contribution(situation(price=np.array(price), list_price=np.array(
            price))))
        assert (v == 0).all()


def test_a_dominated_decoy_makes_its_dominator_look_better():
    attrs = np.array([[4.0, 6.0], [6.0, 6.0], [5.5, 5.5]])  # offer 2 dominated by offer 1
    price = np.array([10.0, 20.0, 22.0])
    c = ContextValue(compromise=0.0, attraction=1.0, overload=0.0)
    with_decoy = per_shopper(c.contribution(situation(attributes=attrs, price=price)))
    assert with_decoy[0].tolist() == [0, 1, 0]
    consider = np.array([[True, True, False]] * 2)
    without = per_shopper(c.contribution(situation(attributes=attrs, price=price,
                                                   consider=consider)))
    assert without[0].tolist() == [0, 0, 0]


def test_near_identical_offers_raise_the_outside_options_pull():
    attrs = np.array([[6.0, 6.0], [6.1, 6.0], [9.0, 9.0]])
    price = np.array([20.0, 20.5, 40.0])
    c = ContextValue(compromise=0.0, attraction=0.0, overload=0.5, crowding_radius=0.1)
    out = c.contribution(situation(attributes=attrs, price=price)).outside
    np.testing.assert_allclose(out, [1.0, 1.0])  # two crowded offers each


def test_switching_context_off_gives_plain_logit_values():
    s = situation()
    full = ValueFunction()
    off = ValueFunction(components=tuple(
        dataclasses.replace(c, enabled=False) if c.name == "context" else c
        for c in full.components))
    v_off, v0_off = off(s)
    plain = sum(np.asarray(c.contribution(s).offers, dtype=np.float64)
                for c in full.components if c.name != "context")
    np.testing.assert_allclose(v_off, plain)
    assert (v0_off == 0).all()


def test_value_function_builds_from_config_and_rejects_unknown_components():
    from sim.validation import ConfigError

    vf = ValueFunction.from_mapping({"attributes": {"beta": 2.0}, "price": {}})
    assert [c.name for c in vf.components] == ["attributes", "price"]
    with pytest.raises(ConfigError, match="value.nosuch"):
        ValueFunction.from_mapping({"nosuch": {}})


@pytest.mark.parametrize("n_offers", [5, 25, 70])
def test_context_by_distinct_sets_equals_context_per_shopper(n_offers):
    """Coding choice sets as integers (bincount or unique) changes nothing but speed."""
    rng = np.random.default_rng(n_offers)
    n = 300
    attrs = rng.integers(3, 9, size=(n_offers, 2)).astype(float)
    price = rng.integers(10, 40, size=n_offers).astype(float)
    consider = rng.random((n_offers, n)) < 0.3
    s = CS(weights=np.full((2, n), 0.5, np.float32), price_sensitivity=np.ones(n, np.float32),
           base_price_sensitivity=np.ones(n, np.float32),
           loss_aversion=np.ones(n, np.float32), infers_quality=np.zeros(n, bool),
           bond=np.zeros((1, n), np.float32),
           reference_price=np.zeros((n_offers, n), np.float32), segment=np.zeros(n, np.int16),
           valuation_scale=np.ones(n, np.float32), consider=consider, attributes=attrs,
           price=price, list_price=price, offer_firm=np.zeros(n_offers, int),
           valuations=np.full((n_offers, 1), np.nan), social=np.zeros(1))
    c = ContextValue(compromise=1.0, attraction=0.5, overload=0.25, crowding_radius=0.3)
    got = c.contribution(s)
    offers, outside = c.per_set(consider, attrs, price)
    np.testing.assert_allclose(got.offers, offers)
    np.testing.assert_allclose(got.outside, outside)
    assert (np.asarray(got.offers) > 0).any()
    assert n_offers < 25 or (np.asarray(got.outside) > 0).any()
