"""Dated events (entrants, price wars) and the price-transparency driver, through the model.

Small populations; every scenario is compared with the same replicate without the event
(common random numbers), so differences are the event's doing.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import cli
from scenarios.config import build_scenario, load_config
from scenarios.drivers import Ramp
from sim import simulate
from sim.validation import ConfigError

SMALL = ("population.n_customers=4000", "n_periods=36", "economy=steady",
         "strategy@firms.a.strategy=hold", "strategy@firms.b.strategy=hold",
         "strategy@firms.c.strategy=hold")


def run(*overrides: str):
    return simulate(load_config([*SMALL, *overrides]))


# -- entrants -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wave():
    return run("+events=entrants", "firms.d.entry_period=6", "firms.e.entry_period=14")


def test_an_entrant_is_absent_unknown_and_silent_until_it_enters(wave):
    for firm, entry in (("d", 6), ("e", 14)):
        offers = wave["offer_firm"] == firm
        before = wave.isel(period=slice(0, entry))
        assert (before["on_sale"].sel(offer=offers) == 0).all()
        assert (before["units"].sel(offer=offers) == 0).all()
        known = before["customers"].sel(firm=firm, state=["edge", "insider"]).sum("state")
        assert (known == 0).all(), firm
        after = wave.isel(period=slice(entry, None))
        assert (after["on_sale"].sel(offer=offers) == 1).all()
        assert after["customers"].sel(firm=firm, state="edge").isel(period=-1) > 0
        assert after["units"].sel(offer=offers).sum() > 0


def test_entrants_take_share_from_the_incumbents(wave):
    base = run()
    late = slice(20, None)
    incumbents = ["a", "b", "c"]
    with_wave = wave["share"].sel(firm=incumbents).isel(period=late).sum("firm").mean()
    without = base["share"].sel(firm=incumbents).isel(period=late).sum("firm").mean()
    assert float(without) == pytest.approx(1.0)
    assert float(with_wave) < 0.97


def test_before_the_first_entry_the_market_is_the_one_without_entrants(wave):
    base = run()
    first = 6
    np.testing.assert_allclose(
        wave["firm_units"].sel(firm=["a", "b", "c"]).isel(period=slice(0, first)).values,
        base["firm_units"].isel(period=slice(0, first)).values)


# -- price war ------------------------------------------------------------------------


def test_a_price_war_caps_prices_in_its_window_and_wins_share_there():
    war = run("+events=price_war", "firms.b.price_war.start=10", "firms.b.price_war.duration=8")
    base = run()
    b = (war["offer_firm"] == "b").values
    list_price = base["price"].isel(period=0).values
    inside = slice(10, 18)
    np.testing.assert_allclose(war["price"].isel(period=inside).values[:, b],
                               np.broadcast_to(0.75 * list_price[b], (8, b.sum())))
    np.testing.assert_allclose(war["price"].isel(period=slice(18, None)).values,
                               base["price"].isel(period=slice(18, None)).values)
    gained = (war["share"].sel(firm="b").isel(period=inside)
              - base["share"].sel(firm="b").isel(period=inside))
    assert (gained > 0).all()


def test_a_price_war_only_lowers_prices():
    """A firm that already prices below the war's ceiling keeps its own price."""
    war = run("strategy@firms.b.strategy=cut", "firms.b.strategy.trigger.threshold=1.5",
              "firms.b.strategy.trigger.release=1.6", "firms.b.strategy.depth=0.4",
              "firms.b.price_war={start: 5, duration: 5, depth: 0.1}")
    b = (war["offer_firm"] == "b").values
    list_price = war["price"].isel(period=0).values / 0.6
    np.testing.assert_allclose(war["price"].isel(period=slice(5, 10)).values[:, b],
                               np.broadcast_to(0.6 * list_price[b], (5, b.sum())), rtol=1e-9)


# -- price transparency ---------------------------------------------------------------


def test_the_ramp_driver_is_a_straight_line_between_its_levels():
    path = Ramp(start=0.2, end=0.6, onset=2, duration=4).path(8)
    np.testing.assert_allclose(path, [0.2, 0.2, 0.25, 0.35, 0.45, 0.55, 0.6, 0.6])


