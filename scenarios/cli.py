"""``valuesim``: the command line.

``valuesim run [hydra overrides]`` validates the composed config before
anything runs or is written (a bad value stops with a one-line error and exit
status 2), then runs the scenario through Hydra so results, figures and the
resolved config land in Hydra's output folder.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.validation import ConfigError

__all__ = ["main"]

USAGE = """usage: valuesim run [KEY=VALUE ...]
       valuesim run -m KEY=V1,V2 ... [replicate=range(0,20)] [executor=local|serial|dask]
       valuesim collect SWEEP_DIR
       valuesim explore DESIGN.yaml [samples=N] [replicates=R] [KEY=VALUE ...]
       valuesim futures [futures=[...]] [strategies=[...]] [samples=N] [firm=F] [KEY=VALUE ...]

Run one pricing scenario and print a per-firm comparison.

  valuesim run                                   the default scenario (three ladders, downturn)
  valuesim run economy=steady seed=3             Hydra overrides pick options and values
  valuesim run strategy@firms.b.strategy=hold    set one firm's strategy
  valuesim run population.n_customers=1000000

Sweep every combination (-m), in parallel, into one dataset (SWEEP_DIR/sweep.nc):

  valuesim run -m economy.depth=0.1,0.2,0.3 strategy@firms.a.strategy=hold,cut \\
      replicate=range(0,20)
  ... executor=dask executor.address=tcp://HOST:8786   on a Dask cluster
  ... hydra/launcher=submitit_slurm                     through a Hydra launcher
  valuesim collect multirun/sweep-1a2b3c4d       combine what an interrupted sweep has

Sample numeric parameters (factorial, latin_hypercube, sobol, morris) and rank them with
SALib sensitivity indices (SWEEP_DIR/sensitivity.{csv,md,png}):

  valuesim explore downturn_sobol                a design in configs/design/, or a YAML path
  valuesim explore my_design.yaml samples=32 executor=serial population.n_customers=2000

Compare strategies of one firm across probable, plausible and possible futures (sampled
worlds, common random numbers): robustness table, rankings, fan charts, scenario discovery
(SWEEP_DIR/robustness.{csv,md}, fan_*.png, discovery.md):

  valuesim futures                               all futures in configs/future/, 200 worlds
  valuesim futures strategies=[hold,cut] samples=20 firm=b futures=[probable,my_future.yaml]
  valuesim futures outcomes=[profit] outcomes.profit.threshold=3e6 fans=[profit,share]

Re-running a sweep, explore or futures command skips the runs it already has.
Config groups (configs/): market, population, firms, strategy, economy, unit_cost.
Results (results.nc) and figures go to Hydra's output folder (outputs/DATE/TIME).
"""

#: Hydra flags that take a value.
_VALUE_FLAGS = {"--cfg", "-c", "--package", "-p", "--info", "-i", "--config-name", "-cn",
                "--config-path", "-cp", "--config-dir", "-cd", "--experimental-rerun"}
_log = logging.getLogger("valuesim")


def _split(args: Sequence[str]) -> tuple[list[str], list[str]]:
    flags, overrides, expect_value = [], [], False
    for a in args:
        if expect_value:
            flags.append(a)
            expect_value = False
        elif a.startswith("-"):
            flags.append(a)
            expect_value = a in _VALUE_FLAGS
        else:
            overrides.append(a)
    return flags, overrides


def fail(error: Exception) -> int:
    """Print a one-line error and return exit status 2."""
    print(f"valuesim: error: {error}", file=sys.stderr)
    return 2


def _run_task(cfg) -> None:
    """The Hydra task: simulate, write results and figures, print the summary."""
    from hydra.core.hydra_config import HydraConfig

    from sim.io import write_results
    from sim.run import simulate

    logging.getLogger("MESA").setLevel(logging.WARNING)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    ds = simulate(cfg, overrides=list(hc.overrides.task), progress=True)
    write_results(ds, out / "results.nc")
    _figures(ds, out)
    _print_summary(ds, out)


def _figures(ds, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim import plots

    for name, draws in (("shares", [plots.plot_offer_shares]), ("prices", [plots.plot_prices]),
                        ("awareness", [plots.plot_awareness]),
                        ("journey", [plots.plot_journey_completion,
                                     plots.plot_touchpoint_waits])):
        fig, axes = plt.subplots(1, len(draws), figsize=(9 * len(draws), 5),
                                 layout="constrained", squeeze=False)
        for draw, ax in zip(draws, axes[0], strict=True):
            draw(ds, ax)
        fig.savefig(out / f"{name}.png", dpi=110)
        plt.close(fig)


def _print_summary(ds, out: Path) -> None:
    import sim.accessor  # noqa: F401  (registers ds.market)

    table = ds.market.summary()
    print(f"\nvaluesim: {ds.sizes['period']} periods, seed {ds.attrs['seed']}, "
          f"replicate {ds.attrs['replicate']}\n")
    money = "{:,.0f}".format
    print(table.to_string(formatters={
        "revenue": money, "profit": money, "share": "{:.3f}".format,
        "insiders_end": "{:,.0f}".format, "average_price": "{:,.2f}".format,
        "completion": "{:.3f}".format}))
    print(f"\nresults: {out / 'results.nc'}\n"
          f"figures: {out}/{{shares,prices,awareness,journey}}.png")


def run(args: Sequence[str]) -> int:
    """``valuesim run``: validate, then run under Hydra (``-m``: a sweep)."""
    from scenarios.config import CONFIG_DIR, build_scenario, load_config

    flags, overrides = _split(args)
    if any(f in ("-m", "--multirun") for f in flags) and not any(
            f in ("--cfg", "-c", "--info", "-i", "--help", "-h", "--hydra-help")
            for f in flags):
        from scenarios.sweep_cli import sweep

        return sweep(overrides, [f for f in flags if f not in ("-m", "--multirun")])
    if not any(f in ("--cfg", "-c", "--info", "-i", "--help", "-h", "--hydra-help")
               for f in flags):
        try:
            build_scenario(load_config(overrides))
        except ConfigError as err:
            return fail(err)
    import hydra

    task = hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")(
        _guarded(_run_task))
    sys.argv = ["valuesim run", *args]
    task()
    return 0


def _guarded(fn):
    def wrapper(cfg) -> None:
        try:
            fn(cfg)
        except ConfigError as err:
            sys.exit(fail(err))
    wrapper.__name__ = "valuesim"
    return wrapper


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``valuesim`` console script (Ctrl-C anywhere: exit 130)."""
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        print("valuesim: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command == "run":
        return run(rest)
    if command == "collect":
        from scenarios.sweep_cli import collect_command

        return collect_command(rest)
    if command == "explore":
        from scenarios.explore_cli import explore_command

        return explore_command(rest)
    if command == "futures":
        from scenarios.futures_cli import futures_command

        return futures_command(rest)
    return fail(ConfigError("command", command, "run, collect, explore, futures"))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
