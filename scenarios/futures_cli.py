"""``valuesim futures``: strategies x futures x sampled worlds, run as a sweep, compared.

::

    valuesim futures [futures=[probable,plausible,possible]]
        [strategies=[hold,cut,match,concession]] [samples=200] [firm=a] [seed=0]
        [outcomes=[profit,share_end,insiders_end]] [outcomes.NAME.FIELD=VALUE ...]
        [fans=[profit,share]] [executor=...] [hydra.sweep.dir=DIR] [KEY=VALUE ...]

The futures (names in ``configs/future/``, default all of them, or YAML files) are
checked against the scenario the remaining overrides compose, their worlds drawn, and
every run composed and validated: a bad value stops with a one-line error and exit
status 2 before anything is written. The missing runs then execute (``executor=local|
serial|dask``; re-running the command resumes), are combined into ``SWEEP_DIR/sweep.nc``
(dims future, strategy, sample, then the runs' own), and compared::

    outcomes.nc      each outcome per run, dims (future, strategy, sample)
    robustness.csv   tidy: outcome, future (and "overall"), strategy, statistics, ranks
    robustness.md    the tables, the rankings, where the runs live
    fan_<var>.png    median, 50% and 90% bands over time, one panel per future
    discovery.md     where each strategy misses its threshold (needs scikit-learn)

Outcomes: ``profit`` (of the focal firm, summed over the horizon), ``share_end`` (its
share in the last period), ``insiders_end`` (its insiders in the last period),
``revenue``; or defined on the command line: ``outcomes.surplus.variable=
consumer_surplus``. Fields: ``variable``, ``select``, ``reduce`` (sum, mean, last, ...),
``sense`` (max, or min where lower is better), ``threshold`` (satisficing level; default
within ``tolerance``, 10%, of the best strategy's expected value in each future).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scenarios.cli import fail
from scenarios.sweep_cli import collect_and_report, interrupted, run_plan, split_hydra
from sim.params import FROZEN, FrozenMap, from_mapping
from sim.validation import ConfigError, check_choice, check_finite, check_int, check_range

__all__ = ["futures_command", "parse_request", "FuturesRequest", "FutureOutcome",
           "builtin_outcomes", "analyse_futures"]

USAGE = ("valuesim futures [futures=[...]] [strategies=[...]] [samples=N] [firm=F] [seed=S] "
         "[outcomes=[...]] [fans=[...]] [executor=...] [KEY=VALUE ...]")
FIELDS = ("futures", "strategies", "samples", "firm", "seed", "outcomes", "fans")
DEFAULT_STRATEGIES = ("hold", "cut", "match", "concession")
DEFAULT_OUTCOMES = ("profit", "share_end", "insiders_end")
DEFAULT_FANS = ("profit", "share")


# -- the request ------------------------------------------------------------------------


@dataclasses.dataclass(**FROZEN)
class FutureOutcome:
    """One number per run to compare strategies by, and what counts as good enough.

    Attributes
    ----------
    variable, select, reduce
        As :class:`scenarios.sensitivity.OutcomeParams`.
    sense : {"max", "min"}
        Whether higher or lower is better.
    threshold : float, optional
        Satisficing level; by default within ``tolerance`` of the best strategy's
        expected value in each future.
    tolerance : float
        For the default threshold (0.1: 10%).
    """

    variable: str
    select: Mapping[str, Any] = dataclasses.field(default_factory=FrozenMap)
    reduce: str = "sum"
    sense: str = "max"
    threshold: float | None = None
    tolerance: float = 0.1

    def __post_init__(self) -> None:
        self.params  # noqa: B018  (validates variable, select and reduce)
        check_choice("sense", self.sense, ("max", "min"))
        if self.threshold is not None:
            check_finite("threshold", self.threshold)
        check_range("tolerance", self.tolerance, 0.0, 1.0)

    @property
    def params(self):
        """The :class:`~scenarios.sensitivity.OutcomeParams` that computes it."""
        from scenarios.sensitivity import OutcomeParams

        return OutcomeParams(variable=self.variable, select=self.select, reduce=self.reduce)


def builtin_outcomes(firm: str) -> dict[str, dict]:
    """The named outcomes of the focal firm ``firm``."""
    return {
        "profit": {"variable": "profit", "select": {"firm": firm}, "reduce": "sum"},
        "share_end": {"variable": "share", "select": {"firm": firm}, "reduce": "last"},
        "insiders_end": {"variable": "customers", "select": {"firm": firm, "state": "insider"},
                         "reduce": "last"},
        "revenue": {"variable": "firm_revenue", "select": {"firm": firm}, "reduce": "sum"},
    }


@dataclasses.dataclass(**FROZEN)
class FuturesRequest:
    """What ``valuesim futures`` was asked for (see the module docstring)."""

    futures: tuple[str, ...]
    strategies: tuple[str, ...]
    samples: int
    firm: str
    seed: int
    outcomes: Mapping[str, FutureOutcome]
    fans: tuple[str, ...]
    overrides: tuple[str, ...] = ()


def parse_request(args: Sequence[str]) -> FuturesRequest:
    """Futures fields, outcome definitions and scenario overrides from ``KEY=VALUE`` args.

    Raises
    ------
    ConfigError
        A malformed argument or field value.
    """
    from scenarios.design import _yaml_value
    from scenarios.futures import available_futures

    fields: dict[str, Any] = {}
    edits: dict[str, dict] = {}
    scenario = []
    for o in args:
        key, sep, value = o.partition("=")
        if not sep or not key:
            raise ConfigError("argument", o, "KEY=VALUE: a futures field (" + ", ".join(FIELDS)
                              + "), outcomes.NAME.FIELD=..., executor=..., hydra.sweep.dir="
                              "DIR or a scenario override")
        if key in FIELDS:
            fields[key] = _yaml_value(value)
        elif key.startswith("outcomes."):
            _edit_outcome(edits, key, _yaml_value(value))
        else:
            bare = key.lstrip("+~")
            if bare in ("replicate", "seed"):
                raise ConfigError(bare, value, "seed=S (a futures field); sample k runs "
                                  "replicate k, the same world for every strategy")
            scenario.append(o)
    firm = fields.get("firm", "a")
    if not isinstance(firm, str) or not firm:
        raise ConfigError("firm", firm, "the name of a firm of the scenario")
    for o in scenario:
        bare = o.partition("=")[0].lstrip("+~")
        if bare == f"strategy@firms.{firm}.strategy" or bare.startswith(
                f"firms.{firm}.strategy"):
            raise ConfigError(o.partition("=")[0], o.partition("=")[2], "no override of the "
                              "focal firm's strategy: strategies=[...] sets it")
    samples = fields.get("samples", 200)
    check_int("samples", samples, low=1)
    seed = fields.get("seed", 0)
    check_int("seed", seed, low=0)
    listed = _names("outcomes", fields.get("outcomes", DEFAULT_OUTCOMES))
    return FuturesRequest(
        futures=_names("futures", fields.get("futures", available_futures())),
        strategies=_names("strategies", fields.get("strategies", DEFAULT_STRATEGIES)),
        samples=samples, firm=firm, seed=seed,
        outcomes=FrozenMap(_outcomes(firm, listed, edits)),
        fans=_names("fans", fields.get("fans", DEFAULT_FANS), empty=True),
        overrides=tuple(scenario))


def _names(field: str, value: Any, *, empty: bool = False) -> tuple[str, ...]:
    items = [value] if isinstance(value, (str, int, float)) else value
    if not isinstance(items, (list, tuple)) or (not items and not empty) or any(
            isinstance(v, (bool, dict, list)) or v is None for v in items):
        raise ConfigError(field, value, "a name or a list of names: [a,b,c]")
    names = tuple(str(v) for v in items)
    if len(set(names)) != len(names):
        raise ConfigError(field, list(names), "distinct names")
    return names


def _edit_outcome(edits: dict[str, dict], key: str, value: Any) -> None:
    name, _, sub = key.removeprefix("outcomes.").partition(".")
    if not re.fullmatch(r"[A-Za-z_]\w*", name) or name in ("future", "strategy", "sample"):
        raise ConfigError(key, value, "outcomes.NAME[.FIELD]=VALUE with NAME an identifier "
                          "other than future, strategy, sample")
    entry = edits.setdefault(name, {})
    if not sub:
        if not isinstance(value, dict):
            raise ConfigError(key, value, "a mapping {variable: ..., reduce: ...} or "
                              f"outcomes.{name}.FIELD=VALUE")
        entry.update(value)
    elif sub.startswith("select."):
        entry["select"] = {**entry.get("select", {}), sub.removeprefix("select."): value}
    else:
        entry[sub] = value


def _outcomes(firm: str, listed: Sequence[str], edits: Mapping[str, dict]
              ) -> dict[str, FutureOutcome]:
    from sim.schema import BY_NAME

    builtins = builtin_outcomes(firm)
    out = {}
    for name in [*listed, *(n for n in edits if n not in listed)]:
        if name not in builtins and name not in edits:
            raise ConfigError("outcomes", name, "built-in outcomes (" + ", ".join(builtins)
                              + ") or ones defined with outcomes.NAME.variable=...")
        data = {**builtins.get(name, {}), **edits.get(name, {})}
        data["select"] = {**builtins.get(name, {}).get("select", {}),
                          **(edits.get(name, {}).get("select") or {})}
        variable = data.get("variable")
        if variable in BY_NAME and "firm" in BY_NAME[variable].dims:
            data["select"].setdefault("firm", firm)
        out[name] = from_mapping(FutureOutcome, data, f"outcomes.{name}")
    return out


def check_request(request: FuturesRequest) -> None:
    """Check the request against the scenario its overrides compose.

    Raises
    ------
    ConfigError
        A bad scenario override, firm, strategy, outcome selection or fan variable.
    """
    from scenarios.config import build_scenario, group_options, load_config
    from scenarios.design import _check_selections, result_labels
    from sim.schema import BY_NAME

    spec = build_scenario(load_config(list(request.overrides)))
    if request.firm not in spec.firms:
        raise ConfigError("firm", request.firm, "one of " + ", ".join(spec.firms))
    options = group_options("strategy")
    for s in request.strategies:
        if s not in options:
            raise ConfigError("strategies", s, "options of config group strategy: "
                              + ", ".join(options))
    _check_selections({n: o.params for n, o in request.outcomes.items()},
                      result_labels(spec))
    fannable = [v.name for v in BY_NAME.values() if v.dims in (("period",),
                                                               ("period", "firm"))]
    for v in request.fans:
        if v not in fannable:
            raise ConfigError("fans", v, "per-period variables of a firm or the market: "
                              + ", ".join(fannable))


# -- the command ------------------------------------------------------------------------


def futures_command(args: Sequence[str]) -> int:
    """Plan, run, collect and compare; the exit status of ``valuesim futures``."""
    from scenarios.executors import split_executor
    from scenarios.futures import check_future, load_future, plan_futures, sample_future

    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        executor, rest = split_executor(args)
        overrides, hydra, directory = split_hydra(rest)
        if hydra:
            key, _, value = hydra[0].partition("=")
            raise ConfigError(key, value, "only hydra.sweep.dir=DIR with valuesim futures "
                              "(runs go through executor=local|serial|dask)")
        request = parse_request(overrides)
        check_request(request)
        futures = [check_future(load_future(n), request.overrides, firm=request.firm)
                   for n in request.futures]
        names = [f.name for f in futures]
        if len(set(names)) != len(names):
            raise ConfigError("futures", names, "futures with distinct names")
        worlds = [sample_future(f, request.samples, request.seed, request.overrides)
                  for f in futures]
        plan = plan_futures(worlds, request.strategies, firm=request.firm, seed=request.seed,
                            overrides=request.overrides, directory=directory)
        print(f"valuesim: futures {', '.join(f'{f.name} ({f.weight:g})' for f in futures)} x "
              f"strategies {', '.join(request.strategies)} of firm {request.firm} x "
              f"{request.samples} sampled worlds = {len(plan.runs)} runs -> {plan.directory}",
              flush=True)
        _, loaded = run_plan(plan, executor)
    except ConfigError as err:
        return fail(err)
    except KeyboardInterrupt:
        return interrupted()
    status = collect_and_report(plan.directory, loaded)
    analyse_futures(plan.directory, request, futures)
    return status


def analyse_futures(directory: Path, request: FuturesRequest, futures: Sequence) -> None:
    """Outcomes, robustness tables, fan charts and discovery of a collected futures folder.

    Parameters
    ----------
    directory : Path
        The folder (with ``sweep.nc``).
    request : FuturesRequest
    futures : sequence of scenarios.futures.FutureParams
        In the folder's ``future`` order.
    """
    import pandas as pd
    import xarray as xr

    from scenarios import robustness as rb
    from scenarios.sensitivity import outcome_values
    from scenarios.sweep import COMBINED
    from sim.io import write_results, write_text

    path = directory / COMBINED
    if not path.is_file():
        print("valuesim: no finished runs: nothing to compare", flush=True)
        return
    variables = {o.variable for o in request.outcomes.values()} | set(request.fans)
    with xr.open_dataset(path) as ds:
        ds = ds[sorted(variables | {"run_status", "run_key"})].load()
    parameters = [str(c) for c in ds.coords if ds[c].dims == ("future", "sample")]
    y = outcome_values(ds, {n: o.params for n, o in request.outcomes.items()}, parameters)
    weights = {f.name: f.weight for f in futures}
    tables = []
    for name, o in request.outcomes.items():
        y[name].attrs.update(sense=o.sense)
        t = rb.table(y[name], weights, sense=o.sense, threshold=o.threshold,
                     tolerance=o.tolerance)
        t.insert(0, "outcome", name)
        t.insert(len(t.columns), "worst_run", [_worst_run(ds["run_key"], r) for r in
                                               t.itertuples()])
        tables.append(t)
    table = pd.concat(tables, ignore_index=True)
    write_results(y, directory / "outcomes.nc")
    write_text(directory / "robustness.csv", table.to_csv(index=False))
    context = _Context(directory, request, futures, y, table)
    write_text(directory / "robustness.md", _robustness_md(context))
    figures = [_fan_figure(ds, v, request.firm, futures, directory / f"fan_{v}.png")
               for v in request.fans]
    found = _discoveries(context, parameters)
    write_text(directory / "discovery.md", _discovery_md(found, parameters))
    print("\n" + _robustness_md(context, terminal=True))
    for line in _discovery_lines(found):
        print(line)
    print(f"valuesim: outcomes {directory / 'outcomes.nc'}\nvaluesim: robustness "
          f"{directory / 'robustness.csv'}, {directory / 'robustness.md'}"
          + (f"\nvaluesim: fan charts {', '.join(str(f) for f in figures)}" if figures else "")
          + f"\nvaluesim: discovery {directory / 'discovery.md'}", flush=True)


def _worst_run(run_key, row) -> str:
    if row.future == "overall" or not row.worst_sample == row.worst_sample:
        return ""
    return str(run_key.sel(future=row.future, strategy=row.strategy,
                           sample=int(row.worst_sample)).values)


@dataclasses.dataclass(frozen=True)
class _Context:
    directory: Path
    request: FuturesRequest
    futures: Sequence
    outcomes: Any  # xarray.Dataset, dims (future, strategy, sample)
    table: Any  # pandas.DataFrame, robustness.csv


# -- reports ----------------------------------------------------------------------------


_STATS = (("expected", "expected"), ("p10", "p10"), ("p90", "p90"), ("worst", "worst"),
          ("mean_regret", "mean regret"), ("max_regret", "max regret"),
          ("satisficing", "meets threshold"))


def _robustness_md(c: _Context, terminal: bool = False) -> str:
    """The robustness report (``terminal``: without the futures' descriptions and runs)."""
    from scenarios.robustness import ranked_names
    from scenarios.sensitivity import _md_table

    r, n = c.request, c.request.samples
    out = [f"# Futures: strategies {', '.join(r.strategies)} of firm {r.firm}\n",
           f"{n} sampled worlds per future (seed {r.seed}); sample k of a future is the same "
           "world (the same sampled values and replicate k) under every strategy. Regret: how "
           "far a strategy falls short of the best strategy in the same world. Overall rows "
           "weigh the futures by their normalised weights.\n"]
    if not terminal:
        out += [_md_table(["future", "class", "weight", "assumes"],
                          [[f.name, f.class_, _num(f.weight), " ".join(f.description.split())]
                           for f in c.futures]), ""]
    for name, o in r.outcomes.items():
        rows = c.table[c.table["outcome"] == name]
        da = c.outcomes[name]
        units = da.attrs.get("units", "")
        per_future = rows[rows["future"] != "overall"].drop_duplicates("future")
        bound = "at least" if o.sense == "max" else "at most"
        if o.threshold is not None:
            rule = f"{bound} {_num(o.threshold)}"
        else:
            rule = (f"within {o.tolerance:.0%} of the best strategy's expected value in its "
                    f"future, i.e. {bound} " + ", ".join(
                        f"{_num(t)} ({f})" for f, t in zip(per_future["future"],
                                                           per_future["threshold"],
                                                           strict=True)))
        out += [f"## {name}: {da.attrs.get('long_name', '')}"
                + (f" [{units}]" if units and units != "1" else "")
                + f", {'higher' if o.sense == 'max' else 'lower'} is better\n",
                f"Meets threshold: the share of worlds where {name} is {rule}.\n"]
        header = ["future", "strategy", *(label for _, label in _STATS)]
        body = []
        for row in rows.itertuples():
            cells = [_pct(row.satisficing) if key == "satisficing" else _num(getattr(row, key))
                     for key, _ in _STATS]
            body.append([row.future, row.strategy, *cells])
        if not terminal:
            header.append("worst run")
            for cells, row in zip(body, rows.itertuples(), strict=True):
                cells.append(f"`{row.worst_run}`" if row.worst_run else "")
        out += [_md_table(header, body), ""]
        missing = rows[(rows["future"] != "overall") & (rows["n"] < n)]
        if len(missing):
            out += ["Runs without a result left out: " + ", ".join(
                f"{m.future}/{m.strategy} {n - int(m.n)}" for m in missing.itertuples())
                + "\n"]
        ranking = []
        for future, group in rows.groupby("future", sort=False):
            label = ("overall (weighted)" if future == "overall" else
                     f"{future} ({group['weight'].iloc[0]:.2f})")
            ranking.append([label, ranked_names(group["strategy"], group["rank_expected"]),
                            ranked_names(group["strategy"], group["rank_max_regret"])])
        out += ["Ranking, best first (= ties):\n",
                _md_table(["future (weight)", "by expected value", "by max regret"], ranking),
                ""]
    out += ["## Where the numbers come from\n",
            f"Run (future, strategy, sample) is `{c.directory}/runs/<run_key>.nc` (its "
            "attributes hold its resolved config, overrides, seed and replicate); "
            f"`{c.directory}/sweep.nc` holds every run on dims (future, strategy, sample) "
            "with `run_key` naming its file and the sampled parameters as coordinates on "
            "(future, sample); `outcomes.nc` the outcome of each run; `robustness.csv` every "
            "statistic, with the run of each worst case (`worst_run`). For example "
            f"`xarray.open_dataset('{c.directory}/sweep.nc').run_key.sel(future="
            f"'{c.futures[-1].name}', strategy='{r.strategies[0]}', sample=0)`."]
    return "\n".join(out) + "\n"


def _num(x: Any) -> str:
    import math

    if x is None or not isinstance(x, (int, float)) or not math.isfinite(x):
        return ""
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}" if abs(x) < 100 else f"{x:.1f}"


