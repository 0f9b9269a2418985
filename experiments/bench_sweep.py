"""Benchmark: the sweep machinery's overhead on local cores.

Runs ``--runs`` runs of the default scenario (``--customers`` customers x ``--periods``
periods; economy depth x replicates) through exactly what ``valuesim run -m`` does —
plan (compose and validate every combination), start the executor, write the manifest,
execute the runs, collect ``sweep.nc`` — in a fresh temporary sweep folder, and prints
one JSON line::

    {"runs", "wall_seconds", "sum_run_seconds", "workers",
     "overhead" = wall_seconds * workers / sum_run_seconds - 1, ...}

``sum_run_seconds`` adds up each run's own time as its worker measured it (build the
scenario, simulate, write its results file). Everything else — planning, process start-up,
dispatch, idle workers at the end, combining the runs — is overhead. The target on a 2-core
machine is overhead < 0.20 (exit status 1 otherwise).

    python experiments/bench_sweep.py [--runs 200] [--customers 10000] [--executor local]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

TARGET_OVERHEAD = 0.20


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=200, help="runs in the sweep (default 200)")
    p.add_argument("--customers", type=int, default=10_000)
    p.add_argument("--periods", type=int, default=52)
    p.add_argument("--depths", type=int, default=5,
                   help="economy depths swept (runs / depths replicates each)")
    p.add_argument("--executor", default="local", choices=("local", "serial", "dask"))
    p.add_argument("--workers", type=int, default=0, help="0: one per core")
    p.add_argument("--keep", type=Path, default=None,
                   help="sweep folder to use instead of a temporary one")
    return p.parse_args(argv)


def sweep_overrides(args: argparse.Namespace) -> list[str]:
    if args.runs % args.depths:
        raise SystemExit(f"--runs {args.runs} must be a multiple of --depths {args.depths}")
    depths = ",".join(f"{0.05 + 0.3 * i / max(args.depths - 1, 1):.3f}"
                      for i in range(args.depths))
    return [f"population.n_customers={args.customers}", f"n_periods={args.periods}",
            f"economy.depth={depths}", f"replicate=range(0,{args.runs // args.depths})"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from scenarios.collect import collect
    from scenarios.executors import ExecutorParams, open_executor
    from scenarios.sweep import execute, plan_grid

    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        directory = args.keep or Path(tmp) / "sweep"
        start = time.perf_counter()
        plan = plan_grid(sweep_overrides(args), directory)
        planned = time.perf_counter()
        with open_executor(ExecutorParams(kind=args.executor, workers=args.workers)) as ex:
            plan.write()
            loaded = {}
            report = execute(plan, ex, progress=False, keep=loaded)
        executed = time.perf_counter()
        ds, _ = collect(directory, loaded=loaded)
        finished = time.perf_counter()
    wall = finished - start
    if report.done != len(plan.runs):
        print(f"bench_sweep: only {report.done} of {len(plan.runs)} runs done "
              f"({report.skipped} skipped, {report.failed} failed)", file=sys.stderr)
        return 1
    overhead = wall * report.workers / report.run_seconds - 1
    out = {
        "runs": report.done, "customers": args.customers, "periods": args.periods,
        "executor": args.executor, "workers": report.workers,
        "wall_seconds": round(wall, 3), "sum_run_seconds": round(report.run_seconds, 3),
        "mean_run_seconds": round(report.run_seconds / report.done, 4),
        "plan_seconds": round(planned - start, 3),
        "execute_seconds": round(executed - planned, 3),
        "collect_seconds": round(finished - executed, 3),
        "overhead": round(overhead, 4), "target_overhead": TARGET_OVERHEAD,
        "meets_target": overhead < TARGET_OVERHEAD, "cpu_count": os.cpu_count(),
        "dataset_dims": dict(ds.sizes),
    }
    print(json.dumps(out))
    return 0 if out["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
