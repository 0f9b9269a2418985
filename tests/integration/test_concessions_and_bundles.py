"""Story tests through the whole model: buyer concessions, menus and bundles, generated
ladders, value-based pricing from surveys, and the configs that must be refused.

Small populations and short horizons; every firm's strategy is named explicitly so the
stories do not depend on the default scenario's choice of strategies.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from agents.population import AwarenessState, CustomerPopulation
from scenarios.config import build_scenario, load_config
from sim.model import MarketModel
from sim.validation import ConfigError
from sim.value import ChoiceSituation, PriceValue

#: Firm a's downturn trigger on from period 0 in a steady economy (release must be >= threshold).
TRIGGER_ON = ("firms.a.strategy.trigger.threshold=1.5", "firms.a.strategy.trigger.release=1.6")
#: Rivals that do nothing.
RIVALS_HOLD = ("strategy@firms.b.strategy=hold", "strategy@firms.c.strategy=hold")
#: The bundles market with every firm holding its prices.
BUNDLES = ("firms=bundles", "strategy@firms.suite.strategy=hold",
           "strategy@firms.budget.strategy=hold", "strategy@firms.premium.strategy=hold")


def spec(*overrides: str, n_customers: int = 3000, n_periods: int = 10):
    return build_scenario(load_config([
        "economy=steady", f"population.n_customers={n_customers}", f"n_periods={n_periods}",
        *overrides]))


def run(*overrides: str, n_customers: int = 3000, n_periods: int = 10) -> MarketModel:
    model = MarketModel(spec(*overrides, n_customers=n_customers, n_periods=n_periods))
    for _ in range(n_periods):
        model.step()
    return model


def offer(model: MarketModel, name: str) -> int:
    return model.offers.name.index(name)


def own(model: MarketModel, firm: int) -> np.ndarray:
    return np.flatnonzero(model.offers.firm == firm)


# -- buyer concessions vs a plain cut -----------------------------------------------------


@pytest.fixture(scope="module")
def downturn_response():
    """Firm a answers an (always-on) downturn trigger with a concession or a cut of 15%."""
    return {kind: run("firms=three_ladders", f"strategy@firms.a.strategy={kind}",
                      "firms.a.strategy.depth=0.15", *TRIGGER_ON, *RIVALS_HOLD)
            for kind in ("concession", "cut")}


def ever_committed(model: MarketModel, firm: int = 0) -> np.ndarray:
    return model.population.committed_until[firm] > CustomerPopulation.NEVER


def realised_and_list_price(model: MarketModel, firm: int = 0) -> tuple[float, float]:
    """Average realised price of the firm's sales, and what the same units cost at list."""
    d, a = model.recorder.data, own(model, firm)
    units = d["units"][:, a]
    realised = d["firm_revenue"][:, firm].sum() / d["firm_units"][:, firm].sum()
    at_list = (units * model.offers.list_price[a]).sum() / units.sum()
    return realised, at_list


def test_a_concession_keeps_the_posted_price_and_binds_buyers(downturn_response):
    m = downturn_response["concession"]
    d, a, list_price = m.recorder.data, own(m, 0), m.offers.list_price[own(m, 0)]
    np.testing.assert_array_equal(d["price"][:, a], np.tile(list_price, (m.period, 1)))
    np.testing.assert_allclose(d["concession"][:, a], 0.15)
    assert (d["concession"][:, own(m, 1)] == 0).all()
    assert d["committed"][-1, 0] > 0 and (d["committed"][:, 1:] == 0).all()
    assert np.all(np.diff(d["committed"][:, 0]) >= 0)  # nobody's 12-period commitment ends yet
    committed = ever_committed(m)
    assert committed.sum() > 100
    # reference prices of committed buyers follow the posted (list) price: they do not fall
    np.testing.assert_allclose(m.population.reference_price[a][:, committed],
                               np.tile(list_price[:, None], committed.sum()), rtol=1e-6)
    realised, at_list = realised_and_list_price(m)
    assert 0.85 * at_list - 1e-9 <= realised < 0.99 * at_list


