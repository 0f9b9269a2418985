"""Studies: a scenario run under several arms (strategies) and conditions, with replicates.

A study compares *arms* (e.g. hold / cut / raise) under one or more
*conditions* (e.g. shallow and deep downturns), each for ``replicates``
seeds. Replicate r of every arm and condition uses the same ``seed`` and
``replicate``, so it sees the same customers and the same random draws
(common random numbers): arm differences are paired.

A study is declared in ``configs/study/<name>.yaml`` (the fields of
:class:`StudyParams`) and run by ``python experiments/<name>.py [key=value ...]``
(:func:`scenarios.study_cli.main`);
keys that are not study fields are scenario overrides (``population.n_customers=5000``).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import xarray as xr
import yaml
from scipy import stats

from sim.params import FROZEN, from_mapping, to_mapping
from sim.validation import ConfigError, check_int

__all__ = ["StudyParams", "load_study", "run_study", "mean_ci", "paired_ci", "verdict"]

#: Variables a study keeps from each run unless told otherwise.
KEEP = ("economy_index", "price", "units", "offer_share", "firm_units", "firm_revenue",
        "profit", "share", "average_price", "customers", "outside_share", "consumer_surplus",
        "segment_units", "concession", "committed", "on_sale")


@dataclasses.dataclass(**FROZEN)
class StudyParams:
    """A study: scenario, arms, conditions, replicates.

    Attributes
    ----------
    name, title, claim : str
        The claim is the seed's statement the study tests (MODEL.md §12).
    base : tuple of str
        Scenario overrides shared by every run.
    arms : Mapping[str, tuple of str]
        Overrides of each arm (the levers compared).
    conditions : Mapping[str, tuple of str]
        Overrides of each condition (the circumstances varied).
    replicates : int
    seed : int
    keep : tuple of str
        Result variables kept in the study dataset.
    workers : int
        Parallel processes (0: one per core).
    """

    name: str
    title: str
    claim: str
    arms: Mapping[str, tuple[str, ...]]
    base: tuple[str, ...] = ()
    conditions: Mapping[str, tuple[str, ...]] = dataclasses.field(
        default_factory=lambda: {"base": ()})
    replicates: int = 30
    seed: int = 0
    keep: tuple[str, ...] = KEEP
    workers: int = 0

    def __post_init__(self) -> None:
        if not self.arms:
            raise ConfigError("arms", {}, "at least one arm")
        if not self.conditions:
            raise ConfigError("conditions", {}, "at least one condition")
        check_int("replicates", self.replicates, low=1)
        check_int("seed", self.seed, low=0)
        check_int("workers", self.workers, low=0)


def study_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "configs" / "study"


def load_study(name: str, overrides: Sequence[str] = ()) -> StudyParams:
    """Read ``configs/study/<name>.yaml``; study-field overrides change it, the rest join ``base``.

    Raises
    ------
    ConfigError
        Unknown study, bad override or invalid field.
    """
    path = study_dir() / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in study_dir().glob("*.yaml"))
        raise ConfigError("study", name, "one of " + ", ".join(known))
    data = yaml.safe_load(path.read_text())
    fields = {f.name for f in dataclasses.fields(StudyParams)}
    scenario = []
    for o in overrides:
        key, sep, value = o.partition("=")
        if not sep:
            raise ConfigError("override", o, "key=value")
        if key in fields:
            data[key] = yaml.safe_load(value)
        else:
            scenario.append(o)
    data["base"] = [*data.get("base", []), *scenario]
    return from_mapping(StudyParams, data, "study")


def run_study(params: StudyParams, *, progress: bool = True,
              directory: str | os.PathLike | None = None) -> xr.Dataset:
    """Every condition x arm x replicate through the sweep machinery; one dataset.

    Parameters
    ----------
    params : StudyParams
    progress : bool
        Show a progress bar.
    directory : path, optional
        Keep the study's runs in this sweep folder: an interrupted study resumes there,
        and a re-run with the same config reuses its runs. By default the runs go to a
        temporary folder, so every study run recomputes with the code as it is.

    Returns
    -------
    xarray.Dataset
        Dims ``condition``, ``arm``, ``replicate`` plus the runs' own dims.

    Raises
    ------
    ConfigError
        An invalid arm or condition (before any run).
    RuntimeError
        When a run raised (its error file is named).
    """
    import tempfile

    from scenarios.collect import collect
    from scenarios.executors import ExecutorParams, open_executor
    from scenarios.sweep import execute, plan_runs

    dims = {"condition": list(params.conditions), "arm": list(params.arms),
            "replicate": list(range(params.replicates))}
    points = [({"condition": c, "arm": a},
               [*params.base, *c_over, *a_over, f"seed={params.seed}"])
              for c, c_over in params.conditions.items() for a, a_over in params.arms.items()]
    config = yaml.safe_dump(to_mapping(params), sort_keys=False)
    executor = ExecutorParams(kind="serial" if params.workers == 1 else "local",
                              workers=params.workers)
    with tempfile.TemporaryDirectory(prefix=f"study_{params.name}_") as tmp:
        plan = plan_runs(Path(directory) if directory is not None else Path(tmp), dims, points,
                         command=config, kind="study")
        loaded: dict[str, xr.Dataset] = {}
        with open_executor(executor) as ex:
            plan.write()
            execute(plan, ex, progress=progress, keep=loaded)
        ds, report = collect(plan.directory, loaded=loaded, write=False)
    if report.failed or report.missing:
        key, error = next(iter(report.failed.items()), ("?", "missing runs"))
        raise RuntimeError(f"study {params.name}: {len(report.failed)} runs failed, "
                           f"{len(report.missing)} missing; first: {key}: {error}")
    ds = ds[[v for v in params.keep if v in ds]].drop_attrs(deep=False)
    ds.attrs.update(study=params.name, title=params.title, claim=params.claim,
                    study_config=config)
    return ds


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its t-interval over replicates (the last axis)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[-1]
    m = float(np.mean(x))
    if n < 2:
        return m, float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, n - 1) * np.std(x, ddof=1) / np.sqrt(n)
    return m, m - half, m + half


def paired_ci(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``x - y`` over paired replicates, with its t-interval."""
    return mean_ci(np.asarray(x) - np.asarray(y), level)


def verdict(low: float, high: float, *, holds_if_positive: bool = True) -> str:
    """``holds`` / ``fails`` / ``inconclusive`` from a confidence interval of a difference."""
    if not np.isfinite(low) or low <= 0 <= high:
        return "inconclusive"
    return "holds" if (low > 0) == holds_if_positive else "fails"


def fmt(m: float, lo: float, hi: float, digits: int = 0) -> str:
    """``mean [lo, hi]`` with thousands separators."""
    f = f"{{:,.{digits}f}}"
    return f"{f.format(m)} [{f.format(lo)}, {f.format(hi)}]"