def _pct(x: float) -> str:
    return "" if x != x else f"{x:.0%}"


def _fan_figure(ds, variable: str, firm: str, futures: Sequence, path: Path) -> Path:
    """One panel per future: median, 50% and 90% bands over sampled worlds, per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scenarios.robustness import fan_bands, normalise_weights, plot_fan

    da = ds[variable].where(ds["run_status"] == "done")
    if "firm" in da.dims:
        da = da.sel(firm=firm)
    weights = normalise_weights({f.name: f.weight for f in futures})
    fig, axes = plt.subplots(1, len(futures), sharey=True, squeeze=False, layout="constrained",
                             figsize=(1.0 + 4.2 * len(futures), 4.2))
    for ax, f in zip(axes[0], futures, strict=True):
        plot_fan(fan_bands(da.sel(future=f.name)), ax)
        kind = "" if f.class_ == f.name else f"{f.class_}, "
        ax.set_title(f"{f.name} ({kind}weight {weights[f.name]:.2f})")
    units = ds[variable].attrs.get("units", "")
    axes[0, 0].set_ylabel(variable + (f" [{units}]" if units and units != "1" else ""))
    axes[0, -1].legend(title="strategy", fontsize="small")
    who = f" of firm {firm}" if "firm" in ds[variable].dims else ""
    fig.suptitle(f"{variable}{who}: median, 50% and 90% bands over sampled worlds")
    _save(fig, path)
    return path


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    from sim.io import write_atomic

    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        plt.close(fig)


# -- scenario discovery -----------------------------------------------------------------


def _discoveries(c: _Context, parameters: Sequence[str]) -> dict:
    """(outcome, strategy) -> Discovery, for strategies that miss their threshold somewhere.

    Worlds of every future are pooled; a world fails when the strategy's outcome misses
    the satisficing threshold of its future (runs without a result are left out).
    """
    import numpy as np
    import xarray as xr

    from scenarios.robustness import discover

    found = {}
    for name, o in c.request.outcomes.items():
        rows = c.table[(c.table["outcome"] == name) & (c.table["future"] != "overall")]
        limit = rows.drop_duplicates("future").set_index("future")["threshold"]
        y = c.outcomes[name]
        limit = xr.DataArray(limit.reindex([str(f) for f in y["future"].values]).to_numpy(),
                             dims="future", coords={"future": y["future"]})
        misses = (y < limit) if o.sense == "max" else (y > limit)
        for s in y["strategy"].values:
            v = y.sel(strategy=s)
            ok = np.isfinite(v.values).ravel()
            failed = misses.sel(strategy=s).values.ravel()[ok]
            if not failed.any():
                continue
            features = {p: np.asarray(y[p].values).ravel()[ok] for p in parameters}
            found[name, str(s)] = discover(features, failed)
    return found


def _discovery_md(found: Mapping, parameters: Sequence[str]) -> str:
    out = ["# Scenario discovery: where strategies miss their threshold\n",
           "A strategy fails in a sampled world when its outcome misses the satisficing "
           "threshold of that world's future (robustness.md). Pooling the worlds of every "
           "future, a decision tree (scikit-learn; at most 3 conditions per rule, leaves of "
           "at least 5% of the worlds, classes balanced) splits the uncertain parameters; "
           "each leaf where it predicts failure is a box. Coverage: the share of the "
           "strategy's failures inside the box; density: the share of the box's worlds that "
           "fail. A parameter is unset in worlds where it does not apply (the tree places "
           "them below every set value: `x <= 0.3 (or unset)`, `x set`, `x unset`).\n",
           "Parameters: " + (", ".join(f"`{p}`" for p in parameters) or "none") + "\n"]
    if not found:
        out.append("No strategy misses its threshold in any world.")
    for (outcome, strategy), d in found.items():
        out.append(f"## {outcome}: {strategy} fails in {d.failures} of {d.cases} worlds "
                   f"({d.failures / d.cases:.0%})\n")
        if d.boxes:
            from scenarios.sensitivity import _md_table

            out += [_md_table(["rule", "worlds", "failures", "coverage", "density"],
                              [[b.rule, b.cases, b.failures, f"{b.coverage:.2f}",
                                f"{b.density:.2f}"] for b in d.boxes]), ""]
        if d.note:
            out.append(f"Note: {d.note}.\n")
    return "\n".join(out) + "\n"


def _discovery_lines(found: Mapping) -> list[str]:
    lines = []
    notes = set()
    for (outcome, strategy), d in found.items():
        head = (f"valuesim: discovery: {strategy} misses the {outcome} threshold in "
                f"{d.failures} of {d.cases} worlds")
        if d.failures == d.cases:
            lines.append(head.replace(f"in {d.failures} of {d.cases}", f"in all {d.cases}"))
        elif d.boxes:
            b = d.boxes[0]
            lines.append(f"{head}; mostly where {b.rule} (coverage {b.coverage:.2f}, "
                         f"density {b.density:.2f})")
        elif d.note in notes:
            lines.append(head)
        else:
            notes.add(d.note)
            lines.append(f"{head} ({d.note})")
    return lines