def test_transparency_is_recorded_and_makes_price_matter_more():
    """Commoditisation: as offers look alike to non-insiders, the cheapest ladder gains."""
    clear = run("transparency=ramp", "transparency.onset=0", "transparency.duration=12",
                "transparency.end=0.9")
    base = run()
    np.testing.assert_allclose(clear["transparency"].isel(period=slice(12, None)), 0.9)
    assert (base["transparency"] == 0).all()
    late = slice(18, None)
    # the value brand (a) is the cheapest at every rung of the default market
    gain = (clear["share"].sel(firm="a").isel(period=late).mean()
            - base["share"].sel(firm="a").isel(period=late).mean())
    assert float(gain) > 0.02
    # and nobody buys a premium on attributes they no longer see: average prices paid fall
    paid = clear["firm_revenue"].isel(period=late).sum() / clear["firm_units"].isel(
        period=late).sum()
    paid_base = base["firm_revenue"].isel(period=late).sum() / base["firm_units"].isel(
        period=late).sum()
    assert float(paid) < float(paid_base)


def test_without_transparency_the_results_are_unchanged():
    """transparency=none is the engine as it was: identical to a zero ramp."""
    a = run()
    b = run("transparency=ramp", "transparency.end=0.0")
    for v in ("units", "profit", "customers"):
        np.testing.assert_array_equal(a[v].values, b[v].values)


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "field"), [
    (("+events=entrants", "firms.d.entry_period=36"), "firms.d.entry_period"),
    (("firms.b.entry_period=-1",), "firms.b.entry_period"),
    (("+events=price_war", "firms.b.price_war.start=40"), "firms.b.price_war.start"),
    (("+events=price_war", "firms.b.price_war.depth=1.5"), "firms.b.price_war.depth"),
    (("+events=price_war", "firms.b.price_war.duration=0"), "firms.b.price_war.duration"),
    (("firms.b.price_war=5",), "firms.b.price_war"),
    (("transparency=ramp", "transparency.end=1.5"), "transparency"),
    (("transparency=ramp", "transparency.onset=40"), "transparency.onset"),
    (("+events=entrants", "strategy@firms.d.strategy=wait_and_see"), "firms.d.strategy"),
    (("firms.a.entry_period=3", "firms.b.entry_period=3", "firms.c.entry_period=3"),
     "firms.*.entry_period"),
])
def test_bad_events_and_drivers_are_one_line_errors(overrides, field, capsys):
    with pytest.raises(ConfigError, match=field.replace("*", r"\*")):
        build_scenario(load_config([*SMALL, *overrides]))
    assert cli.main(["run", *SMALL, *overrides]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("valuesim: error: ") and err.count("\n") == 0 and field in err


# -- relationship care ----------------------------------------------------------------


def test_care_deepens_bonds_keeps_insiders_and_costs_per_buyer():
    cared = run("firms.b.care=2.0", "firms.b.care_cost=1.5")
    base = run()
    late = slice(12, None)
    assert (cared["mean_bond"].sel(firm="b").isel(period=late)
            > base["mean_bond"].sel(firm="b").isel(period=late)).all()
    assert (cared["customers"].sel(firm="b", state="insider").isel(period=-1)
            > base["customers"].sel(firm="b", state="insider").isel(period=-1))
    np.testing.assert_allclose(cared["cost_to_serve"].sel(firm="b"),  # care + journey staff
                               1.5 * cared["firm_units"].sel(firm="b")
                               + cared["journey_cost"].sel(firm="b"))
    np.testing.assert_allclose(base["cost_to_serve"], base["journey_cost"])
    np.testing.assert_allclose(
        cared["profit"], cared["firm_revenue"] - cared["firm_variable_cost"]
        - cared["fixed_cost"] - cared["cost_to_serve"])


def test_insiders_keep_seeing_a_caring_firm_through_transparency():
    """Relationships resist commoditisation: under full transparency the firm with more
    insiders keeps more of its share than it does without care."""
    ramp = ("transparency=ramp", "transparency.onset=0", "transparency.duration=8",
            "transparency.end=1.0")
    cared = run(*ramp, "firms.c.care=3.0")
    plain = run(*ramp)
    late = slice(20, None)
    assert float(cared["share"].sel(firm="c").isel(period=late).mean()) > float(
        plain["share"].sel(firm="c").isel(period=late).mean())


# -- disruption waves ------------------------------------------------------------------


def test_the_waves_driver_steps_the_frontier_up_at_each_onset():
    from scenarios.drivers import Waves

    path = Waves(onsets=(2, 6), step=0.5, duration=2, dimension="convenience").path(10)
    np.testing.assert_allclose(path, [0, 0, 0.125, 0.375, 0.5, 0.5, 0.625, 0.875, 1.0, 1.0])


@pytest.mark.parametrize("policy", ["lead", "follow", "cling"])
def test_innovation_policies_adopt_the_frontier_on_their_schedule(policy):
    from agents.innovation import InnovationParams, adoption

    frontier = np.array([0.0, 0.5, 1.0, 1.0, 1.5, 2.0])
    p = InnovationParams(policy=policy, lag=2, adoption_cost=10.0, spillover=0.5)
    levels, invest = adoption(frontier, [p])
    expected = {"lead": frontier, "follow": [0, 0, 0, 0.5, 1.0, 1.0],
                "cling": np.zeros(6)}[policy]
    np.testing.assert_allclose(levels[:, 0], expected)
    # pays for each step up; a follower adopts 2-period-old levels at (1 - 0.5)^2 the cost
    unit = {"lead": 10.0, "follow": 2.5, "cling": 10.0}[policy]
    np.testing.assert_allclose(invest[:, 0], unit * np.diff(expected, prepend=0).clip(0))


def test_firms_that_do_not_keep_up_lose_customers_to_those_that_do():
    waves = ("disruption=waves", "n_periods=40", "disruption.onsets=[6,20]",
             "firms.b.innovation.policy=lead")
    cling = run(*waves, "firms.a.innovation.policy=cling")
    lead = run(*waves, "firms.a.innovation.policy=lead", "firms.a.innovation.adoption_cost=1000")
    late = slice(26, None)
    assert float(lead["share"].sel(firm="a").isel(period=late).mean()) > float(
        cling["share"].sel(firm="a").isel(period=late).mean()) + 0.05
    np.testing.assert_allclose(lead["investment"].sel(firm="a").sum(), 2 * 1000.0)
    assert (cling["investment"].sel(firm="a") == 0).all()
    np.testing.assert_allclose(lead["technology_frontier"].isel(period=-1), 2.0)
    np.testing.assert_allclose(lead["adopted_technology"].sel(firm="a"),
                               lead["technology_frontier"])
    assert (cling["adopted_technology"].sel(firm="a") == 0).all()
    # before the first wave, policies make no difference
    np.testing.assert_array_equal(lead["units"].isel(period=slice(0, 6)).values,
                                  cling["units"].isel(period=slice(0, 6)).values)


@pytest.mark.parametrize(("overrides", "field"), [
    (("disruption=waves", "disruption.dimension=telepathy"), "disruption.dimension"),
    (("disruption=waves", "disruption.onsets=[20,10]"), "disruption.onsets"),
    (("disruption=waves", "disruption.onsets=[40]"), "disruption.onset"),
    (("disruption=waves", "disruption.onsets=[10,40]"), r"disruption.onsets\[1\]"),
    (("disruption=waves", "disruption.step=0"), "disruption.step"),
    (("firms.a.innovation.policy=pioneer",), "firms.a.innovation.policy"),
    (("firms.a.innovation.lag=0",), "firms.a.innovation.lag"),
])
def test_bad_disruption_settings_are_one_line_errors(overrides, field):
    with pytest.raises(ConfigError, match=field):
        build_scenario(load_config([*SMALL, *overrides]))


def test_rivals_do_not_react_to_an_entrant_before_it_enters():
    """A firm that matches the lowest rival price ignores an entrant's offers until entry."""
    match = ("strategy@firms.a.strategy=match", "firms.a.strategy.lag=0")
    wave = run("+events=entrants", "firms.d.entry_period=10", *match)
    base = run(*match)
    own = [o for o in base["offer"].values if str(o).startswith("a/")]
    np.testing.assert_array_equal(wave["price"].sel(offer=own).isel(period=slice(0, 10)).values,
                                  base["price"].sel(offer=own).isel(period=slice(0, 10)).values)
