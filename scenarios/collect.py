"""Collecting a sweep: its runs combined into one labelled dataset, and what is missing.

:func:`collect` reads a sweep folder (see :mod:`scenarios.sweep`) — finished,
interrupted or still running — and :func:`combine` lays the runs on the plan's grid:
one dim per sweep dim, then each run's own dims, labels unioned across runs (a swept
ladder has other offers, a future with entrants more firms), NaN where a run is
missing or lacks a label, and ``run_status`` / ``run_key`` tracing every cell to its
file.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import yaml

from scenarios.sweep import COMBINED, RUNS, Run, SweepPlan

__all__ = ["CollectReport", "collect", "combine"]


@dataclasses.dataclass(frozen=True)
class CollectReport:
    """What :func:`collect` found.

    Attributes
    ----------
    path : Path or None
        The combined dataset, if written.
    done : int
        Runs (points of the sweep grid) with results.
    failed : Mapping[str, str]
        Run key -> one-line error, for runs that raised.
    missing : tuple of Run
        Runs with neither results nor an error (interrupted or still running).
    commits : tuple of str
        Source commits the runs were made with.
    """

    path: Path | None
    done: int
    failed: Mapping[str, str]
    missing: tuple[Run, ...]
    commits: tuple[str, ...]
    #: Runs (points) whose run raised (several points may share one failed run).
    failed_runs: int = 0

    def lines(self, plan: SweepPlan) -> list[str]:
        """A short human report."""
        total = len(plan.runs)
        out = [f"{self.done} of {total} runs done, {self.failed_runs} failed, "
               f"{len(self.missing)} missing"]
        for key, err in list(self.failed.items())[:10]:
            out.append(f"  failed {key}: {err}  (see {plan.directory / RUNS / key}.error.yaml)")
        for r in self.missing[:10]:
            out.append("  missing: " + " ".join(f"{k}={v}" for k, v in r.labels.items()))
        if len(self.missing) > 10:
            out.append(f"  ... and {len(self.missing) - 10} more missing")
        if len(self.commits) > 1:
            out.append("  note: runs come from several source commits: "
                       + ", ".join(c[:12] for c in self.commits))
        return out


def collect(directory: str | os.PathLike, *, write: bool = True,
            loaded: Mapping[str, xr.Dataset] | None = None
            ) -> tuple[xr.Dataset, CollectReport]:
    """Combine a sweep folder's runs into one dataset (``sweep.nc``), marking what is missing.

    Works on a finished, interrupted or still-running sweep: runs without results are
    NaN in the dataset and ``run_status`` says why (``done``, ``failed``, ``missing``).
    ``loaded`` holds runs already in memory (from :func:`execute`); the rest are read.

    Raises
    ------
    ConfigError
        When ``directory`` is not a sweep folder.
    """
    from sim.io import read_results, write_results

    plan = SweepPlan.read(directory)
    runs_dir = plan.directory / RUNS
    datasets, failed, missing = {}, {}, []
    for r in plan.runs:
        if r.key in datasets or r.key in failed:
            continue
        path = runs_dir / f"{r.key}.nc"
        if loaded is not None and r.key in loaded:
            datasets[r.key] = loaded[r.key]
        elif path.is_file():
            datasets[r.key] = read_results(path)
        elif (err := runs_dir / f"{r.key}.error.yaml").is_file():
            failed[r.key] = (yaml.safe_load(err.read_text()) or {}).get("error", "error")
        else:
            missing.append(r)
    ds = combine(plan, datasets, failed)
    commits = tuple(sorted({str(d.attrs.get("git_commit", "unknown"))
                            for d in datasets.values()}))
    path = write_results(ds, plan.directory / COMBINED) if write and datasets else None
    done = sum(r.key in datasets for r in plan.runs)
    n_failed = sum(r.key in failed for r in plan.runs)
    return ds, CollectReport(path, done, failed, tuple(missing), commits, n_failed)


def combine(plan: SweepPlan, datasets: Mapping[str, xr.Dataset],
            failed: Iterable[str] = ()) -> xr.Dataset:
    """Lay run datasets on the plan's grid: dims = sweep dims + each run's own dims.

    Runs may have different offers (a swept ladder or menu): offers are the union, in
    order of first appearance, NaN where a run lacks one. Missing runs are NaN.
    """
    failed = set(failed)
    shape = plan.shape
    sweep_dims = list(plan.dims)
    status = np.full(shape, "missing", dtype=object)
    keys = np.full(shape, "", dtype=object)
    placed = []
    for r in plan.runs:
        pos = plan.position(r)
        keys[pos] = r.key
        if r.key in datasets:
            status[pos] = "done"
            placed.append((pos, datasets[r.key]))
        elif r.key in failed:
            status[pos] = "failed"
    coords = {d: _coord_values(v) for d, v in plan.dims.items()}
    data_vars = {
        "run_status": (sweep_dims, status.astype(str), {
            "long_name": "whether the run finished (done), raised (failed) or has no result "
                         "(missing)"}),
        "run_key": (sweep_dims, keys.astype(str), {
            "long_name": f"the run's results file: {RUNS}/<run_key>.nc in the sweep folder"}),
    }
    out = xr.Dataset(data_vars, coords=coords)
    for name, (dim, values) in plan.coords.items():
        out = out.assign_coords({name: (dim, _coord_values(values))})
    if placed:
        out = out.merge(_stack(placed, shape, sweep_dims), compat="override")
    attrs = {"title": "valuesim sweep", "sweep_kind": plan.kind,
             "sweep_command": plan.command, "sweep_dims": " ".join(sweep_dims),
             "sweep_keys": json.dumps(dict(plan.keys))}
    if placed:
        first = placed[0][1].attrs
        attrs.update({k: first[k] for k in ("valuesim_version", "currency") if k in first})
    attrs.update({k: v for k, v in plan.attrs.items()})
    out.attrs.update(attrs)
    for d in sweep_dims:
        out[d].attrs.setdefault("long_name", f"swept value of {plan.keys.get(d, d)}")
    return out


def _stack(placed: list[tuple[tuple[int, ...], xr.Dataset]], shape: tuple[int, ...],
           sweep_dims: list[str]) -> xr.Dataset:
    """Variables of the placed runs on the sweep grid.

    Runs may label their dims differently (a swept ladder has other offers, a future with
    entrants has more firms): every labelled dim is the union of the runs' labels, in
    order of first appearance, NaN where a run lacks one.
    """
    datasets = [ds for _, ds in placed]
    labels, extra = _label_union(datasets)
    aligned, reindexed = [], False
    for pos, ds in placed:
        ds = ds.drop_vars([c for c in ds.coords if c not in ds.dims])
        wanted = {d: v for d, v in labels.items()
                  if d in ds.dims and ds[d].values.tolist() != v}
        if wanted:
            ds, reindexed = ds.reindex(wanted), True
        aligned.append((pos, ds))
    complete = len(aligned) == int(np.prod(shape)) and not reindexed
    variables = {}
    names = list(dict.fromkeys(v for _, ds in aligned for v in ds.data_vars))
    for name in names:
        having = [(pos, ds[name]) for pos, ds in aligned if name in ds.data_vars]
        first = having[0][1]
        dtype = first.dtype if complete and len(having) == len(aligned) else _nan_dtype(
            first.dtype)
        arr = np.full(shape + first.shape, _fill(dtype), dtype=dtype)
        for pos, da in having:
            arr[pos] = da.values
        variables[name] = (sweep_dims + list(first.dims), arr, dict(first.attrs))
    coords = {d: (d, v) for d, v in labels.items()}
    coords.update(extra)
    return xr.Dataset(variables, coords=coords)


def _label_union(datasets: list[xr.Dataset]):
    """Union of each labelled dim's values, and the coordinates that ride on them
    (``offer_firm``, ``offer_rung`` on ``offer``), in order of first appearance."""
    labels: dict[str, dict[Any, dict[str, Any]]] = {}
    for ds in datasets:
        riders = {d: [c for c in ds.coords if c not in ds.dims and ds[c].dims == (d,)]
                  for d in ds.dims}
        for d in ds.dims:
            if d not in ds.coords:
                continue
            seen = labels.setdefault(d, {})
            for i, v in enumerate(ds[d].values.tolist()):
                if v not in seen:
                    seen[v] = {c: ds[c].values[i] for c in riders[d]}
    values = {d: list(seen) for d, seen in labels.items()}
    extra = {}
    for d, seen in labels.items():
        names = set().union(*(set(r) for r in seen.values())) if seen else set()
        for c in sorted(names):
            if all(c in r for r in seen.values()):
                extra[c] = (d, np.array([seen[v][c] for v in values[d]]))
    return values, extra


def _nan_dtype(dtype: np.dtype) -> np.dtype:
    if np.issubdtype(dtype, np.floating):
        return dtype
    if np.issubdtype(dtype, np.number) or dtype.kind == "b":
        return np.dtype(np.float64)
    return np.dtype(object)


def _fill(dtype: np.dtype):
    if np.issubdtype(dtype, np.floating):
        return np.nan
    if dtype.kind == "O":
        return None
    return 0


def _coord_values(values: list) -> np.ndarray:
    if values and all(isinstance(v, str) for v in values):
        return np.array(values, dtype=str)
    return np.asarray(values)
