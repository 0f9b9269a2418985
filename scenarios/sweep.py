"""Sweeps: many runs of the scenario, stored once, combined into one labelled dataset.

A sweep is a :class:`SweepPlan` (the runs, each labelled by its swept values) kept
in a *sweep folder*::

    SWEEP_DIR/
      sweep.yaml           the plan: dims, their values, each run's overrides and key
      runs/<key>.nc        one run's results (written atomically)
      runs/<key>.error.yaml  a run that raised: config, seed, traceback
      sweep.nc             every run combined (by :func:`scenarios.collect.collect`)

A run's *key* hashes its resolved config (seed and replicate included), so a
re-run of the same sweep skips runs whose results exist and runs only the rest;
an edited config file changes the keys of the runs it touches. Runs go through an
executor (:mod:`scenarios.executors`): in this process, on local cores or on a
Dask cluster; the combined dataset is the same whichever runs them.

Replicates use common random numbers: replicate r draws its customers and its
futures from ``SeedSequence(seed, spawn_key=(r,))`` whatever the swept values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import yaml

from sim.io import write_text
from sim.validation import ConfigError, check_int

__all__ = ["Run", "SweepPlan", "SweepReport", "plan_grid", "plan_runs", "run_key", "execute",
           "run_chunk", "MANIFEST", "RUNS", "COMBINED"]

MANIFEST, RUNS, COMBINED = "sweep.yaml", "runs", "sweep.nc"
#: Sweep dims hold the swept values; a run's own dims must not collide with them.
RUN_DIMS = ("period", "firm", "offer", "segment", "state", "dimension")


# -- the plan ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Run:
    """One run of a sweep.

    Attributes
    ----------
    key : str
        Hash of the resolved config: names ``runs/<key>.nc``.
    labels : Mapping[str, Any]
        The run's value of every sweep dim.
    overrides : tuple of str
        The Hydra overrides that compose its config.
    """

    key: str
    labels: Mapping[str, Any]
    overrides: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """Runs laid out on a grid of sweep dims.

    Attributes
    ----------
    directory : Path
    dims : Mapping[str, list]
        Sweep dims in order, each with its coordinate values (a grid: the swept
        values; a design: ``sample`` and ``replicate``).
    runs : tuple of Run
    keys : Mapping[str, str]
        The override key behind each dim (``strategy@firms.a.strategy`` for dim
        ``firms.a.strategy``).
    coords : Mapping[str, tuple[str, list]]
        Extra coordinates ``name -> (dim, values)`` (a design's sampled values).
    command : str
        What was asked for (the overrides or the design), to refuse mixing sweeps.
    kind : str
        ``grid`` or ``design``.
    attrs : Mapping[str, Any]
        Carried into the combined dataset's attributes.
    """

    directory: Path
    dims: Mapping[str, list]
    runs: tuple[Run, ...]
    keys: Mapping[str, str] = dataclasses.field(default_factory=dict)
    coords: Mapping[str, tuple[str, list]] = dataclasses.field(default_factory=dict)
    command: str = ""
    kind: str = "grid"
    attrs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    #: Resolved configs by run key (not stored in the manifest; rebuilt by planning).
    configs: Mapping[str, dict] = dataclasses.field(default_factory=dict, repr=False,
                                                    compare=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.dims.values())

    def position(self, run: Run) -> tuple[int, ...]:
        """Index of ``run`` on the sweep grid."""
        return tuple(_index(values, run.labels[d]) for d, values in self.dims.items())

    def write(self) -> Path:
        """Write the manifest atomically; refuse a folder that holds a different sweep."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / MANIFEST
        if path.is_file():
            old = yaml.safe_load(path.read_text()) or {}
            if old.get("command") != self.command:
                held = str(old.get("command"))
                held = held if len(held) <= 80 else held[:77] + "..."
                raise ConfigError("sweep_dir", str(self.directory),
                                  f"a new folder or one holding this same sweep (it holds: "
                                  f"{held!r}); pass hydra.sweep.dir=NEW_DIR")
        data = {
            "valuesim_sweep": 1, "kind": self.kind, "command": self.command,
            "dims": [{"name": d, "key": self.keys.get(d, d), "values": _plain(v)}
                     for d, v in self.dims.items()],
            "coords": {k: {"dim": d, "values": _plain(v)} for k, (d, v) in self.coords.items()},
            "attrs": _plain(dict(self.attrs)),
            "runs": [{"key": r.key, "labels": _plain(dict(r.labels)),
                      "overrides": list(r.overrides)} for r in self.runs],
        }
        write_text(path, yaml.dump(data, Dumper=_Dumper, sort_keys=False))
        return path

    @classmethod
    def read(cls, directory: str | os.PathLike) -> SweepPlan:
        """The plan stored in a sweep folder.

        Raises
        ------
        ConfigError
            When ``directory`` is not a sweep folder.
        """
        directory = Path(directory)
        path = directory / MANIFEST
        if not path.is_file():
            raise ConfigError("sweep_dir", str(directory),
                              f"a folder a sweep wrote (with {MANIFEST}); `valuesim run -m` "
                              "prints it")
        try:
            data = yaml.load(path.read_text(), Loader=_Loader)
            dims = {d["name"]: list(d["values"]) for d in data["dims"]}
            runs = tuple(Run(r["key"], dict(r["labels"]), tuple(r["overrides"]))
                         for r in data["runs"])
        except (yaml.YAMLError, KeyError, TypeError) as exc:
            raise ConfigError(str(path), f"unreadable ({type(exc).__name__})",
                              "a manifest written by valuesim") from None
        return cls(directory, dims, runs, keys={d["name"]: d["key"] for d in data["dims"]},
                   coords={k: (v["dim"], list(v["values"]))
                           for k, v in (data.get("coords") or {}).items()},
                   command=data.get("command", ""), kind=data.get("kind", "grid"),
                   attrs=data.get("attrs") or {})


def run_key(config: Mapping[str, Any]) -> str:
    """Hash of a resolved config (its ``overrides`` record excluded), 16 hex digits."""
    data = {k: v for k, v in config.items() if k != "overrides"}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_grid(overrides: Sequence[str], directory: str | os.PathLike | None = None,
              *, root: str | os.PathLike = "multirun") -> SweepPlan:
    """Expand Hydra sweep overrides into every combination, each a composed, validated run.

    Parameters
    ----------
    overrides : sequence of str
        Scenario overrides; sweeps use Hydra's syntax (``economy.depth=0.1,0.2``,
        ``replicate=range(0,20)``, ``strategy@firms.a.strategy=hold,cut``,
        ``economy=glob(*)``).
    directory : path, optional
        The sweep folder; by default ``<root>/sweep-<hash of the overrides>``, so the
        same command finds its earlier runs.

    Raises
    ------
    ConfigError
        A malformed sweep, or any combination whose config is invalid (before anything
        is written).
    """
    base, dims, keys, value_strings = _split_sweeps(overrides)
    if "replicate" not in dims:
        replicate = next((o.partition("=")[2] for o in base
                          if o.partition("=")[0] == "replicate"), None)
        try:
            dims["replicate"] = [int(replicate) if replicate is not None else 0]
        except ValueError:
            raise ConfigError("replicate", replicate, "an integer >= 0") from None
        keys["replicate"] = "replicate"
        base = [o for o in base if o.partition("=")[0] != "replicate"]
    dims["replicate"] = dims.pop("replicate")  # the last sweep dim
    command = " ".join(sorted(overrides))
    if directory is None:
        digest = hashlib.sha256(command.encode()).hexdigest()[:8]
        directory = Path(root) / f"sweep-{digest}"
    names = [d for d in dims if d != "replicate"]
    points = []
    for combo in itertools.product(*(range(len(dims[d])) for d in names)):
        labels = {d: dims[d][i] for d, i in zip(names, combo, strict=True)}
        over = [*base, *(f"{keys[d]}={value_strings[d][i]}"
                         for d, i in zip(names, combo, strict=True))]
        points.append((labels, over))
    return plan_runs(directory, dims, points, keys=keys, command=command)


def plan_runs(directory: str | os.PathLike, dims: Mapping[str, list],
              points: Iterable[tuple[Mapping[str, Any], Sequence[str]]], *,
              keys: Mapping[str, str] | None = None,
              coords: Mapping[str, tuple[str, list]] | None = None, command: str = "",
              kind: str = "grid", attrs: Mapping[str, Any] | None = None) -> SweepPlan:
    """Compose and validate each point's config, once per replicate: the plan's runs.

    Parameters
    ----------
    directory : path
    dims : Mapping[str, list]
        Sweep dims and their values. With a ``replicate`` dim every point runs once per
        replicate; without one, each point is one run whose replicate (if any) its
        overrides set.
    points : iterable of (labels, overrides)
        Each point's labels on the dims other than ``replicate``, and the overrides
        that compose its config.

    Raises
    ------
    ConfigError
        The first invalid point (nothing has been written).
    """
    from scenarios.config import build_scenario, resolved_config

    _check_dim_names(dims)
    replicates = dims.get("replicate", [None])
    for rep in replicates:
        if rep is not None:
            check_int("replicate", rep, low=0)
    runs, configs = [], {}
    for labels, over in points:
        data = resolved_config(list(over))
        build_scenario(data)  # an invalid point stops the sweep before it starts
        for rep in replicates:
            run_config = data if rep is None else {**data, "replicate": rep}
            key = run_key(run_config)
            run_labels = dict(labels) if rep is None else {**labels, "replicate": rep}
            run_over = tuple(over) if rep is None else (*over, f"replicate={rep}")
            runs.append(Run(key, run_labels, run_over))
            configs[key] = run_config
    return SweepPlan(Path(directory), dict(dims), tuple(runs), keys=dict(keys or {}),
                     coords=dict(coords or {}), command=command, kind=kind,
                     attrs=dict(attrs or {}), configs=configs)


def _split_sweeps(overrides: Sequence[str]):
    """Fixed overrides, and per swept dim its values, override key and value strings."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import Glob

    from scenarios.config import group_options, hydra_error

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except Exception as exc:
        raise hydra_error(exc, overrides) from None
    base, dims, keys, strings = [], {}, {}, {}
    for text, o in zip(overrides, parsed, strict=True):
        if not o.is_sweep_override():
            base.append(text)
            continue
        key = o.get_key_element()
        name = o.package or o.key_or_group.lstrip("+~")
        if name in _RESULT_NAMES:  # a group named like a result variable: unit_cost=a,b
            name = f"{name}.option"
        if not o.is_discrete_sweep():
            raise ConfigError(key, text.partition("=")[2],
                              "a list of values (a,b,c), range() or glob(); intervals need "
                              "a sampler: use `valuesim explore`")
        if isinstance(o.value(), Glob):
            values = o.value().filter(list(group_options(o.key_or_group)))
            texts = list(values)
        else:
            values, texts = list(o.sweep_iterator()), list(o.sweep_string_iterator())
        if not values:
            raise ConfigError(key, text.partition("=")[2], "at least one value to sweep")
        if len(set(map(repr, values))) != len(values):
            raise ConfigError(key, text.partition("=")[2], "distinct values")
        if name in dims:
            raise ConfigError(key, text, "each parameter swept once")
        dims[name], keys[name], strings[name] = _coordinate(values), key, texts
    return base, dims, keys, strings


def _result_names() -> frozenset[str]:
    from sim.schema import OUTPUTS

    return frozenset(v.name for v in OUTPUTS) | frozenset(RUN_DIMS)


_RESULT_NAMES = _result_names()


def _coordinate(values: list) -> list:
    """Swept values as one coordinate type: numbers stay numbers, anything mixed is text."""
    if all(isinstance(v, bool) for v in values):
        return values
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return values
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values]
    return [v if isinstance(v, str) else json.dumps(v) if isinstance(v, (list, dict))
            else str(v) for v in values]


def _check_dim_names(dims: Mapping[str, list]) -> None:
    for d in dims:
        if d in RUN_DIMS:
            raise ConfigError(d, "swept", f"a parameter that is not a result dim ({RUN_DIMS})")


# -- running ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RunOutcome:
    """What a worker reports for one run."""

    key: str
    status: str  # "done" | "failed"
    seconds: float
    error: str = ""
    #: The run's results, when the caller asked for them back (saves re-reading the file).
    results: xr.Dataset | None = None


@dataclasses.dataclass(frozen=True)
class SweepReport:
    """Timing of an :func:`execute` call.

    Attributes
    ----------
    runs : int
        Runs in the plan.
    skipped : int
        Runs whose results already existed.
    done, failed : int
        Runs executed now, by outcome (points of a design that coincide share one run:
        the same resolved config is run once).
    wall_seconds : float
    run_seconds : float
        Sum over executed runs of each run's own time in its worker (build, simulate,
        write).
    workers : int
    """

    runs: int
    skipped: int
    done: int
    failed: int
    wall_seconds: float
    run_seconds: float
    workers: int

    @property
    def shared(self) -> int:
        """Points that repeat another point's resolved config (run once for both)."""
        return self.runs - self.skipped - self.done - self.failed

    def summary(self) -> str:
        """``ran N runs (M already done) in S s on W workers``."""
        extra = f", {self.shared} repeat another point's config" if self.shared else ""
        return (f"ran {self.done + self.failed} runs ({self.skipped} already done{extra}) "
                f"in {self.wall_seconds:.1f} s on {self.workers} workers")


