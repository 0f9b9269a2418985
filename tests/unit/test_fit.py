"""The iCustomer fit (seed M30): analytic table, monotonicity, the component contract,
validation, and the profit ridge along the diagonal D*(s).

Fit tables are offer-major, shape (offer, shopper).
"""

from __future__ import annotations

import dataclasses
import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import sim.fit
from sim.fit import (
    CHARGE_BASIS,
    STAGES,
    FitValue,
    charge_basis,
    check_depth,
    cost_to_serve_per_buyer,
    desired_depth,
    fit_utility,
    stage_index,
)
from sim.params import from_mapping, to_mapping
from sim.validation import ConfigError
from sim.value import ChoiceSituation, Contribution, PriceValue, ValueComponent, ValueFunction

COMMODITY, GOODS, SERVICE, EXPERIENCE, TRANSFORMATION = range(5)

# --- a hand-computed table (tolerance 1, stage shift 2, beta_under 1) ----------------------
# shoppers want d_i = 0, 5, 9 at the service stage; d_ij = clip(d_i + 2 (s_j - 2), 0, 10)
DESIRED = np.array([0.0, 5.0, 9.0], np.float32)
STAGE = np.array([COMMODITY, SERVICE, TRANSFORMATION, EXPERIENCE, COMMODITY])
SUPPLIED = np.array([0.0, 4.0, 7.0, 10.0, 2.0])
WANTED = np.array([  # d_ij, (offer, shopper)
    [0, 1, 5],    # commodity: 0-4 clipped at 0
    [0, 5, 9],    # service: d_i
    [4, 9, 10],   # transformation: 9+4 clipped at 10
    [2, 7, 10],   # experience: 9+2 clipped at 10
    [0, 1, 5],
])
UNDER_ONLY = np.array([  # -max(0, d_ij - 1 - D_j)
    [0, 0, -4],   # shopper 1 exactly at the tolerance edge (1 - 1 - 0 = 0)
    [0, 0, -4],   # shopper 1 at the edge again (5 - 1 - 4 = 0)
    [0, -1, -2],  # 10 - 1 - 7 = 2 (unclipped 13 would give 5)
    [0, 0, 0],    # depth 10 meets everyone
    [0, 0, -2],
])
WITH_OVER = np.array([  # beta_over 0.5: also -0.5 * max(0, D_j - d_ij - 1)
    [0, 0, -4],
    [-1.5, 0, -4],    # 4 - 0 - 1 = 3 over
    [-1, -1, -2],     # 7 - 4 - 1 = 2 over
    [-3.5, -1, 0],    # 10 - 2 - 1 = 7, 10 - 7 - 1 = 2 over
    [-0.5, 0, -2],    # 2 - 0 - 1 = 1 over (unclipped d = -4 would give 5)
])


def test_desired_depth_rises_with_stage_and_is_clipped():
    got = desired_depth(DESIRED, STAGE, FitValue())
    np.testing.assert_array_equal(got, WANTED)
    assert got.dtype == np.float32 and got.shape == (5, 3)


@pytest.mark.parametrize(("beta_over", "expected"), [(0.0, UNDER_ONLY), (0.5, WITH_OVER)])
def test_fit_utility_matches_the_hand_computed_table(beta_over, expected):
    params = FitValue(beta_under=1.0, tolerance=1.0, beta_over=beta_over)
    got = fit_utility(DESIRED, SUPPLIED, STAGE, params)
    np.testing.assert_array_equal(got, expected)
    assert not np.signbit(got[got == 0]).any()  # no negative zeros


def test_beta_under_scales_and_tolerance_widens_the_dead_zone():
    half = fit_utility(DESIRED, SUPPLIED, STAGE, FitValue(beta_under=0.5, tolerance=1.0))
    np.testing.assert_array_equal(half, 0.5 * UNDER_ONLY)
    wide = fit_utility(DESIRED, SUPPLIED, STAGE, FitValue(beta_under=1.0, tolerance=3.0))
    np.testing.assert_array_equal(wide, np.minimum(UNDER_ONLY + 2, 0))


