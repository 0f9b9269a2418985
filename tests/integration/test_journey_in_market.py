"""The customer journey in the market (MODEL.md §8, issue 6): load rises with demand,
journeys lose and sour customers, cost staff time, and describe themselves in the results.
On by default; ``market.journey.enabled=false`` switches every journey off."""

from __future__ import annotations

import numpy as np
import pytest

from agents.journey import FINAL_ACTIONS
from scenarios.config import build_scenario, load_config
from sim import simulate
from sim.schema import check_dataset

SMALL = ("population.n_customers=3000", "n_periods=12", "economy=steady",
         "strategy@firms.a.strategy=hold", "strategy@firms.b.strategy=hold",
         "strategy@firms.c.strategy=hold")
OFF = ("market.journey.enabled=false",)


def run(*overrides: str):
    return simulate(load_config([*SMALL, *overrides]))


@pytest.fixture(scope="module")
def default():
    return run()


def total(ds, name: str, firm: str | None = None) -> float:
    da = ds[name] if firm is None else ds[name].sel(firm=firm)
    return float(da.sum())


# -- story ------------------------------------------------------------------------------


def test_an_understaffed_journey_degrades_as_the_market_grows(default):
    """Same staff, four times the customers: longer waits, fewer inquiries complete."""
    crowded = run("population.market_size=400000")
    for firm in ("a", "b", "c"):
        assert (crowded["journey_wait"].sel(firm=firm).mean()
                > 2 * default["journey_wait"].sel(firm=firm).mean())
        assert (crowded["journey_completion"].sel(firm=firm).mean()
                < default["journey_completion"].sel(firm=firm).mean() - 0.05)
    # the queues are where the time goes, and some customers give up in them
    assert float(crowded["touchpoint_abandonment"].max()) > 0.05


def test_hand_offs_lose_sales_and_cost_staff_time(default):
    passed = run("firms.a.journey.handoffs=4")
    assert total(passed, "firm_units", "a") < total(default, "firm_units", "a")
    assert (passed["journey_completion"].sel(firm="a").mean()
            < default["journey_completion"].sel(firm="a").mean())
    per_sale = {n: total(ds, "journey_cost", "a") / total(ds, "firm_units", "a")
                for n, ds in (("base", default), ("passed", passed))}
    assert per_sale["passed"] > per_sale["base"]
    assert total(passed, "touchpoint_arrivals", None) > 0
    assert float(passed["touchpoint_arrivals"].sel(firm="a", touchpoint="transfer").sum()) > 0
    assert float(default["touchpoint_arrivals"].sel(touchpoint="transfer").sum()) == 0


def test_a_firm_without_a_journey_sells_to_everyone_who_chooses_it():
    ds = run("firms.b.journey=null")
    b = ds.sel(firm="b")
    np.testing.assert_allclose(b["final_actions"].sel(action="buys"), b["inquiries"])
    np.testing.assert_allclose(b["firm_units"], b["inquiries"])
    assert (b["journey_cost"] == 0).all() and b["touchpoint_mean_wait"].isnull().all()
    assert (ds["journey_cost"].sel(firm="a") > 0).all()


# -- contract -----------------------------------------------------------------------------


def test_switched_off_every_firm_buys_directly_and_results_keep_their_shape(default):
    off = run(*OFF)
    assert check_dataset(off) == [] and check_dataset(default) == []
    assert off["touchpoint"].values.tolist() == default["touchpoint"].values.tolist()
    assert off["touchpoint"].values.tolist()[-1] == "transfer"
    assert off["action"].values.tolist() == list(FINAL_ACTIONS)
    np.testing.assert_allclose(off["final_actions"].sel(action="buys"), off["inquiries"])
    np.testing.assert_allclose(off["firm_units"], off["inquiries"])
    assert (off["journey_cost"] == 0).all() and off["journey_wait"].isnull().all()
    assert total(off, "units") > total(default, "units")  # journeys lose some customers