def test_a_plain_cut_of_the_same_depth_moves_the_posted_and_reference_prices(
        downturn_response):
    m, deal = downturn_response["cut"], downturn_response["concession"]
    d, a, list_price = m.recorder.data, own(m, 0), m.offers.list_price[own(m, 0)]
    np.testing.assert_allclose(d["price"][:, a], np.tile(0.85 * list_price, (m.period, 1)))
    assert (d["concession"] == 0).all() and (d["committed"] == 0).all()
    assert not ever_committed(m).any()
    realised, at_list = realised_and_list_price(m)
    assert realised == pytest.approx(0.85 * at_list)  # everyone pays the posted price
    # the same customers (common random numbers) who committed under the concession see
    # firm a's offers as cheaper under the cut: their reference prices fell
    committed = ever_committed(deal)
    cut_ref = m.population.reference_price[a][:, committed].mean(axis=1)
    deal_ref = deal.population.reference_price[a][:, committed].mean(axis=1)
    assert (cut_ref < 0.97 * list_price).all()
    np.testing.assert_allclose(deal_ref, list_price, rtol=1e-6)


def test_a_committed_customer_considers_only_the_committed_to_firm(downturn_response):
    m = downturn_response["concession"]
    pop, everyone = m.population, np.arange(m.population.n_customers)
    committed = pop.committed_until[0] > m.period
    assert committed.any()
    s = m.situation(everyone, m.offers.list_price, 1.0, np.zeros(len(m.firms)))
    rivals = m.offers.firm != 0
    assert not s.consider[rivals][:, committed].any()
    assert s.consider[~rivals][:, committed].any()
    # not for want of awareness: many of them know a rival, and free customers consider rivals
    assert (pop.awareness[1:, committed] >= AwarenessState.EDGE).any(axis=0).mean() > 0.3
    assert s.consider[rivals][:, ~committed].any()


def test_a_committed_customer_does_not_lapse():
    # insiders lapse after one period without a purchase, or at once (bond below 0.9) ...
    m = MarketModel(spec("firms=three_ladders", "strategy@firms.a.strategy=concession",
                         *TRIGGER_ON, *RIVALS_HOLD, "market.awareness.lapse_periods=1",
                         "market.awareness.bond_floor=0.9", n_customers=2000, n_periods=8))
    pop = m.population
    for t in range(8):
        m.step()
        committed = pop.committed_until[0] > t
        insider = pop.awareness[0] == AwarenessState.INSIDER
        assert insider[committed].all(), f"a committed customer lapsed in period {t}"
        # ... so the only other insiders are this period's buyers
        assert (pop.last_purchase[0, insider & ~committed] == t).all()
    # ... but committed ones stay insiders without buying
    assert (pop.last_purchase[0, committed] < 5).any()


# -- which price a buyer pays -------------------------------------------------------------


def deal_situation(committed=(False, True, False, False, False, False)) -> ChoiceSituation:
    """Six shoppers; offer 0 (firm 0) at 20 with 10% off for 12 periods, offer 1 (firm 1) plain."""
    n = 6
    f32 = np.float32
    reference = np.array([20, 20, 10, 20, 10, 20], f32)
    return ChoiceSituation(
        weights=np.full((1, n), 1.0, f32),
        price_sensitivity=np.array([0.1, 0.1, 0.1, 0.5, 0.1, 0.2], f32),
        base_price_sensitivity=np.full(n, 0.1, f32),
        loss_aversion=np.array([2, 2, 2, 2, 4, 1], f32),
        infers_quality=np.zeros(n, bool), bond=np.zeros((2, n), f32),
        reference_price=np.stack([reference, reference]), segment=np.zeros(n, np.int16),
        valuation_scale=np.ones(n, f32), consider=np.ones((2, n), bool),
        attributes=np.array([[5.0], [5.0]]), price=np.array([20.0, 20.0]),
        list_price=np.array([20.0, 20.0]), offer_firm=np.array([0, 1]),
        valuations=np.full((2, 1), np.nan), social=np.zeros(2),
        concession=np.array([0.1, 0.0]), commitment=np.array([12, 0]),
        committed=np.stack([np.array(committed), np.zeros(n, bool)]),
    )


