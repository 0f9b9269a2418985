"""Sweeps: one labelled dataset, resume, failures kept apart, identical whoever runs them.

Tiny scenarios (1,500 customers x 16 periods) through ``valuesim run -m`` in-process
(default route) and in subprocesses (Hydra launchers), and through the Python API.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from scenarios import cli
from scenarios.executors import ExecutorParams, open_executor, split_executor
from scenarios.sweep import RUNS, SweepPlan, execute, plan_grid, run_key
from sim.io import read_results
from sim.validation import ConfigError

PROJECT = Path(cli.__file__).resolve().parents[1]
TINY = ("population.n_customers=1500", "n_periods=16", "economy.onset=3",
        "economy.duration=6")
#: TINY without the downturn's keys (for sweeps that pick the economy option).
PLAIN = ("population.n_customers=1500", "n_periods=16")
GRID = (*TINY, "economy.depth=0.1,0.3", "strategy@firms.a.strategy=hold,cut",
        "replicate=range(0,2)")
ERROR = re.compile(r"^valuesim: error: \S+: got .*; allowed: .+$")


def sweep(tmp: Path, *args: str) -> int:
    return cli.main(["run", "-m", *args, f"hydra.sweep.dir={tmp}"])


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    """The 2 x 2 x 2 grid, run once on local cores."""
    directory = tmp_path_factory.mktemp("grid") / "sweep"
    assert sweep(directory, *GRID, "executor.workers=2") == 0
    return directory


# -- story: one labelled dataset -------------------------------------------------------


def test_a_sweep_is_one_dataset_with_a_dim_per_swept_parameter(grid):
    ds = read_results(grid / "sweep.nc")
    assert list(ds["run_status"].dims) == ["economy.depth", "firms.a.strategy", "replicate"]
    assert ds["economy.depth"].values.tolist() == [0.1, 0.3]
    assert ds["firms.a.strategy"].values.tolist() == ["hold", "cut"]
    assert ds["replicate"].values.tolist() == [0, 1]
    assert ds["profit"].dims == ("economy.depth", "firms.a.strategy", "replicate", "period",
                                 "firm")
    assert (ds["run_status"] == "done").all()
    assert ds["profit"].notnull().all()


def test_every_number_traces_back_to_its_run_and_config(grid):
    ds = read_results(grid / "sweep.nc")
    cell = dict(economy_depth=0.3, strategy="cut", replicate=1)
    sel = {"economy.depth": cell["economy_depth"], "firms.a.strategy": cell["strategy"],
           "replicate": cell["replicate"]}
    key = str(ds["run_key"].sel(sel).item())
    run = read_results(grid / RUNS / f"{key}.nc")
    np.testing.assert_array_equal(ds["profit"].sel(sel).values, run["profit"].values)
    config = yaml.safe_load(run.attrs["config"])
    assert config["economy"]["depth"] == 0.3 and config["replicate"] == 1
    assert config["firms"]["a"]["strategy"]["kind"] == "cut"
    assert run_key(config) == key
    # and the same overrides run directly give the same numbers
    from sim import load_config, simulate

    direct = simulate(load_config([*TINY, "economy.depth=0.3", "strategy@firms.a.strategy=cut",
                                   "replicate=1"]))
    np.testing.assert_array_equal(direct["profit"].values, run["profit"].values)


def test_replicates_share_customers_whatever_the_swept_values(grid):
    ds = read_results(grid / "sweep.nc")
    before = ds["units"].isel(period=slice(0, 3))  # the downturn starts at period 3
    # same replicate: identical before the swept parameters act; different replicates differ
    np.testing.assert_array_equal(before.sel({"economy.depth": 0.1}).values,
                                  before.sel({"economy.depth": 0.3}).values)
    assert not before.sel(replicate=0).equals(before.sel(replicate=1))


# -- nothing lost, nothing repeated ----------------------------------------------------


def test_rerunning_the_command_runs_only_what_is_missing(tmp_path, capsys):
    directory = tmp_path / "sweep"
    assert sweep(directory, *GRID, "executor=serial") == 0
    first = read_results(directory / "sweep.nc")
    files = sorted((directory / RUNS).glob("*.nc"))
    assert len(files) == 8
    for f in files[:3]:
        f.unlink()
    stamps = {f: f.stat().st_mtime_ns for f in files[3:]}
    capsys.readouterr()
    assert sweep(directory, *GRID, "executor=serial") == 0
    out = capsys.readouterr().out
    assert "ran 3 runs (5 already done)" in out
    assert all(f.stat().st_mtime_ns == t for f, t in stamps.items())  # not rewritten
    xr.testing.assert_identical(read_results(directory / "sweep.nc"), first)


def test_collect_reports_an_interrupted_sweep_and_marks_missing_runs(grid, tmp_path, capsys):
    partial = tmp_path / "partial"
    plan = SweepPlan.read(grid)
    (partial / RUNS).mkdir(parents=True)
    (partial / "sweep.yaml").write_text((grid / "sweep.yaml").read_text())
    kept = plan.runs[:5]
    for r in kept:
        (partial / RUNS / f"{r.key}.nc").write_bytes((grid / RUNS / f"{r.key}.nc").read_bytes())
    assert cli.main(["collect", str(partial)]) == 0
    out = capsys.readouterr().out
    assert "5 of 8 runs done, 0 failed, 3 missing" in out
    assert "missing: economy.depth=0.3 firms.a.strategy=cut replicate=1" in out
    ds = read_results(partial / "sweep.nc")
    assert int((ds["run_status"] == "missing").sum()) == 3
    missing = ds["run_status"] == "missing"
    assert ds["profit"].where(missing).isnull().all()
    full = read_results(grid / "sweep.nc")
    xr.testing.assert_equal(ds["profit"].where(~missing), full["profit"].where(~missing))


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    import sim.run

    real = sim.run.simulate

    def flaky(config, **kw):
        if config["replicate"] == 1 and config["economy"]["depth"] == 0.3:
            raise FloatingPointError("the model diverged")
        return real(config, **kw)

    monkeypatch.setattr(sim.run, "simulate", flaky)
    directory = tmp_path / "sweep"
    assert sweep(directory, *GRID, "executor=serial") == 1
    out = capsys.readouterr().out
    assert "6 of 8 runs done, 2 failed, 0 missing" in out
    errors = sorted((directory / RUNS).glob("*.error.yaml"))
    assert len(errors) == 2
    record = yaml.safe_load(errors[0].read_text())
    assert record["error"] == "FloatingPointError: the model diverged"
    assert record["replicate"] == 1 and "Traceback" in record["traceback"]
    assert "replicate=1" in record["overrides"]
    ds = read_results(directory / "sweep.nc")
    failed = ds["run_status"] == "failed"
    assert int(failed.sum()) == 2
    assert ds["profit"].where(failed).isnull().all()
    assert ds["profit"].where(~failed).notnull().sum() > 0
    # fixed, the same command runs just the two failed runs and clears their errors
    monkeypatch.setattr(sim.run, "simulate", real)
    assert sweep(directory, *GRID, "executor=serial") == 0
    assert "ran 2 runs (6 already done)" in capsys.readouterr().out
    assert not list((directory / RUNS).glob("*.error.yaml"))


def test_results_files_are_written_atomically(tmp_path, monkeypatch):
    """A run killed while writing leaves no results file (so a resume re-runs it)."""
    import sim.io

    plan = plan_grid([*TINY, "replicate=range(0,2)"], tmp_path / "sweep")
    plan.write()

    def crash(self, path, *a, **k):
        Path(path).write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", crash)
    with open_executor(ExecutorParams(kind="serial")) as ex, pytest.raises(KeyboardInterrupt):
        execute(plan, ex, progress=False)
    assert not list((tmp_path / "sweep" / RUNS).glob("*"))
    assert sim.io  # the writer under test


# -- whoever runs it, the same dataset -------------------------------------------------


def test_serial_and_parallel_sweeps_give_identical_datasets(grid, tmp_path):
    assert sweep(tmp_path / "serial", *GRID, "executor=serial") == 0
    xr.testing.assert_identical(read_results(tmp_path / "serial" / "sweep.nc"),
                                read_results(grid / "sweep.nc"))


def test_a_dask_cluster_gives_the_same_dataset(grid, tmp_path, dask_cluster):
    address = dask_cluster.scheduler_address
    assert sweep(tmp_path / "dask", *GRID, "executor=dask", f"executor.address={address}",
                 "executor.chunk=3") == 0
    xr.testing.assert_identical(read_results(tmp_path / "dask" / "sweep.nc"),
                                read_results(grid / "sweep.nc"))


def test_a_dask_scheduler_file_finds_the_cluster(grid, tmp_path, dask_cluster):
    import json

    scheduler = tmp_path / "scheduler.json"
    scheduler.write_text(json.dumps({"address": dask_cluster.scheduler_address}))
    assert sweep(tmp_path / "dask", *GRID, f"executor.scheduler_file={scheduler}") == 0
    xr.testing.assert_identical(read_results(tmp_path / "dask" / "sweep.nc"),
                                read_results(grid / "sweep.nc"))


def test_executor_dask_without_an_address_starts_a_local_cluster(grid, tmp_path):
    pytest.importorskip("distributed")
    assert sweep(tmp_path / "dask", *GRID, "executor=dask", "executor.workers=2") == 0
    xr.testing.assert_identical(read_results(tmp_path / "dask" / "sweep.nc"),
                                read_results(grid / "sweep.nc"))


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_hydra_launchers_fill_the_same_run_store(grid, tmp_path, launcher):
    """``hydra/launcher=...`` hands the runs to Hydra; the result is the same dataset."""
    directory = tmp_path / launcher
    proc = subprocess.run(
        [sys.executable, "-m", "scenarios.cli", "run", "-m", *GRID, f"hydra/launcher={launcher}",
         f"hydra.sweep.dir={directory}"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**os.environ, "PYTHONPATH": str(PROJECT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "8 of 8 runs done" in proc.stdout
    xr.testing.assert_identical(read_results(directory / "sweep.nc"),
                                read_results(grid / "sweep.nc"))


# -- the plan -------------------------------------------------------------------------


def test_a_grid_plan_covers_every_combination_once():
    plan = plan_grid([*TINY, "economy.depth=0.1,0.2,0.3", "economy=downturn",
                      "replicate=range(0,4)"], "unused")
    assert plan.dims == {"economy.depth": [0.1, 0.2, 0.3], "replicate": [0, 1, 2, 3]}
    assert len(plan.runs) == 12 == len({r.key for r in plan.runs})
    assert sorted(plan.position(r) for r in plan.runs) == [(i, j) for i in range(3)
                                                           for j in range(4)]


def test_the_same_command_finds_the_same_folder_and_keys():
    a = plan_grid([*TINY, "economy.depth=0.1,0.2"], root="multirun")
    b = plan_grid(["economy.depth=0.1,0.2", *reversed(TINY)], root="multirun")
    assert a.directory == b.directory and [r.key for r in a.runs] == [r.key for r in b.runs]
    c = plan_grid([*TINY, "economy.depth=0.1,0.25"], root="multirun")
    assert c.directory != a.directory and c.runs[0].key == a.runs[0].key


def test_a_group_sweep_labels_its_dim_by_the_package():
    plan = plan_grid([*PLAIN, "strategy@firms.b.strategy=hold,match", "economy=glob(*)"],
                     "unused")
    assert plan.dims["firms.b.strategy"] == ["hold", "match"]
    assert plan.dims["economy"] == ["downturn", "steady"]
    assert plan.keys["firms.b.strategy"] == "strategy@firms.b.strategy"


# -- bad input: one line, exit 2, nothing written -------------------------------------


@pytest.mark.parametrize(("args", "field"), [
    (("economy.depth=0.1,7",), "economy.depth"),
    (("economy.dpth=0.1,0.2",), "economy.dpth"),
    (("economy.depth=interval(0.1,0.3)",), "economy.depth"),
    (("strategy@firms.a.strategy=hold,nope",), "firms.a.strategy"),
    (("replicate=range(0,2)", "executor=cloud"), "executor.kind"),
    (("executor.wrkers=2",), "executor.wrkers"),
    (("executor.workers=-1",), "executor.workers"),
    (("replicate=-1,0",), "replicate"),
    (("economy.depth=0.1,0.1",), "economy.depth"),
])
def test_a_bad_sweep_stops_before_anything_is_written(tmp_path, capsys, args, field):
    directory = tmp_path / "sweep"
    assert sweep(directory, *TINY, *args) == 2
    err = capsys.readouterr().err.strip()
    assert ERROR.match(err) and err.count("\n") == 0, err
    assert field in err
    assert not directory.exists()


def test_an_unreachable_dask_scheduler_is_one_line_and_writes_nothing(tmp_path, capsys):
    directory = tmp_path / "sweep"
    assert sweep(directory, *TINY, "executor=dask", "executor.address=tcp://127.0.0.1:9",
                 "executor.timeout=2") == 2
    err = capsys.readouterr().err.strip()
    assert ERROR.match(err) and "executor.address" in err and "tcp://127.0.0.1:9" in err
    assert not directory.exists()


def test_a_folder_holding_another_sweep_is_refused_and_kept(grid, tmp_path, capsys):
    before = (grid / "sweep.yaml").read_text()
    assert sweep(grid, *TINY, "economy.depth=0.2,0.4") == 2
    err = capsys.readouterr().err
    assert ERROR.match(err.strip()) and "sweep_dir" in err and "hydra.sweep.dir" in err
    assert (grid / "sweep.yaml").read_text() == before


@pytest.mark.parametrize("args", [["nowhere"], [], ["a", "b"]])
def test_collect_needs_a_sweep_folder(tmp_path, capsys, args):
    assert cli.main(["collect", *[str(tmp_path / a) for a in args]]) == 2
    err = capsys.readouterr().err.strip()
    assert ERROR.match(err) and err.count("\n") == 0


def test_executor_options_are_validated_and_split_from_the_scenario():
    params, rest = split_executor(["executor=dask", "executor.address=tcp://h:8786",
                                   "economy.depth=0.1", "executor.chunk=4"])
    assert params == ExecutorParams(kind="dask", address="tcp://h:8786", chunk=4)
    assert rest == ["economy.depth=0.1"]
    with pytest.raises(ConfigError, match="executor.address"):
        split_executor(["executor=local", "executor.address=tcp://h:1"])


@pytest.mark.slow
def test_an_interrupted_sweep_keeps_its_finished_runs_and_resumes(tmp_path):
    """Ctrl-C mid-sweep: exit 130, only whole results files, and the same command finishes."""
    import signal
    import time

    directory = tmp_path / "sweep"
    command = [sys.executable, "-m", "scenarios.cli", "run", "-m",
               "population.n_customers=20000", "n_periods=30", "economy.onset=3",
               "replicate=range(0,40)", "executor.workers=2", "executor.chunk=1",
               f"hydra.sweep.dir={directory}"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list((directory / RUNS).glob("*.nc"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err and "Traceback" not in err
    kept = sorted((directory / RUNS).glob("*.nc"))
    assert 4 <= len(kept) < 40
    assert not list((directory / RUNS).glob(".*"))  # no temporary files left behind
    for f in kept:
        read_results(f)  # every file that exists is whole
    resumed = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"ran {40 - len(kept)} runs ({len(kept)} already done)" in resumed.stdout
    assert (read_results(directory / "sweep.nc")["run_status"] == "done").all()


def test_a_group_named_like_a_result_variable_gets_an_option_dim():
    plan = plan_grid([*TINY, "unit_cost=steady,shock"], "unused")
    assert plan.dims["unit_cost.option"] == ["steady", "shock"]
    assert plan.keys["unit_cost.option"] == "unit_cost"
