"""Benchmark: the engine's choice step against the one-agent-per-customer Mesa reference.

Builds the default scenario, takes every customer as a shopper at period 0 (list prices, the
given economy index, the model's word of mouth) and runs the same choice step twice on the
same uniforms from one explicit generator, in one process:

(a) the readable reference, :class:`agents.reference.ReferenceMarket` (one Mesa agent per
    customer, plain Python), timed on ``min(n_customers, --reference-sample)`` customers;
(b) the engine: the market's ``ValueFunction`` plus :func:`sim.choice.choose` on all customers.

Both times exclude building the inputs (the engine's ``ChoiceSituation``, the reference's
agents); each is the best of several repeats. The two must agree: per-offer and outside shares
within ``4 sqrt(p (1 - p) / n) + 0.001`` and at least 99% identical individual choices (the
uniforms are shared, so only float round-off near a boundary may differ); otherwise the exit
status is 1. Then a full default run (``simulate``, 1,000,000 customers x 52 periods) is timed,
and the default scenario at 100,000 customers with its customer journeys on and off
(``journey_overhead`` = on / off, best of ``--journey-repeats`` runs each; target <= 1.25).

Progress goes to stderr; stdout gets one JSON line. Run from the repository root::

    python experiments/benchmark.py [--n-customers 100000] [--skip-full-run]
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import resource
import sys
import time

log = logging.getLogger("benchmark")

#: The issue's targets on a 2-core machine.
TARGET_RATIO, TARGET_RATIO_CUSTOMERS = 100.0, 100_000
TARGET_FULL_RUN_SECONDS, TARGET_PEAK_MB = 60.0, 2048.0
TARGET_JOURNEY_OVERHEAD, TARGET_JOURNEY_CUSTOMERS = 1.25, 100_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see ``--help``)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-customers", type=int, default=100_000,
                   help="customers in the choice-step comparison (default 100000)")
    p.add_argument("--reference-sample", type=int, default=20_000,
                   help="customers the reference is run and timed on (default 20000)")
    p.add_argument("--economy-index", type=float, default=1.0,
                   help="economy index of the compared step (default 1; e.g. 0.85 a downturn)")
    p.add_argument("--repeats", type=int, default=7, help="engine timing repeats (best kept)")
    p.add_argument("--seed", type=int, default=12345, help="seed of the shared uniforms")
    p.add_argument("--full-run-customers", type=int, default=1_000_000)
    p.add_argument("--full-run-periods", type=int, default=52)
    p.add_argument("--skip-full-run", action="store_true", help="skip the full default run")
    p.add_argument("--journey-repeats", type=int, default=5,
                   help="runs with journeys on and off each, best kept (0: skip)")
    p.add_argument("--journey-customers", type=int, default=TARGET_JOURNEY_CUSTOMERS,
                   help="customers of the journeys on/off runs (default 100000)")
    p.add_argument("--blas-threads", type=int, default=None,
                   help="set OPENBLAS/OMP/MKL thread counts before numpy loads (default: "
                        "leave the environment alone)")
    return p.parse_args(argv)


def best_time(fn, repeats: int):
    """Run ``fn`` ``repeats`` times; return (best seconds, median seconds, last result)."""
    times, result = [], None
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[0], times[len(times) // 2], result


def shopping_situation(model, economy_index: float, shoppers):
    """Period-0 situation of ``shoppers`` at list prices, and their outside utilities."""
    from agents.awareness import net_word_of_mouth

    pop = model.population
    wom = net_word_of_mouth(pop.awareness, pop.promoter, model.market.awareness.negative_weight)
    s = model.situation(shoppers, model.offers.list_price.copy(), economy_index, wom)
    return s, pop.outside_utility[shoppers]


def agreement(reference, engine, n_offers: int) -> dict:
    """Compare two choice vectors (offer index or OUTSIDE) on the same customers."""
    import numpy as np

    m = reference.shape[0]
    share_ref = np.bincount(reference + 1, minlength=n_offers + 1) / m
    share_eng = np.bincount(engine + 1, minlength=n_offers + 1) / m
    tolerance = 4 * np.sqrt(share_eng * (1 - share_eng) / m) + 1e-3
    diff = np.abs(share_ref - share_eng)
    identical = float((reference == engine).mean())
    return {
        "agree": bool((diff <= tolerance).all() and identical >= 0.99),
        "identical_choices": identical,
        "max_share_diff": float(diff.max()),
        "max_share_diff_over_tolerance": float((diff / tolerance).max()),
        "outside_share_reference": float(share_ref[0]),
        "outside_share_engine": float(share_eng[0]),
    }


def compare_choice_step(args: argparse.Namespace) -> dict:
    """Time the reference and the engine on the same customers and uniforms; check agreement."""
    import numpy as np

    from agents.reference import ReferenceMarket
    from scenarios.config import build_scenario, load_config
    from sim.choice import choose
    from sim.model import MarketModel

    n = args.n_customers
    log.info("building the default scenario with %d customers", n)
    model = MarketModel(build_scenario(load_config([f"population.n_customers={n}"])))
    mp = model.market
    t0 = time.perf_counter()
    s, outside = shopping_situation(model, args.economy_index, np.arange(n))
    situation_seconds = time.perf_counter() - t0
    uniforms = np.random.default_rng(args.seed).random(n)

    def engine_step():
        value, extra = mp.value(s)
        return choose(value, outside + extra, s.consider, mp.noise_scale, uniforms)

    engine_step()  # warm-up
    log.info("timing the engine on %d customers (best of %d)", n, args.repeats)
    eng_best, eng_median, engine_choice = best_time(engine_step, args.repeats)

    m = min(n, args.reference_sample)
    log.info("building %d reference agents", m)
    t0 = time.perf_counter()
    sub, sub_outside = shopping_situation(model, args.economy_index, np.arange(m))
    market = ReferenceMarket(sub, sub_outside, value_function=mp.value,
                             noise_scale=mp.noise_scale, rng=np.random.default_rng(args.seed + 1))
    build_seconds = time.perf_counter() - t0
    log.info("timing the reference on %d customers (best of 3)", m)
    ref_best, _, _ = best_time(lambda: market.step(uniforms[:m]), 3)
    check = agreement(market.choices(), engine_choice[:m], s.price.shape[0])
    log.info("agreement: %s", check)
    ref_rate, eng_rate = m / ref_best, n / eng_best
    return {
        "n_customers": n,
        "n_offers": int(s.price.shape[0]),
        "economy_index": args.economy_index,
        "reference_sample": m,
        "reference_build_seconds": build_seconds,
        "reference_step_seconds": ref_best,
        "reference_decisions_per_s": ref_rate,
        "situation_seconds": situation_seconds,
        "engine_step_seconds": eng_best,
        "engine_step_seconds_median": eng_median,
        "engine_decisions_per_s": eng_rate,
        "engine_decisions_per_s_median": n / eng_median,
        "ratio": eng_rate / ref_rate,
        **check,
        "bytes_per_customer": model.population.nbytes / model.population.n_customers,
    }


def full_run(customers: int, periods: int) -> float:
    """Seconds to simulate the default scenario at ``customers`` x ``periods``."""
    from scenarios.config import load_config
    from sim.run import simulate

    cfg = load_config([f"population.n_customers={customers}", f"n_periods={periods}"])
    log.info("full default run: %d customers x %d periods", customers, periods)
    t0 = time.perf_counter()
    simulate(cfg)
    return time.perf_counter() - t0


def journey_overhead(customers: int, repeats: int) -> dict:
    """Seconds of the default run with journeys on and off (each the best of ``repeats``,
    alternated so that machine noise hits both alike, journey simulations never reused
    from an earlier run), and their ratio."""
    from agents.journey_book import clear_simulation_cache
    from scenarios.config import build_scenario, load_config
    from sim.run import run_model

    specs = {on: build_scenario(load_config([f"population.n_customers={customers}",
                                             f"market.journey.enabled={str(on).lower()}"]))
             for on in (True, False)}
    log.info("journeys on vs off: %d customers x 52 periods, best of %d", customers, repeats)
    best = {True: float("inf"), False: float("inf")}
    for _ in range(repeats):
        for on, spec in specs.items():
            clear_simulation_cache()  # every run simulates its journeys afresh
            t0 = time.perf_counter()
            run_model(spec)
            best[on] = min(best[on], time.perf_counter() - t0)
    return {"journey_customers": customers, "journey_on_seconds": best[True],
            "journey_off_seconds": best[False], "journey_overhead": best[True] / best[False]}


def peak_memory_mb() -> float:
    """Peak resident set size of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, else KiB


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print one JSON line; exit status 1 if the two steps disagree."""
    args = parse_args(argv)
    if args.blas_threads is not None:  # must happen before numpy is imported
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s: %(message)s")
    log.setLevel(logging.INFO)
    result = compare_choice_step(args)
    gc.collect()
    seconds = None
    if not args.skip_full_run:
        seconds = full_run(args.full_run_customers, args.full_run_periods)
    if args.journey_repeats > 0:
        result.update(journey_overhead(args.journey_customers, args.journey_repeats))
    peak = peak_memory_mb()
    default_run = (args.full_run_customers, args.full_run_periods) == (1_000_000, 52)
    result.update({
        "full_run_customers": None if args.skip_full_run else args.full_run_customers,
        "full_run_periods": None if args.skip_full_run else args.full_run_periods,
        "full_run_seconds": seconds,
        "peak_memory_mb": peak,
        "cpu_count": os.cpu_count(),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "targets_met": {
            "ratio": (result["ratio"] >= TARGET_RATIO
                      if result["n_customers"] == TARGET_RATIO_CUSTOMERS else None),
            "full_run_seconds": (seconds < TARGET_FULL_RUN_SECONDS
                                 if seconds is not None and default_run else None),
            "peak_memory_mb": (peak < TARGET_PEAK_MB
                               if seconds is not None and default_run else None),
            "journey_overhead": (result["journey_overhead"] <= TARGET_JOURNEY_OVERHEAD
                                 if result.get("journey_customers") == TARGET_JOURNEY_CUSTOMERS
                                 else None),
        },
    })
    print(json.dumps(result), flush=True)
    return 0 if result["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
