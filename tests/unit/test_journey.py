"""The SimPy journey kernel: queueing theory, hand-offs, patience, determinism, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.journey import (
    FINAL_ACTIONS,
    JourneyParams,
    TouchpointParams,
    erlang_c_wait,
    simulate_journey,
)
from sim.validation import ConfigError

INF = math.inf


def desk(**kw) -> TouchpointParams:
    return TouchpointParams(**{"name": "desk", "capacity": 1, "mean_service": 1.0, **kw})


def single(n: int = 20_000, **kw) -> JourneyParams:
    """One touchpoint, customers who never abandon: a plain M/M/c (or M/G/c) queue."""
    return JourneyParams(touchpoints=(desk(**kw),), patience=INF, sample_size=n)


def run(params: JourneyParams, rate: float, seed: int = 7, **kw):
    return simulate_journey(params, rate, np.random.default_rng(seed), **kw)


# --- queueing theory --------------------------------------------------------------------


def test_erlang_c_matches_closed_forms():
    assert erlang_c_wait(0.5, 1.0, 1) == pytest.approx(1.0)        # M/M/1: rho/(mu-lambda)
    assert erlang_c_wait(0.8, 1.0, 1) == pytest.approx(4.0)
    assert erlang_c_wait(1.0, 1.0, 2) == pytest.approx(1 / 3)      # C(2, 1) = 1/3
    assert erlang_c_wait(2.0, 1.0, 2) == INF


@pytest.mark.parametrize(("servers", "rate"), [
    (1, 0.5), (3, 2.1),
    pytest.param(1, 0.8, marks=pytest.mark.slow), pytest.param(4, 2.0, marks=pytest.mark.slow)])
def test_mean_wait_matches_erlang_c(servers, rate):
    # 4 x 20,000 inquiries: one run's mean wait spreads 3-8% (sd) around Erlang C, so the
    # mean of four spreads at most 4%, and 12% is 3 sd.
    runs = [run(single(capacity=servers, mean_service=1.0), rate, seed=s) for s in range(4)]
    mean = erlang_c_wait(rate, 1.0, servers)
    assert np.mean([r.mean_wait[0] for r in runs]) == pytest.approx(mean, rel=0.12)
    # M/M/c: P(wait > t) = C exp(-(c mu - lambda) t), with C = mean (c mu - lambda).
    decay = servers - rate
    p90 = math.log(mean * decay / 0.1) / decay if mean * decay > 0.1 else 0.0
    assert np.mean([r.p90_wait[0] for r in runs]) == pytest.approx(p90, rel=0.12, abs=0.02)
    assert all(r.abandonment_rate[0] == 0 and r.completion == 1.0 for r in runs)


def test_mean_wait_scales_with_the_time_unit():
    # Service in minutes instead of hours, arrivals per minute: waits 60 times larger.
    hours = run(single(capacity=2, mean_service=1.0), 1.2)
    minutes = run(single(capacity=2, mean_service=60.0), 1.2 / 60)
    assert minutes.mean_wait[0] == pytest.approx(60 * hours.mean_wait[0], rel=1e-9)


def test_zero_load_gives_zero_wait():
    stats = run(JourneyParams(sample_size=50, handoffs=2), 1e-6)
    served = stats.visits > 0
    assert served.sum() >= 2
    np.testing.assert_array_equal(stats.mean_wait[served], 0.0)
    np.testing.assert_array_equal(stats.p90_wait[served], 0.0)
    # Without hand-off delays nothing uses up patience at zero load: nobody abandons.
    instant = JourneyParams(
        touchpoints=tuple(desk(name=n, capacity=1) for n in ("contact", "buy", "support")),
        transfer=desk(name="transfer"), handoffs=2, sample_size=50)
    stats = run(instant, 1e-6)
    assert stats.completion == 1.0 and np.all(stats.abandonment_rate == 0)
    np.testing.assert_array_equal(stats.mean_wait, 0.0)


def test_one_inquiry_never_waits_and_pays_only_service():
    stats = run(JourneyParams(sample_size=1), 5.0)
    assert stats.n_inquiries == 1 and np.nansum(stats.mean_wait) == 0.0
    assert stats.cost_to_serve == pytest.approx(stats.staff_time * 40.0)
    assert stats.mean_time_in_journey >= stats.staff_time


# --- hand-offs, patience, more information -----------------------------------------------


@pytest.mark.parametrize("rate", [1.5, 3.0])
@pytest.mark.parametrize("patience", [0.5, 2.0])
def test_more_handoffs_never_raise_completion(rate, patience):
    completion = [run(JourneyParams(handoffs=h, patience=patience, sample_size=600), rate,
                      seed=3).completion for h in range(5)]
    assert all(b <= a for a, b in zip(completion, completion[1:], strict=False)), completion
    assert completion[-1] < completion[0]


def test_handoffs_go_through_the_transfer_desk():
    params = JourneyParams(handoffs=3, handoff_after=("contact",), sample_size=200)
    stats = run(params, 1.0)
    assert params.route().tolist() == [0, 1, 5, 5, 5, 2, 3, 4]
    assert stats.touchpoint[-1] == "transfer" and stats.arrivals[-1] > 0
    assert stats.handoffs[1] <= stats.arrivals[-1] <= 3 * stats.handoffs[1]
    assert stats.arrivals[2] <= stats.handoffs[-1] <= stats.arrivals[-1]
    assert run(JourneyParams(sample_size=200), 1.0).arrivals[-1] == 0


def test_abandonment_rises_as_patience_falls():
    def abandoned(patience: float) -> tuple[float, float]:
        stats = run(JourneyParams(patience=patience, sample_size=800), 3.0)
        left = stats.action("goes_away") + stats.action("escalates")
        return left / stats.n_inquiries, stats.abandonment_rate[1]   # overall, at "contact"

    rates = [abandoned(p) for p in (8.0, 2.0, 0.5)]
    assert rates[0][0] < rates[1][0] < rates[2][0]
    assert rates[0][1] < rates[1][1] < rates[2][1]


def test_escalation_splits_abandonment():
    never = run(JourneyParams(escalation=0.0, patience=0.2, sample_size=300), 4.0)
    always = run(JourneyParams(escalation=1.0, patience=0.2, sample_size=300), 4.0)
    assert never.action("escalates") == 0 and never.action("goes_away") > 0
    assert always.action("goes_away") == 0
    assert always.action("escalates") == never.action("goes_away")


def test_asks_for_more_when_information_never_suffices():
    params = JourneyParams(touchpoints=(desk(more_info=1.0),), max_more_info=2, patience=INF,
                           sample_size=100)
    stats = run(params, 1e-4)
    assert stats.action("asks_for_more") == 100 and stats.completion == 0.0
    assert stats.visits[0] == 300 and stats.staff_time == pytest.approx(
        stats.mean_time_in_journey * 100)


def test_final_actions_account_for_every_inquiry():
    stats = run(JourneyParams(handoffs=1, sample_size=400), 3.0)
    assert stats.final_actions.shape == (len(FINAL_ACTIONS),)
    assert stats.final_actions.sum() == stats.n_inquiries == 400
    assert stats.completion == stats.action("buys") / 400
    assert np.all(stats.p90_wait[stats.visits > 0] >= 0)


def test_horizon_caps_the_sample():
    stats = run(JourneyParams(sample_size=400, warmup=0), 2.0, horizon=10.0)
    assert 0 < stats.n_inquiries < 60   # Poisson(20) arrivals in 10 time units


def test_lognormal_service_keeps_its_mean():
    expo = run(single(mean_service=2.0), 0.05)
    logn = run(single(mean_service=2.0, service="lognormal", service_cv=0.3), 0.05)
    assert logn.staff_time / 20_000 == pytest.approx(2.0, rel=0.02)
    assert expo.staff_time / 20_000 == pytest.approx(2.0, rel=0.03)
    rng = np.random.default_rng(0)
    times = desk(mean_service=2.0, service="lognormal", service_cv=0.3).service_times(
        rng.standard_exponential(100_000), rng.standard_normal(100_000))
    assert times.mean() == pytest.approx(2.0, rel=0.01)
    assert times.std() / times.mean() == pytest.approx(0.3, rel=0.03)


# --- determinism and the random stream -------------------------------------------------


def test_same_seed_same_stats_different_seed_different_stats():
    a, b, c = (run(JourneyParams(handoffs=1), 3.0, seed=s) for s in (11, 11, 12))
    for field in ("arrivals", "visits", "mean_wait", "p90_wait", "final_actions"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.cost_to_serve == b.cost_to_serve
    assert not np.array_equal(a.mean_wait, c.mean_wait)


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "field"), [
    (lambda: desk(capacity=0), "capacity"),
    (lambda: desk(capacity=-2), "capacity"),
    (lambda: desk(mean_service=-1.0), "mean_service"),
    (lambda: desk(mean_service=0.0), "mean_service"),
    (lambda: desk(more_info=1.5), "more_info"),
    (lambda: desk(handoff_delay=-0.1), "handoff_delay"),
    (lambda: desk(service="uniform"), "service"),
    (lambda: JourneyParams(escalation=-0.1), "escalation"),
    (lambda: JourneyParams(patience=0.0), "patience"),
    (lambda: JourneyParams(handoffs=-1), "handoffs"),
    (lambda: JourneyParams(handoffs=1, handoff_after=("billing",)), "handoff_after[0]"),
    (lambda: JourneyParams(touchpoints=(desk(), desk())), "touchpoints"),
    (lambda: JourneyParams(sample_size=0), "sample_size"),
    (lambda: JourneyParams(staff_cost=-5.0), "staff_cost"),
])
def test_validation_names_the_field(make, field):
    with pytest.raises(ConfigError) as err:
        make()
    assert err.value.field == field and str(err.value).startswith(f"{field}:")


def test_arrival_rate_must_be_positive():
    with pytest.raises(ConfigError, match="arrival_rate"):
        run(JourneyParams(), 0.0)


def test_no_arrivals_gives_empty_stats():
    stats = run(JourneyParams(), 1.0, horizon=1e-9)
    assert stats.n_inquiries == 0 and stats.final_actions.sum() == 0
    assert math.isnan(stats.completion) and np.all(np.isnan(stats.mean_wait))


def test_config_errors_carry_the_path():
    from sim.params import from_mapping

    with pytest.raises(ConfigError) as err:
        from_mapping(JourneyParams, {"touchpoints": [{"name": "a", "capacity": 0}]})
    assert err.value.field == "touchpoints[0].capacity"


def test_an_overloaded_desk_is_measured_in_its_settled_state():
    """Twice the work five staff can do, customers who wait an hour on average: in the
    settled state the desk serves what it can, 5 of every 10 arrivals (fluid limit of the
    Erlang-A queue), and the rest give up. The warm-up grows to let the queue settle."""
    params = JourneyParams(touchpoints=(desk(capacity=5),), patience=1.0, sample_size=400,
                           escalation=0.0)
    assert params.offered_load(10.0)[0] == pytest.approx(2.0)
    assert params.warmup_at(10.0) >= params.warmup and params.warmup_at(1.0) == params.warmup
    runs = [run(params, 10.0, seed=s) for s in range(4)]
    assert np.mean([r.abandonment_rate[0] for r in runs]) == pytest.approx(0.5, abs=0.05)


def test_an_overload_warms_up_for_four_mean_patiences():
    def warmup(patience: float, warmup: int = 10) -> int:
        return JourneyParams(touchpoints=(desk(capacity=2),), patience=patience,
                             warmup=warmup).warmup_at(3.0)   # offered load 1.5

    assert warmup(4.0) == 4 * 4.0 * 3.0                       # 48 inquiries
    assert warmup(4.0, warmup=50) == 50                       # never below the usual one
    assert warmup(1000.0) == warmup(INF) == 4000              # capped
    assert JourneyParams(touchpoints=(desk(capacity=2),), patience=4.0,
                         warmup=10).warmup_at(1.0) == 10      # keeps up: the usual warm-up