def by_hand(s: ChoiceSituation, commitment_cost: float) -> tuple[np.ndarray, np.ndarray]:
    """Posted cost and deal cost (plus commitment cost) of offer 0 per shopper, in float64."""
    a, lam = s.price_sensitivity.astype(float), s.loss_aversion.astype(float)
    r = s.reference_price[0].astype(float)
    p = s.price[0]
    q = p * (1 - s.concession[0])
    posted = a * (p + (lam - 1) * np.maximum(p - r, 0))
    deal = a * (q + (lam - 1) * np.maximum(q - r, 0))
    deal += np.where(s.committed[0], 0.0, commitment_cost * s.commitment[0])
    return posted, deal


@pytest.mark.parametrize("commitment_cost", [0.0, 0.05, 0.2])
def test_a_buyer_takes_the_deal_exactly_when_deal_plus_commitment_costs_less(commitment_cost):
    s, pv = deal_situation(), PriceValue(commitment_cost=commitment_cost)
    rows = np.arange(6)
    posted, deal = by_hand(s, commitment_cost)
    np.testing.assert_array_equal(pv.takes_deal(s, rows, np.zeros(6, int)), deal < posted)
    assert not pv.takes_deal(s, rows, np.ones(6, int)).any()  # offer 1 has no concession
    # and the value function charges each shopper the cheaper of the two
    np.testing.assert_allclose(-pv.contribution(s).offers[0], np.minimum(posted, deal),
                               rtol=1e-5)


def test_who_takes_the_deal_at_the_default_commitment_cost():
    # posted 20, deal 18 + 0.05 * 12 = 0.6 in utility (nothing for the committed shopper 1):
    # 0: 2.0 vs 2.4; 1: 2.0 vs 1.8; 2 (reference 10): 3.0 vs 3.2; 3 (alpha 0.5): 10 vs 9.6;
    # 4 (loss aversion 4): 5.0 vs 4.8; 5 (no loss aversion, alpha 0.2): 4.0 vs 4.2
    takes = PriceValue(commitment_cost=0.05).takes_deal(deal_situation(), np.arange(6),
                                                        np.zeros(6, int))
    assert takes.tolist() == [False, True, False, True, True, False]



def test_a_shopper_who_cannot_afford_the_posted_price_must_take_the_deal():
    # budget 19: the posted 20 is out of reach, the deal price 18 is not; shoppers 0, 2 and 5
    # would rather pay the posted price, but cannot
    s = dataclasses.replace(deal_situation(), budget=np.full(6, 19.0, np.float32))
    pv = PriceValue(commitment_cost=0.05)
    assert pv.takes_deal(s, np.arange(6), np.zeros(6, int)).all()
    _, deal = by_hand(s, 0.05)
    np.testing.assert_allclose(-pv.contribution(s).offers[0], deal, rtol=1e-5)
    # a budget that reaches the posted price leaves the choice free
    free = dataclasses.replace(s, budget=np.full(6, 20.0, np.float32))
    assert pv.takes_deal(free, np.arange(6), np.zeros(6, int)).tolist() == [
        False, True, False, True, True, False]


def test_no_buyer_pays_more_than_their_budget_in_a_concession_market(downturn_response):
    m = downturn_response["concession"]
    # replay one period's shoppers: whoever buys a deal offer at the posted price can afford it
    t = 6
    s = m.situation(np.arange(m.population.n_customers), m.post_offers(t),
                    float(m.economy[t]), np.zeros(len(m.firms)))
    pv = m.spec.market.value.get("price")
    deal = np.flatnonzero(s.concession > 0)
    assert deal.size
    for j in deal:
        rows = np.flatnonzero(s.consider[j])
        takes = pv.takes_deal(s, rows, np.full(rows.size, j))
        posted_ok = s.price[j] <= s.budget[rows]
        assert (takes | posted_ok).all()
        assert (~posted_ok).any()  # the case is exercised: some can afford only the deal


# -- menus and bundles ----------------------------------------------------------------------