@pytest.mark.parametrize(("dtype", "out"), [(np.float32, np.float32), (np.float64, np.float64),
                                            (np.int64, np.float32)])
def test_shapes_and_dtypes(dtype, out):
    rng = np.random.default_rng(0)
    d = rng.uniform(0, 10, 1000).astype(dtype)
    u = fit_utility(d, np.array([0.0, 5.0]), np.array([GOODS, EXPERIENCE], np.int8), FitValue())
    assert u.shape == (2, 1000) and u.dtype == out
    assert u.flags.c_contiguous and (u <= 0).all()


def test_the_diagonal_default_a_service_customer_wants_the_required_depth_at_every_stage():
    p = FitValue()
    got = desired_depth(np.array([p.required("service")]), np.arange(5), p)[:, 0]
    np.testing.assert_array_equal(got, p.required_depth)
    assert [p.required(s) for s in STAGES] == [1.0, 3.0, 5.0, 7.0, 9.0]


# --- properties ----------------------------------------------------------------------------
depths = arrays(np.float32, st.integers(1, 20), elements=st.floats(0, 10, width=32))
params = st.builds(
    FitValue, beta_under=st.floats(0, 5), tolerance=st.floats(0, 3),
    beta_over=st.floats(0, 5), stage_shift=st.floats(0, 3))
depth = st.floats(0, 10)
stage = st.integers(0, 4)


@settings(max_examples=60, deadline=None)
@given(d=depths, p=params, s=stage, lo=depth, hi=depth)
def test_less_depth_below_the_desired_depth_never_raises_utility(d, p, s, lo, hi):
    lo, hi = min(lo, hi), max(lo, hi)
    u = fit_utility(d, np.array([lo, hi]), np.array([s, s]), p)
    below = np.float32(hi) <= desired_depth(d, np.array([s]), p)[0]  # both below d_ij
    assert (u[0][below] <= u[1][below]).all()


@settings(max_examples=60, deadline=None)
@given(d=depths, p=params, s=stage, lo=depth, hi=depth)
def test_over_supply_adds_no_value_when_beta_over_is_zero(d, p, s, lo, hi):
    p = dataclasses.replace(p, beta_over=0.0)
    lo, hi = min(lo, hi), max(lo, hi)
    u = fit_utility(d, np.array([lo, hi, 10.0]), np.array([s, s, s]), p)
    assert (u <= 0).all()
    assert (u[0] <= u[1]).all()       # utility is non-decreasing in depth...
    assert (u[2] == 0).all()          # ...and full depth is worth exactly nothing extra


@settings(max_examples=60, deadline=None)
@given(d=depths, p=params, s=st.integers(0, 3))
def test_a_higher_stage_never_lowers_desired_depth(d, p, s):
    got = desired_depth(d, np.array([s, s + 1]), p)
    assert (got[1] >= got[0]).all()
    assert ((got >= 0) & (got <= 10)).all()


# --- the component contract ----------------------------------------------------------------
def situation(**extra) -> ChoiceSituation:
    """Three shoppers, five offers of five firms, one value dimension."""
    n, j = 3, 5
    base = dict(
        weights=np.ones((1, n), np.float32),
        price_sensitivity=np.full(n, 0.1, np.float32),
        base_price_sensitivity=np.full(n, 0.1, np.float32),
        loss_aversion=np.full(n, 2.0, np.float32),
        infers_quality=np.zeros(n, bool),
        bond=np.zeros((j, n), np.float32),
        reference_price=np.full((j, n), 10.0, np.float32),
        segment=np.zeros(n, np.int16),
        valuation_scale=np.ones(n, np.float32),
        consider=np.ones((j, n), bool),
        attributes=np.arange(j, dtype=float)[:, None],
        price=np.full(j, 10.0),
        list_price=np.full(j, 10.0),
        offer_firm=np.arange(j),
        valuations=np.full((j, 1), np.nan),
        social=np.zeros(j),
    )
    if not extra:
        return ChoiceSituation(**base)
    return WithFit(**base, **extra)


