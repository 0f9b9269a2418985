"""Robustness of strategies across sampled futures: statistics, regret, ranking, fans, discovery.

Pure functions of labelled arrays; nothing here runs the model. An *ensemble* is one
outcome per run, ``xarray.DataArray`` with dims (future, strategy, sample): sample k of
a future is one drawn world that every strategy lived through (common random numbers),
so strategies compare within a sample.

Per strategy and future (:func:`robustness`):

- ``expected``: mean over samples; ``p10``, ``p90``: 10th and 90th percentiles (linear
  interpolation, numpy's default); ``worst``: the worst sample (lowest, or highest for
  an outcome where lower is better: ``sense="min"``) and ``worst_sample``, its label;
- regret in sample k: the best strategy's outcome in that same sample minus this
  strategy's (the other way round for ``sense="min"``), so >= 0 and 0 for the best;
  ``mean_regret`` and ``max_regret`` over samples;
- ``satisficing``: the share of samples that meet a threshold. By default the threshold
  is "within ``tolerance`` (10%) of the best strategy's expected value in that future":
  ``best - tolerance * |best|`` (``best + tolerance * |best|`` for ``sense="min"``).

Over all futures (:func:`overall`), weighted by the futures' normalised weights:
expected value, mean regret, maximum regret and satisficing share are weighted means
of the per-future values; ``p10``/``p90`` are percentiles of the weighted mixture of the
futures' samples; ``worst`` and ``max_regret_anywhere`` are over every sample of every
future. Rankings (:func:`rank`) are by expected value and by maximum regret.

Samples where a run did not finish (NaN) are left out of that strategy's statistics;
regret is NaN in a sample where any strategy's run is missing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from sim.validation import ConfigError, check_choice

__all__ = ["SENSES", "FAN_QUANTILES", "regret", "default_threshold", "robustness", "overall",
           "normalise_weights", "weighted_quantile", "rank", "ranked_names", "table",
           "COLUMNS", "fan_bands",
           "plot_fan", "Box", "Discovery", "discover"]

SENSES = ("max", "min")
#: Quantiles of a fan chart: the median, and the 50% and 90% central bands.
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


# -- per future -------------------------------------------------------------------------


def regret(values: xr.DataArray, *, sense: str = "max", dim: str = "strategy"
           ) -> xr.DataArray:
    """Regret of each strategy in each sample: how far it is from the best in that sample.

    Parameters
    ----------
    values : xarray.DataArray
        Outcomes with a ``dim`` (strategy) dimension.
    sense : {"max", "min"}
        Whether higher or lower outcomes are better.

    Returns
    -------
    xarray.DataArray
        Same dims; >= 0; NaN where any strategy's outcome in that sample is NaN.

    Examples
    --------
    >>> v = xr.DataArray([[3.0, 1.0], [2.0, 5.0]], dims=("strategy", "sample"))
    >>> regret(v).values.tolist()
    [[0.0, 4.0], [1.0, 0.0]]
    """
    check_choice("sense", sense, SENSES)
    if sense == "max":
        return (values.max(dim, skipna=False) - values).transpose(*values.dims)
    return values - values.min(dim, skipna=False)


def default_threshold(values: xr.DataArray, *, sense: str = "max", tolerance: float = 0.1,
                      strategy: str = "strategy", sample: str = "sample") -> xr.DataArray:
    """Within ``tolerance`` of the best strategy's expected value (per future).

    Returns
    -------
    xarray.DataArray
        ``values``'s dims without ``strategy`` and ``sample``.
    """
    check_choice("sense", sense, SENSES)
    expected = values.mean(sample)
    if sense == "max":
        best = expected.max(strategy)
        return best - tolerance * abs(best)
    best = expected.min(strategy)
    return best + tolerance * abs(best)


def robustness(values: xr.DataArray, *, sense: str = "max", threshold: float | None = None,
               tolerance: float = 0.1, strategy: str = "strategy", sample: str = "sample"
               ) -> xr.Dataset:
    """Expected value, percentiles, worst case, regret and satisficing share per strategy.

    Parameters
    ----------
    values : xarray.DataArray, dims (future, strategy, sample)
        One outcome per run (any other dims are carried along like ``future``).
    sense : {"max", "min"}
        Whether higher or lower outcomes are better.
    threshold : float, optional
        The satisficing threshold; by default :func:`default_threshold` per future.
    tolerance : float
        For the default threshold.

    Returns
    -------
    xarray.Dataset, dims (future, strategy)
        ``expected``, ``p10``, ``p90``, ``worst``, ``worst_sample``, ``mean_regret``,
        ``max_regret``, ``satisficing``, ``n`` (finite samples), and ``threshold``
        (dims (future,)).
    """
    check_choice("sense", sense, SENSES)
    values = values.astype(np.float64)
    finite = np.isfinite(values)
    n = finite.sum(sample)
    if threshold is None:
        limit = default_threshold(values, sense=sense, tolerance=tolerance, strategy=strategy,
                                  sample=sample)
    else:
        limit = xr.full_like(values.isel({strategy: 0, sample: 0}, drop=True), float(threshold))
    meets = (values >= limit) if sense == "max" else (values <= limit)
    r = regret(values, sense=sense, dim=strategy)
    valid = values.where(finite)
    worst = valid.min(sample) if sense == "max" else valid.max(sample)
    has = n > 0
    pick = valid.fillna(np.inf if sense == "max" else -np.inf)
    index = (pick.argmin(sample) if sense == "max" else pick.argmax(sample))
    worst_sample = xr.DataArray(np.asarray(values[sample].values)[index.values],
                                dims=index.dims, coords=index.coords).where(has)
    out = xr.Dataset({
        "expected": values.mean(sample),
        "p10": values.quantile(0.1, dim=sample).drop_vars("quantile"),
        "p90": values.quantile(0.9, dim=sample).drop_vars("quantile"),
        "worst": worst,
        "worst_sample": worst_sample,
        "mean_regret": r.mean(sample),
        "max_regret": r.max(sample),
        "satisficing": ((meets & finite).sum(sample) / n).where(has),
        "n": n,
        "threshold": limit,
    })
    out.attrs.update(sense=sense, threshold_rule=(
        f"{threshold:g} (given)" if threshold is not None else
        f"within {tolerance:.0%} of the best strategy's expected value in each future"))
    return out


# -- over futures -----------------------------------------------------------------------


def normalise_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights divided by their sum.

    Raises
    ------
    ConfigError
        A weight that is negative or not finite, or weights summing to zero.
    """
    for name, w in weights.items():
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) \
                or w < 0:
            raise ConfigError(f"future.{name}.weight", w, "a finite number >= 0")
    total = float(sum(weights.values()))
    if total <= 0:
        raise ConfigError("weight", total, "weights of the futures summing to more than 0")
    return {name: float(w) / total for name, w in weights.items()}


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The ``q`` quantile of values ``x`` with weights ``w``: the smallest value whose
    weighted share of values at or below it is at least ``q`` (NaN values ignored).

    Examples
    --------
    >>> weighted_quantile(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25, 0.25]), 0.5)
    1.0
    """
    x, w = np.asarray(x, dtype=np.float64).ravel(), np.asarray(w, dtype=np.float64).ravel()
    ok = np.isfinite(x) & (w > 0)
    if not ok.any():
        return float("nan")
    order = np.argsort(x[ok], kind="stable")
    share = np.cumsum(w[ok][order]) / w[ok].sum()
    i = min(int(np.searchsorted(share, q - 1e-12, side="left")), share.size - 1)
    return float(x[ok][order][i])


def overall(values: xr.DataArray, stats: xr.Dataset, weights: Mapping[str, float], *,
            future: str = "future", strategy: str = "strategy", sample: str = "sample"
            ) -> xr.Dataset:
    """Each strategy over all futures, weighted by the futures' weights.

    Parameters
    ----------
    values : xarray.DataArray, dims (future, strategy, sample)
    stats : xarray.Dataset
        :func:`robustness` of ``values``.
    weights : Mapping[str, float]
        Each future's weight (normalised here).

    Returns
    -------
    xarray.Dataset, dims (strategy,)
        The variables of ``stats`` (``worst_sample`` as NaN) plus
        ``max_regret_anywhere``; see the module notes for how each is combined.
    """
    sense = stats.attrs["sense"]
    norm = normalise_weights({str(f): weights[str(f)] for f in values[future].values})
    w = xr.DataArray([norm[str(f)] for f in values[future].values], dims=future,
                     coords={future: values[future]})
    weighted = {v: (stats[v] * w).sum(future, skipna=False)
                for v in ("expected", "mean_regret", "max_regret", "satisficing")}
    per_sample = (w / stats["n"].where(stats["n"] > 0)).broadcast_like(values)
    v = values.transpose(strategy, ...)
    ws = per_sample.transpose(*v.dims)
    quant = {name: xr.DataArray([weighted_quantile(v.values[i], ws.values[i], q)
                                 for i in range(v.sizes[strategy])], dims=strategy,
                                coords={strategy: values[strategy]})
             for name, q in (("p10", 0.1), ("p90", 0.9))}
    worst = stats["worst"].min(future) if sense == "max" else stats["worst"].max(future)
    out = xr.Dataset({
        "expected": weighted["expected"], **quant, "worst": worst,
        "worst_sample": xr.full_like(worst, np.nan),
        "mean_regret": weighted["mean_regret"], "max_regret": weighted["max_regret"],
        "satisficing": weighted["satisficing"], "n": stats["n"].sum(future),
        "max_regret_anywhere": stats["max_regret"].max(future),
    })
    out.attrs.update(stats.attrs)
    return out


def rank(score: xr.DataArray, *, best: str = "max", dim: str = "strategy") -> xr.DataArray:
    """Rank along ``dim``: 1 = best; ties share the better rank (1, 1, 3); NaN unranked.

    Examples
    --------
    >>> rank(xr.DataArray([2.0, 5.0, 5.0, 1.0], dims="strategy")).values.tolist()
    [3.0, 1.0, 1.0, 4.0]
    """
    check_choice("best", best, SENSES)
    s = score.transpose(..., dim)
    a = s.values.astype(np.float64)
    better = a[..., None, :] > a[..., :, None] if best == "max" else \
        a[..., None, :] < a[..., :, None]
    ranks = 1.0 + better.sum(-1)
    ranks[~np.isfinite(a)] = np.nan
    return s.copy(data=ranks).transpose(*score.dims)


def ranked_names(names: Sequence[str], ranks: Sequence[float]) -> str:
    """``"cut, hold = match, concession"``: best first, ``=`` joining ties.

    Examples
    --------
    >>> ranked_names(["hold", "cut", "match"], [2, 1, 2])
    'cut, hold = match'
    """
    pairs = sorted(((float(r), str(s)) for s, r in zip(names, ranks, strict=True)
                    if np.isfinite(r)), key=lambda p: p[0])
    out = ""
    for i, (r, s) in enumerate(pairs):
        out += s if i == 0 else (" = " if r == pairs[i - 1][0] else ", ") + s
    return out or "(no finished runs)"


#: Columns of :func:`table`.
COLUMNS = ("future", "strategy", "weight", "expected", "p10", "p90", "worst", "worst_sample",
           "mean_regret", "max_regret", "max_regret_anywhere", "satisficing", "threshold", "n",
           "rank_expected", "rank_max_regret")


def table(values: xr.DataArray, weights: Mapping[str, float], *, sense: str = "max",
          threshold: float | None = None, tolerance: float = 0.1) -> pd.DataFrame:
    """Every statistic and rank of one outcome, per future and overall, as a tidy table.

    Parameters
    ----------
    values : xarray.DataArray, dims (future, strategy, sample)
    weights : Mapping[str, float]
        Each future's weight.
    sense, threshold, tolerance
        As :func:`robustness`.

    Returns
    -------
    pandas.DataFrame
        One row per (future, strategy), then one per strategy with future ``overall``;
        columns :data:`COLUMNS` (ranks: 1 = best, ties share the better rank).
    """
    stats = robustness(values, sense=sense, threshold=threshold, tolerance=tolerance)
    total = overall(values, stats, weights)
    norm = normalise_weights({str(f): weights[str(f)] for f in values["future"].values})
    parts = [(str(f), norm[str(f)], stats.sel(future=f)) for f in values["future"].values]
    parts.append(("overall", 1.0, total))
    rows = []
    for future, weight, s in parts:
        by_value = rank(s["expected"], best=sense)
        by_regret = rank(s["max_regret"], best="min")
        for k, strategy in enumerate(s["strategy"].values):
            row = {"future": future, "strategy": str(strategy), "weight": weight}
            for c in COLUMNS[3:-2]:
                row[c] = float(s[c].values[k]) if c in s and s[c].ndim else (
                    float(s[c].values) if c in s else float("nan"))
            row["rank_expected"] = float(by_value.values[k])
            row["rank_max_regret"] = float(by_regret.values[k])
            rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


# -- fan charts -------------------------------------------------------------------------


def fan_bands(da: xr.DataArray, *, dim: str = "sample",
              quantiles: Sequence[float] = FAN_QUANTILES) -> xr.DataArray:
    """Quantiles over ``dim`` (default: median, 50% and 90% bands) of a per-period variable.

    Returns
    -------
    xarray.DataArray
        A ``quantile`` dim first, then ``da``'s dims without ``dim``.
    """
    return da.quantile(list(quantiles), dim=dim)


def plot_fan(bands: xr.DataArray, ax, *, strategy: str = "strategy", x: str = "period"
             ) -> None:
    """Median line with shaded 50% and 90% bands over time, one colour (and line style) per
    strategy.

    Parameters
    ----------
    bands : xarray.DataArray, dims (quantile, strategy, period)
        As :func:`fan_bands` returns it for one future (quantiles :data:`FAN_QUANTILES`).
    ax : matplotlib.axes.Axes
    """
    for i, s in enumerate(bands[strategy].values):
        b = bands.sel({strategy: s})
        t = b[x].values
        color = f"C{i}"
        ax.fill_between(t, b.sel(quantile=0.05), b.sel(quantile=0.95), color=color,
                        alpha=0.12, linewidth=0)
        ax.fill_between(t, b.sel(quantile=0.25), b.sel(quantile=0.75), color=color,
                        alpha=0.28, linewidth=0)
        ax.plot(t, b.sel(quantile=0.5), color=color, linewidth=1.6, label=str(s),
                linestyle=("-", "--", "-.", ":")[i % 4])  # strategies that coincide stay visible
    ax.set_xlabel(x)


# -- scenario discovery -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Box:
    """A region of the uncertain parameters, and how the failures fall in it.

    Attributes
    ----------
    conditions : tuple of str
        ``economy.depth > 0.27``, ``economy.shape = L``, ...; all must hold.
    cases, failures : int
        Cases in the box, and failures among them.
    coverage : float
        Share of all failures inside the box.
    density : float
        Share of the box's cases that fail.
    """

    conditions: tuple[str, ...]
    cases: int
    failures: int
    coverage: float
    density: float

    @property
    def rule(self) -> str:
        return " and ".join(self.conditions) or "in every case"


@dataclasses.dataclass(frozen=True)
class Discovery:
    """Boxes where failures concentrate (most failures first), and why there may be none."""

    boxes: tuple[Box, ...]
    cases: int
    failures: int
    note: str = ""


def discover(features: Mapping[str, np.ndarray], failed: np.ndarray, *, max_depth: int = 3,
             min_share: float = 0.05) -> Discovery:
    """Which ranges of the uncertain parameters make a strategy fail: a decision tree's
    failing leaves as readable rules.

    Needs scikit-learn (an optional extra); without it, or without failures, the result
    has no boxes and says why in ``note``.

    Parameters
    ----------
    features : Mapping[str, ndarray], each shape (case,)
        Numbers, NaN where unset (a world where the parameter does not apply; the tree
        sees it below every set value, so ``x <= 0.3 (or unset)``, ``x set``, ``x unset``);
        or text, one-hot encoded ("" where unset).
    failed : ndarray of bool, shape (case,)
    max_depth : int
        Of the tree: at most this many conditions per rule.
    min_share : float
        Smallest leaf, as a share of the cases.

    Returns
    -------
    Discovery
        One box per leaf where the tree predicts failure.
    """
    failed = np.asarray(failed, dtype=bool).ravel()
    n, n_failed = failed.size, int(failed.sum())
    if n_failed == 0:
        return Discovery((), n, 0, "no failures")
    if n_failed == n:
        return Discovery((Box((), n, n, 1.0, 1.0),), n, n, "fails in every case")
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError:
        return Discovery((), n, n_failed, "scenario discovery needs scikit-learn: pip install "
                         "scikit-learn")
    x, columns = _encode(features, n)
    if not columns:
        return Discovery((), n, n_failed, "no uncertain parameters vary")
    tree = DecisionTreeClassifier(max_depth=max_depth, class_weight="balanced",
                                  min_samples_leaf=max(1, math.ceil(min_share * n)),
                                  random_state=0)
    tree.fit(x, failed)
    leaf = tree.apply(x)
    t = tree.tree_
    fail_class = list(tree.classes_).index(True)
    boxes = []
    for node, path in _leaves(t):
        if int(np.argmax(t.value[node][0])) != fail_class:
            continue
        inside = leaf == node
        k = int(failed[inside].sum())
        if k:
            boxes.append(Box(_conditions(path, columns), int(inside.sum()), k,
                             k / n_failed, k / int(inside.sum())))
    boxes.sort(key=lambda b: (-b.failures, -b.density))
    return Discovery(tuple(boxes), n, n_failed, "" if boxes else
                     "no region where failures dominate (the tree predicts success "
                     "everywhere)")


def _encode(features: Mapping[str, np.ndarray], n: int):
    """The tree's inputs: (matrix, [(name, level, floor)]).

    Numeric columns as they are, unset (NaN) values placed one below the smallest set
    value (``floor`` is that smallest value; None without unset values); text columns
    one-hot, one column per ``level`` ("" counts as unset).
    """
    cols, columns = [], []
    for name, values in features.items():
        v = np.asarray(values).ravel()
        if v.size != n:
            raise ValueError(f"feature {name} has {v.size} values for {n} cases")
        if v.dtype.kind in "fiu":
            f = v.astype(np.float64)
            unset = np.isnan(f)
            if unset.all() or (not unset.any() and np.ptp(f) == 0):
                continue
            floor = float(np.min(f[~unset])) if unset.any() else None
            cols.append(np.where(unset, (floor or 0.0) - 1.0, f))
            columns.append((name, None, floor))
            continue
        text = v.astype(str)
        levels = [c for c in dict.fromkeys(text.tolist()) if c != ""]
        if len(levels) > 1 or (levels and (text == "").any()):
            for level in levels:
                cols.append((text == level).astype(np.float64))
                columns.append((name, level, None))
    return (np.column_stack(cols) if cols else np.empty((n, 0))), columns


def _leaves(t):
    """(leaf node, [(feature, threshold, went_right)]) of a fitted tree."""
    stack = [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = t.children_left[node], t.children_right[node]
        if left == right:
            yield node, path
            continue
        f, thr = int(t.feature[node]), float(t.threshold[node])
        stack.append((right, [*path, (f, thr, True)]))
        stack.append((left, [*path, (f, thr, False)]))


def _conditions(path, columns) -> tuple[str, ...]:
    """A leaf's path as conditions, one per parameter (bounds on one parameter merged)."""
    bounds: dict[int, list[float]] = {}
    levels: dict[str, dict[str, set]] = {}
    for f, thr, right in path:
        name, level, _ = columns[f]
        if level is None:
            lo, hi = bounds.get(f, [-np.inf, np.inf])
            bounds[f] = [max(lo, thr), hi] if right else [lo, min(hi, thr)]
        else:
            entry = levels.setdefault(name, {"is": set(), "not": set()})
            entry["is" if right else "not"].add(level)
    out = []
    for f, (name, level, floor) in enumerate(columns):
        if level is None and f in bounds:
            out.append(_numeric_rule(name, *bounds[f], floor))
        elif level is not None and name in levels:
            entry = levels.pop(name)
            if entry["is"]:
                out.append(f"{name} = {sorted(entry['is'])[0]}")
            elif len(entry["not"]) == 1:
                out.append(f"{name} != {next(iter(entry['not']))}")
            else:
                out.append(f"{name} not in {{{', '.join(sorted(entry['not']))}}}")
    return tuple(out)


def _numeric_rule(name: str, lo: float, hi: float, floor: float | None) -> str:
    """``lo < name <= hi``; unset values sit below ``floor`` (the smallest set value)."""
    if floor is not None:
        if hi < floor:
            return f"{name} unset"
        if np.isfinite(lo) and lo < floor:  # the bound only separates unset from set
            return f"{name} set" if not np.isfinite(hi) else f"{name} <= {_fmt(hi)}"
    if np.isfinite(lo) and np.isfinite(hi):
        return f"{_fmt(lo)} < {name} <= {_fmt(hi)}"
    if np.isfinite(lo):
        return f"{name} > {_fmt(lo)}"
    return f"{name} <= {_fmt(hi)}" + (" (or unset)" if floor is not None else "")


def _fmt(x: float) -> str:
    return f"{x:.3g}"
