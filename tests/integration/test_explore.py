"""``valuesim explore``: a tiny Sobol' design run end to end, resumed, and refused when bad.

The design samples the downturn's depth and a config key the model ignores here (the
cut's ``restore_after``, which only acts with ``restore: after``): runs that differ only
in the ignored key are identical (same seed, same replicate), so its total-order index
must be exactly zero, whatever the tiny sample's noise does to the other indices.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from scenarios import cli
from sim.io import read_results

IGNORED = "firms.a.strategy.trigger.restore_after"
DESIGN = {
    "name": "tiny",
    "sampler": "sobol",
    "samples": 4,
    "replicates": 2,
    "seed": 2,
    "base": ["population.n_customers=1000", "n_periods=16", "economy.onset=3"],
    "parameters": {"economy.depth": {"low": 0.05, "high": 0.4},
                   IGNORED: {"low": 2, "high": 20}},
    "outcomes": {"profit_a": {"variable": "profit", "select": {"firm": "a"}, "reduce": "sum"},
                 "share_end_a": {"variable": "share", "select": {"firm": "a"},
                                 "reduce": "last"},
                 "buyers": {"variable": "buyers", "reduce": "mean"}},
    "sensitivity": ["profit_a", "share_end_a"],
}
N_POINTS = 4 * (2 * 2 + 2)
ERROR = re.compile(r"^valuesim: error: \S+: got .*; allowed: .+$")


def explore(design: Path, out: Path, *args: str) -> int:
    return cli.main(["explore", str(design), "executor=serial", f"hydra.sweep.dir={out}",
                     *args])


@pytest.fixture(scope="module")
def design_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("design") / "tiny.yaml"
    path.write_text(yaml.safe_dump(DESIGN, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def explored(design_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("explore") / "tiny"
    assert explore(design_file, out) == 0
    return out


def test_a_design_is_one_dataset_over_sample_and_replicate_with_parameter_coords(explored):
    ds = read_results(explored / "sweep.nc")
    assert ds["run_status"].dims == ("sample", "replicate")
    assert ds.sizes["sample"] == N_POINTS and ds.sizes["replicate"] == 2
    assert (ds["run_status"] == "done").all()
    depth, ignored = ds["economy.depth"].values, ds[IGNORED].values
    assert ds["economy.depth"].dims == ("sample",)
    assert ((depth >= 0.05) & (depth <= 0.4)).all() and len(np.unique(depth)) > 4
    assert ((ignored >= 2) & (ignored <= 20)).all()
    np.testing.assert_array_equal(ignored, np.round(ignored))
    assert ds.attrs["sampler"] == "sobol" and yaml.safe_load(ds.attrs["design"])["samples"] == 4
    # each point ran with its sampled values
    profit = ds["profit"].sel(firm="a").sum("period")
    assert profit.isel(sample=int(np.argmax(depth))).mean() != profit.isel(
        sample=int(np.argmin(depth))).mean()


def test_outcomes_and_the_sensitivity_table_are_written(explored):
    runs = read_results(explored / "outcomes.nc")
    assert runs["profit_a"].dims == ("sample", "replicate")
    ds = read_results(explored / "sweep.nc")
    np.testing.assert_allclose(runs["profit_a"].values,
                               ds["profit"].sel(firm="a").sum("period").values)
    table = pd.read_csv(explored / "sensitivity.csv")
    assert list(table.columns) == ["outcome", "parameter", "index", "value", "conf"]
    assert set(table["outcome"]) == {"profit_a", "share_end_a"}  # buyers: summary only
    for outcome in ("profit_a", "share_end_a"):
        rows = table[table["outcome"] == outcome]
        for index in ("S1", "ST"):
            assert set(rows.loc[rows["index"] == index, "parameter"]) == {"economy.depth",
                                                                          IGNORED}
    assert (explored / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (explored / "sensitivity.md").read_text()
    assert "| buyers |" in text and "| profit_a | economy.depth | ST |" in text


def test_a_parameter_the_model_ignores_has_no_total_effect(explored):
    table = pd.read_csv(explored / "sensitivity.csv")
    st = table[table["index"] == "ST"].set_index(["outcome", "parameter"])["value"]
    for outcome in ("profit_a", "share_end_a"):
        assert st[outcome, IGNORED] == 0.0
        assert st[outcome, "economy.depth"] > 0.0


def test_rerunning_the_command_runs_nothing_and_keeps_the_runs(design_file, explored, capsys):
    runs = sorted((explored / "runs").glob("*.nc"))
    stamps = [p.stat().st_mtime_ns for p in runs]
    capsys.readouterr()
    assert explore(design_file, explored) == 0
    out = capsys.readouterr().out
    assert "ran 0 runs (" in out and "sobol, 24 points x 2 replicates = 48 runs" in out
    assert [p.stat().st_mtime_ns for p in sorted((explored / "runs").glob("*.nc"))] == stamps


@pytest.mark.slow
def test_a_design_on_a_dask_cluster_gives_the_same_results(design_file, explored, tmp_path,
                                                          dask_cluster):
    import xarray as xr

    out = tmp_path / "dask"
    assert explore(design_file, out, "executor=dask",
                   f"executor.address={dask_cluster.scheduler_address}") == 0
    xr.testing.assert_identical(read_results(out / "sweep.nc"),
                                read_results(explored / "sweep.nc"))
    assert (out / "sensitivity.csv").read_text() == (explored / "sensitivity.csv").read_text()


def test_another_design_in_the_same_folder_is_refused(design_file, explored, capsys):
    assert explore(design_file, explored, "seed=3") == 2
    assert "hydra.sweep.dir=NEW_DIR" in capsys.readouterr().err


def test_the_default_folder_is_named_by_the_design_and_found_again(design_file, tmp_path,
                                                                   monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    small = ["samples=1", "replicates=1"]
    assert cli.main(["explore", str(design_file), "executor=serial", *small]) == 0
    folders = list((tmp_path / "multirun").iterdir())
    assert len(folders) == 1 and re.fullmatch(r"explore-tiny-[0-9a-f]{8}", folders[0].name)
    assert cli.main(["explore", str(design_file), "executor=serial", *small]) == 0
    assert list((tmp_path / "multirun").iterdir()) == folders
    assert "ran 0 runs" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "field"), [
    (["missing.yaml"], "design"),
    (["{design}", "samples=3"], "samples"),
    (["{design}", "sampler=halton"], "sampler"),
    (["{design}", "sensitivity=[nope]"], "sensitivity"),
    (["{design}", "firms.a.tiers.good.price=-1"], "firms.a.tiers.good.price"),
    (["{design}", "hydra/launcher=joblib"], "hydra/launcher"),
    (["{bad}"], "parameters.economy.depth.high"),
])
def test_a_bad_design_stops_before_anything_is_written(design_file, tmp_path, capsys, args,
                                                       field):
    bad = tmp_path / "bad.yaml"
    data = yaml.safe_load(design_file.read_text())
    data["parameters"]["economy.depth"]["high"] = 0.01
    bad.write_text(yaml.safe_dump(data))
    args = [a.format(design=design_file, bad=bad) for a in args]
    out = tmp_path / "out"
    assert cli.main(["explore", *args, "executor=serial", f"hydra.sweep.dir={out}"]) == 2
    err = capsys.readouterr().err.strip()
    assert ERROR.match(err) and err.count("\n") == 0, err
    assert err.removeprefix("valuesim: error: ").startswith(field)
    assert not out.exists()

