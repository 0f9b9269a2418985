"""The engine's choice step agrees with the one-agent-per-customer Mesa reference.

Both see the same customers (one ChoiceSituation of the default scenario) and the same
uniforms, so values must match to float32 round-off and choices one for one.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agents.awareness import net_word_of_mouth
from agents.reference import ReferenceMarket
from sim.choice import choose
from sim.value import ChoiceSituation, ContextValue, ValueFunction

N_CUSTOMERS = 2000
ROOT = Path(__file__).resolve().parents[2]

#: List prices of the default ladders with three cuts, so no two offers share a price (a tie
#: in price is the known compromise discrepancy below) and the price-quality signal is active.
CUTS = {"a/better": 43.0, "b/good": 33.0, "c/best": 99.0}


@pytest.fixture(scope="module")
def model():
    from scenarios.config import build_scenario, load_config
    from sim.model import MarketModel

    return MarketModel(build_scenario(load_config([f"population.n_customers={N_CUSTOMERS}"])))


def shopping(model, economy_index: float = 1.0) -> tuple[ChoiceSituation, np.ndarray]:
    """Every customer shops at period 0 facing the cut prices."""
    pop, offers = model.population, model.offers
    price = np.array([CUTS.get(name, p) for name, p in zip(offers.name, offers.list_price,
                                                             strict=True)])
    wom = net_word_of_mouth(pop.awareness, pop.promoter, model.market.awareness.negative_weight)
    shop = np.arange(pop.n_customers)
    return model.situation(shop, price, economy_index, wom), pop.outside_utility[shop]


def both(s, outside, value_function, noise_scale, seed=0):
    """Engine and reference on the same uniforms: (values, outside values, choices) of each,
    and the reference market."""
    uniforms = np.random.default_rng(seed).random(s.n_shoppers)
    value, extra = value_function(s)
    engine = (value, outside + extra,
              choose(value, outside + extra, s.consider, noise_scale, uniforms))
    market = ReferenceMarket(s, outside, value_function=value_function, noise_scale=noise_scale,
                             rng=np.random.default_rng(seed + 1))
    market.step(uniforms)
    return engine, (*market.values(), market.choices()), market


def assert_agree(engine, reference, consider):
    (v_eng, v0_eng, c_eng), (v_ref, v0_ref, c_ref) = engine, reference
    np.testing.assert_allclose(np.where(consider, v_ref, 0.0), np.where(consider, v_eng, 0.0),
                               atol=1e-4, rtol=0)
    np.testing.assert_allclose(v0_ref, v0_eng, atol=1e-6, rtol=0)
    assert (c_ref == c_eng).mean() >= 0.999
    assert (c_ref != -1).any() and (c_ref == -1).any()  # a non-trivial market


@pytest.mark.parametrize("economy_index", [1.0, 0.85])
def test_default_value_function_agrees_with_the_reference(model, economy_index):
    s, outside = shopping(model, economy_index)
    assert s.infers_quality.any() and not np.all(s.consider)
    engine, reference, _ = both(s, outside, model.market.value, model.market.noise_scale)
    assert_agree(engine, reference, s.consider)


@pytest.mark.parametrize("transparency", [0.3, 1.0])
def test_price_transparency_agrees_with_the_reference(model, transparency):
    """Non-insiders see attribute differences fade and price differences sharpen around the
    mean of their set; insiders see offers as they are."""
    s, outside = shopping(model)
    insider = (model.population.awareness[:, :s.n_shoppers] == 2)
    s = dataclasses.replace(s, transparency=transparency, insider=insider)
    assert insider.any() and not insider.all()
    engine, reference, _ = both(s, outside, model.market.value, model.market.noise_scale)
    assert_agree(engine, reference, s.consider)
    # by hand: mean of the considered offers' benefit, and 1 - tau of each difference
    from sim.value import AttributeValue

    a = AttributeValue()
    plain = a.benefit(dataclasses.replace(s, transparency=0.0)).astype(np.float64)
    n = s.consider.sum(axis=0)
    mean = np.where(s.consider, plain, 0).sum(axis=0) / np.maximum(n, 1)
    expected = np.where(insider[s.offer_firm], plain,
                        mean + (1 - transparency) * (plain - mean))
    np.testing.assert_allclose(a.benefit(s), expected, rtol=1e-5, atol=1e-4)
    # and the price term: differences from the set's mean cost grow by 1 + k * tau
    from sim.value import PriceValue

    pv = PriceValue()
    cost = -pv.contribution(dataclasses.replace(s, transparency=0.0)).offers.astype(float)
    finite = s.consider & np.isfinite(cost)
    mean_cost = np.where(finite, cost, 0).sum(axis=0) / np.maximum(finite.sum(axis=0), 1)
    sharp = np.where(insider[s.offer_firm], cost,
                     mean_cost + (1 + transparency) * (cost - mean_cost))
    np.testing.assert_allclose(-pv.contribution(s).offers, sharp, rtol=1e-5, atol=1e-4)
    # the level of the choice set is kept: only differences shrink
    seen = np.where(s.consider & ~insider[s.offer_firm], a.benefit(s), 0).sum(axis=0)
    kept = np.where(s.consider & ~insider[s.offer_firm], plain, 0).sum(axis=0)
    everyone_outside = ~(insider[s.offer_firm] & s.consider).any(axis=0)
    np.testing.assert_allclose(seen[everyone_outside], kept[everyone_outside], rtol=1e-4,
                               atol=1e-3)


@pytest.mark.parametrize("beta_over", [0.0, 0.3])
def test_the_icustomer_fit_agrees_with_the_reference(model, beta_over):
    """Firms at different stages and depths; customers' desired depths vary."""
    from sim.fit import FitValue

    s, outside = shopping(model)
    stage = np.array([0, 2, 4] * 3)[: s.price.shape[0]]
    supplied = np.array([1.0, 5.0, 3.0] * 3, dtype=np.float32)[: s.price.shape[0]]
    s = dataclasses.replace(s, stage=stage, supplied_depth=supplied)
    vf = ValueFunction(components=(
        *(c for c in model.market.value.components if c.name != "fit"),
        FitValue(beta_under=0.8, beta_over=beta_over)))
    fit = vf.get("fit").contribution(s).offers
    assert (fit < 0).any() and (fit == 0).any()  # some offers fit, some do not
    engine, reference, _ = both(s, outside, vf, model.market.noise_scale)
    assert_agree(engine, reference, s.consider)
    without, _, _ = both(s, outside, model.market.value, model.market.noise_scale)
    assert not np.allclose(engine[0], without[0])  # the fit term is really in both


