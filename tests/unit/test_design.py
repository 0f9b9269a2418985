"""Designs and sensitivity: samplers, validation, planning, and indices on known functions.

No simulation runs here: samplers and analyses are checked on their own, indices
against functions whose sensitivities are known in closed form.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from scenarios import sensitivity as sa
from scenarios.design import (
    DesignParams,
    ParameterRange,
    check_design,
    design_dir,
    load_design,
    plan_design,
    sample_design,
)
from scenarios.sensitivity import OutcomeParams
from sim.params import from_mapping
from sim.validation import ConfigError

OUTCOME = {"y": {"variable": "profit", "select": {"firm": "a"}}}


def design(sampler: str, samples: int, parameters: dict, **fields) -> DesignParams:
    return from_mapping(DesignParams, {"name": "t", "sampler": sampler, "samples": samples,
                                       "parameters": parameters, "outcomes": OUTCOME,
                                       **fields})


THREE = {"x1": {"low": -2.0, "high": 3.0}, "x2": {"low": 4, "high": 16, "integer": True},
         "x3": {"low": 0.0, "high": 1.0, "distribution": "triangular", "mode": 0.2}}


# -- samplers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("sampler", "samples", "n_points"), [
    ("factorial", 3, 27), ("latin_hypercube", 20, 20), ("sobol", 8, 8 * (2 * 3 + 2)),
    ("morris", 5, 5 * (3 + 1))])
def test_samplers_draw_their_size_inside_the_bounds_with_whole_integers(sampler, samples,
                                                                         n_points):
    d = design(sampler, samples, THREE)
    s = sample_design(d)
    assert d.n_points == n_points
    assert s.values.shape == s.unit.shape == (n_points, 3)
    assert s.names == ("x1", "x2", "x3")
    assert ((s.unit >= 0) & (s.unit <= 1)).all()
    for j, p in enumerate(d.parameters.values()):
        assert (s.values[:, j] >= p.low).all() and (s.values[:, j] <= p.high).all()
    np.testing.assert_array_equal(s.values[:, 1], np.round(s.values[:, 1]))
    assert len(np.unique(s.values[:, 0])) > 1


def test_a_latin_hypercube_hits_each_of_n_strata_once_per_parameter():
    n = 17
    s = sample_design(design("latin_hypercube", n, {"a": {"low": 0.0, "high": 1.0},
                                                    "b": {"low": 10.0, "high": 20.0}}))
    for j in range(2):
        assert sorted(np.floor(s.unit[:, j] * n).astype(int)) == list(range(n))
    assert sorted(np.floor((s.values[:, 1] - 10.0) / 10.0 * n).astype(int)) == list(range(n))


def test_integers_of_a_uniform_range_are_equally_likely():
    # 12 strata over the 3 integers 1..3: each integer exactly 4 times (not 2-4-2 as rounding
    # a continuous value would give)
    s = sample_design(design("latin_hypercube", 12, {"k": {"low": 1, "high": 3,
                                                           "integer": True}}))
    assert np.bincount(s.values[:, 0].astype(int)).tolist() == [0, 4, 4, 4]


@pytest.mark.parametrize(("sampler", "samples"), [("latin_hypercube", 10), ("sobol", 4),
                                                  ("morris", 4)])
def test_a_seed_fixes_the_sample_and_another_seed_changes_it(sampler, samples):
    a = sample_design(design(sampler, samples, THREE, seed=3))
    b = sample_design(design(sampler, samples, THREE, seed=3))
    c = sample_design(design(sampler, samples, THREE, seed=4))
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.unit, c.unit)


def test_a_factorial_design_is_the_full_grid_of_levels():
    s = sample_design(design("factorial", 3, {"a": {"low": 0.0, "high": 1.0},
                                              "b": {"low": 10.0, "high": 30.0}}))
    pairs = {tuple(v) for v in s.values.tolist()}
    assert pairs == {(a, b) for a in (0.0, 0.5, 1.0) for b in (10.0, 20.0, 30.0)}


def test_distributions_map_the_unit_interval_by_their_inverse_cdf():
    u = np.array([0.0, 0.5, 1.0])
    normal = ParameterRange(low=0.0, high=10.0, distribution="normal", mean=5.0, sd=1.0)
    np.testing.assert_allclose(normal.scale(u), [0.0, 5.0, 10.0], atol=1e-9)
    tri = ParameterRange(low=0.0, high=1.0, distribution="triangular", mode=0.0)
    # P(X <= x) = 1 - (1 - x)^2 for a triangle peaked at 0: the median is 1 - sqrt(0.5)
    np.testing.assert_allclose(tri.scale(np.array([0.5])), [1 - math.sqrt(0.5)])
    assert ParameterRange(low=2.0, high=4.0).scale(np.array([0.25]))[0] == 2.5


# -- validation -------------------------------------------------------------------------


GOOD = {"name": "d", "sampler": "sobol", "samples": 4,
        "parameters": {"economy.depth": {"low": 0.05, "high": 0.4}},
        "outcomes": {"profit_a": {"variable": "profit", "select": {"firm": "a"}}}}


def _with(path: tuple, value) -> dict:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


BAD = [
    pytest.param(["not", "a", "mapping"], (), "design", id="not-a-mapping"),
    pytest.param(_with(("colour",), "red"), (), "colour", id="unknown-field"),
    pytest.param(_with(("parameters",), {"economy.nonsense": {"low": 0, "high": 1}}), (),
                 "parameters.economy.nonsense", id="unknown-key"),
    pytest.param(_with(("parameters",), {"economy.shape": {"low": 0, "high": 1}}), (),
                 "parameters.economy.shape", id="non-numeric-key"),
    pytest.param(_with(("parameters",), {"n_periods": {"low": 10, "high": 20}}), (),
                 "parameters.n_periods", id="reserved-key"),
    pytest.param(_with(("parameters", "economy.depth", "high"), 0.01), (),
                 "parameters.economy.depth.high", id="inverted-range"),
    pytest.param(_with(("parameters", "economy.depth", "high"), 0.05), (),
                 "parameters.economy.depth.high", id="empty-range"),
    pytest.param(_with(("parameters",), {}), (), "parameters", id="no-parameters"),
    pytest.param(_with(("parameters",), {"economy.duration": {"low": 4, "high": 9,
                                                              "integer": False}}), (),
                 "parameters.economy.duration.integer", id="float-for-integer-key"),
    pytest.param(GOOD, ("sampler=halton",), "sampler", id="unknown-sampler"),
    pytest.param(GOOD, ("samples=6",), "samples", id="sobol-not-power-of-two"),
    pytest.param(GOOD, ("samples=0", "sampler=latin_hypercube"), "samples", id="no-samples"),
    pytest.param(GOOD, ("replicates=0",), "replicates", id="no-replicates"),
    pytest.param(_with(("outcomes", "profit_a", "variable"), "happiness"), (),
                 "outcomes.profit_a.variable", id="unknown-variable"),
    pytest.param(_with(("outcomes", "profit_a", "reduce"), "median"), (),
                 "outcomes.profit_a.reduce", id="unknown-reduce"),
    pytest.param(_with(("outcomes", "profit_a", "select"), {}), (),
                 "outcomes.profit_a.select", id="select-missing-a-dim"),
    pytest.param(_with(("outcomes", "profit_a", "select"), {"firm": "z"}), (),
                 "outcomes.profit_a.select.firm", id="select-unknown-firm"),
    pytest.param(_with(("sensitivity",), ["profit_b"]), (), "sensitivity",
                 id="sensitivity-unknown-outcome"),
    pytest.param(GOOD, ("replicate=2",), "base[0]", id="replicate-in-base"),
    pytest.param(GOOD, ("economy.duration=-1",), "economy.duration", id="invalid-base"),
    pytest.param(GOOD, ("economy.depth=0.2",), "base[0]", id="sampled-key-in-base"),
    pytest.param(GOOD, ("parameters.economy.depth=2",), "parameters.economy.depth",
                 id="parameters-on-the-command-line"),
]


@pytest.mark.parametrize(("data", "overrides", "field"), BAD)
def test_a_bad_design_names_the_field_value_and_what_is_allowed(tmp_path, data, overrides,
                                                                field):
    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        check_design(load_design(path, overrides))
    assert info.value.field.startswith(field), str(info.value)
    assert "\n" not in str(info.value) and "allowed:" in str(info.value)
    if field == "samples" and "samples=6" in overrides:
        assert "power of two" in str(info.value)


def test_a_missing_design_file_lists_the_known_designs(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_design(tmp_path / "nope.yaml")
    assert info.value.field == "design" and "downturn_sobol" in info.value.allowed


def test_overrides_set_design_fields_and_the_rest_join_the_base(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump({**GOOD, "base": ["n_periods=20"]}))
    d = load_design(path, ["samples=8", "sampler=latin_hypercube", "seed=5",
                           "population.n_customers=900"])
    assert (d.samples, d.sampler, d.seed) == (8, "latin_hypercube", 5)
    assert d.base == ("n_periods=20", "population.n_customers=900")


def test_an_integer_config_key_makes_an_integer_parameter():
    d = check_design(load_design_from(_with(("parameters",), {
        "economy.duration": {"low": 4, "high": 9}, "economy.depth": {"low": 0.1, "high": 0.2}})))
    assert d.parameters["economy.duration"].integer is True
    assert d.parameters["economy.depth"].integer is False


def load_design_from(data: dict) -> DesignParams:
    return from_mapping(DesignParams, data)


@pytest.mark.parametrize("path", sorted(design_dir().glob("*.yaml")), ids=lambda p: p.stem)
def test_every_corner_of_every_example_design_is_a_valid_scenario(path: Path, tmp_path):
    d = check_design(load_design(path.stem))
    assert d.name == path.stem and d.n_points * d.replicates <= 600  # a minute or two
    corners = check_design(load_design(path.stem, ["sampler=factorial", "samples=2",
                                                   "replicates=1"]))
    plan = plan_design(corners, directory=tmp_path / "unused")  # raises on a bad corner
    assert len(plan.runs) == 2 ** len(d.parameters)
    assert not (tmp_path / "unused").exists()


# -- planning ---------------------------------------------------------------------------


def test_a_plan_runs_each_point_per_replicate_with_its_values_and_the_seed(tmp_path):
    d = check_design(load_design_from({**GOOD, "samples": 2, "replicates": 2, "seed": 7,
                                       "base": ["n_periods=12", "economy.onset=3"], "parameters": {
                                           "economy.depth": {"low": 0.05, "high": 0.4},
                                           "economy.duration": {"low": 4, "high": 9}}}))
    s = sample_design(d)
    plan = plan_design(d, s, root=tmp_path)
    assert plan.dims == {"sample": list(range(12)), "replicate": [0, 1]}
    assert len(plan.runs) == 24 and plan.kind == "design"
    assert plan.directory.parent == tmp_path and plan.directory.name.startswith("explore-d-")
    assert plan_design(d, s, root=tmp_path).directory == plan.directory  # resumable
    run = next(r for r in plan.runs if r.labels == {"sample": 5, "replicate": 1})
    config = plan.configs[run.key]
    assert config["economy"]["depth"] == s.values[5, 0]
    assert config["economy"]["duration"] == int(s.values[5, 1])
    assert (config["seed"], config["replicate"], config["n_periods"]) == (7, 1, 12)
    assert plan.coords["economy.duration"][1] == [int(v) for v in s.values[:, 1]]
    other = check_design(load_design_from({**GOOD, "samples": 4}))
    assert plan_design(other, root=tmp_path).directory != plan.directory


# -- outcomes and indices on known functions ----------------------------------------------


def _analyse(d: DesignParams, fn) -> pd.DataFrame:
    s = sample_design(d)
    y = xr.Dataset({"y": ("sample", fn(s.values))})
    table, notes = sa.analyse(d, s, y)
    return table.set_index(["parameter", "index"])["value"], table, notes


LINEAR = {"x1": {"low": 0.0, "high": 1.0}, "x2": {"low": 0.0, "high": 1.0},
          "x3": {"low": 0.0, "high": 1.0}}


def linear(x: np.ndarray) -> np.ndarray:
    """y = 5 x1 + x2 (x3 inert): S1 = ST = 25/26, 1/26, 0."""
    return 5 * x[:, 0] + x[:, 1]


def test_sobol_indices_of_the_ishigami_function_match_the_closed_form():
    pi = math.pi
    d = design("sobol", 1024, {k: {"low": -pi, "high": pi} for k in ("x1", "x2", "x3")},
               seed=1)

    def ishigami(x):
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])

    v, table, _ = _analyse(d, ishigami)
    expected = {("x1", "S1"): 0.3139, ("x2", "S1"): 0.4424, ("x3", "S1"): 0.0,
                ("x1", "ST"): 0.5576, ("x2", "ST"): 0.4424, ("x3", "ST"): 0.2437}
    for key, value in expected.items():
        assert v[key] == pytest.approx(value, abs=0.06), key
    assert ((table["index"] == "S2").sum() == 3
            and set(table.loc[table["index"] == "S2", "parameter"]) == {"x1:x2", "x1:x3",
                                                                        "x2:x3"})
    assert (table["conf"].loc[table["index"] != "S2"] > 0).all()


def test_sobol_gives_an_inert_parameter_a_total_index_of_zero():
    v, _, _ = _analyse(design("sobol", 64, LINEAR), linear)
    assert v["x3", "ST"] == 0.0
    assert v["x1", "ST"] > v["x2", "ST"] > 0.0
    assert v["x1", "S1"] == pytest.approx(25 / 26, abs=0.1)


def test_morris_effects_are_per_whole_range_of_a_parameter():
    params = {**LINEAR, "x1": {"low": 0.0, "high": 2.0}}  # y = 5 x1: 10 over the range
    v, _, _ = _analyse(design("morris", 10, params), lambda x: 5 * x[:, 0] + x[:, 1])
    assert v["x1", "mu_star"] == pytest.approx(10.0)
    assert v["x2", "mu_star"] == pytest.approx(1.0)
    assert v["x3", "mu_star"] == 0.0
    assert v["x1", "sigma"] == pytest.approx(0.0, abs=1e-9)  # linear: no interaction


def test_factorial_main_effects_are_exact_variance_shares():
    v, _, _ = _analyse(design("factorial", 4, LINEAR), linear)
    assert v["x1", "main_effect"] == pytest.approx(25 / 26)
    assert v["x2", "main_effect"] == pytest.approx(1 / 26)
    assert v["x3", "main_effect"] == pytest.approx(0.0)


def test_rbd_fast_ranks_parameters_of_a_latin_hypercube():
    v, _, notes = _analyse(design("latin_hypercube", 200, LINEAR), linear)
    assert v["x1", "S1"] > 0.8 and v["x1", "S1"] > v["x2", "S1"] > v["x3", "S1"]
    assert len(notes) == 1 and "RBD-FAST with 6 harmonics" in notes[0]


def test_outcomes_without_values_or_variance_get_notes_not_indices():
    d = design("sobol", 4, LINEAR, outcomes={"y": OUTCOME["y"], "z": OUTCOME["y"]})
    s = sample_design(d)
    y = np.ones(s.n_samples)
    gap = y.copy()
    gap[3] = np.nan
    table, notes = sa.analyse(d, s, xr.Dataset({"y": ("sample", y), "z": ("sample", gap)}))
    assert table.empty
    assert notes[0].startswith("y: constant") and notes[1].startswith("z: 1 of 32")


def test_outcomes_reduce_each_run_and_mark_runs_that_did_not_finish():
    profit = np.arange(2 * 2 * 3 * 2, dtype=float).reshape(2, 2, 3, 2)  # sample rep period firm
    ds = xr.Dataset(
        {"profit": (("sample", "replicate", "period", "firm"), profit, {"units": "currency"}),
         "share": (("sample", "replicate", "period", "firm"), profit / 100),
         "run_status": (("sample", "replicate"), [["done", "done"], ["done", "failed"]])},
        coords={"sample": [0, 1], "replicate": [0, 1], "period": [0, 1, 2],
                "firm": ["a", "b"], "x": ("sample", [0.1, 0.2])})
    outcomes = {"total_b": OutcomeParams(variable="profit", select={"firm": "b"}),
                "end_a": OutcomeParams(variable="share", select={"firm": "a"},
                                       reduce="last")}
    y = sa.outcome_values(ds, outcomes, ["x"])
    assert y["total_b"].dims == ("sample", "replicate")
    np.testing.assert_array_equal(y["total_b"].values,
                                  profit[..., 1].sum(axis=-1) * [[1, 1], [1, np.nan]])
    np.testing.assert_array_equal(y["end_a"].values[0], profit[0, :, -1, 0] / 100)
    assert y["x"].values.tolist() == [0.1, 0.2]
    assert y["total_b"].attrs["units"] == "currency"
    assert "sum over periods of profit (firm=b)" == y["total_b"].attrs["long_name"]


def test_the_report_and_figure_show_every_index():
    import matplotlib.pyplot as plt

    d = design("sobol", 16, LINEAR)
    _, table, notes = _analyse(d, linear)
    summary = sa.summarize(xr.Dataset({"y": ("sample", np.arange(4.0))}))
    text = sa.to_markdown(table, summary, notes, title="T")
    assert text.count("| y | x") == 9 and "| y | 1.5 |" in text
    fig, ax = plt.subplots()
    sa.plot_indices(table, "y", ax)
    assert len(ax.patches) == 6  # S1 and ST for three parameters
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "x1"  # largest on top
    plt.close(fig)
