"""Shared fixtures: small scenarios built without Hydra, and a Hydra-composed one."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")


def small_overrides(n_customers: int = 3000, n_periods: int = 12, *extra: str) -> list[str]:
    return [f"population.n_customers={n_customers}", f"n_periods={n_periods}", *extra]


@pytest.fixture(scope="session")
def small_dataset():
    """The default scenario at 3,000 customers x 30 periods (a downturn inside)."""
    from sim import load_config, simulate

    return simulate(load_config(small_overrides(3000, 30, "economy.onset=5",
                                                "economy.duration=10")))


@pytest.fixture(scope="session")
def dask_cluster():
    """A real Dask ``LocalCluster`` with two worker processes."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster
