"""Economic invariants and the output schema, on a small default run with a downturn."""

from __future__ import annotations

import numpy as np

from sim.schema import OUTPUTS, check_dataset


def test_every_result_conforms_to_the_schema(small_dataset):
    assert check_dataset(small_dataset) == []
    for v in OUTPUTS:
        assert small_dataset[v.name].attrs["units"] == v.units


def test_population_is_conserved_across_awareness_states(small_dataset):
    n = 100_000  # the default market_size the fixture's 3,000 customers stand for
    totals = small_dataset["customers"].sum("state")
    np.testing.assert_allclose(totals, n)


def test_market_size_scales_counts_and_money_not_shares():
    """Without journeys: with them, a bigger market also loads the firms' staff (below)."""
    from sim import load_config, simulate

    small = ["population.n_customers=2000", "n_periods=14", "seed=9",
             "market.journey.enabled=false"]
    one = simulate(load_config([*small, "population.market_size=2000"]))
    five = simulate(load_config([*small, "population.market_size=10000"]))
    for name in ("units", "revenue", "customers", "buyers", "consumer_surplus"):
        np.testing.assert_allclose(five[name], 5 * one[name], rtol=1e-9)
    for name in ("share", "offer_share", "average_price", "outside_share", "price"):
        np.testing.assert_allclose(five[name], one[name], rtol=1e-12)


def test_no_negative_counts_prices_or_costs(small_dataset):
    for name in ("units", "price", "unit_cost", "revenue", "variable_cost", "customers",
                 "in_market", "buyers", "segment_units", "consumer_surplus"):
        assert float(small_dataset[name].min()) >= 0, name


def test_shares_and_outside_share_sum_to_one(small_dataset):
    ds = small_dataset
    np.testing.assert_allclose(ds["share"].sum("firm"), 1.0)
    np.testing.assert_allclose(ds["offer_share"].sum("offer"), 1.0)
    bought = ds["buyers"] / ds["in_market"]
    np.testing.assert_allclose(bought + ds["outside_share"], 1.0)


def test_accounting_adds_up(small_dataset):
    ds = small_dataset
    np.testing.assert_allclose(ds["revenue"], ds["units"] * ds["price"])
    by_firm = ds["revenue"].groupby("offer_firm").sum().rename(offer_firm="firm")
    np.testing.assert_allclose(by_firm.sel(firm=ds["firm"]), ds["firm_revenue"])
    np.testing.assert_allclose(
        ds["profit"], ds["firm_revenue"] - ds["firm_variable_cost"] - ds["fixed_cost"]
        - ds["cost_to_serve"] - ds["investment"])
    assert (ds["cost_to_serve"] >= ds["journey_cost"]).all()
    np.testing.assert_allclose(ds["segment_units"].sum("segment"), ds["units"])
    np.testing.assert_allclose(ds["units"].sum("offer"), ds["buyers"])


def test_the_downturn_shrinks_the_market(small_dataset):
    ds = small_dataset
    normal = ds["in_market"].sel(period=slice(0, 4)).mean()
    trough = ds["in_market"].where(ds["economy_index"] < 0.9).mean()
    assert float(trough) < float(normal)
