"""Analytic benchmarks through the whole model: Bass diffusion, surplus maximisation, logit."""

from __future__ import annotations

import numpy as np
import pytest

from agents.population import AwarenessState
from scenarios.config import build_scenario
from sim.model import MarketModel

ATTRS = {"quality": 5.0, "convenience": 5.0, "experience": 5.0, "service": 5.0}


def bass_spec(n_customers: int, p: float, q: float, n_periods: int):
    """One firm, one offer everybody wants: adoption = advertising + word of mouth only."""
    return build_scenario({
        "market": {
            "noise_scale": 1.0, "expectation_adaptation": 0.0,
            "value": {"attributes": {}, "price": {}},
            "awareness": {"word_of_mouth": q, "forgetting": 0.0, "lapse_periods": 10_000,
                          "bond_floor": 0.0, "bond_decay": 0.0},
        },
        "population": {"n_customers": n_customers, "segments": {"all": {
            "share": 1.0, "purchase_rate": 1.0, "need_share": 1.0, "outside_utility": -100.0,
            "budget_spread": 0.0, "expectation": -100.0}}},
        "firms": {"solo": {"advertising": p, "initial_awareness": 0.0, "initial_insiders": 0.0,
                           "strategy": {"kind": "hold"},
                           "tiers": {"only": {"price": 10, "unit_cost": 5, "attributes": ATTRS}}}},
        "n_periods": n_periods,
    })


def test_one_firm_with_advertising_and_word_of_mouth_follows_the_bass_curve():
    p, q, n_periods, n = 0.002, 0.03, 300, 100_000
    model = MarketModel(bass_spec(n, p, q, n_periods))
    adopted = []
    for _ in range(n_periods):
        model.step()
        adopted.append((model.population.awareness[0] == AwarenessState.INSIDER).mean())
    t = np.arange(1, n_periods + 1)
    bass = (1 - np.exp(-(p + q) * t)) / (1 + (q / p) * np.exp(-(p + q) * t))
    assert np.max(np.abs(np.array(adopted) - bass)) < 0.015
    # and it is a real S-curve, not a trivially saturated one
    assert adopted[20] < 0.1 < 0.5 < adopted[150]


def textbook_spec(noise_scale: float, *, n_customers: int = 4000, **extra):
    from sim import load_config

    cfg = load_config([
        "population=textbook_wtp", "economy=steady", f"population.n_customers={n_customers}",
        f"market.noise_scale={noise_scale}", "market.value.context.enabled=false",
        "market.value.bond.enabled=false", "market.value.social.enabled=false",
        "market.value.fit.enabled=false", "market.journey.enabled=false",  # plain logit
        "strategy@firms.b.strategy=hold", "n_periods=1",
        "population.segments.students.budget_spread=0.8",  # some budgets bind
        "population.segments.students.valuation_spread=0.3",
        "market.awareness.forgetting=0", "firms.a.initial_awareness=1",
        "firms.b.initial_awareness=1", "firms.c.initial_awareness=0.5",
        "firms.c.advertising=0", "market.awareness.word_of_mouth=0",
        *[f"{k}={v}" for k, v in extra.items()],
    ])
    return build_scenario(cfg)


def test_zero_noise_is_exact_surplus_maximisation_under_budgets():
    spec = textbook_spec(0.0)
    model = MarketModel(spec)
    pop, offers = model.population, model.offers
    aware = pop.awareness.T[:, offers.firm] >= AwarenessState.EDGE  # (customer, offer)
    model.step()
    # by hand: surplus_ij = alpha_i * (scale_i * WTP_sj - p_j) over aware, affordable offers
    wtp = model.valuations.T[pop.segment] * pop.valuation_scale[:, None]
    alpha = pop.price_sensitivity[:, None].astype(np.float64)
    surplus = alpha * wtp - alpha * offers.list_price
    feasible = aware & (offers.list_price[None, :] <= pop.budget[:, None])
    surplus = np.where(feasible, surplus, -np.inf)
    best = np.where(surplus.max(axis=1) > pop.outside_utility, surplus.argmax(axis=1), -1)
    expected = np.bincount(best[best >= 0], minlength=offers.n_offers)
    np.testing.assert_array_equal(model.recorder.data["units"][0], expected)
    assert (best == -1).sum() > 0 and (~feasible).any()  # the budget constraint did bind


def test_model_shares_match_closed_form_logit():
    """With context, bond and social off, expected shares are the mean of closed-form logits."""
    spec = textbook_spec(2.0, n_customers=60_000)
    model = MarketModel(spec)
    pop, offers = model.population, model.offers
    aware = pop.awareness.T[:, offers.firm] >= AwarenessState.EDGE  # (customer, offer)
    feasible = aware & (offers.list_price[None, :] <= pop.budget[:, None])
    alpha = pop.price_sensitivity[:, None].astype(np.float64)
    wtp = model.valuations.T[pop.segment] * pop.valuation_scale[:, None]
    v = alpha * (wtp - offers.list_price)
    e = np.where(feasible, np.exp(v / 2.0), 0.0)
    prob = e / (np.exp(pop.outside_utility / 2.0)[:, None] + e.sum(axis=1, keepdims=True))
    model.step()
    units = model.recorder.data["units"][0]
    expected = prob.sum(axis=0)
    sd = np.sqrt((prob * (1 - prob)).sum(axis=0))
    assert np.all(np.abs(units - expected) < 5 * sd + 1)


@pytest.mark.parametrize("bump", [1.0, 5.0])
def test_demand_falls_with_own_price(bump):
    """Raising one offer's list price lowers its expected units and raises its rivals'."""
    from sim.choice import choice_probabilities

    model = MarketModel(textbook_spec(1.0, n_customers=3000))
    shop = np.arange(model.population.n_customers)
    wom = np.zeros(len(model.firms))
    base = model.offers.list_price.copy()

    def expected_units(price):
        s = model.situation(shop, price, 1.0, wom)
        v, v0 = model.market.value(s)
        p, _ = choice_probabilities(v, model.population.outside_utility + v0, s.consider, 1.0)
        return p.sum(axis=1)

    before = expected_units(base)
    for j in range(len(base)):
        price = base.copy()
        price[j] += bump
        after = expected_units(price)
        assert after[j] < before[j]
        assert np.all(np.delete(after, j) >= np.delete(before, j) - 1e-9)
