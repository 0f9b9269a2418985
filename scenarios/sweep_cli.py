"""``valuesim run -m`` and ``valuesim collect``: sweeps from the command line.

A sweep is planned (every combination composed and validated: a bad value stops it
with exit status 2 before anything is written), its manifest written, its missing
runs executed, and its runs combined into ``SWEEP_DIR/sweep.nc``.

By default the runs go through valuesim's own executors (``executor=local`` on this
machine's cores, ``serial``, or ``dask``). Naming a Hydra launcher
(``hydra/launcher=joblib``, ``submitit_local``, ``submitit_slurm``) hands the same
runs to Hydra's multirun instead; either way each run lands in the same run store and
the sweep is collected the same way.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from scenarios.cli import fail
from sim.validation import ConfigError

__all__ = ["sweep", "collect_command", "split_hydra", "collect_and_report", "run_plan",
           "interrupted"]


def split_hydra(overrides: Sequence[str]) -> tuple[list[str], list[str], str | None]:
    """Scenario overrides, Hydra's own overrides, and ``hydra.sweep.dir`` if given.

    Every command that writes a sweep folder (``run -m``, ``explore``, ``futures``)
    takes ``hydra.sweep.dir=DIR`` to choose it.
    """
    scenario, hydra, directory = [], [], None
    for o in overrides:
        key, _, value = o.partition("=")
        key = key.lstrip("+~")
        if key == "hydra.sweep.dir":
            directory = value
        elif key == "hydra" or key.startswith(("hydra.", "hydra/")):
            hydra.append(o)
        else:
            scenario.append(o)
    return scenario, hydra, directory


def sweep(overrides: Sequence[str], flags: Sequence[str] = ()) -> int:
    """Plan, run and collect a sweep; the exit status of ``valuesim run -m``."""
    from scenarios.executors import split_executor
    from scenarios.sweep import plan_grid

    logging.getLogger("MESA").setLevel(logging.WARNING)
    try:
        executor, rest = split_executor(overrides)
        scenario, hydra, directory = split_hydra(rest)
        launcher = next((o.partition("=")[2] for o in hydra
                         if o.partition("=")[0].lstrip("+") == "hydra/launcher"), None)
        if launcher is not None and executor.kind != "local":
            raise ConfigError("executor", executor.kind,
                              "the default (local) when a hydra/launcher is named")
        plan = plan_grid(scenario, directory)
        print(f"valuesim: sweep of {len(plan.runs)} runs over "
              + " x ".join(f"{d} ({len(v)})" for d, v in plan.dims.items())
              + f" -> {plan.directory}", flush=True)
        if launcher is not None:
            plan.write()
            _hydra_multirun(scenario, hydra, flags, plan.directory)
            report, loaded = None, None
        else:
            report, loaded = run_plan(plan, executor)
    except ConfigError as err:
        return fail(err)
    except KeyboardInterrupt:
        return interrupted()
    return collect_and_report(plan.directory, loaded)


def run_plan(plan, executor_params):
    """Start the executor, write the plan's manifest, run what is missing, say how it went.

    Every command that runs a sweep folder (``run -m``, ``explore``, ``futures``) goes
    through here. Returns the :class:`~scenarios.sweep.SweepReport` and the finished runs'
    datasets by key (for :func:`collect_and_report`).
    """
    from scenarios.executors import open_executor
    from scenarios.sweep import execute

    loaded: dict = {}
    with open_executor(executor_params) as ex:
        plan.write()
        report = execute(plan, ex, progress=True, keep=loaded)
    print(f"valuesim: {report.summary()}", flush=True)
    return report, loaded


def interrupted() -> int:
    """Say what Ctrl-C left behind; exit status 130."""
    print("\nvaluesim: interrupted; finished runs are kept. Re-run the same command to "
          "resume, or `valuesim collect DIR` to combine what is there.", file=sys.stderr)
    return 130


def collect_and_report(directory: Path, loaded=None) -> int:
    """Collect a sweep folder, print what it holds; exit status 1 if any run failed."""
    from scenarios.collect import collect
    from scenarios.sweep import SweepPlan

    plan = SweepPlan.read(directory)
    ds, report = collect(directory, loaded=loaded)
    for line in report.lines(plan):
        print(f"valuesim: {line}")
    if report.path is not None:
        dims = ", ".join(f"{d}: {n}" for d, n in ds.sizes.items())
        print(f"valuesim: combined dataset {report.path} ({dims})")
    return 1 if report.failed else 0


def collect_command(args: Sequence[str]) -> int:
    """``valuesim collect SWEEP_DIR``: combine a (possibly unfinished) sweep's runs."""
    if len(args) != 1 or args[0].startswith("-"):
        return fail(ConfigError("collect", " ".join(args) or "nothing",
                                 "one sweep folder: valuesim collect SWEEP_DIR"))
    try:
        return collect_and_report(Path(args[0]))
    except ConfigError as err:
        return fail(err)


# -- the Hydra-launcher route -----------------------------------------------------------


def _hydra_multirun(scenario: Sequence[str], hydra: Sequence[str], flags: Sequence[str],
                    directory: Path) -> None:
    import hydra as hydra_pkg

    from scenarios.config import CONFIG_DIR

    task = hydra_pkg.main(config_path=str(CONFIG_DIR), config_name="config",
                          version_base="1.3")(_sweep_job)
    argv = sys.argv
    sys.argv = ["valuesim run", "-m", *flags, *scenario, *hydra,
                f"hydra.sweep.dir={directory.resolve()}"]
    try:
        task()
    finally:
        sys.argv = argv


def _sweep_job(cfg) -> None:
    """One run of a Hydra multirun: the same key and run store as the default route."""
    from hydra.core.hydra_config import HydraConfig

    from scenarios.config import plain
    from scenarios.sweep import RUNS, run_chunk, run_key

    logging.getLogger("MESA").setLevel(logging.WARNING)
    hc = HydraConfig.get()
    config = {k: v for k, v in plain(cfg).items() if k != "overrides"}
    key = run_key(config)
    runs_dir = Path(hc.sweep.dir) / RUNS
    if not (runs_dir / f"{key}.nc").is_file():
        run_chunk([(key, config, tuple(hc.overrides.task))], str(runs_dir))