@dataclasses.dataclass(slots=True, frozen=True)
class WithFit(ChoiceSituation):
    """ChoiceSituation as it will be once the integrator adds the three fit fields."""

    desired_depth: np.ndarray | None = None
    supplied_depth: np.ndarray | None = None
    stage: np.ndarray | None = None


def test_fit_is_a_value_component_named_fit():
    assert isinstance(FitValue(), ValueComponent) and FitValue.name == "fit"


def test_without_the_fields_the_component_contributes_nothing():
    s = situation()
    c = FitValue().contribution(s)
    assert isinstance(c, Contribution)
    assert np.all(c.offers == 0) and np.all(c.outside == 0)
    base = ValueFunction(components=(PriceValue(),))
    with_fit = ValueFunction(components=(PriceValue(), FitValue()))
    for a, b in zip(base(s), with_fit(s), strict=True):
        np.testing.assert_array_equal(a, b)
    alone = ValueFunction(components=(FitValue(),))(s)
    assert alone[0].shape == (5, 3) and not alone[0].any()


def test_with_the_fields_the_component_adds_the_fit_table():
    s = situation(desired_depth=DESIRED, supplied_depth=SUPPLIED, stage=STAGE)
    fit = FitValue(beta_under=1.0, tolerance=1.0)
    c = fit.contribution(s)
    np.testing.assert_array_equal(c.offers, UNDER_ONLY)
    assert np.all(c.outside == 0)
    base = ValueFunction(components=(PriceValue(),))(s)[0]
    total = ValueFunction(components=(PriceValue(), fit))(s)[0]
    np.testing.assert_allclose(total - base, UNDER_ONLY)
    assert total.dtype == np.float32


def test_a_situation_with_only_some_fit_fields_is_an_error():
    s = situation(desired_depth=DESIRED, supplied_depth=SUPPLIED)
    with pytest.raises(ValueError, match="stage"):
        FitValue().contribution(s)


def test_disabled_fit_is_skipped_by_the_value_function():
    s = situation(desired_depth=DESIRED, supplied_depth=SUPPLIED, stage=STAGE)
    v = ValueFunction(components=(FitValue(enabled=False),))(s)[0]
    assert not v.any()


def test_builds_from_and_back_to_a_mapping():
    fit = from_mapping(FitValue, {"beta_under": 2, "required_depth": [0, 2, 4, 6, 8]}, "value.fit")
    assert fit.beta_under == 2.0 and fit.required_depth == (0.0, 2.0, 4.0, 6.0, 8.0)
    assert from_mapping(FitValue, to_mapping(fit)) == fit


# --- stage basis, cost to serve ------------------------------------------------------------
def test_each_stage_charges_for_its_own_thing():
    assert [charge_basis(s) for s in STAGES] == ["stuff", "goods", "activities", "time",
                                                 "outcomes"]
    assert [charge_basis(k) for k in range(5)] == list(CHARGE_BASIS.values())
    assert stage_index("experience") == EXPERIENCE and stage_index(np.int8(4)) == 4


def test_cost_to_serve_rises_linearly_with_depth():
    assert cost_to_serve_per_buyer(0, c0=1.5, c_depth=0.4) == 1.5
    assert cost_to_serve_per_buyer(10, c0=1.5, c_depth=0.4) == pytest.approx(5.5)
    got = cost_to_serve_per_buyer(np.array([0.0, 2.5, 10.0], np.float32), 1.0, 2.0)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [1.0, 6.0, 21.0])


def test_docstring_examples_run():
    assert doctest.testmod(sim.fit).failed == 0