def test_attraction_and_overload_agree_with_the_reference(model):
    s, outside = shopping(model)
    names = list(model.offers.name)
    attributes = s.attributes.copy()
    attributes[names.index("c/good")] = attributes[names.index("a/better")] - 0.5  # a decoy
    s = dataclasses.replace(s, attributes=attributes)
    vf = ValueFunction(components=tuple(
        dataclasses.replace(c, crowding_radius=0.3) if c.name == "context" else c
        for c in model.market.value.components))
    engine, reference, market = both(s, outside, vf, model.market.noise_scale)
    assert any(map(any, market.dominates)) and any(map(any, market.similar))
    assert_agree(engine, reference, s.consider)


def test_loss_aversion_heavy_case_agrees_with_the_reference(model):
    s, outside = shopping(model)
    rng = np.random.default_rng(7)
    below = rng.random(s.reference_price.shape) < 0.5
    heavy = dataclasses.replace(
        s,
        reference_price=np.where(below, 0.7 * s.price[:, None], s.reference_price).astype(
            np.float32),
        loss_aversion=(2.0 * s.loss_aversion).astype(np.float32),
    )
    engine, reference, _ = both(heavy, outside, model.market.value, model.market.noise_scale)
    assert_agree(engine, reference, heavy.consider)
    _, (_, _, choices_plain), _ = both(s, outside, model.market.value, model.market.noise_scale)
    assert (choices_plain == -1).mean() < (reference[2] == -1).mean()  # losses deter