def run_chunk(jobs: Sequence[tuple[str, dict, tuple[str, ...]]], runs_dir: str,
              return_results: bool = False) -> list[RunOutcome]:
    """Run ``(key, config, overrides)`` jobs one after another; each writes its own file.

    A run that raises leaves ``<key>.error.yaml`` (its config, seed, traceback) and
    the chunk goes on; an interrupted sweep stops it before its next run. With
    ``return_results`` each outcome also carries the run's dataset, so the caller can
    combine the sweep without reading the files back.
    """
    from scenarios.executors import stop_requested
    from sim.io import write_results
    from sim.run import simulate

    out = Path(runs_dir)
    outcomes = []
    for key, config, overrides in jobs:
        if stop_requested():
            break
        start = time.perf_counter()
        try:
            ds = simulate(config, overrides=list(overrides))
            write_results(ds, out / f"{key}.nc")
            (out / f"{key}.error.yaml").unlink(missing_ok=True)
            outcomes.append(RunOutcome(key, "done", time.perf_counter() - start,
                                       results=ds if return_results else None))
        except Exception as exc:  # recorded, reported by collect; the sweep goes on
            message = f"{type(exc).__name__}: {exc}".splitlines()[0]
            write_text(out / f"{key}.error.yaml", yaml.safe_dump({
                "key": key, "error": message, "overrides": list(overrides),
                "seed": config.get("seed"), "replicate": config.get("replicate"),
                "traceback": traceback.format_exc(), "config": config}, sort_keys=False))
            outcomes.append(RunOutcome(key, "failed", time.perf_counter() - start, message))
    return outcomes