@pytest.mark.parametrize("menu", ["bundles", "components", "mixed"])
def test_the_menu_decides_what_is_on_sale_and_what_the_bundle_costs(menu):
    m = run(*BUNDLES, f"firms.suite.menu={menu}", n_customers=2000, n_periods=3)
    d = m.recorder.data
    core, service, complete = (offer(m, f"suite/{k}") for k in ("core", "service", "complete"))
    on_sale, price = d["on_sale"], d["price"]
    others = [offer(m, "budget/basic"), offer(m, "premium/full")]
    assert (on_sale[:, others] == 1).all() and (on_sale[:, complete] == 1).all()
    if menu == "bundles":
        assert (on_sale[:, [core, service]] == 0).all()
        assert (d["units"][:, [core, service]] == 0).all()  # nobody buys what is off sale
        assert (price[:, complete] == 55).all()
    elif menu == "components":
        assert (on_sale[:, [core, service]] == 1).all()
        np.testing.assert_array_equal(price[:, complete], price[:, core] + price[:, service])
        assert (price[:, complete] == 65).all()
    else:
        assert (on_sale[:, [core, service]] == 1).all()
        assert (price[:, complete] == 55).all()


def test_unbundle_switches_the_menu_after_a_cost_shock_and_keeps_it():
    m = run(*BUNDLES, "strategy@firms.suite.strategy=unbundle", "unit_cost=shock",
            "unit_cost.onset=3", "unit_cost.duration=3", n_customers=2000, n_periods=8)
    d = m.recorder.data
    components = [offer(m, "suite/core"), offer(m, "suite/service")]
    complete = offer(m, "suite/complete")
    np.testing.assert_allclose(d["unit_cost"][:, components[0]],
                               [18, 18, 18, 23.4, 23.4, 23.4, 18, 18])  # costs fall back
    np.testing.assert_array_equal(d["on_sale"][:, components],
                                  np.repeat([[0.0], [1.0]], [3, 5], axis=0) * [1, 1])
    assert (d["on_sale"][:, complete] == 1).all()
    assert d["units"][3:, components].sum() > 0


@pytest.mark.parametrize("complementarity", [0.1, -0.2])
def test_a_bundle_is_its_components_scaled_by_complementarity_at_their_summed_cost(
        complementarity):
    book = spec("firms=bundles", f"firms.suite.bundles.complete.complementarity={complementarity}"
                ).offer_book()
    core, service, complete = (book.name.index(f"suite/{k}")
                               for k in ("core", "service", "complete"))
    np.testing.assert_allclose(book.attributes[complete],
                               (1 + complementarity) * (book.attributes[core]
                                                        + book.attributes[service]))
    assert book.unit_cost[complete] == 18 + 12
    assert book.list_price[complete] == 55
    assert book.rung[complete] == -1 and book.components[complete] == (core, service)
    assert book.is_bundle.tolist() == [i == complete for i in range(book.n_offers)]


def test_a_generated_ladder_has_evenly_stepped_tiers():
    m = run("firms=ladders", "firms.b.ladder.n_tiers=5", "strategy@firms.a.strategy=hold",
            "strategy@firms.b.strategy=hold", "strategy@firms.c.strategy=hold",
            n_customers=2000, n_periods=1)
    b = own(m, 1)
    k = np.arange(5)
    assert [m.offers.name[j] for j in b] == [f"b/tier{i}" for i in range(1, 6)]
    np.testing.assert_array_equal(m.offers.list_price[b], 35 + 25 * k)
    np.testing.assert_array_equal(m.offers.unit_cost[b], 16 + 14 * k)
    np.testing.assert_array_equal(m.offers.rung[b], k)
    np.testing.assert_allclose(m.offers.attributes[b] - m.offers.attributes[b[0]],
                               np.outer(1.5 * k, np.ones(m.offers.attributes.shape[1])))
    np.testing.assert_array_equal(m.recorder.data["price"][0, b], 35 + 25 * k)
    assert [m.offers.name[j] for j in own(m, 0)] == ["a/good", "a/better", "a/best"]