# --- validation ----------------------------------------------------------------------------
BAD = [
    ("beta_under", lambda: FitValue(beta_under=-0.1)),
    ("beta_over", lambda: FitValue(beta_over=-1.0)),
    ("tolerance", lambda: FitValue(tolerance=-1.0)),
    ("stage_shift", lambda: FitValue(stage_shift=float("nan"))),
    ("required_depth[4]", lambda: FitValue(required_depth=(1, 3, 5, 7, 11))),
    ("required_depth[0]", lambda: FitValue(required_depth=(-1, 3, 5, 7, 9))),
    ("required_depth", lambda: FitValue(required_depth=(1, 3, 5))),
    ("required_depth", lambda: FitValue(required_depth=(1, 3, 2, 7, 9))),
    ("value.fit.beta_under", lambda: from_mapping(FitValue, {"beta_under": -1}, "value.fit")),
    ("stage", lambda: stage_index("luxury")),
    ("stage", lambda: stage_index(5)),
    ("stage", lambda: stage_index(True)),
    ("stage", lambda: charge_basis("luxury")),
    ("firms.a.stage", lambda: stage_index("Service", "firms.a.stage")),
    ("supplied_depth", lambda: cost_to_serve_per_buyer(10.5, 1.0, 1.0)),
    ("supplied_depth", lambda: cost_to_serve_per_buyer(np.array([1.0, -0.5]), 1.0, 1.0)),
    ("c0", lambda: cost_to_serve_per_buyer(1.0, -1.0, 1.0)),
    ("c_depth", lambda: cost_to_serve_per_buyer(1.0, 1.0, float("inf"))),
    ("firms.a.supplied_depth", lambda: check_depth("firms.a.supplied_depth", 11)),
    ("segments.x.desired_depth", lambda: check_depth("segments.x.desired_depth",
                                                     np.array([5.0, np.nan]))),
]


@pytest.mark.parametrize(("field", "make"), BAD, ids=[f"{f}-{k}" for k, (f, _) in enumerate(BAD)])
def test_bad_input_is_a_one_line_error_naming_the_field(field, make):
    with pytest.raises(ConfigError) as err:
        make()
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: got ") and "\n" not in str(err.value)


def test_depths_in_range_pass_validation():
    assert check_depth("d", 0) == 0 and check_depth("d", 10.0) == 10.0
    check_depth("d", np.array([0.0, 5.0, 10.0], np.float32))


# --- the profit ridge follows the diagonal D*(s) ---------------------------------------------
@pytest.mark.parametrize("spread", [0.0, 1.0])
def test_profit_ridge_lies_at_the_required_depth_within_the_tolerance(spread):
    """Value (in money, alpha = 1) minus cost to serve, over supplied depth, per stage.

    Value stops rising at ``d_ij - tol`` while cost keeps rising with depth, so the best
    depth sits at the stage's required depth give or take the tolerance: below it the firm
    loses value (customers), above it margin.
    """
    p = FitValue(beta_under=1.0, tolerance=1.0)
    rng = np.random.default_rng(6)
    d = (5.0 + rng.uniform(-spread, spread, 2000)).astype(np.float32)  # service-level 5 +- spread
    grid = np.linspace(0, 10, 201)
    ridge = []
    for s in range(len(STAGES)):
        value = fit_utility(d, grid, np.full(grid.size, s), p).mean(axis=1)
        profit = value - cost_to_serve_per_buyer(grid, c0=1.0, c_depth=0.25)
        best = grid[np.argmax(profit)]
        req = p.required(s)
        assert req - p.tolerance <= best <= req + p.tolerance
        if spread == 0:
            assert best == pytest.approx(req - p.tolerance)  # value capped: no more depth pays
        k = np.argmax(profit)
        assert profit[k] > profit[min(k + 60, 200)] or k + 60 > 200  # over-serving: margin loss
        assert profit[k] > profit[max(k - 60, 0)] or k < 60  # under-serving: value loss
        ridge.append(best)
    assert np.all(np.diff(ridge) > 0)  # the ridge climbs with the stage, along the diagonal
