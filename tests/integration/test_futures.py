"""``valuesim futures``: two tiny futures run end to end, resumed, and refused when bad.

``calm`` samples a mild downturn's depth and shape; ``storm`` an L-shaped downturn's
depth and duration plus a config-group choice (``unit_cost``: steady or shock) and the
shock's size, which applies only where the shock was drawn. Firm a's strategies hold,
cut and concession act only once the downturn shows (from period 3, ``economy.onset=3``),
so before it every strategy of one world must give identical results (common random
numbers), while different worlds (replicates) differ.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from scenarios import cli
from scenarios.futures import (
    ChoiceRange,
    available_futures,
    check_future,
    load_future,
    plan_futures,
    sample_future,
)
from sim.io import read_results

CALM = {"name": "calm", "class": "probable", "weight": 3,
        "description": "a mild downturn of 5-15%, U or V shaped",
        "base": ["economy=downturn"],
        "parameters": {"economy.depth": {"low": 0.05, "high": 0.15},
                       "economy.shape": {"choice": ["U", "V"], "p": [0.5, 0.5]}}}
STORM = {"name": "storm", "class": "possible", "weight": 1,
         "description": "a deep L-shaped downturn; costs may jump",
         "base": ["economy=downturn", "economy.shape=L"],
         "parameters": {"economy.depth": {"low": 0.25, "high": 0.45},
                        "economy.duration": {"low": 4, "high": 10},
                        "unit_cost": {"choice": ["steady", "shock"], "p": [0.5, 0.5]},
                        "unit_cost.size": {"low": 0.2, "high": 0.5,
                                           "distribution": "normal", "mean": 0.3, "sd": 0.1}}}
STRATEGIES = ("hold", "cut", "concession")
SAMPLES = 4
SMALL = ("population.n_customers=1000", "n_periods=16", "economy.onset=3")
SEED = 1  # its 4 storm worlds draw both unit_cost options
ERROR = re.compile(r"^valuesim: error: \S+: got .*; allowed: .+$")


def write(folder: Path, data: dict) -> Path:
    path = folder / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def futures(paths, out: Path, *args: str) -> int:
    return cli.main(["futures", f"futures=[{','.join(str(p) for p in paths)}]",
                     f"strategies=[{','.join(STRATEGIES)}]", f"samples={SAMPLES}",
                     f"seed={SEED}", *SMALL,
                     "executor=serial", f"hydra.sweep.dir={out}", *args])


@pytest.fixture(scope="module")
def future_files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("futures")
    return [write(folder, CALM), write(folder, STORM)]


@pytest.fixture(scope="module")
def ran(future_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "futures"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = futures(future_files, out)
    assert status == 0
    return out, buffer.getvalue()


def test_one_dataset_over_future_strategy_sample_with_world_coordinates(ran):
    out, _ = ran
    ds = read_results(out / "sweep.nc")
    assert ds["run_status"].dims == ("future", "strategy", "sample")
    assert ds["profit"].dims == ("future", "strategy", "sample", "period", "firm")
    assert list(ds["future"].values) == ["calm", "storm"]
    assert list(ds["strategy"].values) == list(STRATEGIES)
    assert ds.sizes["sample"] == SAMPLES and (ds["run_status"] == "done").all()
    assert ds.attrs["sweep_kind"] == "futures" and ds.attrs["focal_firm"] == "a"
    for name in ("economy.depth", "economy.shape", "economy.duration", "unit_cost.option",
                 "unit_cost.size"):
        assert ds[name].dims == ("future", "sample"), name
    depth = ds["economy.depth"]
    assert ((depth.sel(future="calm") >= 0.05) & (depth.sel(future="calm") <= 0.15)).all()
    assert ((depth.sel(future="storm") >= 0.25) & (depth.sel(future="storm") <= 0.45)).all()
    assert set(ds["economy.shape"].sel(future="storm").values) == {"L"}  # fixed in base
    duration = ds["economy.duration"].sel(future="storm").values
    np.testing.assert_array_equal(duration, np.round(duration))
    assert (ds["economy.duration"].sel(future="calm") == 16).all()  # the config's value
    # a key a group choice leaves out is unset (NaN) in those worlds only
    cost = ds["unit_cost.option"].sel(future="storm").values
    size = ds["unit_cost.size"].sel(future="storm").values
    assert set(cost) == {"steady", "shock"}
    assert np.isnan(size[cost == "steady"]).all()
    assert ((size[cost == "shock"] >= 0.2) & (size[cost == "shock"] <= 0.5)).all()
    assert (ds["unit_cost.option"].sel(future="calm") == "steady").all()


def test_sample_k_is_the_same_world_under_every_strategy(ran):
    out, _ = ran
    ds = read_results(out / "sweep.nc")
    for var in ("economy_index", "unit_cost"):
        first = ds[var].isel(strategy=0)
        for s in STRATEGIES[1:]:
            np.testing.assert_array_equal(ds[var].sel(strategy=s).values, first.values)
    before = ds[["profit", "share", "customers", "units"]].isel(period=slice(0, 3))
    for s in STRATEGIES[1:]:
        for var in before.data_vars:
            np.testing.assert_array_equal(before[var].sel(strategy=s).values,
                                          before[var].sel(strategy="hold").values)
    # different worlds draw different customers (replicate k) ...
    units = before["units"].sel(future="calm", strategy="hold")
    assert not np.array_equal(units.isel(sample=0).values, units.isel(sample=1).values)
    # ... and the strategies do differ once the downturn shows
    profit = ds["profit"].sel(firm="a").sum("period")
    assert not np.array_equal(profit.sel(strategy="hold").values,
                              profit.sel(strategy="cut").values)
    # each run's file says which world it is: the command's seed, replicate k
    for future in ("calm", "storm"):
        for k in range(SAMPLES):
            keys = {str(ds["run_key"].sel(future=future, strategy=s, sample=k).values)
                    for s in STRATEGIES}
            assert len(keys) == len(STRATEGIES)
            attrs = read_results(out / "runs" / f"{keys.pop()}.nc").attrs
            assert int(attrs["replicate"]) == k and int(attrs["seed"]) == SEED


def test_the_robustness_table_is_printed_and_saved(ran):
    out, printed = ran
    assert "| future | strategy | expected | p10 | p90 | worst | mean regret | max regret |" \
        in printed
    assert "| calm | hold |" in printed and "| overall | concession |" in printed
    assert "overall (weighted)" in printed and "by max regret" in printed
    table = pd.read_csv(out / "robustness.csv", keep_default_na=False, na_values=[""])
    assert list(table.columns)[:4] == ["outcome", "future", "strategy", "weight"]
    assert set(table["outcome"]) == {"profit", "share_end", "insiders_end"}
    assert len(table) == 3 * (2 + 1) * len(STRATEGIES)
    y = read_results(out / "outcomes.nc")
    assert y["profit"].dims == ("future", "strategy", "sample")
    ds = read_results(out / "sweep.nc")
    np.testing.assert_allclose(y["profit"].values, ds["profit"].sel(firm="a").sum("period"))
    np.testing.assert_allclose(
        y["insiders_end"].values,
        ds["customers"].sel(firm="a", state="insider").isel(period=-1).values)
    row = table.set_index(["outcome", "future", "strategy"]).loc[("profit", "calm", "cut")]
    assert row["expected"] == pytest.approx(float(y["profit"].sel(future="calm",
                                                                  strategy="cut").mean()))
    assert row["weight"] == pytest.approx(0.75)
    assert (out / "runs" / f"{row['worst_run']}.nc").is_file()  # trace a number to its run
    text = (out / "robustness.md").read_text()
    assert f"{out}/runs/<run_key>.nc" in text and "a mild downturn of 5-15%" in text
    for name in ("fan_profit.png", "fan_share.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "discovery.md").read_text().startswith("# Scenario discovery")


def test_rerunning_the_command_runs_nothing(future_files, ran, capsys):
    out, _ = ran
    runs = sorted((out / "runs").glob("*.nc"))
    stamps = [p.stat().st_mtime_ns for p in runs]
    capsys.readouterr()
    assert futures(future_files, out) == 0
    printed = capsys.readouterr().out
    assert f"= {2 * len(STRATEGIES) * SAMPLES} runs" in printed and "ran 0 runs (" in printed
    assert [p.stat().st_mtime_ns for p in sorted((out / "runs").glob("*.nc"))] == stamps


def test_the_default_folder_is_named_by_a_hash_of_the_command(future_files, tmp_path,
                                                              monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["futures", f"futures=[{future_files[0]}]", "strategies=[hold]", "samples=1",
            *SMALL, "executor=serial", "fans=[profit]", "outcomes=[profit]"]
    assert cli.main(args) == 0
    folders = list((tmp_path / "multirun").iterdir())
    assert len(folders) == 1 and re.fullmatch(r"futures-[0-9a-f]{8}", folders[0].name)
    assert cli.main(args) == 0
    assert list((tmp_path / "multirun").iterdir()) == folders
    assert "ran 0 runs" in capsys.readouterr().out


def test_the_shipped_futures_are_credible_and_plan():
    assert available_futures() == ("probable", "plausible", "possible")
    loaded = [check_future(load_future(n), firm="a") for n in available_futures()]
    assert [f.class_ for f in loaded] == ["probable", "plausible", "possible"]
    assert loaded[0].weight > loaded[1].weight > loaded[2].weight
    assert all(len(f.description) > 80 for f in loaded)
    worlds = [sample_future(f, 2) for f in loaded]
    plan = plan_futures(worlds, ["hold", "cut"], firm="a", directory="unused")
    assert len(plan.runs) == 3 * 2 * 2
    depth = dict(zip(["probable", "plausible", "possible"],
                     np.asarray(plan.coords["economy.depth"][1]), strict=True))
    assert (depth["probable"] <= 0.15).all() and (depth["possible"] >= 0.25).all()
    assert "unit_cost=steady" in loaded[0].base and "unit_cost=shock" in loaded[2].base


def test_worlds_are_drawn_reproducibly_and_extend_with_more_samples():
    future = check_future(load_future("plausible"), firm="a")
    few, more = sample_future(future, 3, seed=5), sample_future(future, 6, seed=5)
    np.testing.assert_array_equal(few.values, more.values[:3])
    assert not np.array_equal(sample_future(future, 3, seed=6).values, few.values)
    shapes = ChoiceRange(choice=("U", "L"), p=(0.75, 0.25)).scale(np.array([0.0, 0.74, 0.75]))
    assert shapes.tolist() == ["U", "U", "L"]


BAD_DISTRIBUTIONS = {
    "negative-sd": ({"economy.depth": {"low": 0.1, "high": 0.3, "distribution": "normal",
                                       "mean": 0.2, "sd": -0.1}},
                    "future.bad.parameters.economy.depth.sd"),
    "low-above-high": ({"economy.depth": {"low": 0.3, "high": 0.1}},
                       "future.bad.parameters.economy.depth.high"),
    "p-not-summing-to-1": ({"economy.shape": {"choice": ["U", "L"], "p": [0.5, 0.6]}},
                           "future.bad.parameters.economy.shape.p"),
    "bad-choice": ({"economy.shape": {"choice": ["U", "Q"]}},
                   "future.bad.parameters.economy.shape.choice[1]"),
    "unknown-key": ({"economy.nope": {"low": 0.1, "high": 0.3}},
                    "future.bad.parameters.economy.nope"),
    "range-past-what-the-key-allows": ({"economy.depth": {"low": 0.5, "high": 1.5}},
                                       "future.bad.parameters.economy.depth.high"),
    "unknown-group-option": ({"unit_cost": {"choice": ["steady", "boom"]}},
                             "future.bad.parameters.unit_cost.choice"),
}


@pytest.mark.parametrize(("args", "future", "field"), [
    *[pytest.param([], {"parameters": p}, f, id=k) for k, (p, f) in BAD_DISTRIBUTIONS.items()],
    pytest.param([], {"weight": -1}, "future.bad.weight", id="negative-weight"),
    pytest.param([], {"weight": 0}, "future.bad.weight", id="zero-weight"),
    pytest.param([], {"class": "likely"}, "future.bad.class", id="unknown-class"),
    pytest.param([], {"description": ""}, "future.bad.description", id="no-description"),
    pytest.param([], {"base": ["replicate=3"]}, "future.bad.base[0]", id="base-replicate"),
    pytest.param(["futures=[nope]"], None, "futures", id="unknown-future"),
    pytest.param(["strategies=[hold,nope]"], None, "strategies", id="unknown-strategy"),
    pytest.param(["samples=0"], None, "samples", id="no-samples"),
    pytest.param(["firm=z"], None, "firm", id="unknown-firm"),
    pytest.param(["outcomes=[nope]"], None, "outcomes", id="unknown-outcome"),
    pytest.param(["outcomes.profit.sense=up"], None, "outcomes.profit.sense", id="bad-sense"),
    pytest.param(["fans=[price]"], None, "fans", id="fan-of-a-per-offer-variable"),
    pytest.param(["replicate=3"], None, "replicate", id="replicate-override"),
    pytest.param(["strategy@firms.a.strategy=cut"], None, "strategy@firms.a.strategy",
                 id="focal-strategy-override"),
    pytest.param(["economy.depth=0.2"], None, "economy.depth", id="override-of-a-sampled-key"),
    pytest.param(["firms.a.tiers.good.price=-1"], None, "firms.a.tiers.good.price",
                 id="bad-scenario-value"),
    pytest.param(["hydra/launcher=joblib"], None, "hydra/launcher", id="hydra-launcher"),
])
def test_bad_input_stops_before_anything_is_written(future_files, tmp_path, capsys, args,
                                                    future, field):
    paths = list(future_files)
    if future is not None:
        paths = [write(tmp_path, {**CALM, "name": "bad", **future})]
    out = tmp_path / "out"
    assert futures(paths, out, *args) == 2
    err = capsys.readouterr().err.strip()
    assert ERROR.match(err) and err.count("\n") == 0, err
    assert err.removeprefix("valuesim: error: ").startswith(field + ":"), err
    assert not out.exists()
