"""Sensitivity of a design's outcomes to its parameters: SALib indices, a tidy table, a figure.

An *outcome* reduces one result variable to one number per run (``profit`` of firm
``a`` summed over periods, ``share`` of firm ``a`` in the last period, ...); a design
point's value is its mean over replicates (which share common random numbers, so the
mean removes noise the parameters did not cause only partly: keep replicates > 1 for
noisy outcomes).

Indices by sampler (``conf``: half-width of a 95% bootstrap interval, NaN if none):

- ``sobol``: ``S1`` (first order), ``ST`` (total order) and ``S2`` (second order, rows
  named ``a:b``), Saltelli / Jansen estimators (:func:`SALib.analyze.sobol.analyze`);
- ``morris``: ``mu_star`` (mean absolute elementary effect), ``sigma`` (their standard
  deviation: interactions or curvature) and ``mu`` (signed mean), in outcome units per
  whole range of the parameter (:func:`SALib.analyze.morris.analyze`);
- ``latin_hypercube``: ``S1`` by RBD-FAST (:func:`SALib.analyze.rbd_fast.analyze`,
  which accepts any sample; biased upwards at small samples);
- ``factorial``: ``main_effect``, the share of the outcome's variance over the grid
  that each parameter's main effect explains (exact on a full grid; no interval).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from sim.params import FROZEN, FrozenMap
from sim.validation import ConfigError, check_choice

__all__ = ["OutcomeParams", "REDUCERS", "COLUMNS", "reduce_outcome", "outcome_values",
           "analyse", "summarize", "to_markdown", "plot_indices", "PLOTTED"]

REDUCERS = ("sum", "mean", "last", "first", "min", "max")
#: Columns of the sensitivity table.
COLUMNS = ("outcome", "parameter", "index", "value", "conf")
#: Indices drawn by :func:`plot_indices` (S2 and mu are in the table only).
PLOTTED = ("S1", "ST", "mu_star", "sigma", "main_effect")


@dataclasses.dataclass(**FROZEN)
class OutcomeParams:
    """One number per run: a result variable, selected, reduced over periods.

    Attributes
    ----------
    variable : str
        A result variable (:data:`sim.schema.OUTPUTS`).
    select : Mapping[str, str]
        A label for each of the variable's dims other than ``period``
        (``{firm: a}``, ``{offer: a/good}``, ``{segment: mainstream}``).
    reduce : {"sum", "mean", "last", "first", "min", "max"}
        Over periods.
    """

    variable: str
    select: Mapping[str, Any] = dataclasses.field(default_factory=FrozenMap)
    reduce: str = "sum"

    def __post_init__(self) -> None:
        from sim.schema import BY_NAME

        check_choice("variable", self.variable, BY_NAME)
        check_choice("reduce", self.reduce, REDUCERS)
        dims = [d for d in BY_NAME[self.variable].dims if d != "period"]
        for d, value in self.select.items():
            if d not in dims:
                raise ConfigError(f"select.{d}", value, f"a dim of {self.variable}: "
                                  + (", ".join(dims) or "none but period"))
        left = [d for d in dims if d not in self.select]
        if left:
            raise ConfigError("select", dict(self.select), f"a label for each dim of "
                              f"{self.variable} but period (add {', '.join(left)})")

    def describe(self) -> str:
        """``sum over periods of profit (firm=a)``."""
        where = ", ".join(f"{d}={v}" for d, v in self.select.items())
        return f"{self.reduce} over periods of {self.variable}" + (f" ({where})" if where
                                                                   else "")


# -- outcomes ---------------------------------------------------------------------------


def reduce_outcome(da: xr.DataArray, how: str) -> xr.DataArray:
    """Reduce ``da`` over its ``period`` dim (NaN only where every period is NaN)."""
    if how == "last":
        return da.isel(period=-1)
    if how == "first":
        return da.isel(period=0)
    if how == "sum":
        return da.sum("period", min_count=1)
    return getattr(da, how)("period")


def outcome_values(ds: xr.Dataset, outcomes: Mapping[str, OutcomeParams],
                   parameters: Sequence[str]) -> xr.Dataset:
    """Each outcome of each run of a design's combined dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        A design's ``sweep.nc``: dims ``sample``, ``replicate`` and the runs' dims.
    outcomes : Mapping[str, OutcomeParams]
    parameters : sequence of str
        Parameter coordinates (on ``sample``) to carry over.

    Returns
    -------
    xarray.Dataset
        One variable per outcome, dims (sample, replicate); NaN for runs that did not
        finish.
    """
    done = ds["run_status"] == "done"
    data = {}
    for name, o in outcomes.items():
        picked = ds[o.variable].sel({d: str(v) for d, v in o.select.items()})
        da = reduce_outcome(picked, o.reduce).where(done)
        da = da.reset_coords(drop=True)
        da.attrs = {"long_name": o.describe(), "units": ds[o.variable].attrs.get("units", "")}
        data[name] = da
    return xr.Dataset(data).assign_coords({k: ds[k] for k in parameters})


def summarize(y: xr.Dataset) -> pd.DataFrame:
    """Mean, sd, min, max and finite points of each outcome over design points.

    Parameters
    ----------
    y : xarray.Dataset
        Outcomes, each of shape (sample,).
    """
    rows = {}
    for name, da in y.data_vars.items():
        v = np.asarray(da.values, dtype=np.float64)
        ok = v[np.isfinite(v)]
        rows[name] = {"mean": _stat(np.mean, ok), "sd": _stat(np.std, ok, ddof=1),
                      "min": _stat(np.min, ok), "max": _stat(np.max, ok),
                      "points": f"{ok.size} of {v.size}"}
    return pd.DataFrame.from_dict(rows, orient="index")


def _stat(fn, x: np.ndarray, **kw) -> float:
    return float(fn(x, **kw)) if x.size > kw.get("ddof", 0) else float("nan")


# -- indices ----------------------------------------------------------------------------


def analyse(design, sample, y: xr.Dataset) -> tuple[pd.DataFrame, list[str]]:
    """Sensitivity indices of the design's analysed outcomes.

    Parameters
    ----------
    design : scenarios.design.DesignParams
    sample : scenarios.design.DesignSample
        The design's points, in the order of ``y``'s ``sample`` dim.
    y : xarray.Dataset
        Each outcome's value per design point, shape (sample,).

    Returns
    -------
    (pandas.DataFrame, list of str)
        The tidy table (:data:`COLUMNS`), and notes on outcomes without indices.
    """
    method = _METHODS[design.sampler]
    problem = {"num_vars": len(sample.names), "names": list(sample.names),
               "bounds": [[0.0, 1.0]] * len(sample.names)}
    seed = int(np.random.SeedSequence(design.seed, spawn_key=(1,)).generate_state(1)[0]) | 1
    rows, notes = [], []
    for name in design.analysed:
        values = np.asarray(y[name].values, dtype=np.float64)
        bad = int(np.sum(~np.isfinite(values)))
        if bad:
            notes.append(f"{name}: {bad} of {values.size} design points have no value "
                         "(failed or missing runs): no indices")
        elif np.ptp(values) == 0:
            notes.append(f"{name}: constant ({values[0]:g}) at every design point: no indices")
        else:
            found, note = method(design, sample, problem, values, seed)
            rows += [{"outcome": name, **r} for r in found]
            if note and note not in notes:
                notes.append(note)
    return pd.DataFrame(rows, columns=list(COLUMNS)), notes


def _row(parameter: str, index: str, value: float, conf: float = float("nan")) -> dict:
    return {"parameter": parameter, "index": index, "value": float(value),
            "conf": float(conf)}


def _sobol(design, sample, problem, y, seed):
    from SALib.analyze import sobol

    si = sobol.analyze(problem, y, calc_second_order=True, conf_level=0.95, seed=seed)
    names = problem["names"]
    rows = [_row(p, idx, si[idx][i], si[f"{idx}_conf"][i])
            for idx in ("S1", "ST") for i, p in enumerate(names)]
    rows += [_row(f"{names[i]}:{names[j]}", "S2", si["S2"][i, j], si["S2_conf"][i, j])
             for i in range(len(names)) for j in range(i + 1, len(names))]
    return rows, ""


def _morris(design, sample, problem, y, seed):
    from SALib.analyze import morris

    si = morris.analyze(problem, sample.unit, y, conf_level=0.95,
                        num_levels=design.num_levels, seed=seed)
    rows = [_row(p, "mu_star", si["mu_star"][i], si["mu_star_conf"][i])
            for i, p in enumerate(problem["names"])]
    rows += [_row(p, idx, si[idx][i]) for idx in ("sigma", "mu")
             for i, p in enumerate(problem["names"])]
    return rows, ""


def _rbd_fast(design, sample, problem, y, seed):
    from SALib.analyze import rbd_fast

    # few harmonics at small samples: SALib's default of 10 needs hundreds of points
    harmonics = min(10, max(2, y.size // 32), (y.size - 1) // 2)
    if harmonics < 1:
        return [], f"RBD-FAST needs at least 3 points (has {y.size}): no indices"
    si = rbd_fast.analyze(problem, sample.unit, y, M=harmonics, conf_level=0.95, seed=seed)
    rows = [_row(p, "S1", si["S1"][i], si["S1_conf"][i])
            for i, p in enumerate(problem["names"])]
    return rows, (f"S1 by RBD-FAST with {harmonics} harmonics on a Latin hypercube of "
                  f"{y.size} points (first order only; biased at small samples)")


def _main_effects(design, sample, problem, y, seed):
    rows = []
    total = np.var(y)
    for j, p in enumerate(problem["names"]):
        _, level, count = np.unique(sample.values[:, j], return_inverse=True,
                                    return_counts=True)
        means = np.bincount(level, weights=y) / count
        rows.append(_row(p, "main_effect", np.sum(count * (means - y.mean()) ** 2)
                         / y.size / total))
    return rows, ""


_METHODS = {"sobol": _sobol, "morris": _morris, "latin_hypercube": _rbd_fast,
            "factorial": _main_effects}


# -- reporting --------------------------------------------------------------------------


def to_markdown(table: pd.DataFrame, summary: pd.DataFrame, notes: Sequence[str] = (),
                title: str = "") -> str:
    """The indices, the outcome summaries and the notes as Markdown."""
    out = [f"# {title}\n"] if title else []
    if len(table):
        out += ["## Sensitivity indices\n", _md_table(
            ["outcome", "parameter", "index", "value", "± 95%"],
            [[r.outcome, r.parameter, r.index, _num(r.value), _num(r.conf)]
             for r in table.itertuples()]), ""]
    out += ["## Outcomes over design points (mean over replicates)\n", _md_table(
        ["outcome", *summary.columns],
        [[name, *(_num(v) if isinstance(v, float) else v for v in row)]
         for name, row in zip(summary.index, summary.itertuples(index=False), strict=True)])]
    if notes:
        out += ["", "## Notes\n", *(f"- {n}" for n in notes)]
    return "\n".join(out) + "\n"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _num(x: float) -> str:
    return "" if not np.isfinite(x) else f"{x:,.4g}"


def plot_indices(table: pd.DataFrame, outcome: str, ax) -> None:
    """Horizontal bars of one outcome's indices, with 95% interval whiskers.

    Parameters are sorted by their first index (largest on top), one bar per index
    in :data:`PLOTTED`.

    Parameters
    ----------
    table : pandas.DataFrame
        As :func:`analyse` returns it.
    outcome : str
    ax : matplotlib.axes.Axes
    """
    rows = table[(table["outcome"] == outcome) & table["index"].isin(PLOTTED)]
    indices = list(dict.fromkeys(rows["index"]))
    if not indices:
        ax.set_title(f"{outcome}: no indices")
        return
    first = rows[rows["index"] == indices[0]].sort_values("value")
    params = list(first["parameter"])
    height = 0.8 / len(indices)
    base = np.arange(len(params))
    for i, index in enumerate(indices):
        r = rows[rows["index"] == index].set_index("parameter").reindex(params)
        conf = r["conf"].to_numpy(dtype=np.float64)
        xerr = np.where(np.isfinite(conf), conf, 0.0) if np.isfinite(conf).any() else None
        ax.barh(base + (i - (len(indices) - 1) / 2) * height, r["value"], height=height,
                xerr=xerr, capsize=3, label=index)
    ax.set_yticks(base, params)
    ax.axvline(0.0, color="0.3", linewidth=0.8)
    ax.set_xlabel("index (whiskers: 95% interval)")
    ax.set_title(outcome)
    ax.legend(loc="lower right", fontsize="small")