def execute(plan: SweepPlan, executor, *, progress: bool = True,
            keep: dict[str, xr.Dataset] | None = None) -> SweepReport:
    """Run every run of ``plan`` whose results are not yet in its folder.

    Parameters
    ----------
    plan : SweepPlan
        Must carry its configs (as :func:`plan_grid` returns it).
    executor : scenarios.executors.Executor
        An entered executor (serial, local processes, Dask).
    progress : bool
        Show a progress bar with an ETA.
    keep : dict, optional
        Filled with the finished runs' datasets by key (pass it on to
        :func:`scenarios.collect.collect` to combine the sweep without reading every
        file back).
    """
    start = time.perf_counter()
    runs_dir = plan.directory / RUNS
    runs_dir.mkdir(parents=True, exist_ok=True)
    have = {p.stem for p in runs_dir.glob("*.nc")}
    seen, pending = set(), []
    for r in plan.runs:
        if r.key not in have and r.key not in seen:
            seen.add(r.key)
            pending.append((r.key, plan.configs[r.key], r.overrides))
    skipped = sum(r.key in have for r in plan.runs)
    size = executor.chunk_size(len(pending))
    chunks = [pending[i:i + size] for i in range(0, len(pending), size)]
    done = failed = 0
    seconds = 0.0
    bar = _bar(len(pending), progress)
    try:
        for outcomes in executor.map(run_chunk, chunks, str(runs_dir), keep is not None):
            for o in outcomes:
                if keep is not None and o.results is not None:
                    keep[o.key] = o.results
                seconds += o.seconds
                done += o.status == "done"
                failed += o.status == "failed"
            if bar is not None:
                bar.update(len(outcomes))
                if failed:
                    bar.set_postfix(failed=failed)
    finally:
        if bar is not None:
            bar.close()
    return SweepReport(len(plan.runs), skipped, done, failed,
                       time.perf_counter() - start, seconds, executor.workers)


def _bar(total: int, show: bool):
    if not show or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="runs", unit="run", smoothing=0.1)


def _index(values: list, value: Any) -> int:
    for i, v in enumerate(values):
        if v == value or (isinstance(v, float) and isinstance(value, (int, float))
                          and np.isclose(v, value)):
            return i
    raise KeyError(value)


# -- files ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """numpy scalars and tuples as plain YAML values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
