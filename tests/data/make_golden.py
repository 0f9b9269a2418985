"""Regenerate the golden result compared by tests/integration/test_golden.py.

Run only when a change is *meant* to alter results, and say why in the commit:

    python3 -m uv run --locked python tests/data/make_golden.py
"""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).with_name("golden_small.nc")
OVERRIDES = ["population.n_customers=2000", "n_periods=20", "economy.onset=4",
             "economy.duration=8", "seed=20261125", "replicate=2"]


def main() -> None:
    from sim import load_config, simulate
    from sim.io import write_results

    ds = simulate(load_config(OVERRIDES))
    ds.attrs["git_commit"] = "golden"
    write_results(ds, GOLDEN)
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