def test_booked_sales_are_the_inquiries_that_bought(default):
    np.testing.assert_allclose(default["final_actions"].sum("action"), default["inquiries"])
    np.testing.assert_allclose(default["final_actions"].sel(action="buys"),
                               default["firm_units"])
    completion = default["final_actions"].sel(action="buys") / default["inquiries"]
    np.testing.assert_allclose(default["journey_completion"], completion)
    rates = default[["touchpoint_completion", "touchpoint_abandonment"]]
    assert float(rates.to_array().min()) >= 0 and float(rates.to_array().max()) <= 1
    assert (default["touchpoint_p90_wait"].fillna(0) >= 0).all()


def test_the_same_seed_gives_the_same_journeys_remembered_or_simulated_afresh(default):
    from agents.journey_book import _simulated, clear_simulation_cache

    hits = _simulated.cache_info().hits
    again = run()  # reuses this process's simulations of the same journeys, loads and seed
    assert _simulated.cache_info().hits > hits
    clear_simulation_cache()
    fresh = run()
    for ds in (again, fresh):
        for name in ("final_actions", "touchpoint_mean_wait", "journey_cost", "profit"):
            np.testing.assert_array_equal(ds[name].values, default[name].values)


def test_the_load_grid_tracks_exact_per_period_simulation():
    """``load_step=1`` simulates every firm-period at its exact load: the grid's
    interpolation agrees with it to within sampling error (1,000 inquiries per simulation,
    so that error is about 0.01 in completion)."""
    big = [f"firms.{f}.journey.sample_size=1000" for f in ("a", "b", "c")]
    grid, exact = run(*big), run(*big, "market.journey.load_step=1")
    for name, tol in (("journey_completion", 0.025), ("journey_wait", 0.03)):
        assert float(abs(exact[name].mean("period") - grid[name].mean("period")).max()) < tol


def test_escalations_turn_insiders_into_detractors():
    """Impatient customers facing a two-person contact desk: many escalate, and the firm's
    word of mouth sours against the same market with an ample desk."""
    tight = run("firms.a.journey.touchpoints.contact.capacity=2", "firms.a.journey.patience=0.5",
                "firms.a.journey.escalation=1.0")
    ample = run("firms.a.journey.patience=0.5", "firms.a.journey.escalation=1.0")
    assert (total(tight, "final_actions", None) > 0
            and float(tight["final_actions"].sel(firm="a", action="escalates").sum())
            > 2 * float(ample["final_actions"].sel(firm="a", action="escalates").sum()))
    assert (tight["word_of_mouth"].sel(firm="a").isel(period=slice(4, None)).mean()
            < ample["word_of_mouth"].sel(firm="a").isel(period=slice(4, None)).mean())


# -- revenue model by stage -----------------------------------------------------------------


def test_a_transformation_is_paid_only_for_the_outcomes_it_achieves():
    """Stage sets what is charged for: a transformation charges for outcomes, so buyers who
    are not satisfied pay nothing; every other stage charges per purchase."""
    ds = run("firms.c.stage=transformation", "firms.c.supplied_depth=9")
    charged = (ds["units"] * ds["price"]).groupby("offer_firm").sum().rename(offer_firm="firm")
    c = ds.sel(firm="c")
    assert (c["satisfied_share"] < 1).all()  # some buyers are not satisfied ...
    assert (c["firm_revenue"] < charged.sel(firm="c")).all()  # ... and they pay nothing
    assert (c["firm_revenue"] > 0).all()
    for firm in ("a", "b"):  # services charge for the activity, satisfied or not
        np.testing.assert_allclose(ds["firm_revenue"].sel(firm=firm), charged.sel(firm=firm))


def test_the_default_scenario_runs_journeys_and_the_fit():
    spec = build_scenario(load_config([]))
    assert spec.market.journey.enabled
    assert all(f.journey is not None for f in spec.firms.values())
    assert spec.market.value.get("fit") is not None
    assert spec.market.value.get("journey") is not None
