"""``valuesim explore DESIGN [KEY=VALUE ...]``: a sampled design, run as a sweep, analysed.

The design (a YAML file, or the name of one in ``configs/design/``) is read, checked
against the scenario config and planned, every point composed and validated: a bad
design or value stops with a one-line error and exit status 2 before anything is
written. Then its missing runs execute (``executor=local|serial|dask``), the runs are
combined into ``SWEEP_DIR/sweep.nc`` (dims ``sample`` and ``replicate``, one
coordinate per parameter), and the outcomes are analysed into the same folder::

    outcomes.nc        each outcome per run, dims (sample, replicate)
    sensitivity.csv    tidy indices: outcome, parameter, index, value, conf
    sensitivity.md     the indices, outcome summaries and notes
    sensitivity.png    one panel of bars with 95% whiskers per analysed outcome

Arguments after the design are design fields (``samples=32``, ``replicates=2``,
``sampler=latin_hypercube``, ``seed=3``), executor options, ``hydra.sweep.dir=DIR``,
or scenario overrides added to the design's ``base``. The default folder,
``multirun/explore-<name>-<hash>``, hashes the resolved design, so re-running the same
command resumes it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from scenarios.cli import fail
from scenarios.sweep_cli import collect_and_report, interrupted, run_plan, split_hydra
from sim.validation import ConfigError

__all__ = ["explore_command", "analyse_folder"]

USAGE = "valuesim explore DESIGN.yaml [samples=N] [replicates=R] [executor=...] [KEY=VALUE ...]"


def explore_command(args: Sequence[str]) -> int:
    """Plan, run, collect and analyse a design; the exit status of ``valuesim explore``."""
    from scenarios.design import check_design, load_design, plan_design, sample_design
    from scenarios.executors import split_executor

    logging.getLogger("MESA").setLevel(logging.WARNING)
    if not args or args[0].startswith("-"):
        return fail(ConfigError("explore", " ".join(args) or "nothing", USAGE))
    try:
        executor, rest = split_executor(args[1:])
        overrides, hydra, directory = split_hydra(rest)
        if hydra:
            key, _, value = hydra[0].partition("=")
            raise ConfigError(key, value, "only hydra.sweep.dir=DIR with valuesim explore "
                              "(runs go through executor=local|serial|dask)")
        design = check_design(load_design(args[0], overrides))
        sample = sample_design(design)
        plan = plan_design(design, sample, directory)
        print(f"valuesim: design {design.name}: {design.sampler}, {sample.n_samples} points "
              f"x {_plural(design.replicates, 'replicate')} = {len(plan.runs)} runs over "
              f"{', '.join(sample.names)} -> {plan.directory}", flush=True)
        _, loaded = run_plan(plan, executor)
    except ConfigError as err:
        return fail(err)
    except KeyboardInterrupt:
        return interrupted()
    status = collect_and_report(plan.directory, loaded)
    analyse_folder(plan.directory, design, sample)
    return status


def analyse_folder(directory: Path, design, sample) -> None:
    """Outcomes and sensitivity of a collected design folder: files written, table printed.

    Parameters
    ----------
    directory : Path
        The design's sweep folder (with ``sweep.nc``).
    design : scenarios.design.DesignParams
    sample : scenarios.design.DesignSample
    """
    import xarray as xr

    from scenarios import sensitivity as sa
    from sim.io import write_results, write_text

    path = directory / "sweep.nc"
    if not path.is_file():
        print("valuesim: no finished runs: nothing to analyse", flush=True)
        return
    variables = {o.variable for o in design.outcomes.values()} | {"run_status"}
    with xr.open_dataset(path) as ds:
        runs = sa.outcome_values(ds[sorted(variables)].load(), design.outcomes, sample.names)
    write_results(runs, directory / "outcomes.nc")
    y = runs.mean("replicate", skipna=False)
    table, notes = sa.analyse(design, sample, y)
    summary = sa.summarize(y)
    text = sa.to_markdown(table, summary, notes, title=f"Design {design.name} "
                          f"({design.sampler}, {sample.n_samples} points x "
                          f"{_plural(design.replicates, 'replicate')})")
    write_text(directory / "sensitivity.csv", table.to_csv(index=False))
    write_text(directory / "sensitivity.md", text)
    figure = _figure(table, [o for o in design.analysed if (table["outcome"] == o).any()],
                     directory / "sensitivity.png")
    if figure is None:  # no indices now: drop an earlier figure rather than keep it stale
        (directory / "sensitivity.png").unlink(missing_ok=True)
    print("\n" + text)
    print(f"valuesim: outcomes {directory / 'outcomes.nc'}\nvaluesim: sensitivity "
          f"{directory / 'sensitivity.csv'}, {directory / 'sensitivity.md'}"
          + (f", {figure}" if figure else ""), flush=True)


def _figure(table, outcomes: Sequence[str], path: Path) -> Path | None:
    """One panel per outcome with indices; None if there are none."""
    if not outcomes:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scenarios.sensitivity import PLOTTED, plot_indices
    from sim.io import write_atomic

    n_params = max(1, table.loc[table["index"].isin(PLOTTED), "parameter"].nunique())
    fig, axes = plt.subplots(len(outcomes), 1, squeeze=False, layout="constrained",
                             figsize=(8, 0.6 + len(outcomes) * (0.9 + 0.45 * n_params)))
    for ax, outcome in zip(axes[:, 0], outcomes, strict=True):
        plot_indices(table, outcome, ax)
    try:
        return write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        plt.close(fig)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