@pytest.mark.parametrize(("context", "noise_scale"), [(False, 1.0), (True, 0.0), (True, 2.5)])
def test_plain_logit_and_surplus_maximisation_agree(model, context, noise_scale):
    s, outside = shopping(model)
    vf = ValueFunction(components=tuple(
        dataclasses.replace(c, enabled=context) if c.name == "context" else c
        for c in model.market.value.components))
    engine, reference, _ = both(s, outside, vf, noise_scale)
    assert_agree(engine, reference, s.consider)


def tied_situation() -> ChoiceSituation:
    """One shopper, three offers priced 10, 20, 20 (the last two equal in price)."""
    return ChoiceSituation(
        weights=np.array([[1.0]], np.float32), price_sensitivity=np.array([0.1], np.float32),
        base_price_sensitivity=np.array([0.1], np.float32),
        loss_aversion=np.array([2.0], np.float32), infers_quality=np.array([False]),
        bond=np.zeros((1, 1), np.float32), reference_price=np.full((3, 1), 20.0, np.float32),
        segment=np.zeros(1, np.int16), valuation_scale=np.ones(1, np.float32),
        consider=np.ones((3, 1), bool), attributes=np.array([[1.0], [3.0], [2.0]]),
        price=np.array([10.0, 20.0, 20.0]), list_price=np.array([10.0, 20.0, 20.0]),
        offer_firm=np.zeros(3, int), valuations=np.full((3, 1), np.nan), social=np.zeros(1),
    )


def test_compromise_needs_a_strictly_cheaper_and_a_strictly_dearer_offer():
    s = tied_situation()
    vf = ValueFunction(components=(ContextValue(compromise=1.0, attraction=0.0, overload=0.0),))
    engine, reference, _ = both(s, np.zeros(1), vf, 1.0)
    np.testing.assert_allclose(reference[0], [[0.0], [0.0], [0.0]])
    np.testing.assert_allclose(engine[0], reference[0])


def test_benchmark_script_prints_one_json_line():
    out = subprocess.run(
        [sys.executable, "experiments/benchmark.py", "--skip-full-run",
         "--n-customers", str(N_CUSTOMERS), "--repeats", "1",
         "--journey-customers", str(N_CUSTOMERS), "--journey-repeats", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    for key in ("n_customers", "reference_decisions_per_s", "engine_decisions_per_s", "ratio",
                "full_run_seconds", "peak_memory_mb", "bytes_per_customer", "reference_sample"):
        assert key in result
    assert result["n_customers"] == N_CUSTOMERS and result["agree"] is True
    assert result["full_run_seconds"] is None and result["bytes_per_customer"] > 0
    assert result["journey_overhead"] > 0 and result["journey_customers"] == N_CUSTOMERS
    assert result["targets_met"]["journey_overhead"] is None  # not the target's size


def test_journey_expectations_agree_with_the_reference(model):
    """Shoppers who expect slow journeys with hand-offs (one firm's unknown: NaN)."""
    s, outside = shopping(model)
    s = dataclasses.replace(s, journey_wait=np.array([0.2, 1.5, np.nan]),
                            journey_handoffs=np.array([4.0, 6.0, np.nan]))
    assert model.market.value.get("journey") is not None
    engine, reference, _ = both(s, outside, model.market.value, model.market.noise_scale)
    assert_agree(engine, reference, s.consider)
    plain, _, _ = both(dataclasses.replace(s, journey_wait=None, journey_handoffs=None),
                       outside, model.market.value, model.market.noise_scale)
    loss = plain[0] - engine[0]  # what the expected journeys cost, per offer
    firm = np.asarray(s.offer_firm)
    np.testing.assert_allclose(loss[firm == 0], 0.5 * 0.2 + 0.1 * 4.0, atol=1e-5)
    np.testing.assert_allclose(loss[firm == 1], 0.5 * 1.5 + 0.1 * 6.0, atol=1e-5)
    np.testing.assert_allclose(loss[firm == 2], 0.0, atol=1e-6)
