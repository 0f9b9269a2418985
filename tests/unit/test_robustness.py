"""Robustness arithmetic on small ensembles whose answers are written out by hand.

The ensemble: strategies A and B in future f1 (4 samples) and f2 (4 samples)::

    f1  A: 10 20 30 40      f2  A: 5 5 5 5
        B: 12 18 30 50          B: 1 1 1 9

Sample 2 of f1 is a tie (both 30). Weights f1: 3, f2: 1 (normalised 0.75, 0.25).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import xarray as xr

from scenarios import robustness as rb
from sim.validation import ConfigError

F1 = [[10.0, 20.0, 30.0, 40.0], [12.0, 18.0, 30.0, 50.0]]
F2 = [[5.0, 5.0, 5.0, 5.0], [1.0, 1.0, 1.0, 9.0]]
WEIGHTS = {"f1": 3.0, "f2": 1.0}


def ensemble(futures=("f1", "f2")) -> xr.DataArray:
    data = {"f1": F1, "f2": F2}
    return xr.DataArray([data[f] for f in futures], dims=("future", "strategy", "sample"),
                        coords={"future": list(futures), "strategy": ["A", "B"],
                                "sample": [0, 1, 2, 3]})


def at(ds: xr.Dataset | xr.DataArray, **labels) -> float:
    return float(ds.sel(labels).values)


# -- per future -------------------------------------------------------------------------


def test_regret_is_the_gap_to_the_best_strategy_in_the_same_sample_ties_give_zero():
    assert rb.regret(ensemble(["f1"])).dims == ("future", "strategy", "sample")
    r = rb.regret(ensemble(["f1"])).sel(future="f1")
    np.testing.assert_array_equal(r.sel(strategy="A"), [2, 0, 0, 10])  # best 12 20 30 50
    np.testing.assert_array_equal(r.sel(strategy="B"), [0, 2, 0, 0])
    r_min = rb.regret(ensemble(["f1"]), sense="min").sel(future="f1")
    np.testing.assert_array_equal(r_min.sel(strategy="A"), [0, 2, 0, 0])  # best 10 18 30 40
    np.testing.assert_array_equal(r_min.sel(strategy="B"), [2, 0, 0, 10])


def test_statistics_of_a_hand_checked_ensemble():
    s = rb.robustness(ensemble(["f1"]))
    a, b = {"future": "f1", "strategy": "A"}, {"future": "f1", "strategy": "B"}
    assert at(s["expected"], **a) == 25.0 and at(s["expected"], **b) == 27.5
    # linear interpolation: position 0.1 * 3 = 0.3 and 0.9 * 3 = 2.7 between sorted values
    assert at(s["p10"], **a) == pytest.approx(13.0) and at(s["p90"], **a) == pytest.approx(37.0)
    assert at(s["p10"], **b) == pytest.approx(13.8) and at(s["p90"], **b) == pytest.approx(44.0)
    assert at(s["worst"], **a) == 10.0 and at(s["worst_sample"], **a) == 0
    assert at(s["worst"], **b) == 12.0 and at(s["worst_sample"], **b) == 0
    assert at(s["mean_regret"], **a) == 3.0 and at(s["max_regret"], **a) == 10.0
    assert at(s["mean_regret"], **b) == 0.5 and at(s["max_regret"], **b) == 2.0
    # default threshold: within 10% of the best expected value, 27.5 - 2.75 = 24.75
    assert at(s["threshold"], future="f1") == pytest.approx(24.75)
    assert at(s["satisficing"], **a) == 0.5 and at(s["satisficing"], **b) == 0.5  # 30, 40 / 30, 50
    assert at(s["n"], **a) == 4


def test_lower_is_better_flips_worst_regret_and_threshold():
    s = rb.robustness(ensemble(["f1"]), sense="min")
    a, b = {"future": "f1", "strategy": "A"}, {"future": "f1", "strategy": "B"}
    assert at(s["worst"], **a) == 40.0 and at(s["worst_sample"], **a) == 3
    assert at(s["worst"], **b) == 50.0 and at(s["worst_sample"], **b) == 3
    assert at(s["mean_regret"], **a) == 0.5 and at(s["max_regret"], **a) == 2.0
    assert at(s["mean_regret"], **b) == 3.0 and at(s["max_regret"], **b) == 10.0
    assert at(s["threshold"], future="f1") == pytest.approx(27.5)  # best 25, + 2.5
    assert at(s["satisficing"], **a) == 0.5 and at(s["satisficing"], **b) == 0.5  # 10, 20 / 12, 18


def test_a_given_threshold_replaces_the_default():
    s = rb.robustness(ensemble(["f1"]), threshold=20)
    assert at(s["satisficing"], future="f1", strategy="A") == 0.75  # 20, 30, 40
    assert at(s["satisficing"], future="f1", strategy="B") == 0.5  # 30, 50
    assert "20 (given)" in s.attrs["threshold_rule"]


def test_a_missing_run_is_left_out_and_blanks_that_samples_regret():
    v = ensemble(["f1"]).copy()
    v.loc[{"future": "f1", "strategy": "B", "sample": 3}] = np.nan
    s = rb.robustness(v)
    b = {"future": "f1", "strategy": "B"}
    assert at(s["n"], **b) == 3 and at(s["expected"], **b) == pytest.approx(20.0)
    # regret over samples 0-2 only: A 2 0 0, B 0 2 0
    assert at(s["max_regret"], future="f1", strategy="A") == 2.0
    assert at(s["mean_regret"], **b) == pytest.approx(2 / 3)


# -- over futures -----------------------------------------------------------------------


def test_overall_weighs_the_futures_by_their_normalised_weights():
    v = ensemble()
    s = rb.robustness(v)
    # f2: EV A 5, B 3; best per sample 5 5 5 9: regret A 0 0 0 4, B 4 4 4 0
    assert at(s["expected"], future="f2", strategy="B") == 3.0
    assert at(s["max_regret"], future="f2", strategy="A") == 4.0
    assert at(s["satisficing"], future="f2", strategy="A") == 1.0  # threshold 4.5
    assert at(s["satisficing"], future="f2", strategy="B") == 0.25  # only 9
    o = rb.overall(v, s, WEIGHTS)
    assert at(o["expected"], strategy="A") == pytest.approx(0.75 * 25 + 0.25 * 5)  # 20
    assert at(o["expected"], strategy="B") == pytest.approx(0.75 * 27.5 + 0.25 * 3)  # 21.375
    assert at(o["mean_regret"], strategy="A") == pytest.approx(0.75 * 3 + 0.25 * 1)
    assert at(o["max_regret"], strategy="A") == pytest.approx(0.75 * 10 + 0.25 * 4)  # 8.5
    assert at(o["max_regret"], strategy="B") == pytest.approx(0.75 * 2 + 0.25 * 4)  # 2.5
    assert at(o["max_regret_anywhere"], strategy="A") == 10.0
    assert at(o["satisficing"], strategy="B") == pytest.approx(0.75 * 0.5 + 0.25 * 0.25)
    assert at(o["worst"], strategy="A") == 5.0 and at(o["worst"], strategy="B") == 1.0
    # mixture: each f1 sample weighs 0.1875, each f2 sample 0.0625
    # A sorted 5 5 5 5 | 10 20 30 40: cumulative 0.25 at 5 -> p10 5; 0.8125 at 30 -> p90 40
    assert at(o["p10"], strategy="A") == 5.0 and at(o["p90"], strategy="A") == 40.0
    # B sorted 1 1 1 9 12 18 30 50: cumulative 0.125 at the second 1 -> p10 1; p90 50
    assert at(o["p10"], strategy="B") == 1.0 and at(o["p90"], strategy="B") == 50.0


def test_the_table_ranks_per_future_and_overall():
    t = rb.table(ensemble(), WEIGHTS).set_index(["future", "strategy"])
    assert list(t.columns) == list(rb.COLUMNS[2:])
    assert t.loc[("f1", "B"), "rank_expected"] == 1 and t.loc[("f1", "A"), "rank_expected"] == 2
    assert t.loc[("f1", "B"), "rank_max_regret"] == 1
    assert t.loc[("f2", "A"), "rank_expected"] == 1
    assert t.loc[("f2", "A"), "rank_max_regret"] == 1 == t.loc[("f2", "B"), "rank_max_regret"]
    assert t.loc[("overall", "B"), "rank_expected"] == 1  # 21.375 > 20
    assert t.loc[("overall", "B"), "rank_max_regret"] == 1  # 2.5 < 8.5
    assert t.loc[("overall", "A"), "expected"] == pytest.approx(20.0)
    assert t.loc[("f1", "A"), "weight"] == 0.75 and t.loc[("overall", "A"), "weight"] == 1.0
    assert np.isnan(t.loc[("overall", "A"), "threshold"])
    assert np.isnan(t.loc[("f1", "A"), "max_regret_anywhere"])


def test_ranks_share_the_better_rank_on_ties_and_leave_nan_unranked():
    score = xr.DataArray([2.0, 5.0, 5.0, 1.0, np.nan], dims="strategy")
    np.testing.assert_array_equal(rb.rank(score), [3, 1, 1, 4, np.nan])
    np.testing.assert_array_equal(rb.rank(score, best="min"), [2, 3, 3, 1, np.nan])
    assert rb.ranked_names(["hold", "cut", "match", "raise"], [2, 1, 2, np.nan]) == \
        "cut, hold = match"


def test_weights_must_be_non_negative_and_not_all_zero():
    assert rb.normalise_weights({"a": 1, "b": 3}) == {"a": 0.25, "b": 0.75}
    with pytest.raises(ConfigError, match=r"^future\.b\.weight: got -1"):
        rb.normalise_weights({"a": 1, "b": -1})
    with pytest.raises(ConfigError, match="summing to more than 0"):
        rb.normalise_weights({"a": 0})


def test_weighted_quantile_is_the_inverse_of_the_weighted_cdf():
    x, w = np.array([3.0, 1.0, 2.0, np.nan]), np.array([0.25, 0.5, 0.25, 1.0])
    assert rb.weighted_quantile(x, w, 0.5) == 1.0
    assert rb.weighted_quantile(x, w, 0.51) == 2.0
    assert rb.weighted_quantile(x, w, 1.0) == 3.0


# -- fan charts -------------------------------------------------------------------------


def test_fan_bands_are_the_median_and_the_50_and_90_percent_bands_over_samples():
    da = xr.DataArray([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0], [5.0, 50.0]],
                      dims=("sample", "period"))
    bands = rb.fan_bands(da)
    assert bands.dims == ("quantile", "period")
    np.testing.assert_allclose(bands.isel(period=0), [1.2, 2.0, 3.0, 4.0, 4.8])
    np.testing.assert_allclose(bands.isel(period=1), [12.0, 20.0, 30.0, 40.0, 48.0])


def test_plot_fan_draws_a_median_line_and_two_bands_per_strategy():
    import matplotlib.pyplot as plt

    da = xr.DataArray(np.arange(24.0).reshape(2, 3, 4), dims=("strategy", "sample", "period"),
                      coords={"strategy": ["hold", "cut"], "period": range(4)})
    fig, ax = plt.subplots()
    rb.plot_fan(rb.fan_bands(da), ax)
    assert [line.get_label() for line in ax.lines] == ["hold", "cut"]
    assert len(ax.collections) == 4
    plt.close(fig)


# -- scenario discovery -----------------------------------------------------------------


def synthetic(n: int = 40):
    x = (np.arange(n) + 0.5) / n  # midpoint between the middle two values is exactly 0.5
    noise = np.random.default_rng(1).random(n)
    shape = np.where(np.arange(n) % 2 == 0, "U", "V")
    return {"x": x, "noise": noise, "shape": shape}, x > 0.5


def test_discovery_recovers_the_rule_that_makes_a_strategy_fail():
    pytest.importorskip("sklearn")
    features, failed = synthetic()
    d = rb.discover(features, failed)
    assert d.failures == 20 and d.cases == 40
    assert len(d.boxes) == 1
    box = d.boxes[0]
    assert box.rule == "x > 0.5"
    assert (box.coverage, box.density, box.cases, box.failures) == (1.0, 1.0, 20, 20)


def test_discovery_reads_text_parameters_as_categories():
    pytest.importorskip("sklearn")
    features, _ = synthetic()
    failed = features["shape"] == "V"
    d = rb.discover(features, failed)
    assert [b.rule for b in d.boxes] == ["shape = V"]
    assert d.boxes[0].coverage == 1.0 and d.boxes[0].density == 1.0


def test_discovery_skips_with_a_note_without_failures_or_without_scikit_learn(monkeypatch):
    features, failed = synthetic()
    none = rb.discover(features, np.zeros(40, dtype=bool))
    assert none.boxes == () and none.note == "no failures"
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.tree", None)
    missing = rb.discover(features, failed)
    assert missing.boxes == () and "scikit-learn" in missing.note and missing.failures == 20


@pytest.mark.parametrize(("fails", "rule"), [
    ("set_above_half", "size > 0.5"),
    ("unset", "size unset"),
    ("unset_or_small", "size <= 0.2 (or unset)"),
])
def test_discovery_places_unset_parameters_below_every_set_value(fails, rule):
    pytest.importorskip("sklearn")
    size = np.concatenate([np.full(10, np.nan), (np.arange(30) + 0.5) / 30])
    unset = np.isnan(size)
    failed = {"set_above_half": ~unset & (size > 0.5), "unset": unset,
              "unset_or_small": unset | (size <= 0.2)}[fails]
    d = rb.discover({"size": size}, failed)
    assert [b.rule for b in d.boxes] == [rule]
    assert d.boxes[0].coverage == 1.0 and d.boxes[0].density == 1.0