def test_match_ignores_rival_offers_that_are_off_sale():
    """Suite's core (rung 0) at 20 undercuts budget's basic (30) only when it is on sale."""
    cheap_core = (*BUNDLES, "firms.suite.tiers.core.price=20",
                  "strategy@firms.budget.strategy=match", "firms.budget.strategy.lag=0")
    basic = {}
    for menu in ("bundles", "mixed"):
        m = run(*cheap_core, f"firms.suite.menu={menu}", n_customers=2000, n_periods=4)
        basic[menu] = m.recorder.data["price"][:, offer(m, "budget/basic")]
    np.testing.assert_array_equal(basic["bundles"], [30, 30, 30, 30])
    np.testing.assert_array_equal(basic["mixed"], [20, 20, 20, 20])  # lag 0: list prices seen


# -- value-based pricing from surveys -----------------------------------------------------


def value_based_prices(bias: float) -> tuple[np.ndarray, np.ndarray]:
    m = run("firms=three_ladders", "strategy@firms.a.strategy=value_based",
            "firms.a.strategy.review_every=4", f"firms.a.strategy.survey.bias={bias}",
            *RIVALS_HOLD, n_customers=2000, n_periods=10)
    a = own(m, 0)
    return m.recorder.data["price"][:, a], m.offers.unit_cost[a]


def test_value_based_prices_change_at_reviews_only_and_come_from_stated_values():
    truthful, cost = value_based_prices(0.0)
    changed = np.flatnonzero((np.diff(truthful, axis=0) != 0).any(axis=1)) + 1
    assert changed.tolist() == [4, 8]  # reviews at 0, 4, 8
    assert (truthful >= cost).all()
    modest, _ = value_based_prices(-0.5)
    # the same respondents and noise (same seed) state half their value at period 0 ...
    np.testing.assert_allclose(modest[0], np.maximum(0.5 * truthful[0], cost))
    # ... and the firm prices from what it is told, not from the truth
    assert (modest <= truthful).all() and (modest < truthful).any()
    assert (modest >= cost).all()


# -- bad inputs -----------------------------------------------------------------------------

BAD = [
    pytest.param(("strategy@firms.a.strategy=cut", "firms.a.strategy.depth=0"),
                 "firms.a.strategy.depth", id="cut-depth-0"),
    pytest.param(("strategy@firms.a.strategy=cut", "firms.a.strategy.depth=1.2"),
                 "firms.a.strategy.depth", id="cut-depth-1.2"),
    pytest.param(("strategy@firms.b.strategy=match", "firms.b.strategy.lag=-1"),
                 "firms.b.strategy.lag", id="match-negative-lag"),
    pytest.param(("strategy@firms.a.strategy=undercut", "firms.a.strategy.lag=-1"),
                 "firms.a.strategy.lag", id="undercut-negative-lag"),
    pytest.param(("strategy@firms.a.strategy=concession", "firms.a.strategy.trigger.threshold=1.5"),
                 "firms.a.strategy.trigger.release", id="trigger-release-below-threshold"),
    pytest.param(("firms=bundles", "firms.suite.bundles.complete.components=[core,nosuch]"),
                 "firms.suite.bundles.complete.components", id="bundle-of-a-missing-tier"),
    pytest.param(("firms=bundles", "firms.suite.menu=nosuch"), "firms.suite.menu",
                 id="unknown-menu"),
    pytest.param(("firms=bundles", "strategy@firms.suite.strategy=unbundle",
                  "firms.suite.strategy.menu_after=nosuch"),
                 "firms.suite.strategy.menu_after", id="unknown-menu-after"),
    pytest.param(("strategy@firms.a.strategy=value_based",
                  "firms.a.strategy.survey.segment=nosuch"),
                 "firms.a.strategy.survey.segment", id="survey-of-a-missing-segment"),
    pytest.param(("firms=ladders",
                  "firms.a.tiers={good:{price:29,unit_cost:14,attributes:{quality:4}}}"),
                 "firms.a.tiers", id="tiers-and-ladder"),
    pytest.param(("economy=downturn", "economy.onset=60"), "economy.onset",
                 id="onset-past-the-horizon"),
    pytest.param(("economy=downturn", "economy.onset=52"), "economy.onset",
                 id="onset-at-the-horizon"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD)
def test_bad_inputs_raise_a_config_error_naming_the_field(overrides, field):
    with pytest.raises(ConfigError) as err:
        build_scenario(load_config(["n_periods=52", *overrides]))
    assert err.value.field == field, str(err.value)
