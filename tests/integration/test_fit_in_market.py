"""The iCustomer fit through the market: under-serving a stage loses customers, over-serving
costs money without winning them (MODEL.md §4, §6; seed 000:15). On by default."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.config import build_scenario, load_config
from sim import simulate
from sim.validation import ConfigError

SMALL = ("population.n_customers=4000", "n_periods=30", "economy=steady",
         "strategy@firms.a.strategy=hold", "strategy@firms.b.strategy=hold",
         "strategy@firms.c.strategy=hold")
FIT = ()  # on by default
NO_FIT = ("market.value.fit.enabled=false",)


def run(*overrides: str):
    return simulate(load_config([*SMALL, *overrides]))


def late_share(ds, firm: str = "a") -> float:
    return float(ds["share"].sel(firm=firm).isel(period=slice(15, None)).mean())


def test_switched_off_the_fit_changes_nothing():
    from sim.fit import FitValue

    assert isinstance(build_scenario(load_config([])).market.value.get("fit"), FitValue)
    a = run(*NO_FIT, "firms.a.stage=goods", "firms.a.supplied_depth=0")
    b = run(*NO_FIT)
    np.testing.assert_array_equal(a["units"].values, b["units"].values)


def test_under_serving_a_transformation_loses_customers():
    under = run(*FIT, "firms.a.stage=transformation", "firms.a.supplied_depth=2")
    fitting = run(*FIT, "firms.a.stage=transformation", "firms.a.supplied_depth=9")
    assert late_share(under) < late_share(fitting) - 0.1


def test_over_serving_a_commodity_costs_money_and_wins_nobody():
    lean = run(*FIT, "firms.a.stage=commodity", "firms.a.supplied_depth=5",
               "firms.a.depth_cost=0.5")
    lavish = run(*FIT, "firms.a.stage=commodity", "firms.a.supplied_depth=9",
                 "firms.a.depth_cost=0.5")
    # a commodity buyer wants at most depth 6 (10 - 2 x 2), so 5 is within tolerance for
    # all of them: more depth adds no value, identical choices
    np.testing.assert_array_equal(lean["units"].values, lavish["units"].values)
    np.testing.assert_allclose(lavish["cost_to_serve"].sel(firm="a"),
                               0.5 * 9 * lavish["firm_units"].sel(firm="a")
                               + lavish["journey_cost"].sel(firm="a"))
    assert float(lavish["profit"].sel(firm="a").sum()) < float(lean["profit"].sel(firm="a").sum())


@pytest.mark.parametrize(("overrides", "field"), [
    (("firms.a.stage=artisanal",), "firms.a.stage"),
    (("firms.a.supplied_depth=11",), "firms.a.supplied_depth"),
    (("firms.a.depth_cost=-1",), "firms.a.depth_cost"),
    (("population.segments.mainstream.desired_depth=-1",),
     "population.segments.mainstream.desired_depth"),
    (("market.value.fit.beta_under=-1",), "beta_under"),
])
def test_bad_fit_settings_are_one_line_errors(overrides, field):
    with pytest.raises(ConfigError, match=field):
        build_scenario(load_config([*SMALL, *overrides]))


def test_under_served_buyers_are_less_often_satisfied():
    """The fit is lived, not only expected: buyers of an under-serving firm are disappointed
    more often (so bonds, word of mouth and, for outcome-charged stages, payments suffer)."""
    under = run("firms.a.stage=experience", "firms.a.supplied_depth=2")
    fitting = run("firms.a.stage=experience", "firms.a.supplied_depth=7")
    late = slice(5, None)
    assert (under["satisfied_share"].sel(firm="a").isel(period=late).mean()
            < fitting["satisfied_share"].sel(firm="a").isel(period=late).mean() - 0.05)


def test_the_stage_only_shifts_the_depth_customers_want():
    """Invariant: a firm two depth units above the diagonal looks the same to customers at
    goods (D*=3) as at experience (D*=7), unless a depth is clipped at 0 or 10."""
    goods = run("firms.a.stage=goods", "firms.a.supplied_depth=5", "n_periods=10")
    experience = run("firms.a.stage=experience", "firms.a.supplied_depth=9", "n_periods=10")
    np.testing.assert_array_equal(goods["units"].values, experience["units"].values)
    np.testing.assert_array_equal(goods["satisfied_share"].values,
                                  experience["satisfied_share"].values)
